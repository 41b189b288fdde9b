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
Its pending requests are kept on disk, as a crawl process's are (``JOBDIR``: a directory of
its own in the node's temporary directory, ``portal-audit-job-<job id>-…``, removed when the
job ends, finished or cancelled).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import IO

from scrapy import signals

from crawler.pipelines import lost_rows
from crawler.sites import CrawlLimits, SiteSpec
from crawler.spiders.portal import PortalSpider
from store import Store, Superseded

log = logging.getLogger(__name__)

JOBDIR_PREFIX = "portal-audit-job-"
HELD = "held"     # the file in a job's queue directory that its process keeps locked


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

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        # a portal's sitemap or list pages queue tens of thousands of requests at once (see
        # crawler.settings.from_config): on disk, in a directory of this job's own
        queue, held = own_queue_dir(kwargs.get("_job", ""))
        crawler.settings.set("JOBDIR", str(queue), priority="spider")
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.queue_held = held
        crawler.signals.connect(spider._remove_queue, signal=signals.engine_stopped)
        return spider

    def _remove_queue(self) -> None:
        """After the engine stopped: the scheduler and the spider state write to it as the spider closes."""
        shutil.rmtree(self.settings.get("JOBDIR"), ignore_errors=True)
        self.queue_held.close()

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


def own_queue_dir(job: str) -> tuple[Path, IO[bytes]]:
    """A new directory for a job's pending requests, in this node's temporary directory
    (``portal-audit-job-<job id>-…``), and the open file whose lock marks it as the job's for as
    long as the job's process lives (the kernel lets a lock go with its process, SIGKILL
    included). The directories whose lock is free are removed first: those of jobs killed on
    this node, which could not remove their own."""
    root = Path(tempfile.gettempdir())
    for old in root.glob(JOBDIR_PREFIX + "*"):
        try:
            with open(old / HELD, "rb") as f:   # a directory without it is not yet held, or not a job's
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:     # held by a running job (BlockingIOError), or gone meanwhile
            continue
        shutil.rmtree(old, ignore_errors=True)
    queue = Path(tempfile.mkdtemp(prefix=f"{JOBDIR_PREFIX}{job}-"))
    held = open(queue / f"{HELD}.new", "wb")
    fcntl.flock(held, fcntl.LOCK_EX)
    os.rename(queue / f"{HELD}.new", queue / HELD)    # seen by the others only once locked
    return queue, held
