"""Per-site verdicts (reports/verdict.py) on a real SQLite store: each 单项否决 item at its
threshold and just below it, undecided items, province overrides, the health score and the
trend since the previous run."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from core.models import Finding, Severity, fingerprint
from reports.data import load_report_data
from store import Store
from tests.conftest import read_findings, run_cli, write_config
from tests.hostile import HostileServer, page

VETO_CHECKS = ("column.empty", "column.stale", "site.home-stale", "site.unavailable", "text.serious-error",
               "interaction.unanswered")


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "a.db")
    yield s
    s.close()


def stale(site, n, kind, age, prefix="c", level=1):
    return [Finding(check="column.stale", severity=Severity.WARNING, site=site, url=f"http://{site}/{prefix}{kind}{i}/",
                    page=None, message="栏目未更新", fingerprint=fingerprint("column.stale", site, prefix, kind, i),
                    evidence={"kind": kind, "age_days": age, "newest": "2024-01-01", "level": level})
            for i in range(n)]


def empty(site, n):
    return [Finding(check="column.empty", severity=Severity.WARNING, site=site, url=f"http://{site}/e{i}/", page=None,
                    message="空白栏目", fingerprint=fingerprint("column.empty", site, i)) for i in range(n)]


def make_run(store, findings, sites, *, config_extra=None, states=None):
    config = {"sites": [{"name": s, "url": f"http://{s}/", "code": f"37130000{i:02d}", "unit": f"单位{i}"}
                        for i, s in enumerate(sites)], **(config_extra or {})}
    rid = store.begin_run(audit_date="2024-06-30", config=config, options={}, versions={})
    for s in sites:
        store.set_run_site(rid, s, url=f"http://{s}/", status="unreachable" if s == "down" else "ok", pages=1, links=1)
    store.save_findings(rid, findings)
    for code in VETO_CHECKS:
        state = (states or {}).get(code, "found" if any(f.check == code for f in findings) else "ok")
        store.record_check_run(rid, code, state, 0, None, 0.0)
    store.finish_run(rid, "completed")
    return rid


def verdicts(store, rid):
    return {v.site: v for v in load_report_data(store, rid).verdicts}


SITES = ["a", "b", "c", "d", "down"]
FINDINGS = [*empty("a", 5),
            *empty("b", 4), *stale("b", 2, "news", 20), *stale("b", 2, "notice", 200), *stale("b", 1, "policy", 190),
            *stale("c", 4, "news", 20), *stale("c", 3, "guide", 400),
            *stale("d", 10, "report", 400)]


def test_each_veto_item_at_and_below_its_threshold(store):
    v = verdicts(store, make_run(store, FINDINGS, SITES))
    assert v["a"].verdict == "不合格" and [i.id for i in v["a"].triggered] == ["blank-columns"]
    assert v["b"].verdict == "不合格" and [i.id for i in v["b"].triggered] == ["stale-columns"]
    assert v["b"].counts["blank_columns"] == 4
    assert v["b"].counts["stale_columns"] == {"动态/要闻": 2, "通知公告": 2, "政策文件": 1}
    # 4 stale 动态 columns and 3 stale columns of another kind: neither item reaches its threshold
    assert not v["c"].triggered and v["c"].counts["long_stale_columns"] == 3
    assert v["d"].verdict == "不合格" and [i.id for i in v["d"].triggered] == ["long-stale-columns"]
    # no watch data: availability undecided, so no site is 合格 yet, and the reason says why
    assert v["c"].verdict == "待定" and [i.id for i in v["c"].undecided] == ["availability"]
    assert "未进行可用性监测" in v["c"].undecided[0].reason
    # an unreachable home page decides nothing about the content
    assert v["down"].verdict == "待定" and {i.id for i in v["down"].undecided} >= {"blank-columns", "home-stale"}
    assert v["a"].code == "3713000000" and v["a"].unit == "单位0"


def test_undecided_when_a_check_did_not_run(store):
    rid = make_run(store, stale("c", 1, "news", 20), ["c"], states={"text.serious-error": "error"},
                   config_extra={"checks": {"options": {"site.unavailable": {}}}})
    item = next(i for i in verdicts(store, rid)["c"].items if i.id == "serious-error")
    assert not item.decided and "执行出错" in item.reason


def test_province_overrides(store):
    extra = {"inspection": {"thresholds": {"veto": {"blank-columns": {"threshold": 4}}}}}
    v = verdicts(store, make_run(store, FINDINGS, SITES, config_extra=extra))
    assert {i.id for i in v["b"].triggered} == {"blank-columns", "stale-columns"}
    assert next(i for i in v["b"].items if i.id == "blank-columns").threshold == 4


def test_score_and_trend(store):
    first = make_run(store, FINDINGS, SITES)
    v1 = verdicts(store, first)
    # 5 空白栏目 × 2 = 10 (cap 10); availability and the unregistered checks are not measured
    assert v1["a"].score == 90.0 and v1["a"].previous is None
    second = make_run(store, empty("a", 2), SITES)
    v2 = verdicts(store, second)
    assert v2["a"].score == 96.0 and v2["a"].previous["verdict"] == "不合格" and v2["a"].score_delta == 6.0
    assert v2["a"].previous["run_id"] == first
    summary = v2["a"].as_dict()
    assert json.loads(json.dumps(summary, ensure_ascii=False))["site_code"] == "3713000000"


def test_stale_notice_and_policy_columns_count_as_first_level_columns_only(store):
    """栏目不更新 counts 通知公告/政策文件 一级栏目 (国办函〔2019〕80号); their sub-columns are
    findings of their own but not veto counts; 动态/要闻 columns count at any level."""
    findings = [*stale("e", 2, "notice", 200), *stale("e", 4, "notice", 200, prefix="sub", level=2),
                *stale("e", 2, "policy", 200), *stale("e", 3, "policy", 200, prefix="sub", level=2),
                *stale("f", 4, "notice", 200), *stale("f", 1, "news", 20, prefix="sub", level=2)]
    v = verdicts(store, make_run(store, findings, ["e", "f"]))
    assert v["e"].counts["stale_columns"] == {"动态/要闻": 0, "通知公告": 2, "政策文件": 2}
    assert v["e"].counts["stale_columns_total"] == 11 and not v["e"].triggered
    assert v["f"].counts["stale_columns"] == {"动态/要闻": 1, "通知公告": 4, "政策文件": 0}
    assert [i.id for i in v["f"].triggered] == ["stale-columns"]


def _list(*items, title: str = "") -> tuple:
    return page(f"<title>{title}</title><ul class='list'>" + "".join(
        f"<li><a href='{href}'>{name}</a><span>{when}</span></li>" for href, name, when in items) + "</ul>")


def test_column_levels_on_a_generated_portal(tmp_path):
    """From the CLI: a 通知公告 column with a 部门通知 sub-column, both stale, and a 公示公告
    column under a grouping page (市直部门, no items of its own: not a level)."""
    article = page("<h1>通知</h1><p>正文内容</p>")
    routes = {
        "/": page("<a href='/xxgk/'>政府信息公开</a>"),
        "/xxgk/": page("<a href='/xxgk/tzgg/'>通知公告</a><a href='/xxgk/zcwj/'>政策文件</a>"
                       "<a href='/xxgk/szbm/'>市直部门</a>"),
        "/xxgk/tzgg/": _list(("/xxgk/tzgg/202310/t1.html", "关于开展秋季安全检查的通知", "2023-10-09"),
                             ("/xxgk/tzgg/bmtz/", "部门通知", "")),
        "/xxgk/tzgg/bmtz/": _list(("/xxgk/tzgg/bmtz/202309/t2.html", "关于报送统计数据的通知", "2023-09-01")),
        "/xxgk/zcwj/": _list(("/xxgk/zcwj/202406/t3.html", "关于印发实施方案的通知", "2024-06-20")),
        "/xxgk/szbm/": page("<title>市直部门</title><a href='/xxgk/szbm/gsgg/'>公示公告</a>"),
        "/xxgk/szbm/gsgg/": _list(("/xxgk/szbm/gsgg/202311/t4.html", "关于拟表彰对象的公示", "2023-11-02"),
                                  title="公示公告"),
        **{p: article for p in ("/xxgk/tzgg/202310/t1.html", "/xxgk/tzgg/bmtz/202309/t2.html",
                                "/xxgk/zcwj/202406/t3.html", "/xxgk/szbm/gsgg/202311/t4.html")},
    }
    srv = HostileServer(routes)
    try:
        cfg = write_config(tmp_path / "c.yaml", [("甲站", srv.url("/"))], store=tmp_path / "a.db",
                           extra="ipv6: {enabled: false}")
        done = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out"), "--no-progress", "--only", "column")
        assert done.returncode == 0, done.stderr
        stale_found = {f["url"].removeprefix(srv.url("")): f["evidence"] for f in read_findings(tmp_path / "out")
                       if f["check"] == "column.stale"}
        assert {u: (e["kind"], e["level"]) for u, e in stale_found.items()} == {
            "/xxgk/tzgg/": ("notice", 1), "/xxgk/tzgg/bmtz/": ("notice", 2), "/xxgk/szbm/gsgg/": ("notice", 1)}
        assert stale_found["/xxgk/tzgg/bmtz/"]["parent"] == srv.url("/xxgk/tzgg/")
        site = json.loads((tmp_path / "out" / "sites.jsonl").read_text(encoding="utf-8").splitlines()[0])
        assert site["counts"]["stale_columns"]["通知公告"] == 2 and site["counts"]["stale_columns_total"] == 3
        # the run summary: the site's counts (read as aggregates) and the verdict the reports show
        found = read_findings(tmp_path / "out")
        sev = Counter(f["severity"] for f in found)
        assert f"错误 {sev['error']} · 警告 {sev['warning']} · 提示 {sev['info']}" in done.stderr
        assert f"    {'column.stale':<28} 3" in done.stderr
        assert f"检查结论：{site['verdict']}" in done.stderr
    finally:
        srv.stop()


def broken(site, n, page, prefix="b"):
    """link.broken findings on ``page``, each also linked from ``http://{site}/other.html``."""
    return [Finding(check="link.broken", severity=Severity.ERROR, site=site, url=f"http://{site}/{prefix}{i}.html",
                    page=page, message="链接不可用", fingerprint=fingerprint("link.broken", site, prefix, i),
                    evidence={"linked_from": {"pages": [{"page": f"http://{site}/other.html"}]}})
            for i in range(n)]


def test_previous_run_counted_one_finding_at_a_time_equals_the_verdicts_of_its_findings_held(store):
    """The trend's previous verdicts (``_previous``: the previous run's findings streamed in site
    order and only counted) are those computed from the previous run's findings held in a list,
    as its own report computes them: veto items with kinds, levels and ages, home and other
    links, a waived finding left out, a site with no finding, an unreachable one."""
    from reports.verdict import _previous, _Site, compute
    from store.history import counts_of

    findings = [*FINDINGS, *stale("c", 12, "news", 400, prefix="old"), *stale("b", 3, "notice", 200, prefix="s", level=2),
                *broken("a", 3, "http://a/"), *broken("c", 7, "http://c/deep.html"),
                *broken("d", 2, "http://d/x.html", prefix="h"), *empty("down", 6)]
    first = make_run(store, findings, [*SITES, "quiet"])
    waived_fp = empty("a", 5)[0].fingerprint
    store.db.execute("INSERT INTO finding_status (run_id, fingerprint, site, check_code, severity, status)"
                     " VALUES (?, ?, 'a', 'column.empty', 'warning', 'waived')", (first, waived_fp))
    second = make_run(store, empty("a", 1), [*SITES, "quiet"])
    sites = [_Site(r["site"], r["url"], r["status"]) for r in store.run_sites(first)]
    waived = set(counts_of(store, first, "waived"))
    held = compute(store, first, [f for f in store.findings(first) if f.fingerprint not in waived],
                   {r["check_code"]: r["state"] for r in store.check_runs(first)}, sites,
                   json.loads(store.run(first)["config_json"]), with_trend=False)
    expected = {v.site: {"run_id": first, "verdict": v.verdict, "score": v.score, "veto": [i.id for i in v.triggered]}
                for v in held}
    assert _previous(store, second, sites) == expected
    assert expected["a"]["veto"] == [] and expected["c"]["veto"] == ["stale-columns", "long-stale-columns"]
    assert expected["a"]["score"] != expected["quiet"]["score"]      # the home links and other links counted
    assert {s: v.previous for s, v in verdicts(store, second).items()} == expected
