"""The crawl of a run spread over Scrapyd nodes (``portal-audit run --scrapyd URL,URL``).

:func:`gather_on_nodes` deploys the project to every node (``addversion.json``, the egg
:func:`build_egg` makes from ``scrapy.cfg``), schedules one job per site (``schedule.json``:
spider ``portal-site``, see :mod:`crawler.spiders.site_job`, with the run id, the site and
its crawl spec as spider arguments and the run's Scrapy settings as Scrapyd settings),
polls ``listjobs.json`` and waits for each site's completion row (``run_sites``) in the
shared store. Nodes get sites in turn, at most ``scrapyd.max_proc`` jobs each; two sites
sharing a host never run at once (``crawl.per_host_rate`` is per host). A node that fails
:data:`DEAD_AFTER` polls in a row is given up, and its sites, like a site whose job ended
without its completion row, are scheduled again, on another node where there is one, at
most :data:`MAX_ATTEMPTS` times in all (the failed attempt's rows are removed first). A site
whose every attempt failed gets a ``run_sites`` row with status ``not_audited`` and the
attempts' reasons: the report and the summary name it, the checks leave it out.

Every job carries an attempt token (spider argument ``attempt``) that the store records as its
site's current attempt when it is scheduled (:meth:`store.db.Store.discard_site`); the store
refuses the writes of any other (:meth:`store.db.Store.fence`), so a job on a node that was
given up but goes on (a network split, a paused machine) adds nothing to its site.

Job ids name the store and the run (:func:`job_id`: the store's own random identity, see
:attr:`store.db.Store.identity`, then the run id, the site and the attempt), so that two stores
sharing the same nodes (two teams' databases, a dry run beside the real one), whose run ids
start alike, never name their jobs alike: a run polls and cancels only its own store's and
run's jobs (:func:`job_prefix`), whatever else the nodes run for the same project.

Ctrl-C cancels every job of the run on every node (``cancel.json``; those that do not end
within :data:`CANCEL_WAIT` are killed), fences off and reports not audited the sites not
finished (their rows removed), keeps the finished ones and says which were which; the run
ends interrupted. A further Ctrl-C meanwhile only says to wait. A Ctrl-C while the egg is
being deployed (no job scheduled yet) does not wait for the nodes' answers: it ends at once,
every site recorded not audited.
"""

from __future__ import annotations

import configparser
import dataclasses
import hashlib
import io
import json
import logging
import os
import secrets
import signal
import sys
import threading
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from core.models import RunStatus, SiteStatus
from crawler import settings as crawler_settings
from crawler.extensions import Board
from crawler.sites import CrawlLimits, SiteSpec
from crawler.spiders.site_job import SiteJobSpider
from crawler.urls import host_of
from portal_audit.config import Config, SiteConfig
from store import Store

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3              # a site's first job and at most two more
DEAD_AFTER = 3                # polls in a row a node did not answer before it is given up
LOST_AFTER = 3                # polls in a row a job was in none of its node's lists
PROGRESS_INTERVAL = 2.0
DEPLOY_TIMEOUT = 120.0        # seconds for addversion.json: the node runs `scrapy list` on the egg first
CANCEL_WAIT = 15.0            # seconds cancelled jobs get to end (then they are killed, as long again)
INTERRUPTED = "运行被中断（Ctrl-C），本站点的采集未完成"


class ScrapydError(Exception):
    """A Scrapyd node did not answer, or answered with an error (``answered``; the message says which)."""

    def __init__(self, message: str, answered: bool = False):
        super().__init__(message)
        self.answered = answered


# -- the egg ------------------------------------------------------------------------------
def find_scrapy_cfg(start: Path | None = None) -> Path:
    """``scrapy.cfg`` of the working directory or one above it (as ``scrapy`` finds it), else
    the one of the tree this package was installed from."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "scrapy.cfg").is_file():
            return folder / "scrapy.cfg"
    beside = Path(__file__).resolve().parents[1] / "scrapy.cfg"
    if beside.is_file():
        return beside
    raise ScrapydError(f"找不到 scrapy.cfg（在 {here} 及其上级目录中）：请在 portal-audit 项目目录中运行")


@dataclass(frozen=True)
class Egg:
    project: str
    version: str      # a hash of the contents: the same code deploys as the same version
    data: bytes


def build_egg(scrapy_cfg: Path) -> Egg:
    """The project's egg, as Scrapyd runs it: the packages ``pyproject.toml`` names (beside
    ``scrapy.cfg``), ``EGG-INFO`` with the ``scrapy`` entry point of ``[settings] default``
    and the project name of ``[deploy] project``. Deterministic: no timestamps."""
    parser = configparser.ConfigParser()
    parser.read(scrapy_cfg, encoding="utf-8")
    root = scrapy_cfg.parent
    settings_module = parser.get("settings", "default")
    project = parser.get("deploy", "project", fallback="default")
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = sorted(p.rstrip("*") for p in patterns)
    files = sorted(path for pkg in packages for path in (root / pkg).rglob("*")
                   if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc")
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    version = digest.hexdigest()[:16]
    meta = {"PKG-INFO": f"Metadata-Version: 1.0\nName: {project}\nVersion: {version}\n",
            "entry_points.txt": f"[scrapy]\nsettings = {settings_module}\n",
            "top_level.txt": "".join(f"{p}\n" for p in packages),
            "zip-safe": "\n"}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as egg:
        for name, text in meta.items():
            egg.writestr(zipfile.ZipInfo(f"EGG-INFO/{name}"), text)
        for path in files:
            egg.writestr(zipfile.ZipInfo(path.relative_to(root).as_posix()), path.read_bytes())
    return Egg(project, version, buf.getvalue())


# -- a node ------------------------------------------------------------------------------
class Node:
    """One Scrapyd node's JSON API."""

    def __init__(self, url: str, timeout: float):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.misses = 0                 # polls in a row without an answer
        self.dead: str | None = None    # why it was given up
        self.jobs: set[str] = set()     # every job this run asked it to schedule

    def call(self, endpoint: str, data: Sequence[tuple[str, str | bytes]] | None = None,
             query: dict[str, str] | None = None, timeout: float | None = None) -> dict:
        url = f"{self.url}/{endpoint}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        body = urllib.parse.urlencode(list(data)).encode() if data is not None else None
        try:
            with urllib.request.urlopen(urllib.request.Request(url, data=body),
                                        timeout=timeout or self.timeout) as answer:
                reply = json.loads(answer.read())
        except (OSError, ValueError) as exc:    # URLError, timeouts, refused connections, bad JSON
            raise ScrapydError(f"{endpoint}：{getattr(exc, 'reason', None) or exc}") from exc
        if reply.get("status") != "ok":
            raise ScrapydError(f"{endpoint}：{reply.get('message', reply)}", answered=True)
        return reply


# -- the run ------------------------------------------------------------------------------
def job_prefix(store_identity: str, run_id: int) -> str:
    """The start of every job id of run ``run_id`` of the store ``store_identity``: no other
    store's or run's job id starts so."""
    return f"{store_identity}-run{run_id}-"


def job_id(store_identity: str, run_id: int, index: int, attempt: int) -> str:
    """The Scrapyd job id of attempt ``attempt`` (from 1) of the ``index``-th site of the run."""
    return f"{job_prefix(store_identity, run_id)}site{index}-try{attempt}"


@dataclass
class Attempt:
    node: Node
    job: str
    misses: int = 0           # polls in a row the job was in none of the node's lists
    reason: str | None = None


@dataclass
class SiteJob:
    index: int
    site: SiteConfig
    hosts: frozenset[str]
    attempts: list[Attempt] = field(default_factory=list)
    state: str = "waiting"    # waiting → running → done | failed

    @property
    def current(self) -> Attempt | None:
        return self.attempts[-1] if self.state == "running" else None


def site_hosts(site: SiteSpec) -> frozenset[str]:
    return frozenset(h for h in {host_of(u) for u in [site.url, site.disclosure, *site.columns.values()] if u}
                     | {h.lower() for h in site.allowed_domains} if h)


def _setting_text(value) -> str:
    """A Scrapy setting as Scrapyd passes it (``-s NAME=TEXT``), read back by Scrapy's getters:
    dicts as JSON (getdict), lists comma-joined (getlist)."""
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return str(value)


def job_settings(cfg: Config, run_id: int, store_path: str, previous: dict | None) -> list[str]:
    """The run's Scrapy settings that differ from the project's (``crawler.settings``), as
    ``NAME=TEXT`` for ``schedule.json``."""
    wanted = crawler_settings.from_config(cfg, run_id=run_id, store_path=store_path, progress=False,
                                          previous=previous)
    wanted["LOG_INSTALL_ROOT_HANDLER"] = True    # a job logs to the file Scrapyd gives it (its log_url)
    missing = object()
    return [f"{name}={_setting_text(value)}" for name, value in sorted(wanted.items())
            if getattr(crawler_settings, name, missing) != value]


class Coordinator:
    def __init__(self, cfg: Config, run_id: int, store_path: str, read_kinds: Sequence[str],
                 previous: dict | None, progress: bool):
        self.cfg, self.run_id, self.store_path = cfg, run_id, store_path
        sd = cfg.scrapyd
        self.nodes = [Node(url, sd.timeout) for url in sd.nodes]
        self.sites = [SiteJob(i, s, site_hosts(s)) for i, s in enumerate(cfg.sites)]
        self.settings = job_settings(cfg, run_id, store_path, previous)
        self.spec = {"crawl": dataclasses.asdict(CrawlLimits.of(cfg.crawl)), "read_kinds": list(read_kinds),
                     "reference_date": (cfg.audit_date or date.today()).isoformat()}
        self.turn = 0                   # the node the next site goes to, in turn
        self.egg: Egg | None = None
        self.store: Store | None = None    # open while the jobs run
        self.prefix = ""                   # of this store's and run's job ids (job_prefix), once the store is open
        self.deploying = False
        self.board = Board() if progress else None
        self.started = self.shown = time.monotonic()

    # -- steps ------------------------------------------------------------------------
    def deploy(self) -> None:
        """The egg to every node at once (a node lists the egg's spiders before it answers).
        Daemon threads, not a pool: a Ctrl-C meanwhile ends the run at once instead of
        waiting up to :data:`DEPLOY_TIMEOUT` for the answers (an egg uploaded runs nothing)."""
        self.deploying = True
        self.egg = build_egg(find_scrapy_cfg())
        problems: dict[int, str | None] = {}

        def deploy(node: Node) -> None:
            problems[id(node)] = self.deploy_to(node)

        threads = [threading.Thread(target=deploy, args=(node,), daemon=True, name=f"deploy {node.url}")
                   for node in self.nodes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.deploying = False
        for node in self.nodes:
            problem = problems.get(id(node), "没有结果")
            if problem:
                node.dead = f"部署失败（{problem}）"
                log.warning("Scrapyd node %s: %s", node.url, node.dead)

    def deploy_to(self, node: Node) -> str | None:
        try:
            node.call("addversion.json", [("project", self.egg.project), ("version", self.egg.version),
                                          ("egg", self.egg.data)], timeout=DEPLOY_TIMEOUT)
        except ScrapydError as exc:
            return str(exc)
        return None

    def poll(self) -> None:
        """Every live node's jobs, then the completion rows (read after the lists: a job is
        listed as finished only after its row was written)."""
        listed: dict[int, dict[str, str]] = {}
        for node in self.nodes:
            if node.dead:
                continue
            try:
                jobs = node.call("listjobs.json", query={"project": self.egg.project})
            except ScrapydError as exc:
                node.misses += 1
                if node.misses >= DEAD_AFTER:
                    node.dead = f"节点无响应（{exc}）"
                    log.warning("Scrapyd node %s given up: %s", node.url, exc)
                continue
            node.misses = 0
            listed[id(node)] = self.own_jobs(jobs, ("pending", "running", "finished"))
        done = {r["site"] for r in self.store.run_sites(self.run_id)}
        for sj in self.sites:
            att = sj.current
            if att is None:
                continue
            if sj.site.name in done:
                sj.state = "done"
            elif att.node.dead:
                self.fail(sj, att.node.dead)
            elif id(att.node) in listed:
                state = listed[id(att.node)].get(att.job)
                att.misses = 0 if state else att.misses + 1
                if state == "finished":
                    self.fail(sj, "作业已结束，但站点采集未完成（没有完成记录）")
                elif att.misses >= LOST_AFTER:
                    self.fail(sj, "作业在节点上消失（节点可能已重启）")

    def own_jobs(self, listing: dict, states: Sequence[str]) -> dict[str, str]:
        """{job id: state} of this store's and run's jobs in a node's ``listjobs.json`` answer
        (the node may run other stores' and runs' jobs of the same project)."""
        return {j["id"]: state for state in states for j in listing.get(state, [])
                if str(j.get("id", "")).startswith(self.prefix)}

    def fail(self, sj: SiteJob, reason: str) -> None:
        sj.attempts[-1].reason = reason
        log.warning("site %s: attempt %d on %s failed: %s", sj.site.name, len(sj.attempts),
                    sj.attempts[-1].node.url, reason)
        self.store.discard_site(self.run_id, sj.site.name)
        sj.state = "waiting" if len(sj.attempts) < MAX_ATTEMPTS else "failed"

    def schedule(self) -> None:
        busy = {h for sj in self.sites if sj.state == "running" for h in sj.hosts}
        alive = [n for n in self.nodes if not n.dead]
        for sj in self.sites:
            if sj.state != "waiting":
                continue
            if not alive:
                sj.state = "failed"
                continue
            if sj.hosts & busy:
                continue    # one site of a host at a time: crawl.per_host_rate holds across jobs
            node = self.pick(sj, alive)
            if node is None:
                continue
            job = job_id(self.store.identity, self.run_id, sj.index, len(sj.attempts) + 1)
            token = secrets.token_hex(8)    # new for each schedule.json: one unanswered may have started a job
            spec = {**self.spec, "site": dataclasses.asdict(SiteSpec.of(sj.site))}
            self.store.discard_site(self.run_id, sj.site.name, next_attempt=token)
            node.jobs.add(job)
            try:
                node.call("schedule.json", [
                    ("project", self.egg.project), ("spider", SiteJobSpider.name), ("_version", self.egg.version),
                    ("jobid", job), ("run_id", str(self.run_id)), ("site", sj.site.name), ("attempt", token),
                    ("spec", json.dumps(spec, ensure_ascii=False)), *(("setting", s) for s in self.settings)])
            except ScrapydError as exc:
                log.warning("scheduling %s on %s failed: %s", sj.site.name, node.url, exc)
                if exc.answered:      # the node refused the job: an attempt that failed
                    sj.attempts.append(Attempt(node, job))
                    self.fail(sj, f"节点拒绝了作业（{exc}）")
                else:                 # the next poll decides whether the node is gone
                    node.misses += 1
                continue
            sj.attempts.append(Attempt(node, job))
            sj.state = "running"
            busy |= sj.hosts

    def pick(self, sj: SiteJob, alive: list[Node]) -> Node | None:
        """The next node in turn with a free slot, preferring one this site has not failed on."""
        load = {id(n): 0 for n in alive}
        for other in self.sites:
            if other.current is not None and id(other.current.node) in load:
                load[id(other.current.node)] += 1
        tried = {id(a.node) for a in sj.attempts}
        order = [self.nodes[(self.turn + i) % len(self.nodes)] for i in range(len(self.nodes))]
        free = [n for n in order if id(n) in load and load[id(n)] < self.cfg.scrapyd.max_proc]
        node = next((n for n in free if id(n) not in tried), free[0] if free else None)
        if node is not None:
            self.turn = (self.nodes.index(node) + 1) % len(self.nodes)
        return node

    # -- Ctrl-C -------------------------------------------------------------------
    def interrupt(self) -> None:
        """Every job of the run cancelled, the sites not finished fenced off (their rows
        removed) and recorded not audited, the finished ones kept; the console says which."""
        scheduled = any(node.jobs for node in self.nodes)
        step = "部署未完成，" if self.deploying else ""
        say("[portal-audit] 收到 Ctrl-C：正在取消各 Scrapyd 节点上本次运行的作业，请稍候…" if scheduled else
            f"[portal-audit] 收到 Ctrl-C：{step}尚未在 Scrapyd 节点上安排任何作业，正在结束…")
        self.store.close()      # the interrupted call may have left the connection mid-statement
        self.store = Store(self.store_path)
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            left = {node.url: problem for node, problem in zip(self.nodes, pool.map(self.stop_jobs, self.nodes))
                    if problem}
        done = {r["site"] for r in self.store.run_sites(self.run_id)}
        finished, cancelled, failed = [], [], []
        for sj in self.sites:
            if sj.site.name in done:
                sj.state = "done"
                finished.append(sj.site.name)
                continue
            if sj.state == "failed":       # every attempt had failed before the Ctrl-C
                self.record_not_audited(sj)
                failed.append(sj.site.name)
                continue
            self.store.discard_site(self.run_id, sj.site.name)     # a write still on its way is refused
            if sj.current is not None:
                sj.current.reason = "作业已取消（Ctrl-C）"
            sj.state = "failed"
            self.record_not_audited(sj, INTERRUPTED)
            cancelled.append(sj.site.name)
        self.show(final=True)
        if not scheduled:
            say(f"[portal-audit] 已中断（Ctrl-C）：{step}未在节点上安排任何作业；{len(cancelled)} 个站点"
                f"（{'、'.join(cancelled)}）本次未能检查")
            return
        say(f"[portal-audit] 已中断（Ctrl-C）：已完成 {len(finished)} 个站点"
            + (f"（{'、'.join(finished)}），结果已保存" if finished else "")
            + f"；已取消 {len(cancelled)} 个站点" + (f"（{'、'.join(cancelled)}），本次未能检查" if cancelled else "")
            + (f"；{len(failed)} 个站点此前各次采集均失败（{'、'.join(failed)}）" if failed else ""))
        for url, problem in left.items():
            say(f"[portal-audit] 节点 {url} {problem}：存储已拒绝这些作业的写入，请在下次运行前检查该节点")

    def cancel_left_behind(self) -> None:
        """The run's jobs still pending or running on the nodes given up (a node cut off that
        answers again) cancelled in the background while the checks run: they write nothing
        more (their attempts are no longer current), and so stop loading their sites' hosts too."""
        for node in self.nodes:
            if node.dead and node.jobs:
                threading.Thread(target=self.stop_jobs, args=(node,), kwargs={"wait": False}, daemon=True,
                                 name=f"cancel {node.url}").start()

    def stop_jobs(self, node: Node, wait: bool = True) -> str | None:
        """Cancel this run's pending and running jobs on ``node`` (given up or not: a node cut
        off may answer again) and, with ``wait``, wait for them to end, killing those that do
        not within :data:`CANCEL_WAIT`; what is left (zh-CN), None when nothing is."""
        if not node.jobs:
            return None
        for sig in ("TERM", "KILL"):
            deadline = time.monotonic() + CANCEL_WAIT
            asked = False
            while True:
                try:
                    jobs = node.call("listjobs.json", query={"project": self.egg.project})
                except ScrapydError as exc:
                    return f"无响应，其上的作业无法取消（{exc}）"
                live = sorted(node.jobs & set(self.own_jobs(jobs, ("pending", "running"))))
                if not live:
                    return None
                if asked and time.monotonic() > deadline:
                    break
                if not asked:
                    for job in live:
                        try:
                            node.call("cancel.json", [("project", self.egg.project), ("job", job), ("signal", sig)])
                        except ScrapydError as exc:
                            log.warning("cancelling %s on %s failed: %s", job, node.url, exc)
                    if not wait:
                        return None
                    asked = True
                time.sleep(self.cfg.scrapyd.poll_interval)
        return f"上的作业 {'、'.join(live)} 未能停止"

    # -- progress ---------------------------------------------------------------------
    def lines(self, pages: dict[str, int]) -> list[str]:
        counts = {state: sum(1 for sj in self.sites if sj.state == state)
                  for state in ("done", "running", "waiting", "failed")}
        out = [f"[portal-audit] Scrapyd 已用 {time.monotonic() - self.started:.0f} 秒 · 站点完成 "
               f"{counts['done']}/{len(self.sites)} · 运行 {counts['running']} · 等待 {counts['waiting']}"
               + (f" · 未能检查 {counts['failed']}" if counts["failed"] else "")]
        for node in self.nodes:
            if node.dead:
                out.append(f"  节点 {node.url}：已停用，{node.dead}")
                continue
            jobs = [f"{sj.site.name}（页面 {pages.get(sj.site.name, 0)}，第 {len(sj.attempts)} 次）"
                    for sj in self.sites if sj.current is not None and sj.current.node is node]
            finished = sum(1 for sj in self.sites if sj.state == "done" and sj.attempts[-1].node is node)
            out.append(f"  节点 {node.url}：作业 {len(jobs)}/{self.cfg.scrapyd.max_proc} · 已完成 {finished}"
                       + (f" · {'、'.join(jobs)}" if jobs else ""))
        return out

    def show(self, final: bool = False) -> None:
        if self.board is None or not final and time.monotonic() - self.shown < PROGRESS_INTERVAL:
            return
        self.shown = time.monotonic()
        pages = self.store.pages_per_site(self.run_id)
        self.board.show(self.lines(pages), final)

    # -- the whole ----------------------------------------------------------------------
    def run(self) -> str:
        self.store = Store(self.store_path)
        self.prefix = job_prefix(self.store.identity, self.run_id)
        try:
            self.deploy()
            while True:
                self.poll()
                self.schedule()
                self.show()
                if all(sj.state in ("done", "failed") for sj in self.sites):
                    break
                time.sleep(self.cfg.scrapyd.poll_interval)
            for sj in self.sites:
                if sj.state == "failed":
                    self.record_not_audited(sj)
            self.cancel_left_behind()
            self.show(final=True)
        except KeyboardInterrupt:
            with ctrl_c_deferred("[portal-audit] 正在取消节点上的作业，请稍候…\n"):
                self.interrupt()
            return RunStatus.INTERRUPTED
        finally:
            self.store.close()
        return RunStatus.COMPLETED

    def record_not_audited(self, sj: SiteJob, why: str | None = None) -> None:
        """``sj``'s ``run_sites`` row saying why it was not audited: each attempt's reason, then
        ``why`` (by default, when attempts were left, that no node was)."""
        attempts = [{"node": a.node.url, "job": a.job, "reason": a.reason} for a in sj.attempts]
        reasons = [f"第 {i} 次（{a.node.url}）：{a.reason}" for i, a in enumerate(sj.attempts, 1)]
        if why:
            reasons.append(why)
        elif len(sj.attempts) < MAX_ATTEMPTS:
            reasons.append("没有可用的 Scrapyd 节点：" + "；".join(f"{n.url} {n.dead}" for n in self.nodes))
        self.store.set_run_site(self.run_id, sj.site.name, url=sj.site.url, disclosure_url=sj.site.disclosure,
                           status=SiteStatus.NOT_AUDITED, pages=0, links=0,
                           stats_json={"attempts": attempts, "not_audited": reasons})


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@contextmanager
def ctrl_c_deferred(message: str) -> Iterator[None]:
    """A further Ctrl-C in the block writes ``message`` instead of breaking it off (the main
    thread only: the one Python gives signals to)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: os.write(2, message.encode()))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def gather_on_nodes(cfg: Config, run_id: int, store_path: str, read_kinds: Sequence[str], previous: dict | None,
                    progress: bool = True) -> str:
    """Crawl every site of ``cfg`` on the Scrapyd nodes of ``cfg.scrapyd``; returns the run status."""
    return Coordinator(cfg, run_id, store_path, read_kinds, previous, progress).run()
