"""The read side the checks see: one run's snapshot (fetches, pages, links, attachment
texts, the IPv6 stage's facts) and the availability watch, through named queries.

Every method takes the run id first and returns its rows in a stated order (lazy for the
large tables). The checks (``checks/``) and the shared indexes (``checks/computed/``) read
the store only through these, so that every statement lives in ``store/`` and a backend
answers them all; SQL stays portable (see :mod:`store.db`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

# a link's list of pages in the evidence: list pages showing a date beside it first
_DATED_FIRST = "MIN(CASE WHEN list_date IS NULL THEN 1 ELSE 0 END)"


# the links of a site's column pages to same-site pages, with their fetch and page; CROSS JOIN
# makes SQLite start from the site's pages (PostgreSQL plans it as an inner join): otherwise it
# read the run's every link for each site, 1,000 sites of a province in 10 minutes of reports
_COLUMN_LINKS = ("FROM pages p CROSS JOIN links l"
                 " LEFT JOIN fetches f ON f.run_id = l.run_id AND f.url = l.target_url"
                 " LEFT JOIN pages t ON t.run_id = l.run_id AND t.url = l.target_url"
                 " WHERE p.run_id = ? AND p.site = ? AND p.column_url IS NOT NULL AND p.is_home = 0"
                 "  AND (p.is_list = 1 OR p.url = p.column_url)"
                 "  AND l.run_id = p.run_id AND l.source_url = p.url AND l.kind = 'page' AND l.tag = 'a'"
                 "  AND l.hidden = 0")


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


class SnapshotReads:
    """Mixed into :class:`store.db.Store`: ``query``/``iquery``/``scalar`` come from there."""

    # the links of one target are read through the index by target: with ``site`` in the query
    # SQLite took the covering index by site (run_id, site, kind, …) and read the site's (or the
    # run's) every link for each URL (policy.no-interpretation: 3.4 s of a 2,000-page audit, one
    # query per policy); the SQLite store sets `` INDEXED BY links_target``
    LINKS_BY_TARGET = ""

    # -- fetches ------------------------------------------------------------
    def fetches_by_outcome(self, run_id: int, outcomes: Sequence[str], kinds: Sequence[str]) -> Iterator[Any]:
        """Fetches with one of ``outcomes`` of one of ``kinds``, by site and URL."""
        return self.iquery(f"SELECT * FROM fetches WHERE run_id = ? AND outcome IN ({_marks(outcomes)})"
                           f" AND kind IN ({_marks(kinds)}) ORDER BY site, url", (run_id, *outcomes, *kinds))

    def redirect_loops(self, run_id: int) -> Iterator[Any]:
        return self.iquery("SELECT * FROM fetches WHERE run_id = ? AND outcome = 'redirect_loop' ORDER BY url",
                           (run_id,))

    def redirected_fetches(self, run_id: int) -> Iterator[Any]:
        """Working fetches reached through at least one redirect, by URL."""
        return self.iquery("SELECT * FROM fetches WHERE run_id = ? AND outcome = 'ok' AND redirects_json != '[]'"
                           " ORDER BY url", (run_id,))

    def notfound_probes(self, run_id: int) -> Iterator[Any]:
        """The random not-found URL fetched per host (``kind = 'probe'``)."""
        return self.iquery("SELECT host, url, status, outcome, text_hash FROM fetches WHERE run_id = ?"
                           " AND kind = 'probe'", (run_id,))

    def soft404_candidates(self, run_id: int) -> Iterator[Any]:
        """Working page and external fetches that said "not found" or have a text hash, by URL."""
        return self.iquery("SELECT * FROM fetches WHERE run_id = ? AND outcome = 'ok' AND kind IN ('page', 'external')"
                           " AND (notfound_text = 1 OR text_hash IS NOT NULL) ORDER BY url", (run_id,))

    def inconclusive_fetches(self, run_id: int, outcomes: Sequence[str], kinds: Sequence[str],
                             excluded_prefix: str) -> Iterator[Any]:
        """Fetches of ``kinds`` that ended with an inconclusive outcome, an excluded home page,
        and fetches of ``kinds`` excluded for a reason beginning with ``excluded_prefix``; by URL."""
        return self.iquery(
            f"SELECT * FROM fetches WHERE run_id = ? AND (outcome IN ({_marks(outcomes)})"
            f" AND kind IN ({_marks(kinds)}) OR kind = 'home' AND outcome = 'excluded'"
            f" OR outcome = 'excluded' AND substr(error, 1, ?) = ? AND kind IN ({_marks(kinds)})) ORDER BY url",
            (run_id, *outcomes, *kinds, len(excluded_prefix), excluded_prefix, *kinds))

    def site_fetches(self, run_id: int, site: str) -> Iterator[Any]:
        """How each of ``site``'s URLs was fetched (method, status, outcome, error, attempts,
        time, final URL, title, redirects)."""
        return self.iquery("SELECT url, method, status, outcome, error, attempts, elapsed, final_url, title,"
                           " redirects_json FROM fetches WHERE run_id = ? AND site = ?", (run_id, site))

    def home_fetches(self, run_id: int) -> list[Any]:
        """Site, URL and final URL of each home page fetch."""
        return self.query("SELECT site, url, final_url FROM fetches WHERE run_id = ? AND kind = 'home'", (run_id,))

    def failed_homes(self, run_id: int) -> Iterator[Any]:
        """Home page fetches that did not answer (not ok, not excluded), by site."""
        return self.iquery("SELECT * FROM fetches WHERE run_id = ? AND kind = 'home'"
                           " AND outcome NOT IN ('ok', 'excluded') ORDER BY site", (run_id,))

    # -- links --------------------------------------------------------------
    def linking_pages(self, run_id: int, url: str, site: str | None, limit: int) -> tuple[int, list[Any]]:
        """(how many pages link to ``url``, the first ``limit`` of them with the first anchor,
        line, tag and attribute): of ``site`` (None: any site), list pages showing a date
        beside the link first, then by address."""
        where = "run_id = ? AND target_url = ?" + (" AND site = ?" if site is not None else "")
        params = (run_id, url) + ((site,) if site is not None else ())
        links = "links" + self.LINKS_BY_TARGET
        total = self.scalar(f"SELECT COUNT(DISTINCT source_url) FROM {links} WHERE {where}", params) or 0
        rows = self.query(
            "SELECT source_url, MIN(anchor) AS anchor, MIN(line) AS line, MIN(tag) AS tag, MIN(attr) AS attr"
            f" FROM {links} WHERE {where} GROUP BY source_url ORDER BY {_DATED_FIRST}, source_url LIMIT ?", (*params, limit))
        return total, rows

    def linking_sites(self, run_id: int, url: str) -> list[str]:
        return [r[0] for r in self.query(f"SELECT DISTINCT site FROM links{self.LINKS_BY_TARGET}"
                                         " WHERE run_id = ? AND target_url = ? ORDER BY site", (run_id, url))]

    def linking_pages_of_site(self, run_id: int, site: str, url: str) -> list[str]:
        return [r[0] for r in self.query(f"SELECT DISTINCT source_url FROM links{self.LINKS_BY_TARGET}"
                                         " WHERE run_id = ? AND site = ? AND target_url = ?", (run_id, site, url))]

    def visible_links_to_working_pages(self, run_id: int) -> Iterator[Any]:
        """Visible ``<a>`` links to page or external targets that answered (and did not say
        "not found"), with the target's title and heading; by linking page, in page order."""
        return self.iquery(
            "SELECT l.site, l.source_url, l.target_url, l.anchor, l.line, f.title, f.heading FROM links l"
            " JOIN fetches f ON f.run_id = l.run_id AND f.url = l.target_url"
            " WHERE l.run_id = ? AND l.kind IN ('page', 'external') AND l.tag = 'a' AND l.hidden = 0"
            " AND f.outcome = 'ok' AND f.notfound_text = 0 ORDER BY l.source_url, l.id", (run_id,))

    def hidden_external_links(self, run_id: int) -> Iterator[Any]:
        return self.iquery("SELECT site, target_url, hidden_reason, anchor FROM links"
                           " WHERE run_id = ? AND hidden = 1 AND kind = 'external' ORDER BY site, target_url, id",
                           (run_id,))

    def fragment_links(self, run_id: int) -> Iterator[Any]:
        """Links with a fragment to a page that answered and has its anchors recorded, one row
        per (site, fetched page, fragment, linking page) with how many links and the first
        anchor and line; in link order within each fragment."""
        return self.iquery(
            "SELECT l.site, l.source_url, l.fragment, MIN(l.anchor) AS anchor, MIN(l.line) AS line,"
            " COUNT(*) AS n, f.url AS fetched, MIN(f.anchors) AS anchors FROM links l JOIN fetches f"
            " ON f.run_id = l.run_id AND f.url = CASE WHEN l.kind = 'anchor' THEN l.source_url ELSE l.target_url END"
            " WHERE l.run_id = ? AND l.fragment IS NOT NULL AND l.fragment != '' AND f.outcome = 'ok'"
            " AND f.anchors IS NOT NULL GROUP BY l.site, f.url, l.fragment, l.source_url"
            " ORDER BY l.site, f.url, l.fragment, MIN(l.id)", (run_id,))

    def visible_anchors_of(self, run_id: int, source_url: str) -> Iterator[Any]:
        """Anchor and target of the visible ``<a>`` links on ``source_url``."""
        return self.iquery("SELECT anchor, target_url FROM links WHERE run_id = ? AND source_url = ? AND tag = 'a'"
                           " AND hidden = 0", (run_id, source_url))

    def visible_page_targets_of(self, run_id: int, source_url: str) -> list[str]:
        """The targets of the visible ``<a>`` links to pages on ``source_url``, first seen first
        (no DISTINCT: it would make SQLite walk the target index instead of the source index)."""
        return list(dict.fromkeys(r[0] for r in self.query(
            "SELECT target_url FROM links WHERE run_id = ? AND source_url = ? AND tag = 'a' AND hidden = 0"
            " AND kind = 'page'", (run_id, source_url))))

    def links_of(self, run_id: int, source_url: str) -> list[Any]:
        """Every link stored for the page ``source_url``, in page order."""
        return self.query("SELECT * FROM links WHERE run_id = ? AND source_url = ? ORDER BY id", (run_id, source_url))

    def link_rows_of(self, run_id: int, source_url: str) -> list[Any]:
        """The links of the page ``source_url`` as a run carrying them stores them (the columns
        ``LINK_COPIED``: no id, run or site), in page order."""
        return self.query(f"SELECT {', '.join(self.LINK_COPIED)} FROM links WHERE run_id = ? AND source_url = ?"
                          " ORDER BY id", (run_id, source_url))

    def sitemap_entries(self, run_id: int, sitemap_url: str) -> list[Any]:
        """The ``<loc>``s of a sitemap as run ``run_id`` read them (raw_href, line, lastmod), in order."""
        return self.query("SELECT raw_href, line, lastmod FROM links WHERE run_id = ? AND source_url = ?"
                          " AND tag = 'sitemap' ORDER BY id", (run_id, sitemap_url))

    def site_links(self, run_id: int, site: str, kinds: Sequence[str]) -> Iterator[Any]:
        """Source and target of ``site``'s links of ``kinds``, in the order they were stored."""
        return self.iquery(f"SELECT source_url, target_url FROM links WHERE run_id = ? AND site = ?"
                           f" AND kind IN ({_marks(kinds)}) ORDER BY id", (run_id, site, *kinds))

    def column_links_from(self, run_id: int, sources: Sequence[str]) -> Iterator[Any]:
        """The visible ``<a>``/frame links to pages and attachments on ``sources``."""
        return self.iquery(f"SELECT source_url, target_url, kind, tag FROM links WHERE run_id = ?"
                           f" AND source_url IN ({_marks(sources)}) AND tag IN ('a', 'iframe', 'frame') AND hidden = 0"
                           " AND kind IN ('page', 'attachment')", (run_id, *sources))

    def page_links_from(self, run_id: int, sources: Sequence[str]) -> Iterator[Any]:
        """Source, target and anchor of the links to pages on ``sources``."""
        return self.iquery(f"SELECT source_url, target_url, anchor FROM links WHERE run_id = ? AND kind = 'page'"
                           f" AND source_url IN ({_marks(sources)})", (run_id, *sources))

    def visible_dated_links(self, run_id: int) -> Iterator[Any]:
        """Visible ``<a>`` links with the date a list page shows beside them."""
        return self.iquery("SELECT source_url, target_url, list_date, anchor FROM links"
                           " WHERE run_id = ? AND list_date IS NOT NULL AND tag = 'a' AND hidden = 0", (run_id,))

    def list_page_sites(self, run_id: int) -> dict[str, str]:
        """{page showing dated links: its site}."""
        return {r["source_url"]: r["site"] for r in self.iquery(
            "SELECT DISTINCT source_url, site FROM links WHERE run_id = ? AND list_date IS NOT NULL", (run_id,))}

    def frequent_targets(self, run_id: int, min_pages: int) -> Iterator[Any]:
        """Per site, the visible ``<a>`` targets linked from at least ``min_pages`` pages, with
        how many pages link them (the site's template links)."""
        return self.iquery("SELECT site, target_url, COUNT(DISTINCT source_url) AS n FROM links WHERE run_id = ?"
                           " AND tag = 'a' AND hidden = 0 GROUP BY site, target_url"
                           " HAVING COUNT(DISTINCT source_url) >= ?", (run_id, min_pages))

    def visible_links_with_words(self, run_id: int, words: Sequence[str]) -> Iterator[Any]:
        """Site, anchor and target of the visible ``<a>`` links whose anchor holds one of ``words``."""
        return self.iquery("SELECT site, anchor, target_url FROM links WHERE run_id = ? AND tag = 'a' AND hidden = 0"
                           " AND (" + " OR ".join("instr(anchor, ?) > 0" for _ in words) + ")", (run_id, *words))

    # -- pages --------------------------------------------------------------
    def page_stored(self, run_id: int, url: str) -> bool:
        return self.scalar("SELECT COUNT(*) FROM pages WHERE run_id = ? AND url = ?", (run_id, url)) > 0

    def stored_page_urls(self, run_id: int, urls: Sequence[str]) -> set[str]:
        """Which of ``urls`` were parsed in the run."""
        return {r[0] for r in self.iquery(f"SELECT url FROM pages WHERE run_id = ? AND url IN ({_marks(urls)})",
                                          (run_id, *urls))}

    def page_sites(self, run_id: int) -> dict[str, str]:
        """{parsed page: its site}."""
        return {r["url"]: r["site"] for r in self.iquery("SELECT site, url FROM pages WHERE run_id = ?", (run_id,))}

    def pages_per_site(self, run_id: int) -> dict[str, int]:
        return {r["site"]: r["n"] for r in self.iquery(
            "SELECT site, COUNT(*) AS n FROM pages WHERE run_id = ? GROUP BY site", (run_id,))}

    def home_page_urls(self, run_id: int, site: str) -> set[str]:
        return {r[0] for r in self.query("SELECT url FROM pages WHERE run_id = ? AND site = ? AND is_home = 1",
                                         (run_id, site))}

    def home_pages(self, run_id: int) -> list[dict[str, Any]]:
        """The parsed home page of each site (found through the small fetches table: a scan
        of ``pages`` would read every stored text), by site."""
        return [dict(r) for r in self.iquery(
            "SELECT p.site, p.url, p.final_url FROM fetches f JOIN pages p ON p.run_id = f.run_id AND p.url = f.url"
            " WHERE f.run_id = ? AND f.kind = 'home' AND p.is_home = 1 ORDER BY p.site", (run_id,))]

    def pages_with_meta(self, run_id: int, label: str) -> Iterator[Any]:
        """URL and metadata of the pages whose metadata table shows ``label`` (发布日期 …)."""
        return self.iquery("SELECT url, meta_json FROM pages WHERE run_id = ? AND instr(meta_json, ?) > 0",
                           (run_id, label))

    def articles_with_meta(self, run_id: int, label: str) -> Iterator[Any]:
        """Non-list pages whose metadata shows ``label``, by site and URL."""
        return self.iquery("SELECT site, url, title, heading, meta_json FROM pages WHERE run_id = ? AND is_list = 0"
                           " AND instr(meta_json, ?) > 0 ORDER BY site, url", (run_id, label))

    def column_pages(self, run_id: int, empty_words: Sequence[str]) -> Iterator[Any]:
        """Every page but the home pages, with its text length and whether its text says one
        of ``empty_words`` (暂无信息 …), by site and URL."""
        says = " OR ".join("instr(main_text, ?) > 0" for _ in empty_words)
        return self.iquery("SELECT site, url, title, heading, column_kind, column_url, meta_json,"
                           f" length(main_text) AS text_len, ({says}) AS says_empty"
                           " FROM pages WHERE run_id = ? AND is_home = 0 ORDER BY site, url", (*empty_words, run_id))

    def page_texts(self, run_id: int) -> Iterator[Any]:
        """Title, heading, main text and metadata of every page, by site and URL."""
        return self.iquery("SELECT site, url, title, heading, main_text, meta_json FROM pages WHERE run_id = ?"
                           " ORDER BY site, url", (run_id,))

    def found_page_texts(self, run_id: int) -> Iterator[Any]:
        """Title, heading and main text of every page that did not say "not found", by site and URL."""
        return self.iquery("SELECT p.site, p.url, p.title, p.heading, p.main_text FROM pages p"
                           " LEFT JOIN fetches f ON f.run_id = p.run_id AND f.url = p.url"
                           " WHERE p.run_id = ? AND COALESCE(f.notfound_text, 0) = 0 ORDER BY p.site, p.url", (run_id,))

    def article_heads(self, run_id: int, tail: int) -> Iterator[Any]:
        """Every article (not home, not list, not "not found") with the first 400 and the last
        ``tail`` characters of its text, by site and URL."""
        return self.iquery(
            "SELECT p.site, p.url, p.title, p.heading, p.column_kind, p.list_date, p.meta_json,"
            " substr(p.main_text, 1, 400) AS head,"
            " CASE WHEN length(p.main_text) > ? THEN substr(p.main_text, length(p.main_text) - ? + 1)"
            " ELSE p.main_text END AS tail"
            " FROM pages p LEFT JOIN fetches f ON f.run_id = p.run_id AND f.url = p.url"
            " WHERE p.run_id = ? AND p.is_home = 0 AND p.is_list = 0 AND COALESCE(f.notfound_text, 0) = 0"
            " ORDER BY p.site, p.url", (tail, tail, run_id))

    def articles(self, run_id: int) -> Iterator[Any]:
        """Every article (not home, not list) with its text and metadata, by URL."""
        return self.iquery("SELECT site, url, title, heading, column_kind, list_date, main_text, meta_json FROM pages"
                           " WHERE run_id = ? AND is_list = 0 AND is_home = 0 ORDER BY url", (run_id,))

    def article_titles(self, run_id: int) -> Iterator[Any]:
        return self.iquery("SELECT site, title, heading FROM pages WHERE run_id = ? AND is_list = 0 AND is_home = 0",
                           (run_id,))

    def site_page_titles(self, run_id: int, site: str) -> Iterator[Any]:
        """URL, title and heading of ``site``'s pages but its home pages."""
        return self.iquery("SELECT url, title, heading FROM pages WHERE run_id = ? AND site = ? AND is_home = 0",
                           (run_id, site))

    def column_coverage(self, run_id: int, site: str) -> list[dict[str, Any]]:
        """Per column of ``site`` (by address): how many same-site pages its list pages link
        to (``listed``), how many of them answered (``fetched``) and were parsed (``parsed``)."""
        return [dict(r) for r in self.query(
            "SELECT p.column_url AS col, COUNT(DISTINCT l.target_url) AS listed,"
            " COUNT(DISTINCT CASE WHEN f.outcome = 'ok' THEN l.target_url END) AS fetched,"
            " COUNT(DISTINCT t.url) AS parsed " + _COLUMN_LINKS + " GROUP BY p.column_url ORDER BY p.column_url",
            (run_id, site))]

    def column_unparsed(self, run_id: int, site: str) -> list[tuple[str, str, int]]:
        """(column, reason, pages) of the pages ``site``'s columns link to that answered but
        were not parsed (``fetches.unparsed``)."""
        return [(r["col"], r["reason"], r["n"]) for r in self.query(
            "SELECT p.column_url AS col, f.unparsed AS reason, COUNT(DISTINCT l.target_url) AS n " + _COLUMN_LINKS
            + " AND f.unparsed IS NOT NULL AND t.url IS NULL GROUP BY p.column_url, f.unparsed", (run_id, site))]

    def page_metas(self, run_id: int, urls: Sequence[str]) -> dict[str, str]:
        """{URL: metadata JSON} of those of ``urls`` that were parsed."""
        out = {}
        for i in range(0, len(urls), 400):
            chunk = urls[i:i + 400]
            out.update((r["url"], r["meta_json"]) for r in self.iquery(
                f"SELECT url, meta_json FROM pages WHERE run_id = ? AND url IN ({_marks(chunk)})", (run_id, *chunk)))
        return out

    # -- attachments --------------------------------------------------------
    def attachment_text(self, run_id: int, url: str) -> Any:
        return self.db.execute("SELECT site, url, text FROM attachment_texts WHERE run_id = ? AND url = ?",
                               (run_id, url)).fetchone()

    def attachment_texts(self, run_id: int) -> Iterator[Any]:
        """Site, URL and text of every attachment read, by site and URL."""
        return self.iquery("SELECT site, url, text FROM attachment_texts WHERE run_id = ? ORDER BY site, url",
                           (run_id,))

    def parse_limit_count(self, run_id: int) -> int:
        """How many attachments went over the parser's time or memory limit."""
        return self.scalar("SELECT COUNT(*) FROM attachment_texts WHERE run_id = ? AND outcome = 'parse_limit'",
                           (run_id,)) or 0

    # -- the IPv6 stage ------------------------------------------------------
    def ipv6_runs(self, run_id: int) -> list[Any]:
        return self.query("SELECT * FROM ipv6_runs WHERE run_id = ?", (run_id,))

    def ipv6_sites(self, run_id: int) -> list[Any]:
        return self.query("SELECT * FROM ipv6_sites WHERE run_id = ? ORDER BY site", (run_id,))

    def dns_answers(self, run_id: int) -> list[Any]:
        return self.query("SELECT * FROM dns_answers WHERE run_id = ? ORDER BY id", (run_id,))

    def ip_probes(self, run_id: int) -> Iterator[Any]:
        return self.iquery("SELECT * FROM ip_probes WHERE run_id = ? ORDER BY site, level, url, id", (run_id,))

    # -- the availability watch ---------------------------------------------
    def watch_probe_count(self) -> int:
        return self.scalar("SELECT COUNT(*) FROM watch_probes") or 0

    def first_watch_probe(self, site: str) -> str | None:
        return self.scalar("SELECT MIN(probed_at) FROM watch_probes WHERE site = ?", (site,))

    def watch_probes(self, site: str, after: str, until: str) -> list[Any]:
        """``site``'s probes in (``after``, ``until``] with their round's status, in time order."""
        return self.query(
            "SELECT p.family, p.probed_at, p.result, p.error, p.status, p.elapsed, r.status AS round_status"
            " FROM watch_probes p JOIN watch_rounds r ON r.id = p.round_id"
            " WHERE p.site = ? AND p.probed_at > ? AND p.probed_at <= ? ORDER BY p.probed_at", (site, after, until))
