"""Downloader middlewares.

``PoliteRetryMiddleware`` replaces Scrapy's RetryMiddleware with the retry rules of
:mod:`crawler.fetch_policy` (``RETRY_TIMES``, ``RETRY_HTTP_CODES``, network errors,
exponential backoff of ``PORTAL_AUDIT_RETRY_BACKOFF`` seconds, ``Retry-After`` on 429/503
honoured up to ``PORTAL_AUDIT_MAX_RETRY_AFTER`` seconds). A longer Retry-After is not
waited for: the response goes to the spider, which records the URL as rate limited
(inconclusive, not broken).
"""

from __future__ import annotations

import asyncio

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.utils.response import response_status_message

from crawler.fetch_policy import retry_after_seconds, retry_delay


class PoliteRetryMiddleware(RetryMiddleware):
    def __init__(self, settings):
        super().__init__(settings)
        self.backoff = settings.getfloat("PORTAL_AUDIT_RETRY_BACKOFF", 0.5)
        self.max_retry_after = settings.getfloat("PORTAL_AUDIT_MAX_RETRY_AFTER", 30.0)

    async def process_response(self, request, response):
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        after = retry_after_seconds(response.headers.get("Retry-After")) if response.status in (429, 503) else None
        delay = retry_delay(request.meta.get("retry_times", 0), self.backoff, after, self.max_retry_after)
        if delay is None:
            return response
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
        await asyncio.sleep(retry_delay(request.meta.get("retry_times", 0), self.backoff, None, self.max_retry_after))
        return new
