"""Finding identity across runs and the status rules, on snapshots written into a real store.

- the fingerprint of the link checks survives a moved anchor, a changed anchor text
  and a changed page title, and changes with the target;
- new / open / fixed / reopened / waived, and every case where a run is *not*
  evidence of a fix (page not reached, site down, check not run or failed,
  interrupted run);
- stale 'running' runs, the lock, pruning that keeps the history, the trend.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from checks.registry import CheckSettings, run_checks, verify_rules
from core.models import Finding, Severity, fingerprint
from portal_audit.lock import LockHeld, StoreLock
from reports import history as history_view
from store import Store, history


SITE = "甲"


def fetch(run_id, url, outcome="ok", status=200, kind="page", title="", heading="", notfound_text=0):
    return {"run_id": run_id, "site": SITE, "url": url, "host": url.split("/")[2], "kind": kind, "depth": 1,
            "method": "GET", "status": status, "outcome": outcome, "error": None if outcome == "ok" else f"HTTP {status}",
            "attempts": 1, "elapsed": 0.1, "redirects_json": "[]", "final_url": url, "content_type": "text/html",
            "title": title, "heading": heading, "size": 100, "text_hash": None, "notfound_text": notfound_text,
            "fetched_at": "2024-06-30T00:00:00"}


def link(run_id, source, target, anchor="附件", line=3, kind="page", hidden=None):
    return {"run_id": run_id, "site": SITE, "source_url": source, "target_url": target, "raw_href": target,
            "anchor": anchor, "tag": "a", "attr": "href", "line": line, "kind": kind, "hidden": int(bool(hidden)),
            "hidden_reason": hidden, "list_date": None}


def page(run_id, url, title="页面", depth=1, is_home=0):
    return {"run_id": run_id, "site": SITE, "url": url, "final_url": url, "status": 200, "title": title,
            "heading": title, "depth": depth, "is_home": is_home, "is_list": 0, "main_text": "", "meta_json": "{}"}


@pytest.fixture
def store(tmp_path):
    db = Store(tmp_path / "store" / "a.db")
    yield db
    db.close()


def snapshot(store, *, pages=(), fetches=(), links=(), status="completed", site_status="ok"):
    run_id = store.begin_run(audit_date="2024-06-30", config={}, options={"sites": [SITE]}, versions={})
    store.insert_many("pages", [page(run_id, *p) if isinstance(p, tuple) else page(run_id, p) for p in pages])
    store.insert_many("fetches", [fetch(run_id, *f) if isinstance(f, tuple) else fetch(run_id, **f) for f in fetches])
    store.insert_many("links", [link(run_id, *l) if isinstance(l, tuple) else link(run_id, **l) for l in links])
    store.set_run_site(run_id, SITE, url="http://a/", status=site_status, pages=len(pages), links=len(links))
    return run_id


def audit(store, run_id, only=("link.broken", "link.wrong", "link.hidden", "site.unreachable"), status="completed"):
    run_checks(store, run_id, date(2024, 6, 30), {}, CheckSettings(), only=list(only))
    store.finish_run(run_id, status)
    history.apply_run(store, run_id, verify_rules())
    return {f.url: f for f in store.findings(run_id)}


def status_of(store, run_id):
    return {r["url"]: r["status"] for r in store.query(
        "SELECT h.url, s.status FROM finding_status s JOIN finding_history h USING (fingerprint) WHERE s.run_id = ?",
        (run_id,))}


# -- identity --------------------------------------------------------------------------------
def test_fingerprint_ignores_anchor_position_and_titles_but_not_the_target(store):
    wrong_anchor = "关于印发甲市优化营商环境若干措施的通知"
    r1 = snapshot(store,
                  pages=[("http://a/p.html", "旧标题")],
                  fetches=[("http://a/gone.html", "http_error", 404),
                           dict(url="http://a/doc.html", title="关于开展全市安全生产大检查工作的通知")],
                  links=[("http://a/p.html", "http://a/gone.html", "附件一", 3),
                         ("http://a/p.html", "http://a/doc.html", wrong_anchor, 4)])
    f1 = audit(store, r1)
    # the anchor moves down the page and its text changes, the page and the target get new titles
    r2 = snapshot(store,
                  pages=[("http://a/p.html", "新标题（修订）")],
                  fetches=[("http://a/gone.html", "http_error", 410),
                           dict(url="http://a/doc.html", title="关于开展全市消防安全专项检查的通知")],
                  links=[("http://a/p.html", "http://a/gone.html", "附件一（修订版）", 40),
                         ("http://a/p.html", "http://a/doc.html", wrong_anchor + "（修订）", 41)])
    f2 = audit(store, r2)
    assert f1["http://a/gone.html"].fingerprint == f2["http://a/gone.html"].fingerprint
    assert f1["http://a/doc.html"].fingerprint == f2["http://a/doc.html"].fingerprint
    assert f1["http://a/gone.html"].message != f2["http://a/gone.html"].message   # the message may change
    # a different target is a different finding
    r3 = snapshot(store,
                  pages=[("http://a/p.html", "新标题")],
                  fetches=[("http://a/gone2.html", "http_error", 404),
                           dict(url="http://a/doc2.html", title="关于开展全市消防安全专项检查的通知")],
                  links=[("http://a/p.html", "http://a/gone2.html", "附件一", 3),
                         ("http://a/p.html", "http://a/doc2.html", wrong_anchor, 4)])
    f3 = audit(store, r3)
    assert f3["http://a/gone2.html"].fingerprint != f1["http://a/gone.html"].fingerprint
    assert f3["http://a/doc2.html"].fingerprint != f1["http://a/doc.html"].fingerprint
    assert status_of(store, r2) == {"http://a/gone.html": "open", "http://a/doc.html": "open"}
    assert status_of(store, r3) == {"http://a/gone.html": "fixed", "http://a/doc.html": "fixed",
                                    "http://a/gone2.html": "new", "http://a/doc2.html": "new"}


def test_fingerprint_is_identity_only():
    assert fingerprint("link.broken", "甲", "http://a/x") == fingerprint("link.broken", "甲", "http://a/x")
    assert fingerprint("link.broken", "甲", "http://a/x") != fingerprint("link.broken", "乙", "http://a/x")
    assert fingerprint("link.broken", "甲", "http://a/x") != fingerprint("attachment.broken", "甲", "http://a/x")


# -- statuses --------------------------------------------------------------------------------
BROKEN = [("http://a/gone.html", "http_error", 404)]
LINKS = [("http://a/p.html", "http://a/gone.html")]


def test_new_open_fixed_reopened(store):
    r1 = snapshot(store, pages=["http://a/p.html"], fetches=BROKEN, links=LINKS)
    audit(store, r1)
    r2 = snapshot(store, pages=["http://a/p.html"], fetches=BROKEN, links=LINKS)
    audit(store, r2)
    r3 = snapshot(store, pages=["http://a/p.html"], fetches=[("http://a/gone.html", "ok", 200)], links=LINKS)
    audit(store, r3)
    r4 = snapshot(store, pages=["http://a/p.html"])                                   # still fixed: no opinion
    audit(store, r4)
    r5 = snapshot(store, pages=["http://a/p.html"], fetches=BROKEN, links=LINKS)
    audit(store, r5)
    assert [status_of(store, r).get("http://a/gone.html") for r in (r1, r2, r3, r4, r5)] == \
        ["new", "open", "fixed", None, "reopened"]
    h = history.history_row(store, fingerprint("link.broken", SITE, "http://a/gone.html"))
    assert (h["times_seen"], h["times_fixed"], h["times_reopened"], h["first_seen_run"], h["last_seen_run"]) == \
        (3, 1, 1, r1, r5)
    assert h["first_seen"] == store.run(r1)["started_at"]
    assert history.apply_run(store, r5, verify_rules()) == history.run_status_counts(store, r5)       # applying twice: no-op
    assert history.history_row(store, h["fingerprint"])["times_seen"] == 3


@pytest.mark.parametrize("case, why", [
    ("page not reached", "引用该链接的页面本次未访问到"),
    ("site down", "站点首页本次无法访问"),
    ("interrupted", "本次运行未完成"),
    ("check not run", "本次未执行该检查项"),
    ("check failed", "该检查项本次执行出错"),
])
def test_absence_that_proves_nothing_is_not_a_fix(store, case, why):
    r1 = snapshot(store, pages=["http://a/p.html"], fetches=BROKEN, links=LINKS)
    audit(store, r1)
    if case == "page not reached":
        r2 = snapshot(store, pages=["http://a/other.html"])
        audit(store, r2)
    elif case == "site down":
        r2 = snapshot(store, site_status="unreachable")
        audit(store, r2)
    elif case == "interrupted":
        r2 = snapshot(store, pages=["http://a/p.html"])
        audit(store, r2, status="interrupted")
    elif case == "check not run":
        r2 = snapshot(store, pages=["http://a/p.html"])
        audit(store, r2, only=["link.wrong"])
    else:
        r2 = snapshot(store, pages=["http://a/p.html"])
        store.record_check_run(r2, "link.broken", "error", 0, "boom", 0.0)
        store.finish_run(r2, "completed")
        history.apply_run(store, r2, verify_rules())
    row = store.query("SELECT status, note FROM finding_status WHERE run_id = ?", (r2,))
    assert [r["status"] for r in row] == ["unverified"]
    assert why in row[0]["note"]
    assert history.history_row(store, fingerprint("link.broken", SITE, "http://a/gone.html"))["status"] == "new"


def test_a_target_fixed_while_its_page_was_not_parsed_is_fixed_when_fetched_fine(store):
    r1 = snapshot(store, pages=["http://a/p.html"], fetches=BROKEN, links=LINKS)
    audit(store, r1)
    # the linking page is not parsed, but another page links the target, which now works
    r2 = snapshot(store, pages=["http://a/q.html"], fetches=[("http://a/gone.html", "ok", 200)],
                  links=[("http://a/q.html", "http://a/gone.html")])
    audit(store, r2)
    assert status_of(store, r2) == {"http://a/gone.html": "fixed"}


def test_a_blocked_target_is_not_a_fix(store):
    r1 = snapshot(store, pages=["http://a/p.html", "http://a/q.html"], fetches=BROKEN,
                  links=[("http://a/p.html", "http://a/gone.html"), ("http://a/q.html", "http://a/gone.html")])
    audit(store, r1)
    r2 = snapshot(store, pages=["http://a/p.html"], fetches=[("http://a/gone.html", "blocked", 403)],
                  links=[("http://a/p.html", "http://a/gone.html")])
    audit(store, r2)
    assert status_of(store, r2)["http://a/gone.html"] == "unverified"


def test_a_blocked_target_still_linked_from_every_reparsed_page_is_not_a_fix(store):
    """Re-parsing the linking pages proves a fix only when they no longer link the target: a
    target they still link, fetched and blocked, decides nothing."""
    links = [("http://a/p.html", "http://a/gone.html")]
    r1 = snapshot(store, pages=["http://a/p.html"], fetches=BROKEN, links=links)
    audit(store, r1)
    r2 = snapshot(store, pages=["http://a/p.html"], fetches=[("http://a/gone.html", "blocked", 403)], links=links)
    audit(store, r2)
    assert status_of(store, r2)["http://a/gone.html"] == "unverified"
    note = store.scalar("SELECT note FROM finding_status WHERE run_id = ?", (r2,))
    assert "无法判定" in note


def test_a_soft404_is_fixed_only_with_the_hosts_not_found_sample(store):
    """link.soft404 declares verify=target-probe: the target answering is proof only when the
    same run took the host's answer to an unknown URL (a soft 404 is judged against it)."""
    links = [("http://a/p.html", "http://a/x.html")]
    soft = dict(url="http://a/x.html", title="页面不存在", notfound_text=1)
    probe = dict(url="http://a/portal-audit-probe-1.html", outcome="http_error", status=404, kind="probe")
    only = ("link.soft404",)
    r1 = snapshot(store, pages=["http://a/p.html"], fetches=[soft, probe], links=links)
    assert list(audit(store, r1, only=only)) == ["http://a/x.html"]
    r2 = snapshot(store, pages=["http://a/p.html"], fetches=[dict(url="http://a/x.html", title="通知")], links=links)
    audit(store, r2, only=only)
    assert status_of(store, r2) == {"http://a/x.html": "unverified"}
    assert "软404样本" in store.scalar("SELECT note FROM finding_status WHERE run_id = ?", (r2,))
    r3 = snapshot(store, pages=["http://a/p.html"], fetches=[dict(url="http://a/x.html", title="通知"), probe],
                  links=links)
    audit(store, r3, only=only)
    assert status_of(store, r3) == {"http://a/x.html": "fixed"}


def test_waived_stays_waived_and_fail_on_new_error(store):
    r1 = snapshot(store, pages=["http://a/p.html"], fetches=BROKEN, links=LINKS)
    audit(store, r1)
    assert len(history.new_errors(store, r1)) == 1
    fp = fingerprint("link.broken", SITE, "http://a/gone.html")
    store.db.execute("UPDATE finding_history SET status = 'waived', waived_by = '办公室', waived_reason = '误报'"
                     " WHERE fingerprint = ?", (fp,))
    r2 = snapshot(store, pages=["http://a/p.html"], fetches=BROKEN, links=LINKS)
    audit(store, r2)
    assert status_of(store, r2) == {"http://a/gone.html": "waived"}
    assert history.new_errors(store, r2) == []
    view = history_view.load_history_view(store, r2)
    assert [e.fingerprint for e in view.waived] == [fp] and view.sites[0]["waived"] == 1


def test_history_view_trend_and_counts(store):
    for n in range(3):
        rid = snapshot(store, pages=["http://a/p.html"],
                       fetches=[(f"http://a/gone{i}.html", "http_error", 404) for i in range(n + 1)],
                       links=[("http://a/p.html", f"http://a/gone{i}.html") for i in range(n + 1)])
        audit(store, rid)
    view = history_view.load_history_view(store, rid)
    assert [p.total for p in view.trend.points] == [1, 2, 3]
    assert view.sites[0]["new"] == 1 and view.sites[0]["open"] == 2
    assert view.trend.lines[0]["points"].count(",") == 3
    assert view.previous_run == rid - 1


# -- runs, lock, prune ---------------------------------------------------------------------------
def test_stale_running_runs_are_closed_as_interrupted(store):
    rid = store.begin_run(audit_date="2024-06-30", config={}, options={}, versions={})
    assert history.close_stale_runs(store) == [rid]
    assert store.run(rid)["status"] == "interrupted"


def test_lock_is_exclusive_and_released(tmp_path):
    path = tmp_path / "s" / "audit.db"
    with StoreLock(path, "run"):
        with pytest.raises(LockHeld) as info:
            StoreLock(path, "recheck").acquire()
        assert "另一个检查任务正在使用同一数据库" in str(info.value) and "run" in str(info.value)
    with StoreLock(path, "run"):
        pass


def test_prune_keeps_the_history(store):
    ids = []
    for _ in range(4):
        rid = snapshot(store, pages=["http://a/p.html"], fetches=BROKEN, links=LINKS)
        audit(store, rid)
        ids.append(rid)
    recheck = store.begin_run(audit_date="2024-06-30", config={}, options={}, versions={}, kind="recheck")
    store.finish_run(recheck, "completed")
    fp = fingerprint("link.broken", SITE, "http://a/gone.html")
    before = dict(history.history_row(store, fp))
    assert history.prune_runs(store, keep=2) == ids[:2]
    assert [r["id"] for r in store.runs()] == ids[2:] + [recheck]
    for table in ("pages", "links", "fetches", "findings", "check_runs", "run_sites", "finding_status"):
        assert store.scalar(f"SELECT COUNT(*) FROM {table} WHERE run_id IN (?, ?)", ids[:2]) == 0, table
    assert dict(history.history_row(store, fp)) == before
    assert history.prune_runs(store, keep=2) == []
    # the next run still knows the finding: open, first seen in a pruned run
    rid = snapshot(store, pages=["http://a/p.html"], fetches=BROKEN, links=LINKS)
    audit(store, rid)
    assert status_of(store, rid) == {"http://a/gone.html": "open"}
    assert history.history_row(store, fp)["first_seen_run"] == ids[0]


def test_diff(store):
    r1 = snapshot(store, pages=["http://a/p.html"], fetches=BROKEN, links=LINKS)
    audit(store, r1)
    r2 = snapshot(store, pages=["http://a/p.html"], fetches=[("http://a/new.html", "http_error", 404)],
                  links=[("http://a/p.html", "http://a/new.html")])
    audit(store, r2)
    items = {(d.change, d.finding.url): d.status for d in history_view.diff_runs(store, r1, r2)}
    assert items == {("appeared", "http://a/new.html"): "new", ("disappeared", "http://a/gone.html"): "fixed"}


def test_json_of_evidence_pages_drives_verification(store):
    """link.hidden is decided by the pages carrying the hidden link, not by the target."""
    r1 = snapshot(store, pages=["http://a/"],
                  links=[dict(source="http://a/", target="http://spam.example/", anchor="娱乐", kind="external",
                              hidden="display:none")])
    audit(store, r1)
    # the target is still fetched (linked visibly from elsewhere) but the home page was not parsed
    r2 = snapshot(store, pages=["http://a/x.html"], fetches=[dict(url="http://spam.example/", kind="external")],
                  links=[dict(source="http://a/x.html", target="http://spam.example/", anchor="娱乐", kind="external")])
    audit(store, r2)
    assert status_of(store, r2) == {"http://spam.example/": "unverified"}
    row = history.history_row(store, fingerprint("link.hidden", SITE, "http://spam.example/"))
    assert json.loads(row["evidence_json"])["linked_from"]["pages"][0]["page"] == "http://a/"


def test_ipv6_findings_need_the_ipv6_probes_of_the_run(store):
    fp_host = fingerprint("ipv6.no-aaaa", SITE, "http://a/")
    fp_link = fingerprint("ipv6.unreachable", SITE, "http://a/x.html")
    r1 = snapshot(store, pages=["http://a/", "http://a/p.html"])
    store.save_findings(r1, [
        Finding("ipv6.no-aaaa", Severity.ERROR, SITE, "http://a/", None, "没有 AAAA", fp_host),
        Finding("ipv6.unreachable", Severity.ERROR, SITE, "http://a/x.html", "http://a/p.html", "IPv6 不可达", fp_link)])
    for code in ("ipv6.no-aaaa", "ipv6.unreachable"):
        store.record_check_run(r1, code, "found", 1, None, 0.0)
    store.finish_run(r1, "completed")
    history.apply_run(store, r1, verify_rules())
    # both pages parsed again, both checks ran, nothing found — but no IPv6 audit data
    r2 = snapshot(store, pages=["http://a/", "http://a/p.html"])
    for code in ("ipv6.no-aaaa", "ipv6.unreachable"):
        store.record_check_run(r2, code, "ok", 0, None, 0.0)
    store.finish_run(r2, "completed")
    history.apply_run(store, r2, verify_rules())
    assert status_of(store, r2) == {"http://a/": "unverified", "http://a/x.html": "unverified"}
    # with the site's IPv6 audit and the link probed again: fixed
    r3 = snapshot(store, pages=["http://a/", "http://a/p.html"])
    store.insert_many("ipv6_sites", [{"run_id": r3, "site": SITE, "host": "a", "home_url": "http://a/",
                                     "stats_json": "{}"}])
    store.insert_many("ip_probes", [{"run_id": r3, "site": SITE, "level": 2, "url": "http://a/x.html", "host": "a",
                                     "family": 6, "source": "link", "outcome": "ok"}])
    for code in ("ipv6.no-aaaa", "ipv6.unreachable"):
        store.record_check_run(r3, code, "ok", 0, None, 0.0)
    store.finish_run(r3, "completed")
    history.apply_run(store, r3, verify_rules())
    assert status_of(store, r3) == {"http://a/": "fixed", "http://a/x.html": "fixed"}
