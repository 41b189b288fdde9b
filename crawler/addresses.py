"""The address policy: which IP addresses the crawler may connect to.

By default a link or redirect target whose address is not a public unicast address
(loopback, RFC 1918 / fc00::/7 private, link-local 169.254/16 and fe80::/10 — cloud
metadata lives there —, multicast, reserved, unspecified, CGNAT …) is not fetched:
a hostile page must not make an auditor inside a government network fetch intranet
addresses. The addresses the configured sites themselves resolve to are allowed
(an intranet portal, or test portals on loopback, need no configuration); other
networks are listed in ``crawl.allowed_networks``.

The check is made on the resolved address (after DNS, so a public name pointing at a
private address is caught), for every request, hence on every redirect hop; legacy
IPv4 literals (``2130706437``, ``0x7f000001``, ``127.1``) are read the way the
system resolver reads them.

Every gatherer applies it: the crawl (``crawler.middlewares.AddressPolicyMiddleware``), and
the IPv6 stage and the availability watch through their pinned-address client
(``crawler.ipv6.prober.Prober``, policy from :func:`site_policy`).

DNS rebinding (a name answering a public address when checked and a private one when
connected to) cannot pass between the check and the connection: the address checked is the
address connected to. The crawl's middleware resolves through the crawler's own caching
resolver, which the download then asks again and gets the same cached answer (the cache,
``DNSCACHE_SIZE`` names, is far larger than the requests in flight, so an entry cannot be
evicted in between); the pinned-address client connects to exactly the address it checked.
A name rebinding between two requests is checked again on the second one.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable

from core.models import PRIVATE_ADDRESS_REASON

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def literal_address(host: str) -> IPAddress | None:
    """The address ``host`` denotes by itself (IPv4/IPv6 literals, legacy IPv4 forms), else None."""
    host = host.strip("[]")
    try:
        return _unmapped(ipaddress.ip_address(host))
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host) and host[0].isdigit():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _unmapped(ip: IPAddress) -> IPAddress:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_public(ip: IPAddress) -> bool:
    ip = _unmapped(ip)
    return ip.is_global and not ip.is_multicast


class AddressPolicy:
    """Allowed: public unicast addresses, ``allowed`` addresses (the sites' own) and
    ``networks``."""

    def __init__(self, networks: Iterable[str] = (), allowed: Iterable[str] = ()):
        self.networks = [ipaddress.ip_network(n, strict=False) for n in networks]
        self.allowed: set[IPAddress] = set()
        for address in allowed:
            self.allow(address)

    def allow(self, address: str) -> None:
        ip = literal_address(address)
        if ip is not None:
            self.allowed.add(ip)

    def refusal(self, address: str) -> str | None:
        """None when ``address`` may be fetched, else why not (zh-CN)."""
        ip = literal_address(address)
        if ip is None:
            return f"{PRIVATE_ADDRESS_REASON}：无法识别的地址 {address}"
        if is_public(ip) or ip in self.allowed or any(ip in net for net in self.networks):
            return None
        return (f"{PRIVATE_ADDRESS_REASON}：{ip} 不是公网地址，也不在检查站点自身的地址或"
                " crawl.allowed_networks 中，未访问")


def site_policy(networks: Iterable[str], site_hosts: Iterable[str],
                resolve: Callable[[str], Iterable[str]]) -> AddressPolicy:
    """The policy of a gatherer outside the crawl: ``networks`` and every address the
    configured sites' hosts resolve to (``resolve(host)``: its A and AAAA answers)."""
    policy = AddressPolicy(networks)
    for host in site_hosts:
        literal = literal_address(host)
        for address in [str(literal)] if literal is not None else resolve(host):
            policy.allow(address)
    return policy
