"""Fetching one page over IPv6: an HTTP(S) request pinned to an AAAA address with the
page's Host header (SNI and certificate verification for https), redirects followed and
retried, each answer judged, under the crawl's own fetch policy (:mod:`crawler.fetch_policy`)
and address policy (:mod:`crawler.addresses`: every hop's addresses are checked before any
connection; a hop with none allowed ends ``excluded``, 内网地址)."""

from __future__ import annotations

import errno
import http.client
import itertools
import re
import socket
import ssl
import threading
import time
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from core.ipv6 import DNS_LABELS, DNS_UNDECIDED_OUTCOME, NO_AAAA, split_usable
from core.models import Outcome
from core.text import now_iso
from crawler import extract
from crawler.addresses import AddressPolicy
from crawler.fetch_policy import (HEAD_FALLBACK_STATUSES, RETRY_STATUSES, TOO_LARGE_ERROR, classify_status,
                                   redirect_verdict, retry_after_seconds, retry_delay, tls_error, too_large)
from crawler.ipv6.dns_client import Dns, DnsAnswer
from crawler.urls import InvalidURL, normalize_href

# -- fetching over IPv6 ----------------------------------------------------------------------

@dataclass
class FetchResult:
    outcome: str
    status: int | None = None
    final_url: str | None = None
    title: str | None = None
    error: str | None = None
    attempts: int = 0
    elapsed: float = 0.0
    address: str | None = None
    redirects: list[dict[str, Any]] = field(default_factory=list)
    location: str | None = None
    retry_after: float | None = None     # the answer's Retry-After (429/503), seconds
    sent: list[dict[str, Any]] = field(default_factory=list)   # the requests made (the store's ``requests`` rows)

    @property
    def connected(self) -> bool:
        return self.status is not None


class _PinnedHTTP(http.client.HTTPConnection):
    """HTTP to one IP address; Host header from the URL's host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._create_connection = lambda _addr, timeout=None, source=None: socket.create_connection(
            (address, port), timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to one IP address; SNI and certificate verification for the URL's host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._create_connection = lambda _addr, timeout=None, source=None: socket.create_connection(
            (address, port), timeout)


_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_NETWORK_ERRNOS = {errno.ENETUNREACH: "网络不可达", errno.EHOSTUNREACH: "主机不可达",
                   errno.EADDRNOTAVAIL: "本机没有可用的 IPv6 地址"}


class Prober:
    """Fetches pages over IPv6 at pinned addresses, with retries and redirects."""

    def __init__(self, dns: Dns, *, policy: AddressPolicy, allow_nonglobal: bool, timeout: float, retries: int,
                 backoff: float, max_retry_after: float, user_agent: str, max_redirects: int, max_size: int,
                 max_body: int, per_host: int, per_host_rate: float = 0.0):
        self.dns = dns
        self.policy = policy               # the address policy: checked on every hop, before connecting
        self.allow_nonglobal = allow_nonglobal
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.max_size = max_size          # the crawl's size limit: a bigger answer is too large
        self.user_agent = user_agent
        self.max_redirects = max_redirects
        self.max_body = max_body
        self.per_host = max(1, per_host)
        self._host_slots: dict[str, threading.Semaphore] = defaultdict(lambda: threading.Semaphore(self.per_host))
        self._slots_lock = threading.Lock()
        # requests per second per host (0: no limit), as in the crawl: the next request to a host
        # starts no earlier than 1/rate after the previous one
        self.interval = 1.0 / per_host_rate if per_host_rate > 0 else 0.0
        self._next_start: dict[str, float] = {}
        self._local = threading.local()   # the requests of the fetch a thread is making

    def usable(self, host: str, family: int = 6) -> tuple[list[str], DnsAnswer]:
        if family == 4:
            answer = self.dns.query(host, "A")
            return list(answer.answers), answer
        answer = self.dns.query(host, "AAAA")
        usable, _ = split_usable(answer.answers, self.allow_nonglobal)
        return usable, answer

    def fetch(self, url: str, method: str = "GET", addresses: Sequence[str] | None = None,
              family: int = 6) -> FetchResult:
        """The page at ``url`` over IPv6 (``family=4``: over IPv4, to compare an answer with
        one taken at the same moment under the same policy), redirects followed (each hop at
        its host's AAAA, or A)."""
        started = time.perf_counter()
        self._local.sent = made = []
        current, hops, attempts = url, [], 0
        first_host = (urlsplit(url).hostname or "").lower()
        result = FetchResult(Outcome.ERROR.value)
        for hop in itertools.count():   # ends at an answer, or at the redirect verdict
            host = (urlsplit(current).hostname or "").lower()
            if addresses is None or host != first_host:
                usable, answer = self.usable(host, family)
                if not usable:
                    outcome = NO_AAAA if answer.decided else DNS_UNDECIDED_OUTCOME
                    where = f"跳转目标主机 {host}" if hop else f"主机 {host}"
                    error = f"{where} 没有可用的 IPv6 地址" if answer.decided else \
                        f"{where} 的 AAAA 查询失败：{DNS_LABELS[answer.status]}"
                    result = FetchResult(outcome, error=error, final_url=current)
                    break
            else:
                usable = list(addresses)
            refusals = [self.policy.refusal(a) for a in usable]
            if usable and all(refusals):
                result = FetchResult(Outcome.EXCLUDED.value, final_url=current, error=refusals[0])
                break
            usable = [a for a, refused in zip(usable, refusals) if not refused]
            result = self._fetch_retrying(current, method, usable, family)
            if method == "HEAD" and result.status in HEAD_FALLBACK_STATUSES:
                attempts += result.attempts
                method = "GET"
                result = self._fetch_retrying(current, method, usable, family, ranged=True)
            attempts += result.attempts
            if result.location is None:
                result.final_url = current
                break
            location = result.location
            hops.append({"url": current, "status": result.status})
            try:
                target = normalize_href(location, current)
            except InvalidURL as exc:
                result = FetchResult(Outcome.HTTP_ERROR.value, status=result.status, final_url=location,
                                     error=f"跳转地址无效：{location}（{exc}）", address=result.address)
                break
            verdict = redirect_verdict([hop["url"] for hop in hops], target, self.max_redirects)
            if verdict is not None:
                outcome, error = verdict
                result = FetchResult(outcome.value, status=result.status, final_url=target, error=error,
                                     address=result.address)
                break
            current = target
            if result.status == 303:
                method = "GET"
        result.attempts = max(attempts, result.attempts)
        result.redirects = [*hops, {"url": result.final_url, "status": result.status}] if hops else []
        result.elapsed = round(time.perf_counter() - started, 3)
        result.sent = made
        return result

    def _fetch_retrying(self, url: str, method: str, addresses: Sequence[str], family: int,
                        ranged: bool = False) -> FetchResult:
        """One URL: each attempt tries the addresses in order until one answers; connection
        failures and the fetch policy's retry statuses are retried ``retries`` times, with its
        backoff and Retry-After."""
        result = FetchResult(Outcome.ERROR.value, error="没有可用的地址")
        attempts = 0
        for attempt in range(self.retries + 1):
            for address in addresses:
                attempts += 1
                result = self._fetch_once(url, method, address, family, ranged)
                if result.connected:
                    break
            if attempt == self.retries or (result.connected and result.status not in RETRY_STATUSES):
                break
            delay = retry_delay(attempt, self.backoff, result.retry_after, self.max_retry_after)
            if delay is None:
                break
            time.sleep(delay)
        result.attempts = attempts
        return result

    def _fetch_once(self, url: str, method: str, address: str, family: int, ranged: bool = False) -> FetchResult:
        parts = urlsplit(url)
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        cls = _PinnedHTTPS if https else _PinnedHTTP
        host = parts.hostname or ""
        slot = self._slot(host)
        with slot:
            self._pace(host)
            conn = cls(host, port, address, self.timeout)
            sent = {"url": url, "host": host, "method": method, "purpose": f"ipv{family}", "retry": 0, "status": None,
                    "error": None, "bytes": 0, "elapsed": None, "requested_at": now_iso()}
            self._local.sent.append(sent)
            started = time.perf_counter()
            try:
                conn.request(method, path, headers={
                    "User-Agent": self.user_agent.encode("utf-8"), "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
                    "Accept-Language": "zh-CN,zh;q=0.9", "Accept-Encoding": "gzip, deflate", "Connection": "close",
                    **({"Range": "bytes=0-1023"} if ranged else {})})
                resp = conn.getresponse()
                status = resp.status
                if 300 <= status < 400 and resp.getheader("Location"):
                    resp.close()
                    return FetchResult(Outcome.OK.value, status=status, location=resp.getheader("Location"),
                                       address=address)
                retry_after = retry_after_seconds(resp.getheader("Retry-After")) if status in (429, 503) else None
                length = resp.getheader("Content-Length")
                if too_large(int(length) if length and length.isdigit() else None, self.max_size):
                    sent.update(status=status, elapsed=round(time.perf_counter() - started, 4))
                    return FetchResult(Outcome.TOO_LARGE.value, status=status, error=TOO_LARGE_ERROR, address=address)
                body = resp.read(self.max_body) if method != "HEAD" else b""
                ctype = (resp.getheader("Content-Type") or "").lower()
                encoding = (resp.getheader("Content-Encoding") or "").lower()
                sent.update(status=status, bytes=len(body), elapsed=round(time.perf_counter() - started, 4))
            except (TimeoutError, socket.timeout):
                return FetchResult(Outcome.TIMEOUT.value, error=f"{self.timeout:g} 秒内无响应", address=address)
            except ConnectionRefusedError:
                return FetchResult(Outcome.REFUSED.value, error="连接被拒绝", address=address)
            except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, http.client.RemoteDisconnected,
                    http.client.IncompleteRead, http.client.BadStatusLine) as exc:
                return FetchResult(Outcome.RESET.value, error=f"连接中断（{type(exc).__name__}）", address=address)
            except ssl.SSLCertVerificationError as exc:
                return FetchResult(Outcome.TLS.value, error=tls_error(exc.verify_message or exc.reason or str(exc)),
                                   address=address)
            except ssl.SSLError as exc:
                return FetchResult(Outcome.TLS.value, error=tls_error(exc.reason or str(exc)), address=address)
            except OSError as exc:
                label = _NETWORK_ERRNOS.get(exc.errno, "网络错误")
                return FetchResult(Outcome.ERROR.value, error=f"{label}：{exc.strerror or exc}", address=address)
            except http.client.HTTPException as exc:
                return FetchResult(Outcome.RESET.value, error=f"HTTP 协议错误：{type(exc).__name__}", address=address)
            finally:
                conn.close()
        title, text = _page(_decode(body, encoding), ctype) if body else ("", "")
        outcome, error = classify_status(status, title, text, retry_after)
        return FetchResult(outcome.value, status=status, title=title, address=address, error=error,
                           retry_after=retry_after)

    def _pace(self, host: str) -> None:
        if not self.interval:
            return
        with self._slots_lock:
            now = time.monotonic()
            start = max(now, self._next_start.get(host, 0.0))
            self._next_start[host] = start + self.interval
        if start > now:
            time.sleep(start - now)

    def _slot(self, host: str) -> threading.Semaphore:
        with self._slots_lock:
            return self._host_slots[host]


def _decode(body: bytes, encoding: str) -> bytes:
    if encoding in ("gzip", "x-gzip", "deflate"):
        try:
            return zlib.decompressobj(47).decompress(body)  # 47: gzip or zlib header, auto-detected
        except zlib.error:
            try:
                return zlib.decompressobj(-15).decompress(body)
            except zlib.error:
                return body
    return body


def _page(body: bytes, ctype: str) -> tuple[str, str]:
    """(<title>, text) of an HTML answer: what the outcome and the IPv4/IPv6 comparison read."""
    if "html" not in ctype and (ctype or b"<html" not in body[:2048].lower()):
        return "", ""
    if extract.looks_binary(body):
        return "", ""
    m = _CHARSET.search(ctype)
    html, _ = extract.decode_html(body, extract.normalize_charset(m.group(1)) if m else None)
    tree = extract.parse_tree(html)
    if tree is None:
        return "", ""
    return extract.page_title(tree), extract.text_of(tree)
