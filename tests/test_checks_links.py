"""Link checks on a snapshot written into a real SQLite store, and the registry's rules:
selection by prefix, severity overrides, options, and a failing check isolated."""

from __future__ import annotations

import json
from datetime import date

import pytest

from checks.registry import REGISTRY, CheckSettings, check, is_selected, run_checks
from core.models import Verify
from store import Store


def fetch(url, site="甲", kind="page", outcome="ok", status=200, redirects=(), title="", heading="",
          text_hash=None, notfound=0, host=None):
    return {"run_id": 1, "site": site, "url": url, "host": host or url.split("/")[2], "kind": kind, "depth": 1,
            "method": "GET", "status": status, "outcome": outcome, "error": None if outcome == "ok" else "HTTP 404",
            "attempts": 1, "elapsed": 0.1, "redirects_json": json.dumps(list(redirects)), "final_url": url,
            "content_type": "text/html", "title": title, "heading": heading, "size": 100, "text_hash": text_hash,
            "notfound_text": notfound, "fetched_at": "2024-06-30T00:00:00"}


def link(source, target, site="甲", anchor="链接", kind="page", hidden=None):
    return {"run_id": 1, "site": site, "source_url": source, "target_url": target, "raw_href": target,
            "anchor": anchor, "tag": "a", "attr": "href", "line": 3, "kind": kind, "hidden": int(bool(hidden)),
            "hidden_reason": hidden, "list_date": None}


@pytest.fixture
def store(tmp_path):
    db = Store(tmp_path / "a.db")
    db.begin_run(audit_date="2024-06-30", config={}, options={}, versions={})
    return db


def run(store, settings=None, only=()):
    return run_checks(store, 1, date(2024, 6, 30), {}, settings or CheckSettings(), only=only)


def test_an_external_url_fetched_once_is_a_finding_for_each_site_linking_to_it(store):
    dead = "http://ext.example/gone.html"
    store.insert_many("fetches", [fetch(dead, kind="external", outcome="http_error", status=404)])
    store.insert_many("links", [link("http://a/1.html", dead, "甲", kind="external"),
                                link("http://a/2.html", dead, "甲", kind="external"),
                                link("http://b/1.html", dead, "乙", kind="external")])
    run(store, only=["link.broken"])
    found = {f.site: f for f in store.findings(1)}
    assert set(found) == {"甲", "乙"}
    assert found["甲"].evidence["linked_from"]["count"] == 2
    assert found["乙"].evidence["linked_from"]["pages"][0]["page"] == "http://b/1.html"
    assert found["甲"].fingerprint != found["乙"].fingerprint


def test_link_wrong_threshold_and_lookalikes(store):
    store.insert_many("fetches", [
        fetch("http://a/x.html", title="关于开展2024年安全生产大检查的通知_临沂市人民政府"),
        fetch("http://a/y.html", title="关于印发《临沂市优化营商环境若干措施》的通知_临沂市人民政府"),
        fetch("http://a/z.html", title="临沂市人民政府"),
    ])
    store.insert_many("links", [
        link("http://a/l.html", "http://a/x.html", anchor="关于印发《临沂市优化营商环境若干措施》的通知"),
        link("http://a/l.html", "http://a/y.html", anchor="关于印发《临沂市优化营商环境若干..."),
        link("http://a/l.html", "http://a/z.html", anchor="关于印发《临沂市优化营商环境若干措施》的通知"),
        link("http://a/l.html", "http://a/x.html", anchor="更多"),
    ])
    run(store, only=["link.wrong"])
    findings = store.findings(1)
    assert [(f.url, f.page) for f in findings] == [("http://a/x.html", "http://a/l.html")]
    assert findings[0].evidence["similarity"] < 45


def test_soft404_by_text_and_by_the_hosts_random_url_page(store):
    store.insert_many("fetches", [
        fetch("http://b/portal-audit-probe-1.html", kind="probe", text_hash="H1"),
        fetch("http://b/gone.html", kind="external", text_hash="H1", title="提示信息"),
        fetch("http://b/", kind="external", text_hash="H1"),
        fetch("http://a/deleted.html", notfound=1, title="页面不存在", text_hash="H2"),
        fetch("http://a/fine.html", text_hash="H3"),
    ])
    run(store, only=["link.soft404"])
    assert sorted(f.url for f in store.findings(1)) == ["http://a/deleted.html", "http://b/gone.html"]


def test_redirect_chain_option_and_severity_override(store):
    hops = [{"url": f"http://a/{i}", "status": 301} for i in range(3)] + [{"url": "http://a/end", "status": 200}]
    store.insert_many("fetches", [fetch("http://a/0", redirects=hops)])
    run(store, only=["link.redirect-chain"])
    assert store.findings(1) == []
    settings = CheckSettings(options={"link.redirect-chain": {"max_hops": 2}}, severity={"link": "info"})
    run(store, settings, only=["link.redirect-chain"])
    [finding] = store.findings(1)
    assert finding.severity.value == "info" and finding.evidence["max_hops"] == 2


def test_hidden_links_never_visible_or_spam_worded_to_foreign_hosts_only(store):
    store.insert_many("links", [
        link("http://a/", "http://spam/", kind="external", hidden="off-screen left:-9999px"),
        link("http://a/", "http://casino/", kind="external", hidden="display:none", anchor="澳门博彩"),
        link("http://a/", "http://weibo.example/", kind="external", hidden="display:none", anchor="官方微博"),
        link("http://a/", "http://www.hebei.gov.cn/", kind="external", hidden="font-size:0", anchor="河北省"),
        link("http://a/", "http://a/menu", kind="page", hidden="font-size:0"),
        link("http://a/", "http://b/", kind="external")])
    run(store, only=["link.hidden"])
    found = {f.url: f for f in store.findings(1)}
    assert sorted(found) == ["http://casino/", "http://spam/"]
    assert found["http://spam/"].evidence["never_visible"] is True
    assert found["http://casino/"].evidence["spam_words"] == ["博彩"]
    assert found["http://casino/"].evidence["foreign_host"] == "casino"


def test_selection_rules():
    assert is_selected("link.broken", [], [])
    assert not is_selected("link.broken", [], ["link"])
    assert is_selected("link.broken", [], ["link.wrong"])
    assert is_selected("link.broken", ["link.broken"], ["link"])       # most specific wins
    assert not is_selected("link.broken", ["link"], ["link.broken"])
    assert not is_selected("ipv6.no-aaaa", ["link"], [])


def test_a_failing_check_is_recorded_and_does_not_stop_the_others(store):
    @check("test.explodes", title="测试", severity="info", fix="无", verify=Verify.PAGE)
    def explodes(ctx):
        """Always fails."""
        raise RuntimeError("boom")
        yield  # pragma: no cover

    try:
        results = {r.code: r for r in run(store, only=["test.explodes", "link.broken"])}
        assert results["test.explodes"].state == "error" and "boom" in results["test.explodes"].error
        assert results["link.broken"].state == "ok"
        states = {r["check_code"]: r["state"] for r in store.check_runs(1)}
        assert states == {"test.explodes": "error", "link.broken": "ok"}
    finally:
        del REGISTRY["test.explodes"]
