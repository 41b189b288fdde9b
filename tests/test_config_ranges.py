"""Config values are validated with their ranges, and the YAML with size and alias limits:
every bad value exits 2 naming the key, before anything runs (issue 13)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import run_cli

SITE = "sites:\n  - {name: a, url: 'http://127.0.0.1:9/'}\n"


@pytest.mark.parametrize(
    "text, key, words",
    [
        (SITE + "crawl: {per_host_concurrency: 0}\n", "crawl.per_host_concurrency", "应在 1 到 100 之间"),
        (SITE + "crawl: {concurrency: 0}\n", "crawl.concurrency", "应在 1 到"),
        (SITE + "crawl: {timeout: .nan}\n", "crawl.timeout", "应为有限的数字"),
        (SITE + "crawl: {timeout: .inf}\n", "crawl.timeout", "应为有限的数字"),
        (SITE + "crawl: {timeout: 0}\n", "crawl.timeout", "应在 0.1 到"),
        (SITE + "crawl: {max_page_size: -1}\n", "crawl.max_page_size", "应在 1024 到"),
        (SITE + "crawl: {max_page_size: 0}\n", "crawl.max_page_size", "应在 1024 到"),
        (SITE + "crawl: {max_links_per_page: 0}\n", "crawl.max_links_per_page", "应在 1 到"),
        (SITE + "crawl: {allowed_networks: [10.0.0.0/33]}\n", "crawl.allowed_networks[0]", "应为网段"),
        (SITE + "dns: {port: 99999}\n", "dns.port", "应在 1 到 65535 之间"),
        (SITE + "dns: {nameservers: [dns.example]}\n", "dns.nameservers[0]", "应为 IP 地址"),
        (SITE + "ipv6: {target_level2: 120}\n", "ipv6.target_level2", "应在 0 到 100 之间"),
        ("sites:\n  - {name: a, url: 'http://127.0.0.1:99999/'}\n", "sites[0].url", "端口应在 1 到 65535 之间"),
        ("sites:\n  - {name: a, url: 'http://127.0.0.1:9/', max_pages: 0}\n", "sites[0].max_pages", "应在 1 到"),
    ],
)
def test_out_of_range_values_exit_2_naming_the_key(tmp_path: Path, text, key, words):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text, encoding="utf-8")
    result = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out"), "--no-progress", timeout=60)
    assert result.returncode == 2, result.stderr
    assert f"{cfg}: {key}: " in result.stderr and words in result.stderr, result.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / ".portal-audit").exists()


def test_billion_laughs_is_refused_at_once(tmp_path: Path):
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        levels.append(f"{name}: &{name} [" + ",".join(f"*{prev}" for _ in range(9)) + "]")
    cfg = tmp_path / "lol.yaml"
    cfg.write_text(SITE + "checks:\n  options:\n    link.wrong:\n" + "".join(f"      {line}\n" for line in levels),
                   encoding="utf-8")
    started = time.monotonic()
    result = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out"), "--no-progress", timeout=60)
    assert result.returncode == 2, result.stderr
    assert "拒绝" in result.stderr         # the expansion is stopped at the node limit
    assert time.monotonic() - started < 10


def test_many_values_without_aliases_are_refused_too(tmp_path: Path):
    cfg = tmp_path / "wide.yaml"
    cfg.write_text(SITE + "checks:\n  options:\n    link.wrong: {big: [" + ",".join(["1"] * 210_000) + "]}\n",
                   encoding="utf-8")
    result = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out"), "--no-progress", timeout=60)
    assert result.returncode == 2, result.stderr
    assert "个值" in result.stderr


def test_aliases_beyond_the_limit_are_refused(tmp_path: Path):
    cfg = tmp_path / "alias.yaml"
    cfg.write_text(SITE + "checks:\n  options:\n    link.wrong:\n      base: &x 1\n      many: ["
                   + ",".join(["*x"] * 101) + "]\n", encoding="utf-8")
    result = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out"), "--no-progress", timeout=60)
    assert result.returncode == 2 and "YAML 别名" in result.stderr, result.stderr
