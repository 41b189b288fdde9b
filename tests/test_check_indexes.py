"""The checks' shared indexes (``ctx.computed``) are kept only while a check still to run
declares it uses them (``@check(uses=…)``), so that the checks stage's memory is the
largest set of indexes alive at once, not all of them (issue 14). A declaration decides
memory, never results: the tests run every check of a real audit's snapshot together and
each on its own, on the sample portal and on the second generated style, and compare."""

from __future__ import annotations

from datetime import date

import pytest

from checks.registry import REGISTRY, Check, release_unused, run_checks, run_order
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


def _run(cfg, store, only=()):
    run_id = store.runs("audit")[-1]["id"]
    sites = {s.name: s for s in cfg.sites}
    results = run_checks(store, run_id, date.fromisoformat(AUDIT_DATE), sites, check_settings(cfg), only=only)
    return results, {f.fingerprint for f in store.findings(run_id) if not only or f.check in only}


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
