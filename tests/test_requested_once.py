"""Issue 14 §1: no URL is requested twice in a run (retries and the IPv6 probes aside): not a
redirect's target that is also linked directly, whichever comes first, and not an external URL
that two sites crawled by different processes link; a claimed URL whose claimer dies is
reported inconclusive, never lost."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter

import pytest

from crawler.hops import Hops
from portal_audit.sample.files import make_docx
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


def redirect_routes(portal: Portal) -> dict:
    """Site a: redirects whose targets are linked directly too, the link first (one), the
    redirect first (two: its target a page of its own, with a broken link), a HEAD chain to a
    linked attachment, a HEAD chain to a linked page, two pages redirecting to each other (one
    linked later, one pair linked together, each chain reaching the other's URL); site b: one
    article."""
    a, b = portal.base["a"], portal.base["b"]
    r = {}
    r[("a", "/")] = (200, page("甲市人民政府", f"<a href='{a}/xxgk/'>政府信息公开</a><a href='{a}/p/one.html'>一</a>"
                                          f"<a href='{a}/r/two.html'>二</a><a href='{a}/p/loop1.html'>循环一</a>"
                                          f"<a href='{a}/p/ping.html'>甲</a><a href='{a}/p/pong.html'>乙</a>"), 0)
    r[("a", "/xxgk/")] = (200, page("政府信息公开", f"<ul><li><a href='{a}/xxgk/a.html'>关于公布政务公开事项目录的通知</a></li>"
                                               f"</ul><a href='{a}/files/get.pdf'>附件</a>"
                                               f"<a href='{a}/files/view.doc'>查看</a>"), 0)
    r[("a", "/xxgk/a.html")] = (200, page("关于公布政务公开事项目录的通知",
                                          f"<p>正文。</p><a href='{a}/r/one.html'>一（旧址）</a>"
                                          f"<a href='{a}/p/two.html'>二（新址）</a><a href='{a}/files/real.pdf'>附件</a>"
                                          f"<a href='{a}/p/three.html'>三</a><a href='{a}/p/loop2.html'>循环二</a>"), 1.0)
    r[("a", "/r/one.html")] = (302, "", 0)
    r[("a", "/r/two.html")] = (302, "", 0)
    r[("a", "/p/one.html")] = (200, page("一", "<p>一</p>"), 0)
    r[("a", "/p/two.html")] = (200, page("二", f"<p>二</p><a href='{a}/p/two-gone.html'>失效</a>"), 0)
    r[("a", "/p/three.html")] = (200, page("三", "<p>三</p>"), 0)
    r[("a", "/files/get.pdf")] = (302, "", 0)
    r[("a", "/files/real.pdf")] = (200, "%PDF-1.4", 0)
    r[("a", "/files/view.doc")] = (302, "", 0)
    r[("a", "/p/loop1.html")] = (302, "", 0)
    r[("a", "/p/loop2.html")] = (302, "", 0)
    r[("a", "/p/ping.html")] = (302, "", 0)
    r[("a", "/p/pong.html")] = (302, "", 0)
    r[("b", "/")] = (200, page("乙县人民政府", f"<a href='{b}/xxgk/'>政府信息公开</a>"), 0)
    r[("b", "/xxgk/")] = (200, page("政府信息公开", f"<a href='{b}/xxgk/b.html'>关于公布权责清单的通知</a>"), 0)
    r[("b", "/xxgk/b.html")] = (200, page("关于公布权责清单的通知", "<p>正文。</p>"), 0)
    return r


REDIRECTS = {"/r/one.html": "/p/one.html", "/r/two.html": "/p/two.html", "/files/get.pdf": "/files/real.pdf",
             "/files/view.doc": "/p/three.html", "/p/loop1.html": "/p/loop2.html", "/p/loop2.html": "/p/loop1.html",
             "/p/ping.html": "/p/pong.html", "/p/pong.html": "/p/ping.html"}


@pytest.fixture(scope="module")
def redirected(tmp_path_factory):
    portal = Portal()
    portal.locations = {("a", path): portal.base["a"] + to for path, to in REDIRECTS.items()}
    try:
        yield {n: audit(portal, tmp_path_factory.mktemp(f"redirects{n}"), n, redirect_routes(portal))
               for n in (1, 2)}, portal
    finally:
        portal.close()


def test_a_redirect_target_linked_directly_is_requested_once_in_either_order(redirected):
    runs, portal = redirected
    a = portal.base["a"]
    for n, run in runs.items():
        db = run["db"]
        # a HEAD chain's page is still read, so that one URL is asked twice: HEAD, then GET
        assert twice(db) == {a + "/p/three.html": 2}, n
        assert db.execute("SELECT method FROM requests WHERE url = ? ORDER BY method", (a + "/p/three.html",)
                          ).fetchall() == [("GET",), ("HEAD",)]
        # both orders happened: /p/one.html answered before the redirect to it was met, /p/two.html
        # (a hop of /r/two.html) before the page linking it directly
        answered = {u: i for i, u in db.execute("SELECT id, url FROM requests")}
        assert answered[a + "/p/one.html"] < answered[a + "/r/one.html"], n
        assert answered[a + "/p/two.html"] < answered[a + "/xxgk/a.html"], n
        hits = Counter(run["hits"])
        assert {h: c for h, c in hits.items() if c > 1} == {"a/p/three.html": 2}, n   # as the server saw it
        fetch = {r[0]: r for r in db.execute("SELECT url, outcome, status, final_url, redirects_json, title FROM fetches")}
        for origin, target in REDIRECTS.items():
            if "loop" in origin or "p/p" in origin:
                continue
            o, t = fetch[a + origin], fetch[a + target]
            assert (o[1], o[3]) == (t[1], t[3]) == ("ok", a + target), (n, origin)
            assert o[5] == t[5] or origin == "/files/view.doc", (n, origin)   # a HEAD's answer has no title
            assert t[4] == "[]" and json.loads(o[4]) == [{"url": a + origin, "status": 302},
                                                         {"url": a + target, "status": 200}], (n, origin)
        for loop, other in (("/p/loop1.html", "/p/loop2.html"), ("/p/loop2.html", "/p/loop1.html"),
                            ("/p/ping.html", "/p/pong.html"), ("/p/pong.html", "/p/ping.html")):
            assert fetch[a + loop][1] == "redirect_loop", (n, loop)
            # as the spider records a loop it follows itself: back at the first URL, not followed
            assert json.loads(fetch[a + loop][4]) == [{"url": a + loop, "status": 302}, {"url": a + other, "status": 302},
                                                      {"url": a + loop, "status": None},
                                                      {"url": a + loop, "status": 302}], (n, loop)
        # each page read once, under its own URL, its links with it
        pages = [u for (u,) in db.execute("SELECT url FROM pages")]
        assert sorted(pages) == sorted(set(pages)) and a + "/p/two.html" in pages and a + "/r/two.html" not in pages
        assert a + "/p/one.html" in pages and a + "/r/one.html" not in pages
        broken = [f for f in run["findings"] if f["check"] == "link.broken"]
        assert [(f["url"], f["page"]) for f in broken] == [(a + "/p/two-gone.html", a + "/p/two.html")], n


def test_an_attachment_read_through_a_redirect_is_read_once_for_both_links(tmp_path):
    """Same-site DOCX files are read by their check (one capped GET): a chain to a linked file
    (the redirect first, and the link first) reads it once, and its text is stored for both."""
    portal = Portal()
    try:
        a = portal.base["a"]
        portal.locations = {("a", "/files/old1.docx"): a + "/files/new1.docx", ("a", "/files/old2.docx"): a + "/files/new2.docx"}
        r = {("a", "/"): (200, page("甲市人民政府", f"<a href='{a}/xxgk/'>政府信息公开</a><a href='{a}/files/old1.docx'>附件一</a>"
                                               f"<a href='{a}/files/new2.docx'>附件二</a>"), 0),
             ("a", "/xxgk/"): (200, page("政府信息公开", f"<a href='{a}/xxgk/a.html'>关于公布政务公开事项目录的通知</a>"), 0),
             ("a", "/xxgk/a.html"): (200, page("关于公布政务公开事项目录的通知",
                                               f"<p>正文。</p><a href='{a}/files/new1.docx'>附件一（新）</a>"
                                               f"<a href='{a}/files/old2.docx'>附件二（旧）</a>"), 1.0),
             ("a", "/files/old1.docx"): (302, "", 0), ("a", "/files/old2.docx"): (302, "", 0),
             ("a", "/files/new1.docx"): (200, make_docx("附件一的正文"), 0),
             ("a", "/files/new2.docx"): (200, make_docx("附件二的正文"), 0)}
        with portal.lock:
            portal.routes = r
        cfg = write_config(tmp_path / "c.yaml", [("甲市", a + "/")], store=tmp_path / "a.db")
        result = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out"), "--no-progress", "--only", "privacy")
        assert result.returncode in (0, 1), result.stderr
        db = sqlite3.connect(tmp_path / "a.db")
        assert twice(db) == {}
        assert db.execute("SELECT DISTINCT method FROM requests WHERE url LIKE '%.docx'").fetchall() == [("GET",)]
        texts = dict(db.execute("SELECT url, text FROM attachment_texts"))
        for old, new, text in (("old1", "new1", "附件一的正文"), ("old2", "new2", "附件二的正文")):
            assert text in texts[f"{a}/files/{new}.docx"] and texts[f"{a}/files/{old}.docx"] == texts[f"{a}/files/{new}.docx"]
        assert Counter(h for h in portal.hits if h.endswith(".docx")) == Counter(
            ["a/files/old1.docx", "a/files/new1.docx", "a/files/old2.docx", "a/files/new2.docx"])
    finally:
        portal.close()


def test_redirects_to_linked_urls_find_with_two_processes_what_one_finds(redirected):
    runs, _ = redirected
    one, two = (sorted((f["fingerprint"], f["check"], f["site"], f["url"]) for f in runs[n]["findings"]) for n in (1, 2))
    assert one == two and {c for _, c, _, _ in one} >= {"link.broken", "link.redirect-loop"}


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


@pytest.mark.parametrize("a_links", ["/slow.html", "/via-slow.html"])
def test_a_claimed_url_whose_claimer_is_killed_is_inconclusive_not_lost(shared, tmp_path, a_links):
    """The process that claimed a slow external URL is killed while it waits for the answer:
    the other process did not request it, and the run records it inconclusive, never as fine
    and never as no fetch at all; so is a redirect to it from the other site (the chain ended
    at the dead process's URL, or the dead process claimed the URL as the chain's hop)."""
    routes = shared_routes(shared, slow=60)
    x = shared.base["x"]
    routes[("x", "/via-slow.html")] = (302, "", 0)
    shared.locations = {("x", "/via-slow.html"): f"{x}/slow.html"}
    for name, path in (("a", a_links), ("b", "/slow.html")):
        status, html, delay = routes[(name, "/")]
        routes[(name, "/")] = (status, html.replace("</body>", f"<a href='{x}{path}'>慢</a></body>"), delay)
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
    assert row[1:] == ("error", CLAIMER_DIED) and (row[0] == claimer[1] or a_links != "/slow.html"), (row, stderr)
    if a_links != "/slow.html":
        row = db.execute("SELECT site, outcome, error FROM fetches WHERE url = ?", (x + a_links,)).fetchone()
        assert row == ("甲市", "error", CLAIMER_DIED), (row, stderr)
    assert db.execute("SELECT COUNT(*) FROM requests WHERE url = ?", (slow,)).fetchone()[0] <= 1
    assert [h for h in shared.hits if h == "x/slow.html"] == ["x/slow.html"]
    assert not any(p.name.endswith((".claims", ".claims-wal")) for p in tmp_path.iterdir())


def crossing_routes(portal: Portal) -> dict:
    """Sites a and b (in two processes) and redirects on the external host x that cross them:
    a's link reaches x/new1 through x/old1 before b links x/new1 (the hop first); b links x/new2
    before a's link reaches it through x/old2 (the link first); x/old3 leads to a broken x/gone3."""
    a, b, x = portal.base["a"], portal.base["b"], portal.base["x"]
    article = "关于公布政务公开事项目录的通知"
    r = {("a", "/"): (200, page("甲市人民政府", f"<a href='{a}/xxgk/'>政府信息公开</a><a href='{x}/old1.html'>一</a>"
                                             f"<a href='{x}/old3.html'>三</a>"), 0),
         ("a", "/xxgk/"): (200, page("政府信息公开", f"<a href='{a}/xxgk/a.html'>{article}</a>"), 0),
         ("a", "/xxgk/a.html"): (200, page(article, f"<p>正文。</p><a href='{x}/old2.html'>二</a>"), 1.5),
         ("b", "/"): (200, page("乙县人民政府", f"<a href='{b}/xxgk/'>政府信息公开</a><a href='{x}/new2.html'>二</a>"), 0),
         ("b", "/xxgk/"): (200, page("政府信息公开", f"<a href='{b}/xxgk/b.html'>{article}</a>"), 0),
         ("b", "/xxgk/b.html"): (200, page(article, f"<p>正文。</p><a href='{x}/new1.html'>一</a>"
                                                    f"<a href='{x}/gone3.html'>三</a>"), 1.5)}
    for path in ("/old1.html", "/old2.html", "/old3.html"):
        r[("x", path)] = (302, "", 0)
    for path in ("/new1.html", "/new2.html"):
        r[("x", path)] = (200, page("友情链接", "<p>ok</p>"), 0)
    return r


@pytest.fixture(scope="module")
def crossed(tmp_path_factory):
    portal = Portal()
    x = portal.base["x"]
    portal.locations = {("x", f"/old{i}.html"): f"{x}/{to}.html" for i, to in ((1, "new1"), (2, "new2"), (3, "gone3"))}
    try:
        yield {n: audit(portal, tmp_path_factory.mktemp(f"crossed{n}"), n, crossing_routes(portal)) for n in (1, 2)}, portal
    finally:
        portal.close()


def test_redirects_crossing_processes_are_requested_once_and_find_what_one_process_finds(crossed):
    runs, portal = crossed
    x = portal.base["x"]
    for n, run in runs.items():
        db = run["db"]
        assert twice(db) == {}, n
        hits = Counter(h for h in run["hits"] if h.startswith("x/") and "portal-audit-probe" not in h)
        assert set(hits.values()) == {1} and len(hits) == 6, (n, hits)
        fetch = {r[0]: r[1:] for r in db.execute("SELECT url, outcome, final_url, redirects_json FROM fetches")}
        for old, new, outcome in (("old1", "new1", "ok"), ("old2", "new2", "ok"), ("old3", "gone3", "http_error")):
            assert fetch[f"{x}/{old}.html"][:2] == fetch[f"{x}/{new}.html"][:2] == (outcome, f"{x}/{new}.html"), (n, old)
            assert [h["url"] for h in json.loads(fetch[f"{x}/{old}.html"][2])] == [f"{x}/{old}.html", f"{x}/{new}.html"]
            assert fetch[f"{x}/{new}.html"][2] == "[]", (n, new)
    one, two = (sorted((f["fingerprint"], f["check"], f["site"], f["url"]) for f in runs[n]["findings"]) for n in (1, 2))
    assert one == two and {(c, s) for _, c, s, u in one if u.endswith(("old3.html", "gone3.html"))} == {
        ("link.broken", "甲市"), ("link.broken", "乙县")}


def test_rows_made_of_another_urls_answer():
    """What crawler/hops.py makes of stored rows: a link to a hop in the middle of a chain, a
    chain ending at a URL requested before (too many hops together; a failed answer)."""
    def stored(url, redirects, status, outcome="ok", final=None):
        return {"url": url, "method": "GET", "status": status, "outcome": outcome, "error": None,
                "redirects_json": json.dumps(redirects), "final_url": final or url, "title": "题"}

    rows = {"o": stored("o", [{"url": "o", "status": 301}, {"url": "u", "status": 302}, {"url": "f", "status": 200}],
                        200, final="f"),
            "c": stored("c", [{"url": "c", "status": 301}, {"url": "d", "status": 200}], 200, final="d"),
            "t": stored("t", [], None, outcome="timeout")}
    hops = Hops(max_redirects=2)
    hops.hop("u", "o", "page")
    hops.share("u", "甲", "page", 2)
    hops.share("a", "甲", "page", 1, [{"url": "a", "status": 301}, {"url": "b", "status": 301}], "c")
    hops.share("x", "甲", "external", 1, [{"url": "x", "status": 302}], "t")
    made = {row["url"]: (row, source) for row, source in hops.rows(rows.get)}
    u, source = made["u"]
    assert source == "o" and (u["outcome"], u["final_url"], u["title"], u["kind"], u["depth"]) == ("ok", "f", "题", "page", 2)
    assert json.loads(u["redirects_json"]) == [{"url": "u", "status": 302}, {"url": "f", "status": 200}]
    a = made["a"][0]
    assert (a["outcome"], a["error"], a["final_url"]) == ("redirect_loop", "跳转超过 2 次", "d")
    x = made["x"][0]
    assert (x["outcome"], x["final_url"]) == ("timeout", "t")
    assert json.loads(x["redirects_json"]) == [{"url": "x", "status": 302}, {"url": "t", "status": None}]
