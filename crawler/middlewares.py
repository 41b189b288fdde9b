"""Downloader middlewares.

``PoliteRetryMiddleware`` replaces Scrapy's RetryMiddleware: same retry rules
(``RETRY_TIMES``, ``RETRY_HTTP_CODES``, network errors), plus exponential
backoff (``PORTAL_AUDIT_RETRY_BACKOFF`` seconds, doubled each attempt) and
honouring ``Retry-After`` on 429/503 up to ``PORTAL_AUDIT_MAX_RETRY_AFTER``
seconds. A longer Retry-After is not waited for: the response goes to the
spider, which records the URL as rate limited (inconclusive, not broken).
"""

from __future__ import annotations

import asyncio
import email.utils
import time

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.utils.response import response_status_message

from crawler.headers import header_int


def retry_after_seconds(value: bytes | str | None) -> float | None:
    """Parse a Retry-After header: delta seconds or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    seconds = header_int(text)
    if seconds is not None:
        return float(seconds)
    if text.isdigit():
        return float("inf")     # a number too large to be real: never waited for
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
