"""RecheckSpider: re-fetches only the pages and targets of the findings being re-checked.

It is a :class:`~crawler.spiders.portal.PortalSpider` (same fetching, redirect,
retry, classification, parsing and row machinery, same pipeline into the store)
that starts from a *plan* instead of the home page and does not crawl:

- ``pages``: pages to fetch and parse again (the pages where the findings showed,
  e.g. every page that linked to a broken target). Their links are stored as in a
  full run, but only links to ``follow`` targets are requested, so that a target
  the page no longer links to is not fetched (its absence is then the fix).
- ``follow``: targets to fetch when a re-parsed page still links to them.
- ``direct``: URLs to fetch whatever the pages say (a home page for
  ``site.unreachable``, a target linked from more pages than the finding listed).

A PDF/DOCX that carries a re-parsed article's text is read as in a full run (the
page-local content checks see the same text). The host probe of the foundation (one random URL per host, for ``link.soft404``)
still runs, once per host answering a re-fetched page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from crawler.sites import CrawlLimits, SiteSpec
from crawler.spiders.portal import PortalSpider, SiteState


@dataclass
class SitePlan:
    pages: dict[str, int] = field(default_factory=dict)      # url → depth it had
    follow: set[str] = field(default_factory=set)
    direct: dict[str, str] = field(default_factory=dict)     # url → kind (home/page/attachment/external/resource)


class RecheckSpider(PortalSpider):
    name = "recheck"

    def __init__(self, sites: Sequence[SiteSpec], crawl: CrawlLimits, plan: Mapping[str, SitePlan], **kwargs):
        super().__init__(sites=list(sites), crawl=crawl, **kwargs)
        self.plan = dict(plan)

    async def start(self):
        for name, plan in self.plan.items():
            st = self.sites[name]
            for url, kind in plan.direct.items():
                depth = 0 if kind == "home" else 1
                yield self._request(url, st, kind=kind, depth=depth)
            for url, depth in plan.pages.items():
                yield self._request(url, st, kind="home" if depth == 0 else "page", depth=depth, from_scope=True)

    def _should_parse(self, url: str, st: SiteState, meta) -> bool:
        # only the planned pages are parsed, wherever they sit in the site (``origin`` is
        # the URL as planned; it survives redirects)
        return meta.get("origin") in self.plan[st.name].pages

    def _parse_page(self, response, st: SiteState, tree, text, charset, title, heading, rows):
        wanted = self.plan[st.name].follow
        requests = list(super()._parse_page(response, st, tree, text, charset, title, heading, rows))
        document = rows.tables["pages"][-1]["document_url"]
        for request in requests:
            # only the targets being re-checked, and the PDF/DOCX carrying the page's own
            # text (page-local content checks read it); no crawling
            if request.meta.get("origin") in wanted or request.meta.get("origin") == document:
                yield request
