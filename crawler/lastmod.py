"""Sitemap ``<lastmod>`` in an incremental run: pages the site itself says did not change are
carried from the previous run without any request.

Two middlewares around :class:`crawler.spiders.portal.PortalSpider`, which keeps each site's
state (the lastmods its sitemaps gave, the requests held) and decides:

- :class:`SitemapGate` (spider middleware) holds a site's page requests that could be carried
  (:meth:`PortalSpider.hold`) until the site's robots.txt and sitemaps are read and its home page
  has answered, then lets them go on to the scheduler (:meth:`PortalSpider.released`, at the end
  of the callback output that completed the reading; and when the crawl would otherwise go idle,
  so that no request is ever lost);
- :class:`LastmodCarry` (downloader middleware, after the address policy and robots.txt, before
  the per-host slot and the request log) answers a page request whose sitemap lastmod says it
  has not changed since a request last verified it (:meth:`PortalSpider.unrequested`) with a
  304 of its own, flagged :data:`CARRIED`: nothing goes on the wire, no politeness delay is
  spent, and the spider carries the page exactly as it carries a 304, when the scheduler hands it
  out, so that the crawl keeps its breadth-first order and its depths.

Most pages of an unchanged site are carried so, and one Scrapy request cycle each (scheduler,
middlewares, callback) was most of what carrying them cost. So the gate takes such a page
request out of the callback's output when everything the downloader middlewares before
:class:`LastmodCarry` would decide of it is known to let it through (a host of the site's own,
robots.txt read for its host and allowing it: :meth:`PortalSpider.carry`), and queues the page
by its depth instead; one *carrier* request per depth, with that depth's breadth-first priority,
goes through the scheduler in its stead, is answered here the same way (:data:`CARRIED`, no
request sent), and its callback carries up to :data:`CARRIED_PER_CARRIER` queued pages of its
depth in their order (:meth:`PortalSpider.on_carrier`), then sends the next carrier while pages
of that depth are left. The pages of a depth are so carried after the requests of the depths
before it, as the scheduler would have handed them out. Any other page request goes its way as
before.
"""

from __future__ import annotations

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response

CARRIED = "sitemap-lastmod"   # the flag of a response made here: no request was sent
CARRIER = "carrier"           # meta key of a carrier request: the depth whose queued pages it carries
CARRIED_PER_CARRIER = 64      # pages one carrier carries (the reactor runs between carriers)


class SitemapGate:
    def __init__(self, crawler):
        self.crawler = crawler
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _spider(self):
        spider = self.crawler.spider
        return spider if hasattr(spider, "hold") else None

    async def process_start(self, start):
        spider = self._spider()
        async for item in start:
            if spider is None or not spider.hold(item):
                yield item

    def process_spider_output(self, response, result, spider=None):
        spider = self._spider()
        for item in result:
            if spider is None or not (spider.hold(item) or spider.carry(item)):
                yield item
        if spider is not None:
            yield from spider.released()
            yield from spider.carriers()

    async def process_spider_output_async(self, response, result, spider=None):
        spider = self._spider()
        async for item in result:
            if spider is None or not (spider.hold(item) or spider.carry(item)):
                yield item
        if spider is not None:
            for request in [*spider.released(), *spider.carriers()]:
                yield request

    def spider_idle(self, spider=None):
        spider = self._spider()
        held = [*spider.released(force=True), *spider.carriers()] if spider is not None else []
        for request in held:
            self.crawler.engine.crawl(request)
        if held:
            raise DontCloseSpider


class LastmodCarry:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request, spider=None):
        spider = self.crawler.spider
        if request.meta.get(CARRIER) is not None:
            return Response(request.url, status=304, request=request, flags=[CARRIED])
        return spider.unrequested(request) if hasattr(spider, "unrequested") else None
