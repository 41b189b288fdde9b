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
    ``columns``: column URL → kind, as the crawl ended."""
    current: dict[str, tuple] = {}
    by_path: dict[str, tuple[tuple[str, str], bool] | None] = {}   # ((kind, column URL), is a list)
    for p in pages:
        current[p["url"]] = (p["column_kind"], p["column_url"], p["list_date"])
        kind, prefix = column_of(columns, p["url"])
        by_path[p["url"]] = ((kind, prefix), bool(p["is_list"])) if kind else None
    changes: list[dict] = []
    group: list[Mapping] = []
    target = None
    for link in links:
        if link["target_url"] != target:
            _decide(target, group, current, by_path, changes)
            target, group = link["target_url"], []
        group.append(link)
    _decide(target, group, current, by_path, changes)
    for url, (kind, column_url, list_date) in current.items():   # pages no page links (the home page …)
        path = by_path[url]
        if path is not None and (kind, column_url) != path[0]:
            changes.append({"url": url, "column_kind": path[0][0], "column_url": path[0][1], "list_date": list_date})
    return changes


def _decide(target: str | None, links: list[Mapping], current: dict, by_path: Mapping, changes: list) -> None:
    """Decide ``target`` from the links to it (and take it out of ``current``)."""
    if target is None or target not in current:
        return
    old = current.pop(target)
    kind, column_url, list_date = old
    # (the date beside the link, the linking page's (column, is a list) when it is in a column)
    sources = [(link["list_date"], by_path.get(link["source_url"])) for link in links]
    col = by_path[target][0] if by_path[target] else None
    if col is None:
        dated = [path for d, path in sources if d and path is not None]
        # a list page's entries first: an article's sidebar of latest items lists it too
        listed = Counter(c for c, is_list in dated if is_list) or Counter(c for c, _ in dated)
        linking = {path[0] for _, path in sources if path is not None}
        if listed:                  # the list listing it with a date (most entries, then by URL)
            col = min(listed, key=lambda c: (-listed[c], c[1]))
        elif len(linking) == 1:     # the one column whose pages link to it
            col = linking.pop()
        elif linking:               # pages of several columns link to it (a template's link): none
            col = (None, None)
    if col is not None:
        kind, column_url = col
    own = [d for d, path in sources if d and col is not None and path is not None and path[0] == col]
    dates = own or [d for d, _ in sources if d]
    new = (kind, column_url, min(dates) if dates else list_date)
    if new != old:
        changes.append({"url": target, "column_kind": new[0], "column_url": new[1], "list_date": new[2]})
