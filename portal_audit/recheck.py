"""Targeted re-check (再核查): re-verify selected findings in seconds, not a full crawl.

1. Select findings from the history (``awaiting``: the unit answered 已整改;
   ``open``: every active finding; ``fixed``: 回头看 of findings fixed earlier).
2. Plan, per finding, what to fetch again (:func:`plan_for`): the pages where it
   showed and the target it is about. Findings of checks that need site-wide facts
   (the whole crawl, an index of every interpretation, a column's full list …) cannot
   be decided this way: they are reported as 无法复核（需完整检查）, never guessed.
3. Fetch them with :class:`~crawler.spiders.recheck.RecheckSpider` into a new run of
   kind ``recheck``, then run only the checks that produced the findings on that run.
4. Decide per finding: 已整改 (gone, and the run looked where it was), 未整改 (still
   there), 复发 (was fixed, is back), or 无法复核 (page not reached, check failed…),
   update the history and write the 复核报告.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from checks.registry import all_checks, run_checks, verify_rules
from core.models import ACTIVE, FINISHED_RUN_STATUSES, FIXED, OPEN, REOPENED, RunStatus, Verify
from core.text import now_iso
from crawler.documents import kinds_to_read
from crawler.pipelines import lost_rows
from crawler.sites import CrawlLimits, SiteSpec
from crawler.spiders.recheck import RecheckSpider, SitePlan
from crawler.urls import is_attachment
from portal_audit.config import Config
from portal_audit.lock import StoreLock
from portal_audit.runner import check_settings, crawler_process, say, versions
from reports import recheck as recheck_report
from reports.history import Entry, entry_from_row
from store import Store
from store.history import (RunFacts, close_stale_runs, pages_to_reread, record_recheck, record_sighting,
                           select_for_recheck, verify_location)


log = logging.getLogger(__name__)

RESULT_FIXED = "已整改"
RESULT_OPEN = "未整改"
RESULT_REOPENED = "复发"
RESULT_FULL = "无法复核（需完整检查）"
RESULT_UNREACHED = "无法复核（页面未能访问）"
RESULT_FAILED = "无法复核（检查项执行出错）"
RESULT_INTERRUPTED = "无法复核（复核被中断）"
RESULT_NO_SITE = "无法复核（站点不在配置中）"
RESULT_ORDER = {RESULT_REOPENED: 0, RESULT_OPEN: 1, RESULT_FIXED: 2}

#: why a finding whose check's ``verify`` rule a re-check cannot meet is left to the next
#: full audit (shown in the 复核报告)
FULL_ONLY_REASONS = {
    Verify.SITE: "该检查项依赖全站数据",
    Verify.IPV6: "需要完整的 IPv6 检测",
}


@dataclass
class RecheckItem:
    entry: Entry
    previous_status: str
    result: str
    detail: str
    new_status: str

    @property
    def decided(self) -> bool:
        return self.result in (RESULT_FIXED, RESULT_OPEN, RESULT_REOPENED)


@dataclass
class RecheckOutcome:
    run_id: int | None
    status_filter: str
    sites: list[str]
    started_at: str
    finished_at: str = ""
    run_status: str = RunStatus.COMPLETED
    elapsed: float = 0.0
    pages: int = 0
    fetches: int = 0
    items: list[RecheckItem] = field(default_factory=list)
    outputs: dict[str, Path] = field(default_factory=dict)
    check_labels: dict[str, str] = field(default_factory=dict)

    @property
    def counts(self) -> Counter:
        return Counter(i.result for i in self.items)


def _url_kind(url: str, site_host: str) -> str:
    if is_attachment(url):
        return "attachment"
    host = (urlsplit(url).hostname or "").lower()
    return "page" if host == site_host.lower() else "external"


def _fetchable(url: str | None) -> bool:
    if not url or not url.lower().startswith(("http://", "https://")):
        return False
    try:
        urlsplit(url).port  # noqa: B018 - raises on a bad port
    except ValueError:
        return False
    return " " not in url


def plan_for(store, rows, cfg: Config, rules: Mapping[str, Verify]):
    """(plan per site, {fingerprint: undecidable result}) for the history ``rows``; ``rules``:
    each check code's ``verify`` rule, which says what to re-fetch."""

    plans: dict[str, SitePlan] = {}
    skipped: dict[str, tuple[str, str]] = {}
    names = {s.name: s for s in cfg.sites}
    for h in rows:
        code, site = h["check_code"], h["site"]
        if site not in names:
            skipped[h["fingerprint"]] = (RESULT_NO_SITE, f"配置文件中没有站点“{site}”")
            continue
        rule = rules.get(code)
        if rule is None or not rule.recheckable:
            why = FULL_ONLY_REASONS.get(rule, "该检查项已不存在")
            skipped[h["fingerprint"]] = (RESULT_FULL, why + "，请在下次完整检查中确认")
            continue
        plan = plans.setdefault(site, SitePlan())
        last_run = h["last_seen_run"]

        def depth_of(url: str) -> int:
            row = store.page(last_run, url)
            return int(row["depth"]) if row is not None and row["depth"] is not None else 1

        if rule is Verify.HOME:
            if _fetchable(h["url"]):
                plan.direct[h["url"]] = "home"
            continue
        pages = pages_to_reread(h, rule)
        for page in pages:
            if _fetchable(page):
                plan.pages.setdefault(page, depth_of(page))
        if rule in (Verify.LINKING_PAGES, Verify.PAGE):
            continue
        plan.follow.add(h["url"])
        if rule.fetches_target and _fetchable(h["url"]):
            evidence_count = _linked_count(h)
            if not pages or evidence_count > len(pages):
                row = store.fetch(last_run, h["url"])
                plan.direct[h["url"]] = row["kind"] if row is not None else _url_kind(h["url"], names[site].host)
    for plan in plans.values():
        for url in list(plan.direct):
            if url in plan.pages:
                del plan.direct[url]
    return plans, skipped


def _linked_count(h) -> int:
    try:
        evidence = json.loads(h["evidence_json"] or "{}")
    except ValueError:
        return 0
    linked = evidence.get("linked_from") or {}
    return int(linked.get("count") or 0)


def gather(cfg: Config, run_id: int, store_path: str, plans, read_kinds: Sequence[str], progress: bool = False) -> str:
    """Fetch the planned pages and targets into run ``run_id``; returns the run status
    (``completed_with_errors`` when gathered rows could not be stored: those are recorded
    in ``write_errors`` and their sites decide nothing)."""
    sub = dataclasses.replace(cfg, sites=tuple(s for s in cfg.sites if s.name in plans))
    process = crawler_process(sub, run_id, store_path, progress)
    crawler = process.create_crawler(RecheckSpider)
    process.crawl(crawler, sites=[SiteSpec.of(s) for s in sub.sites], crawl=CrawlLimits.of(cfg.crawl), plan=plans,
                  reference_date=cfg.audit_date, read_kinds=read_kinds)
    process.start()
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    lost = lost_rows(crawler.stats)
    store = Store(store_path)
    try:
        for st in crawler.spider.sites.values():
            ok = store.fetch_count(run_id, site=st.name, outcome="ok") > 0
            store.set_run_site(run_id, st.name, url=st.config.url, disclosure_url=st.disclosure,
                               status="ok" if ok else "unreachable", pages=st.pages, links=st.fetches,
                               stats_json={"recheck": True, "write_errors": lost.get(st.name, {})})
        if lost:
            store.finish_run(run_id, RunStatus.COMPLETED_WITH_ERRORS, {"write_errors": lost})
    finally:
        store.close()
    if reason != "finished":
        return RunStatus.INTERRUPTED
    return RunStatus.COMPLETED_WITH_ERRORS if lost else RunStatus.COMPLETED


def run_recheck(cfg: Config, out_dir: Path | str, *, status: str = "awaiting", sites=(),
                progress: bool = False) -> RecheckOutcome:
    """The ``portal-audit recheck`` command, holding the store lock throughout."""
    with StoreLock(cfg.store.location, "recheck"):
        store = Store(cfg.store.location)
        try:
            close_stale_runs(store, say=say)
            outcome = RecheckOutcome(None, status, list(sites), now_iso())
            outcome.check_labels = {c.code: c.title for c in all_checks()}
            rows = select_for_recheck(store, status, sites)
            if not rows:
                outcome.finished_at = now_iso()
                return outcome
            started = time.perf_counter()
            rules = verify_rules()
            plans, skipped = plan_for(store, rows, cfg, rules)
            audit_date = cfg.audit_date or date.today()
            run_id = store.begin_run(
                audit_date=audit_date.isoformat(), config=cfg.raw, kind="recheck", versions=versions(),
                options={"status": status, "sites": sorted(plans) or list(sites),
                         "fingerprints": [r["fingerprint"] for r in rows]})
            outcome.run_id = run_id
            run_status = RunStatus.INTERRUPTED
            try:
                if plans:
                    codes = sorted({r["check_code"] for r in rows if r["fingerprint"] not in skipped})
                    settings = check_settings(cfg)
                    run_status = gather(cfg, run_id, str(cfg.store.location), plans,
                                        kinds_to_read(settings.stages(codes)), progress=progress)
                    run_checks(store, run_id, audit_date, {s.name: s for s in cfg.sites}, settings, only=codes)
                else:
                    run_status = RunStatus.COMPLETED
            except KeyboardInterrupt:
                run_status = RunStatus.INTERRUPTED
            outcome.run_status = run_status
            outcome.items = decide(store, run_id, rows, skipped, run_status, rules)
            store.finish_run(run_id, run_status, {"recheck": dict(outcome.counts),
                                                  "write_errors": store.write_error_counts(run_id)})
            outcome.finished_at = now_iso()
            outcome.elapsed = time.perf_counter() - started
            outcome.pages = store.page_count(run_id)
            outcome.fetches = store.fetch_count(run_id)
            outcome.outputs = recheck_report.write_all(outcome, Path(out_dir))
            return outcome
        finally:
            store.close()


def decide(store, run_id: int, rows, skipped: dict[str, tuple[str, str]], run_status: str,
           rules: Mapping[str, Verify]) -> list[RecheckItem]:
    """Compare the re-check run with the findings re-checked, update the history."""
    run = store.run(run_id)
    when = run["started_at"]
    found = {f.fingerprint: f for f in store.findings(run_id)}
    states = {r["check_code"]: r["state"] for r in store.check_runs(run_id)}
    facts = RunFacts(store, run_id)
    items: list[RecheckItem] = []
    with store.transaction():
        for h in rows:
            fp, prev = h["fingerprint"], h["status"]
            entry = entry_from_row(h)
            new_status = prev
            if fp in skipped:
                result, detail = skipped[fp]
            elif run_status not in FINISHED_RUN_STATUSES:
                result, detail = RESULT_INTERRUPTED, "复核运行未完成，不作为整改依据"
            elif h["site"] in facts.lost_rows and fp not in found:
                result, detail = RESULT_UNREACHED, "复核运行中该站点有数据未能写入数据库，不作为整改依据"
            elif fp in found:
                f = found[fp]
                result = RESULT_REOPENED if prev in (FIXED, REOPENED) else RESULT_OPEN
                new_status = REOPENED if prev == FIXED else OPEN if prev in ACTIVE else prev
                detail = ("问题再次出现：" if result == RESULT_REOPENED else "问题仍然存在：") + f.message
                record_sighting(store, run_id, f, when)
            elif states.get(h["check_code"]) not in ("ok", "found"):
                result, detail = RESULT_FAILED, f"检查项状态：{states.get(h['check_code']) or '未执行'}"
            else:
                rule = rules[h["check_code"]]
                ok, why = verify_location(facts, h, rule)
                if ok:
                    result, detail, new_status = RESULT_FIXED, _fixed_detail(facts, h, rule), FIXED
                else:
                    result, detail = RESULT_UNREACHED, why
            items.append(RecheckItem(entry, prev, result, detail, new_status))
            record_recheck(store, run_id, h, result=result, note=f"{result}：{detail}" if detail else result,
                           detail=detail, new_status=new_status, when=when,
                           decided=result in (RESULT_FIXED, RESULT_OPEN, RESULT_REOPENED),
                           seen=result in (RESULT_OPEN, RESULT_REOPENED))
    items.sort(key=lambda i: (i.entry.site, RESULT_ORDER.get(i.result, 5), i.entry.check, i.entry.url or ""))
    return items


def _fixed_detail(facts: RunFacts, h, rule: Verify) -> str:
    if rule is Verify.HOME:
        return "首页现可正常访问"
    if rule is Verify.LINKING_PAGES:
        return "相关页面已不再含有该隐藏链接"
    if rule is Verify.PAGE:
        return "页面已不再含有该内容"
    fetch = facts.fetch(h["url"])
    if rule is Verify.SOURCE_PAGE:
        return "链接已指向正确的文件" if fetch is not None else "页面已不再含有该链接"
    if fetch is not None and fetch["outcome"] == "ok":
        status = f"（HTTP {fetch['status']}）" if fetch["status"] else ""
        return f"目标地址现可正常访问{status}"
    return "引用页面已不再链接该地址"
