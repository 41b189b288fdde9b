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
"""

from __future__ import annotations

from scrapy import signals
from scrapy.exceptions import DontCloseSpider

CARRIED = "sitemap-lastmod"   # the flag of a response made here: no request was sent


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
            if spider is None or not spider.hold(item):
                yield item
        if spider is not None:
            yield from spider.released()

    async def process_spider_output_async(self, response, result, spider=None):
        spider = self._spider()
        async for item in result:
            if spider is None or not spider.hold(item):
                yield item
        if spider is not None:
            for request in spider.released():
                yield request

    def spider_idle(self, spider=None):
        spider = self._spider()
        held = spider.released(force=True) if spider is not None else []
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
        return spider.unrequested(request) if hasattr(spider, "unrequested") else None
