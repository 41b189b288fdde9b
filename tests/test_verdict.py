"""Per-site verdicts (reports/verdict.py) on a real SQLite store: each 单项否决 item at its
threshold and just below it, undecided items, province overrides, the health score and the
trend since the previous run."""

from __future__ import annotations

import json

import pytest

from core.models import Finding, Severity, fingerprint
from reports.data import load_report_data
from store import Store

VETO_CHECKS = ("column.empty", "column.stale", "site.home-stale", "site.unavailable", "text.serious-error",
               "interaction.unanswered")


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "a.db")
    yield s
    s.close()


def stale(site, n, kind, age, prefix="c"):
    return [Finding(check="column.stale", severity=Severity.WARNING, site=site, url=f"http://{site}/{prefix}{kind}{i}/",
                    page=None, message="栏目未更新", fingerprint=fingerprint("column.stale", site, prefix, kind, i),
                    evidence={"kind": kind, "age_days": age, "newest": "2024-01-01"}) for i in range(n)]


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
