"""PortalResolver: the crawler's DNS resolver (Scrapy ``DNS_RESOLVER``).

- IP literals and ``localhost`` resolve locally.
- Names under the special-use ``.invalid`` TLD (RFC 6761) fail at once,
  without any traffic.
- With ``PORTAL_AUDIT_DNS`` nameservers set (the config's ``dns:`` section),
  names are resolved with dnspython against those servers; otherwise the
  system resolver is used, as Scrapy does by default.
"""

from __future__ import annotations

import ipaddress

import dns.exception
import dns.resolver
from scrapy.resolver import CachingThreadedResolver, dnscache
from twisted.internet import defer, threads
from twisted.internet.error import DNSLookupError


def make_resolver(nameservers, port: int, timeout: float, retries: int) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = list(nameservers)
    resolver.port = port
    resolver.timeout = timeout
    resolver.lifetime = timeout * (retries + 1)
    return resolver


def special_answer(name: str) -> str | None | Exception:
    """Local answer for names that must never reach a DNS server; None = ask DNS."""
    try:
        ipaddress.ip_address(name.strip("[]"))
        return name.strip("[]")
    except ValueError:
        pass
    lowered = name.lower().rstrip(".")
    if lowered == "localhost" or lowered.endswith(".localhost"):
        return "127.0.0.1"
    if lowered == "invalid" or lowered.endswith(".invalid"):
        return DNSLookupError(f"{name}: 保留的 .invalid 域名（RFC 6761），无法解析")
    return None


class PortalResolver(CachingThreadedResolver):
    def __init__(self, reactor, cache_size, timeout, dns_settings):
        super().__init__(reactor, cache_size, timeout)
        self.dns = None
        if dns_settings and dns_settings.get("nameservers"):
            self.dns = make_resolver(dns_settings["nameservers"], dns_settings.get("port", 53),
                                     dns_settings.get("timeout", 3.0), dns_settings.get("retries", 2))

    @classmethod
    def from_crawler(cls, crawler, reactor):
        s = crawler.settings
        cache = s.getint("DNSCACHE_SIZE") if s.getbool("DNSCACHE_ENABLED") else 0
        return cls(reactor, cache, s.getfloat("DNS_TIMEOUT"), s.getdict("PORTAL_AUDIT_DNS"))

    def getHostByName(self, name, timeout=()):
        local = special_answer(name)
        if isinstance(local, Exception):
            return defer.fail(local)
        if local is not None:
            return defer.succeed(local)
        if self.dns is None:
            return super().getHostByName(name, timeout)
        if name in dnscache:
            return defer.succeed(dnscache[name])
        d = threads.deferToThreadPool(self.reactor, self.reactor.getThreadPool(), self._lookup, name)
        if dnscache.limit:
            d.addCallback(self._cache_result, name)
        return d

    def _lookup(self, name: str) -> str:
        try:
            answer = self.dns.resolve(name, "A")
        except dns.resolver.NXDOMAIN:
            raise DNSLookupError(f"{name}: NXDOMAIN（域名不存在）") from None
        except dns.resolver.NoAnswer:
            raise DNSLookupError(f"{name}: 没有 A 记录") from None
        except dns.resolver.NoNameservers:
            raise DNSLookupError(f"{name}: SERVFAIL（域名服务器无法应答）") from None
        except dns.exception.Timeout:
            raise DNSLookupError(f"{name}: DNS 查询超时") from None
        return answer[0].address
