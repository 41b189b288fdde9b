"""crawler.settle: a page's column and list date do not depend on the order links were followed."""

from __future__ import annotations

import itertools

from crawler.settle import settle_pages

COLUMNS = {"http://a/xxgk/zcwj/": "policy", "http://a/xxgk/bszn/": "guide", "http://a/xxgk/zcwj/jd/": "interpretation"}


def page(url, kind=None, column_url=None, list_date=None, is_list=False):
    return {"url": url, "column_kind": kind, "column_url": column_url, "list_date": list_date, "is_list": is_list}


def link(target, source, list_date=None):
    return {"target_url": target, "source_url": source, "list_date": list_date}


def settle(pages, links):
    return {c["url"]: (c["column_kind"], c["column_url"], c["list_date"])
            for c in settle_pages(pages, sorted(links, key=lambda r: (r["target_url"], r["source_url"])), COLUMNS)}


def test_the_longest_column_directory_wins_over_what_the_crawl_knew_then():
    pages = [page("http://a/xxgk/zcwj/jd/1.html", "policy", "http://a/xxgk/zcwj/")]
    assert settle(pages, []) == {"http://a/xxgk/zcwj/jd/1.html": ("interpretation", "http://a/xxgk/zcwj/jd/", None)}


def test_a_page_outside_every_column_takes_the_column_of_the_lists_listing_it():
    lists = [page("http://a/xxgk/zcwj/index.html", "policy", "http://a/xxgk/zcwj/", is_list=True),
             page("http://a/xxgk/bszn/index.html", "guide", "http://a/xxgk/bszn/"),
             page("http://a/xxgk/bszn/2.html", "guide", "http://a/xxgk/bszn/")]
    art = "http://a/art/2024/5/1/art_1.html"
    links = [link(art, "http://a/xxgk/zcwj/index.html", "2024-05-01"),      # listed, dated
             link(art, "http://a/xxgk/bszn/index.html"), link(art, "http://a/xxgk/bszn/2.html"),   # sidebars
             link(art, "http://a/", "2024-04-30")]                          # the home page's news list
    for crawl_gave in ("guide", None, "policy"):
        got = settle([*lists, page(art, crawl_gave, None, "2024-04-30")], links)
        expected = ("policy", "http://a/xxgk/zcwj/", "2024-05-01")   # the date of its own column's list
        assert got.get(art, expected) == expected


def test_the_same_facts_in_any_order_give_the_same_answer():
    art = "http://a/site/jiucuo.html"
    pages = [page("http://a/xxgk/zcwj/1.html", "policy", "http://a/xxgk/zcwj/"),
             page("http://a/xxgk/bszn/1.html", "guide", "http://a/xxgk/bszn/")]
    links = [link(art, "http://a/xxgk/zcwj/1.html"), link(art, "http://a/xxgk/bszn/1.html")]
    answers = set()
    for crawl_gave in ("policy", "guide"):
        for order in itertools.permutations(pages):
            got = settle([*order, page(art, crawl_gave, None)], links)
            answers.add(got.get(art, (crawl_gave, None, None)))
    assert answers == {(None, None, None)}    # linked from pages of two columns: a template's link


def test_a_page_no_column_page_links_keeps_what_the_crawl_gave():
    pages = [page("http://a/other/1.html", "notice", "http://a/tzgg/", "2024-01-02")]
    assert settle(pages, [link("http://a/other/1.html", "http://a/other/index.html")]) == {}


def test_a_list_page_outweighs_the_sidebars_of_other_columns_articles():
    cols = [page("http://a/xxgk/bszn/index.html", "guide", "http://a/xxgk/bszn/", is_list=True)]
    sidebars = [page(f"http://a/xxgk/zcwj/{i}.html", "policy", "http://a/xxgk/zcwj/") for i in range(5)]
    art = "http://a/art/1.html"
    links = [link(art, "http://a/xxgk/bszn/index.html", "2024-03-01"),
             *(link(art, p["url"], "2024-03-02") for p in sidebars)]
    assert settle([*cols, *sidebars, page(art, "policy", "http://a/xxgk/zcwj/", "2024-03-02")], links) == {
        art: ("guide", "http://a/xxgk/bszn/", "2024-03-01")}
