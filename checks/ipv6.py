"""IPv6 family: AAAA records, reachability and consistency over IPv6, 二级/三级 link support
rates, and the authoritative nameservers' IPv6, as the national IPv6 monitoring measures
网站IPv6支持度 (DOMAIN.md §3.2).

The facts come from the IPv6 gatherer (:mod:`crawler.ipv6`: tables ``ipv6_runs``,
``ipv6_sites``, ``dns_answers``, ``ip_probes``); these checks only read them. Host-level
findings have the host's home page as ``url`` and no ``page``; link-level findings have the
link target as ``url`` and the page it sits on as ``page``.

When the auditing machine's own IPv6 self-check failed, reachability results are
inconclusive: ``ipv6.unreachable``, ``ipv6.inconsistent`` and ``ipv6.link-rate`` are not
applicable (the report says why at the top). When the resolver could not be reached, no
DNS-based check is applicable either.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from checks.registry import NotApplicable, check
from core.ipv6 import (ADDRESS_LABELS, DNS_DECIDED, DNS_LABELS, DNS_NXDOMAIN, DNS_OK, DNS_UNDECIDED,
                       DNS_UNDECIDED_OUTCOME, LEVELS, LEVEL_NAMES, NO_AAAA, UNREACHABLE_OUTCOMES,
                       V4_CHANGED, V6_UNDECIDED_OUTCOMES, differences,
                       host_root, level_summary, nonglobal_reason, v6_reason)
from core.models import Outcome, Verify


SOURCE = "国家IPv6发展监测平台 网站IPv6支持度指标；《深入推进IPv6规模部署和应用2022年工作安排》县级以上政府门户网站IPv6支持率"
#: IPv6 answers that say nothing about reachability or content: no IPv6 fetch was made, or
#: the answer was inconclusive under the fetch policy (bot wall, rate limit, size limit)
NOT_PROBED = (NO_AAAA, DNS_UNDECIDED_OUTCOME, *sorted(V6_UNDECIDED_OUTCOMES))


# -- shared reads (computed once per audit) --------------------------------------------------

def _stage(ctx) -> dict[str, Any]:
    def build():
        rows = ctx.store.ipv6_runs(ctx.run_id)
        if not rows:
            return None
        row = dict(rows[0])
        row["selfcheck"] = json.loads(row["selfcheck_json"])
        row["settings"] = json.loads(row["settings_json"])
        return row

    stage = ctx.computed("ipv6.stage", build)
    if stage is None:
        raise NotApplicable("本次运行未执行 IPv6 检测（ipv6.enabled 为 false，或检测被跳过）")
    return stage


def _require_dns(ctx) -> dict[str, Any]:
    stage = _stage(ctx)
    if not stage["resolver_ok"]:
        raise NotApplicable("域名服务器无法访问，DNS 结果不确定：" + stage["selfcheck"].get("reason", ""))
    return stage


def _require_reach(ctx) -> dict[str, Any]:
    stage = _require_dns(ctx)
    if not stage["selfcheck_ok"]:
        raise NotApplicable("本机 IPv6 自检未通过，可访问性结果不确定：" + stage["selfcheck"].get("reason", ""))
    return stage


def _sites(ctx) -> dict[str, dict[str, Any]]:
    def build():
        out = {}
        for r in ctx.store.ipv6_sites(ctx.run_id):
            stats = json.loads(r["stats_json"] or "{}")
            if stats.get("applicable", True):
                out[r["site"]] = dict(r)
        return out

    return ctx.computed("ipv6.sites", build)


def _dns(ctx) -> dict[tuple[str, str, str], dict[str, Any]]:
    def build():
        out = {}
        for r in ctx.store.dns_answers(ctx.run_id):
            row = dict(r)
            for key in ("answers", "usable", "cname"):
                row[key] = json.loads(row.pop(f"{key}_json") or "[]")
            out.setdefault((row["site"], row["host"], row["qtype"]), row)
        return out

    return ctx.computed("ipv6.dns", build)


def _site_probes(ctx) -> Iterator[tuple[str, dict[str, dict[str, Any]], list[dict[str, Any]]]]:
    """Each audited site's probes, one site at a time, in the store's order (site, level, URL):
    the site, its IPv4 facts by URL and its IPv6 probe rows of pages that work over IPv4. Read
    by each check as it goes rather than held for all of them: a province's 268,000 rows held
    at once took 270 MB in the checks' process."""
    sites = _sites(ctx)
    for site, rows in itertools.groupby(ctx.store.ip_probes(ctx.run_id), key=lambda r: r["site"]):
        if site not in sites:
            continue
        v4, v6 = {}, []
        for r in rows:
            row = dict(r)
            if row["family"] == 4:
                v4[row["url"]] = row
            else:
                v6.append(row)
        yield site, v4, [r for r in v6 if (v4.get(r["url"]) or {}).get("outcome") == Outcome.OK.value]


def _unusable(answers: list[str], usable: list[str]) -> list[dict[str, str]]:
    out = []
    for a in answers:
        if a not in usable:
            reason = nonglobal_reason(a) or "non-global"
            out.append({"address": a, "reason": reason, "label": ADDRESS_LABELS.get(reason, reason)})
    return out


def _dns_evidence(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"status": row["status"], "status_label": DNS_LABELS.get(row["status"], row["status"]),
            "answers": row["answers"], "error": row["error"], "attempts": row["attempts"]}


def _is_unreachable(row: dict[str, Any]) -> bool:
    return row["outcome"] in UNREACHABLE_OUTCOMES or (
        row["outcome"] == Outcome.HTTP_ERROR.value and (row["status"] or 0) >= 500)


def _probe_evidence(row: dict[str, Any]) -> dict[str, Any]:
    return {"address": row["address"], "outcome": row["outcome"], "reason": v6_reason(row["outcome"], row["status"],
                                                                                      row["error"]),
            "status": row["status"], "final_url": row["final_url"], "title": row["title"], "error": row["error"],
            "attempts": row["attempts"], "elapsed": row["elapsed"], "redirects": json.loads(row["redirects_json"] or "[]")}


def _v4_evidence(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"outcome": row["outcome"], "status": row["status"], "final_url": row["final_url"], "title": row["title"]}


# -- checks ----------------------------------------------------------------------------------

@check("ipv6.no-aaaa", verify=Verify.IPV6, title="网站域名没有可用的 IPv6 地址（AAAA 记录）", severity="error",
       fix="为网站域名添加指向已开通 IPv6 的服务器或 CDN 节点的 AAAA 记录（公网 IPv6 地址），并确认经 IPv6 可正常访问。",
       requires=("dns_answers", "ipv6_sites"), source=SOURCE + "：网站域名IPv6地址解析能力",
       uses=("ipv6.dns", "ipv6.sites", "ipv6.stage"))
def ipv6_no_aaaa(ctx):
    """Flags a portal whose host name has no usable IPv6 address: the AAAA lookup (CNAME chain
    followed) answers NXDOMAIN or NoAnswer, or only addresses that are not globally routable
    (loopback ::1, link-local fe80::/10, unique-local fc00::/7, documentation 2001:db8::/32,
    IPv4-mapped ::ffff:0:0/96 …). Non-global addresses count when ``ipv6.allow_nonglobal`` is
    set (tests and the sample portal); IPv4-mapped, unspecified and multicast never do.

    Not flagged: a lookup that timed out or got SERVFAIL/REFUSED (that is ``ipv6.dns-error``:
    a DNS failure is never taken as "no AAAA"), a portal whose URL is an IPv4 address, and
    the hosts of 二级/三级 links (they count in ``ipv6.link-rate``).

    Evidence: the host, the AAAA status and answers, the unusable addresses with the reason,
    the A answers, the CNAME chain, the nameserver and the attempts.
    """
    _require_dns(ctx)
    dns = _dns(ctx)
    for site, s in _sites(ctx).items():
        host = s["host"]
        aaaa, a = dns.get((site, host, "AAAA")), dns.get((site, host, "A"))
        if aaaa is None or aaaa["status"] not in DNS_DECIDED or aaaa["usable"]:
            continue
        unusable = _unusable(aaaa["answers"], aaaa["usable"])
        if aaaa["status"] == DNS_NXDOMAIN:
            why = "域名不存在（NXDOMAIN）"
        elif unusable:
            why = "AAAA 记录只有不可用的地址：" + "、".join(f"{u['address']}（{u['label']}）" for u in unusable)
        else:
            why = "没有 AAAA 记录"
        chain = aaaa["cname"]
        via = f"（经 CNAME {' → '.join([chain[0][0], *(c[1] for c in chain)])}）" if chain else ""
        yield ctx.finding(site=site, url=s["home_url"], page=None,
                          message=f"网站域名 {host} 没有可用的 IPv6 地址：{why}{via}",
                          evidence={"host": host, "aaaa": _dns_evidence(aaaa), "unusable": unusable,
                                    "a": _dns_evidence(a), "cname": chain, "nameserver": aaaa["nameserver"]})


@check("ipv6.unreachable", verify=Verify.IPV6, title="通过 IPv6 无法访问", severity="error",
       fix="检查 IPv6 地址上的 Web 服务（监听、防火墙、负载均衡、CDN 回源）及线路，确保经 IPv6 与 IPv4 一样可访问。",
       requires=("ip_probes",), source=SOURCE + "：网站首页IPv6可访问、首页IPv6访问成功率",
       uses=("ipv6.sites", "ipv6.stage"))
def ipv6_unreachable(ctx):
    """Flags pages that work over IPv4 but cannot be fetched over IPv6 although the host has a
    usable AAAA: the connection is refused, reset or times out, TLS fails, or the answer is a
    5xx, after ``ipv6.probe_retries`` retries. Each AAAA address of the portal host is tried
    for the home page.

    A host none of whose probed pages works over IPv6 is one finding about the host (``url``
    is its home page, ``page`` empty), not one per link; otherwise the home page (when one of
    its addresses fails) and each failing link are reported on their own, the link with the
    page it sits on.

    Not flagged: pages that fail over IPv4 too (the link checks report them), hosts without
    AAAA (``ipv6.no-aaaa``, ``ipv6.link-rate``), 4xx answers or different content over IPv6
    (``ipv6.inconsistent``), IPv6 answers that decide nothing under the crawl's fetch policy
    (a bot wall, 429, 503 with Retry-After: undecided in ``ipv6.link-rate``), and everything
    when this machine's IPv6 self-check failed.

    Evidence: per IPv6 address the outcome, status, error, attempts and time, and the IPv4
    result of the same page; for a host, the number of failing pages and examples.
    """
    _require_reach(ctx)
    sites = _sites(ctx)
    for site, v4, v6 in _site_probes(ctx):
        yield from _unreachable(ctx, sites[site], site, v4, v6)


def _unreachable(ctx, s: dict[str, Any], site: str, v4, v6):
    by_host: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in v6:
        if r["outcome"] not in NOT_PROBED:
            by_host[r["host"]].append(r)
    for host, rows in sorted(by_host.items()):
        bad = [r for r in rows if _is_unreachable(r)]
        if not bad:
            continue
        portal = host == s["host"]
        if len(bad) == len(rows):
            url = s["home_url"] if portal else host_root(rows[0]["url"])
            pages = sorted({r["url"] for r in bad})
            reasons = sorted({v6_reason(r["outcome"], r["status"], r["error"]) for r in bad})
            addresses = sorted({r["address"] for r in bad if r["address"]})
            what = "网站首页" if portal else f"主机 {host} 的页面"
            yield ctx.finding(
                site=site, url=url, page=None,
                message=f"{what}通过 IPv6 无法访问（{'、'.join(reasons)}；IPv6 地址 {'、'.join(addresses)}），"
                        f"经 IPv4 可以访问；共 {len(pages)} 个页面",
                evidence={"host": host, "scope": "host", "addresses": addresses, "pages": len(pages),
                          "probes": [{"url": r["url"], "level": LEVEL_NAMES[r["level"]], "page": r["source_url"],
                                      **_probe_evidence(r)} for r in bad[:10]],
                          "ipv4": _v4_evidence(v4.get(url)) if portal else None})
            continue
        home_bad = [r for r in bad if r["level"] == 1]
        if home_bad:
            home_all = [r for r in rows if r["level"] == 1]
            yield ctx.finding(
                site=site, url=s["home_url"], page=None,
                message=f"网站首页在 {len(home_bad)}/{len(home_all)} 个 IPv6 地址上无法访问（"
                        + "、".join(f"{r['address']}：{v6_reason(r['outcome'], r['status'], r['error'])}"
                                   for r in home_bad) + "）",
                evidence={"host": host, "scope": "host", "probes": [_probe_evidence(r) for r in home_all],
                          "ipv4": _v4_evidence(v4.get(s["home_url"]))})
        for r in bad:
            if r["level"] == 1:
                continue
            four = v4.get(r["url"])
            yield ctx.finding(
                site=site, url=r["url"], page=r["source_url"],
                message=f"{LEVEL_NAMES[r['level']]}页面通过 IPv6 无法访问："
                        f"{v6_reason(r['outcome'], r['status'], r['error'])}（尝试 {r['attempts']} 次，"
                        f"IPv6 地址 {r['address']}），经 IPv4 可以访问（状态 {four['status'] if four else '—'}）",
                evidence={"host": host, "scope": "link", "level": LEVEL_NAMES[r["level"]], "ipv6": _probe_evidence(r),
                          "ipv4": _v4_evidence(four)})


@check("ipv6.inconsistent", verify=Verify.IPV6, title="IPv6 与 IPv4 访问结果不一致", severity="warning",
       fix="使 IPv6 与 IPv4 访问到同一套网站内容（同一服务器或同步的 CDN 配置），避免 IPv6 访问到空壳页、旧页面或错误页。",
       requires=("ip_probes",), source=SOURCE + "：网站首页内容IPv6和IPv4的一致性",
       uses=("ipv6.sites", "ipv6.stage"))
def ipv6_inconsistent(ctx):
    """Flags a page that answers over IPv6 but differently from IPv4: another final status
    code (for instance 404 over IPv6, 200 over IPv4), another final URL after redirects, or
    another <title> (compared after squashing white space). This catches the "dummy IPv6
    page" that national monitoring checks for. The home page is compared at each AAAA
    address (one finding about the host); links one finding per link, with the page it
    sits on.

    Not flagged: pages that cannot be fetched over IPv6 at all (``ipv6.unreachable``), IPv6
    answers that decide nothing (a bot wall, 429, 503 with Retry-After), pages whose IPv4
    answer changed too between two fetches (an IPv6 answer that differs from the crawl's is
    compared with an IPv4 answer taken at the same moment),
    titles of responses that have none on either side (attachments, HEAD), and everything
    when this machine's IPv6 self-check failed.

    Evidence: each differing field with its IPv4 and IPv6 value, and the IPv6 address.
    """
    _require_reach(ctx)
    sites = _sites(ctx)
    for site, v4, v6 in _site_probes(ctx):
        per_address = []
        for r in v6:
            if r["outcome"] in NOT_PROBED or _is_unreachable(r) or r["status"] is None:
                continue
            four = v4.get(r["url"])
            diffs = differences(four, r)
            if not diffs or four["source"] == V4_CHANGED:   # a page that changes between any two fetches
                continue
            if r["level"] == 1:
                per_address.append({"address": r["address"], "differences": diffs})
                continue
            yield ctx.finding(
                site=site, url=r["url"], page=r["source_url"],
                message=f"{LEVEL_NAMES[r['level']]}页面经 IPv6 与 IPv4 访问结果不一致：{_describe(diffs)}",
                evidence={"host": r["host"], "scope": "link", "level": LEVEL_NAMES[r["level"]],
                          "address": r["address"], "differences": diffs})
        if not per_address:
            continue
        s = sites[site]
        yield ctx.finding(
            site=site, url=s["home_url"], page=None,
            message=f"网站首页经 IPv6 与 IPv4 访问结果不一致：{_describe(per_address[0]['differences'])}"
                    f"（IPv6 地址 {'、'.join(d['address'] for d in per_address)}）",
            evidence={"host": s["host"], "scope": "host", "addresses": per_address})


def _describe(diffs: list[dict[str, Any]]) -> str:
    parts = []
    for d in diffs:
        if d["field"] == "title":
            parts.append(f"标题 IPv4 为《{d['ipv4'] or '（无）'}》，IPv6 为《{d['ipv6'] or '（无）'}》")
        else:
            parts.append(f"{d['label']} IPv4 为 {d['ipv4']}，IPv6 为 {d['ipv6']}")
    return "；".join(parts)


@check("ipv6.link-rate", verify=Verify.IPV6, title="二级/三级链接 IPv6 支持率低于目标", severity="warning",
       fix="为不支持 IPv6 的站内主机（子域名、栏目系统、附件服务器）配置 AAAA 记录并开通 IPv6 访问，逐项消除失败主机。",
       requires=("ip_probes", "ipv6_runs"), source=SOURCE + "：网站二级内链IPv6支持率、网站三级内链IPv6支持率",
       uses=("ipv6.sites", "ipv6.stage"))
def ipv6_link_rate(ctx):
    """Flags a site whose 二级 or 三级 link IPv6 support rate is below the target
    (``ipv6.target_level2`` / ``ipv6.target_level3``, default 85%). 二级 links are the
    internal links on the home page, 三级 links the internal links on the 二级 pages (each
    URL counted once, at its shallowest level); internal means the portal host, its parent
    domain and their subdomains, and ``allowed_domains``. A link is supported when its page
    answers over IPv6 with a status below 400 (redirects followed, each hop over IPv6).

    The rate is computed over the links that work over IPv4; links whose host's AAAA lookup
    failed (SERVFAIL/timeout), and links whose IPv6 answer is inconclusive under the crawl's
    fetch policy (a bot wall, 429, 503 with Retry-After, over the size limit), are left out
    and counted as undecided (named in the evidence). When a level has more
    than ``ipv6.max_links`` links, an even sample of that many is measured (the evidence
    says so). Not flagged: a level without internal links, and everything when this
    machine's IPv6 self-check failed.

    Evidence: the level, supported/total, the rate, the target, undecided links, the number
    of links before sampling, and the failing hosts with link counts, reasons and examples.
    """
    stage = _require_reach(ctx)
    sites = _sites(ctx)
    settings = stage["settings"]
    for site, _, v6 in _site_probes(ctx):
        s = sites[site]
        counts = json.loads(s["stats_json"] or "{}").get("counts", {})
        for level in LEVELS:   # (a site without probes has no link to rate)
            rows = [r for r in v6 if r["level"] == level]
            target = float(settings.get(f"target_level{level}", 85.0))
            summary = level_summary(rows, target)
            if not summary["below_target"]:
                continue
            hosts = summary["failing_hosts"]
            shown = "；".join(f"{h['host']}（{h['links']} 个，{'、'.join(h['reasons'])}）" for h in hosts[:5])
            more = f" 等 {len(hosts)} 个主机" if len(hosts) > 5 else ""
            undecided = (f"；另有 {summary['undecided']} 个链接无法判定（DNS 查询失败、被拦截或访问频率受限），未计入"
                         if summary["undecided"] else "")
            name = LEVEL_NAMES[level]
            yield ctx.finding(
                site=site, url=s["home_url"], page=None, identity=(f"level{level}",),
                message=f"{name} IPv6 支持率 {summary['rate']:g}%（{summary['supported']}/{summary['total']}），"
                        f"低于目标 {target:g}%；不支持 IPv6 的主机：{shown}{more}{undecided}",
                evidence={"level": name, "rate": summary["rate"], "target": target, "supported": summary["supported"],
                          "total": summary["total"], "undecided": summary["undecided"],
                          "undecided_links": summary["undecided_links"],
                          "links": counts.get(str(level)), "sampled": (counts.get(str(level)) or 0) > len(rows),
                          "failing_hosts": hosts})


@check("ipv6.dns-no-v6", verify=Verify.IPV6, title="权威域名服务器不支持 IPv6", severity="info",
       fix="请域名解析服务商提供具有 IPv6 地址的权威域名服务器（NS），使域名授权体系完整支持 IPv6。",
       requires=("dns_answers", "ipv6_sites"), source=SOURCE + "：网站域名具备完整的IPv6域名授权体系",
       uses=("ipv6.dns", "ipv6.sites", "ipv6.stage"))
def ipv6_dns_no_v6(ctx):
    """Reports, as information, a site whose authoritative nameservers have no IPv6: the NS
    records of the zone enclosing the portal host (found by walking up from the host, never
    to a public suffix such as gov.cn) are known, every NS host's AAAA lookup was decided,
    and none has a usable address.

    Not flagged: a zone whose NS could not be found or looked up, and NS hosts whose AAAA
    lookup failed (the answer would be a guess).

    Evidence: the zone and each NS host with its A and AAAA answers.
    """
    _require_dns(ctx)
    dns = _dns(ctx)
    for site, s in _sites(ctx).items():
        zone = s["zone"]
        ns = dns.get((site, zone, "NS")) if zone else None
        if ns is None or ns["status"] != DNS_OK or not ns["answers"]:
            continue
        hosts = []
        for name in ns["answers"]:
            a, aaaa = dns.get((site, name, "A")), dns.get((site, name, "AAAA"))
            hosts.append({"name": name, "a": _dns_evidence(a), "aaaa": _dns_evidence(aaaa),
                          "usable": aaaa["usable"] if aaaa else [],
                          "decided": aaaa is not None and aaaa["status"] in DNS_DECIDED})
        if not all(h["decided"] for h in hosts) or any(h["usable"] for h in hosts):
            continue
        yield ctx.finding(site=site, url=s["home_url"], page=None,
                          message=f"域名 {zone} 的权威域名服务器（{'、'.join(ns['answers'])}）均没有 IPv6 地址",
                          evidence={"zone": zone, "nameservers": hosts})


@check("ipv6.dns-error", verify=Verify.IPV6, title="DNS 查询失败，无法判定 IPv6 支持情况", severity="warning",
       fix="检查域名的权威解析（是否对 AAAA 查询超时或返回 SERVFAIL），确保 A 与 AAAA 查询都能正常应答。",
       requires=("dns_answers", "ip_probes"),
       uses=("ipv6.dns", "ipv6.sites", "ipv6.stage"))
def ipv6_dns_error(ctx):
    """Flags a host whose AAAA lookup failed after ``dns.retries`` retries: SERVFAIL, REFUSED,
    a timeout or another DNS error. Whether it has IPv6 cannot be decided, so it is
    deliberately not reported as "no AAAA" and its links are left out of the support rate.
    Reported for the portal host, and for link hosts with at least one page that works over
    IPv4 (a host whose A lookup fails as well is already a broken link).

    Not flagged: NXDOMAIN and NoAnswer (decided: ``ipv6.no-aaaa``), failures of the NS lookup
    (shown in the report only), and everything when the resolver itself could not be reached.

    Evidence: the host, the A and AAAA status with error and attempts, the nameserver, and
    for a link host the number of links affected.
    """
    _require_dns(ctx)
    dns = _dns(ctx)
    sites = _sites(ctx)
    affected: dict[tuple[str, str], list[str]] = defaultdict(list)   # the links, at most 5 named
    for site, _, v6 in _site_probes(ctx):
        for r in v6:
            if r["outcome"] == DNS_UNDECIDED_OUTCOME:
                affected[(site, r["host"])].append(r["url"])
    for (site, host, qtype), row in sorted(dns.items()):
        if qtype != "AAAA" or row["role"] not in ("portal", "link") or row["status"] not in DNS_UNDECIDED:
            continue
        if site not in sites:
            continue
        s = sites[site]
        links = affected.get((site, host), [])
        if row["role"] == "link" and not links:
            continue
        url = s["home_url"] if row["role"] == "portal" else host_root(links[0])
        label = DNS_LABELS.get(row["status"], row["status"])
        what = "网站域名" if row["role"] == "portal" else "站内主机"
        yield ctx.finding(
            site=site, url=url, page=None,
            message=f"无法判定{what} {host} 是否有 IPv6 地址：AAAA 查询失败，{label}（尝试 {row['attempts']} 次）；"
                    f"不按“没有 AAAA 记录”处理",
            evidence={"host": host, "aaaa": _dns_evidence(row), "a": _dns_evidence(dns.get((site, host, "A"))),
                      "nameserver": row["nameserver"], "links": len(links),
                      "examples": links[:5]})
