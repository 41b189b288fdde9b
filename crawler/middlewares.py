"""Downloader middlewares.

``PoliteRetryMiddleware`` replaces Scrapy's RetryMiddleware: same retry rules
(``RETRY_TIMES``, ``RETRY_HTTP_CODES``, network errors), plus exponential
backoff (``PORTAL_AUDIT_RETRY_BACKOFF`` seconds, doubled each attempt) and
honouring ``Retry-After`` on 429/503 up to ``PORTAL_AUDIT_MAX_RETRY_AFTER``
seconds. A longer Retry-After is not waited for: the response goes to the
spider, which records the URL as rate limited (inconclusive, not broken).

``RobotsTxtKeeper`` replaces Scrapy's RobotsTxtMiddleware, keeping the text it fetched.
"""

from __future__ import annotations

import asyncio
import email.utils
import time

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import TextResponse
from scrapy.utils.response import response_status_message


def retry_after_seconds(value: bytes | str | None) -> float | None:
    """Parse a Retry-After header: delta seconds or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class PoliteRetryMiddleware(RetryMiddleware):
    def __init__(self, settings):
        super().__init__(settings)
        self.backoff = settings.getfloat("PORTAL_AUDIT_RETRY_BACKOFF", 0.5)
        self.max_retry_after = settings.getfloat("PORTAL_AUDIT_MAX_RETRY_AFTER", 30.0)

    async def process_response(self, request, response):
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        delay = self._delay(request)
        if response.status in (429, 503):
            after = retry_after_seconds(response.headers.get("Retry-After"))
            if after is not None:
                if after > self.max_retry_after:
                    return response
                delay = max(delay, after)
        new = self._retry(request, response_status_message(response.status))
        if new is None:
            return response
        await asyncio.sleep(delay)
        return new

    async def process_exception(self, request, exception):
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry"):
            return None
        new = self._retry(request, exception)
        if new is None:
            return None
        await asyncio.sleep(self._delay(request))
        return new

    def _delay(self, request) -> float:
        return self.backoff * (2 ** request.meta.get("retry_times", 0))


class RobotsTxtKeeper(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware that also keeps each host's robots.txt text for the
    spider (``spider.robots_txt``, by netloc): the ``Sitemap:`` lines it announces and the
    rule that disallows a start page are read from the one fetch the middleware makes."""

    async def _parse_robots(self, response, netloc, request):
        self._keep(netloc, response.text if response.status == 200 and isinstance(response, TextResponse) else "")
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc, netloc):
        self._keep(netloc, "")
        super()._robots_error(exc, netloc)

    def _keep(self, netloc: str, text: str) -> None:
        kept = getattr(self.crawler.spider, "robots_txt", None)
        if kept is not None:
            kept[netloc] = text
