"""The inspection checks on small stored snapshots: required columns (name variants, block
headings), the 年度报告 deadline (31 January is on time), 公开属性 values, and 咨询
messages answered within 3 months (89 days is fine); the gatherer's reading of block
headings and of a message page's dates."""

from __future__ import annotations

import re
from datetime import date

import pytest

from checks.statutory import ANNUAL_REPORT_RE, add_months, due_year
from crawler import content, extract
from tests.conftest import read_findings, run_cli, write_config
from tests.hostile import HostileServer, page
from tests.test_checks_dates import H, Snapshot, meta


@pytest.fixture
def snap(tmp_path):
    s = Snapshot(tmp_path / "a.db")
    yield s
    s.store.close()


def site_stats(snap, columns: dict, sections=()) -> None:
    snap.store.set_run_site(snap.run, snap.site, url=f"{H}/", disclosure_url=f"{H}/xxgk/", status="ok",
                            stats_json={"columns": columns, "sections": list(sections)})


def test_months_and_deadlines():
    assert add_months(date(2024, 1, 15), 3) == date(2024, 4, 15)
    assert add_months(date(2023, 11, 30), 3) == date(2024, 2, 29)
    assert add_months(date(2024, 10, 31), 4) == date(2025, 2, 28)
    assert due_year(date(2024, 6, 30), 1, 31) == (2023, date(2024, 1, 31))
    assert due_year(date(2024, 1, 31), 1, 31) == (2022, date(2023, 1, 31))   # due today: not judged yet
    assert due_year(date(2024, 2, 1), 1, 31) == (2023, date(2024, 1, 31))


@pytest.mark.parametrize("title, year", [
    ("临沂市人民政府2023年政府信息公开工作年度报告", 2023),
    ("临沂市人民政府2023年政府信息公开工作年度报告（全文）", 2023),
    ("2022年度政府信息公开年报", 2022),
    ("某局2021年度信息公开工作年度报告", 2021),
    ("关于做好2023年度政府信息公开工作年度报告编制工作的通知", None),
    ("2023年政府信息公开工作年度报告解读", None),
    ("2023年统计年报", None),
])
def test_annual_report_titles(title, year):
    m = re.search(ANNUAL_REPORT_RE, title)
    assert (int(m["year"]) if m else None) == year


def test_required_columns_by_variants_headings_and_the_column_map(snap):
    disclosure = snap.page("/xxgk/", title="政府信息公开", is_list=True)
    home = snap.page("/", title="首页", home=True)
    snap.link(disclosure, "/xxgk/zn/", anchor="公开指南")
    snap.link(home, "/xxgk/zd/", anchor="政务公开制度")
    snap.link(home, "/other/nb/", anchor="信息公开年报")          # outside the 专栏: does not count
    site_stats(snap, {f"{H}/xxgk/gkml/": "column"}, sections=["法定主动公开内容"])
    found = snap.audit("column.required-missing")
    assert [f.evidence["missing"] for f in found] == ["政府信息公开年报"]
    site_stats(snap, {f"{H}/xxgk/nb/": "report"}, sections=["法定主动公开内容"])
    assert snap.audit("column.required-missing") == []


def test_annual_report_late_and_on_time(snap):
    site_stats(snap, {f"{H}/xxgk/ndbg/": "report"})
    snap.page("/xxgk/", title="政府信息公开", is_list=True)
    t = "某市人民政府2023年政府信息公开工作年度报告"
    on_time = snap.page("/xxgk/ndbg/t_1.html", title=t, meta=meta("2024-01-29", "2024-01-31"), kind="report")
    assert snap.audit("report.annual-late", "report.annual-missing") == []
    snap.store.db.execute("UPDATE pages SET meta_json = ? WHERE url = ?",
                          ('{"索引号": "x", "发布机构": "某市", "发布日期": "2024-02-01"}', on_time))
    found = snap.audit("report.annual-late", "report.annual-missing")
    assert [(f.check, f.evidence["days_late"]) for f in found] == [("report.annual-late", 1)]


def test_disclosure_attribute_values(snap):
    long_text = "为进一步规范工作程序，现将有关事项通知如下。" * 6
    ok = snap.page("/xxgk/zcwj/t_1.html", title="一", meta=meta("2024-01-02", "2024-01-03", 公开属性="主 动 公 开"),
                   text=long_text, kind="policy")
    bad = snap.page("/xxgk/zcwj/t_2.html", title="二", meta=meta("2024-01-02", "2024-01-03", 公开属性="免予公开"),
                    text=long_text, kind="policy")
    none = snap.page("/xxgk/zcwj/t_3.html", title="三", meta=meta("2024-01-02", "2024-01-03"), text=long_text,
                     kind="policy")
    open_ = snap.page("/xxgk/zcwj/t_4.html", title="四", meta=meta("2024-01-02", "2024-01-03", 公开属性="不予公开"),
                      text=long_text, kind="policy")
    entry = snap.page("/xxgk/zcwj/t_5.html", title="五", meta=meta("2024-01-02", "2024-01-03", 公开属性="依申请公开"),
                      text="本信息依申请公开。", kind="policy")
    snap.page("/xxgk/gzdt/t_6.html", title="新闻", meta={"发布日期": "2024-01-03"}, text=long_text)
    found = {f.url: f.evidence["problem"] for f in snap.audit("metadata.disclosure-attribute")}
    assert found == {bad: "invalid", none: "missing", open_: "published"}
    assert ok not in found and entry not in found


def message(snap, n: int, asked: str, answered: str | None, state: str, prefix: str = "/hdjl/xx/") -> str:
    m = {"留言日期": asked, "办理状态": state, **({"答复日期": answered} if answered else {})}
    url = snap.page(f"{prefix}t_{n}.html", title=f"留言{n}", meta=m)
    snap.link(f"{prefix}index.html", url, anchor=f"留言{n}", when=asked)
    return url


def test_messages_answered_within_three_months(snap):
    site_stats(snap, {f"{H}/hdjl/xx/": "interaction"})
    home = snap.page("/", title="首页", home=True)
    snap.link(home, "/hdjl/xx/index.html", anchor="书记信箱")
    message(snap, 1, "2024-01-15", "2024-04-13", "已回复")          # 89 days: fine
    late = message(snap, 2, "2024-01-15", "2024-04-16", "已回复")   # more than 3 months
    open_ = message(snap, 3, "2024-03-01", None, "待回复")          # 121 days, still open
    message(snap, 4, "2024-05-01", None, "办理中")                  # 2 months: not yet
    message(snap, 5, "2023-03-01", None, "未回复")                  # more than a year ago
    message(snap, 6, "2024-01-02", None, "")                        # no state, no reply date: undecidable
    message(snap, 7, "2024-01-02", None, "未回复", prefix="/xxgk/qt/")   # not a 咨询 column
    found = snap.audit("interaction.unanswered")
    assert sorted(f.url for f in found) == sorted([late, open_])


def test_no_consultation_channel(snap):
    home = snap.page("/", title="首页", home=True)
    snap.link(home, "/xf/", anchor="网上信访")
    snap.link(home, "/jb/", anchor="纪检举报")
    snap.link(home, "tel:12345", anchor="咨询电话", kind="tel")
    found = snap.audit("interaction.unanswered")
    assert [(f.url, f.evidence["problem"]) for f in found] == [(home, "no-channel")]
    snap.link(home, "/hdjl/", anchor="我要留言")
    assert snap.audit("interaction.unanswered") == []


def test_block_headings_and_message_dates_are_read():
    html = """<html><body><div class="xxgk-right">
<div class="xxgk-block"><div class="xxgk-block-title">法定主动公开内容</div><ul><li><a href="/a/">机构职能</a></li></ul></div>
<div class="xxgk-block"><div class="xxgk-block-title"><a href="/b/">政策文件</a></div><ul><li><a href="/c">x</a></li></ul></div>
</div><h2>网站说明</h2>
<table class="letter"><tr><td>标题：</td><td>咨询</td></tr><tr><td>来信时间：</td><td>2024-01-15</td></tr>
<tr><td>处理状态：</td><td>已办结</td></tr><tr><td>答复时间：</td><td>2024-04-13</td></tr></table></body></html>"""
    tree = extract.parse_tree(html)
    assert extract.section_headings(tree) == ["法定主动公开内容"]
    got = content.extract_metadata(tree)
    assert (got["留言日期"], got["办理状态"], got["答复日期"]) == ("2024-01-15", "已办结", "2024-04-13")


def test_list_only_messages_are_judged_from_the_list(tmp_path):
    """From the CLI: a 书记信箱 whose list shows each message's 留言时间, 回复时间 and 状态 and
    links no detail page — the list's rows are the messages (89 days is within 3 months)."""
    rows = [("关于小区路灯维修的咨询", "2024-01-15", "2024-04-16", "已回复"),      # 92 days: late
            ("关于学校招生政策的咨询", "2024-01-15", "2024-04-13", "已回复"),      # 89 days: within
            ("关于公交线路调整的建议", "2024-03-01", "", "未回复"),                # 121 days, still open
            ("关于垃圾分类的咨询", "2024-05-01", "", "办理中")]                   # 2 months: not yet
    table = ("<table class='letters'><tr><th>信件标题</th><th>留言时间</th><th>回复时间</th><th>状态</th></tr>"
             + "".join(f"<tr><td>{t}</td><td>{a}</td><td>{r}</td><td>{st}</td></tr>" for t, a, r, st in rows)
             + "</table>")
    srv = HostileServer({"/": page("<title>甲市人民政府</title><a href='/xxgk/'>政府信息公开</a>"
                                   "<a href='/hdjl/sjxx/'>书记信箱</a>"),
                         "/xxgk/": page("<title>政府信息公开</title>"),
                         "/hdjl/sjxx/": page(f"<title>书记信箱</title>{table}")})
    try:
        cfg = write_config(tmp_path / "c.yaml", [("甲站", srv.url("/"))], store=tmp_path / "a.db",
                           extra="ipv6: {enabled: false}")
        done = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out"), "--no-progress",
                       "--only", "interaction.unanswered")
        assert done.returncode == 0, done.stderr
        found = [f for f in read_findings(tmp_path / "out") if f["check"] == "interaction.unanswered"]
        assert sorted(f["evidence"]["title"] for f in found) == ["关于公交线路调整的建议", "关于小区路灯维修的咨询"]
        assert all(f["page"] == srv.url("/hdjl/sjxx/") for f in found)
        late = next(f for f in found if f["evidence"]["answered"])
        assert late["evidence"]["asked"] == "2024-01-15" and "92 天" in late["message"]
        assert found[0]["site_verdict"]["verdict"] == "不合格" and "interaction" in found[0]["site_verdict"]["veto"]
    finally:
        srv.stop()
