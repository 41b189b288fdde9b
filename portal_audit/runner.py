"""Run orchestration: gather → audit → store → report.

:func:`gather` runs the Scrapy crawl in this process and streams facts into
the store; :func:`audit` runs the selected checks on a stored run;
:func:`run_audit` does both, records the run and writes the reports.
"""

from __future__ import annotations

import logging
import platform
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from checks.registry import CheckResult, CheckSettings, run_checks
from portal_audit import __version__
from portal_audit import history
from portal_audit.config import Config
from portal_audit.lock import StoreLock
from store import Store
from store.db import RUN_COMPLETED, RUN_INTERRUPTED

log = logging.getLogger(__name__)

# Scrapy components whose errors become findings (robots.txt of a dead host, an
# oversized page): their log lines are noise for the user unless -v is given.
QUIET_LOGGERS = ("scrapy.downloadermiddlewares.robotstxt", "scrapy.core.downloader.handlers.http11",
                 "scrapy.core.scraper")


@dataclass(frozen=True)
class RunResult:
    run_id: int
    status: str
    outputs: dict[str, Path]
    check_results: list[CheckResult]


def versions() -> dict[str, str]:
    import lxml.etree
    import scrapy
    import twisted

    return {"portal-audit": __version__, "python": platform.python_version(), "scrapy": scrapy.__version__,
            "twisted": twisted.__version__, "lxml": ".".join(map(str, lxml.etree.LXML_VERSION))}


def check_settings(cfg: Config) -> CheckSettings:
    c = cfg.checks
    return CheckSettings(select=list(c.select), ignore=list(c.ignore), severity=dict(c.severity),
                         options={k: dict(v) for k, v in c.options.items()})


def crawler_process(cfg: Config, run_id: int, store_path: str, progress: bool):
    """A Scrapy CrawlerProcess for one run of ``cfg``, with Scrapy's noisy loggers quietened
    (Scrapy's own logging set-up, done by the constructor, resets them)."""
    from scrapy.crawler import CrawlerProcess

    from crawler import settings as crawler_settings

    process = CrawlerProcess(crawler_settings.from_config(cfg, run_id=run_id, store_path=store_path,
                                                          progress=progress))
    if not logging.getLogger().isEnabledFor(logging.INFO):
        for noisy in QUIET_LOGGERS:
            logging.getLogger(noisy).setLevel(logging.CRITICAL)
    return process


def gather(cfg: Config, run_id: int, store_path: str, progress: bool = True) -> str:
    """Crawl every site of ``cfg`` into the store; returns the run status."""
    from crawler.spiders.portal import PortalSpider

    process = crawler_process(cfg, run_id, store_path, progress)
    crawler = process.create_crawler(PortalSpider)
    process.crawl(crawler, sites=list(cfg.sites), crawl=cfg.crawl, reference_date=cfg.audit_date)
    process.start()
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    spider = crawler.spider
    store = Store(store_path)
    try:
        for st in spider.sites.values():
            home = store.query("SELECT outcome FROM fetches WHERE run_id = ? AND site = ? AND kind = 'home'",
                               (run_id, st.name))
            reachable = bool(home) and home[0]["outcome"] == "ok"
            store.set_run_site(run_id, st.name, url=st.config.url, disclosure_url=st.disclosure,
                               status="ok" if reachable else "unreachable", pages=st.pages, links=st.fetches,
                               stats_json={"problems": st.problems, "capped": st.capped,
                                           "columns": dict(st.columns), "coverage": dict(st.coverage),
                                           "unparsed": dict(st.unparsed)})
    finally:
        store.close()
    return RUN_COMPLETED if reason == "finished" else RUN_INTERRUPTED


def audit(store: Store, run_id: int, cfg: Config, only=(), on_result=None) -> list[CheckResult]:
    row = store.run(run_id)
    audit_date = date.fromisoformat(row["audit_date"])
    sites = {s.name: s for s in cfg.sites}
    return run_checks(store, run_id, audit_date, sites, check_settings(cfg), only=only, on_result=on_result)


def run_audit(cfg: Config, out_dir: Path, *, only=(), progress: bool = True) -> RunResult:
    """Gather, audit, update the finding history and write the reports, holding the
    store lock throughout (raises :class:`portal_audit.lock.LockHeld` when another run
    holds it)."""
    with StoreLock(cfg.store.path, "run"):
        return _run_audit(cfg, out_dir, only=only, progress=progress)


def _run_audit(cfg: Config, out_dir: Path, *, only=(), progress: bool = True) -> RunResult:
    from reports import write_reports

    store = Store(cfg.store.path)
    history.close_stale_runs(store)
    audit_date = cfg.audit_date or date.today()
    run_id = store.begin_run(audit_date=audit_date.isoformat(), config=cfg.raw,
                             options={"only": list(only), "sites": [s.name for s in cfg.sites]},
                             versions=versions())
    status = RUN_INTERRUPTED
    results: list[CheckResult] = []
    try:
        status = gather(cfg, run_id, str(cfg.store.path), progress=progress)
        if cfg.ipv6.enabled and status == RUN_COMPLETED:
            from portal_audit.ipv6 import gather_ipv6

            gather_ipv6(cfg, run_id, store, only=only, progress=progress)
        if progress:
            print("[portal-audit] 采集完成，正在执行检查…", file=sys.stderr)
        results = audit(store, run_id, cfg, only)
    except KeyboardInterrupt:
        status = RUN_INTERRUPTED
    finally:
        store.finish_run(run_id, status, {"checks": len(results)})
    try:
        # statuses (new/open/fixed/reopened); an interrupted run never fixes anything
        history.apply_run(store, run_id)
    except Exception:  # noqa: BLE001 - the run and its reports matter more than the history
        log.exception("updating the finding history for run %s failed", run_id)
    outputs = write_reports(store, run_id, out_dir)
    store.close()
    return RunResult(run_id, status, outputs, results)
