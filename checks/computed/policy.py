"""The policy/解读 index: which pages are policies (政策文件), which are interpretations,
and how they pair, for one set of options.

How a policy and its interpretation are paired:

1. an interpretation names the policy in 《》 (in its title or the first part of its body),
   or its own title, without 解读 / 图解 / 一图读懂 …, is the policy's title — compared
   after reducing both to a core (issuing authority, 关于印发…的通知, brackets, quotes and
   a leading place name left out);
2. it cites the policy's 文号 (year, number and 机关代字 agree);
3. the interpretation links to the policy, or the policy page links to the interpretation
   (a link whose anchor names another document is never taken: that is a wrong link, see
   ``link.wrong``);
4. otherwise, for a policy still without one, the closest interpretation title not
   already paired (rapidfuzz ratio of the cores, 0–100) if it reaches ``threshold``.

An interpretation whose page could not be read (blocked, failed, not parsed) but that a
list shows — an anchor 《X》政策解读 with a date beside it — takes part with its anchor
as title and the list date as 发布日期; findings say so.

Only interpretations are searched (indexed by core and 文号; fuzzy matching only
against the interpretation titles of the same site), never all pages against all pages.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from rapidfuzz import fuzz, process

from checks.computed.documents import NAME_RE, Doc, doc_core, doc_nos_in, find_by_name, find_by_no, index
from checks.computed.columns import dated_links
from checks.computed.titles import is_wrong_link
from core.text import parse_date


DEFAULT_EXCLUDE = ("表彰|嘉奖|通报|任免|任命|免职|名单|名录|公示|征求意见|意见稿|草案|更正|废止|撤销|"
                   "解读|图解|一图读懂|答记者问|问答")


POLICY_OPTIONS = {
    "since": "2019-05-15",
    "columns": ["policy"],
    "kinds": ["意见", "办法", "规定", "方案", "措施", "细则"],
    "exclude": DEFAULT_EXCLUDE,
    "threshold": 85,
    "link_threshold": 60,
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
            read.update(ctx.store.stored_page_urls(ctx.run_id, chunk))
        sites = ctx.store.list_page_sites(ctx.run_id)
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
                for p, how in self._named(it, name, f"以《{name}》指明"):
                    found.setdefault(p.url, how)
            for p, how in self._named(it, interp_core(it.title), "标题相同"):
                found.setdefault(p.url, how)
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
            target = p if tgt == p.url else it
            if is_wrong_link(ctx, p.site, anchor or "", target.title, self.link_threshold):
                continue  # the anchor names another document: a wrong link, not a pairing
            self._add(p, it, how)
        self._fuzzy()

    def _named(self, it: Doc, name: str, how: str) -> list[tuple[Doc, str]]:
        """The policies of ``it``'s site that ``name`` finds, each with how it was named. When
        several have that name (the same 三年行动方案 issued again, or by several departments),
        an interpretation follows its policy: the latest published on or before it, failing that
        the earliest after it; all of them when the interpretation or all of them are undated.
        This keeps one interpretation from pairing with every same-named document, which both
        hid unpaired policies and grew with the square of the portal (6.8 million pairs at
        100,000 pages)."""
        found = [p for p in find_by_name(self.idx, it.site, name) if p.url in self.policy_urls]
        dated = [p for p in found if p.published]
        if len(found) < 2 or it.published is None or not dated:
            return [(p, how) for p in found]
        before = [p.published for p in dated if p.published <= it.published]
        day = max(before) if before else min(p.published for p in dated)
        note = f"{how}（同名文件 {len(found)} 件，取发布日期最接近的）"
        return [(p, note) for p in dated if p.published == day]

    def _links(self, ctx):
        urls = sorted(self.policy_urls | self.interp_urls)
        for i in range(0, len(urls), _BATCH):
            chunk = urls[i:i + _BATCH]
            for row in ctx.store.page_links_from(ctx.run_id, chunk):
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
