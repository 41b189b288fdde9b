"""A page's column and list date, decided once its site's crawl is over, from all the facts.

While crawling, a page takes the column whose directory its URL is in, among the columns
known *so far*, else the column of the page whose link was followed first, and the date
beside that link. Both depend on the order in which answers arrive: with concurrent
requests, or the sites split over processes, the same portal gave an article a list date
in one run and none in the next, and a sidebar page the column 政策文件 in one run and
办事指南 in the next, so the same portal gave different findings.

When the site is done (every column known, every link stored) each page is decided again:

- column: the longest column directory (of all the site's columns) its URL is in; else the
  column of the lists listing it with a date (list pages first: an article's sidebar of
  latest items lists it too; of those in a column directory; the column listing it most
  often, ties broken by the column's URL); else the column of the pages
  linking to it when they are all in one column; pages of several columns linking to it (a
  link of the site's template, such as 我要纠错) give it no column. A page no page of a
  column links to keeps what the crawl gave.
- list date: the earliest date shown beside a link to it on a page of its own column, else
  on any page; a page never listed with a date keeps what the crawl gave.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import groupby
from operator import itemgetter


def column_of(columns: Mapping[str, str], url: str) -> tuple[str | None, str | None]:
    """(kind, column URL) of the longest column directory ``url`` is in; (None, None)."""
    best = None
    for prefix in columns:
        if (url == prefix or url.startswith(prefix)) and (best is None or len(prefix) > len(best)):
            best = prefix
    return (columns[best], best) if best else (None, None)


def settle_pages(pages: Iterable[Mapping], links: Iterable[Mapping], columns: Mapping[str, str]) -> list[dict]:
    """The page rows whose column or list date change: ``{url, column_kind, column_url, list_date}``.

    ``pages``: the site's page rows (url, column_kind, column_url, list_date, is_list); ``links``:
    its page links (target_url, source_url, list_date) **sorted by target_url**, read once;
    ``columns``: column URL → kind, as the crawl ended.

    Held at once: a few values per page (their repeated column values one object each), and
    what the links to one page say, summed up as they stream by (a portal's home page is linked
    from every page: 290,519 links at 100,000 pages, which as rows made a 100 MB list)."""
    shared: dict = {}     # one object for each repeated value (a column, a page's place)
    current: dict[str, tuple] = {}
    by_path: dict[str, tuple[tuple[str, str], bool] | None] = {}   # ((kind, column URL), is a list)
    for p in pages:
        kind, column_url = p["column_kind"], p["column_url"]
        current[p["url"]] = (shared.setdefault(kind, kind), shared.setdefault(column_url, column_url), p["list_date"])
        kind, prefix = column_of(columns, p["url"])
        if kind:
            place = ((kind, prefix), bool(p["is_list"]))
            by_path[p["url"]] = shared.setdefault(place, place)
        else:
            by_path[p["url"]] = None
    changes: list[dict] = []
    for target, to_it in groupby(links, key=itemgetter("target_url")):
        heard = _Heard()
        for link in to_it:
            heard.add(link["list_date"], by_path.get(link["source_url"]))
        _decide(target, heard, current, by_path, changes)
    for url, (kind, column_url, list_date) in current.items():   # pages no page links (the home page …)
        path = by_path[url]
        if path is not None and (kind, column_url) != path[0]:
            changes.append({"url": url, "column_kind": path[0][0], "column_url": path[0][1], "list_date": list_date})
    return changes


class _Heard:
    """What the links to one page say: the dates beside them and the linking pages' columns."""

    __slots__ = ("listed", "dated", "linking", "earliest", "earliest_in")

    def __init__(self):
        self.listed: Counter = Counter()     # column → links beside a date on its list pages
        self.dated: Counter = Counter()      # column → links beside a date on its pages
        self.linking: set = set()            # the columns of the pages linking to it
        self.earliest: str | None = None     # the earliest date beside a link to it
        self.earliest_in: dict = {}          # column → that date on its pages

    def add(self, date: str | None, path: tuple[tuple[str, str], bool] | None) -> None:
        """A link beside ``date`` (or none) on a page whose place is ``path`` (or not in a column)."""
        if path is not None:
            self.linking.add(path[0])
        if not date:
            return
        if self.earliest is None or date < self.earliest:
            self.earliest = date
        if path is not None:
            col, is_list = path
            self.dated[col] += 1
            if is_list:
                self.listed[col] += 1
            if col not in self.earliest_in or date < self.earliest_in[col]:
                self.earliest_in[col] = date


def _decide(target: str, heard: _Heard, current: dict, by_path: Mapping, changes: list) -> None:
    """Decide ``target`` from what the links to it say (and take it out of ``current``)."""
    if target not in current:
        return
    old = current.pop(target)
    kind, column_url, list_date = old
    col = by_path[target][0] if by_path[target] else None
    if col is None:
        # a list page's entries first: an article's sidebar of latest items lists it too
        listed = heard.listed or heard.dated
        if listed:                      # the list listing it with a date (most entries, then by URL)
            col = min(listed, key=lambda c: (-listed[c], c[1]))
        elif len(heard.linking) == 1:   # the one column whose pages link to it
            col = next(iter(heard.linking))
        elif heard.linking:             # pages of several columns link to it (a template's link): none
            col = (None, None)
    if col is not None:
        kind, column_url = col
    # the earliest date beside a link on a page of its own column, else on any page
    date = (heard.earliest_in.get(col) if col is not None else None) or heard.earliest
    new = (kind, column_url, date or list_date)
    if new != old:
        changes.append({"url": target, "column_kind": new[0], "column_url": new[1], "list_date": new[2]})
