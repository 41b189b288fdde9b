"""Bad usage and bad configs: the real CLI answers with exit 2 and a message naming
the file, the key and what is wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "portal_audit.cli"]


def run_cli(*args, cwd=None):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=60)


@pytest.mark.parametrize(
    "text, key, words",
    [
        ("sites: [\n  {name: a, url: http://127.0.0.1:9/", "", "YAML 格式错误"),
        ("sites:\n  - {name: a, url: 'http://127.0.0.1:9/'}\ncrawl: {timout: 3}\n", "crawl.timout", "未知的配置项"),
        ("sites:\n  - {name: a, url: 'http://127.0.0.1:9/'}\ncrawl: {timeout: fast}\n", "crawl.timeout", "应为数字"),
        ("sites:\n  - {name: a}\n", "sites[0].url", "缺少必填项"),
        ("sites:\n  - {name: a, url: 'ftp://127.0.0.1/'}\n", "sites[0].url", "不是有效的"),
        ("sites: []\n", "sites", "至少需要配置一个站点"),
        ("- just\n- a list\n", "", "顶层应为映射"),
        ("sites:\n  - {name: a, url: 'http://127.0.0.1:9/', columns: {blog: 'http://127.0.0.1:9/b/'}}\n",
         "sites[0].columns.blog", "未知的栏目类型"),
        ("audit_date: yesterday\nsites:\n  - {name: a, url: 'http://127.0.0.1:9/'}\n", "audit_date", "应为日期"),
        ("sites:\n  - {name: a, url: 'http://127.0.0.1:9/'}\n  - {name: a, url: 'http://127.0.0.1:9/'}\n",
         "sites[1].name", "站点名称重复"),
        ("sites:\n  - {name: a, url: 'http://127.0.0.1:9/'}\ncrawl: {max_page_size: huge}\n",
         "crawl.max_page_size", "无法识别的大小"),
        ("sites:\n  - {name: a, url: 'http://127.0.0.1:9/'}\nchecks: {severity: {link.broken: fatal}}\n",
         "checks.severity.link.broken", "级别应为"),
    ],
)
def test_bad_config_exits_2_naming_file_and_key(tmp_path: Path, text, key, words):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text, encoding="utf-8")
    result = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out"), "--no-progress")
    assert result.returncode == 2, result.stderr
    assert str(cfg) in result.stderr
    assert key in result.stderr
    assert words in result.stderr
    assert not (tmp_path / "out").exists()


def test_missing_config_file(tmp_path: Path):
    result = run_cli("run", "-c", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert "配置文件不存在" in result.stderr


def test_unknown_site_and_unknown_check(tmp_path: Path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("sites:\n  - {name: 甲, url: 'http://127.0.0.1:9/'}\n", encoding="utf-8")
    result = run_cli("run", "-c", str(cfg), "--site", "乙")
    assert result.returncode == 2 and "没有名为 乙 的站点" in result.stderr
    result = run_cli("run", "-c", str(cfg), "--only", "link.nonsense")
    assert result.returncode == 2 and "未知的检查项" in result.stderr


def test_bad_usage_is_exit_2():
    assert run_cli("run", "--fail-on", "sometimes").returncode == 2
    assert run_cli("no-such-command").returncode == 2


def test_checks_lists_every_check_and_explains_one():
    listing = run_cli("checks")
    assert listing.returncode == 0
    for code in ["link.broken", "attachment.broken", "link.redirect-loop", "link.redirect-chain",
                 "link.soft404", "link.wrong", "link.hidden", "site.unreachable"]:
        assert code in listing.stdout
    explain = run_cli("checks", "--explain", "link.redirect-chain")
    assert explain.returncode == 0
    assert "max_hops: 3" in explain.stdout and "整改建议" in explain.stdout
    assert run_cli("checks", "--explain", "link.nope").returncode == 2


def test_report_for_unknown_run_and_corrupt_store(tmp_path: Path):
    db = tmp_path / "a.db"
    assert run_cli("report", "7", "--store", str(db), "-o", str(tmp_path / "o")).returncode == 2
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    result = run_cli("runs", "--store", str(junk))
    assert result.returncode == 2 and "不是有效的 SQLite 数据库" in result.stderr and str(junk) in result.stderr
