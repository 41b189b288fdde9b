"""Incremental runs: conditional requests, carried 304 pages and cached successful checks give the
same findings as a full crawl; a changed page is parsed afresh and only its change shows."""

from __future__ import annotations

import sqlite3
from collections import defaultdict

import pytest

from tests.conftest import read_findings, run_cli, served, write_config

LINK_COLUMNS = ("site, source_url, target_url, raw_href, anchor, tag, attr, line, kind, hidden, hidden_reason,"
                " list_date, fragment")


def link_rows(db, run_id: int) -> dict[str, list[tuple]]:
    """{page: its link rows of the run, in page order}."""
    out = defaultdict(list)
    for row in db.execute(f"SELECT {LINK_COLUMNS} FROM links WHERE run_id = ? ORDER BY id", (run_id,)):
        out[row[1]].append(row)
    return dict(out)


@pytest.fixture(scope="module")
def portal():
    """A portal of its own: the test edits its pages."""
    with served("full") as srv:
        yield srv


@pytest.fixture(scope="module")
def runs(tmp_path_factory, portal):
    tmp = tmp_path_factory.mktemp("incremental")
    cfg = write_config(tmp / "c.yaml", [("临沂市政府", portal.base_url)], store=tmp / "a.db")
    db = sqlite3.connect(tmp / "a.db")
    out = {"db": db}

    def run(name):
        portal.reset()
        result = run_cli("run", "-c", str(cfg), "-o", str(tmp / name), "--no-progress")
        assert result.returncode == 0, result.stderr
        out[name] = {f["fingerprint"]: f for f in read_findings(tmp / name)}

    run("first")
    run("unchanged")
    articles = [u for (u,) in db.execute("SELECT url FROM pages WHERE run_id = 1 AND is_list = 0 AND depth > 1"
                                         " AND url NOT LIKE '%.pdf' ORDER BY url")]
    changed = articles[::20]                      # 5% of the articles
    out["planted_page"] = changed[0]
    prefix = portal.base_url.rstrip("/")
    portal.edit(changed[0][len(prefix):], '<p><a href="/xxgk/planted-gone.html">新增的失效链接</a></p>')
    for url in changed[1:]:
        portal.edit(url[len(prefix):], "<p>本页内容已更新。</p>")
    out["edited"] = changed
    run("changed")
    return out


def test_an_unchanged_portal_gives_exactly_the_same_findings_all_open(runs):
    assert runs["first"] and set(runs["unchanged"]) == set(runs["first"])
    assert {f["status"] for f in runs["unchanged"].values()} == {"open"}


def test_the_unchanged_run_costs_304s_and_takes_checks_over(runs):
    db = runs["db"]
    pages = db.execute("SELECT COUNT(*), COUNT(carried_from) FROM pages WHERE run_id = 2").fetchone()
    assert pages[0] == db.execute("SELECT COUNT(*) FROM pages WHERE run_id = 1").fetchone()[0]
    assert pages[1] >= 0.9 * pages[0]
    answered = dict(db.execute("SELECT status, COUNT(*) FROM requests WHERE run_id = 2 AND purpose IN ('home', 'page')"
                               " GROUP BY status"))
    assert answered[304] >= pages[1]   # (and a few pages out of scope, fetched only)
    # no sitemap (this portal serves none): every page is asked, none carried by a lastmod
    assert not db.execute("SELECT COUNT(sitemap_lastmod) FROM fetches WHERE run_id = 2").fetchone()[0]
    bytes_ = [db.execute("SELECT SUM(bytes) FROM requests WHERE run_id = ?", (r,)).fetchone()[0] for r in (1, 2)]
    assert bytes_[1] < 0.1 * bytes_[0]
    # successful external and attachment checks are taken over, saying when they were verified;
    # failures are checked again
    cached = db.execute("SELECT f2.url, f2.verified_at, f1.verified_at, f2.outcome FROM fetches f2 JOIN fetches f1"
                        " ON f1.url = f2.url AND f1.run_id = 1 WHERE f2.run_id = 2 AND f2.cached = 1").fetchall()
    assert cached and all(v2 == v1 and outcome == "ok" for _, v2, v1, outcome in cached)
    assert not db.execute("SELECT COUNT(*) FROM requests r JOIN fetches f ON f.url = r.url AND f.run_id = 2"
                          " WHERE r.run_id = 2 AND f.cached = 1").fetchone()[0]
    failed = [u for (u,) in db.execute("SELECT url FROM fetches WHERE run_id = 1 AND outcome != 'ok'"
                                       " AND kind IN ('attachment', 'external')")]
    assert failed and all(db.execute("SELECT COUNT(*) FROM requests WHERE run_id = 2 AND url = ?", (u,)).fetchone()[0]
                          for u in failed)


def test_changed_pages_are_parsed_afresh_and_only_the_planted_change_shows(runs, portal):
    db = runs["db"]
    fresh = {u for (u,) in db.execute("SELECT url FROM pages WHERE run_id = 3 AND carried_from IS NULL")}
    assert set(runs["edited"]) <= fresh
    new = {k: f for k, f in runs["changed"].items() if k not in runs["unchanged"]}
    assert [(f["check"], f["url"], f["page"], f["status"]) for f in new.values()] == [
        ("link.broken", portal.url("/xxgk/planted-gone.html"), runs["planted_page"], "new")]
    assert set(runs["unchanged"]) <= set(runs["changed"])
    assert {f["status"] for k, f in runs["changed"].items() if k not in new} == {"open"}


def test_a_carried_pages_links_are_stored_as_its_parse_stored_them(runs):
    """The store copies a 304 page's link rows from the previous run: the same rows, in the
    same order, page by page; a page parsed afresh has its own."""
    db = runs["db"]
    first, unchanged, changed = (link_rows(db, r) for r in (1, 2, 3))
    assert first and unchanged == first
    carried = {u for (u,) in db.execute("SELECT url FROM pages WHERE run_id = 3 AND carried_from IS NOT NULL")}
    assert carried and all(changed[u] == first[u] for u in carried if u in first)
    planted = [r[2] for r in changed[runs["planted_page"]]]
    assert any(t.endswith("/xxgk/planted-gone.html") for t in planted)
    assert not any(t.endswith("/xxgk/planted-gone.html") for t in (r[2] for r in first[runs["planted_page"]]))


def _two_runs(tmp, sites, extra_second: str = "", **crawl):
    cfg = write_config(tmp / "c.yaml", sites, store=tmp / "a.db", crawl=crawl or None)
    for n, extra in ((1, ""), (2, extra_second)):
        if extra:
            cfg.write_text(cfg.read_text(encoding="utf-8").replace("sites:", extra + "\nsites:", 1), encoding="utf-8")
        result = run_cli("run", "-c", str(cfg), "-o", str(tmp / f"out{n}"), "--no-progress")
        assert result.returncode == 0, result.stderr
    return sqlite3.connect(tmp / "a.db")


def test_crawl_processes_carry_links_from_the_store_into_their_part_files(tmp_path, sample_server):
    """With two crawl processes each writes a part file of its own: the links of its 304 pages
    come from the store's previous run (attached), and the merged run holds them once."""
    with served("bench", pages=300, hosts=("127.0.0.1",), port=0) as bench:
        sample_server.reset()
        sites = [("临沂市政府", sample_server.base_url), ("友邻站", bench.base_url)]
        db = _two_runs(tmp_path, sites, processes=2)
    carried = dict(db.execute("SELECT site, COUNT(carried_from) FROM pages WHERE run_id = 2 GROUP BY site"))
    assert carried.get("临沂市政府") and carried.get("友邻站")
    assert link_rows(db, 2) == link_rows(db, 1)


def test_links_this_run_makes_otherwise_are_stored_as_made_not_copied(tmp_path, sample_server):
    """A config change that makes a carried page's links differ (a host now the site's own): the
    page is still carried, but its link rows are the ones this run makes, not the stored ones."""
    sample_server.reset()
    spam = sample_server.base_url.replace("127.0.0.1", "127.0.0.3")
    name, url = "临沂市政府", sample_server.base_url
    db = _two_runs(tmp_path, [(name, url)])
    cfg = tmp_path / "c.yaml"
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(text.replace(f"{{name: '{name}', url: '{url}'}}",
                                f"{{name: '{name}', url: '{url}', allowed_domains: ['127.0.0.3']}}"), encoding="utf-8")
    sample_server.reset()
    result = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out3"), "--no-progress")
    assert result.returncode == 0, result.stderr
    before, after = link_rows(db, 2), link_rows(db, 3)
    carried = {u for (u,) in db.execute("SELECT url FROM pages WHERE run_id = 3 AND carried_from IS NOT NULL")}
    moved = {page for page, rows in before.items() for r in rows if r[2].startswith(spam) and r[8] == "external"
             and page in carried}
    assert moved
    for page in moved:
        assert [r[:8] + r[9:] for r in after[page]] == [r[:8] + r[9:] for r in before[page]]
        assert {r[8] for r in after[page] if r[2].startswith(spam)} == {"page"}
    assert all(after[u] == before[u] for u in carried - moved if u in before)
