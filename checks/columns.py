"""Column family: empty and stale 政府信息公开 columns, and a home page that is not updated.

A *column* here is one list of a site: all stored pages whose URL is the same
index-like address (``/xxgk/tzgg/``, ``/xxgk/tzgg/index.html``, its TRS
pagination ``index_1.html`` … and ``?page=N`` variants, Hanweb
``/col/col1234/index.html``) inside the disclosure scope (under the 政府信息公开
address, under a discovered column address, or linked from the 政府信息公开 page).
Its *items* are the list entries: links with a date beside them, links to
article pages and attachment links.

The column facts other checks share (column key of a URL, per-site scope and column
map, dated list links) live in :mod:`checks.computed.columns`.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from urllib.parse import urlsplit

from checks.computed.columns import SiteScope, chrome_targets, column_name, dated_links, home_pages, index_key, site_scopes
from checks.registry import NotApplicable, check
from core.models import Verify
from core.text import parse_date
from core.vocabulary import COLUMN_KINDS, column_label


# column kinds recognised from a column's own name (the crawler's kinds first)
_NAME_KINDS = [
    ("news", re.compile(r"动态|要闻|新闻|工作信息|政务信息|图片报道|部门信息")),
    ("interpretation", re.compile(r"解读")),
    ("regulation", re.compile(r"法规")),
    ("policy", re.compile(r"政策文件|规范性文件|政府文件|文件")),
    ("notice", re.compile(r"通知公告|公示公告|公告公示|公告|公示|通知")),
    ("guide", re.compile(r"指南")),
    ("report", re.compile(r"年报|年度报告")),
]
_SAYS_EMPTY = ("暂无", "没有相关", "无相关信息", "无记录", "没有记录", "没有找到", "内容正在建设", "正在建设中")


# -- shared helpers ------------------------------------------------------------


MAX_HUBS_PER_COLUMN = 2


def published_dates(ctx) -> dict[str, date]:
    """发布日期 of every stored page that shows one (metadata table or date line); for a page
    that shows no date, the CMS's ``PubDate`` meta."""
    def build():
        out = {}
        for row in chain(ctx.store.pages_with_meta(ctx.run_id, "发布日期"),
                         ctx.store.pages_with_meta(ctx.run_id, "PubDate")):   # PubDate only without 发布日期
            try:
                meta = json.loads(row["meta_json"])
                value = meta.get("发布日期") or meta.get("PubDate")
            except ValueError:
                continue
            d = parse_date(value)
            if d:
                out[row["url"]] = d
        return out

    return ctx.computed("content.published_dates", build)


def kind_from_name(name: str) -> str | None:
    for kind, pattern in _NAME_KINDS:
        if pattern.search(name or ""):
            return kind
    return None


def _chunks(seq: list, n: int = 400):
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


# -- the column model ------------------------------------------------------------

@dataclass
class Column:
    site: str
    key: str
    urls: list[str] = field(default_factory=list)
    name: str = ""
    kind: str | None = None
    text_len: int = 0
    says_empty: bool = False
    has_meta: bool = False
    dated: list[tuple[date, str]] = field(default_factory=list)   # (date, target)
    articles: set[str] = field(default_factory=set)                # undated item targets
    subcolumns: set[str] = field(default_factory=set)
    frames: set[str] = field(default_factory=set)                  # <iframe>/<frame> pages shown in it
    parent: str | None = None      # the column this one is a sub-column of (None: an 一级栏目)

    @property
    def url(self) -> str:
        """The column's own address as stored: the directory form if crawled, else the first page."""
        def rank(u: str):
            parts = urlsplit(u)
            base = parts.path.rsplit("/", 1)[-1]
            return (bool(parts.query), base != "", bool(re.search(r"_\d+\.", base)), len(u), u)
        return min(self.urls, key=rank)

    @property
    def items(self) -> int:
        return len({t for _, t in self.dated} | self.articles)


def columns(ctx) -> list[Column]:
    """The disclosure columns of the snapshot with their items (computed once per audit)."""

    def build():
        scopes = site_scopes(ctx)
        dl = dated_links(ctx)
        cols: dict[tuple[str, str], Column] = {}
        for row in ctx.store.column_pages(ctx.run_id, _SAYS_EMPTY):
            url = row["url"]
            key = index_key(url)
            if key is None:
                continue
            sc = scopes.get(row["site"]) or SiteScope()
            if url in sc.home or key in sc.home_keys:
                continue
            if not (row["column_url"] or sc.in_scope(url)):
                continue
            col = cols.get((row["site"], key))
            if col is None:
                col = cols[(row["site"], key)] = Column(row["site"], key)
            col.urls.append(url)
            if not col.name:
                col.name = column_name(row["title"], row["heading"])
            col.kind = col.kind or sc.kind_of(url, row["column_kind"])
            col.text_len = max(col.text_len, row["text_len"] or 0)
            col.says_empty = col.says_empty or bool(row["says_empty"])
            col.has_meta = col.has_meta or (row["meta_json"] not in (None, "", "{}"))
        for col in cols.values():
            named = kind_from_name(col.name)
            if named == "news" or col.kind is None:
                col.kind = named or col.kind
        chrome = chrome_targets(ctx)
        keys = {(col.site, col.key) for col in cols.values()}
        by_url = {u: col for col in cols.values() for u in col.urls}
        for col in cols.values():
            template = chrome.get(col.site, set())
            for u in col.urls:
                col.dated.extend((d, t) for d, t in dl.by_source.get(u, ()) if t not in template)
        # undated items and sub-columns: the links of the column pages and of the frames they
        # show, in batches; the site's template links are neither
        urls = sorted(by_url)
        elsewhere: dict[tuple[str, str], set[str]] = defaultdict(set)   # column → columns linking to it
        while urls:
            frames: dict[str, Column] = {}
            for chunk in _chunks(urls):
                for row in ctx.store.column_links_from(ctx.run_id, chunk):
                    col = by_url[row["source_url"]]
                    target = row["target_url"]
                    if row["tag"] != "a":
                        if target not in by_url and target not in col.frames:
                            col.frames.add(target)
                            frames[target] = col
                        continue
                    sc = scopes.get(col.site, SiteScope())
                    if target in sc.home or target in chrome.get(col.site, ()):
                        continue
                    tkey = index_key(target)
                    if tkey is None:
                        col.articles.add(target)
                    elif tkey == col.key:
                        continue
                    elif tkey.startswith(col.key):
                        col.subcolumns.add(tkey)
                    elif (col.site, tkey) in keys:
                        elsewhere[(col.site, tkey)].add(col.key)
            by_url.update(frames)
            urls = sorted(frames)
        # a column outside the page's directory is its sub-column when few columns link to it
        # (a Hanweb hub's /col/colN/ entries); one that many columns link to is their side menu
        for (site, tkey), linking in elsewhere.items():
            if len(linking) <= MAX_HUBS_PER_COLUMN:
                for key in linking:
                    cols[(site, key)].subcolumns.add(tkey)
        _levels(cols, scopes)
        return sorted(cols.values(), key=lambda c: (c.site, c.key))

    return ctx.computed("content.columns", build)


def _levels(cols: dict[tuple[str, str], Column], scopes: dict[str, SiteScope]) -> None:
    """Set each column's ``parent``: a column it is a sub-column of that is a column itself —
    it has items of its own or a known kind. The 政府信息公开 page (the 专栏) and pages that
    only group sub-columns (法定主动公开内容, 信息公开目录) are not a level: their columns are
    一级栏目 (国办函〔2019〕80号 counts stale 通知公告/政策文件 一级栏目 only)."""
    hubs = {(site, index_key(sc.disclosure)) for site, sc in scopes.items() if sc.disclosure}
    for (site, key), col in sorted(cols.items()):
        if (site, key) in hubs or not (col.items or col.kind in COLUMN_KINDS):
            continue
        for sub in sorted(col.subcolumns):
            child = cols.get((site, sub))
            if child is not None and child is not col and child.parent is None:
                child.parent = col.url


# -- checks ------------------------------------------------------------------------

@check("column.empty", verify=Verify.SITE, title="空白栏目", severity="warning",
       fix="为栏目补充应公开的信息；确无内容的栏目应整合或下线，不要保留空白栏目。",
       requires=("pages", "links"), options={"min_text": 200},
       source="国办函〔2019〕80号 单项否决“栏目不更新”：空白栏目数量超过(含)5个；全国政府网站普查评分表 同",
       uses=("content.columns",))
def column_empty(ctx):
    """Flags a disclosure column or sub-column that has no items: none of its list pages
    (the column address, ``index.html``, ``index_N.html`` and ``?page=N`` pages) shows a
    dated entry, links to an article page or links to an attachment, it links to no
    sub-column below its own address, and its page has no content of its own (main text
    shorter than ``min_text`` characters, default 200, or a “暂无信息/没有相关记录” notice).

    Not flagged: the home page; pages outside the 政府信息公开 scope; 咨询/信箱 columns (a
    channel, often only a form: its messages are judged by ``interaction.unanswered``); a hub page whose
    entries are sub-columns below it (each sub-column is judged itself); a single-page
    column that carries its content (a 公开指南 page with text or a metadata table);
    article pages. A Hanweb column whose list is only loaded by the ``jpage`` data proxy
    looks empty to a static crawl: check such a finding in a browser.

    Evidence: the column name and kind, the list pages crawled and their text length.
    One finding per column; five or more 空白栏目 make the site fail the national check.
    """
    min_text = int(ctx.options["min_text"])
    cols = columns(ctx)
    if not cols:
        raise NotApplicable("快照中没有政府信息公开栏目页面")
    for col in cols:
        if col.kind == "interaction" or col.items or col.subcolumns or col.has_meta:
            continue
        if col.text_len >= min_text and not col.says_empty:
            continue
        label = col.name or col.key
        reason = "页面提示暂无信息" if col.says_empty else "列表中没有任何信息条目"
        yield ctx.finding(site=col.site, url=col.url, page=None,
                          message=f"空白栏目：{label}（{reason}）",
                          evidence={"column": col.name, "kind": col.kind, "kind_label": column_label(col.kind),
                                    "pages": sorted(col.urls)[:10], "items": 0, "text_length": col.text_len,
                                    "says_empty": col.says_empty})


def stale_limit(kind: str | None, options) -> int:
    if kind == "news":
        return int(options["news_days"])
    if kind == "notice":
        return int(options["notice_days"])
    if kind == "policy":
        return int(options["policy_days"])
    return int(options["default_days"])


@check("column.stale", verify=Verify.SITE, title="栏目未按时更新", severity="warning",
       fix="按栏目类型及时更新：动态、要闻类栏目2周内、通知公告和政策文件类栏目6个月内应有新信息；"
           "长期无新增内容的栏目应整合或注明情况。",
       requires=("pages", "links"),
       options={"news_days": 14, "notice_days": 183, "policy_days": 183, "default_days": 365,
                "undated_is_stale": True},
       source="国办函〔2019〕80号 单项否决“栏目不更新”：监测时间点前2周内的动态、要闻类栏目，以及前6个月内的"
              "通知公告、政策文件类栏目，累计超过(含)5个未更新；应更新但长期未更新的栏目数量超过(含)10个",
       uses=("content.columns", "content.published_dates"))
def column_stale(ctx):
    """Flags a disclosure column whose newest item is older than its threshold, counted back
    from the audit date: ``news_days`` (default 14) for 动态/要闻/工作信息 columns (recognised
    by the column's name), ``notice_days`` (183, about 6 months) for 通知公告 columns,
    ``policy_days`` (183) for 政策文件 columns, and ``default_days`` (365) for every other
    column (政策解读, 法规文件, 公开指南, 年度报告, sub-columns of unknown kind). The kind is the
    one the gatherer found for the column, or read from the column's name.

    The newest item is the latest date shown beside a list entry on any page of the column
    (dates after the audit date are ignored); when the list shows no dates, the 发布日期 of
    the articles it links to (an article that shows none: its CMS ``PubDate`` meta). A
    column whose items carry no date at all is flagged when ``undated_is_stale`` is true
    (the 普查 rule: 未注明信息发布时间的视为不更新).

    Not flagged: empty columns (see ``column.empty``), hub pages without dated entries of
    their own (their undated links are navigation; each sub-column is judged itself), the
    home page (see ``site.home-stale``).

    Evidence: the column name and kind, the newest date and the item it belongs to, the
    threshold and the age in days, and the column's level (``level`` 1 = 一级栏目, 2 = a
    sub-column of another column, named in ``parent``; the 政府信息公开 page and pages that
    only group sub-columns are not a level). The verdict's 栏目不更新 item counts 通知公告
    and 政策文件 columns of level 1 only, as 国办函〔2019〕80号 does.
    """
    cols = columns(ctx)
    if not cols:
        raise NotApplicable("快照中没有政府信息公开栏目页面")
    pub = published_dates(ctx)
    undated_is_stale = bool(ctx.options["undated_is_stale"])
    for col in cols:
        if col.kind == "interaction" or not col.items:    # messages: interaction.unanswered
            continue
        limit = stale_limit(col.kind, ctx.options)
        dated = [(d, t) for d, t in col.dated if d <= ctx.audit_date]
        source = "列表日期"
        if not dated and not col.dated:
            dated = [(pub[t], t) for t in col.articles if t in pub and pub[t] <= ctx.audit_date]
            source = "文章发布日期"
        label = col.name or col.key
        kind_label = column_label(col.kind)
        base = {"column": col.name, "kind": col.kind, "kind_label": kind_label, "max_age_days": limit,
                "items": col.items, "pages": sorted(col.urls)[:10], "level": 1 if col.parent is None else 2,
                "parent": col.parent}
        if not dated:
            if col.dated or not undated_is_stale or col.subcolumns:
                continue   # a hub's undated links are its navigation: its sub-columns are judged
            yield ctx.finding(site=col.site, url=col.url, page=None,
                              message=f"栏目“{label}”的 {col.items} 条信息均未标注发布日期，视为未更新",
                              evidence={**base, "newest": None})
            continue
        newest, item = max(dated)
        age = (ctx.audit_date - newest).days
        if age <= limit:
            continue
        yield ctx.finding(site=col.site, url=col.url, page=None,
                          message=f"栏目“{label}”（{kind_label}）最近一条信息发布于 {newest.isoformat()}，"
                                  f"已 {age} 天未更新（要求 {limit} 天内）",
                          evidence={**base, "newest": newest.isoformat(), "newest_item": item,
                                    "age_days": age, "date_source": source})


@check("site.home-stale", verify=Verify.SITE, title="首页长期不更新", severity="error",
       fix="首页应持续发布信息，并为每条信息标注发布日期；确保监测期2周内首页有新信息。",
       requires=("pages", "links"), options={"max_age_days": 14, "level2_when_navigation": True},
       source="国办函〔2019〕80号 单项否决“首页不更新”：监测2周，首页无信息更新的，即单项否决；"
              "全国政府网站普查评分表 注：未注明信息发布时间的视为不更新",
       uses=("content.dated_links", "content.home_pages", "content.published_dates"))
def site_home_stale(ctx):
    """Flags a site whose home page has no item newer than ``max_age_days`` (default 14)
    before the audit date — a 单项否决 (veto) item of the national inspection.

    An item's date is the date shown beside its link on the home page; when the home page
    shows no full date for a link (e.g. only “06-26”), the 发布日期 of the linked article
    is used. Dates after the audit date are ignored. A home page without any dated item
    counts as not updated, except a pure navigation home page (no dated entries and no
    article links): then, as the rule says, its 二级 pages are judged, and the site is
    flagged when none of them has an item newer than the limit (``level2_when_navigation``).

    Not flagged: a site whose home page could not be fetched (see ``site.unreachable``).

    Evidence: the newest date and its item, where the date came from, the limit and the
    age in days.
    """
    limit = int(ctx.options["max_age_days"])
    dl = dated_links(ctx)
    pub = published_dates(ctx)
    homes = home_pages(ctx)
    if not homes:
        raise NotApplicable("没有成功抓取的首页")
    for home in homes:
        url = home["url"]
        dated = [(d, t, "首页列表日期") for d, t in dl.by_source.get(url, ()) if d <= ctx.audit_date]
        targets = ctx.store.visible_page_targets_of(ctx.run_id, url)
        article_links = [t for t in targets if index_key(t) is None]
        if not dated:
            dated = [(pub[t], t, "链接文章的发布日期") for t in article_links if t in pub and pub[t] <= ctx.audit_date]
        level2 = False
        if not dated and not article_links and not dl.by_source.get(url) and ctx.options["level2_when_navigation"]:
            level2 = True
            dated = [(d, t, "二级页面列表日期") for src in targets for d, t in dl.by_source.get(src, ())
                     if d <= ctx.audit_date]
        base = {"max_age_days": limit, "navigation_home": level2, "audit_date": ctx.audit_date.isoformat()}
        if not dated:
            where = "首页及其二级页面" if level2 else "首页"
            yield ctx.finding(site=home["site"], url=url, page=None,
                              message=f"{where}没有标注发布日期的信息，视为未更新（单项否决指标）",
                              evidence={**base, "newest": None})
            continue
        newest, item, source = max(dated)
        age = (ctx.audit_date - newest).days
        if age <= limit:
            continue
        yield ctx.finding(site=home["site"], url=url, page=None,
                          message=f"首页最近一条信息发布于 {newest.isoformat()}，已 {age} 天未更新"
                                  f"（要求 {limit} 天内，单项否决指标）",
                          evidence={**base, "newest": newest.isoformat(), "newest_item": item, "date_source": source,
                                    "age_days": age})
