"""DNS for the IPv6 stage: A/AAAA/NS answers with their CNAME chains through the configured
resolver (NXDOMAIN, NoAnswer, SERVFAIL, REFUSED and timeout kept apart), and the self-check
of this machine's IPv6 connectivity."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver

from core.ipv6 import (DNS_DECIDED, DNS_ERROR, DNS_LABELS, DNS_LOCAL, DNS_NOANSWER, DNS_NXDOMAIN, DNS_OK,
                       DNS_REFUSED, DNS_SERVFAIL, DNS_TIMEOUT, PUBLIC_SUFFIXES)
from crawler.resolver import make_resolver, special_answer

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

    return dns.rcode.to_text(rcode)


def _rdata_text(rdata) -> str:
    address = getattr(rdata, "address", None)
    if address is not None:
        return str(address)
    return rdata.target.to_text(omit_final_dot=True) if hasattr(rdata, "target") else rdata.to_text()


def _cname_chain(qname, response) -> list[list[str]]:

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
