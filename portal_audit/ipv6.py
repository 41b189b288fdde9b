"""The IPv6 gatherer: DNS answers and reachability over IPv6, stored for the ``ipv6.*`` checks.

It runs after the crawl (see :mod:`portal_audit.runner`) when ``ipv6.enabled`` is set and
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
``crawl.per_host_concurrency`` requests per host; at most ``ipv6.max_links`` links per site
and level are fetched (an even, deterministic sample beyond that).
"""

from __future__ import annotations

import errno
import http.client
import ipaddress
import json
import logging
import re
import socket
import ssl
import sys
import threading
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from portal_audit.models import Outcome

log = logging.getLogger(__name__)

# -- vocabulary shared with checks/ipv6.py and the report ---------------------------------

#: DNS statuses. ``local``: answered without a query (IP literal, localhost, .invalid).
DNS_OK, DNS_NXDOMAIN, DNS_NOANSWER = "ok", "nxdomain", "noanswer"
DNS_SERVFAIL, DNS_REFUSED, DNS_TIMEOUT, DNS_ERROR, DNS_LOCAL = "servfail", "refused", "timeout", "error", "local"
DNS_DECIDED = frozenset({DNS_OK, DNS_NXDOMAIN, DNS_NOANSWER, DNS_LOCAL})
DNS_UNDECIDED = frozenset({DNS_SERVFAIL, DNS_REFUSED, DNS_TIMEOUT, DNS_ERROR})
DNS_LABELS = {
    DNS_OK: "有记录", DNS_NXDOMAIN: "域名不存在（NXDOMAIN）", DNS_NOANSWER: "无此类型记录（NoAnswer）",
    DNS_SERVFAIL: "域名服务器失败（SERVFAIL）", DNS_REFUSED: "域名服务器拒绝（REFUSED）",
    DNS_TIMEOUT: "查询超时", DNS_ERROR: "查询出错", DNS_LOCAL: "本地解析",
}

#: IPv6 probe outcomes beyond :class:`Outcome`: decided without any IPv6 traffic.
NO_AAAA = "no_aaaa"          # the host has no usable AAAA: the page cannot work over IPv6
DNS_UNDECIDED_OUTCOME = "dns_error"  # the AAAA lookup failed (SERVFAIL/timeout): undecided
V6_OUTCOME_LABELS = {NO_AAAA: "没有可用的 IPv6 地址", DNS_UNDECIDED_OUTCOME: "AAAA 查询失败，无法判定"}
#: Outcomes of an IPv6 fetch that mean "cannot be fetched over IPv6" (5xx is http_error).
UNREACHABLE_OUTCOMES = frozenset({Outcome.REFUSED.value, Outcome.RESET.value, Outcome.TIMEOUT.value,
                                  Outcome.TLS.value, Outcome.ERROR.value, Outcome.REDIRECT_LOOP.value})

#: Why an IPv6 address is not usable, in Chinese.
ADDRESS_LABELS = {
    "loopback": "环回地址", "link-local": "链路本地地址", "unique-local": "唯一本地地址（ULA）",
    "documentation": "文档保留地址（2001:db8::/32）", "ipv4-mapped": "IPv4 映射地址", "unspecified": "未指定地址",
    "multicast": "组播地址", "site-local": "站点本地地址", "non-global": "非公网地址", "invalid": "无效地址",
}
#: Never usable, even with ``allow_nonglobal``: not an IPv6 endpoint at all.
NEVER_USABLE = frozenset({"ipv4-mapped", "unspecified", "multicast", "invalid"})
_ULA = ipaddress.IPv6Network("fc00::/7")
_DOC = ipaddress.IPv6Network("2001:db8::/32")

LEVELS = (2, 3)
LEVEL_NAMES = {1: "首页", 2: "二级链接", 3: "三级链接"}
LINK_KINDS = ("page", "external", "attachment")
#: Public suffixes the NS walk never climbs to (their NS are not the site's).
PUBLIC_SUFFIXES = frozenset({"gov.cn", "com.cn", "net.cn", "org.cn", "edu.cn", "ac.cn", "mil.cn"})


def nonglobal_reason(address: str) -> str | None:
    """Why ``address`` is not a globally routable IPv6 unicast address; None when it is."""
    try:
        ip = ipaddress.IPv6Address(address.split("%", 1)[0])
    except ValueError:
        return "invalid"
    if ip.ipv4_mapped is not None:
        return "ipv4-mapped"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_multicast:
        return "multicast"
    if ip.is_link_local:
        return "link-local"
    if ip in _ULA:
        return "unique-local"
    if ip in _DOC:
        return "documentation"
    if ip.is_site_local:
        return "site-local"
    if not ip.is_global:
        return "non-global"
    return None


def split_usable(addresses: Iterable[str], allow_nonglobal: bool) -> tuple[list[str], list[dict[str, str]]]:
    """(usable addresses, [{address, reason, label}] of the others) under the run's rules."""
    usable, unusable = [], []
    for addr in addresses:
        reason = nonglobal_reason(addr)
        if reason is None or (allow_nonglobal and reason not in NEVER_USABLE):
            usable.append(addr)
        else:
            unusable.append({"address": addr, "reason": reason, "label": ADDRESS_LABELS[reason]})
    return usable, unusable


def host_root(url: str) -> str:
    """http://h:8080/a/b.html → http://h:8080/ (a host-level finding's URL)."""
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}/"


def is_internal(host: str, site_host: str, allowed: Sequence[str] = ()) -> bool:
    """Whether ``host`` belongs to the site: the portal host, its parent domain (without
    ``www.``), their subdomains, and ``allowed_domains``."""
    host, site_host = host.lower().rstrip("."), site_host.lower().rstrip(".")
    if _is_ip(site_host) or _is_ip(host):
        return host == site_host or host in allowed
    bases = {site_host, site_host[4:] if site_host.startswith("www.") else site_host,
             *(a.lower().lstrip(".") for a in allowed)}
    return any(host == b or host.endswith("." + b) for b in bases if b and "." in b)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def level_summary(rows: Iterable[Mapping[str, Any]], target: float) -> dict[str, Any]:
    """The support rate of one level from its IPv6 probe rows (pages that work over IPv4).

    A link is supported when its page answers over IPv6 with a status below 400; links
    whose host's AAAA could not be decided (SERVFAIL/timeout) are left out and counted
    as undecided. ``failing_hosts`` groups the unsupported links by host with the reasons.
    """
    total = supported = undecided = 0
    failing: dict[str, dict[str, Any]] = {}
    for r in rows:
        outcome = r["outcome"]
        if outcome == DNS_UNDECIDED_OUTCOME:
            undecided += 1
            continue
        total += 1
        if outcome == Outcome.OK.value:
            supported += 1
            continue
        entry = failing.setdefault(r["host"], {"host": r["host"], "links": 0, "reasons": Counter(), "examples": []})
        entry["links"] += 1
        entry["reasons"][v6_reason(outcome, r["status"], r["error"])] += 1
        if len(entry["examples"]) < 5:
            entry["examples"].append(r["url"])
    hosts = sorted(failing.values(), key=lambda e: (-e["links"], e["host"]))
    for e in hosts:
        e["reasons"] = dict(e["reasons"].most_common())
    rate = round(100.0 * supported / total, 1) if total else None
    return {"total": total, "supported": supported, "undecided": undecided, "rate": rate,
            "target": target, "below_target": rate is not None and rate < target, "failing_hosts": hosts}


def v6_reason(outcome: str, status: int | None, error: str | None) -> str:
    """A short Chinese reason for an IPv6 probe outcome."""
    if outcome in V6_OUTCOME_LABELS:
        return error if error and error.startswith("跳转") else V6_OUTCOME_LABELS[outcome]
    if outcome == Outcome.HTTP_ERROR.value and status:
        return f"HTTP {status}"
    try:
        return Outcome(outcome).label
    except ValueError:
        return error or outcome


FIELD_LABELS = {"status": "状态码", "final_url": "最终地址", "title": "标题"}


def differences(v4: Mapping[str, Any] | None, v6: Mapping[str, Any]) -> list[dict[str, Any]]:
    """How the IPv6 answer of a page differs from its IPv4 fetch: final status, final URL
    after redirects, <title> (white space squashed; not compared for HEAD requests)."""
    from portal_audit.text import squash

    if not v4 or v6.get("status") is None:
        return []
    diffs = []
    # a ranged GET's 206 (the crawler's HEAD fallback for attachments) and a 200 are the same answer
    same = {206: 200}
    if v4.get("status") is not None and same.get(v4["status"], v4["status"]) != same.get(v6["status"], v6["status"]):
        diffs.append({"field": "status", "label": FIELD_LABELS["status"], "ipv4": v4["status"], "ipv6": v6["status"]})
    if v4.get("final_url") and v6.get("final_url") and v4["final_url"] != v6["final_url"]:
        diffs.append({"field": "final_url", "label": FIELD_LABELS["final_url"], "ipv4": v4["final_url"],
                      "ipv6": v6["final_url"]})
    t4, t6 = squash(v4.get("title") or ""), squash(v6.get("title") or "")
    if (t4 or t6) and t4 != t6 and (v6.get("method") or "GET") != "HEAD":
        diffs.append({"field": "title", "label": FIELD_LABELS["title"], "ipv4": t4, "ipv6": t6})
    return diffs


# -- DNS -------------------------------------------------------------------------------------

@dataclass
class DnsAnswer:
    host: str
    qtype: str
    status: str
    answers: list[str] = field(default_factory=list)
    cname: list[list[str]] = field(default_factory=list)
    error: str | None = None
    attempts: int = 0
    elapsed: float = 0.0
    nameserver: str | None = None

    @property
    def decided(self) -> bool:
        return self.status in DNS_DECIDED

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "status_label": DNS_LABELS.get(self.status, self.status),
                "answers": self.answers, "cname": self.cname, "error": self.error, "attempts": self.attempts}


class Dns:
    """dnspython lookups against ``dns.nameservers`` (the system resolver only when none are
    configured), with per-attempt timeout and retries, cached for the stage."""

    def __init__(self, cfg):
        import dns.resolver

        from crawler.resolver import make_resolver

        if cfg.nameservers:
            self.resolver = make_resolver(cfg.nameservers, cfg.port, cfg.timeout, cfg.retries)
        else:
            try:
                self.resolver = dns.resolver.Resolver()  # the system's (/etc/resolv.conf)
            except dns.resolver.NoResolverConfiguration:
                self.resolver = dns.resolver.Resolver(configure=False)  # none: reachable() says so
            self.resolver.timeout = cfg.timeout
        self.timeout = cfg.timeout
        self.retries = cfg.retries
        self.port = self.resolver.port
        self.nameservers = [str(ns) for ns in self.resolver.nameservers]
        self._cache: dict[tuple[str, str], DnsAnswer] = {}
        self._pending: dict[tuple[str, str], threading.Event] = {}
        self._lock = threading.Lock()

    def query(self, host: str, qtype: str) -> DnsAnswer:
        key = (host.lower().rstrip("."), qtype)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
            event = self._pending.get(key)
            owner = event is None
            if owner:
                event = self._pending[key] = threading.Event()
        if not owner:
            event.wait()
            return self._cache[key]
        answer = DnsAnswer(key[0], qtype, DNS_ERROR, error="查询未完成")
        try:
            answer = self._query(*key)
        finally:
            with self._lock:
                self._cache[key] = answer
                self._pending.pop(key).set()
        return answer

    def _query(self, host: str, qtype: str) -> DnsAnswer:
        import dns.exception
        import dns.name
        import dns.rcode
        import dns.resolver

        from crawler.resolver import special_answer

        local = special_answer(host)
        if local is not None:
            return _local_answer(host, qtype, local)
        started = time.perf_counter()
        qname = dns.name.from_text(host)
        answer = DnsAnswer(host, qtype, DNS_ERROR, nameserver=", ".join(self.nameservers) or None)
        for attempt in range(1, self.retries + 2):
            answer.attempts = attempt
            try:
                result = self.resolver.resolve(qname, qtype, raise_on_no_answer=False, lifetime=self.timeout,
                                               search=False)
            except dns.resolver.NXDOMAIN as exc:
                answer.status, answer.error = DNS_NXDOMAIN, None
                responses = exc.kwargs.get("responses") or {}
                if responses:
                    answer.cname = _cname_chain(qname, next(iter(responses.values())))
                break
            except dns.resolver.NoNameservers as exc:
                answer.status, answer.error = _no_nameservers(exc)
            except dns.exception.Timeout:
                answer.status, answer.error = DNS_TIMEOUT, f"{self.timeout:g} 秒内无应答"
            except dns.exception.DNSException as exc:
                answer.status, answer.error = DNS_ERROR, f"{type(exc).__name__}: {exc}"
                break
            else:
                answer.cname = _cname_chain(qname, result.response)
                if result.rrset is None:
                    answer.status, answer.error = DNS_NOANSWER, None
                else:
                    answer.status, answer.error = DNS_OK, None
                    answer.answers = [_rdata_text(r) for r in result.rrset]
                break
        answer.elapsed = round(time.perf_counter() - started, 3)
        return answer

    def reachable(self) -> tuple[bool, str]:
        """Whether the resolver answers at all (any rcode counts): a query for the root SOA."""
        import dns.exception
        import dns.message
        import dns.query

        problems = []
        for ns in self.nameservers:
            for _ in range(self.retries + 1):
                try:
                    reply = dns.query.udp(dns.message.make_query(".", "SOA"), ns, timeout=self.timeout, port=self.port)
                    return True, f"域名服务器 {ns}#{self.port} 有应答（{_rcode_text(reply.rcode())}）"
                except dns.exception.Timeout:
                    problem = f"{ns}#{self.port} 查询超时"
                except (OSError, dns.exception.DNSException) as exc:
                    problem = f"{ns}#{self.port} {type(exc).__name__}: {exc}"
            problems.append(problem)
        return False, "域名服务器无法访问：" + "；".join(problems or ["没有可用的域名服务器"])

    def zone_ns(self, host: str) -> tuple[str | None, DnsAnswer | None]:
        """The nearest enclosing zone with NS records (walking up from ``host``, never to a
        TLD or public suffix) and its NS answer; (name, undecided answer) when a lookup fails."""
        labels = host.lower().rstrip(".").split(".")
        last = None
        for i in range(len(labels) - 1):
            name = ".".join(labels[i:])
            if name in PUBLIC_SUFFIXES:
                break
            answer = self.query(name, "NS")
            last = answer
            if answer.status == DNS_OK and answer.answers and not answer.cname:
                return name, answer
            if not answer.decided:
                return name, answer
        return None, last


def _rcode_text(rcode) -> str:
    import dns.rcode

    return dns.rcode.to_text(rcode)


def _rdata_text(rdata) -> str:
    address = getattr(rdata, "address", None)
    if address is not None:
        return str(address)
    return rdata.target.to_text(omit_final_dot=True) if hasattr(rdata, "target") else rdata.to_text()


def _cname_chain(qname, response) -> list[list[str]]:
    import dns.rdatatype

    if response is None:
        return []
    targets = {rrset.name: rrset[0].target for rrset in response.answer if rrset.rdtype == dns.rdatatype.CNAME}
    chain, name, seen = [], qname, set()
    while name in targets and name not in seen:
        seen.add(name)
        chain.append([name.to_text(omit_final_dot=True), targets[name].to_text(omit_final_dot=True)])
        name = targets[name]
    return chain


def _no_nameservers(exc) -> tuple[str, str]:
    """NoNameservers: tell SERVFAIL and REFUSED answers from servers that could not be reached."""
    import dns.rcode

    texts, rcodes = [], set()
    for err in exc.kwargs.get("errors") or []:
        server, response = err[0], err[-1]
        rcode = response.rcode() if response is not None and hasattr(response, "rcode") else None
        if rcode is not None:
            rcodes.add(rcode)
            texts.append(f"{server} 应答 {dns.rcode.to_text(rcode)}")
        else:
            texts.append(f"{server} {err[3]}")
    detail = "；".join(texts) or str(exc)
    if dns.rcode.SERVFAIL in rcodes:
        return DNS_SERVFAIL, detail
    if dns.rcode.REFUSED in rcodes:
        return DNS_REFUSED, detail
    return (DNS_TIMEOUT if "timed out" in detail.lower() else DNS_ERROR), detail


def _local_answer(host: str, qtype: str, local: str | Exception) -> DnsAnswer:
    """The answer for a name that never reaches a DNS server (see crawler.resolver.special_answer)."""
    if isinstance(local, Exception):
        return DnsAnswer(host, qtype, DNS_NXDOMAIN, error=str(local))
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: loopback in both families
        answers = {"A": ["127.0.0.1"], "AAAA": ["::1"]}.get(qtype, [])
    else:
        answers = [local] if qtype == ("AAAA" if ":" in local else "A") else []
    return DnsAnswer(host, qtype, DNS_LOCAL, answers=answers)


# -- self-check ------------------------------------------------------------------------------

def self_check_local() -> list[dict[str, Any]]:
    """Can this machine open an IPv6 socket and talk to itself over ``::1``?"""
    steps = []
    try:
        socket.socket(socket.AF_INET6, socket.SOCK_STREAM).close()
        steps.append({"step": "socket", "label": "创建 IPv6 套接字", "ok": True, "detail": "正常"})
    except OSError as exc:
        steps.append({"step": "socket", "label": "创建 IPv6 套接字", "ok": False, "detail": f"失败：{exc}"})
        return steps
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as server:
            server.bind(("::1", 0))
            server.listen(1)
            with socket.create_connection(server.getsockname()[:2], timeout=2):
                conn, _ = server.accept()
                conn.close()
        steps.append({"step": "loopback", "label": "连接本机 [::1]", "ok": True, "detail": "正常"})
    except OSError as exc:
        steps.append({"step": "loopback", "label": "连接本机 [::1]", "ok": False, "detail": f"失败：{exc}"})
    return steps


def route_check(address: str, port: int) -> dict[str, Any]:
    """Is there a route to ``address``? A UDP connect() only looks the route up; it sends nothing."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.connect((address, port))
        return {"step": "route", "label": "本机 IPv6 路由", "ok": True, "detail": f"可路由到 {address}"}
    except OSError as exc:
        return {"step": "route", "label": "本机 IPv6 路由", "ok": False,
                "detail": f"无法路由到 {address}：{exc.strerror or exc}（本机没有公网 IPv6 连接）"}


# -- fetching over IPv6 ----------------------------------------------------------------------

@dataclass
class FetchResult:
    outcome: str
    status: int | None = None
    final_url: str | None = None
    title: str | None = None
    error: str | None = None
    attempts: int = 0
    elapsed: float = 0.0
    address: str | None = None
    redirects: list[dict[str, Any]] = field(default_factory=list)
    location: str | None = None
    size: int = 0                       # body bytes read (the last hop)

    @property
    def connected(self) -> bool:
        return self.status is not None


class _PinnedHTTP(http.client.HTTPConnection):
    """HTTP to one IP address; Host header from the URL's host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._create_connection = lambda _addr, timeout=None, source=None: socket.create_connection(
            (address, port), timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to one IP address; SNI and certificate verification for the URL's host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._create_connection = lambda _addr, timeout=None, source=None: socket.create_connection(
            (address, port), timeout)


HEAD_FALLBACK_STATUSES = (400, 403, 405, 501)  # as the crawler: HEAD refused → ranged GET
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_NETWORK_ERRNOS = {errno.ENETUNREACH: "网络不可达", errno.EHOSTUNREACH: "主机不可达",
                   errno.EADDRNOTAVAIL: "本机没有可用的 IPv6 地址"}


class Prober:
    """Fetches pages over IPv6 at pinned addresses, with retries and redirects."""

    def __init__(self, dns: Dns, *, allow_nonglobal: bool, timeout: float, retries: int, backoff: float,
                 user_agent: str, max_redirects: int, max_body: int, per_host: int):
        self.dns = dns
        self.allow_nonglobal = allow_nonglobal
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.user_agent = user_agent
        self.max_redirects = max_redirects
        self.max_body = max_body
        self.per_host = max(1, per_host)
        self._host_slots: dict[str, threading.Semaphore] = defaultdict(lambda: threading.Semaphore(self.per_host))
        self._slots_lock = threading.Lock()

    def usable(self, host: str) -> tuple[list[str], DnsAnswer]:
        answer = self.dns.query(host, "AAAA")
        usable, _ = split_usable(answer.answers, self.allow_nonglobal)
        return usable, answer

    def fetch(self, url: str, method: str = "GET", addresses: Sequence[str] | None = None) -> FetchResult:
        """The page at ``url`` over IPv6, redirects followed (each hop at its host's AAAA)."""
        from crawler.urls import InvalidURL, normalize_href

        started = time.perf_counter()
        current, hops, seen, attempts = url, [], {url}, 0
        first_host = (urlsplit(url).hostname or "").lower()
        result = FetchResult(Outcome.ERROR.value)
        for hop in range(self.max_redirects + 1):
            host = (urlsplit(current).hostname or "").lower()
            if addresses is None or host != first_host:
                usable, answer = self.usable(host)
                if not usable:
                    outcome = NO_AAAA if answer.decided else DNS_UNDECIDED_OUTCOME
                    where = f"跳转目标主机 {host}" if hop else f"主机 {host}"
                    error = f"{where} 没有可用的 IPv6 地址" if answer.decided else \
                        f"{where} 的 AAAA 查询失败：{DNS_LABELS[answer.status]}"
                    result = FetchResult(outcome, error=error, final_url=current)
                    break
            else:
                usable = list(addresses)
            result = self._fetch_retrying(current, method, usable)
            if method == "HEAD" and result.status in HEAD_FALLBACK_STATUSES:
                attempts += result.attempts
                method = "GET"
                result = self._fetch_retrying(current, method, usable, ranged=True)
            attempts += result.attempts
            if result.location is None:
                result.final_url = current
                break
            location = result.location
            hops.append({"url": current, "status": result.status})
            try:
                target = normalize_href(location, current)
            except InvalidURL as exc:
                result = FetchResult(Outcome.HTTP_ERROR.value, status=result.status, final_url=location,
                                     error=f"跳转地址无效：{location}（{exc}）", address=result.address)
                break
            if target in seen:
                result = FetchResult(Outcome.REDIRECT_LOOP.value, status=result.status, final_url=target,
                                     error="循环跳转", address=result.address)
                break
            seen.add(target)
            current = target
            if result.status == 303:
                method = "GET"
        else:
            result = FetchResult(Outcome.REDIRECT_LOOP.value, final_url=current,
                                 error=f"跳转超过 {self.max_redirects} 次", address=result.address)
        result.attempts = max(attempts, result.attempts)
        result.redirects = [*hops, {"url": result.final_url, "status": result.status}] if hops else []
        result.elapsed = round(time.perf_counter() - started, 3)
        return result

    def _fetch_retrying(self, url: str, method: str, addresses: Sequence[str], ranged: bool = False) -> FetchResult:
        """One URL: each attempt tries the addresses in order until one answers; connection
        failures and 5xx are retried ``retries`` times with backoff."""
        result = FetchResult(Outcome.ERROR.value, error="没有可用的地址")
        attempts = 0
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            for address in addresses:
                attempts += 1
                result = self._fetch_once(url, method, address, ranged)
                if result.connected:
                    break
            if result.connected and (result.status or 0) < 500:
                break
        result.attempts = attempts
        return result

    def _fetch_once(self, url: str, method: str, address: str, ranged: bool = False) -> FetchResult:
        parts = urlsplit(url)
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        cls = _PinnedHTTPS if https else _PinnedHTTP
        host = parts.hostname or ""
        slot = self._slot(host)
        with slot:
            conn = cls(host, port, address, self.timeout)
            try:
                conn.request(method, path, headers={
                    "User-Agent": self.user_agent.encode("utf-8"), "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
                    "Accept-Language": "zh-CN,zh;q=0.9", "Accept-Encoding": "gzip, deflate", "Connection": "close",
                    **({"Range": "bytes=0-1023"} if ranged else {})})
                resp = conn.getresponse()
                status = resp.status
                if 300 <= status < 400 and resp.getheader("Location"):
                    resp.close()
                    return FetchResult(Outcome.OK.value, status=status, location=resp.getheader("Location"),
                                       address=address)
                body = resp.read(self.max_body) if method != "HEAD" else b""
                ctype = (resp.getheader("Content-Type") or "").lower()
                encoding = (resp.getheader("Content-Encoding") or "").lower()
            except (TimeoutError, socket.timeout):
                return FetchResult(Outcome.TIMEOUT.value, error=f"{self.timeout:g} 秒内无响应", address=address)
            except ConnectionRefusedError:
                return FetchResult(Outcome.REFUSED.value, error="连接被拒绝", address=address)
            except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, http.client.RemoteDisconnected,
                    http.client.IncompleteRead, http.client.BadStatusLine) as exc:
                return FetchResult(Outcome.RESET.value, error=f"连接中断（{type(exc).__name__}）", address=address)
            except ssl.SSLError as exc:
                return FetchResult(Outcome.TLS.value, error=f"TLS/证书错误：{exc.reason or exc}", address=address)
            except OSError as exc:
                label = _NETWORK_ERRNOS.get(exc.errno, "网络错误")
                return FetchResult(Outcome.ERROR.value, error=f"{label}：{exc.strerror or exc}", address=address)
            except http.client.HTTPException as exc:
                return FetchResult(Outcome.RESET.value, error=f"HTTP 协议错误：{type(exc).__name__}", address=address)
            finally:
                conn.close()
        title = _title(_decode(body, encoding), ctype) if body else ""
        outcome = Outcome.OK.value if status < 400 else Outcome.HTTP_ERROR.value
        return FetchResult(outcome, status=status, title=title, address=address, size=len(body),
                           error=None if status < 400 else f"HTTP {status}")

    def _slot(self, host: str) -> threading.Semaphore:
        with self._slots_lock:
            return self._host_slots[host]


def _decode(body: bytes, encoding: str) -> bytes:
    if encoding in ("gzip", "x-gzip", "deflate"):
        try:
            return zlib.decompressobj(47).decompress(body)  # 47: gzip or zlib header, auto-detected
        except zlib.error:
            try:
                return zlib.decompressobj(-15).decompress(body)
            except zlib.error:
                return body
    return body


def _title(body: bytes, ctype: str) -> str:
    from crawler import extract

    if "html" not in ctype and (ctype or b"<html" not in body[:2048].lower()):
        return ""
    if extract.looks_binary(body):
        return ""
    m = _CHARSET.search(ctype)
    text, _ = extract.decode_html(body, extract.normalize_charset(m.group(1)) if m else None)
    tree = extract.parse_tree(text)
    return extract.page_title(tree) if tree is not None else ""


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


def site_targets(store, run_id: int, site, max_links: int) -> tuple[str, list[Target], dict[str, Any]]:
    """The home page, the 二级 and 三级 internal links of ``site`` (each URL once, at its
    shallowest level) with their IPv4 fetch; and the counts per level (before sampling)."""
    from crawler.urls import InvalidURL, normalize_href

    try:
        home = normalize_href(site.url, site.url)
    except InvalidURL:
        home = site.url
    site_host = site.host.lower()
    allowed = [a.lower() for a in site.allowed_domains]
    homes = {r["url"] for r in store.query("SELECT url FROM pages WHERE run_id = ? AND site = ? AND is_home = 1",
                                           (run_id, site.name))} or {home}
    seen = set(homes) | {home}
    level_urls: dict[int, dict[str, str]] = {2: {}, 3: {}}
    placeholders = ", ".join("?" for _ in LINK_KINDS)
    sql = (f"SELECT source_url, target_url FROM links WHERE run_id = ? AND site = ? AND kind IN ({placeholders})"
           " ORDER BY id")
    for row in store.iquery(sql, (run_id, site.name, *LINK_KINDS)):
        url = row["target_url"]
        if row["source_url"] in homes and url not in seen and _internal_url(url, site_host, allowed):
            level_urls[2][url] = row["source_url"]
            seen.add(url)
    second = set(level_urls[2])
    for row in store.iquery(sql, (run_id, site.name, *LINK_KINDS)):
        url = row["target_url"]
        if row["source_url"] in second and url not in seen and _internal_url(url, site_host, allowed):
            level_urls[3][url] = row["source_url"]
            seen.add(url)
    counts = {str(level): len(urls) for level, urls in level_urls.items()}
    chosen: list[tuple[int, str, str | None]] = [(1, home, None)]
    for level, urls in level_urls.items():
        chosen.extend((level, u, urls[u]) for u in _sample(sorted(urls), max_links))
    wanted = {url for _, url, _ in chosen}
    fetches = {}
    for r in store.iquery("SELECT url, method, status, outcome, error, attempts, elapsed, final_url, title,"
                          " redirects_json FROM fetches WHERE run_id = ? AND site = ?", (run_id, site.name)):
        if r["url"] in wanted:
            fetches[r["url"]] = dict(r)
    missing = wanted - set(fetches)
    for url in missing:  # a URL shared by two sites is fetched (and stored) once, under either
        r = store.query("SELECT url, method, status, outcome, error, attempts, elapsed, final_url, title,"
                        " redirects_json FROM fetches WHERE run_id = ? AND url = ?", (run_id, url))
        if r:
            fetches[url] = dict(r[0])
    targets = [Target(site.name, level, url, (urlsplit(url).hostname or "").lower(), source, fetches.get(url))
               for level, url, source in chosen]
    return home, targets, counts


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

def wanted(cfg, only: Sequence[str] = ()) -> bool:
    """Whether any ``ipv6.*`` check is selected (the stage is skipped otherwise)."""
    from checks.registry import CheckSettings

    c = cfg.checks
    settings = CheckSettings(select=list(c.select), ignore=list(c.ignore))
    return any(chk.family == "ipv6" for chk in settings.selected(only))


def gather_ipv6(cfg, run_id: int, store, *, only: Sequence[str] = (), progress: bool = False) -> dict[str, Any] | None:
    """Measure the IPv6 support of every site of ``cfg`` for run ``run_id`` and store it.

    Returns the stage summary; None when no ``ipv6.*`` check is selected or the stage failed
    (logged; the ``ipv6.*`` checks are then not applicable, the rest of the run goes on)."""
    if not wanted(cfg, only):
        log.info("no ipv6.* check selected; IPv6 stage skipped")
        return None
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
        if _is_ip(site.host) and ":" not in site.host:
            literal_v4.append(site)  # an IPv4 address as the portal's URL: nothing to resolve or compare
            continue
        home, targets, counts = site_targets(store, run_id, site, v6.max_links)
        plans.append((site, home, targets, counts))
    hosts = {(site.name, site.host.lower(), "portal") for site, *_ in plans}
    for site, _, targets, _ in plans:
        hosts.update((site.name, t.host, "link") for t in targets if t.host != site.host.lower())
    needs_dns = any(not _is_ip(h) and h != "localhost" and not h.endswith((".localhost", ".invalid"))
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
            ns_jobs = {site.name: pool.submit(_ns_info, resolver, site.host.lower(), v6.allow_nonglobal)
                       for site, *_ in plans if not _is_ip(site.host)}
            answers = {k: f.result() for k, f in jobs.items()}
            ns_info = {k: f.result() for k, f in ns_jobs.items()}

    allow = v6.allow_nonglobal
    global_targets = sorted({a for (h, q), ans in answers.items() if q == "AAAA"
                             for a in split_usable(ans.answers, allow)[0] if nonglobal_reason(a) is None})
    if local_ok and global_targets:
        steps.append(route_check(global_targets[0], 443))
    reach_ok = resolver_ok and all(s["ok"] for s in steps)
    reason = "；".join(f"{s['label']}：{s['detail']}" for s in steps if not s["ok"])

    prober = Prober(resolver, allow_nonglobal=allow, timeout=v6.probe_timeout, retries=v6.probe_retries,
                    backoff=cfg.crawl.retry_backoff, user_agent=cfg.crawl.user_agent,
                    max_redirects=cfg.crawl.max_redirects, max_body=min(cfg.crawl.max_page_size, 2 * 1024 ** 2),
                    per_host=cfg.crawl.per_host_concurrency)
    probe_rows: list[dict[str, Any]] = []
    if reach_ok:
        probe_rows = _probe_all(run_id, prober, plans, answers, allow, workers)

    now = _now()
    dns_rows = []
    for site_name, host, role in sorted(hosts):
        for q in ("A", "AAAA"):
            if (host, q) in answers:
                dns_rows.append(_dns_row(run_id, site_name, host, role, answers[(host, q)], allow, now))
    for site_name, info in ns_info.items():
        for ans in info.pop("_answers"):
            dns_rows.append(_dns_row(run_id, site_name, ans.host, "ns", ans, allow, now))
    v4_rows = [_v4_row(run_id, t, now) for _, _, targets, _ in plans for t in targets]
    elapsed = round(time.perf_counter() - started, 3)
    settings = {"allow_nonglobal": allow, "target_level2": v6.target_level2, "target_level3": v6.target_level3,
                "probe_timeout": v6.probe_timeout, "probe_retries": v6.probe_retries, "max_links": v6.max_links,
                "nameservers": resolver.nameservers, "port": resolver.port}
    selfcheck = {"ok": reach_ok, "resolver_ok": resolver_ok, "reason": reason, "steps": steps}

    with store.transaction():
        for table in ("ipv6_runs", "ipv6_sites", "dns_answers", "ip_probes"):
            store.db.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
    store.insert_many("ipv6_runs", [{"run_id": run_id, "started_at": started_at, "elapsed": elapsed,
                                     "selfcheck_ok": int(reach_ok), "resolver_ok": int(resolver_ok),
                                     "selfcheck_json": _json(selfcheck), "settings_json": _json(settings)}])
    store.insert_many("dns_answers", dns_rows)
    store.insert_many("ip_probes", v4_rows + probe_rows)

    summaries = {}
    for site, home, targets, counts in plans:
        summary = _site_summary(site, home, targets, counts, answers, ns_info.get(site.name), probe_rows, v6,
                                selfcheck, resolver_ok, elapsed)
        summaries[site.name] = summary
        store.insert_many("ipv6_sites", [{"run_id": run_id, "site": site.name, "host": site.host.lower(),
                                          "home_url": home, "zone": summary["ns"].get("zone"),
                                          "ns_status": summary["ns"].get("status"),
                                          "stats_json": _json({"counts": counts})}])
        _merge_site_stats(store, run_id, site.name, summary)
    for site in literal_v4:
        summary = {"host": site.host, "home_url": site.url, "literal": True, "applicable": False,
                   "note": "网站网址为 IPv4 地址，无法通过域名检测 IPv6 支持情况",
                   "selfcheck_ok": reach_ok, "selfcheck_reason": reason, "resolver_ok": resolver_ok}
        summaries[site.name] = summary
        store.insert_many("ipv6_sites", [{"run_id": run_id, "site": site.name, "host": site.host, "home_url": site.url,
                                          "zone": None, "ns_status": None, "stats_json": _json({"applicable": False})}])
        _merge_site_stats(store, run_id, site.name, summary)
    log.info("IPv6 stage: %d hosts, %d IPv6 probes in %.2fs", len(hosts), len(probe_rows), elapsed)
    if progress:
        state = "" if reach_ok else "（本机 IPv6 自检未通过，可访问性结果不确定）"
        print(f"[portal-audit] IPv6 检测完成：{len({h for _, h, _ in hosts})} 个主机，"
              f"{len(probe_rows)} 次 IPv6 访问，用时 {elapsed:.1f} 秒{state}", file=sys.stderr)
    return {"elapsed": elapsed, "selfcheck": selfcheck, "hosts": len(hosts), "probes": len(probe_rows),
            "sites": summaries}


def _probe_all(run_id: int, prober: Prober, plans, answers, allow: bool, workers: int) -> list[dict[str, Any]]:
    """IPv6 fetches of every target whose IPv4 fetch worked (the home page at every usable
    address); rows for ``ip_probes``."""
    jobs: list[tuple[Target, str | None, Any]] = []
    rows: list[dict[str, Any]] = []
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ipv6-probe")
    try:
        for _site, _home, targets, _counts in plans:
            for t in targets:
                v4_ok = t.v4 is not None and t.v4["outcome"] == Outcome.OK.value
                if not v4_ok and t.level != 1:
                    continue
                aaaa = answers.get((t.host, "AAAA"))
                if aaaa is None:
                    continue
                usable, _ = split_usable(aaaa.answers, allow)
                if not usable:
                    outcome = NO_AAAA if aaaa.decided else DNS_UNDECIDED_OUTCOME
                    error = (f"主机 {t.host} 没有可用的 IPv6 地址" if aaaa.decided
                             else f"主机 {t.host} 的 AAAA 查询失败：{DNS_LABELS[aaaa.status]}")
                    jobs.append((t, None, FetchResult(outcome, error=error)))
                    continue
                method = _method(t.v4)
                if t.level == 1:
                    for address in usable:
                        jobs.append((t, address, pool.submit(prober.fetch, t.url, method, [address])))
                else:
                    jobs.append((t, usable[0], pool.submit(prober.fetch, t.url, method, usable)))
        for t, address, job in jobs:
            result = job if isinstance(job, FetchResult) else job.result()
            rows.append(_v6_row(run_id, t, result))
    except BaseException:  # Ctrl-C: drop what has not started; running requests end by their timeout
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return rows


def _method(v4: Mapping[str, Any] | None) -> str:
    if v4 is None:
        return "GET"
    return "HEAD" if (v4.get("method") or "GET").upper() == "HEAD" else "GET"


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


def _site_summary(site, home: str, targets: list[Target], counts, answers, ns, probe_rows, v6, selfcheck,
                  resolver_ok: bool, elapsed: float) -> dict[str, Any]:
    host = site.host.lower()
    a, aaaa = answers.get((host, "A")), answers.get((host, "AAAA"))
    usable, unusable = split_usable(aaaa.answers, v6.allow_nonglobal) if aaaa else ([], [])
    mine = [r for r in probe_rows if r["site"] == site.name]
    home_t = next(t for t in targets if t.level == 1)
    v4 = home_t.v4 or {}
    levels = {}
    for level in LEVELS:
        rows = [r for r in mine if r["level"] == level]
        target = v6.target_level2 if level == 2 else v6.target_level3
        summary = level_summary(rows, target) if selfcheck["ok"] else None
        levels[str(level)] = {"name": LEVEL_NAMES[level], "links": counts[str(level)],
                              "probed": len({t.url for t in targets if t.level == level}), "target": target,
                              **({"summary": summary} if summary else {})}
    link_hosts = sorted({t.host for t in targets if t.level > 1 and t.host != host})
    return {
        "host": host, "home_url": home, "literal": _is_ip(host), "applicable": True,
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
    row = store.query("SELECT stats_json FROM run_sites WHERE run_id = ? AND site = ?", (run_id, site))
    if not row:
        return
    try:
        stats = json.loads(row[0]["stats_json"] or "{}")
    except ValueError:
        stats = {}
    stats["ipv6"] = summary
    with store.transaction():
        store.db.execute("UPDATE run_sites SET stats_json = ? WHERE run_id = ? AND site = ?",
                         (_json(stats), run_id, site))


def _dns_row(run_id: int, site: str, host: str, role: str, ans: DnsAnswer, allow: bool, now: str) -> dict[str, Any]:
    usable = split_usable(ans.answers, allow)[0] if ans.qtype == "AAAA" else []
    return {"run_id": run_id, "site": site, "host": host, "role": role, "qtype": ans.qtype, "status": ans.status,
            "answers_json": _json(ans.answers), "usable_json": _json(usable), "cname_json": _json(ans.cname),
            "nameserver": ans.nameserver, "error": ans.error, "attempts": ans.attempts, "elapsed": ans.elapsed,
            "resolved_at": now}


def _v4_row(run_id: int, t: Target, now: str) -> dict[str, Any]:
    v4 = t.v4 or {}
    return {"run_id": run_id, "site": t.site, "level": t.level, "url": t.url, "host": t.host,
            "source_url": t.source_url, "family": 4, "source": "crawl", "address": None,
            "method": v4.get("method"), "outcome": v4.get("outcome") or "not_fetched", "status": v4.get("status"),
            "final_url": v4.get("final_url"), "title": v4.get("title"), "error": v4.get("error"),
            "attempts": v4.get("attempts") or 0, "elapsed": v4.get("elapsed"),
            "redirects_json": v4.get("redirects_json") or "[]", "probed_at": now}


def _v6_row(run_id: int, t: Target, r: FetchResult) -> dict[str, Any]:
    return {"run_id": run_id, "site": t.site, "level": t.level, "url": t.url, "host": t.host,
            "source_url": t.source_url, "family": 6, "source": "probe", "address": r.address,
            "method": _method(t.v4), "outcome": r.outcome, "status": r.status, "final_url": r.final_url,
            "title": r.title, "error": r.error, "attempts": r.attempts, "elapsed": r.elapsed,
            "redirects_json": _json(r.redirects), "probed_at": _now()}


def _now() -> str:
    from store.db import now_iso

    return now_iso()


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


# -- report ----------------------------------------------------------------------------------

SECTION = ("sections/ipv6.html.j2", "IPv6 支持情况")


def report_parts(sites) -> tuple[list[tuple[str, str]], list[str]]:
    """The report section and banners for ``sites`` (SiteSummary with ``stats``): the IPv6
    section when the run has IPv6 data, and a banner when the self-check failed."""
    measured = [s for s in sites if isinstance(getattr(s, "stats", None), dict) and s.stats.get("ipv6")]
    if not measured:
        return [], []
    banners = []
    failed = next((s.stats["ipv6"] for s in measured if not s.stats["ipv6"].get("selfcheck_ok")), None)
    if failed is not None:
        banners.append("IPv6 检测结果不确定：本机 IPv6 自检未通过（" + (failed.get("selfcheck_reason") or "原因未知")
                       + "）。各网站的 IPv6 可访问性、一致性与二级/三级链接支持率未作判定"
                       "（ipv6.unreachable、ipv6.inconsistent、ipv6.link-rate），请在具备 IPv6 的网络环境中复查。")
    return [SECTION], banners


def attach_report(data) -> None:
    """Add the IPv6 section and the self-check banner to a :class:`reports.data.ReportData`."""
    sections, banners = report_parts(data.sites)
    data.sections.extend(x for x in sections if x not in data.sections)
    data.banners.extend(x for x in banners if x not in data.banners)
