"""Helpers shared by check families: where a URL is linked from, fetch evidence."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from core.models import Outcome


MAX_PAGES_LISTED = 10


def linked_from(ctx, url: str, site: str | None = None) -> dict[str, Any]:
    """The pages (of ``site``, or of any site) linking to ``url`` in this run: total count
    and the first few, with anchors — list pages showing a date beside the link first, then
    by address, so that the order never depends on the order of the crawl."""
    total, rows = ctx.store.linking_pages(ctx.run_id, url, site, MAX_PAGES_LISTED)
    return {"count": total,
            "pages": [{"page": r["source_url"], "anchor": r["anchor"], "line": r["line"], "tag": r["tag"],
                        "attr": r["attr"]}
                      for r in rows]}


def per_site(ctx, row) -> Iterator[tuple[str, dict[str, Any]]]:
    """(site, linked_from) for every site whose pages link to the URL fetched in ``row``.

    A URL is fetched once per run, whichever sites link to it; each of those sites gets
    its own finding. A URL nobody links to (a configured start page) belongs to the site
    that fetched it.
    """
    for site in ctx.store.linking_sites(ctx.run_id, row["url"]) or [row["site"]]:
        yield site, linked_from(ctx, row["url"], site)


def fetch_evidence(row) -> dict[str, Any]:
    """The evidence of one fetch row: outcome, status, error, attempts, timing and redirect chain."""
    outcome = Outcome(row["outcome"])
    return {
        "outcome": outcome.value,
        "outcome_label": outcome.label,
        "status": row["status"],
        "error": row["error"],
        "attempts": row["attempts"],
        "elapsed": row["elapsed"],
        "method": row["method"],
        "redirects": json.loads(row["redirects_json"] or "[]"),
        "final_url": row["final_url"],
    }


def first_page(linked: dict[str, Any]) -> tuple[str | None, str | None]:
    pages = linked["pages"]
    return (pages[0]["page"], pages[0]["anchor"]) if pages else (None, None)


def linking_page(ctx, url: str, site: str | None) -> str | None:
    """The first page (of ``site``) linking to ``url`` in this run: its list page, usually."""
    page, _ = first_page(linked_from(ctx, url, site))
    return page
