"""Issue 10 on the saved real pages (``../shared/real-pages``, read in place; skipped with the
reason when absent): the main list of a real TRS list page and of a real disclosure home
(tab panels included), the pager of a real TRS list, ``link.wrong``'s naming rule on real
titles — two different documents are a wrong link, the same document under its other forms
never is — and a real audit of the 邯郸 disclosure platform's saved pages (columns, items,
coverage, column findings). ``python -m tests.realpages`` prints the reading figures."""

from __future__ import annotations

import itertools
import json
import re
from collections import defaultdict
from datetime import date

from checks.columns import columns
from checks.computed.titles import name_similarity, names_other_document, site_threshold
from checks.registry import AuditContext
from store import Store
from tests.conftest import read_findings
from tests.realpages import AUDIT_DATE, audit_host, corpus, read_list


def lists():
    return [p for p in corpus() if p.label["type"] == "list"]


def titled_articles():
    return [p for p in corpus() if p.label["type"] == "article" and p.label.get("title")]


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


def _bar(pages) -> float:
    return site_threshold(p.label["title"] for p in pages)


def test_two_different_real_documents_of_one_site_are_a_wrong_link():
    """Every pair of different documents saved from one host (9 gov.cn policies of the
    国务院 and its 办公厅, two years' 统计公报 of 万载县, the 宜春市 and the 江西省 公报):
    one's title as the anchor of a link to the other is a wrong link, unless the anchor is
    too short to name a document (专利代理条例: fewer than 8 Chinese characters)."""
    by_host = defaultdict(list)
    for page in titled_articles():
        by_host[page.host].append(page)
    pairs = missed = 0
    for pages in by_host.values():
        bar = _bar(pages)
        for a, b in itertools.permutations(pages, 2):
            anchor, title = a.label["title"], b.label["title"]
            if anchor == title or len(re.findall(r"[\u4e00-\u9fff]", anchor)) < 8:
                continue   # a derived copy of the same page; an anchor too short to judge
            pairs += 1
            missed += not names_other_document(anchor, title, bar)
    assert pairs >= 80 and missed == 0


def test_a_real_document_under_its_other_forms_is_no_wrong_link():
    """The title itself, with the site's suffix, cut short (… or ...), and its 《》 name
    when the title only frames it (关于印发《X》的通知)."""
    pages = titled_articles()
    bar = _bar(pages)
    forms = 0
    for page in pages:
        title = page.label["title"]
        anchors = [title, f"{title}_{page.host}"]
        if len(title) > 16:
            anchors += [title[:14] + "…", title[:12] + "..."]
        framed = re.fullmatch(r".*关于印发《([^》]+)》的通知", title)
        if framed:
            anchors += [framed.group(1), f"《{framed.group(1)}》"]
        for anchor in anchors:
            forms += 1
            assert not names_other_document(anchor, title, bar), (anchor, title, name_similarity(anchor, title))
    assert forms >= 280


def test_the_real_trs_disclosure_home_gives_its_columns_items_and_full_coverage(tmp_path):
    """The 邯郸 政府信息公开 platform (TRS; its saved home, list, article and 公开指南 pages)
    audited for real: the columns its home names are found with their kinds, the list column
    has the one item its saved list shows, every in-scope page answering is parsed, and the
    only column finding is the list that is stale at the audit date — not the 公开指南 hub,
    whose undated links are its menu."""
    home = next(p for p in corpus() if p.id == "hd-index")
    out = audit_host(home.host, tmp_path, disclosure=home.url, only="column")
    db = Store(tmp_path / "audit.db")
    try:
        stats = json.loads(db.query("SELECT stats_json FROM run_sites")[0]["stats_json"])
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
