"""The IPv6 gatherer: DNS answers and reachability over IPv6, stored for the ``ipv6.*`` checks.

The runner calls it after the crawl when ``ipv6.enabled`` is set and
reads what the crawl stored: each site's home page, its 二级 links (the links on the home
page) and 三级 links (the links on the 二级 pages), and the IPv4 fetch of each (``fetches``).
Only internal links count: targets on the portal host, its parent domain (the host without
``www.``) and their subdomains, and ``allowed_domains``. It stores:

- ``ipv6_runs``: the self-check of this machine, done first: can it open an IPv6 socket,
  reach ``::1``, reach the configured resolver, and (when the sites have global IPv6
  addresses) route to them. When it cannot, reachability results are inconclusive: no
  IPv6 fetch is made and the report says so at the top instead of blaming every site.
- ``dns_answers``: A and AAAA, with the CNAME chain, of the portal host and of every
  internal host the 二级/三级 links point to; NS of the portal's zone and A/AAAA of each NS
  host. NXDOMAIN, NoAnswer, SERVFAIL, REFUSED and timeout (after ``dns.retries``) are
  kept apart; a timeout is never "no AAAA". AAAA addresses that are not globally routable
  (loopback, link-local, unique-local, documentation, …) are not usable unless
  ``ipv6.allow_nonglobal`` is set; IPv4-mapped, unspecified and multicast never are.
- ``ip_probes``: per page, the IPv4 facts (copied from ``fetches``, ``source='crawl'``)
  and the IPv6 fetch (``source='probe'``): an HTTP(S) request pinned to an AAAA address
  with the page's Host header (SNI and certificate verification for https), redirects
  followed, ``ipv6.probe_timeout`` and ``ipv6.probe_retries``. The home page is fetched
  at every usable AAAA address; a link at the first address that answers.
- ``ipv6_sites`` and ``run_sites.stats_json["ipv6"]``: the per-site summary the report
  shows (answers, v4 and v6 side by side, 二级/三级 rates against the targets).

Concurrency: one small thread pool (``ipv6.concurrency``), at most
``crawl.per_host_concurrency`` requests per host and ``crawl.per_host_rate`` per second;
at most ``ipv6.max_links`` links per site and level are fetched (an even, deterministic
sample beyond that). The fetches are handed out from up to ``2 * ipv6.concurrency`` open
sites in turn, so that the threads are spread over many hosts, and each site is stored as
it ends: what the stage holds is bounded by the open sites, not by the number of portals.
The stage's own row (``ipv6_runs``) is written last: a stage cut short (Ctrl-C) leaves the
sites it measured for the report, and its checks not applicable.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from core.ipv6 import (DNS_LABELS, DNS_OK, DNS_UNDECIDED_OUTCOME, LEVEL_NAMES, LEVELS, LINK_KINDS, NO_AAAA, differences,
                       V4_CHANGED, V4_PROBED, V6_UNDECIDED_OUTCOMES, is_internal, is_ip, level_summary, nonglobal_reason, split_usable,
                       v6_reason)
from core.models import Outcome
from core.text import now_iso
from crawler.addresses import site_policy
from crawler.ipv6.dns_client import Dns, DnsAnswer, route_check, self_check_local
from crawler.ipv6.prober import FetchResult, Prober
from crawler.urls import InvalidURL, is_attachment, normalize_href

log = logging.getLogger(__name__)

# -- what to measure -------------------------------------------------------------------------

@dataclass
class Target:
    """One page to judge: its level (1 = home), the page it sits on, and its IPv4 fetch."""

    site: str
    level: int
    url: str
    host: str
    source_url: str | None
    v4: dict[str, Any] | None


@dataclass
class Plan:
    """What to measure on one site, as URLs: the home page, the 二级 and 三级 links chosen
    (each URL once, at its shallowest level) and the counts per level before sampling. The
    IPv4 fetches are read when the site's probes start (:func:`plan_targets`), so that the
    plans of a province's every site stay small."""

    site: Any
    home: str
    chosen: list[tuple[int, str, str | None]]   # (level, URL, the page it sits on)
    counts: dict[str, int]

    def hosts(self) -> set[str]:
        return {_host(url) for _, url, _ in self.chosen}


def site_plan(store, run_id: int, site, max_links: int) -> Plan:
    """The home page, the 二级 and 三级 internal links of ``site`` and the counts per level."""
    try:
        home = normalize_href(site.url, site.url)
    except InvalidURL:
        home = site.url
    site_host = site.host.lower()
    allowed = [a.lower() for a in site.allowed_domains]
    homes = store.home_page_urls(run_id, site.name) or {home}
    seen = set(homes) | {home}
    level_urls: dict[int, dict[str, str]] = {2: {}, 3: {}}
    for row in store.site_links(run_id, site.name, LINK_KINDS):
        url = row["target_url"]
        if row["source_url"] in homes and url not in seen and _internal_url(url, site_host, allowed):
            level_urls[2][url] = row["source_url"]
            seen.add(url)
    second = set(level_urls[2])
    for row in store.site_links(run_id, site.name, LINK_KINDS):
        url = row["target_url"]
        if row["source_url"] in second and url not in seen and _internal_url(url, site_host, allowed):
            level_urls[3][url] = row["source_url"]
            seen.add(url)
    counts = {str(level): len(urls) for level, urls in level_urls.items()}
    chosen: list[tuple[int, str, str | None]] = [(1, home, None)]
    for level, urls in level_urls.items():
        chosen.extend((level, u, urls[u]) for u in _sample(sorted(urls), max_links))
    return Plan(site, home, chosen, counts)


def plan_targets(store, run_id: int, plan: Plan) -> list[Target]:
    """The targets of ``plan`` with their IPv4 fetch."""
    wanted = {url for _, url, _ in plan.chosen}
    fetches = {}
    for r in store.site_fetches(run_id, plan.site.name):
        if r["url"] in wanted:
            fetches[r["url"]] = dict(r)
    for url in wanted - set(fetches):  # a URL shared by two sites is fetched (and stored) once, under either
        r = store.fetch(run_id, url)
        if r is not None:
            fetches[url] = dict(r)
    return [Target(plan.site.name, level, url, _host(url), source, fetches.get(url))
            for level, url, source in plan.chosen]


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _internal_url(url: str, site_host: str, allowed: Sequence[str]) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and is_internal(parts.hostname, site_host, allowed)


def _sample(urls: list[str], limit: int) -> list[str]:
    """At most ``limit`` of ``urls``, evenly spread (deterministic)."""
    if limit <= 0 or len(urls) <= limit:
        return urls
    step = len(urls) / limit
    return [urls[int(i * step)] for i in range(limit)]


# -- the stage -------------------------------------------------------------------------------

def gather_ipv6(cfg, run_id: int, store, *, progress: bool = False) -> dict[str, Any] | None:
    """Measure the IPv6 support of every site of ``cfg`` for run ``run_id`` and store it.

    Returns the stage summary; None when the stage failed
    (logged; the ``ipv6.*`` checks are then not applicable, the rest of the run goes on)."""
    try:
        return _gather(cfg, run_id, store, progress)
    except Exception:  # noqa: BLE001 - the crawl's results matter more than this stage
        log.exception("IPv6 stage of run %s failed", run_id)
        return None


def _gather(cfg, run_id: int, store, progress: bool) -> dict[str, Any]:
    started, started_at = time.perf_counter(), _now()
    if progress:
        print("[portal-audit] 正在检测 IPv6 支持情况…", file=sys.stderr)
    v6 = cfg.ipv6
    resolver = Dns(cfg.dns)
    steps = self_check_local()
    local_ok = all(s["ok"] for s in steps)

    plans, literal_v4 = [], []
    for site in cfg.sites:
        if is_ip(site.host) and ":" not in site.host:
            literal_v4.append(site)  # an IPv4 address as the portal's URL: nothing to resolve or compare
            continue
        plans.append(site_plan(store, run_id, site, v6.max_links))
    hosts = {(plan.site.name, plan.site.host.lower(), "portal") for plan in plans}
    for plan in plans:
        hosts.update((plan.site.name, h, "link") for h in plan.hosts() if h != plan.site.host.lower())
    needs_dns = any(not is_ip(h) and h != "localhost" and not h.endswith((".localhost", ".invalid"))
                    for _, h, _ in hosts)
    if needs_dns:
        resolver_ok, detail = resolver.reachable()
    else:
        resolver_ok, detail = True, "全部为 IP 地址或本地域名，无需 DNS 查询"
    steps.append({"step": "resolver", "label": "访问域名服务器", "ok": resolver_ok, "detail": detail})

    workers = max(1, v6.concurrency)
    answers: dict[tuple[str, str], DnsAnswer] = {}
    ns_info: dict[str, dict[str, Any]] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ipv6-dns") as pool:
        if resolver_ok:
            jobs = {(h, q): pool.submit(resolver.query, h, q) for _, h, _ in hosts for q in ("A", "AAAA")}
            ns_jobs = {plan.site.name: pool.submit(_ns_info, resolver, plan.site.host.lower(), v6.allow_nonglobal)
                       for plan in plans if not is_ip(plan.site.host)}
            answers = {k: f.result() for k, f in jobs.items()}
            ns_info = {k: f.result() for k, f in ns_jobs.items()}

    allow = v6.allow_nonglobal
    global_targets = sorted({a for (h, q), ans in answers.items() if q == "AAAA"
                             for a in split_usable(ans.answers, allow)[0] if nonglobal_reason(a) is None})
    if local_ok and global_targets:
        steps.append(route_check(global_targets[0], 443))
    reach_ok = resolver_ok and all(s["ok"] for s in steps)
    reason = "；".join(f"{s['label']}：{s['detail']}" for s in steps if not s["ok"])

    # the address policy, as in the crawl: the sites' own A/AAAA addresses and crawl.allowed_networks
    policy = site_policy(cfg.crawl.allowed_networks, [s.host for s in cfg.sites],
                         lambda host: [a for q in ("A", "AAAA") for a in getattr(answers.get((host.lower(), q)),
                                                                                 "answers", [])])
    prober = Prober(resolver, policy=policy, allow_nonglobal=allow, timeout=v6.probe_timeout, retries=v6.probe_retries,
                    backoff=cfg.crawl.retry_backoff, max_retry_after=cfg.crawl.max_retry_after,
                    user_agent=cfg.crawl.user_agent, max_redirects=cfg.crawl.max_redirects,
                    max_size=cfg.crawl.max_page_size, max_body=min(cfg.crawl.max_page_size, 2 * 1024 ** 2),
                    per_host=cfg.crawl.per_host_concurrency, per_host_rate=cfg.crawl.per_host_rate)
    now = _now()
    dns_rows = []
    for site_name, host, role in sorted(hosts):
        for q in ("A", "AAAA"):
            if (host, q) in answers:
                dns_rows.append(_dns_row(run_id, site_name, host, role, answers[(host, q)], allow, now))
    for site_name, info in ns_info.items():
        for ans in info.pop("_answers"):
            dns_rows.append(_dns_row(run_id, site_name, ans.host, "ns", ans, allow, now))
    settings = {"allow_nonglobal": allow, "target_level2": v6.target_level2, "target_level3": v6.target_level3,
                "probe_timeout": v6.probe_timeout, "probe_retries": v6.probe_retries, "max_links": v6.max_links,
                "nameservers": resolver.nameservers, "port": resolver.port}
    selfcheck = {"ok": reach_ok, "resolver_ok": resolver_ok, "reason": reason, "steps": steps}

    # each site is stored as it ends; the stage's row last, so that the checks read no stage
    # that did not end (a Ctrl-C in the middle leaves the sites measured so far for the report)
    store.delete_run_rows(run_id, ("ipv6_runs", "ipv6_sites", "dns_answers", "ip_probes"))
    store.insert_many("dns_answers", dns_rows)
    summaries, probes = {}, 0
    measured = (_probe_sites(run_id, store, prober, plans, answers, allow, workers) if reach_ok  # else no fetch:
                else (_Site(run_id, prober, plan, plan_targets(store, run_id, plan), {}, allow) for plan in plans))
    for done in measured:
        plan, targets = done.plan, done.targets
        now = _now()
        store.insert_many("ip_probes", [_v4_row(run_id, t, now) for t in targets] + done.rows)
        store.insert_many("requests", [{**r, "run_id": run_id, "site": plan.site.name} for r in done.sent])
        probes += len(done.rows)
        summary = _site_summary(plan, targets, answers, ns_info.get(plan.site.name), done.rows, v6, selfcheck,
                                resolver_ok, round(time.perf_counter() - started, 3))
        summaries[plan.site.name] = summary
        store.insert_many("ipv6_sites", [{"run_id": run_id, "site": plan.site.name, "host": plan.site.host.lower(),
                                          "home_url": plan.home, "zone": summary["ns"].get("zone"),
                                          "ns_status": summary["ns"].get("status"),
                                          "stats_json": _json({"counts": plan.counts})}])
        _merge_site_stats(store, run_id, plan.site.name, summary)
    for site in literal_v4:
        summary = {"host": site.host, "home_url": site.url, "literal": True, "applicable": False,
                   "note": "网站网址为 IPv4 地址，无法通过域名检测 IPv6 支持情况",
                   "selfcheck_ok": reach_ok, "selfcheck_reason": reason, "resolver_ok": resolver_ok}
        summaries[site.name] = summary
        store.insert_many("ipv6_sites", [{"run_id": run_id, "site": site.name, "host": site.host, "home_url": site.url,
                                          "zone": None, "ns_status": None, "stats_json": _json({"applicable": False})}])
        _merge_site_stats(store, run_id, site.name, summary)
    elapsed = round(time.perf_counter() - started, 3)
    store.insert_many("ipv6_runs", [{"run_id": run_id, "started_at": started_at, "elapsed": elapsed,
                                     "selfcheck_ok": int(reach_ok), "resolver_ok": int(resolver_ok),
                                     "selfcheck_json": _json(selfcheck), "settings_json": _json(settings)}])
    log.info("IPv6 stage: %d hosts, %d IPv6 probes in %.2fs", len(hosts), probes, elapsed)
    if progress:
        state = "" if reach_ok else "（本机 IPv6 自检未通过，可访问性结果不确定）"
        print(f"[portal-audit] IPv6 检测完成：{len({h for _, h, _ in hosts})} 个主机，"
              f"{probes} 次 IPv6 访问，用时 {elapsed:.1f} 秒{state}", file=sys.stderr)
    return {"elapsed": elapsed, "selfcheck": selfcheck, "hosts": len(hosts), "probes": probes,
            "sites": summaries}


class _Site:
    """One site's IPv6 fetches: every target whose IPv4 fetch worked (the home page at every
    usable address), their ``ip_probes`` rows in that order, and the requests they sent.

    A page whose IPv6 answer differs from the crawl's IPv4 one is fetched once more over
    IPv4, now and under the same fetch policy as the probe: that answer is what the IPv6
    answer is compared with (``source='probe'``), so that a page changed between the crawl
    and the probe is not reported as inconsistent. When the two IPv4 answers differ from
    each other too, the page changes from fetch to fetch (``source='probe-changed'``) and
    the comparison decides nothing. A TLS failure over IPv6 is checked over IPv4 the same way:
    the probe verifies certificates and the crawl does not, so a certificate that fails over
    IPv4 too (expired, self-signed, for another name) makes the page one that does not work over
    IPv4 under the probe's policy, left out of the IPv6 checks as the crawl's failures are."""

    def __init__(self, run_id: int, prober: Prober, plan: Plan, targets: list[Target],
                 answers: Mapping[tuple[str, str], DnsAnswer], allow: bool):
        self.run_id, self.prober, self.plan, self.targets = run_id, prober, plan, targets
        self.rows: list[dict[str, Any]] = []        # ip_probes rows, one per fetch, a fetch's row when it ends
        self.sent: list[dict[str, Any]] = []        # the requests made
        self.queue: deque[tuple[Target, int | None, Callable[[], FetchResult]]] = deque()
        self.running = 0
        self.compared: set[str] = set()            # the URLs fetched again over IPv4
        for t in targets:
            v4_ok = t.v4 is not None and t.v4["outcome"] == Outcome.OK.value
            aaaa = answers.get((t.host, "AAAA"))
            if (not v4_ok and t.level != 1) or aaaa is None:
                continue
            usable, _ = split_usable(aaaa.answers, allow)
            if not usable:
                outcome = NO_AAAA if aaaa.decided else DNS_UNDECIDED_OUTCOME
                error = (f"主机 {t.host} 没有可用的 IPv6 地址" if aaaa.decided
                         else f"主机 {t.host} 的 AAAA 查询失败：{DNS_LABELS[aaaa.status]}")
                self.rows.append(_v6_row(run_id, t, FetchResult(outcome, error=error)))
                continue
            method = _method(t.v4, t.url)
            for addresses in ([[a] for a in usable] if t.level == 1 else [usable]):
                self.rows.append({})
                self.queue.append((t, len(self.rows) - 1, functools.partial(prober.fetch, t.url, method, addresses)))

    @property
    def done(self) -> bool:
        return not self.queue and not self.running

    def take(self) -> tuple[Target, int | None, Callable[[], FetchResult]]:
        """The next fetch to make."""
        self.running += 1
        return self.queue.popleft()

    def record(self, t: Target, row: int | None, result: FetchResult) -> None:
        """A fetch's answer: an IPv6 one (its row) or the IPv4 one it is compared with (``None``)."""
        self.running -= 1
        self.sent.extend(result.sent)
        if row is None:
            if result.status is not None or result.outcome == Outcome.TLS.value:
                fresh = {"method": _method(t.v4, t.url), "outcome": result.outcome, "status": result.status,
                         "final_url": result.final_url, "title": result.title, "error": result.error,
                         "attempts": result.attempts, "elapsed": result.elapsed,
                         "redirects_json": _json(result.redirects)}
                changed = result.status is not None and differences(t.v4, fresh)
                t.v4 = {**fresh, "source": V4_CHANGED if changed else V4_PROBED}
            return
        self.rows[row] = v6 = _v6_row(self.run_id, t, result)
        if t.url in self.compared:
            return
        # a TLS failure is compared too: the crawl does not verify certificates and the probe
        # does, so a certificate that fails over IPv4 as well (expired, self-signed, for another
        # name) is the site's, not its IPv6's; then the page does not work over IPv4 either
        if v6["outcome"] == Outcome.TLS.value or (v6["status"] is not None and v6["outcome"] not in V6_UNDECIDED_OUTCOMES
                                                   and differences(t.v4, v6)):
            self.compared.add(t.url)
            self.queue.append((t, None, functools.partial(self.prober.fetch, t.url, v6["method"] or "GET", family=4)))


def _probe_sites(run_id: int, store, prober: Prober, plans: Sequence[Plan], answers, allow: bool,
                 workers: int) -> Iterator[_Site]:
    """Each site's fetches (:class:`_Site`) in one pool of ``workers`` threads; each site as it ends.

    At most ``2 * workers`` sites are open at once (their targets read from the store when
    they open, dropped when they end), and the fetches are handed out from the open sites in
    turn, so that the threads are spread over many hosts: a host's rate limit
    (``crawl.per_host_rate``) holds the thread that waits for it, and one site's fetches in a
    row would keep every thread waiting on one host."""
    upcoming = iter(plans)
    opened = 0                                     # sites open: some fetch to make or running
    turn: deque[_Site] = deque()                   # open sites with fetches to hand out
    running: dict[Future, tuple[_Site, Target, int | None]] = {}
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ipv6-probe")
    try:
        while True:
            while opened < 2 * workers and (plan := next(upcoming, None)) is not None:
                site = _Site(run_id, prober, plan, plan_targets(store, run_id, plan), answers, allow)
                if site.done:
                    yield site
                else:
                    opened += 1
                    turn.append(site)
            while turn and len(running) < 2 * workers:
                site = turn.popleft()
                t, row, fetch = site.take()
                running[pool.submit(fetch)] = (site, t, row)
                if site.queue:
                    turn.append(site)
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                site, t, row = running.pop(future)
                had_queue = bool(site.queue)
                site.record(t, row, future.result())
                if site.done:
                    opened -= 1
                    yield site
                elif site.queue and not had_queue:
                    turn.append(site)
    except BaseException:  # Ctrl-C: drop what has not started; running requests end by their timeout
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def _method(v4: Mapping[str, Any] | None, url: str) -> str:
    """The crawl's method, except that an attachment the crawl read with a GET is
    probed with HEAD (the probe compares status and final URL, not the file)."""
    if v4 is None:
        return "GET"
    return "HEAD" if (v4.get("method") or "GET").upper() == "HEAD" or is_attachment(url) else "GET"


def _ns_info(resolver: Dns, host: str, allow: bool) -> dict[str, Any]:
    zone, answer = resolver.zone_ns(host)
    info: dict[str, Any] = {"zone": zone, "status": "none", "status_label": "未找到权威域名服务器",
                            "error": None, "hosts": [], "_answers": [answer] if answer else []}
    if answer is not None and not answer.decided:
        info.update(status=answer.status, status_label=DNS_LABELS[answer.status], error=answer.error)
        return info
    if zone is None or answer is None:
        return info
    info.update(status=DNS_OK, status_label=DNS_LABELS[DNS_OK])
    for name in sorted(answer.answers):
        a, aaaa = resolver.query(name, "A"), resolver.query(name, "AAAA")
        usable, unusable = split_usable(aaaa.answers, allow)
        info["_answers"].extend([a, aaaa])
        info["hosts"].append({"name": name, "a": a.answers, "aaaa": aaaa.answers, "usable": usable,
                              "unusable": unusable, "a_status": a.status, "aaaa_status": aaaa.status,
                              "aaaa_decided": aaaa.decided})
    info["any_v6"] = any(h["usable"] for h in info["hosts"])
    info["decided"] = all(h["aaaa_decided"] for h in info["hosts"])
    return info


def _site_summary(plan: Plan, targets: list[Target], answers, ns, mine: list[dict[str, Any]], v6, selfcheck,
                  resolver_ok: bool, elapsed: float) -> dict[str, Any]:
    """The site's summary (``mine``: its ``ip_probes`` rows; ``elapsed``: the stage's time when
    the site ended)."""
    host, home, counts = plan.site.host.lower(), plan.home, plan.counts
    a, aaaa = answers.get((host, "A")), answers.get((host, "AAAA"))
    usable, unusable = split_usable(aaaa.answers, v6.allow_nonglobal) if aaaa else ([], [])
    home_t = next(t for t in targets if t.level == 1)
    v4 = home_t.v4 or {}
    levels = {}
    works = {t.url for t in targets if (t.v4 or {}).get("outcome") == Outcome.OK.value}   # over IPv4, as the checks
    for level in LEVELS:
        rows = [r for r in mine if r["level"] == level and r["url"] in works]
        target = v6.target_level2 if level == 2 else v6.target_level3
        summary = level_summary(rows, target) if selfcheck["ok"] else None
        levels[str(level)] = {"name": LEVEL_NAMES[level], "links": counts[str(level)],
                              "probed": len({t.url for t in targets if t.level == level}), "target": target,
                              **({"summary": summary} if summary else {})}
    link_hosts = sorted({t.host for t in targets if t.level > 1 and t.host != host})
    return {
        "host": host, "home_url": home, "literal": is_ip(host), "applicable": True,
        "selfcheck_ok": selfcheck["ok"], "selfcheck_reason": selfcheck["reason"], "resolver_ok": resolver_ok,
        "dns": {"A": a.as_dict() if a else None, "AAAA": aaaa.as_dict() if aaaa else None,
                "usable": usable, "unusable": unusable},
        "ns": {k: v for k, v in (ns or {"status": "n/a", "status_label": "不适用（IP 地址）"}).items()
               if not k.startswith("_")},
        "home": {"v4": {**{k: v4.get(k) for k in ("outcome", "status", "final_url", "title", "error")},
                        "label": _outcome_label(v4.get("outcome"))} if v4 else None,
                 "v6": [{**{k: r[k] for k in ("address", "outcome", "status", "final_url", "title", "error",
                                              "attempts", "elapsed")},
                         "reason": v6_reason(r["outcome"], r["status"], r["error"]),
                         "works": r["outcome"] == Outcome.OK.value,
                         "differences": differences(v4, r) if v4.get("outcome") == Outcome.OK.value else []}
                        for r in mine if r["level"] == 1]},
        "levels": levels,
        "link_hosts": [{"host": h, "aaaa": answers[(h, "AAAA")].as_dict() if (h, "AAAA") in answers else None,
                        "usable": split_usable(answers[(h, "AAAA")].answers, v6.allow_nonglobal)[0]
                        if (h, "AAAA") in answers else []} for h in link_hosts],
        "stage_elapsed": elapsed,
    }


def _outcome_label(outcome: str | None) -> str:
    try:
        return Outcome(outcome).label
    except ValueError:
        return outcome or "未访问"


def _merge_site_stats(store, run_id: int, site: str, summary: dict[str, Any]) -> None:
    """Add the summary under ``"ipv6"`` to the site's ``run_sites.stats_json`` (the report reads it)."""
    row = store.run_site(run_id, site)
    if row is None:
        return
    try:
        stats = json.loads(row["stats_json"] or "{}")
    except ValueError:
        stats = {}
    stats["ipv6"] = summary
    store.set_run_site_stats(run_id, site, stats)


def _dns_row(run_id: int, site: str, host: str, role: str, ans: DnsAnswer, allow: bool, now: str) -> dict[str, Any]:
    usable = split_usable(ans.answers, allow)[0] if ans.qtype == "AAAA" else []
    return {"run_id": run_id, "site": site, "host": host, "role": role, "qtype": ans.qtype, "status": ans.status,
            "answers_json": _json(ans.answers), "usable_json": _json(usable), "cname_json": _json(ans.cname),
            "nameserver": ans.nameserver, "error": ans.error, "attempts": ans.attempts, "elapsed": ans.elapsed,
            "resolved_at": now}


def _v4_row(run_id: int, t: Target, now: str) -> dict[str, Any]:
    v4 = t.v4 or {}
    return {"run_id": run_id, "site": t.site, "level": t.level, "url": t.url, "host": t.host,
            "source_url": t.source_url, "family": 4, "source": v4.get("source", "crawl"), "address": None,
            "method": v4.get("method"), "outcome": v4.get("outcome") or "not_fetched", "status": v4.get("status"),
            "final_url": v4.get("final_url"), "title": v4.get("title"), "error": v4.get("error"),
            "attempts": v4.get("attempts") or 0, "elapsed": v4.get("elapsed"),
            "redirects_json": v4.get("redirects_json") or "[]", "probed_at": now}


def _v6_row(run_id: int, t: Target, r: FetchResult) -> dict[str, Any]:
    return {"run_id": run_id, "site": t.site, "level": t.level, "url": t.url, "host": t.host,
            "source_url": t.source_url, "family": 6, "source": "probe", "address": r.address,
            "method": _method(t.v4, t.url), "outcome": r.outcome, "status": r.status, "final_url": r.final_url,
            "title": r.title, "error": r.error, "attempts": r.attempts, "elapsed": r.elapsed,
            "redirects_json": _json(r.redirects), "probed_at": _now()}


def _now() -> str:
    return now_iso()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
