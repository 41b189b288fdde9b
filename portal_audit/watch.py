"""The availability watch (站点无法访问, 首页连通率): probes of every site's home page.

The national check (国办函〔2019〕80号 单项否决“站点无法访问”, DOMAIN.md §2.2) watches a site
for one week, at least 20 times a day, and vetoes it when the share of visits that did not
open within 15 s reaches 5%. ``portal-audit watch`` takes those measurements: one *round*
probes every configured site's home page once over IPv4 and, where the host has a usable
AAAA, once over IPv6 (首页IPv6访问成功率). A probe succeeds when the page has loaded (final
answer below 400, redirects followed hop by hop, DNS and TLS as usual) within
``watch.timeout`` (15 s) in total; quick connection failures and 5xx are retried
(``watch.retries``) inside that time. A 429 answer is ``inconclusive`` (the site throttled
the watcher, it did not fail to open).

Fetching reuses the IPv6 audit's pinned-address HTTP client (``crawler.ipv6.prober.Prober``:
the same retries, redirect handling, HEAD/GET and TLS verification), pinned to the A
addresses for IPv4, under the crawl's address policy (``crawler/addresses.py``): the
addresses of the configured sites and reference URLs and ``crawl.allowed_networks`` are
allowed, a home page redirecting to another intranet address is not followed (the probe
is inconclusive, 内网地址).

A round is *inconclusive* when the failure is this machine's, not the sites': the configured
resolver does not answer (when some site needs DNS), every ``watch.reference_urls`` probe
fails, or — with two or more sites — every site fails at once without any HTTP answer. Its
probes are stored but never counted (``checks/availability.py`` reads conclusive rounds only).

Rounds run every ``watch.interval`` (30 min = 48 a day) as a long-lived service, or one per
invocation with ``--once`` (cron, systemd timers). Either way the watch holds
``<store>.watch.lock`` while probing, so two watches never overlap (a second one exits 75),
while an audit ``run`` (which holds ``<store>.lock``) never stops the probes.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from core.ipv6 import DNS_LABELS, split_usable
from core.models import Outcome
from crawler.addresses import site_policy
from crawler.ipv6.dns_client import Dns
from crawler.ipv6.prober import FetchResult, Prober
from portal_audit.lock import StoreLock
from store import Store

log = logging.getLogger(__name__)

LOCK_SUFFIX = ".watch.lock"
OK, FAILED, INCONCLUSIVE = "ok", "failed", "inconclusive"
RESULT_LABELS = {OK: "正常", FAILED: "无法访问", INCONCLUSIVE: "无法判断"}
ROUND_OK, ROUND_INCONCLUSIVE = "ok", "inconclusive"


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class Probe:
    site: str
    url: str
    family: int
    result: str
    outcome: str
    probed_at: str
    address: str | None = None
    status: int | None = None
    final_url: str | None = None
    error: str | None = None
    attempts: int = 0
    elapsed: float = 0.0

    @property
    def answered(self) -> bool:
        return self.status is not None

    def row(self, round_id: int) -> dict[str, Any]:
        return {"round_id": round_id, "site": self.site, "url": self.url, "family": self.family,
                "address": self.address, "probed_at": self.probed_at, "result": self.result,
                "outcome": self.outcome, "status": self.status, "final_url": self.final_url, "error": self.error,
                "attempts": self.attempts, "elapsed": self.elapsed}


@dataclass
class Round:
    id: int
    started_at: str
    status: str
    reason: str | None
    probes: list[Probe] = field(default_factory=list)
    references: list[Probe] = field(default_factory=list)
    elapsed: float = 0.0
    requests: int = 0                  # HTTP requests sent (every attempt and redirect hop)
    bytes: int = 0                     # body bytes received


def judge(result: FetchResult, limit: float) -> tuple[str, str | None]:
    """(ok|failed|inconclusive, reason) of one fetch against the time limit."""
    if result.status == 429:
        return INCONCLUSIVE, "网站限制访问频率（HTTP 429），本次不计入"
    if result.outcome == Outcome.EXCLUDED.value:
        return INCONCLUSIVE, f"{result.error}，本次不计入"
    if result.outcome == Outcome.OK.value and (result.status or 0) < 400:
        if result.elapsed > limit:
            return FAILED, f"{result.elapsed:.1f} 秒后才打开（超过 {limit:g} 秒）"
        return OK, None
    known = {o.value: o.label for o in Outcome}
    return FAILED, result.error or known.get(result.outcome, result.outcome)


class Watch:
    """Probe rounds for the sites of a config, stored in its store."""

    def __init__(self, cfg, store):
        self.cfg = cfg
        self.store = store
        self.sent: list[dict] = []   # the requests of the round in progress (the probers' answers carry them)

    def _probers(self) -> tuple[Dns, Prober, Prober]:
        w, crawl = self.cfg.watch, self.cfg.crawl
        dns = Dns(self.cfg.dns)   # a fresh resolver each round: no cached answers across rounds
        common = dict(timeout=w.timeout, retries=w.retries, backoff=crawl.retry_backoff,
                      max_retry_after=crawl.max_retry_after, user_agent=crawl.user_agent,
                      max_redirects=crawl.max_redirects, max_size=crawl.max_page_size, max_body=crawl.max_page_size,
                      per_host=crawl.per_host_concurrency)
        hosts = [urlsplit(u).hostname or "" for u in (*(s.url for s in self.cfg.sites), *w.reference_urls)]
        policy = site_policy(crawl.allowed_networks, hosts,
                             lambda host: [a for q in ("A", "AAAA") for a in dns.query(host, q).answers])
        v4 = Prober(dns, policy=policy, allow_nonglobal=True, **common)   # used with family=4: pinned to A addresses
        v6 = Prober(dns, policy=policy, allow_nonglobal=self.cfg.ipv6.allow_nonglobal, **common)
        return dns, v4, v6

    def probe(self, prober: Prober, family: int, site: str, url: str) -> Probe | None:
        """One probe of ``url``; None over IPv6 when the host has no usable AAAA."""
        host = (urlsplit(url).hostname or "").lower()
        at = utc_now()
        limit = self.cfg.watch.timeout
        if family == 6:
            answer = prober.dns.query(host, "AAAA")
            usable, _ = split_usable(answer.answers, prober.allow_nonglobal)
            if answer.decided and not usable:
                return None
            if not answer.decided:
                return Probe(site, url, 6, INCONCLUSIVE, "dns_error", at,
                             error=f"AAAA 查询失败：{DNS_LABELS.get(answer.status, answer.status)}")
            fetched = prober.fetch(url, "GET", usable)
        else:
            answer = prober.dns.query(host, "A")
            if not answer.answers:
                error = "域名无法解析" if answer.decided else f"A 记录查询失败：{DNS_LABELS.get(answer.status, answer.status)}"
                return Probe(site, url, 4, FAILED, Outcome.DNS.value, at, error=error, attempts=1,
                             elapsed=answer.elapsed)
            fetched = prober.fetch(url, "GET", answer.answers, family=4)
        self.sent.extend(fetched.sent)   # the round's requests (list.extend is atomic: the probes are threads)
        fetched.elapsed = round(fetched.elapsed + answer.elapsed, 3)   # the DNS lookup is part of opening
        result, reason = judge(fetched, limit)
        return Probe(site, url, family, result, fetched.outcome, at, address=fetched.address, status=fetched.status,
                     final_url=fetched.final_url, error=reason if result != OK else None,
                     attempts=max(fetched.attempts, 1), elapsed=fetched.elapsed)

    def run_round(self) -> Round:
        started = time.perf_counter()
        started_at = utc_now()
        dns, v4, v6 = self._probers()
        self.sent = []
        sites = list(self.cfg.sites)
        jobs = [(v4, 4, s.name, s.url) for s in sites]
        if self.cfg.watch.ipv6:
            jobs += [(v6, 6, s.name, s.url) for s in sites]
        refs = [(v4, 4, "", u) for u in self.cfg.watch.reference_urls]
        with ThreadPoolExecutor(max(1, self.cfg.watch.concurrency)) as pool:
            done = list(pool.map(lambda job: self.probe(*job), [*jobs, *refs]))
        probes = [p for p in done[:len(jobs)] if p is not None]
        references = [p for p in done[len(jobs):] if p is not None]
        status, reason = self._self_check(dns, probes, references)
        rnd = Round(0, started_at, status, reason, probes, references, round(time.perf_counter() - started, 3),
                    requests=len(self.sent), bytes=sum(r.get("bytes") or 0 for r in self.sent))
        self._save(rnd, len(sites))
        return rnd

    def _self_check(self, dns: Dns, probes: list[Probe], references: list[Probe]) -> tuple[str, str | None]:
        # deferred: crawler.resolver loads Scrapy and Twisted, which the watch needs only here
        from crawler.resolver import special_answer

        hosts = {(urlsplit(s.url).hostname or "") for s in self.cfg.sites}
        if any(special_answer(h) is None for h in hosts):
            ok, detail = dns.reachable()
            if not ok:
                return ROUND_INCONCLUSIVE, f"本机{detail}，本轮不计入"
        if references and all(p.result == FAILED for p in references):
            return ROUND_INCONCLUSIVE, "参照网址全部无法访问，疑似本机网络中断，本轮不计入"
        v4 = [p for p in probes if p.family == 4]
        if len({p.site for p in v4}) >= 2 and all(p.result == FAILED and not p.answered for p in v4):
            return ROUND_INCONCLUSIVE, "所有站点同时无法连接且均无应答，疑似本机网络中断，本轮不计入"
        return ROUND_OK, None

    def _save(self, rnd: Round, sites: int) -> None:
        rnd.id = self.store.save_watch_round(
            {"started_at": rnd.started_at, "finished_at": utc_now(), "status": rnd.status, "reason": rnd.reason,
             "sites": sites, "requests": rnd.requests, "bytes": rnd.bytes, "elapsed": rnd.elapsed},
            [p.row for p in rnd.probes])


def run_watch(cfg, *, rounds: int | None = None, on_round=None, stop: threading.Event | None = None) -> list[Round]:
    """Probe rounds every ``watch.interval`` until ``rounds`` are done (None: until stopped by
    SIGINT/SIGTERM or ``stop``), holding the watch lock (raises LockHeld when another watch
    holds it). A round that overruns the interval makes the next start at once; missed slots
    are skipped, never made up."""
    stop = stop or threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    done: list[Round] = []
    try:
        with StoreLock(cfg.store.location, "watch", suffix=LOCK_SUFFIX):
            store = Store(cfg.store.location)
            try:
                watch = Watch(cfg, store)
                start = time.monotonic()
                n = 0
                while not stop.is_set():
                    rnd = watch.run_round()
                    done.append(rnd)
                    if on_round:
                        on_round(rnd)
                    n += 1
                    if rounds is not None and n >= rounds:
                        break
                    slots = int((time.monotonic() - start) // cfg.watch.interval) + 1
                    stop.wait(max(0.0, start + slots * cfg.watch.interval - time.monotonic()))
            finally:
                store.close()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return done


def round_line(rnd: Round) -> str:
    """One console line (zh-CN) about a round."""
    v4 = [p for p in rnd.probes if p.family == 4]
    v6 = [p for p in rnd.probes if p.family == 6]
    ok4 = sum(p.result == OK for p in v4)
    line = (f"[watch] {rnd.started_at} 第 {rnd.id} 轮：IPv4 正常 {ok4}/{len(v4)}"
            + (f"，IPv6 正常 {sum(p.result == OK for p in v6)}/{len(v6)}" if v6 else "")
            + f"，请求 {rnd.requests} 次，{rnd.bytes} 字节，用时 {rnd.elapsed:.1f} 秒")
    if rnd.status == ROUND_INCONCLUSIVE:
        line += f"；本轮无法判断（site.unavailable）：{rnd.reason}"
    failed = [p for p in rnd.probes if p.result == FAILED]
    if failed and rnd.status == ROUND_OK:
        line += "；无法访问（site.unavailable）：" + "；".join(
            f"{p.site}（IPv{p.family}，{p.error}）" for p in failed)
    return line
