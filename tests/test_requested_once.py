"""Issue 14 §1: no URL is requested twice in a run (retries and the IPv6 probes aside): not
when two sites crawled by different processes link the same external URLs, and a claimed URL
whose claimer dies is reported inconclusive, never lost."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from store.claims import CLAIMER_DIED
from store.parts import claims_path
from tests.conftest import read_findings, run_cli, write_config
from tests.loop_portal import Portal, page

EXTERNAL = ("/", "/ok1.html", "/ok2.html", "/gone1.html", "/gone2.html", "/files/a.pdf", "/files/gone.pdf")


def twice(db) -> dict[str, int]:
    """The URLs requested more than once (retries and IPv6 probes aside), with their count."""
    return dict(db.execute("SELECT url, COUNT(*) FROM requests WHERE retry = 0 AND purpose != 'ipv6'"
                           " GROUP BY url HAVING COUNT(*) > 1").fetchall())


def shared_routes(portal: Portal, slow: float = 0.0) -> dict:
    """Two sites (a, b), each linking every external URL from its home and its articles."""
    x = portal.base["x"]
    links = "".join(f"<a href='{x}{path}'>外部链接{i}</a>" for i, path in enumerate(EXTERNAL))
    r = {}
    for name in ("a", "b"):
        base = portal.base[name]
        arts = "".join(f"<li><a href='{base}/xxgk/{i}.html'>关于公布第{i}批政务公开事项目录的通知</a></li>" for i in range(6))
        r[(name, "/")] = (200, page(f"{name}市人民政府", f"<a href='{base}/xxgk/'>政府信息公开</a>{links}"), 0)
        r[(name, "/xxgk/")] = (200, page("政府信息公开", f"<ul>{arts}</ul>"), 0)
        for i in range(6):
            r[(name, f"/xxgk/{i}.html")] = (200, page(f"关于公布第{i}批政务公开事项目录的通知", f"<p>正文。</p>{links}"), 0)
    for path in EXTERNAL:
        if "gone" not in path:
            r[("x", path)] = (200, page("友情链接", "<p>ok</p>"), 0)
    r[("x", "/slow.html")] = (200, page("慢", "<p>慢</p>"), slow)
    return r


@pytest.fixture(scope="module")
def shared():
    portal = Portal()
    yield portal
    portal.close()


def audit(portal: Portal, tmp, processes: int, routes: dict) -> dict:
    with portal.lock:
        portal.routes = routes
        portal.hits.clear()
    cfg = write_config(tmp / "c.yaml", [("甲市", portal.base["a"] + "/"), ("乙县", portal.base["b"] + "/")],
                       store=tmp / "a.db", crawl={"processes": processes})
    result = run_cli("run", "-c", str(cfg), "-o", str(tmp / "out"), "--no-progress", "--only", "link")
    assert result.returncode in (0, 1), result.stderr
    with portal.lock:
        hits = list(portal.hits)
    return {"db": sqlite3.connect(tmp / "a.db"), "findings": read_findings(tmp / "out"), "hits": hits}


@pytest.fixture(scope="module")
def two_sites(shared, tmp_path_factory):
    return {n: audit(shared, tmp_path_factory.mktemp(f"shared{n}"), n, shared_routes(shared)) for n in (1, 2)}


def test_external_links_of_sites_in_two_processes_are_each_requested_once(two_sites):
    for n, run in two_sites.items():
        assert twice(run["db"]) == {}, n
        external = [h for h in run["hits"] if h.startswith("x") and "portal-audit-probe" not in h]
        assert sorted(external) == sorted(set(external)) and len(external) == len(EXTERNAL), (n, external)
        # both sites' link rows resolve to the one fetch row of each external URL
        for site in ("甲市", "乙县"):
            unresolved = run["db"].execute(
                "SELECT COUNT(*) FROM links l LEFT JOIN fetches f ON f.run_id = l.run_id AND f.url = l.target_url"
                " WHERE l.site = ? AND l.kind IN ('external', 'attachment') AND f.id IS NULL", (site,)).fetchone()[0]
            assert unresolved == 0, (n, site)


def test_two_processes_sharing_external_links_find_what_one_finds(two_sites):
    one, two = (sorted((f["fingerprint"], f["check"], f["site"], f["url"]) for f in two_sites[n]["findings"])
                for n in (1, 2))
    assert one == two
    assert {(c, s) for _, c, s, u in two if u.endswith("gone1.html")} == {("link.broken", "甲市"), ("link.broken", "乙县")}
    # requests per page: two processes send what one sends, but for the second's probe of the external host
    counts = {n: [two_sites[n]["db"].execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("requests", "pages")]
              for n in (1, 2)}
    assert counts[2][1] == counts[1][1] and counts[2][0] <= counts[1][0] + 1, counts


def test_a_claimed_url_whose_claimer_is_killed_is_inconclusive_not_lost(shared, tmp_path):
    """The process that claimed a slow external URL is killed while it waits for the answer:
    the other process did not request it, and the run records it inconclusive, never as fine
    and never as no fetch at all."""
    routes = shared_routes(shared, slow=60)
    for name in ("a", "b"):
        status, html, delay = routes[(name, "/")]
        routes[(name, "/")] = (status, html.replace("</body>", f"<a href='{shared.base['x']}/slow.html'>慢</a></body>"), delay)
    with shared.lock:
        shared.routes = routes
        shared.hits.clear()
    cfg = write_config(tmp_path / "c.yaml", [("甲市", shared.base["a"] + "/"), ("乙县", shared.base["b"] + "/")],
                       store=tmp_path / "a.db", crawl={"processes": 2, "timeout": 120})
    proc = subprocess.Popen([sys.executable, "-m", "portal_audit.cli", "run", "-c", str(cfg), "-o",
                             str(tmp_path / "out"), "--no-progress", "--only", "link"], stderr=subprocess.PIPE, text=True)
    slow = shared.base["x"] + "/slow.html"
    claims = claims_path(tmp_path / "a.db", 1)
    deadline, claimer = time.monotonic() + 60, None
    while claimer is None and time.monotonic() < deadline:
        time.sleep(0.2)
        try:
            db = sqlite3.connect(claims, timeout=5)
            claimer = db.execute("SELECT pid, site FROM claims WHERE url = ?", (slow,)).fetchone()
            db.close()
        except sqlite3.OperationalError:
            continue
    assert claimer is not None
    time.sleep(1)
    os.kill(claimer[0], signal.SIGKILL)
    _, stderr = proc.communicate(timeout=120)
    db = sqlite3.connect(tmp_path / "a.db")
    row = db.execute("SELECT site, outcome, error FROM fetches WHERE url = ?", (slow,)).fetchone()
    assert row == (claimer[1], "error", CLAIMER_DIED), (row, stderr)
    assert db.execute("SELECT COUNT(*) FROM requests WHERE url = ?", (slow,)).fetchone()[0] <= 1
    assert [h for h in shared.hits if h == "x/slow.html"] == ["x/slow.html"]
    assert not any(p.name.endswith((".claims", ".claims-wal")) for p in tmp_path.iterdir())
