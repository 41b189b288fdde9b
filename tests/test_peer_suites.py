"""The peers' link-checking suites, re-implemented (tests/peers/cases.py): LinkChecker's
``tests/checker/data`` files and lychee's fixtures and extractor tests, each a site of one
audit on loopback. Per case, the links extracted and the verdict on each are asserted
exactly; the differences from the peers are deliberate and listed in the README."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.peers.cases import DIFFERENCES, OURS, PEER_CASES
from tests.peers.harness import Score, expected, run_audit, score, verdicts

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(scope="module")
def audit(tmp_path_factory):
    result = run_audit(PEER_CASES + OURS, tmp_path_factory.mktemp("peers"))
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.parametrize("case", PEER_CASES + OURS, ids=lambda c: f"{c.peer}-{c.name}")
def test_links_and_verdicts_per_case(audit, case):
    got = verdicts(audit, case)
    assert {href: verdict for href, (verdict, _) in got.items()} == expected(audit, case)
    for link in case.links:
        if link.line is not None:
            assert got[audit.server.render(link.href)][1] == link.line, link.href


def test_against_the_peers_own_expectations(audit):
    total = Score()
    for case in PEER_CASES:
        total.add(score(audit, case))
    assert total.links >= 150 and total.extracted / total.links >= 0.95, total
    assert total.matched / total.decidable >= 0.93, total


def test_every_difference_is_listed_in_the_readme():
    section = README.read_text(encoding="utf-8").split("### Links", 1)[1].split("\n### ", 1)[0]
    used = {link.why for case in PEER_CASES for link in (*case.links, *case.extra) if link.why}
    assert used == set(DIFFERENCES)
    for why in used:
        assert f"- {DIFFERENCES[why]}" in section, why


def _fetch(audit, url):
    return audit.db.execute("SELECT * FROM fetches WHERE url = ?", (url,)).fetchone()


def test_meta_refresh_and_script_redirects_are_hops_and_the_target_is_the_page(audit):
    for name, via, target in (("refresh", "meta refresh", "real.html"), ("script_redirect", "script", "target.html")):
        start = f"{audit.server.site}/ours/{name}/index.html"
        hops = json.loads(_fetch(audit, start)["redirects_json"])
        assert hops[0] == {"url": start, "status": 200, "via": via}
        assert hops[-1]["url"] == f"{audit.server.site}/ours/{name}/{target}" and hops[-1]["status"] == 200
        page = audit.db.execute("SELECT * FROM pages WHERE url = ?", (start,)).fetchone()
        assert page["final_url"].endswith(target)
    conditional = _fetch(audit, f"{audit.server.site}/ours/conditional_redirect/index.html")
    assert conditional["redirects_json"] == "[]"


def test_a_start_page_robots_txt_disallows_is_not_checked_and_names_the_rule(audit):
    start = f"{audit.server.site}/ours/robots_home/index.html"
    mine = [f for f in audit.findings if f["site"] == "ours/robots_home"]
    assert [f["check"] for f in mine] == ["link.inconclusive"]
    assert "Disallow: /ours/robots_home/" in mine[0]["message"] and mine[0]["url"] == start


def test_percent_escapes_that_are_not_utf8_are_kept_byte_for_byte(audit):
    base = f"{audit.server.site}/ours/gbk/"
    urls = {r["url"] for r in audit.db.execute("SELECT url FROM fetches WHERE url LIKE ?", (base + "%",))}
    assert {base + "search.html?kw=%B9%AB%BF%AA", base + "list.html?q=%FF", base + "list.html?q=%FC",
            base + "a//b.html", base + "find.html?kw=%B9%AB%BF%AA"} <= urls   # as a browser on a GBK page


def test_invalid_links_say_why_and_ftp_is_inconclusive(audit):
    errors = {r["url"]: (r["outcome"], r["error"]) for r in audit.db.execute(
        "SELECT url, outcome, error FROM fetches WHERE site = 'ours/unfollowable'")}
    assert errors["file:///C:/docs/a.doc"][0] == "invalid_url" and "file:" in errors["file:///C:/docs/a.doc"][1]
    assert "拼写错误" in errors["htp://www.example.gov.cn/"][1] and "拼写错误" in errors["https;//www.example.gov.cn/"][1]
    assert errors["ftp://127.0.0.1/pub/a.txt"][0] == "error"
    broken = {f["url"] for f in audit.findings if f["check"] == "link.broken" and f["site"] == "ours/unfollowable"}
    assert broken == {"file:///C:/docs/a.doc", "htp://www.example.gov.cn/", "https;//www.example.gov.cn/",
                      "D:\\文件\\a.doc", "http://"}


def test_a_broken_page_resource_names_its_element(audit):
    finding = next(f for f in audit.findings if f["check"] == "link.broken" and f["url"].endswith("/missing.png"))
    assert {k: finding["evidence"]["linked_from"]["pages"][0][k] for k in ("tag", "attr")} == {"tag": "css",
                                                                                             "attr": "url"}
    assert finding["page"].endswith("/ours/stylesheet/site.css")


def test_anchor_missing_is_one_warning_per_target_and_fragment(audit):
    missing = [f for f in audit.findings if f["check"] == "link.anchor-missing" and f["site"] == "linkchecker/allrefs"]
    assert sorted(re.sub(r"^.*/", "", f["url"]) for f in missing) == ["allrefs1.html#onebroken",
                                                                        "allrefs2.html#twobroken"]
    onebroken = next(f for f in missing if f["url"].endswith("#onebroken"))
    assert onebroken["severity"] == "warning" and onebroken["evidence"]["available"] == ["oneone"]
    assert onebroken["evidence"]["linked_from"]["count"] == 1
