"""Issue 10 on the saved real pages (``../shared/real-pages``, read in place; skipped with the
reason when absent): the main list of a real TRS list page and of a real disclosure home
(tab panels included), the pager of a real TRS list, ``link.wrong``'s naming rule on real
titles — two different documents are a wrong link, the same document under its other forms
never is — and a real audit of the 邯郸 disclosure platform's saved pages (columns, items,
coverage, column findings). ``python -m tests.realpages`` prints the reading figures."""

from __future__ import annotations

import json
import re
from datetime import date

from checks.columns import columns
from checks.registry import AuditContext
from crawler.spiders.portal import DISCLOSURE_ANCHORS, disclosure_link
from store import Store
from tests.conftest import read_findings
from tests.realpages import AUDIT_DATE, audit_host, corpus, read_list, site_links, title_scores


def lists():
    return [p for p in corpus() if p.label["type"] == "list"]


def test_the_main_list_of_real_list_pages_is_read_as_labelled():
    assert {p.id for p in lists()} == {"hd-index", "hd-list"}
    for page in lists():
        got, lab = read_list(page), page.label
        assert got.entries == lab.get("entries", lab["dated_items"]), page.id
        assert got.items == lab["items"] == lab["dated_items"], page.id
        if lab.get("visible_items") is not None:     # the rest sit in display:none tab panels
            assert got.visible == lab["visible_items"], page.id


def test_the_real_trs_pager_announces_every_page():
    for page in lists():
        got, lab = read_list(page), page.label
        assert len(got.pages) == (lab.get("page_count") or 1), page.id
        if lab.get("next_page"):
            assert got.pages[1] == lab["next_page"] and got.pages[-1] == lab["last_page"]


def test_two_different_real_documents_of_one_site_are_a_wrong_link():
    """Every pair of different documents saved from one host (9 gov.cn policies of the
    国务院 and its 办公厅, two years' 统计公报 of 万载县, the 宜春市 and the 江西省 公报):
    one's title as the anchor of a link to the other is a wrong link, unless the anchor is
    too short to name a document (专利代理条例: fewer than 8 Chinese characters)."""
    scores = title_scores()
    assert scores.pairs >= 80 and not scores.missed


def test_a_real_document_under_its_other_forms_is_no_wrong_link():
    """The title itself, with the site's suffix, cut short (… or ...), and its 《》 name
    when the title only frames it (关于印发《X》的通知)."""
    scores = title_scores()
    assert scores.forms >= 280 and not scores.flagged


def test_the_real_trs_disclosure_home_gives_its_columns_items_and_full_coverage(tmp_path):
    """The 邯郸 政府信息公开 platform (TRS; its saved home, list, article and 公开指南 pages)
    audited for real, as configured by a user who names only the home page: the home is
    found to be the 政府信息公开 page, the columns it names are found with their kinds, the list column
    has the one item its saved list shows, every in-scope page answering is parsed, and the
    only column finding is the list that is stale at the audit date — not the 公开指南 hub,
    whose undated links are its menu."""
    home = next(p for p in corpus() if p.id == "hd-index")
    out = audit_host(home.host, tmp_path, only="column")
    db = Store(tmp_path / "audit.db")
    try:
        site = db.query("SELECT disclosure_url, stats_json FROM run_sites")[0]
        assert site["disclosure_url"] == home.url      # the platform's home is its 政府信息公开 page
        stats = json.loads(site["stats_json"])
        same_host = {url: kind for kind, url in home.label["columns"].items() if url.startswith(home.url)}
        assert {url: stats["columns"].get(url) for url in same_host} == same_host
        assert stats["coverage"]["fetched"] == stats["coverage"]["parsed"] >= 4 and not stats["unparsed"]
        ctx = AuditContext(db, 1, date.fromisoformat(AUDIT_DATE), {}, None, None, {}, {})
        listed = next(p for p in corpus() if p.id == "hd-list")
        items = {c.url: c.items for c in columns(ctx)}
        assert items[listed.url.removesuffix("index.html")] == listed.label["items"]
    finally:
        db.close()
    found = {(f["check"], f["url"]) for f in read_findings(out)}
    assert found == {("column.stale", listed.url.removesuffix("index.html"))}


def test_the_disclosure_column_is_never_one_of_its_parts_on_real_templates():
    """The link a real template's navigation names 政府信息公开 (or 信息公开, 政务公开) is the
    column, not its 公开指南, its 年报 or a department's 信息公开目录 listed before it."""
    picks = {p.id: disclosure_link(site_links(p)) for p in corpus()}
    by_id = {p.id: p for p in corpus()}
    assert picks["hd-index"] == by_id["hd-index"].url               # 政府信息公开 → the platform itself
    assert picks["wanzai-2022"] == picks["wanzai-2015"]             # one site, one column (政务公开)
    assert sum(bool(url) for url in picks.values()) >= 40
    for pid, url in picks.items():
        if url:   # some link to it is named as the column, none only as a part of it
            names = [a for a, u in site_links(by_id[pid]) if u == url and any(w in a for w in DISCLOSURE_ANCHORS)]
            assert any(not re.search(r"指南|年报|部门信息公开", a) for a in names), (pid, url, names)
