"""The IPv6 vocabulary shared by the IPv6 gatherer (:mod:`crawler.ipv6`), the ``ipv6.*``
checks and the report: DNS statuses, probe outcomes, address classes, link levels, and the
pure rules over them (which addresses are usable, which hosts are internal, a level's
support rate, how an IPv6 answer differs from the IPv4 one)."""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from core.models import DnsStatus, Outcome
from core.text import squash

DNS_OK, DNS_NXDOMAIN, DNS_NOANSWER, DNS_SERVFAIL, DNS_REFUSED, DNS_TIMEOUT, DNS_ERROR, DNS_LOCAL = DnsStatus
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
#: Outcomes of an IPv6 fetch that decide nothing about IPv6 (the crawl's inconclusive answers
#: under the same fetch policy: a bot wall, a rate limit — 429, 503 with Retry-After —, an
#: answer over the size limit, and a hop the address policy did not fetch — 内网地址): left
#: out of ``ipv6.unreachable``/``ipv6.inconsistent`` and of the 二级/三级 rates, and named in
#: the evidence as undecided.
V6_UNDECIDED_OUTCOMES = frozenset({Outcome.BLOCKED.value, Outcome.RATE_LIMITED.value, Outcome.TOO_LARGE.value,
                                   Outcome.EXCLUDED.value})
#: ``ip_probes.source`` of an IPv4 row re-fetched when the IPv6 answer differed from the
#: crawl's: the same answer again, or a page that changes from one fetch to the next (then
#: the IPv4/IPv6 comparison decides nothing)
V4_PROBED, V4_CHANGED = "probe", "probe-changed"
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
    if is_ip(site_host) or is_ip(host):
        return host == site_host or host in allowed
    bases = {site_host, site_host[4:] if site_host.startswith("www.") else site_host,
             *(a.lower().lstrip(".") for a in allowed)}
    return any(host == b or host.endswith("." + b) for b in bases if b and "." in b)


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def level_summary(rows: Iterable[Mapping[str, Any]], target: float) -> dict[str, Any]:
    """The support rate of one level from its IPv6 probe rows (pages that work over IPv4).

    A link is supported when its page answers over IPv6 with a status below 400; links
    whose host's AAAA could not be decided (SERVFAIL/timeout) or whose IPv6 answer decides
    nothing (:data:`V6_UNDECIDED_OUTCOMES`) are left out and counted as undecided, the
    first ten named in ``undecided_links``. ``failing_hosts`` groups the unsupported links
    by host with the reasons.
    """
    total = supported = undecided = 0
    failing: dict[str, dict[str, Any]] = {}
    undecided_links: list[dict[str, str]] = []
    for r in rows:
        outcome = r["outcome"]
        if outcome == DNS_UNDECIDED_OUTCOME or outcome in V6_UNDECIDED_OUTCOMES:
            undecided += 1
            if len(undecided_links) < 10:
                undecided_links.append({"url": r["url"], "reason": v6_reason(outcome, r["status"], r["error"])})
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
    return {"total": total, "supported": supported, "undecided": undecided, "undecided_links": undecided_links,
            "rate": rate,
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
