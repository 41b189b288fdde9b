"""Incremental runs and sitemap lastmod: a page whose sitemap ``<lastmod>`` is at or before the
previous run's verification of it (and that verification less than ``recheck_after`` days old)
is carried without any request, with exactly the findings of a crawl that asked; a lastmod
that moved, that is in the future, unreadable or not before the verification, and a
verification too old, are requested as before. Real server, real CLI, loopback."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

import pytest

from portal_audit.sample.model import Resource
from portal_audit.sample.model import Response as SampleResponse
from tests.conftest import read_findings, run_cli, served, write_config
from tests.test_incremental import link_rows


@pytest.fixture(scope="module")
def portal():
    """The full sample portal with its sitemap (its TRS articles with their lastmod), of its own:
    the test edits its pages and their lastmods."""
    with served("full", sitemap=True) as srv:
        yield srv


@pytest.fixture(scope="module")
def runs(tmp_path_factory, portal):
    tmp = tmp_path_factory.mktemp("lastmod")
    cfg = write_config(tmp / "c.yaml", [("临沂市政府", portal.base_url)], store=tmp / "a.db")
    db = sqlite3.connect(tmp / "a.db", isolation_level=None)
    out = {"db": db}

    def run(name):
        portal.reset()
        result = run_cli("run", "-c", str(cfg), "-o", str(tmp / name), "--no-progress")
        assert result.returncode == 0, result.stderr
        out[name] = {f["fingerprint"]: f for f in read_findings(tmp / name)}
        out[f"{name} requests"] = list(portal.requests)
        out[f"{name} stderr"] = result.stderr

    listed = [path for path, _ in portal.portal.main.sitemap()]
    out["listed"] = [portal.url(quote(p)) for p in listed]   # as the sitemap names them
    future, garbage, expired, same_time, edited, lying = listed[1:24:4]
    out.update(future=portal.url(future), garbage=portal.url(garbage), expired=portal.url(expired),
               same_time=portal.url(same_time), edited=portal.url(edited), lying=portal.url(lying))
    now = datetime.now().astimezone().replace(microsecond=0)
    portal.set_lastmod(future, (now + timedelta(days=30)).isoformat())
    portal.set_lastmod(garbage, "上周三")
    portal.set_lastmod(same_time, (now - timedelta(days=1)).isoformat())
    run("first")
    # the first run verified one page in the very second of its lastmod (not strictly after it),
    # and another 8 days ago (crawl.recheck_after is 7): both are asked again
    db.execute("UPDATE fetches SET verified_at = ? WHERE run_id = 1 AND url = ?",
               ((now - timedelta(days=1)).isoformat(), out["same_time"]))
    db.execute("UPDATE fetches SET verified_at = ? WHERE run_id = 1 AND url = ?",
               ((now - timedelta(days=8)).isoformat(), out["expired"]))
    run("unchanged")
    portal.edit(edited, '<p><a href="/xxgk/planted-gone.html">新增的失效链接</a></p>')   # its lastmod moves
    portal.edit(lying, "<p>本页内容已更新。</p>", lastmod=False)                           # its lastmod lies
    run("changed")
    return out


def carried_by_lastmod(db, run_id: int) -> dict[str, tuple]:
    return {url: (lastmod, verified) for url, lastmod, verified in db.execute(
        "SELECT url, sitemap_lastmod, verified_at FROM fetches WHERE run_id = ? AND sitemap_lastmod IS NOT NULL",
        (run_id,))}


def requested(db, run_id: int) -> set[str]:
    return {u for (u,) in db.execute("SELECT url FROM requests WHERE run_id = ?", (run_id,))}


def test_an_unchanged_run_with_a_sitemap_asks_less_and_finds_exactly_the_same(runs):
    db = runs["db"]
    assert runs["first"] and set(runs["unchanged"]) == set(runs["first"])
    assert {f["status"] for f in runs["unchanged"].values()} == {"open"}
    pages = [{u for (u,) in db.execute("SELECT url FROM pages WHERE run_id = ?", (r,))} for r in (1, 2)]
    assert pages[1] == pages[0]
    assert link_rows(db, 2) == link_rows(db, 1)   # the same pages reached, the same links followed
    carried = carried_by_lastmod(db, 2)
    special = {runs[k] for k in ("future", "garbage", "expired", "same_time")}
    assert set(carried) == set(runs["listed"]) - special
    assert not set(carried) & requested(db, 2)    # not one request for them, not one on the wire
    assert not {path for _, _, path in runs["unchanged requests"]} & {urlsplit(u).path for u in carried}
    first = dict(db.execute("SELECT url, verified_at FROM fetches WHERE run_id = 1"))
    assert all(verified == first[url] for url, (_, verified) in carried.items())
    assert all(db.execute("SELECT carried_from FROM pages WHERE run_id = 2 AND url = ?", (u,)).fetchone()[0] == 1
               for u in carried)
    count = [db.execute("SELECT COUNT(*) FROM requests WHERE run_id = ?", (r,)).fetchone()[0] for r in (1, 2)]
    assert count[1] <= count[0] - len(carried)
    # the run summary says how many pages were carried, and how
    kept = db.execute("SELECT COUNT(carried_from) FROM pages WHERE run_id = 2").fetchone()[0]
    assert f"增量检查：{kept} 个页面未变化，沿用上次采集结果（{kept - len(carried)} 个答复 304，" \
           f"{len(carried)} 个依 sitemap lastmod 未再请求）" in runs["unchanged stderr"]
    assert "增量检查" not in runs["first stderr"]
    # the sitemap is asked with its validators: unchanged, it answers 304 and is read as stored
    sitemap = [r for r in runs["unchanged requests"] if r[2] == "/sitemap.xml"]
    assert len(sitemap) == 1 and "/sitemap.xml" in {p for _, _, p in runs["first requests"]}
    assert db.execute("SELECT status FROM requests WHERE run_id = 2 AND url LIKE '%/sitemap.xml'").fetchall() == [(304,)]
    assert db.execute("SELECT COUNT(lastmod) FROM links WHERE run_id = 2 AND tag = 'sitemap'").fetchone()[0] == len(
        runs["listed"])


def test_a_lastmod_that_cannot_be_trusted_or_an_old_verification_is_asked_again(runs):
    db = runs["db"]
    asked = dict(db.execute("SELECT url, status FROM requests WHERE run_id = 2"))
    for name in ("future", "garbage", "expired", "same_time"):
        assert asked.get(runs[name]) == 304, name
    # a verification by a request starts the TTL again
    verified = dict(db.execute("SELECT url, verified_at FROM fetches WHERE run_id = 2"))
    first = dict(db.execute("SELECT url, verified_at FROM fetches WHERE run_id = 1"))
    assert all(datetime.fromisoformat(verified[runs[k]]) > datetime.fromisoformat(first[runs[k]])
               for k in ("expired", "same_time"))


def test_an_edited_page_whose_lastmod_moved_is_read_again_and_its_defect_found(runs, portal):
    db = runs["db"]
    # the edit changed the sitemap (a lastmod moved): it is read afresh
    assert db.execute("SELECT status FROM requests WHERE run_id = 3 AND url LIKE '%/sitemap.xml'").fetchall() == [(200,)]
    assert dict(db.execute("SELECT url, status FROM requests WHERE run_id = 3")).get(runs["edited"]) == 200
    assert db.execute("SELECT carried_from FROM pages WHERE run_id = 3 AND url = ?",
                      (runs["edited"],)).fetchone()[0] is None
    new = {k: f for k, f in runs["changed"].items() if k not in runs["unchanged"]}
    assert [(f["check"], f["url"], f["page"], f["status"]) for f in new.values()] == [
        ("link.broken", portal.url("/xxgk/planted-gone.html"), runs["edited"], "new")]
    assert {f["status"] for k, f in runs["changed"].items() if k not in new} == {"open"}


def test_a_site_whose_lastmod_lies_is_stale_until_the_ttl_ends(runs):
    """The trade-off, documented: a page changed without its lastmod moving is carried as it
    was (no request) while its last verification is less than recheck_after days old."""
    db = runs["db"]
    assert runs["lying"] in carried_by_lastmod(db, 3) and runs["lying"] not in requested(db, 3)
    hashes = [db.execute("SELECT text_hash FROM fetches WHERE run_id = ? AND url = ?", (r, runs["lying"])).fetchone()[0]
              for r in (1, 3)]
    assert hashes[0] == hashes[1]


def test_obeying_robots_txt_the_sitemap_read_on_the_way_spares_the_same_pages(tmp_path):
    """robots.txt obeyed: the sitemap is read from the robots.txt the middleware fetched for the
    home page (the bench portal's sitemap index of two sitemaps), and an unchanged run asks none
    of the articles it lists, with the same findings."""
    with served("bench", pages=1500, hosts=("127.0.0.1",), port=0) as bench:
        cfg = write_config(tmp_path / "c.yaml", [("基准门户", bench.base_url)], store=tmp_path / "a.db",
                           crawl={"respect_robots": "true"})
        found = []
        for n in (1, 2):
            result = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / f"out{n}"), "--no-progress")
            assert result.returncode == 0, result.stderr
            found.append({f["fingerprint"]: f["status"] for f in read_findings(tmp_path / f"out{n}")})
        listed = {bench.url(quote(p)) for p, _ in bench.portal.main.sitemap()}
    db = sqlite3.connect(tmp_path / "a.db")
    assert len(listed) > 1000 and set(carried_by_lastmod(db, 2)) == listed
    assert not listed & requested(db, 2)
    assert found[0] and set(found[1]) == set(found[0]) and set(found[1].values()) == {"open"}
    statuses = dict(db.execute("SELECT url, status FROM requests WHERE run_id = 2 AND url LIKE '%sitemap%'"))
    assert sorted(statuses.values()) == [304, 304, 304] and len(statuses) == 3   # the index and its two


def site_stats(db, run_id: int) -> dict:
    return json.loads(db.execute("SELECT stats_json FROM run_sites WHERE run_id = ?", (run_id,)).fetchone()[0])


def test_pages_spared_by_lastmod_are_carried_by_carriers_with_their_stored_links_and_depths(runs):
    """The pages an unchanged site's sitemap spares take no request cycle each: carriers of their
    depth carry them in breadth-first order (crawler/lastmod.py), their link rows taken as stored
    (made from the same inputs), and each page keeps the column and list date of the run that
    asked for it. (A page's depth is the crawl's breadth-first order, which concurrent answers
    blur: a page or two of this portal are one level deeper or shallower from one run to the
    next, asked or carried alike.)"""
    db = runs["db"]
    carried = site_stats(db, 2)["carried"]
    spared = carried_by_lastmod(db, 2)
    assert carried["by_carrier"] == len(spared) > 50
    # every page carried takes its stored link rows as they are, but the home and disclosure pages
    # (read again for the columns they name)
    pages = db.execute("SELECT COUNT(carried_from) FROM pages WHERE run_id = 2").fetchone()[0]
    assert carried["links_taken"] >= pages - 2 and carried["links_taken"] + carried.get("links_made", 0) == pages
    assert carried["sitemaps_taken"] == 1   # the sitemap answered 304: its links taken as stored too
    facts = "SELECT url, column_kind, column_url, list_date, is_list FROM pages WHERE run_id = ? ORDER BY url"
    assert db.execute(facts, (2,)).fetchall() == db.execute(facts, (1,)).fetchall()


def test_a_page_robots_txt_now_forbids_is_not_carried_but_excluded_as_a_request_would_be(tmp_path):
    """robots.txt obeyed: a page its sitemap spares that robots.txt forbids since the last run is
    not carried (the robots.txt middleware's decision is asked before a carrier takes a page):
    it is excluded, as its request would be, and every other page is carried."""
    with served("bench", pages=600, hosts=("127.0.0.1",), port=0) as bench:
        cfg = write_config(tmp_path / "c.yaml", [("基准门户", bench.base_url)], store=tmp_path / "a.db",
                           crawl={"respect_robots": "true"})
        listed = sorted(quote(p) for p, _ in bench.portal.main.sitemap())
        forbidden = listed[len(listed) // 2]
        for n in (1, 2):
            if n == 2:
                rules = f"User-agent: *\nDisallow: {forbidden}\n"
                bench.portal.main.resources["/robots.txt"] = Resource(
                    handler=lambda req: SampleResponse(body=rules, content_type="text/plain"), page=False)
                bench.reset()
            result = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / f"out{n}"), "--no-progress")
            assert result.returncode == 0, result.stderr
        asked = {path for _, _, path in bench.requests}
    db = sqlite3.connect(tmp_path / "a.db")
    url = bench.url(forbidden)
    assert db.execute("SELECT outcome FROM fetches WHERE run_id = 2 AND url = ?", (url,)).fetchone() == ("excluded",)
    assert url not in carried_by_lastmod(db, 2) and forbidden not in asked and "/robots.txt" in asked
    # its requests row says robots.txt refused it, as for any page robots.txt forbids
    assert db.execute("SELECT status, error FROM requests WHERE run_id = 2 AND url = ?", (url,)).fetchall() == [
        (None, "IgnoreRequest: Forbidden by robots.txt")]
    assert set(carried_by_lastmod(db, 2)) == {bench.url(p) for p in listed} - {url}
    assert site_stats(db, 2)["carried"]["by_carrier"] == len(listed) - 1
