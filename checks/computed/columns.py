"""Column facts shared by the content checks: the column address of a URL, each site's
scope (disclosure address, discovered column map, home URLs), every dated list link and a
column page's own name."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from core.vocabulary import COLUMN_KINDS, HANWEB_COLUMN_PATH, INDEX_NAME


def index_key(url: str) -> str | None:
    """The column address of an index-like URL (its directory), or None for an article URL.

    ``…/tzgg/``, ``…/tzgg/index.html``, ``…/tzgg/index_3.html`` and
    ``…/tzgg/index.html?page=2`` all give ``…/tzgg/``; so do TRS list names such as
    ``…/zwgk/list_zw_wj.shtml`` and ``list_zw_wj_2.shtml`` (``…/zwgk/``).
    """
    parts = urlsplit(url)
    path = parts.path or "/"
    base = path.rsplit("/", 1)[-1]
    if base and not INDEX_NAME.match(base):
        if not HANWEB_COLUMN_PATH.search(path):
            return None
        path += "/"
        base = ""
    directory = path[: len(path) - len(base)]
    return f"{parts.scheme}://{parts.netloc}{directory}"


def scope_prefix(url: str) -> str:
    key = index_key(url) or url.rsplit("/", 1)[0] + "/"
    return url if urlsplit(key).path in ("", "/") else key


@dataclass
class SiteScope:
    disclosure: str | None = None
    prefixes: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)   # column prefix → kind
    off_site_columns: dict[str, str] = field(default_factory=dict)   # kind → a column on another host, not crawled
    home: set[str] = field(default_factory=set)
    home_keys: set[str] = field(default_factory=set)

    def kind_of(self, url: str, stored: str | None = None) -> str | None:
        """The column kind of ``url``: the stored one, else the longest column prefix's;
        None for a column of no known kind."""
        if stored in COLUMN_KINDS:
            return stored
        best = None
        for prefix in self.columns:
            if url.startswith(prefix) and (best is None or len(prefix) > len(best)):
                best = prefix
        kind = self.columns[best] if best else None
        return kind if kind in COLUMN_KINDS else None

    def in_scope(self, url: str) -> bool:
        return any(url.startswith(p) for p in self.prefixes)


def home_pages(ctx) -> list:
    """The stored home page of each site."""
    return ctx.computed("content.home_pages", lambda: ctx.store.home_pages(ctx.run_id))


def site_scopes(ctx) -> dict[str, SiteScope]:
    """Per site: the disclosure address, the discovered column map and the home URL(s)."""

    def build():
        scopes: dict[str, SiteScope] = defaultdict(SiteScope)
        for row in ctx.store.run_sites(ctx.run_id):
            sc = scopes[row["site"]]
            sc.disclosure = row["disclosure_url"]
            try:
                stats = json.loads(row["stats_json"] or "{}") or {}
                sc.columns = dict(stats.get("columns") or {})
                sc.off_site_columns = dict(stats.get("off_site_columns") or {})
            except (ValueError, AttributeError):
                sc.columns, sc.off_site_columns = {}, {}
            prefixes = [scope_prefix(sc.disclosure)] if sc.disclosure else []
            prefixes += [p for p in sc.columns if urlsplit(p).path not in ("", "/")]
            sc.prefixes = sorted(set(prefixes))
        for row in home_pages(ctx):
            scopes[row["site"]].home.update(u for u in (row["url"], row["final_url"]) if u)
        for sc in scopes.values():
            sc.home_keys = {k for k in map(index_key, sc.home) if k}
        return dict(scopes)

    return ctx.computed("content.site_scopes", build)


@dataclass
class DatedLinks:
    by_target: dict[str, list[tuple[date, str, str]]]   # target → [(list date, list page, anchor)]
    by_source: dict[str, list[tuple[date, str]]]   # list page → [(list date, target)]


def dated_links(ctx) -> DatedLinks:
    """Every list item with a date beside it, by target and by list page (one query)."""

    def build():
        by_target: dict[str, list[tuple[date, str, str]]] = defaultdict(list)
        by_source: dict[str, list[tuple[date, str]]] = defaultdict(list)
        for row in ctx.store.visible_dated_links(ctx.run_id):
            try:
                d = date.fromisoformat(row["list_date"][:10])
            except ValueError:
                continue
            by_target[row["target_url"]].append((d, row["source_url"], row["anchor"] or ""))
            by_source[row["source_url"]].append((d, row["target_url"]))
        return DatedLinks(dict(by_target), dict(by_source))

    return ctx.computed("content.dated_links", build)


_TITLE_SPLIT = re.compile(r"\s*[_|｜\-－–—]+\s*")


def column_name(title: str | None, heading: str | None) -> str:
    """A list page's own name: the <title> before its site suffix, else its heading."""
    for text in (title, heading):
        if text:
            name = _TITLE_SPLIT.split(text.strip())[0].strip()
            if name:
                return name[:40]
    return ""


CHROME_SHARE = 0.5
CHROME_MIN_PAGES = 5


def chrome_targets(ctx) -> dict[str, set[str]]:
    """Per site, the link targets of the site's template (header, navigation, side blocks,
    footer: 网站地图, 联系我们, 关于本网 …): targets linked from at least half of the site's
    parsed pages (and from at least ``CHROME_MIN_PAGES``). A list's own entries change from
    page to page, so they never reach that share."""

    def build():
        pages = ctx.store.pages_per_site(ctx.run_id)
        out: dict[str, set[str]] = {site: set() for site in pages}
        for row in ctx.store.frequent_targets(ctx.run_id, CHROME_MIN_PAGES):
            if row["n"] >= CHROME_SHARE * pages.get(row["site"], 0):
                out[row["site"]].add(row["target_url"])
        return out

    return ctx.computed("content.chrome_targets", build)
