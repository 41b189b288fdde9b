"""Incremental runs: conditional requests, carried 304 pages and cached successful checks give the
same findings as a full crawl; a changed page is parsed afresh and only its change shows."""

from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import read_findings, run_cli, served, write_config


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
