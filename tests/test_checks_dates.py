"""Unit tests of the date-based content checks: working days (春节, 调休), disclosure.late,
metadata.missing / metadata.inconsistent, column.empty / column.stale and site.home-stale,
run on small hand-made snapshots."""

from __future__ import annotations

import json
import random
import re
from datetime import date, timedelta

import pytest

from checks.computed.articles import signature_date
from checks.computed.columns import index_key
from checks.disclosure import DECISION_RE, is_decision, working_days
from checks.registry import CheckSettings, run_checks
from core.workdays import workdays_between
from store.db import Store


AUDIT = date(2024, 6, 30)
H = "http://gov.test"


class Snapshot:
    """A tiny stored run built by hand: pages, links and the site's column map."""

    def __init__(self, path, site: str = "s", disclosure: str = f"{H}/xxgk/", columns=None):
        self.store = Store(path)
        self.site = site
        self.run = self.store.begin_run(audit_date=AUDIT.isoformat(), config={}, options={}, versions={})
        self.store.set_run_site(self.run, site, url=f"{H}/", disclosure_url=disclosure, status="ok",
                                stats_json={"columns": columns if columns is not None else {
                                    f"{H}/xxgk/zcwj/": "policy", f"{H}/xxgk/tzgg/": "notice",
                                    f"{H}/xxgk/fgwj/": "regulation", f"{H}/col/col5690/": "column"}})

    def page(self, url: str, *, title: str = "", meta: dict | None = None, text: str = "", kind: str | None = None,
             home: bool = False, is_list: bool = False, site: str | None = None, **extra) -> str:
        url = url if url.startswith("http") else H + url
        row = {"run_id": self.run, "site": site or self.site, "url": url, "final_url": url, "status": 200,
               "title": title, "heading": title, "column_kind": kind, "is_home": int(home), "is_list": int(is_list),
               "main_text": text, "meta_json": json.dumps(meta or {}, ensure_ascii=False), **extra}
        self.store.insert_many("pages", [row])
        if home:
            self.store.insert_many("fetches", [{"run_id": self.run, "site": row["site"], "url": url, "kind": "home",
                                                "outcome": "ok", "status": 200}])
        return url

    def link(self, source: str, target: str, *, anchor: str = "", when: str | None = None, kind: str = "page",
             site: str | None = None) -> None:
        source = source if source.startswith("http") else H + source
        target = target if target.startswith("http") else H + target
        self.store.insert_many("links", [{"run_id": self.run, "site": site or self.site, "source_url": source,
                                          "target_url": target, "anchor": anchor, "tag": "a", "kind": kind,
                                          "hidden": 0, "list_date": when}])

    def audit(self, *codes: str, options: dict | None = None) -> list:
        run_checks(self.store, self.run, AUDIT, {}, CheckSettings(options=options or {}), only=list(codes))
        return [f for f in self.store.findings(self.run) if f.check in codes]


@pytest.fixture
def snap(tmp_path):
    s = Snapshot(tmp_path / "a.db")
    yield s
    s.store.close()


def meta(written: str | None, published: str | None, **more) -> dict:
    m = {"索引号": "11371300004349497N/2024-00001", "发布机构": "某市人民政府", "文号": "某政发〔2024〕1号",
         "有效性": "有效"}
    if written:
        m["成文日期"] = written
    if published:
        m["发布日期"] = published
    m.update(more)
    return m


# -- working days ---------------------------------------------------------------------

def test_working_days_match_the_chinese_calendar_reference():
    rng = random.Random(7)
    for _ in range(200):   # the reference walks day by day: keep the sample small
        a = date(2016, 1, 1) + timedelta(days=rng.randint(0, 3200))
        b = a + timedelta(days=rng.randint(-3, 400))
        assert working_days(a, b) == workdays_between(a, b)


@pytest.mark.parametrize("start, end, expected", [
    (date(2024, 2, 5), date(2024, 3, 4), 16),     # 春节 2-10…2-17 off, 2-18 (Sunday) worked: 28 calendar days
    (date(2024, 2, 5), date(2024, 3, 8), 20),     # 24 weekdays, still exactly 20 working days
    (date(2024, 4, 26), date(2024, 5, 9), 7),     # 五一: 4-28 (Sunday) worked, 5-1…5-5 off
    (date(2024, 4, 26), date(2024, 5, 11), 9),    # 5-11 (Saturday) is an adjusted working day
    (date(2023, 9, 25), date(2023, 10, 27), 20),  # 中秋国庆 9-29…10-6 off, 10-7 and 10-8 worked
    (date(2023, 12, 29), date(2024, 1, 3), 2),    # across the year end (1-1 off)
    (date(2024, 3, 1), date(2024, 3, 1), 0),
    (date(2024, 3, 8), date(2024, 3, 1), 0),
])
def test_working_day_gaps(start, end, expected):
    assert working_days(start, end) == expected == workdays_between(start, end)


def test_decisions_are_told_from_policies():
    rx = re.compile(DECISION_RE)
    assert is_decision("某市生态环境局行政处罚决定书（某环罚〔2024〕12号）", "", f"{H}/a.html", rx)
    assert is_decision("准予行政许可决定书", "", f"{H}/a.html", rx)
    assert is_decision("某公司环评审批结果", "", f"{H}/xxgk/xzxk/a.html", rx)
    assert is_decision("公示", "行政处罚决定书 当事人：某公司", f"{H}/a.html", rx)
    assert not is_decision("关于印发《某市行政处罚裁量基准》的通知", "", f"{H}/xxgk/xzcf/a.html", rx)
    assert not is_decision("关于规范行政处罚决定书公开工作的意见", "", f"{H}/a.html", rx)


# -- disclosure.late -----------------------------------------------------------------

def test_disclosure_late_counts_working_days_not_calendar_days(snap):
    art = lambda n, title, w, p, **kw: snap.page(f"/xxgk/zcwj/2024/t_{n}.html", title=title, meta=meta(w, p), kind="policy", **kw)
    late = art(1, "关于印发某市公共数据管理办法的通知", "2024-03-01", "2024-04-15")
    art(2, "关于做好春季农业生产的通知", "2024-02-05", "2024-03-04")          # 28 calendar days, 16 working days
    art(3, "关于印发某市农村公路养护办法的通知", "2024年2月5日", "2024年3月8日")   # exactly 20
    late_cn = art(4, "关于加强供水管理的意见", "二〇二三年九月二十五日", "2023-11-06")
    art(5, "没有成文日期的通知", None, "2024-04-15")
    art(6, "发布早于成文的通知", "2024-03-15", "2024-03-10")
    found = {f.url: f for f in snap.audit("disclosure.late")}
    assert set(found) == {late, late_cn}
    ev = found[late].evidence
    assert (ev["working_days"], ev["calendar_days"], ev["limit"], ev["decision"]) == (30, 45, 20, False)
    assert "30 个工作日" in found[late].message


def test_disclosure_late_seven_days_for_decisions_and_options(snap):
    dec = lambda n, title, w, p, url=None: snap.page(url or f"/xxgk/xzcf/t_{n}.html", title=title, meta=meta(w, p))
    late = dec(1, "行政处罚决定书（某环罚〔2024〕12号）", "2024-04-26", "2024-05-10")   # 8 working days
    dec(2, "行政处罚决定书（某环罚〔2024〕11号）", "2024-04-26", "2024-05-09")          # 7 (4-28 worked)
    dec(3, "关于印发《行政处罚裁量基准》的通知", "2024-05-06", "2024-05-22")             # 13: a policy, 20-day rule
    permit = dec(4, "某项目审批结果", "2024-03-29", "2024-04-12", url=f"{H}/xxgk/xzxk/t_4.html")   # 9, by path
    snap.page("/xxgk/fgwj/t_9.html", title="中华人民共和国行政许可法", meta=meta("2019-04-23", "2024-01-05"),
              kind="regulation")                                                              # republished law
    found = {f.url: f for f in snap.audit("disclosure.late")}
    assert set(found) == {late, permit}
    assert found[late].evidence["decision"] and found[late].evidence["limit"] == 7
    found = {f.url for f in snap.audit("disclosure.late", options={"disclosure.late": {"decision_workdays": 8}})}
    assert found == {permit}


def test_disclosure_late_falls_back_to_the_list_date(snap):
    url = snap.page("/xxgk/zcwj/t_1.html", title="关于某事项的通知", meta={"索引号": "x", "成文日期": "2024-01-02"},
                    kind="policy")
    snap.link("/xxgk/zcwj/", url, anchor="关于某事项的通知", when="2024-03-01")
    [f] = snap.audit("disclosure.late")
    assert f.evidence["published_source"] == "列表页日期" and f.page == f"{H}/xxgk/zcwj/"


# -- metadata ------------------------------------------------------------------------------

@pytest.mark.parametrize("tail, expected", [
    ("……特此通知。 某市人民政府 2024年3月5日", date(2024, 3, 5)),
    ("某市人民政府 二〇二四年四月八日 （此件公开发布）", date(2024, 4, 8)),
    ("某市人民政府办公室 2024-03-05（联系人：张某）", date(2024, 3, 5)),
    ("本办法自2024年7月1日起施行。", None),
    ("有效期至2026年12月31日。", None),
    ("某市人民政府 2024年3月5日 附件：1.名单", None),
    ("没有日期的正文。", None),
])
def test_signature_date(tail, expected):
    assert signature_date(tail)[0] == expected


def test_metadata_missing_fields_by_column_kind(snap):
    full = snap.page("/xxgk/zcwj/t_1.html", title="完整", meta=meta("2024-01-02", "2024-01-03"), kind="policy")
    no_doc = snap.page("/xxgk/zcwj/t_2.html", title="缺文号", kind="policy",
                       meta={**meta("2024-01-02", "2024-01-03"), "文号": "—", "有效性": " "})
    notice = snap.page("/xxgk/tzgg/t_3.html", title="通知公告不要求文号", kind="notice",
                       meta={"索引号": "x", "发布机构": "某局", "发布日期": "2024-01-03"})
    bare = snap.page("/xxgk/zcwj/t_4.html", title="没有元数据表", kind="policy", text="正文")
    snap.link("/xxgk/zcwj/", bare, anchor="没有元数据表", when="2024-01-03")
    unlisted = snap.page("/xxgk/zcwj/t_5.html", title="未从列表进入且无表", kind="policy", text="正文")
    guide = snap.page("/xxgk/gkzn/t_6.html", title="公开指南", kind="guide", meta={"索引号": "x", "发布日期": "2024-01-03"})
    dept = snap.page("/art/2024/1/3/art_1_7.html", title="部门文章", meta={"发布机构": "某局", "发布日期": "2024-01-03",
                                                                        "成文日期": "2024-01-02"})
    listing = snap.page("/xxgk/zcwj/index.html", title="政策文件", kind="policy", is_list=True)
    news = snap.page("/xxgk/gzdt/t_8.html", title="工作动态", meta={"发布日期": "2024-01-03", "发布机构": "某局"})
    snap.link("/xxgk/gzdt/", news, anchor="工作动态", when="2024-01-03")
    found = {f.url: f for f in snap.audit("metadata.missing")}
    assert set(found) == {no_doc, bare, dept}
    assert found[no_doc].evidence["missing"] == ["文号", "有效性"]
    assert found[bare].evidence["missing"] == ["索引号", "发布机构", "发布日期", "文号", "有效性"]
    assert "没有信息公开元数据表" in found[bare].message
    assert found[dept].evidence["missing"] == ["索引号"]
    assert {full, notice, unlisted, guide, listing, news}.isdisjoint(found)


def test_metadata_inconsistent_says_which_dates_disagree(snap):
    t = "关于印发某市城市道路管理办法的通知"
    a = snap.page("/xxgk/zcwj/t_1.html", title=t, meta=meta("2024-05-16", "2024-05-22"), kind="policy")
    snap.link("/xxgk/zcwj/", a, anchor=t, when="2024-05-20")
    b = snap.page("/xxgk/zcwj/t_2.html", title=t + "二", meta=meta("2024-04-18", "2024-04-22"), kind="policy",
                  text="正文…… 某市人民政府 二〇二四年四月八日")
    c = snap.page("/xxgk/zcwj/t_3.html", title=t + "三", meta=meta("2024-03-15", "2024-03-10"), kind="policy")
    ok1 = snap.page("/xxgk/zcwj/t_4.html", title=t + "四", meta=meta("2024-06-03", "2024-06-05"), kind="policy",
                    text="正文 某市人民政府 2024年6月3日（此件公开发布）")
    snap.link("/xxgk/zcwj/", ok1, anchor=t + "四", when="2024-06-03")          # the list shows the 成文日期
    ok2 = snap.page("/xxgk/zcwj/t_5.html", title=t + "五", meta=meta("2024-06-03", "2024-06-05"), kind="policy",
                    text="本办法自2024年7月1日起施行。")
    snap.link("/xxgk/zcwj/index_1.html", ok2, anchor="关于开展全市安全生产大检查工作的紧急通知", when="2024-03-05")
    found = {f.url: f for f in snap.audit("metadata.inconsistent")}
    assert set(found) == {a, b, c}
    assert [p["what"] for p in found[a].evidence["problems"]] == ["列表日期与发布日期不一致"]
    assert found[a].evidence["problems"][0]["list_page"] == f"{H}/xxgk/zcwj/"
    assert "二〇二四年四月八日" in found[b].message and "2024-04-18" in found[b].message
    assert found[c].evidence["problems"][0]["what"] == "发布日期早于成文日期"


def test_a_forwarding_notice_is_not_signed_by_the_forwarded_document(snap):
    """A 转发/批转 notice ends with the forwarded report and its date: not the notice's signature."""
    text = "国务院办公厅 一九九七年二月四日 …… 以上意见如无不妥，请批转各地区、各部门贯彻执行。 国家地震局 一九九七年一月二十日"
    snap.page("/xxgk/zcwj/t_1.html", title="国务院办公厅转发国家地震局关于1997年地震趋势和加强防震减灾工作意见报告的通知",
              meta=meta("1997-02-04", "2018-12-02"), kind="policy", text=text)
    signed = snap.page("/xxgk/zcwj/t_2.html", title="关于加强防震减灾工作的意见", meta=meta("1997-02-04", "2018-12-02"),
                       kind="policy", text=text)
    assert [f.url for f in snap.audit("metadata.inconsistent")] == [signed]


# -- columns and the home page ------------------------------------------------------------

def test_index_key():
    assert index_key(f"{H}/xxgk/tzgg/") == f"{H}/xxgk/tzgg/"
    assert index_key(f"{H}/xxgk/tzgg/index_3.html") == f"{H}/xxgk/tzgg/"
    assert index_key(f"{H}/xxgk/tzgg/index.html?page=2") == f"{H}/xxgk/tzgg/"
    assert index_key(f"{H}/col/col1234/index.html") == f"{H}/col/col1234/"
    assert index_key(f"{H}/col/col1234") == f"{H}/col/col1234/"
    assert index_key(f"{H}/xxgk/tzgg/202401/t20240105_1.html") is None


def _list(snap, path, name, items, kind=None, **kw):
    url = snap.page(path, title=f"{name}_某市人民政府", kind=kind, is_list=len(items) >= 3, **kw)
    for i, (when, target) in enumerate(items):
        snap.link(url, target or f"{path.rstrip('/')}/t_{i}.html", anchor=f"{name}{i}", when=when)
    return url


def test_column_stale_thresholds_per_kind(snap):
    stale_news = _list(snap, "/xxgk/gzdt/", "工作动态", [("2024-06-12", None), ("2024-06-01", None)])
    _list(snap, "/xxgk/bmdt/", "部门动态", [("2024-06-25", None)])
    stale_notice = _list(snap, "/xxgk/tzgg/", "通知公告", [("2023-12-10", None)], kind="notice")
    _list(snap, "/xxgk/tjxx/", "统计信息", [("2023-09-15", None)])
    stale_other = _list(snap, "/xxgk/zdxm/", "重大项目", [("2023-05-12", None)])
    _list(snap, "/xxgk/zdxm/index_1.html", "重大项目", [("2023-04-01", None)])
    _list(snap, "/xxgk/future/", "规划计划", [("2099-01-01", None), ("2024-06-01", None)])
    found = {f.url: f for f in snap.audit("column.stale")}
    assert set(found) == {stale_news, stale_notice, stale_other}
    assert found[stale_news].evidence["max_age_days"] == 14 and found[stale_news].evidence["age_days"] == 18
    assert found[stale_notice].evidence["max_age_days"] == 183
    assert found[stale_other].evidence["max_age_days"] == 365
    relaxed = snap.audit("column.stale", options={"column.stale": {"news_days": 30, "notice_days": 365}})
    assert {f.url for f in relaxed} == {stale_other}


def test_column_stale_uses_article_dates_when_the_list_shows_none(snap):
    col = snap.page("/xxgk/jgxx/", title="机构信息")
    art = snap.page("/xxgk/jgxx/t_1.html", title="机构概况", meta={"索引号": "x", "发布日期": "2022-01-05"})
    snap.link(col, art, anchor="机构概况")
    undated_col = snap.page("/xxgk/ldxx/", title="领导信息")
    snap.link(undated_col, snap.page("/xxgk/ldxx/t_1.html", title="市长"), anchor="市长")
    found = {f.url: f for f in snap.audit("column.stale")}
    assert found[col].evidence["date_source"] == "文章发布日期"
    assert found[undated_col].evidence["newest"] is None and "未标注发布日期" in found[undated_col].message
    assert {f.url for f in snap.audit("column.stale", options={"column.stale": {"undated_is_stale": False}})} == {col}


def test_a_hub_with_undated_navigation_is_judged_through_its_sub_columns(snap):
    """The real 公开指南 page of 邯郸 (saved in ../shared/real-pages) links its sub-columns and
    a few undated pages of its own menu: not a stale column; a stale sub-column still is."""
    hub = snap.page("/xxgk/zfxxgkzn/", title="政府信息公开指南")
    for name in ("gkzd", "gkml"):
        snap.link(hub, f"{H}/xxgk/zfxxgkzn/{name}/", anchor=name)
    snap.link(hub, snap.page("/xxgk/zfxxgkzn/t_1.html", title="网站介绍"), anchor="网站介绍")
    stale = _list(snap, "/xxgk/zfxxgkzn/gkzd/", "公开制度", [("2022-01-05", None)])
    _list(snap, "/xxgk/zfxxgkzn/gkml/", "公开目录", [("2024-06-05", None)])
    assert {f.url for f in snap.audit("column.stale")} == {stale}


def test_column_empty(snap):
    empty = snap.page("/xxgk/yjgl/", title="应急管理_某市", text="暂无信息")
    quiet = snap.page("/col/col5690/index.html", title="安全生产 某局", text="网站地图 联系我们")
    _list(snap, "/xxgk/tzgg/", "通知公告", [("2024-06-01", None)], kind="notice")
    hub = snap.page("/xxgk/czyjs/", title="财政预决算")
    snap.link(hub, "/xxgk/czyjs/ys/", anchor="财政预算")
    snap.link(hub, "/xxgk/czyjs/js/", anchor="财政决算")
    snap.link(hub, "/xxgk/tzgg/", anchor="通知公告")                     # a sidebar link is no item
    sub = snap.page("/xxgk/czyjs/js/", title="财政决算")
    single = snap.page("/xxgk/jgzn/", title="机构职能", text="机构职能" * 80)
    undated = snap.page("/xxgk/ldxx/", title="领导信息")
    snap.link(undated, "/xxgk/ldxx/t_1.html", anchor="市长")
    files = snap.page("/xxgk/ndbg/", title="年度报告")
    snap.link(files, "/xxgk/ndbg/2023.pdf", anchor="2023年年报", kind="attachment")
    snap.page("/", title="首页", home=True)
    snap.page("/zjly/", title="走进某市")                                    # outside the disclosure scope
    found = {f.url: f for f in snap.audit("column.empty")}
    assert set(found) == {empty, quiet, sub}
    assert "暂无信息" in found[empty].message
    assert {hub, single, undated, files}.isdisjoint(found)


def test_home_stale_dates_fallback_and_navigation_home(tmp_path):
    snap = Snapshot(tmp_path / "h.db", columns={})
    fresh = snap.page("/", title="首页", home=True, site="a")
    art = snap.page("/xxgk/t_1.html", title="新闻", meta={"发布日期": "2024-06-26", "索引号": "x"}, site="a")
    snap.link(fresh, art, anchor="新闻", site="a")                          # "06-26" on the page: no list date
    stale = snap.page("http://b.test/", title="某镇", home=True, site="b")
    snap.link(stale, "http://b.test/a.html", anchor="镇新闻", when="2024-05-20", site="b")
    snap.link(stale, "http://b.test/c.html", anchor="未来", when="2025-01-01", site="b")
    nav = snap.page("http://c.test/", title="街道", home=True, site="c")
    snap.link(nav, "http://c.test/tzgg/", anchor="通知公告", site="c")
    snap.link("http://c.test/tzgg/", "http://c.test/tzgg/1.html", anchor="通知", when="2024-06-27", site="c")
    undated = snap.page("http://d.test/", title="某局", home=True, site="d")
    snap.link(undated, "http://d.test/a.html", anchor="新闻", site="d")
    stale_nav = snap.page("http://e.test/", title="某乡", home=True, site="e")
    snap.link(stale_nav, "http://e.test/gk/", anchor="政务公开", site="e")
    snap.link("http://e.test/gk/", "http://e.test/gk/1.html", anchor="旧闻", when="2023-01-01", site="e")
    found = {f.url: f for f in snap.audit("site.home-stale")}
    assert set(found) == {stale, undated, stale_nav}
    assert found[stale].evidence["newest"] == "2024-05-20" and found[stale].evidence["age_days"] == 41
    assert found[undated].evidence["newest"] is None
    assert found[stale_nav].evidence["navigation_home"] is True
    snap.store.close()


def test_disclosure_late_applies_from_since(snap):
    """An old document republished (formed 1997, added to the policy library in 2018) is not
    late: the limit applies to documents formed on or after ``since`` (default 2019-05-15)."""
    art = lambda n, w, p: snap.page(f"/xxgk/zcwj/t_{n}.html", title=f"关于某事项的通知{n}", meta=meta(w, p), kind="policy")
    old = art(1, "1997-02-04", "2018-12-02")
    art(2, "2019-05-14", "2019-08-01")
    late = art(3, "2019-05-15", "2019-08-01")
    [f] = snap.audit("disclosure.late")
    assert f.url == late and f.evidence["since"] == "2019-05-15"
    found = {f.url for f in snap.audit("disclosure.late", options={"disclosure.late": {"since": None}})}
    assert old in found and late in found and len(found) == 3
    assert {f.url for f in snap.audit("disclosure.late", options={"disclosure.late": {"since": "2019-06-01"}})} == set()
