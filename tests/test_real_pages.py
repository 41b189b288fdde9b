"""How the saved real government pages are read, field by field, against their hand labels.

The pages live beside the repository (``../shared/real-pages``, third-party data, never
copied here); every test skips with the reason when the folder is absent. Per field: the
share of the pages showing it that are read right (title: of all pages) is at least
``THRESHOLD`` and no page gets a value its label does not show; per page: every page is
read exactly as labelled, so that a regression names the page.
"""

from __future__ import annotations

import pytest

from tests import realpages

THRESHOLD = 0.95
FIELDS = ("title", "publish_date", "written_date", "index_no", "publisher", "doc_no")

@pytest.fixture(scope="module")
def scores():
    return realpages.score(realpages.corpus())


def _describe(rows) -> str:
    return "\n".join(f"  {pid}: labelled {want!r}, read {have!r}" for pid, want, have in rows)


@pytest.mark.parametrize("name", FIELDS)
def test_field_is_read_right_on_nearly_every_page_that_shows_it(scores, name):
    fs = scores.fields[name]
    assert fs.shown, f"no page of the corpus shows {name}"
    assert fs.right / fs.shown >= THRESHOLD, f"{name}: {fs.right}/{fs.shown} right\n{_describe(fs.wrong)}"


@pytest.mark.parametrize("name", FIELDS)
def test_no_page_gets_a_value_it_does_not_show(scores, name):
    invented = scores.fields[name].invented
    assert not invented, f"{name} read where the page shows none: {invented}"


@pytest.mark.parametrize("name", FIELDS)
def test_every_page_reads_as_labelled(scores, name):
    wrong = scores.fields[name].wrong
    assert not wrong, f"{name} read wrong on:\n{_describe(wrong)}"


def test_an_article_with_a_dated_sidebar_or_font_buttons_is_no_list(scores):
    assert scores.articles_as_lists == []


def test_a_list_page_with_dated_entries_reads_as_a_list():
    lists = [p for p in realpages.corpus() if p.label["type"] == "list" and (p.label.get("dated_items") or 0) >= 3]
    assert lists, "the corpus has a list page with dated entries"
    assert [p.id for p in lists if not realpages.read(p).is_list] == []


def _page(pid: str) -> realpages.Page:
    return next(p for p in realpages.corpus() if p.id == pid)


@pytest.mark.parametrize("pid, field, value", [
    # 信息来源 / 来源 is the outlet, kept apart from the 发布机构
    ("zjfgw-deqing", "来源", "省发改委"),
    ("mhx-jchhp", "来源", "本网"),
    # 信息索引 is the 索引号; a header row of labels with the values in the next row
    ("mhx-wjmoe", "索引号", "360A12-07-2024-0008-1"),
    ("mhx-lgcwsjkw.sh", "文号", "沪卫基层〔2024〕5号"),
    # 生成日期 stands in for the 成文日期 the table does not show
    ("wanzai-2022", "成文日期", "2023-05-11"),
])
def test_the_label_vocabulary_of_real_tables(pid, field, value):
    assert realpages.read(_page(pid)).meta.get(field) == value


def test_a_pubdate_meta_never_stands_for_the_shown_date():
    # wanzai-2015 shows 发布日期 2017-05-15; its PubDate meta says 2022-04-24 (republished)
    assert realpages.read(_page("wanzai-2015")).value("publish_date") == "2017-05-15"
    # wanzai-2022 shows no 发布日期: the PubDate meta is kept apart, not as the shown date
    meta = realpages.read(_page("wanzai-2022")).meta
    assert "发布日期" not in meta and meta["PubDate"].startswith("2023-08-16")


def test_script_in_a_cell_is_never_a_value():
    meta = realpages.read(_page("mhx-lklhfss")).meta
    assert "文号" not in meta and not any("document.write" in v for v in meta.values())
