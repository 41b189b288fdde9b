"""The checks' shared indexes (``ctx.computed``) are kept only while a check still to run
declares it uses them (``@check(uses=…)``), so that the checks stage's memory is the
largest set of indexes alive at once, not all of them (issue 14). A declaration decides
memory, never results: the tests run every check of a real audit's snapshot together and
each on its own, on the sample portal and on the second generated style, and compare; and
the same checks dealt to two processes (``checks/workers.py``), one of them killed."""

from __future__ import annotations

import threading
import time
from datetime import date

import psutil
import pytest

from checks.registry import REGISTRY, Check, release_unused, run_checks, run_order
from checks.workers import groups, run_checks_parallel, shares
from core.models import Severity, Verify
from portal_audit.config import load_config
from portal_audit.runner import check_settings
from portal_audit.sample.content_misc import EXTRA_SITES
from store import Store
from tests.conftest import AUDIT_DATE, run_cli, served, write_config


def _audited(tmp, sites):
    cfg = write_config(tmp / "c.yaml", sites, store=tmp / "a.db")
    result = run_cli("run", "-c", str(cfg), "-o", str(tmp / "out"), "--no-progress")
    assert result.returncode in (0, 1), result.stderr
    return load_config(cfg)


@pytest.fixture(scope="module", params=["full", "second"])
def snapshot(request, tmp_path_factory, sample_server):
    """(config, store) of one real audit of a generated portal style."""
    tmp = tmp_path_factory.mktemp(f"indexes-{request.param}")
    if request.param == "full":
        sample_server.reset()
        cfg = _audited(tmp, [("临沂市政府", sample_server.base_url)]
                       + [(name, sample_server.url(path)) for name, path in EXTRA_SITES.items()])
    else:
        with served("second") as srv:
            cfg = _audited(tmp, [("青山县", srv.base_url)])
    store = Store(cfg.store.location)
    yield cfg, store
    store.close()


def _run(cfg, store, only=(), processes=0):
    run_id = store.runs("audit")[-1]["id"]
    sites = {s.name: s for s in cfg.sites}
    audit_date = date.fromisoformat(AUDIT_DATE)
    if processes:
        results = run_checks_parallel(store, run_id, audit_date, sites, check_settings(cfg), processes, only=only)
    else:
        results = run_checks(store, run_id, audit_date, sites, check_settings(cfg), only=only)
    return results, {f.fingerprint for f in store.findings(run_id) if not only or f.check in only}


def _outcomes(results):
    return sorted((r.code, r.state, r.found) for r in results)


def test_every_check_declares_the_indexes_it_reads(snapshot):
    cfg, store = snapshot
    results, _ = _run(cfg, store)
    assert {r.state for r in results} <= {"ok", "found", "n/a"}, [(r.code, r.error) for r in results if r.error]
    undeclared = {r.code: sorted(r.used - set(REGISTRY[r.code].uses)) for r in results}
    assert {code: names for code, names in undeclared.items() if names} == {}
    # the content checks do read shared indexes: the recording is not vacuous
    assert {"content.articles", "documents.index", "policy.index"} <= {name for r in results for name in r.used}


def test_releasing_indexes_never_changes_a_finding(snapshot):
    """All checks in one pass (indexes shared, then released) find exactly what each check
    finds alone, with every index built afresh for it."""
    cfg, store = snapshot
    _, together = _run(cfg, store)
    alone: set[str] = set()
    for chk in check_settings(cfg).selected():
        alone |= _run(cfg, store, only=(chk.code,))[1]
    assert together and together == alone


def _chk(code, uses):
    return Check(code=code, title="", severity=Severity("info"), fix="", func=lambda ctx: (), verify=Verify.SITE,
                 uses=uses)


def test_an_index_is_released_after_its_last_declared_user():
    shared = {"content.articles": 1, "policy.index:{'threshold': 80}": 2, "documents.index": 3}
    release_unused(shared, [_chk("b.one", ("policy.index",)), _chk("b.two", ())])
    assert shared == {"policy.index:{'threshold': 80}": 2}
    release_unused(shared, [])
    assert shared == {}


def test_checks_sharing_an_index_run_one_after_another():
    """Depth first from code order: a.one's index x brings c.two, whose y brings d.three,
    before the unrelated b.one; so x and y are each alive in one stretch."""
    checks = [_chk("a.one", ("x",)), _chk("b.one", ()), _chk("c.two", ("x", "y")), _chk("d.three", ("y",)),
              _chk("e.one", ())]
    assert [c.code for c in run_order(checks)] == ["a.one", "c.two", "d.three", "b.one", "e.one"]


def test_checks_in_two_processes_find_exactly_what_one_finds(snapshot):
    cfg, store = snapshot
    one, found_one = _run(cfg, store)
    two, found_two = _run(cfg, store, processes=2)
    assert found_one and found_two == found_one
    assert _outcomes(two) == _outcomes(one)
    assert [r.code for r in two] == [c.code for c in run_order(check_settings(cfg).selected())]


def test_a_checks_worker_killed_loses_no_check(snapshot, caplog):
    """A worker killed outright: the checks it had are run again in the parent, none is lost."""
    cfg, store = snapshot
    one, found_one = _run(cfg, store)
    me, killed = psutil.Process(), []

    def kill_the_worker():
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline:
            for child in me.children():
                try:
                    if "spawn_main" in " ".join(child.cmdline()):   # the worker, not the resource tracker
                        child.kill()
                        killed.append(child.pid)
                except psutil.Error:
                    pass
            time.sleep(0.005)

    killer = threading.Thread(target=kill_the_worker)
    killer.start()
    try:
        two, found_two = _run(cfg, store, processes=2)
    finally:
        killed.append(None)
        killer.join()
    assert killed[0] is not None and "a checks worker ended early" in caplog.text
    assert found_two == found_one and _outcomes(two) == _outcomes(one)


def test_groups_never_split_an_index_and_shares_follow_the_times():
    checks = [_chk("a.one", ("x",)), _chk("b.one", ()), _chk("c.two", ("x", "y")), _chk("d.three", ("y",)),
              _chk("e.one", ()), _chk("f.one", ("z",))]
    assert sorted([c.code for c in g] for g in groups(checks)) == [
        ["a.one", "c.two", "d.three"], ["b.one"], ["e.one"], ["f.one"]]
    seconds = {"a.one": 1, "c.two": 1, "d.three": 1, "b.one": 2.5, "e.one": 0.2, "f.one": 0.2}
    dealt = shares(checks, 2, seconds)
    assert [sorted(c.code for c in share) for share in dealt] == [
        ["a.one", "c.two", "d.three"], ["b.one", "e.one", "f.one"]]
    assert [len(share) for share in shares(checks, 1, seconds)] == [6]
    assert len(shares(checks[:1], 4, {})) == 1   # one group: nothing to deal


def test_a_checks_findings_stored_as_rows_first_of_a_fingerprint_kept_nothing_stored_when_it_fails(tmp_path,
                                                                                                    monkeypatch):
    """run_checks keeps a check's findings as their stored rows (not a list of findings): a
    fingerprint yielded twice keeps its first finding (the count is of every finding made), and a
    check that fails after yielding stores nothing, leaving what the run held of it."""
    from checks.registry import CheckSettings

    store = Store(tmp_path / "a.db")
    run_id = store.begin_run(audit_date=AUDIT_DATE, config={}, options={}, versions={})

    def twice(ctx):
        for n in (1, 2, 1):
            yield ctx.finding(site="s", url=f"http://s/{n}", page=None, message=f"第{n}个", evidence={"n": [n, "甲"]},
                              identity=(n,))

    def failing(ctx):
        yield ctx.finding(site="s", url="http://s/new", page=None, message="新")
        raise RuntimeError("boom")

    monkeypatch.setitem(REGISTRY, "zz.twice", Check(code="zz.twice", title="", severity=Severity("info"), fix="",
                                                    func=twice, verify=Verify.SITE))
    monkeypatch.setitem(REGISTRY, "zz.failing", Check(code="zz.failing", title="", severity=Severity("info"), fix="",
                                                      func=failing, verify=Verify.SITE))
    kept = Check(code="zz.failing", title="", severity=Severity("info"), fix="", func=twice, verify=Verify.SITE)
    from checks.registry import AuditContext
    ctx = AuditContext(store, run_id, date.fromisoformat(AUDIT_DATE), {}, kept, Severity("info"), {}, {})
    store.save_findings(run_id, [next(iter(twice(ctx)))])   # what the run held of zz.failing before
    results = {r.code: r for r in run_checks(store, run_id, date.fromisoformat(AUDIT_DATE), {}, CheckSettings(),
                                             only=["zz.twice", "zz.failing"])}
    assert (results["zz.twice"].state, results["zz.twice"].found) == ("found", 3)
    assert results["zz.failing"].state == "error"
    stored = {(f.check, f.message, str(f.evidence)) for f in store.findings(run_id)}
    assert stored == {("zz.twice", "第1个", "{'n': [1, '甲']}"), ("zz.twice", "第2个", "{'n': [2, '甲']}"),
                      ("zz.failing", "第1个", "{'n': [1, '甲']}")}
    store.close()
