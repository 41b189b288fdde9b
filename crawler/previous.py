"""The previous run's facts, for an incremental run.

``PORTAL_AUDIT_PREVIOUS`` = ``{"store": path, "run_id": N, "recheck_after": seconds}`` (set by
the runner: the latest completed audit run) gives the spider, read-only:

- the validators (ETag, Last-Modified) of each page the previous run fetched with a 200, sent
  as ``If-None-Match`` / ``If-Modified-Since``; on a 304 the page's stored facts (fetch row,
  page row, link rows with their list dates) are carried into this run instead of parsing;
- the pages the site's sitemap says have not changed since a request last verified them
  (:meth:`PreviousRun.unchanged_since`): carried as a 304 page is, without any request; the
  sitemaps themselves are asked with their validators (``run_sites.stats_json.sitemaps``) and
  on a 304 read as the previous run stored their ``<loc>``s (``links.lastmod``);
- the successful checks of external links and attachments verified less than
  ``recheck_after`` seconds ago: taken over without a request (``fetches.cached``; the row keeps
  ``verified_at``, when a request last confirmed it). Failures and inconclusive answers are
  never taken over: they are checked again.

One indexed query per URL; nothing of the previous run is held in memory. The link rows of a
carried page are not written through Python: the store copies them from the previous run
(:meth:`store.db.Store.carry_links`, set-based, batched by the pipeline); when the site's links
were made from the same inputs (:meth:`link_inputs`), they are not even made again to compare.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from typing import Any

from store import Store


class PreviousRun:
    def __init__(self, store_path: str, run_id: int, recheck_after: float):
        self.store = Store(store_path)
        self.location = self.store.location
        self.run_id = run_id
        self.recheck_after = recheck_after
        self._sitemaps: dict[str, dict[str, dict]] = {}   # site → its sitemaps' kinds and validators
        self._link_inputs: dict[str, str | None] = {}   # site → what its link rows were made from

    @classmethod
    def from_settings(cls, settings) -> "PreviousRun | None":
        prev = settings.getdict("PORTAL_AUDIT_PREVIOUS")
        return cls(prev["store"], int(prev["run_id"]), float(prev["recheck_after"])) if prev else None

    def close(self) -> None:
        self.store.close()

    def validators(self, url: str) -> dict[str, str]:
        """Conditional-request headers for a page the previous run fetched with a 200."""
        row = self.store.fetch_validators(self.run_id, url)
        if row is None or not (row["outcome"] == "ok" and row["status"] == 200 and row["redirects_json"] == "[]"):
            return {}
        headers = {}
        if row["etag"]:
            headers["If-None-Match"] = row["etag"]
        if row["last_modified"]:
            headers["If-Modified-Since"] = row["last_modified"]
        return headers

    def unchanged_since(self, url: str, lastmod: float) -> Any:
        """What the previous run knows of page ``url`` (:meth:`store.db.Store.fetch_validators`)
        when the site's sitemap says it has not changed since a request last verified it: that
        run fetched it with a 200 (no redirect)
        or carried it, and parsed it; ``lastmod`` (the latest instant the sitemap's
        ``<lastmod>`` can mean, :func:`crawler.robots.lastmod_time`) is not in the future and at
        or before the verification (``verified_at``); the verification is less than
        ``recheck_after`` seconds old. None otherwise: the page is requested."""
        now = time.time()
        if self.recheck_after <= 0 or lastmod > now:
            return None
        row = self.store.fetch_validators(self.run_id, url)
        if (row is None or not (row["outcome"] == "ok" and row["status"] == 200 and row["redirects_json"] == "[]")
                or not row["verified_at"] or not row["parsed"]):
            return None
        verified = datetime.fromisoformat(row["verified_at"]).timestamp()
        if lastmod > verified or now - verified >= self.recheck_after:
            return None
        return row

    def fetch(self, url: str) -> dict | None:
        return _dict(self.store.fetch(self.run_id, url))

    def page(self, url: str) -> dict | None:
        return _dict(self.store.page(self.run_id, url))

    def links(self, url: str) -> list:
        """The page's link rows (the columns ``Store.LINK_COPIED``, read by name), in page order."""
        return self.store.link_rows_of(self.run_id, url)

    def link_rows(self, url: str) -> list[dict]:
        """The page's link rows as this run stores them when it carries them (no id, run or site)."""
        return [{c: r[c] for c in Store.LINK_COPIED} for r in self.links(url)]

    def verified(self, url: str, kind: str) -> dict | None:
        """The previous run's successful check of an external link or attachment, when a request
        confirmed it less than ``recheck_after`` seconds ago."""
        if self.recheck_after <= 0 or kind not in ("external", "attachment"):
            return None
        row = self.fetch(url)
        if not row or row["outcome"] != "ok" or row["kind"] != kind or not row["verified_at"]:
            return None
        age = datetime.now(datetime.fromisoformat(row["verified_at"]).tzinfo) - datetime.fromisoformat(row["verified_at"])
        return row if age < timedelta(seconds=self.recheck_after) else None

    def sections(self, site: str) -> list[str]:
        """The block headings of the site's disclosure page the previous run read."""
        row = self.store.run_site(self.run_id, site)
        try:
            return list((json.loads(row["stats_json"] or "{}") or {}).get("sections") or ()) if row else []
        except ValueError:
            return []

    def link_inputs(self, site: str) -> str | None:
        """The digest of what the site's link rows were made from besides its pages
        (:func:`crawler.spiders.portal.link_inputs`); None when that run did not say."""
        if site not in self._link_inputs:
            row = self.store.run_site(self.run_id, site)
            try:
                kept = (json.loads(row["stats_json"] or "{}") or {}).get("link_inputs") if row else None
            except (ValueError, AttributeError):
                kept = None
            self._link_inputs[site] = kept if isinstance(kept, str) else None
        return self._link_inputs[site]

    def sitemap_validators(self, site: str) -> dict[str, dict]:
        """The sitemaps of the site the previous run read, by URL: their kind and validators."""
        if site not in self._sitemaps:
            row = self.store.run_site(self.run_id, site)
            try:
                kept = (json.loads(row["stats_json"] or "{}") or {}).get("sitemaps") if row else None
            except ValueError:
                kept = None
            self._sitemaps[site] = kept if isinstance(kept, dict) else {}
        return self._sitemaps[site]

    def sitemap_headers(self, site: str, url: str) -> dict[str, str]:
        """Conditional-request headers for a sitemap the previous run read."""
        kept = self.sitemap_validators(site).get(url) or {}
        return {name: kept[key] for name, key in (("If-None-Match", "etag"), ("If-Modified-Since", "last_modified"))
                if kept.get(key)}

    def sitemap(self, site: str, url: str) -> tuple[str, list[tuple]]:
        """(kind, [(loc, line, lastmod)]) of a sitemap the previous run read (it answered 304)."""
        return (self.sitemap_validators(site)[url]["kind"],
                [tuple(r) for r in self.store.sitemap_entries(self.run_id, url)])

    def attachment_text(self, url: str) -> dict | None:
        return _dict(self.store.attachment_text(self.run_id, url))


def _dict(row) -> dict | None:
    return dict(row) if row is not None else None
