"""SiteJobSpider: one site of a run, as one Scrapyd job (``portal-audit run --scrapyd``).

Scrapyd starts it as ``scrapy crawl portal-site -a run_id=… -a site=… -a attempt=… -a spec=…``
with the run's Scrapy settings given as Scrapyd settings (``PORTAL_AUDIT_STORE`` is the shared
store). ``attempt`` is the token the coordinator recorded as the site's current attempt: every
write of the job is fenced with it (:meth:`store.db.Store.fence`), so a job whose site was
scheduled again elsewhere (its node stopped answering) or whose run was interrupted writes
nothing more, its completion row included.
``spec`` is JSON: ``{"site": SiteSpec fields, "crawl": CrawlLimits fields,
"reference_date": "YYYY-MM-DD", "read_kinds": [...]}``. It crawls like
:class:`~crawler.spiders.portal.PortalSpider` and, only when the crawl finished, writes the
site's ``run_sites`` row: the completion row the coordinator waits for. A job that was
killed or cancelled leaves none, and the coordinator schedules the site again.
"""

from __future__ import annotations

import json
import logging
from datetime import date

from crawler.pipelines import lost_rows
from crawler.sites import CrawlLimits, SiteSpec
from crawler.spiders.portal import PortalSpider
from store import Store, Superseded

log = logging.getLogger(__name__)


class SiteJobSpider(PortalSpider):
    name = "portal-site"

    def __init__(self, run_id: str, site: str, attempt: str, spec: str, **kwargs):
        plan = json.loads(spec)
        site_spec = SiteSpec(**{**plan["site"], "allowed_domains": tuple(plan["site"].get("allowed_domains") or ())})
        if site_spec.name != site:
            raise ValueError(f"spec is for site {site_spec.name!r}, not {site!r}")
        super().__init__(sites=[site_spec], crawl=CrawlLimits(**plan["crawl"]),
                         reference_date=date.fromisoformat(plan["reference_date"]),
                         read_kinds=plan["read_kinds"], **kwargs)
        self.run_id = int(run_id)
        self.fence = (self.run_id, site, attempt)

    def closed(self, reason: str) -> None:
        if reason != "finished":
            return
        store = Store(self.settings.get("PORTAL_AUDIT_STORE"))
        store.fence(*self.fence)
        try:
            self.record_sites(store, self.run_id, lost_rows(self.crawler.stats))
        except Superseded as exc:
            log.warning("%s: no completion row", exc)
        finally:
            store.close()
