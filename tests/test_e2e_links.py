"""End to end: the real CLI crawls the sample portal on loopback and must report every
planted link defect and nothing else (the look-alikes stay quiet)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.conftest import read_findings, run_cli, unlabeled_evidence, write_config

LINK_CODES = ("link.broken", "attachment.broken", "link.redirect-loop", "link.redirect-chain", "link.soft404",
              "link.wrong", "link.hidden", "link.inconclusive", "site.unreachable")


@pytest.fixture(scope="module")
def audit(tmp_path_factory, sample_server, dead_port):
    sample_server.reset()
    tmp = tmp_path_factory.mktemp("links")
    store = tmp / "audit.db"
    cfg = write_config(tmp / "c.yaml", [("临沂市政府", sample_server.base_url),
                                        ("无法访问站", f"http://127.0.0.1:{dead_port}/")], store=store)
    result = run_cli("run", "-c", str(cfg), "-o", str(tmp / "out"), "--no-progress",
                     "--only", ",".join(LINK_CODES))
    assert result.returncode == 0, result.stderr
    db = sqlite3.connect(store)
    db.row_factory = sqlite3.Row
    return {"out": tmp / "out", "db": db, "stderr": result.stderr, "findings": read_findings(tmp / "out"),
            "dead": f"http://127.0.0.1:{dead_port}/"}


def test_exactly_the_planted_link_defects(audit, sample_server):
    got = sorted((f["check"], f["url"]) for f in audit["findings"])
    expected = {(e.check, e.url) for e in sample_server.expected if e.check in LINK_CODES}
    expected.add(("site.unreachable", audit["dead"]))
    # a page over crawl.max_page_size is reported as inconclusive, never as broken
    expected.add(("link.inconclusive", sample_server.url("/xxgk/ndbg/2023qw.html")))
    assert got == sorted(expected)


def test_findings_contract_fields(audit):
    for f in audit["findings"]:
        assert set(f) >= {"check", "severity", "site", "url", "page", "anchor", "message", "evidence",
                          "fingerprint", "run_id"}
        assert f["severity"] in ("error", "warning", "info")
        assert f["message"] and any("\u4e00" <= c <= "\u9fff" for c in f["message"])
    unreachable = [f for f in audit["findings"] if f["check"] == "site.unreachable"]
    assert unreachable[0]["site"] == "无法访问站" and unreachable[0]["page"] is None


def test_a_footer_link_broken_on_every_article_is_one_finding_with_the_pages(audit, sample_server):
    footer = [f for f in audit["findings"] if f["url"] == sample_server.url("/site/jiucuo.html")]
    assert len(footer) == 1
    linked = footer[0]["evidence"]["linked_from"]
    assert linked["count"] > 10 and len(linked["pages"]) == 10
    assert footer[0]["anchor"] == "我要纠错"
    assert footer[0]["evidence"]["status"] == 404 and footer[0]["evidence"]["attempts"] == 1


def test_broken_evidence_says_which_failure(audit, sample_server):
    by_url = {f["url"]: f["evidence"] for f in audit["findings"] if f["check"] == "link.broken"}
    assert by_url["http://dead-host.invalid/"]["outcome"] == "dns"
    # the reason in words, not the resolver's English
    assert by_url["http://dead-host.invalid/"]["error"] == \
        "域名 dead-host.invalid 无法解析（没有查到该域名的地址记录：域名不存在或未配置解析）"
    assert by_url[sample_server.url("/ysqgk/apply.jsp")]["status"] == 500
    assert by_url[sample_server.url("/ysqgk/apply.jsp")]["attempts"] == 2   # retried once
    assert by_url[sample_server.url("/oldoa/view.html")]["outcome"] == "timeout"
    refused = [e for u, e in by_url.items() if e["outcome"] == "refused"]
    assert len(refused) == 1
    assert by_url["http://exa mple.gov.cn:abc/x"]["outcome"] == "invalid_url"


def test_redirects_are_recorded_hop_by_hop(audit, sample_server):
    chain = next(f for f in audit["findings"] if f["check"] == "link.redirect-chain")
    hops = chain["evidence"]["redirects"]
    assert [h["status"] for h in hops] == [301, 302, 307, 308, 200]
    loop = next(f for f in audit["findings"] if f["check"] == "link.redirect-loop")
    assert [h["url"] for h in loop["evidence"]["redirects"]][-1] == loop["url"]


def test_look_alikes_were_fetched_and_judged_fine(audit, sample_server):
    db = audit["db"]
    fetch = {r["url"]: r for r in db.execute("SELECT * FROM fetches")}
    looks = sample_server.lookalikes
    retry_after = fetch[looks["429-retry-after"]] if "429-retry-after" in looks else fetch[
        sample_server.url("/hdjl/zxft/index.html")]
    assert retry_after["outcome"] == "ok" and retry_after["attempts"] == 2
    slow = fetch[sample_server.url("/zjly/lyfg/index.html")]
    assert slow["outcome"] == "ok" and slow["elapsed"] >= 2.5
    moved = fetch[sample_server.url("/r/moved.html")]
    assert moved["outcome"] == "ok" and len(json.loads(moved["redirects_json"])) == 2
    head405 = [r for r in fetch.values() if r["kind"] == "attachment" and r["outcome"] == "ok"
               and r["method"] == "GET"]
    assert head405, "an attachment refusing HEAD is checked with a ranged GET"
    assert not any("/private/old.html" in u for u in fetch), "robots.txt is obeyed"
    calendar = [u for u in fetch if "/cal/" in u]
    assert 0 < len(calendar) <= 14, "the calendar trap is cut off"
    skipped = {r["kind"] for r in db.execute("SELECT kind FROM links WHERE kind IN ('mailto','tel','javascript','anchor')")}
    assert skipped == {"mailto", "tel", "javascript", "anchor"}
    assert not any(u.startswith(("mailto:", "tel:", "javascript:")) for u in fetch)


def test_gbk_pages_decode_and_binary_and_malformed_pages_do_not_break_the_run(audit, sample_server):
    db = audit["db"]
    gbk = db.execute("SELECT url, title, charset FROM pages WHERE charset = 'gb18030'").fetchall()
    assert len(gbk) >= 3
    for row in gbk:
        assert any("\u4e00" <= c <= "\u9fff" for c in row["title"]), row["url"]
    binary = db.execute("SELECT * FROM fetches WHERE url = ?",
                        (sample_server.url("/uploads/banner_20240301.html"),)).fetchone()
    assert binary["outcome"] == "ok" and "二进制" in binary["error"]
    # the one in-scope page of the portal that cannot be parsed, and the run says so
    assert binary["unparsed"] == "non-HTML"
    assert db.execute("SELECT COUNT(*) FROM fetches WHERE unparsed IS NOT NULL").fetchone()[0] == 1
    assert "已获取未解析 1（非网页内容 1" in audit["stderr"]
    assert "采集覆盖不完整" in (audit["out"] / "report.html").read_text(encoding="utf-8")
    run = db.execute("SELECT * FROM runs").fetchone()
    assert run["status"] == "completed" and run["audit_date"] == "2024-06-30"
    assert json.loads(run["versions_json"])["scrapy"]


def test_hanweb_column_articles_and_trs_pagination_are_crawled(audit, sample_server):
    db = audit["db"]
    urls = {r["url"] for r in db.execute("SELECT url FROM pages")}
    assert sample_server.url("/xxgk/zcwj/index_1.html") in urls, "createPageHTML pagination"
    assert sample_server.url("/xxgk/zcwj/index_2.html") in urls
    assert any("/art/" in u for u in urls), "Hanweb articles of a department column"
    assert sample_server.url("/col/col1234/index.html?page=2") in urls


def test_outputs_and_csv_bom(audit):
    out = audit["out"]
    assert (out / "report.html").stat().st_size > 1000
    raw = (out / "findings.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "链接无法访问" in raw.decode("utf-8-sig")


def test_every_request_is_a_row_and_none_is_repeated(audit, sample_server):
    db = audit["db"]
    requests = db.execute("SELECT * FROM requests").fetchall()
    sent = {(r["url"], r["method"]) for r in requests}
    # every fetch row (each hop of its redirect chain) was a request sent and recorded
    for f in db.execute("SELECT * FROM fetches WHERE kind != 'invalid'"):
        hops = [h["url"] for h in json.loads(f["redirects_json"])] or [f["url"]]
        assert all(any(u == h for u, _ in sent) for h in hops), f["url"]
    # the server saw exactly what the store says was sent
    assert {r["purpose"] for r in requests} >= {"home", "page", "attachment", "external", "probe", "robots"}
    robots = [r for r in requests if r["purpose"] == "robots"]
    assert robots and all(r["url"].endswith("/robots.txt") and r["site"] == "临沂市政府" for r in robots
                          if "127.0.0.1:" + str(sample_server.port) in r["url"])
    # no URL twice except retries (and the ranged GET after a refused HEAD), not even a redirect's
    # target that is also linked directly (/r/chain-… → /xxgk/zcjd/index.html): one answer for both
    twice = {u for (u, n) in db.execute("SELECT url, COUNT(*) FROM requests WHERE retry = 0 GROUP BY url")
             if n > 1}
    assert not twice, twice
    target = db.execute("SELECT * FROM fetches WHERE url = ?", (sample_server.url("/xxgk/zcjd/index.html"),)).fetchone()
    chain = db.execute("SELECT * FROM fetches WHERE url = ?", (sample_server.url("/r/chain-1.html"),)).fetchone()
    assert target["outcome"] == chain["outcome"] == "ok" and target["redirects_json"] == "[]"
    assert json.loads(chain["redirects_json"])[-1] == {"url": target["url"], "status": 200}
    assert (chain["final_url"], chain["title"], chain["text_hash"]) == (target["url"], target["title"], target["text_hash"])
    retried = {r["url"] for r in requests if r["retry"]}
    assert retried and all(db.execute("SELECT COUNT(*) FROM requests WHERE url = ?", (u,)).fetchone()[0] > 1
                           for u in retried)
    # reading attachments is a gather stage of its own, run only for checks that require
    # attachment or document texts (the content tests cover the one-GET read): this link-only
    # run reads none, and checks every attachment without downloading it
    assert db.execute("SELECT COUNT(*) FROM attachment_texts").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM fetches WHERE kind = 'attachment' AND method = 'GET' AND status = 200"
                      ).fetchone()[0] == 0


def test_every_evidence_fact_has_a_chinese_label(audit):
    """The report shows each fact of a finding's evidence under a Chinese label (reports/evidence.py)."""
    assert audit["findings"] and not unlabeled_evidence(audit["findings"])
