"""Fetching one page over IPv6: an HTTP(S) request pinned to an AAAA address with the
page's Host header (SNI and certificate verification for https), redirects followed, retried."""

from __future__ import annotations

import errno
import http.client
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


HEAD_FALLBACK_STATUSES = (400, 403, 405, 501)  # as the crawler: HEAD refused → ranged GET
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_NETWORK_ERRNOS = {errno.ENETUNREACH: "网络不可达", errno.EHOSTUNREACH: "主机不可达",
                   errno.EADDRNOTAVAIL: "本机没有可用的 IPv6 地址"}


class Prober:
    """Fetches pages over IPv6 at pinned addresses, with retries and redirects."""

    def __init__(self, dns: Dns, *, allow_nonglobal: bool, timeout: float, retries: int, backoff: float,
                 user_agent: str, max_redirects: int, max_body: int, per_host: int, per_host_rate: float = 0.0):
        self.dns = dns
        self.allow_nonglobal = allow_nonglobal
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
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
        self.sent: list[dict[str, Any]] = []   # one row per request sent (the store's ``requests``)

    def usable(self, host: str) -> tuple[list[str], DnsAnswer]:
        answer = self.dns.query(host, "AAAA")
        usable, _ = split_usable(answer.answers, self.allow_nonglobal)
        return usable, answer

    def fetch(self, url: str, method: str = "GET", addresses: Sequence[str] | None = None) -> FetchResult:
        """The page at ``url`` over IPv6, redirects followed (each hop at its host's AAAA)."""

        started = time.perf_counter()
        current, hops, seen, attempts = url, [], {url}, 0
        first_host = (urlsplit(url).hostname or "").lower()
        result = FetchResult(Outcome.ERROR.value)
        for hop in range(self.max_redirects + 1):
            host = (urlsplit(current).hostname or "").lower()
            if addresses is None or host != first_host:
                usable, answer = self.usable(host)
                if not usable:
                    outcome = NO_AAAA if answer.decided else DNS_UNDECIDED_OUTCOME
                    where = f"跳转目标主机 {host}" if hop else f"主机 {host}"
                    error = f"{where} 没有可用的 IPv6 地址" if answer.decided else \
                        f"{where} 的 AAAA 查询失败：{DNS_LABELS[answer.status]}"
                    result = FetchResult(outcome, error=error, final_url=current)
                    break
            else:
                usable = list(addresses)
            result = self._fetch_retrying(current, method, usable)
            if method == "HEAD" and result.status in HEAD_FALLBACK_STATUSES:
                attempts += result.attempts
                method = "GET"
                result = self._fetch_retrying(current, method, usable, ranged=True)
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
            if target in seen:
                result = FetchResult(Outcome.REDIRECT_LOOP.value, status=result.status, final_url=target,
                                     error="循环跳转", address=result.address)
                break
            seen.add(target)
            current = target
            if result.status == 303:
                method = "GET"
        else:
            result = FetchResult(Outcome.REDIRECT_LOOP.value, final_url=current,
                                 error=f"跳转超过 {self.max_redirects} 次", address=result.address)
        result.attempts = max(attempts, result.attempts)
        result.redirects = [*hops, {"url": result.final_url, "status": result.status}] if hops else []
        result.elapsed = round(time.perf_counter() - started, 3)
        return result

    def _fetch_retrying(self, url: str, method: str, addresses: Sequence[str], ranged: bool = False) -> FetchResult:
        """One URL: each attempt tries the addresses in order until one answers; connection
        failures and 5xx are retried ``retries`` times with backoff."""
        result = FetchResult(Outcome.ERROR.value, error="没有可用的地址")
        attempts = 0
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            for address in addresses:
                attempts += 1
                result = self._fetch_once(url, method, address, ranged)
                if result.connected:
                    break
            if result.connected and (result.status or 0) < 500:
                break
        result.attempts = attempts
        return result

    def _fetch_once(self, url: str, method: str, address: str, ranged: bool = False) -> FetchResult:
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
            sent = {"url": url, "host": host, "method": method, "purpose": "ipv6", "retry": 0, "status": None,
                    "error": None, "bytes": 0, "elapsed": None, "requested_at": now_iso()}
            self.sent.append(sent)   # list.append is atomic: the worker threads share the list
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
            except ssl.SSLError as exc:
                return FetchResult(Outcome.TLS.value, error=f"TLS/证书错误：{exc.reason or exc}", address=address)
            except OSError as exc:
                label = _NETWORK_ERRNOS.get(exc.errno, "网络错误")
                return FetchResult(Outcome.ERROR.value, error=f"{label}：{exc.strerror or exc}", address=address)
            except http.client.HTTPException as exc:
                return FetchResult(Outcome.RESET.value, error=f"HTTP 协议错误：{type(exc).__name__}", address=address)
            finally:
                conn.close()
        title = _title(_decode(body, encoding), ctype) if body else ""
        outcome = Outcome.OK.value if status < 400 else Outcome.HTTP_ERROR.value
        return FetchResult(outcome, status=status, title=title, address=address,
                           error=None if status < 400 else f"HTTP {status}")

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


def _title(body: bytes, ctype: str) -> str:

    if "html" not in ctype and (ctype or b"<html" not in body[:2048].lower()):
        return ""
    if extract.looks_binary(body):
        return ""
    m = _CHARSET.search(ctype)
    text, _ = extract.decode_html(body, extract.normalize_charset(m.group(1)) if m else None)
    tree = extract.parse_tree(text)
    return extract.page_title(tree) if tree is not None else ""
