"""Policy, regulation and document checks: the parsers (validity, repeal statements,
revision headers, title cores, 文号) and the checks on a snapshot in a real store."""

from __future__ import annotations

import json
from datetime import date

import pytest

from checks.computed.documents import (doc_core, doc_nos_in, marking, normalize_doc_no, parse_repeals, parse_validity,
                                       same_doc_no)
from checks.computed.policy import interp_core
from checks.registry import REGISTRY, CheckSettings, run_checks
from checks.regulation import (catalog_names, cn_number, decree_of, judge, load_catalog, normalize_title,
                               revisions_shown, shipped_catalog)
from store import Store


AUDIT = date(2024, 6, 30)

# -- parsers --------------------------------------------------------------------------


@pytest.mark.parametrize("text, written, published, end, rule", [
    ("本办法自2023年4月1日起施行，有效期1年。", None, None, date(2024, 3, 31), "有效期1年"),
    ("本通知自印发之日起施行，有效期至二〇二四年五月三十一日。", date(2023, 5, 10), None, date(2024, 5, 31), "有效期至"),
    ("本细则自印发之日起试行，试行期一年。", date(2023, 5, 10), date(2023, 5, 12), date(2024, 5, 9), "试行一年"),
    ("本规定自发布之日起施行，暂行期限为两年。", date(2023, 1, 3), date(2023, 1, 6), date(2025, 1, 5), "暂行两年"),
    ("本意见自2021年1月1日起施行，有效期5年。", None, None, date(2025, 12, 31), "有效期5年"),
    ("本方案有效期自2023年1月1日至2024年12月31日。", None, None, date(2024, 12, 31), "有效期至"),
    ("本办法自2022年6月1日起施行，有效期至2025年底。", None, None, date(2025, 12, 31), "有效期至"),
    ("有效期6个月。", date(2024, 1, 31), None, date(2024, 7, 30), "有效期6个月"),
    ("本办法有效期3年。", None, date(2024, 2, 29), date(2027, 2, 28), "有效期3年"),
])
def test_validity(text, written, published, end, rule):
    v = parse_validity("前文。" + text, written, published)
    assert v is not None and v.end == end and v.rule == rule


@pytest.mark.parametrize("text", [
    "教师资格证书有效期为5年，证书有效期至2023年12月31日的请及时换证。本通知自发布之日起施行。",
    "许可证有效期届满需要延续的，应当在届满30日前提出申请。",
    "本办法自2024年1月1日起施行。",
    "会议要求，各地要在有效期内完成备案。",
    "",
])
def test_not_a_validity(text):
    assert parse_validity(text, date(2024, 1, 1), date(2024, 1, 2)) is None


def test_repeal_statements():
    reps = parse_repeals("本办法自印发之日起施行，有效期5年。下列文件同时废止：1.临政发〔2023〕47号；"
                         "2.《临沂市政府投资项目代建制管理暂行办法》（临政办发[2023] 049号）。其他文件继续执行。",
                         doc_start=date(2024, 3, 29))
    assert len(reps) == 1
    assert reps[0].names == ("临沂市政府投资项目代建制管理暂行办法",)
    assert reps[0].nos == (("2023", 47, "临政发"), ("2023", 49, "临政办发"))
    assert reps[0].effective == date(2024, 3, 29)
    future = parse_repeals("本办法自2024年8月1日起施行，《临沂市公共资源交易管理暂行办法》同时废止。")
    assert future[0].effective == date(2024, 8, 1)
    split = parse_repeals("《临沂市甲办法》继续执行；《临沂市乙规定》不再执行。")
    assert split[0].names == ("临沂市乙规定",)
    assert parse_repeals("凡与本通知不一致的，不再执行。此前规定同时废止。") == []


def test_cores_and_doc_numbers():
    policy = "临沂市人民政府办公室关于印发临沂市促进夜间经济发展若干措施的通知"
    assert doc_core(policy) == doc_core("《临沂市促进夜间经济发展若干措施》") == "促进夜间经济发展若干措施"
    assert interp_core("《临沂市促进夜间经济发展若干措施》政策解读") == doc_core(policy)
    assert interp_core("图解：临沂市促进夜间经济发展若干措施") == doc_core(policy)
    assert interp_core("关于《临沂市人民政府关于加强农村集体资产管理的实施意见》的解读") == "加强农村集体资产管理的实施意见"
    assert interp_core("市政府办公室负责同志就稳外贸稳外资政策答记者问") == "稳外贸稳外资政策"
    assert doc_core("关于印发《临沂市“十四五”综合交通运输发展规划》的通知") == "十四五综合交通运输发展规划"
    assert normalize_doc_no("临政办发[2024] 012号") == "临政办发〔2024〕12号"
    assert normalize_doc_no("鲁政字﹝2021﹞3号") == "鲁政字〔2021〕3号"
    cited = doc_nos_in("根据临政办发〔2024〕12号文件精神")[0]
    assert same_doc_no(cited, "临政办发〔2024〕12号") and not same_doc_no(cited, "临政发〔2024〕12号")


def test_marking():
    assert marking("", "", {"有效性": "失效"}, "") == "有效性：失效"
    assert marking("", "", {"时效": "x", "有效性": "已废止"}, "")
    assert marking("关于印发X办法的通知（已废止）_临沂市人民政府", "", {"有效性": "有效"}, "").startswith("标题标注")
    assert marking("", "【失效】关于印发X办法的通知", {}, "").startswith("标题标注")
    assert marking("", "", {"失效提示": "该文件已失效"}, "").startswith("页面提示")
    assert marking("", "", {}, "本文件已于2024年3月31日废止。各县区人民政府……").startswith("正文提示")
    assert marking("", "", {"有效性": "有效"}, "本办法施行后，《X》同时废止。") is None
    assert marking("关于废止部分规范性文件的决定", "", {"有效性": "有效"}, "") is None


GOV_2007 = ("（2007年4月5日中华人民共和国国务院令第492号公布）第一条 为了保障公民、法人和其他组织依法获取政府信息……"
            "第三十八条 本条例自2008年5月1日起施行。")
GOV_2019 = ("（2007年4月5日中华人民共和国国务院令第492号公布　2019年4月3日中华人民共和国国务院令第711号修订）"
            "第一条 为了保障公民……第五十六条 本条例自2019年5月15日起施行。")
FYFY_2017 = ("（1999年4月29日第九届全国人民代表大会常务委员会第九次会议通过　根据2009年8月27日第十一届全国人民代表大会常务"
             "委员会第十次会议《关于修改部分法律的决定》第一次修正　根据2017年9月1日第十二届全国人民代表大会常务委员会第二十九次"
             "会议《关于修改〈中华人民共和国法官法〉等八部法律的决定》第二次修正）第一条 为了防止和纠正……")


def test_revision_header_parsing():
    shown = revisions_shown(GOV_2019)
    assert [(d.isoformat(), v) for d, v, _ in shown.events] == [("2007-04-05", "公布"), ("2019-04-03", "修订")]
    assert shown.decrees == ("国务院令第492号", "国务院令第711号") and shown.effective == (date(2019, 5, 15),)
    law = revisions_shown(FYFY_2017)
    assert [v for _, v, _ in law.events] == ["通过", "修正", "修正"] and law.latest == date(2017, 9, 1)
    assert cn_number("七百一十一") == 711 and cn_number("四九二") == 492 and cn_number("十") == 10
    assert decree_of("国务院令（第四百九十九号）") == "国务院令第499号"


def test_which_version_is_current_on_the_audit_date():
    names = catalog_names(shipped_catalog())
    gov = names[normalize_title("《中华人民共和国政府信息公开条例》（2019年修订）")]
    assert gov.title == "中华人民共和国政府信息公开条例" and names["政府信息公开条例"] is gov
    assert judge(gov, revisions_shown(GOV_2007), AUDIT)[0] == "stale"
    assert judge(gov, revisions_shown(GOV_2019), AUDIT) is None          # names 492号 too, but revised by 711号
    only_effective = revisions_shown("第三十八条 本条例自2008年5月1日起施行。")
    assert judge(gov, only_effective, AUDIT)[0] == "stale"
    assert judge(gov, revisions_shown("第一条 为了保障……"), AUDIT) is None  # nothing shown: no verdict
    fyfy = names["行政复议法"]
    assert judge(fyfy, revisions_shown(FYFY_2017), AUDIT)[0] == "stale"
    assert judge(fyfy, revisions_shown(FYFY_2017), date(2023, 12, 31)) is None   # 2023 修订 in force 2024-01-01
    ss = names["行政复议法实施条例"]
    old_ss = revisions_shown("（2007年5月29日中华人民共和国国务院令第四百九十九号公布）")
    assert judge(ss, old_ss, AUDIT) is None                                 # 国务院令第836号 only in 2026
    assert judge(ss, old_ss, date(2026, 7, 2))[0] == "stale"
    xf = names["信访条例"]
    assert judge(xf, revisions_shown("（2005年1月10日中华人民共和国国务院令第431号公布）"), AUDIT)[0] == "repealed"


def test_catalog_merge_replace_and_errors(tmp_path):
    shipped = shipped_catalog()
    assert len(shipped) >= 50 and all(e.source.startswith("https://flk.npc.gov.cn/") for e in shipped)
    mine = tmp_path / "mine.yaml"
    mine.write_text("regulations:\n"
                    "  - title: 临沂市城市绿化条例\n    kind: 地方性法规\n"
                    "    current: {date: 2023-05-01, event: 修正}\n"
                    "    superseded: [{date: '2016-08-01', event: 通过}]\n    source: 临沂市人大常委会\n", encoding="utf-8")
    merged = load_catalog(str(mine))
    assert len(merged) == len(shipped) + 1
    only = load_catalog([str(mine)], "replace")
    assert [e.title for e in only] == ["临沂市城市绿化条例"] and only[0].versions[-1].date == date(2023, 5, 1)
    bad = tmp_path / "bad.yaml"
    bad.write_text("regulations:\n  - title: 某条例\n    current: {date: 不是日期}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="某条例"):
        load_catalog(str(bad))
    with pytest.raises(ValueError, match="catalog_mode"):
        load_catalog(None, "append")


# -- checks on a stored snapshot ----------------------------------------------------------

S = "http://gov.test"


@pytest.fixture
def store(tmp_path):
    db = Store(tmp_path / "a.db")
    db.begin_run(audit_date="2024-06-30", config={}, options={}, versions={})
    return db


def page(url, title, column, *, pub=None, written=None, doc_no="", validity="有效", text="", meta=None, heading=None,
         list_date=None, is_list=0):
    m = {"索引号": "X", "发布机构": "临沂市人民政府"}
    if pub:
        m["发布日期"] = pub
    if written:
        m["成文日期"] = written
    if doc_no:
        m["文号"] = doc_no
    if validity:
        m["有效性"] = validity
    m.update(meta or {})
    return {"run_id": 1, "site": "甲", "url": S + url, "final_url": S + url, "status": 200, "title": title + "_临沂市人民政府",
            "heading": heading if heading is not None else title, "column_kind": column, "is_home": 0, "is_list": is_list,
            "list_date": list_date, "main_text": text, "meta_json": json.dumps(m, ensure_ascii=False), "depth": 3}


def link(source, target, anchor="链接"):
    return {"run_id": 1, "site": "甲", "source_url": S + source, "target_url": S + target, "raw_href": target,
            "anchor": anchor, "tag": "a", "attr": "href", "line": 1, "kind": "page", "hidden": 0,
            "hidden_reason": None, "list_date": None}


def run(store, only, options=None):
    settings = CheckSettings(options=options or {})
    results = run_checks(store, 1, AUDIT, {}, settings, only=only)
    assert all(r.state in ("ok", "found") for r in results), results
    return {(f.check, f.url.replace(S, "")): f for f in store.findings(1)}


def test_policy_pairing(store):
    store.insert_many("pages", [
        page("/zc/1.html", "临沂市人民政府关于印发临沂市推进制造业数字化转型实施方案的通知", "policy", pub="2024-03-12"),
        page("/zc/2.html", "临沂市人民政府关于印发临沂市数字政府建设实施方案的通知", "policy", pub="2024-03-01"),
        page("/zc/3.html", "临沂市人民政府办公室关于进一步做好稳外贸稳外资工作的通知", "policy", pub="2024-04-23",
             doc_no="临政办发〔2024〕37号"),
        page("/zc/4.html", "临沂市人民政府关于印发临沂市水资源节约集约利用实施方案的通知", "policy", pub="2024-04-30"),
        page("/zc/5.html", "临沂市人民政府办公室关于印发临沂市促进夜间经济发展若干措施的通知", "policy", pub="2024-05-14"),
        page("/zc/6.html", "临沂市人民政府关于表彰2023年度质量奖获奖组织的决定", "policy", pub="2024-05-14"),
        page("/zc/7.html", "临沂市人民政府关于印发临沂市老旧小区改造工作实施办法的通知", "policy", pub="2024-01-05",
             validity="失效"),
        page("/zc/8.html", "临沂市人民政府关于印发临沂市河长制工作规定的通知", "policy", pub="2019-05-14"),
        page("/zc/9.html", "临沂市人民政府关于加强城乡环境卫生整治工作的实施意见", "policy", pub="2024-03-01"),
        page("/tz/1.html", "关于印发《临沂市中小学课后服务工作指南》的通知", "notice", pub="2024-03-01"),
        page("/tz/2.html", "关于做好2024年汛期安全防范工作的通知", "notice", pub="2024-03-01"),
        page("/tz/3.html", "临沂市城市停车场管理办法", None, pub="2024-03-01"),
        page("/jd/index.html", "政策解读", "interpretation", is_list=1),
        page("/jd/1.html", "《临沂市数字政府建设实施方案》政策解读", "interpretation", pub="2024-03-01"),
        page("/jd/2.html", "市政府办公室负责同志就稳外贸稳外资政策答记者问", "interpretation", pub="2024-04-24",
             text="近日，市政府办公室印发《关于进一步做好稳外贸稳外资工作的通知》（临政办发〔2024〕37号）。"),
        page("/jd/3.html", "节约集约利用水资源十问十答", "interpretation", pub="2024-04-30"),
        page("/jd/4.html", "图解｜临沂市促进夜间经济发展的若干措施来了", "interpretation", pub="2024-05-15"),
        page("/jd/5.html", "《关于加强城乡环境卫生整治工作的实施意见》政策解读", "interpretation", pub="2024-03-01"),
        page("/jd/6.html", "一图读懂停车场管理", None, pub="2024-03-01"),
    ])
    store.insert_many("links", [
        link("/zc/4.html", "/jd/3.html", "节约集约利用水资源十问十答"),          # policy → 解读
        link("/jd/5.html", "/zc/1.html", "关于加强城乡环境卫生整治工作的实施意见"),  # a wrong link: no pairing
        link("/jd/index.html", "/zc/1.html", "原文"),                            # list pages never pair
        link("/jd/6.html", "/tz/3.html", "临沂市城市停车场管理办法"),              # 解读 → policy
    ])
    found = run(store, ["policy.no-interpretation"])
    assert set(found) == {("policy.no-interpretation", u) for u in ("/zc/1.html", "/tz/1.html")}
    ev = found[("policy.no-interpretation", "/zc/1.html")].evidence
    assert ev["best_candidate"]["url"] == S + "/jd/1.html" and ev["best_candidate"]["score"] < 85
    assert ev["interpretations_on_site"] == 6
    # a stricter threshold leaves the fuzzy pair unpaired; a later `since` drops old policies
    found = run(store, ["policy.no-interpretation"], {"policy.no-interpretation": {"threshold": 95, "since": "2024-03-05"}})
    assert set(found) == {("policy.no-interpretation", u) for u in ("/zc/1.html", "/zc/5.html")}


def test_an_interpretation_of_a_repeated_name_pairs_with_the_policy_it_follows(store):
    """The same 三年行动方案 issued in 2021 and again in 2024 (and the same name by another
    department): the 2024 解读 naming it is about the latest one published before it, so the
    2021 policy, which has no 解读 of its own, is still reported, and one interpretation
    never pairs with every document of that name."""
    name = "临沂市加强耕地保护三年行动方案"
    store.insert_many("pages", [
        page("/zc/1.html", f"临沂市人民政府关于印发《{name}》的通知", "policy", pub="2021-03-02"),
        page("/zc/2.html", f"临沂市人民政府关于印发《{name}》的通知", "policy", pub="2024-03-04"),
        page("/zc/3.html", f"临沂市自然资源和规划局关于印发《{name}》的通知", "policy", pub="2024-05-20"),
        page("/jd/1.html", f"《{name}》政策解读", "interpretation", pub="2024-03-05"),
        page("/jd/2.html", f"《{name}》图解", "interpretation", pub="2024-05-21"),
    ])
    found = run(store, ["policy.no-interpretation"], {"policy.no-interpretation": {"since": "2019-01-01"}})
    assert set(found) == {("policy.no-interpretation", "/zc/1.html")}
    late = run(store, ["policy.late-interpretation"], {"policy.late-interpretation": {"max_workdays": 0}})
    assert {url: f.page.replace(S, "") for (code, url), f in late.items() if code.endswith("late-interpretation")} == {"/zc/2.html": "/jd/1.html",
                                                                            "/zc/3.html": "/jd/2.html"}
    assert "同名文件 3 件" in late[("policy.late-interpretation", "/zc/2.html")].evidence["paired_by"]


def test_no_interpretation_is_undecided_when_the_column_is_on_another_host(store):
    """邯郸's 信息公开 links its 政策解读 column on hd.gov.cn, outside the audit: the site's
    policies are not judged (n/a with the reason when no site can be); other sites still are."""
    store.insert_many("pages", [
        page("/zc/1.html", "临沂市人民政府关于印发临沂市数字政府建设实施方案的通知", "policy", pub="2024-03-01"),
        {**page("/zc/2.html", "某县人民政府关于印发某县数字政府建设实施方案的通知", "policy", pub="2024-03-01"),
         "site": "乙"}])
    store.set_run_site(1, "甲", url=S + "/", disclosure_url=S + "/xxgk/", status="ok", pages=1, links=1,
                       stats_json={"off_site_columns": {"interpretation": "http://other.test/zcjd/"}})
    results = run_checks(store, 1, AUDIT, {}, CheckSettings(), only=["policy.no-interpretation"])
    assert [f.site for f in store.findings(1)] == ["乙"] and results[0].state == "found"
    store.set_run_site(1, "乙", url=S + "/", disclosure_url=S + "/xxgk/", status="ok", pages=1, links=1,
                       stats_json={"off_site_columns": {"interpretation": "http://other.test/yi/"}})
    [result] = run_checks(store, 1, AUDIT, {}, CheckSettings(), only=["policy.no-interpretation"])
    assert result.state == "n/a" and "http://other.test/zcjd/" in result.error


def test_late_interpretation_counts_working_days(store):
    store.insert_many("pages", [
        page("/zc/1.html", "关于印发临沂市公共数据开放管理办法的通知", "policy", pub="2024-02-08"),
        page("/jd/1.html", "《临沂市公共数据开放管理办法》解读", "interpretation", pub="2024-02-19"),
        page("/zc/2.html", "关于印发临沂市无废城市建设实施方案的通知", "policy", pub="2024-04-08"),
        page("/jd/2.html", "《临沂市无废城市建设实施方案》政策解读", "interpretation", pub="2024-04-19"),
        page("/zc/3.html", "关于加强农村集体资产管理的实施意见", "policy", pub="2024.05.06"),
        page("/jd/3.html", "关于《关于加强农村集体资产管理的实施意见》的解读", "interpretation", pub="2024年5月20日"),
        page("/jd/4.html", "图解：关于加强农村集体资产管理的实施意见", "interpretation", pub="2024-05-07"),
        page("/zc/5.html", "关于印发临沂市城市更新行动实施方案的通知", "policy", pub=None, list_date="2024-03-01"),
        page("/jd/5.html", "《临沂市城市更新行动实施方案》解读", "interpretation", pub="2024-02-20"),
    ])
    found = run(store, ["policy.late-interpretation"])
    assert set(found) == {("policy.late-interpretation", "/zc/2.html")}   # the policy's finding
    assert found[("policy.late-interpretation", "/zc/2.html")].page.endswith("/jd/2.html")
    ev = found[("policy.late-interpretation", "/zc/2.html")].evidence
    assert ev["workdays"] == 9 and ev["calendar_days"] == 11 and ev["max_workdays"] == 3
    found = run(store, ["policy.late-interpretation"], {"policy.late-interpretation": {"max_workdays": 10}})
    assert found == {}


def test_document_validity_and_repeal(store):
    text = "现将《{0}》印发给你们。{1}"
    store.insert_many("pages", [
        page("/w/e1.html", "关于印发临沂市停车收费管理暂行办法的通知", "policy", pub="2023-03-22", written="2023-03-20",
             text=text.format("临沂市停车收费管理暂行办法", "本办法自2023年4月1日起施行，有效期1年。")),
        page("/w/e2.html", "关于印发临沂市临时救助实施细则的通知", "policy", pub="2023-05-12", written="2023-05-10",
             meta={"失效提示": "该文件已失效"},
             text=text.format("临沂市临时救助实施细则", "本细则自印发之日起施行，有效期至2024年5月31日。")),
        page("/w/e3.html", "关于印发临沂市老旧小区改造工作实施办法的通知", "policy", pub="2023-04-18", validity="",
             text=text.format("临沂市老旧小区改造工作实施办法", "本办法有效期至2024年6月29日。")),
        page("/w/x1.html", "关于印发临沂市户外广告设施设置管理办法的通知", "policy", pub="2024-03-19",
             text="本办法自2024年4月1日起施行。原《临沂市城区户外广告设置管理规定》同时废止。"),
        page("/w/x1t.html", "关于印发临沂市城区户外广告设置管理规定的通知", "policy", pub="2023-04-25"),
        page("/w/x2.html", "关于印发临沂市政府投资项目管理办法的通知", "policy", pub="2024-04-02", written="2024-03-29",
             text="本办法自印发之日起施行。下列文件同时废止：1.临政发〔2023〕47号；2.《临沂市代建制管理暂行办法》"
                  "（临政办发〔2023〕49号）。"),
        page("/w/x2a.html", "关于加强政府投资项目管理的意见", "policy", pub="2023-03-07", doc_no="临政发〔2023〕47号"),
        page("/w/x2b.html", "关于印发临沂市代建制管理暂行办法的通知", "policy", pub="2023-04-11", validity="失效",
             doc_no="临政办发〔2023〕49号", text="本办法自2023年5月1日起施行，有效期至2025年12月31日。"),
        page("/w/x3.html", "关于印发临沂市公共资源交易管理办法的通知", "policy", pub="2024-06-18",
             text="本办法自2024年8月1日起施行，《临沂市公共资源交易管理暂行办法》同时废止。"),
        page("/w/x3t.html", "关于印发临沂市公共资源交易管理暂行办法的通知", "policy", pub="2023-02-14"),
        page("/w/x4.html", "关于征求《临沂市物业管理办法（征求意见稿）》意见的公告", "notice", pub="2024-06-18",
             text="本办法施行后，《临沂市公共资源交易管理暂行办法》同时废止。"),
        page("/w/w1.html", "关于印发临沂市重大行政决策程序规定的通知", "policy", pub="2023-08-15", validity="失效",
             text="本规定自2023年9月1日起施行，有效期5年。"),
        page("/w/w2.html", "关于印发临沂市科技创新券管理办法的通知", "policy", pub="2023-10-10",
             heading="【已废止】关于印发临沂市科技创新券管理办法的通知", text="本办法有效期至2026年10月31日。"),
        page("/w/w3.html", "关于印发临沂市某某办法的通知", "policy", pub="2023-10-10", validity="废止"),
    ])
    found = run(store, ["document"])
    assert set(found) == {("document.expired-unmarked", "/w/e1.html"), ("document.expired-unmarked", "/w/e3.html"),
                          ("document.repealed-unmarked", "/w/x1t.html"), ("document.repealed-unmarked", "/w/x2a.html"),
                          ("document.marking-wrong", "/w/w1.html"), ("document.marking-wrong", "/w/w2.html")}
    e1 = found[("document.expired-unmarked", "/w/e1.html")]
    assert e1.evidence["end"] == "2024-03-31" and e1.evidence["rule"] == "有效期1年"
    x2a = found[("document.repealed-unmarked", "/w/x2a.html")]
    assert x2a.page == S + "/w/x2.html" and x2a.evidence["named_by"] == "文号 临政发〔2023〕47号"
    assert found[("document.marking-wrong", "/w/w2.html")].severity.value == "warning"


def test_regulation_stale_with_a_user_catalog(store, tmp_path):
    store.insert_many("pages", [
        page("/fg/1.html", "中华人民共和国政府信息公开条例", "regulation", pub="2023-06-12", text=GOV_2007),
        page("/fg/2.html", "《中华人民共和国政府信息公开条例》（2019年修订）", "regulation", pub="2024-03-04", text=GOV_2019),
        page("/fg/3.html", "中华人民共和国行政复议法", "regulation", pub="2023-08-01", text=FYFY_2017),
        page("/fg/4.html", "信访条例", "regulation", pub="2023-09-05", validity="已废止",
             text="（2005年1月10日中华人民共和国国务院令第431号公布）"),
        page("/fg/5.html", "关于学习贯彻《中华人民共和国政府信息公开条例》的通知", "regulation", pub="2024-03-04",
             text=GOV_2007),
        page("/fg/6.html", "临沂市城市绿化条例", "regulation", pub="2024-03-04",
             text="（2016年8月1日临沂市第十八届人民代表大会常务委员会第三十六次会议通过）"),
    ])
    found = run(store, ["regulation"])
    assert set(found) == {("regulation.stale", "/fg/1.html"), ("regulation.stale", "/fg/3.html")}
    ev = found[("regulation.stale", "/fg/1.html")].evidence
    assert ev["in_force"]["decree"] == "国务院令第711号" and ev["page_shows"]["decrees"] == ["国务院令第492号"]
    assert "flk.npc.gov.cn" in ev["official_source"] and "行政法规库" in ev["official_text"]
    mine = tmp_path / "local.yaml"
    mine.write_text("regulations:\n  - title: 临沂市城市绿化条例\n    kind: 地方性法规\n"
                    "    current: {date: 2023-05-01, event: 修正}\n    superseded: [{date: 2016-08-01, event: 通过}]\n"
                    "    source: 临沂人大网\n", encoding="utf-8")
    found = run(store, ["regulation"], {"regulation.stale": {"catalog": str(mine)}})
    assert ("regulation.stale", "/fg/6.html") in found and len(found) == 3
    found = run(store, ["regulation"], {"regulation.stale": {"catalog": str(mine), "catalog_mode": "replace"}})
    assert set(found) == {("regulation.stale", "/fg/6.html")}


def test_every_check_documents_itself():
    from checks.registry import all_checks

    all_checks()
    for code in ("policy.no-interpretation", "policy.late-interpretation", "regulation.stale",
                 "document.expired-unmarked", "document.repealed-unmarked", "document.marking-wrong"):
        chk = REGISTRY[code]
        assert "Not flagged" in chk.doc and "Evidence" in chk.doc and chk.source and chk.fix
        assert any("\u4e00" <= c <= "\u9fff" for c in chk.title)
    assert REGISTRY["policy.no-interpretation"].options["since"] == "2019-05-15"
    assert REGISTRY["policy.late-interpretation"].options["max_workdays"] == 3
    assert REGISTRY["document.marking-wrong"].severity.value == "warning"
