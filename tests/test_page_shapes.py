"""Bounded page shapes (issue 13): links per page capped (the rest counted and reported), a
10,000-deep nest loses no link, Ctrl-C within seconds whatever the queue holds."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time

from crawler import extract
from tests.conftest import read_findings, run_cli, write_config
from tests.hostile import HostileServer, page


def _deep(depth: int, ext: str = "html") -> str:
    return "".join(f"<div><a href='/l{i}.{ext}'>链接{i}</a>" for i in range(depth)) + "</div>" * depth


def test_a_10000_deep_nest_loses_no_link():
    html = f"<html><body>{_deep(10_000)}</body></html>"
    links = list(extract.iter_links(extract.parse_tree(html), None, html))
    assert len(links) == 10_000
    assert {r.href for r in links} == {f"/l{i}.html" for i in range(10_000)}


def test_deep_pages_are_audited_and_many_links_are_capped(tmp_path):
    doc = (200, {"Content-Type": "application/msword"}, b"\xd0\xcf\x11\xe0")   # checked with HEAD, not parsed
    routes = {"/": page("<a href='/deep.html'>深层页面</a> <a href='/many.html'>很多链接</a>"),
              "/deep.html": page(_deep(400, "doc")),
              "/many.html": page("".join(f"<a href='/m{i}.doc'>m{i}</a>" for i in range(500)))}
    routes.update({f"/l{i}.doc": doc for i in range(399)})
    routes.update({f"/m{i}.doc": doc for i in range(500)})
    srv = HostileServer(routes)
    try:
        cfg = write_config(tmp_path / "c.yaml", [("甲站", srv.url("/"))], store=tmp_path / "a.db",
                           extra="ipv6: {enabled: false}")
        cfg.write_text(cfg.read_text(encoding="utf-8").replace("concurrency: 16", "concurrency: 16, "
                       "max_links_per_page: 420, per_host_concurrency: 16"), encoding="utf-8")
        result = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out"), "--no-progress", "--only",
                         "attachment.broken", timeout=300)
        assert result.returncode == 0, result.stderr
        broken = [f["url"] for f in read_findings(tmp_path / "out") if f["check"] == "attachment.broken"]
        assert broken == [srv.url("/l399.doc")]          # the deepest link of the nest was checked
        assert sum(srv.hits[f"/m{i}.doc"] for i in range(420, 500)) == 0
        assert all(srv.hits[f"/m{i}.doc"] == 1 for i in range(420))
        db = sqlite3.connect(tmp_path / "a.db")
        stats = db.execute("SELECT stats_json FROM run_sites").fetchone()[0]
        assert '"links_over_cap": 80' in stats and '"pages_over_cap": 1' in stats
        assert "其余 80 个链接未检查" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    finally:
        srv.stop()


def test_ctrl_c_within_seconds_with_a_full_queue(tmp_path):
    routes = {"/": page("".join(f"<a href='/q{i}.html'>q{i}</a>" for i in range(10_000)))}

    def slow(handler):
        time.sleep(0.5)
        return page("正文")

    routes.update({f"/q{i}.html": slow for i in range(10_000)})
    srv = HostileServer(routes)
    try:
        cfg = write_config(tmp_path / "c.yaml", [("甲站", srv.url("/"))], store=tmp_path / "a.db",
                           extra="ipv6: {enabled: false}")
        proc = subprocess.Popen([sys.executable, "-m", "portal_audit.cli", "run", "-c", str(cfg), "-o",
                                 str(tmp_path / "out"), "--no-progress", "--only", "link.broken"],
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while sum(srv.hits.values()) < 50 and time.monotonic() < deadline:
            time.sleep(0.1)
        interrupted = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        elapsed = time.monotonic() - interrupted
        assert proc.returncode == 130, err
        assert elapsed < 15, elapsed
    finally:
        srv.stop()
