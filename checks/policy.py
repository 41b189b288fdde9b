"""Policy family: policy documents and their interpretations (政策解读).

Rule source: 三同步 — a 解读 is published together with its policy document; a local
example (郑州市《关于做好行政机关政策文件解读工作的通知》, 2016) allows at most 3 working
days (DOMAIN.md §4.3). 条例 (国务院令第711号) 施行 2019-05-15 is the default start date.

How a policy and its interpretation are paired (once per audit, shared by both checks):

1. an interpretation names the policy in 《》 (in its title or the first part of its body),
   or its own title, without 解读 / 图解 / 一图读懂 …, is the policy's title — compared
   after reducing both to a core (issuing authority, 关于印发…的通知, brackets, quotes and
   a leading place name left out);
2. it cites the policy's 文号 (year, number and 机关代字 agree);
3. the interpretation links to the policy, or the policy page links to the interpretation
   (a link whose anchor names another document is not taken when the interpretation
   already names its policy otherwise: that is a wrong link, see ``link.wrong``);
4. otherwise, for a policy still without one, the closest interpretation title not
   already paired (rapidfuzz ratio of the cores, 0–100) if it reaches ``threshold``.

Only interpretations are searched (indexed by core and 文号; fuzzy matching only
against the interpretation titles of the same site), never all pages against all pages.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from rapidfuzz import fuzz, process

from checks.columns import dated_links
from checks.common import linking_page
from checks.documents import NAME_RE, Doc, doc_core, doc_nos_in, find_by_name, find_by_no, index, quoted
from checks.links import is_wrong_link
from checks.registry import check
from portal_audit.text import parse_date
from portal_audit.workdays import workdays_between

DEFAULT_EXCLUDE = ("表彰|嘉奖|通报|任免|任命|免职|名单|名录|公示|征求意见|意见稿|草案|更正|废止|撤销|"
                   "解读|图解|一图读懂|答记者问|问答")
POLICY_OPTIONS = {
    "since": "2019-05-15",
    "columns": ["policy"],
    "kinds": ["意见", "办法", "规定", "方案", "措施", "细则"],
    "exclude": DEFAULT_EXCLUDE,
    "threshold": 85,
    "link_threshold": 45,
}
ISSUE_RE = re.compile(r"关于(?:印发|转发|修订印发|重新印发)[^，。]{2,}的(?:通知|通告)")
NOT_BY_TITLE = ("regulation", "interpretation", "guide", "report")
_INTERP_WORDS = re.compile(r"(?:政策)?解读|图解|一图(?:读懂|看懂|了解)|答记者问|(?:政策)?问答|新闻发布会|"
                           r"相关(?:问题|情况)")
_BATCH = 400


_SUBJECT = re.compile(r"就(?P<subject>[^《》]{4,40}?)(?:有关(?:问题|情况))?(?:答记者问|接受(?:记者)?采访|回答记者提问)")


def interp_core(title: str) -> str:
    """The core of what an interpretation's title names: 《X》政策解读 → core of X;
    市政府办公室负责同志就稳外贸稳外资政策答记者问 → 稳外贸稳外资政策."""
    m = _SUBJECT.search(title)
    if m:
        title = m.group("subject")
    return doc_core(_INTERP_WORDS.sub("", title))


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _since(value: Any) -> date:
    return value if isinstance(value, date) else (parse_date(str(value)) or date(2019, 5, 15))


class PolicyIndex:
    """Policies, interpretations and their pairing for one set of options."""

    def __init__(self, ctx, opts: dict[str, Any]):
        idx = index(ctx)
        self.idx = idx
        self.since = _since(opts["since"])
        self.columns = set(_as_list(opts["columns"]))
        kinds = [re.escape(str(k)) for k in _as_list(opts["kinds"])]
        self.kind_re = re.compile(rf"(?:{'|'.join(kinds)})(?:[（(](?:试行|暂行|修订)[）)])?$") if kinds else None
        self.exclude = re.compile(opts["exclude"]) if opts.get("exclude") else None
        self.threshold = float(opts["threshold"])
        self.link_threshold = float(opts["link_threshold"])
        docs = idx["docs"]
        self.interps = [d for d in docs.values() if d.head]
        # 解读 list entries whose page could not be read: (list page, list date) by URL
        self.listed: dict[str, tuple[str, date]] = {}
        self.interps += self._listed_interpretations(ctx, docs)
        self.policies = [d for d in docs.values() if self.is_policy(d)]
        self.policy_urls = {d.url for d in self.policies}
        self.interp_urls = {d.url for d in self.interps}
        # policy URL → {interpretation URL: (interpretation, how, score)}
        self.pairs: dict[str, dict[str, tuple[Doc, str, float]]] = {}
        self.best: dict[str, tuple[Doc, float] | None] = {}
        self._pair(ctx)

    def _listed_interpretations(self, ctx, docs: dict[str, Doc]) -> list[Doc]:
        """Interpretations known only from a list entry — an anchor 《X》政策解读 with a date
        beside it — whose page was not read (blocked, failed, not parsed): the anchor is the
        title and the list date the 发布日期."""
        entries: dict[str, tuple[date, str, str]] = {}
        for target, items in dated_links(ctx).by_target.items():
            if target in docs:
                continue
            for d, source, anchor in items:
                if NAME_RE.search(anchor) and _INTERP_WORDS.search(anchor):
                    entries.setdefault(target, (d, source, anchor))
        if not entries:
            return []
        urls = sorted(entries)
        read: set[str] = set()
        for i in range(0, len(urls), _BATCH):
            chunk = urls[i:i + _BATCH]
            read.update(r["url"] for r in ctx.rows(
                f"SELECT url FROM pages WHERE run_id = ? AND url IN ({', '.join('?' for _ in chunk)})", (ctx.run_id, *chunk)))
        sites = {r["source_url"]: r["site"] for r in ctx.rows(
            "SELECT DISTINCT source_url, site FROM links WHERE run_id = ? AND list_date IS NOT NULL", (ctx.run_id,))}
        out = []
        for url in urls:
            if url in read:
                continue
            d, source, anchor = entries[url]
            self.listed[url] = (source, d)
            out.append(Doc(site=sites.get(source, ""), url=url, title=anchor, column="interpretation", published=d,
                           written=None, doc_no=None, core=interp_core(anchor), validity_field="", mark=None,
                           validity=None, start=None, head=anchor))
        return out

    def listed_note(self, it: Doc) -> str | None:
        """For an interpretation known from its list entry only: where and how it is listed."""
        if it.url not in self.listed:
            return None
        source, d = self.listed[it.url]
        return f"解读页面未能读取，依据解读列表条目：{source}（列表日期 {d.isoformat()}）"

    def is_policy(self, d: Doc) -> bool:
        if d.head or (self.exclude and self.exclude.search(d.title)):
            return False
        if d.column in self.columns:
            return True
        if d.column in NOT_BY_TITLE:
            return False
        return bool(ISSUE_RE.search(d.title) or (self.kind_re and self.kind_re.search(d.title)))

    def paired_to(self, interp_url: str) -> set[str]:
        """The policies an interpretation is paired with (evidence for a near miss)."""
        if not hasattr(self, "_by_interp"):
            self._by_interp: dict[str, set[str]] = {}
            for purl, pairs in self.pairs.items():
                for iurl in pairs:
                    self._by_interp.setdefault(iurl, set()).add(purl)
        return self._by_interp.get(interp_url, set())

    def _add(self, policy: Doc, interp: Doc, how: str, score: float = 100.0) -> None:
        self.pairs.setdefault(policy.url, {}).setdefault(interp.url, (interp, how, score))

    def _pair(self, ctx) -> None:
        docs = self.idx["docs"]
        named: dict[str, set[str]] = {}      # interpretation URL → policy URLs it names
        for it in self.interps:
            found: dict[str, str] = {}
            for name in NAME_RE.findall(it.head):
                for p in find_by_name(self.idx, it.site, name):
                    if p.url in self.policy_urls:
                        found.setdefault(p.url, f"以《{name}》指明")
            for p in find_by_name(self.idx, it.site, interp_core(it.title)):
                if p.url in self.policy_urls:
                    found.setdefault(p.url, "标题相同")
            for cited in doc_nos_in(it.head):
                for p in find_by_no(self.idx, it.site, cited):
                    if p.url in self.policy_urls:
                        found.setdefault(p.url, f"引用文号 {p.doc_no}")
            named[it.url] = set(found)
            for url, how in found.items():
                self._add(docs[url], it, how)
        for src, tgt, anchor in self._links(ctx):
            if src in self.interp_urls and tgt in self.policy_urls:
                it, p, how = docs[src], docs[tgt], "解读页面链接到该文件"
            elif src in self.policy_urls and tgt in self.interp_urls:
                p, it, how = docs[src], docs[tgt], "文件页面链接到该解读"
            else:
                continue
            if p.site != it.site or p.url in named[it.url]:
                continue
            if is_wrong_link(ctx, p.site, anchor or "", p.title, self.link_threshold):
                continue  # the anchor names another document: a wrong link, not a pairing
            self._add(p, it, how)
        self._fuzzy()

    def _links(self, ctx):
        urls = sorted(self.policy_urls | self.interp_urls)
        for i in range(0, len(urls), _BATCH):
            chunk = urls[i:i + _BATCH]
            sql = (f"SELECT source_url, target_url, anchor FROM links WHERE run_id = ? AND kind = 'page'"
                   f" AND source_url IN ({', '.join('?' for _ in chunk)})")
            for row in ctx.rows(sql, (ctx.run_id, *chunk)):
                yield row["source_url"], row["target_url"], row["anchor"]

    def _fuzzy(self) -> None:
        """Pair still-unpaired policies and interpretations by title, best scores first."""
        paired = {url for pairs in self.pairs.values() for url in pairs}
        by_site: dict[str, list[Doc]] = {}
        for it in self.interps:
            by_site.setdefault(it.site, []).append(it)
        cores = {site: [interp_core(it.title) for it in its] for site, its in by_site.items()}
        candidates = []
        for p in self.policies:
            its = by_site.get(p.site)
            self.best[p.url] = None
            if not its or len(p.core) < 4 or p.url in self.pairs:
                continue
            ranked = process.extract(p.core, cores[p.site], scorer=fuzz.ratio, limit=5)
            if ranked:
                self.best[p.url] = (its[ranked[0][2]], ranked[0][1])
            for _choice, score, i in ranked:
                if score >= self.threshold and its[i].url not in paired:
                    candidates.append((-score, p.url, its[i].url, p, its[i]))
        for neg, purl, iurl, p, it in sorted(candidates, key=lambda c: c[:3]):
            if purl in self.pairs or iurl in paired:
                continue
            self._add(p, it, "标题相近", -neg)
            paired.add(iurl)


def policy_index(ctx) -> PolicyIndex:
    opts = {k: ctx.options.get(k, v) for k, v in POLICY_OPTIONS.items()}
    key = "policy.index:" + repr(sorted((k, repr(v)) for k, v in opts.items()))
    return ctx.computed(key, lambda: PolicyIndex(ctx, opts))


_SOURCE = ("三同步：政策文件与解读材料同步起草、同步审签、同步发布；郑州市《关于做好行政机关政策文件解读工作的通知》："
           "解读文本原则上应与政策文件同时公开发布，最迟应在政策文件公开发布后3个工作日内发布（DOMAIN.md §4.3）")


@check("policy.no-interpretation", title="政策文件未发布解读", severity="warning",
       fix="按“三同步”要求起草并发布政策解读，在解读中写明所解读文件的标题（《》）或文号，"
           "并在文件页面与解读页面之间互相链接。",
       requires=("pages", "links"), options=dict(POLICY_OPTIONS), source=_SOURCE)
def policy_no_interpretation(ctx):
    """Flags a policy document published on or after ``since`` for which no interpretation
    (政策解读, 图解, 一图读懂, 答记者问 …, in the 解读 column or titled so) can be found on the
    same site, by 《》 name, 文号, links in either direction, or a close title.

    A policy is an article of a policy column (政策文件 / 规范性文件), or elsewhere a page
    titled 关于印发…的通知 or ending in 意见/办法/规定/方案/措施/细则.

    Options: ``since`` (default 2019-05-15, the day the revised 条例 took effect): policies
    published earlier are left alone; ``columns`` (default [policy]): column kinds whose
    articles are policy documents; outside them (and outside the 法规, 解读, 指南 and 年报
    columns) a page is a policy when its title reads 关于印发…的通知 or ends in one of
    ``kinds`` (default 意见, 办法, 规定, 方案, 措施, 细则, optionally followed by （试行）);
    ``exclude`` (a regular expression, default 表彰|嘉奖|通报|任免|…|名单|名录|公示|征求意见|
    意见稿|草案|更正|废止|撤销|解读…): titles that never need an interpretation;
    ``threshold`` (default 85): the rapidfuzz ratio two title cores need to pair by title
    alone; ``link_threshold`` (default 45): the similarity of a link's anchor to the policy
    title needed when the interpretation already names another policy.

    Not flagged: policies marked 失效/废止, excluded titles (表彰, 名单, 征求意见稿 …),
    policies without any date, and policies whose interpretation is only reachable from the
    解读 list page (it is still found by its title, 《》 name or 文号).

    Evidence: the policy (title, 文号, dates), the best candidate interpretation, its score
    against ``threshold`` and the policies it is already paired with (or that the site has
    no interpretation at all), and how many interpretations the site has.
    """
    pi = policy_index(ctx)
    count: dict[str, int] = {}
    for it in pi.interps:
        count[it.site] = count.get(it.site, 0) + 1
    for p in sorted(pi.policies, key=lambda d: d.url):
        if p.url in pi.pairs or p.mark or p.published is None or p.published < pi.since:
            continue
        best = pi.best.get(p.url)
        candidate = None
        if best:
            it, score = best
            candidate = {"url": it.url, "title": it.title, "score": round(score, 1), "threshold": pi.threshold,
                         "发布日期": it.published.isoformat() if it.published else None,
                         "paired_with": sorted(pi.paired_to(it.url))}
        hint = (f"；最接近的解读为{quoted(candidate['title'])}（相似度 {candidate['score']}，低于 {pi.threshold:g}）"
                if candidate else "；本网站未找到任何解读材料")
        yield ctx.finding(
            site=p.site, url=p.url, page=linking_page(ctx, p.url, p.site),
            message=f"政策文件{quoted(p.title)}（{p.published.isoformat()} 发布）未找到对应的政策解读{hint}",
            evidence={"policy": p.brief(), "column": p.column, "best_candidate": candidate,
                      "interpretations_on_site": count.get(p.site, 0), "since": pi.since.isoformat()})


@check("policy.late-interpretation", title="政策解读发布滞后", severity="warning",
       fix="政策解读应与政策文件同步发布；今后在文件发布的同一天（最迟在规定的工作日内）发布解读。",
       requires=("pages", "links"), options={"max_workdays": 3, **POLICY_OPTIONS}, source=_SOURCE)
def policy_late_interpretation(ctx):
    """Flags an interpretation published more than ``max_workdays`` working days (default 3)
    after its policy document. Working days exclude weekends and public holidays and include
    the adjusted working days (调休), from chinese-calendar: a policy of Thursday 2024-02-08
    and its interpretation of Monday 2024-02-19 are 3 working days apart (2-09, 2-18 调休
    Sunday, 2-19), not 7. Dates are the 发布日期 of each page (else the date beside its link
    in the list, else the date in its URL).

    When a policy has several interpretations, the earliest counts. Pairing and the policy
    options are those of ``policy.no-interpretation`` (same defaults).

    Not flagged: interpretations published before or together with their policy, pairs
    where either date is unknown, policies published before ``since``.

    Evidence: both documents with their dates, how they were paired, the working days and
    calendar days between them, and the limit.
    """
    pi = policy_index(ctx)
    limit = int(ctx.options["max_workdays"])
    docs = pi.idx["docs"]
    for url in sorted(pi.pairs):
        p = docs[url]
        if p.published is None or p.published < pi.since:
            continue
        dated = [(it.published, it.url, it, how) for it, how, _ in pi.pairs[url].values() if it.published]
        if not dated:
            continue
        published, _, it, how = min(dated)
        days = workdays_between(p.published, published)
        if days <= limit:
            continue
        note = pi.listed_note(it)
        yield ctx.finding(
            site=p.site, url=p.url, page=it.url, identity=(p.url,),
            message=f"政策文件{quoted(p.title)}（{p.published.isoformat()}）的解读{quoted(it.title)}于 "
                    f"{published.isoformat()} 发布，晚 {days} 个工作日（上限 {limit} 个工作日）"
                    + (f"；{note}" if note else ""),
            evidence={"policy": p.brief(), "interpretation": it.brief(), "paired_by": how,
                      "interpretation_source": note or "解读页面",
                      "workdays": days, "calendar_days": (published - p.published).days, "max_workdays": limit,
                      "other_interpretations": sorted(u for u in pi.pairs[url] if u != it.url)})
