"""Run orchestration: gather → audit → store → report.

:func:`gather` runs the Scrapy crawl and streams facts into the store, always in
crawl processes forked for it, never in this one: one, or (``crawl.processes`` > 1
and more than one site) that many, each with its own Scrapy crawler and reactor and
a share of the sites (a site is never split). Several processes each stream into a
store file of its own that is merged into the store when it ends (a store with
concurrent writers, PostgreSQL, is written by every process directly, and so is any
store by a lone crawl process). This process's heap never holds the crawl's, so the
stages after it start from the imports; :func:`audit` runs the selected checks on
a stored run; :func:`run_audit` does both, records the run and writes the
reports.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import gc
import logging
import multiprocessing
import os
import platform
import shutil
import signal
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import lxml.etree
import scrapy
import twisted
from scrapy.crawler import CrawlerProcess

from checks.inspection import merged_options
from checks.registry import CheckResult, CheckSettings, verify_rules
from checks.workers import run_checks_parallel
from core import __version__
from core.deal import deal
from core.models import FINISHED_RUN_STATUSES, RunStatus, SiteStatus
from core.vocabulary import Stage
from crawler import settings as crawler_settings
from crawler.documents import READABLE_KINDS, kinds_to_read
from crawler.extensions import Board, show_files
from crawler.hops import Hops
from crawler.pipelines import lost_rows
from crawler.ipv6.stage import gather_ipv6
from crawler.sites import CrawlLimits, SiteSpec
from crawler.spiders.portal import PortalSpider
from portal_audit.config import Config
from portal_audit.lock import StoreLock
from portal_audit.scrapyd import gather_on_nodes
from reports import write_reports
from store import Store, history
from store.db import backend
from store.claims import answer_unanswered, chains, create_claims, hop_claims, linked_hops, remove_claims
from store.parts import claims_path, part_path, progress_path, queue_path, remove_part


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
    report_errors: dict[str, str] = field(default_factory=dict)   # report file → why it was not written
    verdicts: list = field(default_factory=list)    # reports.verdict.SiteVerdict per site, as the reports show them


def versions() -> dict[str, str]:

    return {"portal-audit": __version__, "python": platform.python_version(), "scrapy": scrapy.__version__,
            "twisted": twisted.__version__, "lxml": ".".join(map(str, lxml.etree.LXML_VERSION))}


def check_settings(cfg: Config) -> CheckSettings:
    c = cfg.checks
    return CheckSettings(select=list(c.select), ignore=list(c.ignore), severity=dict(c.severity),
                         options=merged_options(cfg.inspection, c.options))


def crawler_process(cfg: Config, run_id: int, store_path: str, progress: bool, progress_file: str | None = None,
                    previous: dict | None = None, queue_dir: str | None = None):
    """A Scrapy CrawlerProcess for one run of ``cfg``, with Scrapy's noisy loggers quietened
    (Scrapy's own logging set-up, done by the constructor, resets them)."""
    process = CrawlerProcess(crawler_settings.from_config(cfg, run_id=run_id, store_path=store_path,
                                                          progress=progress, progress_file=progress_file,
                                                          previous=previous, queue_dir=queue_dir))
    if not logging.getLogger().isEnabledFor(logging.INFO):
        for noisy in QUIET_LOGGERS:
            logging.getLogger(noisy).setLevel(logging.CRITICAL)
    return process


def processes_for(cfg: Config) -> int:
    """How many crawl processes: ``crawl.processes`` (default: one per core), never more than sites."""
    wanted = cfg.crawl.processes or os.cpu_count() or 1
    return max(1, min(wanted, len(cfg.sites)))


def previous_run(cfg: Config, run_id: int, store_path: str) -> dict | None:
    """What an incremental run starts from (see :mod:`crawler.previous`): the latest completed
    audit run before ``run_id``; None when ``crawl.incremental`` is off or there is none."""
    if not cfg.crawl.incremental:
        return None
    store = Store(store_path)
    try:
        prev = store.last_run_before(run_id, status=RunStatus.COMPLETED)
    finally:
        store.close()
    return {"store": store_path, "run_id": prev, "recheck_after": cfg.crawl.recheck_after * 86400} if prev else None


def gather(cfg: Config, run_id: int, store_path: str, progress: bool = True,
           read_kinds: Sequence[str] = READABLE_KINDS) -> str:
    """Crawl every site of ``cfg`` into the store; returns the run status. ``read_kinds``:
    the attachment kinds read (see :func:`crawler.documents.kinds_to_read`). With
    ``scrapyd.nodes``, on those Scrapyd nodes (:mod:`portal_audit.scrapyd`)."""
    n = processes_for(cfg)
    previous = previous_run(cfg, run_id, store_path)
    if cfg.scrapyd.nodes:
        return gather_on_nodes(cfg, run_id, store_path, read_kinds, previous, progress)
    return _gather_in_processes(cfg, run_id, store_path, n, progress, read_kinds, previous)


def _gather_here(cfg: Config, run_id: int, store_path: str, progress: bool, read_kinds: Sequence[str],
                 progress_file: str | None = None, previous: dict | None = None, claims: str | None = None,
                 queue_dir: str | None = None) -> str:
    """The crawl of ``cfg``'s sites in this crawl process (its run_sites rows included); ``claims``:
    the claims file of a run's crawl processes (:mod:`store.claims`); ``queue_dir``: where its
    pending requests wait (the parent removes it)."""
    process = crawler_process(cfg, run_id, store_path, progress, progress_file, previous, queue_dir)
    crawler = process.create_crawler(PortalSpider)
    process.crawl(crawler, sites=[SiteSpec.of(s) for s in cfg.sites], crawl=CrawlLimits.of(cfg.crawl),
                  reference_date=cfg.audit_date, read_kinds=read_kinds, claims=claims)
    process.start()
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    spider = crawler.spider
    lost = lost_rows(crawler.stats)
    store = Store(store_path)
    try:
        spider.record_sites(store, run_id, lost)
    finally:
        store.close()
    return RunStatus.COMPLETED if reason == "finished" else RunStatus.INTERRUPTED


EXIT_INTERRUPTED = 3   # a crawl process's exit code when its crawl did not finish
STAGE_GRACE = 10.0     # seconds a stage's process has to end after a Ctrl-C before it is killed


def _crawl_process_main(cfg: Config, run_id: int, part: str, progress_file: str | None, read_kinds: Sequence[str],
                        previous: dict | None, claims: str | None, queue_dir: str) -> None:
    """A crawl process: its share of the sites into the store ``part`` (a file of its own,
    or the store itself when it takes concurrent writers or this process crawls alone); the
    off-site URLs it checks claimed in ``claims`` first (:mod:`store.claims`; None when it
    crawls alone); its pending requests on disk in ``queue_dir``.

    It leaves the terminal's process group, so that a Ctrl-C reaches only the parent,
    which passes one SIGINT on to each process (a second one would make Scrapy stop
    uncleanly). Out of that group, a parent killed outright (a scheduler's timeout) would
    leave it crawling on its own, with nobody to merge its rows: it asks the kernel to kill
    it when the parent dies (the run stays unfinished, and the next run marks it interrupted).
    Forked, it has the parent's command line: its name (``ps -o comm``, ``pa-crawl-1``) says
    what it is."""
    _as_child(multiprocessing.current_process().name.replace("portal-audit-", "pa-"), own_group=True)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    status = _gather_here(cfg, run_id, part, progress_file is not None, read_kinds,
                          progress_file=progress_file, previous=previous, claims=claims, queue_dir=queue_dir)
    sys.exit(0 if status == RunStatus.COMPLETED else EXIT_INTERRUPTED)


PR_SET_PDEATHSIG = 1
PR_SET_NAME = 15


def _libc():
    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def _as_child(name: str, *, own_group: bool = False) -> None:
    """A forked stage process's setup: out of the terminal's process group when ``own_group``
    (the parent passes a Ctrl-C on); SIGKILLed when its parent dies (Linux ``PR_SET_PDEATHSIG``:
    a clean stop waits for slow answers, for rows nobody will read), and gone at once when the
    parent died before that took effect; named ``name`` as ``ps`` and ``top`` show it (Linux
    ``PR_SET_NAME``, 15 bytes). Elsewhere than Linux, only the process group."""
    parent = os.getppid()
    if own_group:
        os.setpgrp()
    for option, value in ((PR_SET_PDEATHSIG, signal.SIGKILL), (PR_SET_NAME, name.encode()[:15])):
        try:
            _libc().prctl(option, value)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        sys.exit(EXIT_INTERRUPTED)


def _gather_ipv6_apart(cfg: Config, run_id: int, progress: bool) -> None:
    """The IPv6 stage (:func:`crawler.ipv6.stage.gather_ipv6`) in a forked process of its own, as
    the crawl: it holds every site's sampled targets with their IPv4 fetches at once (1,000
    province sites: 280 MB), which this process's heap would keep under the checks and reports.
    A stage that fails or is killed leaves the ``ipv6.*`` checks not applicable, as a failure
    inside it does."""
    proc = multiprocessing.get_context("fork").Process(target=_ipv6_process_main, args=(cfg, run_id, progress),
                                                       name="portal-audit-ipv6")
    proc.start()
    try:
        proc.join()
    except KeyboardInterrupt:   # the process had the Ctrl-C too (it stays in the terminal's group)
        proc.join(timeout=STAGE_GRACE)
        if proc.is_alive():
            proc.kill()
            proc.join()
        raise
    if proc.exitcode:
        log.warning("the IPv6 stage of run %s ended with exit code %s", run_id, proc.exitcode)


def _ipv6_process_main(cfg: Config, run_id: int, progress: bool) -> None:
    _as_child("pa-ipv6")
    store = Store(cfg.store.location)
    interrupted = False
    try:
        gather_ipv6(cfg, run_id, store, progress=progress)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        store.close()
    if interrupted:
        # at once: the interpreter's exit would join the probe threads, each waiting for its
        # answer (up to ipv6.probe_timeout per try), for facts an interrupted run does not use
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)


def release_memory() -> None:
    """Hand back to the system what a finished stage freed. The stages left in this process (the
    merges, the checks when they run here, the history) run one after another, and what one frees
    (the checks' indexes, the merges' rows) stays resident
    otherwise: CPython keeps its freed small-object arenas and the C allocator the free pages
    of its heap, so that the next stage's peak comes on top of the last one's. A full
    collection, then glibc's ``malloc_trim`` (elsewhere only the collection)."""
    gc.collect()
    try:
        _libc().malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _gather_in_processes(cfg: Config, run_id: int, store_path: str, n: int, progress: bool,
                         read_kinds: Sequence[str], previous: dict | None) -> str:
    # forked, not spawned: the imports are already made and shared, where a spawned process
    # makes them again (0.6 s of CPU each); this process runs no reactor and no thread yet
    ctx = multiprocessing.get_context("fork")
    server = backend(store_path).concurrent_writers
    # every process writes the shared store (or the only one does)
    direct = n == 1 or server
    scratch = Path(tempfile.mkdtemp(prefix="portal-audit-")) if direct else None
    if scratch:
        parts = [store_path] * n
        progress_files = [str(scratch / f"part{i}.progress") for i in range(n)]
    else:
        parts = [part_path(store_path, run_id, i) for i in range(n)]
        progress_files = [progress_path(part) for part in parts]
        for part in parts:
            remove_part(part)
    # the pending requests on the store's disk (a server store has none: the scratch directory)
    queues = [str(scratch / f"queue{i}") if server else queue_path(store_path, run_id, i) for i in range(n)]
    # each off-site URL is checked by the one process that claims it first (store/claims.py)
    claims = None if n == 1 else str(scratch / "claims") if scratch else claims_path(store_path, run_id)
    if claims:
        create_claims(claims)
    procs = []
    dealt = deal_sites(cfg.sites, n, site_pages(store_path, run_id))   # a site is never split
    for i, (part, progress_file) in enumerate(zip(parts, progress_files)):
        share = dataclasses.replace(cfg, sites=tuple(dealt[i]))
        proc = ctx.Process(target=_crawl_process_main,
                           args=(share, run_id, part, progress_file if progress else None, read_kinds, previous,
                                 claims, queues[i]),
                           name=f"portal-audit-crawl-{i + 1}")
        proc.start()
        procs.append(proc)
    board = Board()
    interval = 2.0
    interrupted = False
    merged: set[int] = set()
    # a process's own file is merged as soon as it has ended, while the others still crawl
    store = None if scratch else Store(store_path)
    try:
        while any(p.is_alive() for p in procs):
            try:
                for p in procs:
                    p.join(timeout=interval / n)
                if progress:
                    show_files(board, [Path(f) for f in progress_files])
                if store is not None and not interrupted:
                    _merge_ended(store, run_id, procs, parts, merged)
            except KeyboardInterrupt:
                interrupted = True
                for p in procs:
                    if p.is_alive():
                        os.kill(p.pid, signal.SIGINT)
        if progress:
            show_files(board, [Path(f) for f in progress_files], final=True)
        if store is not None:
            _merge_ended(store, run_id, procs, parts, merged)
        if claims:
            # the rows no process could make alone, then a URL whose claimer ended before storing
            # its answer is inconclusive, never lost
            answered = store or Store(store_path)
            try:
                _across_processes(claims, answered, run_id, cfg.crawl.max_redirects)
                answer_unanswered(claims, answered, run_id)
            finally:
                if answered is not store:
                    answered.close()
            remove_claims(claims)
    finally:
        if store is not None:
            store.close()
    for queue in queues:     # what was still pending when a crawl stopped: never resumed
        shutil.rmtree(queue, ignore_errors=True)
    if scratch:
        shutil.rmtree(scratch, ignore_errors=True)
    return RunStatus.COMPLETED if not interrupted and all(p.exitcode == 0 for p in procs) else RunStatus.INTERRUPTED


def site_pages(store_path: str, run_id: int) -> dict[str, int]:
    """Pages per site in the latest earlier audit run (empty when there is none)."""
    store = Store(store_path)
    try:
        prev = store.last_run_before(run_id)
        return {r["site"]: r["pages"] for r in store.run_sites(prev)} if prev else {}
    finally:
        store.close()


def deal_sites(sites: Sequence, n: int, pages: Mapping[str, int]) -> list[list]:
    """``sites`` dealt to ``n`` crawl processes by their pages last time (round robin on the
    first run; a site never seen weighs as the sites' median)."""
    known = sorted(pages.values())
    unknown = known[len(known) // 2] if known else 1
    return deal(sites, n, lambda site: pages.get(site.name, unknown))


def _across_processes(claims: str, store: Store, run_id: int, max_redirects: int) -> None:
    """The fetch rows of redirects that crossed crawl processes (store/claims.py), made from the
    merged rows as one process makes its own (crawler/hops.py): a chain that ended at another
    process's URL, and a hop of one process that another links."""
    hops = Hops(max_redirects)
    for url, via, *_ in hop_claims(claims):
        hops.hop(url, via)
    for url, _, site, kind, depth in linked_hops(claims, store, run_id):
        hops.share(url, site, kind, depth)
    for origin, site, kind, depth, prefix, target in chains(claims):
        hops.share(origin, site, kind, depth, prefix, target)
    rows = [{**row, "run_id": run_id} for row, _ in hops.rows(lambda url: store.fetch(run_id, url))]
    if rows:
        store.insert_many("fetches", rows, conflict=("run_id", "url"))


def _merge_ended(store: Store, run_id: int, procs, parts: list[str], merged: set[int]) -> None:
    """Merge the part file of every crawl process that has ended and is not merged yet."""
    for i, (proc, part) in enumerate(zip(procs, parts)):
        if i in merged or proc.is_alive():
            continue
        if Path(part).exists():
            store.merge_run_from(part, run_id)
        remove_part(part)
        merged.add(i)


def say(line: str) -> None:
    """A line for the user on the console (zh-CN)."""
    print(f"[portal-audit] {line}", file=sys.stderr, flush=True)


def audit(store: Store, run_id: int, cfg: Config, only=(), on_result=None) -> list[CheckResult]:
    row = store.run(run_id)
    audit_date = date.fromisoformat(row["audit_date"])
    skipped = not_audited(store, run_id)
    sites = {s.name: s for s in cfg.sites if s.name not in skipped}
    # the checks use the processes the crawl used (checks/workers.py), weighed by last run's times
    return run_checks_parallel(store, run_id, audit_date, sites, check_settings(cfg), processes_for(cfg),
                               only=only, seconds=check_seconds(store, run_id), on_result=on_result)


def check_seconds(store: Store, run_id: int) -> dict[str, float]:
    """What each check took in the latest earlier audit run (empty when there is none)."""
    prev = store.last_run_before(run_id)
    return {r["check_code"]: r["elapsed"] or 0.0 for r in store.check_runs(prev)} if prev else {}


def not_audited(store: Store, run_id: int) -> list[str]:
    """The sites of a run whose every crawl attempt failed (``run --scrapyd``): no check sees them."""
    return [r["site"] for r in store.run_sites(run_id) if r["status"] == SiteStatus.NOT_AUDITED]


def run_audit(cfg: Config, out_dir: Path, *, only=(), progress: bool = True) -> RunResult:
    """Gather, audit, update the finding history and write the reports, holding the
    store lock throughout (raises :class:`portal_audit.lock.LockHeld` when another run
    holds it)."""
    with StoreLock(cfg.store.location, "run"):
        return _run_audit(cfg, out_dir, only=only, progress=progress)


def _run_audit(cfg: Config, out_dir: Path, *, only=(), progress: bool = True) -> RunResult:
    store = Store(cfg.store.location)
    history.close_stale_runs(store, say=say)
    audit_date = cfg.audit_date or date.today()
    run_id = store.begin_run(audit_date=audit_date.isoformat(), config=cfg.raw,
                             options={"only": list(only), "sites": [s.name for s in cfg.sites]},
                             versions=versions())
    status = RunStatus.INTERRUPTED
    results: list[CheckResult] = []
    lost: dict = {}
    # the optional stages run only when a selected check requires what they gather
    stages = check_settings(cfg).stages(only)
    try:
        status = gather(cfg, run_id, str(cfg.store.location), progress=progress, read_kinds=kinds_to_read(stages))
        store.order_run_sites(run_id, [s.name for s in cfg.sites])   # processes and nodes end in any order
        lost = store.write_error_counts(run_id)     # rows gathered but not stored, per site and table
        skipped = not_audited(store, run_id)
        if (lost or skipped) and status == RunStatus.COMPLETED:
            status = RunStatus.COMPLETED_WITH_ERRORS
        if cfg.ipv6.enabled and status in FINISHED_RUN_STATUSES:
            if Stage.IPV6 in stages:
                audited = tuple(s for s in cfg.sites if s.name not in skipped)
                _gather_ipv6_apart(dataclasses.replace(cfg, sites=audited), run_id, progress)
            else:
                log.info("no selected check requires IPv6 facts; IPv6 stage skipped")
        if progress:
            print("[portal-audit] 采集完成，正在执行检查…", file=sys.stderr)
        release_memory()
        results = audit(store, run_id, cfg, only)
        release_memory()
    except KeyboardInterrupt:
        status = RunStatus.INTERRUPTED
    except BaseException:
        store.finish_run(run_id, RunStatus.INTERRUPTED, {"checks": len(results), "write_errors": lost})
        raise
    # the run is marked only once its reports are written: until then it stays 'running' (a
    # process killed meanwhile leaves it to close_stale_runs as interrupted), and the history
    # and the reports take the status it is finishing with
    final, failed, outputs, verdicts = RunStatus.INTERRUPTED, {}, {}, []
    try:
        try:
            # statuses (new/open/fixed/reopened); an interrupted run never fixes anything, and
            # a site with rows lost proves no fix
            history.apply_run(store, run_id, verify_rules(), status=status)
        except Exception:  # noqa: BLE001 - the run and its reports matter more than the history
            log.exception("updating the finding history for run %s failed", run_id)
        release_memory()
        outputs = write_reports(store, run_id, out_dir, failures=failed, status=status, verdicts=verdicts)
        # a run is "completed" only with all of its reports written
        final = RunStatus.COMPLETED_WITH_ERRORS if failed and status == RunStatus.COMPLETED else status
    finally:
        store.finish_run(run_id, final, {"checks": len(results), "write_errors": lost,
                                         **({"report_errors": failed} if failed else {})})
        store.close()
    return RunResult(run_id, final, outputs, results, failed, verdicts)
