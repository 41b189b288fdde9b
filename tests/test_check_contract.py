"""Adding a check is one decorated function: with nothing else edited, a check defined here
runs, is selectable, is explained by ``portal-audit checks --explain``, its ``checks:``
config is validated, and its findings are proven fixed by the ``verify`` rule it declares."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from checks.registry import REGISTRY, CheckSettings, check, checks_section_problems, run_checks, verify_rules
from core.models import Verify
from portal_audit.cli import main
from store import Store, history

SITE = "甲"
CODE = "zz.todo-marker"


@pytest.fixture
def throwaway():
    @check(CODE, title="页面含有“待补充”字样", severity="warning", fix="补全页面内容后删除“待补充”字样。",
           verify=Verify.PAGE, requires=("pages",), options={"marker": "待补充"})
    def todo_marker(ctx):
        """Flags a stored page whose main text still says ``marker`` (default 待补充)."""
        marker = ctx.options["marker"]
        for row in ctx.store.page_texts(ctx.run_id):
            if marker in (row["main_text"] or ""):
                yield ctx.finding(site=row["site"], url=row["url"], page=None, message=f"页面含有“{marker}”字样")

    yield REGISTRY[CODE]
    del REGISTRY[CODE]


@pytest.fixture
def store(tmp_path):
    db = Store(tmp_path / "a.db")
    yield db
    db.close()


def snapshot(store, pages: dict[str, str]) -> int:
    """A completed-crawl snapshot whose parsed pages are ``{url: main text}``."""
    run_id = store.begin_run(audit_date="2024-06-30", config={}, options={"sites": [SITE]}, versions={})
    store.insert_many("pages", [
        {"run_id": run_id, "site": SITE, "url": url, "final_url": url, "status": 200, "title": "页面",
         "heading": "页面", "depth": 1, "is_home": 0, "is_list": 0, "main_text": text, "meta_json": "{}"}
        for url, text in pages.items()])
    store.set_run_site(run_id, SITE, url="http://a/", status="ok", pages=len(pages), links=0)
    return run_id


def audit(store, run_id: int, settings: CheckSettings) -> dict:
    results = {r.code: r for r in run_checks(store, run_id, date(2024, 6, 30), {}, settings)}
    store.finish_run(run_id, "completed")
    history.apply_run(store, run_id, verify_rules())
    return results


def status_of(store, run_id: int) -> dict[str, str]:
    return {r["url"]: r["status"] for r in store.query(
        "SELECT h.url, s.status FROM finding_status s JOIN finding_history h USING (fingerprint)"
        " WHERE s.run_id = ?", (run_id,))}


def run_checks_with(store, run_id, options):
    run_checks(store, run_id, date(2024, 6, 30), {}, CheckSettings(select=[CODE], options={CODE: options}))
    return store.findings(run_id)


def test_it_runs_and_is_selectable(store, throwaway):
    run_id = snapshot(store, {"http://a/x.html": "本栏目内容待补充", "http://a/y.html": "完整内容"})
    results = audit(store, run_id, CheckSettings(select=["zz"]))
    assert list(results) == [CODE] and results[CODE].state == "found"
    assert [f.url for f in store.findings(run_id)] == ["http://a/x.html"]
    assert CODE not in {c.code for c in CheckSettings(ignore=["zz"]).selected()}
    assert CODE in {c.code for c in CheckSettings().selected()}
    # its option is read from the config
    assert [f.message for f in run_checks_with(store, run_id, {"marker": "完整"})] == ["页面含有“完整”字样"]


def test_its_config_is_validated_against_the_registry(throwaway):
    def problems(**section):
        base = {"select": (), "ignore": (), "severity": {}, "options": {}}
        return [key for key, _ in checks_section_problems(SimpleNamespace(**{**base, **section}))]

    assert problems(select=["zz"], severity={CODE: "error"}, options={CODE: {"marker": "x"}}) == []
    assert problems(options={CODE: {"markr": "x"}}) == [f"checks.options.{CODE}.markr"]
    assert problems(select=["zz.todo"]) == ["checks.select[0]"]


def test_it_is_explained_by_the_cli(throwaway):
    listing = CliRunner().invoke(main, ["checks"])
    assert listing.exit_code == 0 and CODE in listing.output
    explained = CliRunner().invoke(main, ["checks", "--explain", CODE])
    assert explained.exit_code == 0, explained.output
    out = explained.output
    assert "页面含有“待补充”字样" in out and "Flags a stored page" in out
    assert Verify.PAGE.label in out and "marker: 待补充" in out


def test_its_findings_are_proven_fixed_by_its_verify_rule(store, throwaway):
    settings = CheckSettings(select=[CODE])
    r1 = snapshot(store, {"http://a/x.html": "内容待补充"})
    audit(store, r1, settings)
    # the page carrying the defect was not read again: no proof either way
    r2 = snapshot(store, {"http://a/other.html": "完整内容"})
    audit(store, r2, settings)
    # the page was read again and no longer says 待补充
    r3 = snapshot(store, {"http://a/x.html": "内容已补全"})
    audit(store, r3, settings)
    assert [status_of(store, r)["http://a/x.html"] for r in (r1, r2, r3)] == ["new", "unverified", "fixed"]
