"""The ceiling of the benchmark: a bare Scrapy spider that only follows the portal's links.

Same start URL and the same link scope as the portal-audit gatherer: every ``<a href>``
(and ``<area href>``) on the same host, plus the pages a TRS ``createPageHTML`` pager
announces (the gatherer's own :func:`crawler.extract.pagination_hrefs`, a regex).
Nothing else: no decoding beyond Scrapy's, no tree work beyond the href XPath, no
store, no items. Concurrency, timeout and retries come from the command line so that
``bench/run.py`` gives both sides the same settings.

    python bench/bare_spider.py URL [URL …] --concurrency 16 --per-host 4 --timeout 10 \
        --retries 1 --out result.json

Several URLs crawl several sites in the one process (each its own host scope), as the
gatherer does with a config of several sites.

``--revalidate FILE`` (a JSON list of ``[url, etag, last_modified]``) sends one conditional GET
per URL (``If-None-Match`` / ``If-Modified-Since``) and follows nothing: the floor of an
incremental run's revalidation of an unchanged portal, one Scrapy request cycle per page.

Writes a JSON object: ``pages`` (HTML responses parsed), ``responses`` (all responses
that reached the spider), ``requests`` (sent, retries included), ``statuses``,
``elapsed`` (spider opened → closed, seconds).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from crawler.extract import pagination_hrefs  # noqa: E402  (a pure regex helper)

SKIP = ("mailto:", "tel:", "javascript:", "data:", "#")


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, urls: list[str], revalidate: list | None = None, **kwargs):
        super().__init__(**kwargs)
        self.start_urls = urls
        self.revalidate = revalidate
        self.hosts = {urlsplit(url).netloc.lower() for url in urls}
        self.pages = 0
        self.responses = 0
        self.statuses: Counter[int] = Counter()
        self.opened = self.closed = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._opened, signal=signals.spider_opened)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    def _opened(self, spider):
        self.opened = time.monotonic()

    def _closed(self, spider, reason):
        self.closed = time.monotonic()

    async def start(self):
        if self.revalidate is not None:
            for url, etag, last_modified in self.revalidate:
                headers = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if v}
                yield scrapy.Request(url, headers=headers, callback=self.revalidated, errback=self.failed)
            return
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse, errback=self.failed)

    def parse(self, response):
        self.responses += 1
        self.statuses[response.status] += 1
        ctype = response.headers.get("Content-Type", b"").lower()
        if b"html" not in ctype or not isinstance(response, scrapy.http.TextResponse):
            return
        self.pages += 1
        hrefs = response.xpath("//a/@href | //area/@href").getall()
        hrefs += pagination_hrefs(response.text)
        for href in hrefs:
            href = href.strip()
            if not href or href.lower().startswith(SKIP):
                continue
            url = response.urljoin(href)
            if urlsplit(url).netloc.lower() in self.hosts:
                yield scrapy.Request(url, callback=self.parse, errback=self.failed)

    def revalidated(self, response):
        self.responses += 1
        self.statuses[response.status] += 1

    def failed(self, failure):
        self.statuses[type(failure.value).__name__] += 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("urls", nargs="*")
    ap.add_argument("--revalidate", help="JSON list of [url, etag, last_modified]: conditional GETs only")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--per-host", type=int, default=4)
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--retries", type=int, default=1)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)

    process = CrawlerProcess({
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "CONCURRENT_REQUESTS": args.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": args.per_host,
        "DOWNLOAD_DELAY": 0,
        "DOWNLOAD_TIMEOUT": args.timeout,
        "RETRY_TIMES": args.retries,
        "ROBOTSTXT_OBEY": False,
        "HTTPERROR_ALLOW_ALL": True,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "LOGSTATS_INTERVAL": 0,
        # the gatherer's scheduler queue, so that both sides schedule alike
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
    }, install_root_handler=False)
    crawler = process.create_crawler(BareSpider)
    revalidate = json.loads(Path(args.revalidate).read_text(encoding="utf-8")) if args.revalidate else None
    process.crawl(crawler, urls=args.urls, revalidate=revalidate)
    process.start()
    spider = crawler.spider
    stats = crawler.stats.get_stats()
    result = {
        "pages": spider.pages,
        "responses": spider.responses,
        "requests": stats.get("downloader/request_count", 0),
        "statuses": {str(k): v for k, v in spider.statuses.items()},
        "elapsed": (spider.closed or time.monotonic()) - (spider.opened or 0),
        "finish_reason": stats.get("finish_reason"),
    }
    Path(args.out).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
