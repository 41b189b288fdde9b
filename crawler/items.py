"""Items the spider yields: rows for the store's tables.

One :class:`Rows` item carries everything one response produced (its fetch row,
the page row, the page's link rows), so that each response costs the item
machinery once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


# not a table: ``{site, source_url, from_run}`` of a 304 page whose link rows are those of run
# ``from_run`` (see crawler.spiders.portal._same_links), copied by the store at the pipeline's flush
CARRIED_LINKS = "carried_links"

# the columns of a fetch row the spider makes (one taken over from the previous run, or made from
# another URL's answer, keeps these of the row it comes from)
FETCH_FIELDS = ("site", "url", "host", "kind", "depth", "method", "status", "outcome", "error", "attempts", "elapsed",
                "redirects_json", "final_url", "content_type", "title", "heading", "size", "text_hash",
                "notfound_text", "anchors", "fetched_at", "etag", "last_modified", "verified_at", "not_modified", "cached",
                "sitemap_lastmod")


@dataclass
class Rows:
    """Rows for the store, by table (``pages``, ``links``, ``fetches`` or ``attachment_texts``), or
    :data:`CARRIED_LINKS`: pages whose links the store copies from the previous run."""

    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def of(cls, table: str, rows: list[dict[str, Any]]) -> "Rows":
        return cls({table: rows})

    def merge(self, other: "Rows") -> "Rows":
        for table, rows in other.tables.items():
            self.add(table, rows)
        return self

    def add(self, table: str, rows: list[dict[str, Any]]) -> "Rows":
        if rows:
            self.tables.setdefault(table, []).extend(rows)
        return self
