"""Downloader middlewares.

``AddressPolicyMiddleware`` refuses hosts resolving to intranet addresses (see
crawler/addresses.py): the request ends as ``excluded`` with the reason 内网地址.

``PoliteRetryMiddleware`` replaces Scrapy's RetryMiddleware with the retry rules of
:mod:`crawler.fetch_policy` (``RETRY_TIMES``, ``RETRY_HTTP_CODES``, network errors,
exponential backoff of ``PORTAL_AUDIT_RETRY_BACKOFF`` seconds, ``Retry-After`` on 429/503
honoured up to ``PORTAL_AUDIT_MAX_RETRY_AFTER`` seconds). A longer Retry-After is not
waited for: the response goes to the spider, which records the URL as rate limited
(inconclusive, not broken).

``RobotsTxtKeeper`` replaces Scrapy's RobotsTxtMiddleware, keeping the text it fetched.
"""

from __future__ import annotations

import asyncio

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import TextResponse
from scrapy.utils.defer import deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message
from twisted.internet.defer import Deferred

from crawler.addresses import AddressPolicy, literal_address
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


class RobotsTxtKeeper(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware that also keeps each host's robots.txt text for the
    spider (``spider.robots_txt``, by netloc): the ``Sitemap:`` lines it announces and the
    rule that disallows a start page are read from the one fetch the middleware makes."""

    def __init__(self, crawler):
        super().__init__(crawler)
        if hasattr(crawler.spider, "robots_txt"):
            crawler.spider.robots_rules = self   # asked by the spider before it carries a page without a request

    def allows(self, request) -> bool | None:
        """What :meth:`process_request` would decide of ``request`` now: True (it goes on), False
        (robots.txt forbids it), None (its host's robots.txt is not read yet)."""
        if request.meta.get("dont_obey_robotstxt"):
            return True
        parser = self._parsers.get(urlparse_cached(request).netloc, self)
        if parser is self or isinstance(parser, Deferred):
            return None
        if parser is None:   # robots.txt could not be read: everything is allowed
            return True
        return bool(parser.allowed(request.url, self._robotstxt_useragent
                                   or request.headers.get(b"User-Agent", self._default_useragent)))

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


class ForbiddenAddress(IgnoreRequest):
    """The request's host resolves to an address the policy refuses (crawler/addresses.py)."""


class AddressPolicyMiddleware:
    """Refuses requests whose host resolves to a non-public address that is neither one of
    the configured sites' own addresses nor in ``crawl.allowed_networks``
    (settings ``PORTAL_AUDIT_SITE_HOSTS``, ``PORTAL_AUDIT_ALLOWED_NETWORKS``). Runs on every
    request, so every redirect hop is checked; resolution goes through the crawler's
    resolver (cached), which the download then uses too."""

    def __init__(self, site_hosts, networks):
        self.site_hosts = list(site_hosts)
        self.policy = AddressPolicy(networks)
        self.ready = False

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        return cls(s.getlist("PORTAL_AUDIT_SITE_HOSTS"), s.getlist("PORTAL_AUDIT_ALLOWED_NETWORKS"))

    async def _address(self, host: str) -> str | None:
        literal = literal_address(host)
        if literal is not None:
            return str(literal)
        from twisted.internet import reactor

        try:
            return await deferred_to_future(reactor.resolve(host))
        except Exception:  # noqa: BLE001 - unresolvable: the download reports the DNS failure
            return None

    async def process_request(self, request):
        if not self.ready:
            for host in self.site_hosts:
                address = await self._address(host)
                if address:
                    self.policy.allow(address)
            self.ready = True
        host = urlparse_cached(request).hostname
        if not host:
            return None
        address = await self._address(host)
        if address is None:
            return None
        refusal = self.policy.refusal(address)
        if refusal:
            raise ForbiddenAddress(refusal)
        return None
