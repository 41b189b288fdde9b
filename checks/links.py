"""Link family: broken, redirected, soft-404, wrong and hidden links, and unreachable sites.

Each finding is about one target URL (a target linked from 500 pages is one
finding, with the count and the first pages), except ``link.wrong``, which is
about one link on one page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlsplit

from checks.common import fetch_evidence, first_page, linked_from, per_site
from checks.computed.titles import document_name, name_similarity, names_other_document, wrong_link_thresholds
from checks.registry import check
from core.fragments import fragment_found
from core.models import BROKEN_OUTCOMES, INCONCLUSIVE_OUTCOMES, PRIVATE_ADDRESS_REASON, Outcome, Verify
from core.text import cjk_count
from crawler.hidden import dark_link

_BROKEN = tuple(o.value for o in BROKEN_OUTCOMES)
_INCONCLUSIVE = tuple(o.value for o in INCONCLUSIVE_OUTCOMES)
LINK_KINDS = ("page", "external", "resource", "invalid")
CHECKED_KINDS = ("page", "external", "resource", "attachment")


def _fetch_findings(ctx, row, message: str | Callable[[dict[str, Any]], str], evidence: dict[str, Any] | None = None):
    """One finding on the URL fetched in ``row`` for every site linking to it (see
    :func:`~checks.common.per_site`), on the first of that site's pages linking to it.

    ``message`` is the message, or a function of the linking pages giving it. Evidence: the
    fetch's (:func:`~checks.common.fetch_evidence`), ``evidence`` and ``linked_from``, the
    linking pages.
    """
    for site, linked in per_site(ctx, row):
        page, anchor = first_page(linked)
        yield ctx.finding(site=site, url=row["url"], page=page, anchor=anchor,
                          message=message(linked) if callable(message) else message,
                          evidence={**fetch_evidence(row), **(evidence or {}), "linked_from": linked})


def _broken_targets(ctx, kinds: tuple[str, ...], what: str):
    for row in ctx.store.fetches_by_outcome(ctx.run_id, _BROKEN, kinds):
        detail = row["error"] or Outcome(row["outcome"]).label

        def message(linked, row=row, detail=detail):
            times = f"，共 {linked['count']} 个页面引用" if linked["count"] > 1 else ""
            return f"{what}：{detail}（尝试 {row['attempts']} 次）{times}"

        yield from _fetch_findings(ctx, row, message)


@check("link.broken", verify=Verify.TARGET, title="链接无法访问（断链）", severity="error",
       fix="修正链接地址，或恢复被链接的页面；已撤稿的内容应同时删除各处指向它的链接。",
       requires=("fetches", "links"),
       source="《政府网站与政务新媒体检查指标》(国办函〔2019〕80号) 链接可用性；S3 一(一) 杜绝错链、断链")
def link_broken(ctx):
    """Flags a link whose target cannot be opened: HTTP 4xx/5xx after retries, a name that
    does not resolve, a refused or reset connection, a timeout, a TLS error, or an href
    that is not a valid URL.

    Not flagged: bot walls and rate limits (see ``link.inconclusive``), URLs excluded by
    robots.txt, mailto:/tel:/javascript: links, and slow pages that answer within the
    timeout. Attachments are reported by ``attachment.broken``.

    Evidence: outcome, HTTP status, error, attempts, elapsed time, redirect chain, and the
    pages linking to the target (count and the first ten, with anchor text and line).
    """
    yield from _broken_targets(ctx, LINK_KINDS, "链接无法访问")


@check("attachment.broken", verify=Verify.TARGET, title="附件无法下载", severity="error",
       fix="重新上传附件或修正附件链接；附件应与正文同步维护。",
       requires=("fetches", "links"),
       source="全国政府网站普查 附件下载：所需的办事表格、文件附件等资料能否正常下载")
def attachment_broken(ctx):
    """Flags an attachment link (pdf, doc, docx, xls, xlsx, wps, ofd, zip, rar …) that cannot
    be downloaded. Attachments are checked with HEAD, falling back to a ranged GET when the
    server refuses HEAD (405/501/403), so whole files are never downloaded.

    Evidence: as for ``link.broken``.
    """
    yield from _broken_targets(ctx, ("attachment",), "附件无法下载")


@check("link.redirect-loop", verify=Verify.TARGET, title="链接循环跳转", severity="error",
       fix="检查服务器跳转规则，消除相互跳转；链接应直接指向最终页面。", requires=("fetches",))
def link_redirect_loop(ctx):
    """Flags a link whose redirects never end: a hop points back to an earlier URL of the
    chain, or the chain is longer than ``crawl.max_redirects``.

    Evidence: every hop with its status.
    """
    for row in ctx.store.redirect_loops(ctx.run_id):
        yield from _fetch_findings(ctx, row, f"链接循环跳转：{row['error']}")


@check("link.redirect-chain", verify=Verify.TARGET, title="链接多次跳转", severity="warning",
       fix="把链接改为最终地址，减少跳转次数。", requires=("fetches",), options={"max_hops": 3})
def link_redirect_chain(ctx):
    """Flags a working link that reaches its page only after more than ``max_hops``
    redirects (default 3). A single 301/302 is normal and not flagged.

    Evidence: the redirect chain, hop by hop.
    """
    max_hops = int(ctx.options["max_hops"])
    for row in ctx.store.redirected_fetches(ctx.run_id):
        hops = json.loads(row["redirects_json"])
        if len(hops) - 1 <= max_hops:
            continue
        yield from _fetch_findings(ctx, row, f"链接经过 {len(hops) - 1} 次跳转才到达目标页面（上限 {max_hops} 次）",
                                   {"max_hops": max_hops})


@check("link.soft404", verify=Verify.TARGET_PROBE, title="链接指向“页面不存在”页面（软404）", severity="error",
       fix="修正链接或恢复内容；服务器对不存在的页面应返回 404 状态码。", requires=("fetches", "probes"))
def link_soft404(ctx):
    """Flags a link that answers 200 but shows a "not found" page: its title or short text
    says 页面不存在 / 您访问的页面不存在 / 404 …, or its text is the same as the page the host
    returns for a random URL (the gatherer learns that page once per host).

    Not flagged: a host's home page, even when the host answers unknown URLs with it.

    Evidence: the page title, which rule matched, and the linking pages.
    """
    probes = {}
    for p in ctx.store.notfound_probes(ctx.run_id):
        if p["outcome"] == "ok" and p["text_hash"]:
            probes[_origin(p["url"])] = p["text_hash"]
    for row in ctx.store.soft404_candidates(ctx.run_id):
        if urlsplit(row["url"]).path.rstrip("/").rsplit("/", 1)[-1] in ("", "index.html", "index.htm", "index.shtml"):
            continue
        if row["notfound_text"]:
            rule = "页面标题或内容为“页面不存在”类提示"
        elif probes.get(_origin(row["url"])) == row["text_hash"]:
            rule = "页面内容与该网站对不存在地址返回的错误页相同"
        else:
            continue
        yield from _fetch_findings(ctx, row, f"链接返回 200 但内容为错误页：{row['title'] or '（无标题）'}",
                                   {"title": row["title"], "rule": rule})


@check("link.wrong", verify=Verify.SOURCE_PAGE, title="链接指向错误的文件（错链）", severity="error",
       fix="核对链接地址，使其指向链接文字所列的文件。", requires=("links", "fetches"),
       options={"min_cjk": 8, "threshold": 60},
       source="S3 一(一) 杜绝错链、断链和内容混杂",
       uses=("titles.wrong_link_thresholds",))
def link_wrong(ctx):
    """Flags a link whose text names a document (at least ``min_cjk`` Chinese characters,
    default 8) while the page it opens is another document: the documents' *names* — the
    《》 content, else the title without issuer, place name, 关于印发…的通知 frame, 文号 and
    site suffix, the document type kept (实施方案 and 实施意见 are two documents) — are less
    alike than two unrelated documents of the same site usually are. The bar is the 90th
    percentile of the similarity of the site's own unrelated document names plus 10, at
    least ``threshold`` (default 60) and at most 75 (see ``checks/computed/titles.py``), so a
    neighbouring policy of the same issuer is caught on any site.

    Not flagged: short or generic anchors (更多, 详情, 下载), the same document under a
    short, abbreviated (《营商环境措施》) or truncated (…) anchor, hidden links, targets
    without a usable title, and attachments.

    Evidence: the anchor, the target's title and heading, both document names, the score
    and the site's bar.
    """
    min_cjk, base = int(ctx.options["min_cjk"]), float(ctx.options["threshold"])
    bars = wrong_link_thresholds(ctx, base)
    for row in ctx.store.visible_links_to_working_pages(ctx.run_id):
        anchor = row["anchor"] or ""
        if cjk_count(anchor) < min_cjk:
            continue
        threshold = bars.get(row["site"], base)
        score = _wrong_link_score(anchor, row["heading"], row["title"], threshold, min_cjk)
        if score is None:
            continue
        shown = row["heading"] or row["title"]
        yield ctx.finding(site=row["site"], url=row["target_url"], page=row["source_url"], anchor=anchor,
                          message=f"链接文字为《{anchor}》，打开的却是《{shown}》",
                          evidence={"anchor": anchor, "target_title": row["title"], "target_heading": row["heading"],
                                    "anchor_names": document_name(anchor, place=True),
                                    "target_names": document_name(shown, place=True),
                                    "similarity": round(score, 1), "threshold": round(threshold, 1),
                                    "line": row["line"]},
                          identity=(row["source_url"], row["target_url"]))


@lru_cache(maxsize=1 << 16)
def _wrong_link_score(anchor: str, heading: str | None, title: str | None, bar: float, min_cjk: int) -> float | None:
    """The similarity of ``anchor`` to the target's heading and <title> when both name
    another document and it is below ``bar`` (the link is wrong), else None. Cached: the
    same list entry is linked from its list, its neighbours and every related-file box."""
    # the heading and the <title> that name a document: the link is wrong against all of them
    candidates = [t for t in (heading, title) if t and names_other_document(anchor, t, 101, min_cjk)]
    if not candidates:
        return None
    score = max(name_similarity(anchor, t) for t in candidates)
    return score if score < bar else None


_HIDING_LABELS = {
    "off-screen": "移出屏幕（定位或缩进偏移 2000px 以上）", "font-size:0": "字号为 0",
    "marquee": "1 像素或极速滚动的 <marquee>", "document.write": "由 document.write 写入的隐藏块",
    "color=background": "文字颜色与背景相同", "tiny-box": "1 像素且溢出隐藏的区块",
    "style-rule": "页面 <style> 规则隐藏且无任何规则或脚本显示它",
    "display:none": "display:none（可展开的隐藏区块）", "visibility:hidden": "visibility:hidden（可展开的隐藏区块）",
    "opacity:0": "透明度为 0", "hidden": "hidden 属性", "zero-size": "宽高为 0", "collapsed": "样式表隐藏（可展开）",
}


@check("link.hidden", verify=Verify.LINKING_PAGES, title="隐藏的外部链接（暗链）", severity="error",
       fix="立即删除隐藏链接并排查页面模板和服务器是否被篡改（挂马、黑链），修补漏洞。",
       requires=("links",), source="国办函〔2019〕80号 单项否决：安全攻击（页面被挂马、内容被篡改）")
def link_hidden(ctx):
    """Flags 暗链: a link a visitor can never see or reach, to a host outside the
    government's family of sites. Hidden means, on the link or an ancestor: a 1-pixel or
    racing ``<marquee>``, a block opened and closed by ``document.write`` with a hiding
    style, text indent or position 2000px or more off-screen, zero font size, text colour
    equal to the background, a 1-pixel ``overflow:hidden`` box, or a class/id hidden by a
    ``<style>`` rule that no other rule (``:hover``, layout, ``@media``) and no inline script
    mentions. A link that is only collapsed (``display:none``, ``visibility:hidden``,
    ``opacity:0``) — the state of dropdown menus, tab panels and 友情链接 lists — counts only
    when its anchor or address carries spam words (博彩, 娱乐, 彩票, 代孕, 发票 …).

    Not flagged: links to the site's own hosts and ``allowed_domains``, to ``.gov.cn``
    hosts, image links whose text only is hidden, collapsed menus without spam words,
    visible links.

    Evidence: how the link is hidden and why that is never visible, the foreign host, the
    spam words, and the pages carrying it.
    """
    seen: set = set()
    for row in ctx.store.hidden_external_links(ctx.run_id):
        key = (row["site"], row["target_url"])
        if key in seen:
            continue
        host = urlsplit(row["target_url"]).hostname or ""
        why = dark_link(row["hidden_reason"], row["anchor"], row["target_url"], host)
        if why is None:
            continue
        seen.add(key)
        linked = linked_from(ctx, row["target_url"], row["site"])
        page, _ = first_page(linked)
        form = _HIDING_LABELS.get(row["hidden_reason"].split(" ", 1)[0], row["hidden_reason"])
        words = f"，含“{'、'.join(why['spam_words'])}”等字样" if why["spam_words"] else ""
        yield ctx.finding(site=row["site"], url=row["target_url"], page=page, anchor=row["anchor"],
                          message=f"页面含有隐藏的外部链接（{form}，指向本网站以外的域名 {host}{words}）："
                                  f"{row['anchor'] or row['target_url']}",
                          evidence={**why, "hidden_label": form, "linked_from": linked})


@check("link.inconclusive", verify=Verify.TARGET, title="链接无法判定（被拦截或受限）", severity="info",
       fix="人工在浏览器中打开核实；如为本网站的防火墙拦截，请将检查工具加入白名单。",
       requires=("fetches",))
def link_inconclusive(ctx):
    """Lists links that could not be judged: a bot wall or WAF page (403/412/999 with a
    firewall page), a rate limit still in force after retries (429, or a Retry-After longer
    than ``crawl.max_retry_after``), a response over ``crawl.max_page_size``, a target on an
    intranet address the address policy did not fetch (内网地址; ``crawl.allowed_networks``),
    or another error. These are deliberately not reported as broken, to avoid false alarms.

    Evidence: the outcome and the reason.
    """
    for row in ctx.store.inconclusive_fetches(ctx.run_id, _INCONCLUSIVE, CHECKED_KINDS, PRIVATE_ADDRESS_REASON):
        label = Outcome(row["outcome"]).label
        yield from _fetch_findings(ctx, row, f"无法判定链接是否可用：{label}（{row['error'] or ''}）")


@check("link.anchor-missing", verify=Verify.TARGET,
       title="链接指向的页内位置不存在（锚点缺失）", severity="warning",
       fix="修正链接中 # 后的锚点名称，或在目标页面恢复对应的 id / <a name> 位置。",
       requires=("links", "fetches"))
def link_anchor_missing(ctx):
    """Flags a link ``page#name`` (or ``#name`` on the same page) whose target page opened
    but has no element with that id and no ``<a name>`` of that name, so the browser stays at
    the top of the page. Compared as browsers do: the fragment as written (percent-encoded
    where the URL standard encodes it), then percent-decoded as UTF-8; ``#`` and ``#top``
    are the top of the page, ``###`` is a script link's placeholder like ``#``. The target's anchors come from the page as fetched (no extra
    request).

    Not flagged: targets that are not HTML pages or did not open (those are ``link.broken``
    and friends), links to other sites' pages that were not read.

    Evidence: the fragment, its decoded form, the anchors the page has (first 20) and the
    pages linking to it.
    """
    grouped: dict[tuple[str, str, str], list] = {}
    names: dict[str, set[str]] = {}
    for row in ctx.store.fragment_links(ctx.run_id):
        if row["fetched"] not in names:
            names[row["fetched"]] = set(json.loads(row["anchors"]))
        if not fragment_found(row["fragment"], names[row["fetched"]]):
            grouped.setdefault((row["site"], row["fetched"], row["fragment"]), []).append(row)
    for (site, target, fragment), rows in grouped.items():
        first = rows[0]
        decoded = unquote(fragment)
        available = sorted(names[target])
        url = f"{target}#{fragment}"
        yield ctx.finding(site=site, url=url, page=first["source_url"], anchor=first["anchor"],
                          message=f"链接指向的页内位置“#{decoded}”在目标页面中不存在"
                                  + (f"，共 {len(rows)} 个页面引用" if len(rows) > 1 else ""),
                          evidence={"fragment": fragment, "decoded": decoded, "available": available[:20],
                                    "available_count": len(available),
                                    "linked_from": {"count": len(rows), "pages": [
                                        {"page": r["source_url"], "anchor": r["anchor"], "line": r["line"]}
                                        for r in rows[:10]]}})


@check("site.unreachable", verify=Verify.HOME, title="网站首页无法访问", severity="error",
       fix="检查服务器、域名解析和网络；首页应持续可访问（国办要求超时率低于5%）。",
       requires=("fetches",), source="国办函〔2019〕80号 单项否决：站点无法访问")
def site_unreachable(ctx):
    """Flags a site whose home page cannot be fetched after retries (any outcome other than
    ok: HTTP error, DNS failure, refused, timeout, TLS error, or an inconclusive block).
    Nothing else of that site can be audited in this run.

    Not flagged: a home page robots.txt does not let the audit fetch (``link.inconclusive``
    names the rule).

    Evidence: outcome, status, error and attempts of the home page fetch.
    """
    for row in ctx.store.failed_homes(ctx.run_id):
        label = row["error"] or Outcome(row["outcome"]).label
        yield ctx.finding(site=row["site"], url=row["url"], page=None,
                          message=f"首页无法访问：{label}（尝试 {row['attempts']} 次）",
                          evidence=fetch_evidence(row), identity=())


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
