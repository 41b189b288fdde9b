"""RequestLog: one ``requests`` row per HTTP request the crawler sends.

A downloader middleware next to the downloader (after the retry, robots.txt and
compression middlewares), so it sees every request that goes on the wire: pages,
link checks, attachment reads, robots.txt, host probes, each redirect hop and each
retry; ``bytes`` is the body as received (before decompression). The rows go to
:class:`crawler.pipelines.StorePipeline` through the :data:`REQUEST_SENT` signal and
are written in its batched transactions.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from core.text import now_iso
from crawler.lastmod import CARRIED


REQUEST_SENT = object()   # signal: row=dict


def purpose_of(request) -> str:
    """What a request is for: the spider's kind (home, page, attachment, external, resource,
    probe), ``robots`` for robots.txt, ``other`` for anything else."""
    kind = request.meta.get("kind")
    if kind:
        return kind
    if urlsplit(request.url).path == "/robots.txt":
        return "robots"
    return "other"


class RequestLog:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response):
        if CARRIED not in response.flags:   # answered by crawler.lastmod without a request
            self._log(request, response.status, None, len(response.body))
        return response

    def process_exception(self, request, exception):
        self._log(request, None, f"{type(exception).__name__}: {str(exception)[:200]}", 0)

    def _log(self, request, status, error, size) -> None:
        meta = request.meta
        site = meta.get("site")
        if site is None:
            site_of = getattr(self.crawler.spider, "site_of", None)
            site = site_of(request.url) if site_of else None
        row = {"site": site, "url": request.url, "host": (urlsplit(request.url).hostname or "").lower(),
               "method": request.method, "purpose": purpose_of(request),
               "retry": meta.get("retry_times", 0) + int(bool(meta.get("head_fallback"))),
               "status": status, "error": error, "bytes": size,
               "elapsed": round(meta["download_latency"], 4) if "download_latency" in meta else None,
               "requested_at": now_iso()}
        self.crawler.signals.send_catch_log(signal=REQUEST_SENT, row=row)
