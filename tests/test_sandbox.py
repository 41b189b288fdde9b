"""Hostile files are parsed in a bounded sandbox (issue 13): XLSX shared-strings, DOCX and
PDF bombs end within seconds with peak RSS bounded, the crawl goes on and records
parse_limit, Ctrl-C stops the workers at once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler import documents, sandbox
from tests.bombs import docx_bomb, heavy_pdf, xlsx_shared_strings_bomb
from tests.conftest import read_findings, write_config
from tests.hostile import HostileServer, page

MB = 1024 * 1024
LIMITS = sandbox.Limits(wall=6, cpu=3, memory=200 * MB)
ROOT = Path(__file__).resolve().parent.parent
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def bombs():
    return {"xlsx": xlsx_shared_strings_bomb(), "docx": docx_bomb(), "pdf": heavy_pdf()}


@pytest.mark.parametrize("kind", ["xlsx", "docx", "pdf"])
def test_each_bomb_ends_within_its_limits(bombs, kind):
    usage: dict = {}
    with pytest.raises(sandbox.ParseLimit) as err:
        sandbox.run_limited(documents.extract_document_text, (bombs[kind], kind), LIMITS, usage=usage)
    assert "上限" in str(err.value)
    assert usage["seconds"] < LIMITS.wall + 2, usage
    assert usage["peak_rss"] < LIMITS.memory + 150 * MB, usage     # the budget plus the worker's own size


def test_a_normal_file_and_the_parsers_errors_come_back(bombs):
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "联系电话"])
    wb.active.append(["张三", "13912341234"])
    buf = io.BytesIO()
    wb.save(buf)
    assert "13912341234" in sandbox.run_limited(documents.extract_document_text, (buf.getvalue(), "pdf"), LIMITS)
    with pytest.raises(ZeroDivisionError):
        sandbox.run_limited(divmod, (1, 0), LIMITS)


def _portal(bombs, names: dict[str, str]) -> HostileServer:
    links = "".join(f"<li><a href='/files/{n}'>附件{i}</a></li>" for i, n in enumerate(names))
    routes = {"/": page("<a href='/xxgk/'>政府信息公开</a>"), "/xxgk/": page(f"<ul>{links}</ul>")}
    for name, kind in names.items():
        routes[f"/files/{name}"] = (200, {"Content-Type": "application/octet-stream"}, bombs[kind])
    return HostileServer(routes)


def test_the_crawl_goes_on_past_bombs_and_records_parse_limit(tmp_path, bombs):
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["张三", "联系电话 13912341234"])
    buf = io.BytesIO()
    wb.save(buf)
    bombs = {**bombs, "list": buf.getvalue()}
    # 名单.pdf is an XLSX bomb: the extension lies, the content is sniffed
    srv = _portal(bombs, {"名单.pdf": "xlsx", "a.docx": "docx", "b.pdf": "pdf", "ok.xlsx": "list"})
    try:
        cfg = write_config(tmp_path / "c.yaml", [("甲站", srv.url("/"))], store=tmp_path / "a.db",
                           extra="ipv6: {enabled: false}")
        cfg.write_text(cfg.read_text(encoding="utf-8").replace(
            "concurrency: 16", "concurrency: 16, parse_time_limit: 4, parse_memory_limit: 200MB"), encoding="utf-8")
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "portal_audit.cli", "run", "-c", str(cfg), "-o",
                                 str(tmp_path / "out"), "--no-progress", "--only", "privacy,link"],
                                capture_output=True, text=True, timeout=120)
        elapsed = time.monotonic() - started
        assert result.returncode == 0, result.stderr
        assert elapsed < 45, elapsed
        db = sqlite3.connect(tmp_path / "a.db")
        outcomes = {url.rsplit("/", 1)[1]: (o, e) for url, o, e in db.execute(
            "SELECT url, outcome, error FROM attachment_texts")}
        assert {n for n, (o, _) in outcomes.items() if o == "parse_limit"} == {"%E5%90%8D%E5%8D%95.pdf", "a.docx",
                                                                                "b.pdf"}, outcomes
        assert outcomes["ok.xlsx"][0] == "ok"
        assert any(f["check"] == "privacy.mobile" for f in read_findings(tmp_path / "out"))
        assert "超过解析限制" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    finally:
        srv.stop()


def test_ctrl_c_stops_the_parse_workers_at_once(tmp_path):
    srv = _portal({"pdf": heavy_pdf(6_000_000)}, {"x.pdf": "pdf", "y.pdf": "pdf"})
    try:
        cfg = write_config(tmp_path / "c.yaml", [("甲站", srv.url("/"))], store=tmp_path / "a.db",
                           extra="ipv6: {enabled: false}")
        cfg.write_text(cfg.read_text(encoding="utf-8").replace(
            "concurrency: 16", "concurrency: 16, parse_time_limit: 300"), encoding="utf-8")
        proc = subprocess.Popen([sys.executable, "-m", "portal_audit.cli", "run", "-c", str(cfg), "-o",
                                 str(tmp_path / "out"), "--no-progress", "--only", "privacy"],
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while srv.hits["/files/x.pdf"] + srv.hits["/files/y.pdf"] < 2 and time.monotonic() < deadline:
            time.sleep(0.1)          # one capped GET of each: both are being parsed now
        time.sleep(1.0)
        interrupted = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert time.monotonic() - interrupted < 10
    finally:
        srv.stop()


@pytest.mark.parametrize("how", ["path", "module"])
def test_workers_never_rerun_the_parents_main(tmp_path, how):
    """multiprocessing re-runs the main script (or ``-m`` module) in each forkserver child
    unless told otherwise; for the CLI that was an import of everything, 0.3 s a file.
    The main here counts its re-runs in a file: a worker must add none."""
    runs = tmp_path / "main-runs"
    (tmp_path / "mainmod.py").write_text(
        "import sys\n"
        f"open({str(runs)!r}, 'a').write(__name__ + '\\n')\n"
        "if __name__ == '__main__':\n"
        "    from crawler import documents, sandbox\n"
        "    for _ in range(3):\n"
        "        print(sandbox.run_limited(documents.extract_document_text, (b'%PDF-1.4', 'pdf')))\n",
        encoding="utf-8")
    argv = [str(tmp_path / "mainmod.py")] if how == "path" else ["-m", "mainmod"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    done = subprocess.run([sys.executable, *argv], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert runs.read_text(encoding="utf-8").split() == ["__main__"]
