"""Threaded HTTP server for a :class:`SamplePortal` on loopback addresses.

One listener per address (all on the same port), dispatch by the Host header
(virtual hosting, see :attr:`SampleServer.vhosts`), falling back to the role of
the address the connection arrived on.  Responses are HTTP/1.0-style
(``Connection: close``), with Content-Type/Content-Length, HEAD and single
byte-range support.
"""

from __future__ import annotations

import hashlib
import ipaddress
import random
import re
import socket
import socketserver
import struct
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote, urlsplit
from xml.sax.saxutils import escape

from .model import (
    DEFAULT_HOSTS,
    MAIN,
    ROLES,
    ExpectedFinding,
    Request,
    Resource,
    Response,
    SamplePortal,
    closed_port,
    render_tokens,
)

_REASONS_EXTRA = {999: "Request denied", 412: "Precondition Failed"}
SITEMAP_URLS = 1000   # entries per sitemap: more make /sitemap.xml an index of /sitemap_N.xml
_SITEMAP_PATH = re.compile(r"^/sitemap(?:_(\d+))?\.xml$")
_CST = timezone(timedelta(hours=8))


def _check_loopback(host: str) -> None:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"listen address must be a loopback IP literal, got {host!r}") from None
    if not ip.is_loopback:
        raise ValueError(f"refusing to listen on non-loopback address {host!r}")


def _host_name(host_header: str) -> str:
    """'127.0.0.1:8080' -> '127.0.0.1', '[::1]:80' -> '::1', 'WWW.X.cn.' -> 'www.x.cn'."""
    h = host_header.strip()
    if h.startswith("["):
        end = h.find("]")
        return h[1:end].lower() if end > 0 else h.lower()
    if h.count(":") == 1:
        h = h.split(":", 1)[0]
    return h.rstrip(".").lower()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class _Listener(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, address, app: "SampleServer", role: str, ipv6: bool = False):
        self.address_family = socket.AF_INET6 if ipv6 else socket.AF_INET
        self.app = app
        self.role = role
        self.is_ipv6 = ipv6
        super().__init__(address, _Handler, bind_and_activate=False)
        try:
            self.server_bind()
            self.server_activate()
        except BaseException:
            self.server_close()
            raise

    def server_bind(self):
        if self.is_ipv6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        # Not HTTPServer.server_bind: it calls socket.getfqdn() (a reverse lookup).
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = self.server_address[1]

    def handle_error(self, request, client_address):  # quiet: clients hang up on purpose
        self.app._errors += 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server_version = "nginx"
    sys_version = ""
    timeout = 30

    def log_message(self, format, *args):  # noqa: A002 - quiet logging
        pass

    def do_GET(self):
        self.server.app._handle(self, "GET")

    def do_HEAD(self):
        self.server.app._handle(self, "HEAD")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 1 << 20))
        self.server.app._handle(self, "POST")


class SampleServer:
    """A running sample portal: ``serve(portal, …)`` (an alias of this class) serves
    *portal* on loopback *hosts* (roles main, other, spam in that order).

    All addresses share one port (``port=0`` picks a free one).  With
    ``ipv6=True`` ``[::1]`` listens on the same port too (IPV6_V6ONLY) and serves
    the main site; for Host names in *ipv6_fail_hosts* the IPv6 listener resets
    the connection instead of answering.  *aliases* maps extra Host names (e.g.
    ``www.sample.gov.cn``) to roles; see :meth:`SampleServer.add_host`.
    *poll_interval* is how often an idle listener looks for :meth:`stop` (a simulation of
    many portals in one process raises it: every idle listener wakes that often).
    *sitemap*: serve each site's ``/sitemap.xml`` (``Site.sitemap``, with ``<lastmod>``s; an
    index of ``/sitemap_N.xml`` beyond :data:`SITEMAP_URLS` entries); None: as the portal says
    (``SamplePortal.serve_sitemap``).
    """

    def __init__(
        self,
        portal: SamplePortal,
        hosts=DEFAULT_HOSTS,
        port: int = 0,
        ipv6: bool = False,
        ipv6_fail_hosts=(),
        aliases: dict[str, str] | None = None,
        rate_limit: float = 0.0,
        latency: tuple[float, float] = (0.0, 0.0),
        poll_interval: float = 0.1,
        sitemap: bool | None = None,
    ):
        hosts = tuple(hosts)
        if not hosts:
            raise ValueError("at least one host is required")
        for h in hosts:
            _check_loopback(h)
        self.portal = portal
        self.hosts = hosts
        self.ipv6 = ipv6
        self.ipv6_fail_hosts = frozenset(_host_name(h) for h in ipv6_fail_hosts)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._counters: dict[tuple[str, str], int] = {}
        self._cache: dict[tuple[str, str], bytes] = {}
        self.edits: dict[tuple[str, str], str] = {}   # (role, path) → HTML added before </body>
        self.sitemap = portal.serve_sitemap if sitemap is None else sitemap
        self.lastmods: dict[tuple[str, str], str] = {}   # (role, path) → its sitemap lastmod, when set here
        # politeness enforced like a strict portal: more than rate_limit requests/s for one Host
        # name (a token bucket holding rate_limit tokens) get a 429; every answer waits latency s
        self.rate_limit = rate_limit
        self.latency = latency
        self._buckets: dict[str, tuple[float, float]] = {}   # host → (tokens, when)
        self.refused = 0
        self._errors = 0
        self.requests: list[tuple[str, str, str]] = []  # (role, method, raw request path)
        self._listeners: list[_Listener] = []
        self._threads: list[threading.Thread] = []

        self._bind(port)
        self.closed_port = self._pick_closed_port()

        # role -> base URL used in generated links (no trailing slash)
        # (a role without a listener keeps its default address, so its links are refused)
        self.bases = {role: f"http://{_url_host(h)}:{self.port}" for role, h in zip(ROLES, DEFAULT_HOSTS)}
        self.bases.update({role: f"http://{_url_host(h)}:{self.port}" for role, h in zip(ROLES, hosts)})
        # The single place mapping Host header names to sites. Add names with add_host().
        self.vhosts: dict[str, str] = {}
        for role, h in zip(ROLES, hosts):
            self.vhosts[_host_name(h)] = role
        self.vhosts.setdefault("localhost", MAIN)
        if ipv6:
            self.vhosts.setdefault("::1", MAIN)
        for name, role in (aliases or {}).items():
            self.add_host(name, role)

        self.expected: list[ExpectedFinding] = [
            ExpectedFinding(
                e.check,
                self.render(e.url),
                self.render(e.page) if e.page is not None else None,
            )
            for e in portal.expected_templates
        ]
        # planted look-alikes that must NOT be reported: name -> absolute URL
        self.lookalikes: dict[str, str] = {k: self.render(v) for k, v in portal.lookalikes.items()}
        for lst in self._listeners:
            t = threading.Thread(
                target=lst.serve_forever,
                kwargs={"poll_interval": poll_interval},
                name=f"sample-http-{lst.server_address[0]}",
                daemon=True,
            )
            t.start()
            self._threads.append(t)

    # -- binding ---------------------------------------------------------
    def _bind(self, port: int) -> None:
        addresses = [(h, False) for h in self.hosts]
        if self.ipv6:
            addresses.append(("::1", True))
        attempts = 50 if port == 0 else 1
        last_error: OSError | None = None
        for _ in range(attempts):
            listeners: list[_Listener] = []
            try:
                chosen = port
                for i, (h, v6) in enumerate(addresses):
                    role = ROLES[i] if i < len(ROLES) and not v6 else MAIN
                    lst = _Listener((h, chosen), self, role, ipv6=v6)
                    listeners.append(lst)
                    chosen = lst.server_address[1]
                self._listeners = listeners
                self.port = chosen
                return
            except OSError as exc:
                last_error = exc
                for lst in listeners:
                    lst.server_close()
        raise OSError(f"could not bind port {port} on {addresses}: {last_error}")

    def _pick_closed_port(self) -> int:
        for _ in range(20):
            p = closed_port("127.0.0.1")  # planted links say http://127.0.0.1:<closed>/
            if p != self.port:
                return p
        raise RuntimeError("no closed port found")

    # -- public API ------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{_url_host(self.hosts[0])}:{self.port}/"

    def url(self, path: str = "/", host: str | None = None) -> str:
        host = host or self.hosts[0]
        if not path.startswith("/"):
            path = "/" + path
        return f"http://{_url_host(host)}:{self.port}{path}"

    def base(self, role: str = MAIN) -> str:
        """Base URL (no trailing slash) of a role's host: main, other, spam."""
        return self.bases[role]

    def add_host(self, name: str, role: str = MAIN) -> None:
        """Serve the site of *role* for requests whose Host header is *name*."""
        if role not in self.portal.sites:
            raise KeyError(role)
        self.vhosts[_host_name(name)] = role

    def render(self, text: str) -> str:
        return render_tokens(text, self.bases, self.closed_port)

    def edit(self, path: str, html: str, role: str = MAIN, lastmod: bool = True) -> None:
        """Change a page from now on: ``html`` goes before its ``</body>`` (a changed page for the
        incremental runs; its ETag changes with it, and its sitemap lastmod becomes now, as a
        CMS's does; ``lastmod=False``: a site whose sitemap lies)."""
        with self._lock:
            self.edits[(role, path)] = html
            if lastmod:
                self.lastmods[(role, path)] = datetime.now(_CST).isoformat(timespec="seconds")

    def set_lastmod(self, path: str, text: str, role: str = MAIN) -> None:
        """What the sitemap says of a page's ``<lastmod>`` from now on (any text: a wrong one)."""
        with self._lock:
            self.lastmods[(role, path)] = text

    def reset(self) -> None:
        """Forget per-path counters (429-then-200) and the request log."""
        with self._lock:
            self._counters.clear()
            self.requests.clear()

    def count(self, role: str, path: str) -> int:
        """Increment and return the per-(role, path) request counter."""
        with self._lock:
            n = self._counters.get((role, path), 0) + 1
            self._counters[(role, path)] = n
            return n

    def hits(self, path: str, role: str | None = None) -> int:
        """How many requests reached *path* (raw request path, query included)."""
        with self._lock:
            return sum(1 for r, _m, p in self.requests if p == path and (role is None or r == role))

    def stop(self) -> None:
        self._stop.set()
        stoppers = [threading.Thread(target=lst.shutdown, daemon=True) for lst in self._listeners]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join(5)
        for lst in self._listeners:
            lst.server_close()
        for t in self._threads:
            t.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self):
        return f"<SampleServer {self.portal.kind} {self.base_url}>"

    # -- request handling --------------------------------------------------
    def _handle(self, h: _Handler, method: str) -> None:
        listener: _Listener = h.server
        host_header = h.headers.get("Host", "") or ""
        hostname = _host_name(host_header) if host_header else ""
        if listener.is_ipv6 and hostname in self.ipv6_fail_hosts:
            self._abort(h)
            return
        role = self.vhosts.get(hostname, listener.role)
        if self.rate_limit and not self._admit(hostname or listener.server_address[0]):
            self._too_many(h)
            return
        if self.latency[1] and self._stop.wait(random.uniform(*self.latency)):
            self._abort(h)
            return
        split = urlsplit(h.path)
        raw_path = split.path or "/"
        path = unquote(raw_path, errors="replace").split(";", 1)[0] or "/"
        with self._lock:
            self.requests.append((role, method, h.path))
        site = self.portal.sites.get(role) or self.portal.sites[MAIN]
        sitemap = self._sitemap(role, site, path, host_header) if self.sitemap and site.sitemap else None
        if sitemap is not None:
            self._send(h, method, Response(body=sitemap, content_type="application/xml; charset=utf-8"), sitemap,
                       host_header)
            return
        key, res = site.lookup(path, split.query)
        if res is None:
            key, res = "\0notfound", site.not_found
        req = Request(method, path, split.query, h.headers, role, host_header, self)
        resp = res.respond(req)
        if resp.reset:
            self._abort(h)
            return
        if resp.delay and self._stop.wait(resp.delay):
            self._abort(h)
            return
        cache_key = (role, key) if key is not None and res.handler is None and resp.status == 200 else None
        body = self._body(resp, cache_key)
        edit = self.edits.get((role, path))
        if edit is not None and isinstance(body, bytes):
            body = body.replace(b"</body>", self.render(edit).encode(resp.encoding, "xmlcharrefreplace") + b"</body>", 1)
        self._send(h, method, resp, body, host_header or self.bases.get(role, "").split("//", 1)[-1])

    def _sitemap(self, role: str, site, path: str, host_header: str) -> bytes | None:
        """The body of sitemap ``path`` of ``site`` (None: not one of its sitemaps). Its URLs
        name the host the request named, as a CMS configured with its domain does."""
        m = _SITEMAP_PATH.match(path)
        if m is None:
            return None
        base = f"http://{host_header}" if host_header else self.bases[role]
        with self._lock:
            entries = [(p, self.lastmods.get((role, p), lastmod)) for p, lastmod in site.sitemap()]
        chunks = [entries[i:i + SITEMAP_URLS] for i in range(0, len(entries), SITEMAP_URLS)] or [[]]
        head = '<?xml version="1.0" encoding="UTF-8"?>\n'
        ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        if m.group(1) is None and len(chunks) > 1:
            items = "".join(f"<sitemap><loc>{base}/sitemap_{n}.xml</loc></sitemap>\n" for n in range(1, len(chunks) + 1))
            return f"{head}<sitemapindex {ns}>\n{items}</sitemapindex>\n".encode()
        n = int(m.group(1) or 1)
        if not 1 <= n <= len(chunks) or (m.group(1) is not None and len(chunks) == 1):
            return None
        items = "".join(f"<url><loc>{escape(base + quote(p))}</loc>" + (f"<lastmod>{escape(t)}</lastmod>" if t else "")
                        + "</url>\n" for p, t in chunks[n - 1])
        return f"{head}<urlset {ns}>\n{items}</urlset>\n".encode()

    def _admit(self, host: str) -> bool:
        with self._lock:
            now = time.monotonic()
            tokens, when = self._buckets.get(host, (self.rate_limit, now))
            tokens = min(self.rate_limit, tokens + (now - when) * self.rate_limit)
            if tokens < 1:
                self._buckets[host] = (tokens, now)
                self.refused += 1
                return False
            self._buckets[host] = (tokens - 1, now)
            return True

    @staticmethod
    def _too_many(h: _Handler) -> None:
        try:
            h.send_response_only(429, "Too Many Requests")
            for name, value in (("Retry-After", "1"), ("Content-Length", "0"), ("Connection", "close")):
                h.send_header(name, value)
            h.end_headers()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            h.close_connection = True

    def _body(self, resp: Response, cache_key) -> bytes:
        if cache_key is not None:
            cached = self._cache.get(cache_key)
            if cached is not None:
                return cached
        body = resp.body
        if callable(body):
            body = body()
        if isinstance(body, str):
            body = self.render(body).encode(resp.encoding, errors="xmlcharrefreplace")
        if cache_key is not None:
            self._cache[cache_key] = body
        return body

    def _send(self, h: _Handler, method: str, resp: Response, body: bytes, host_header: str) -> None:
        status = resp.status
        headers = list(resp.headers)
        if status == 200 and method == "GET" and h.headers.get("Range"):
            rng = _parse_range(h.headers["Range"], len(body))
            if rng == "invalid":
                status = 416
                headers.append(("Content-Range", f"bytes */{len(body)}"))
                body = b""
            elif rng is not None:
                start, end = rng
                headers.append(("Content-Range", f"bytes {start}-{end}/{len(body)}"))
                body = body[start : end + 1]
                status = 206
        if status == 200 and method in ("GET", "HEAD"):
            # validators as a web server sends them: an ETag of the body, honoured on If-None-Match
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            headers.append(("ETag", etag))
            if h.headers.get("If-None-Match") == etag:
                status, body = 304, b""
        reason = resp.reason or _REASONS_EXTRA.get(status)
        if reason is None:
            reason = h.responses.get(status, ("",))[0]
        try:
            h.send_response_only(status, reason)
            h.send_header("Server", "nginx")
            h.send_header("Date", formatdate(time.time(), usegmt=True))
            if resp.content_type:
                h.send_header("Content-Type", resp.content_type)
            if status != 304:
                h.send_header("Content-Length", str(len(body)))
            if resp.location is not None:
                h.send_header("Location", self._location(resp.location, host_header))
            for name, value in headers:
                h.send_header(name, self.render(value))
            h.send_header("Connection", "close")
            h.end_headers()
            if method != "HEAD" and body:
                h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            h.close_connection = True

    def _location(self, location: str, host_header: str) -> str:
        if location.startswith("/"):
            return f"http://{host_header}{location}"
        return self.render(location)

    @staticmethod
    def _abort(h: _Handler) -> None:
        """Reset the connection (RST) without answering."""
        h.close_connection = True
        try:
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.connection.close()
        except OSError:
            pass


def _parse_range(value: str, size: int):
    """Single 'bytes=a-b' range -> (start, end) inclusive; None to ignore; 'invalid' -> 416."""
    value = value.strip()
    if not value.startswith("bytes=") or "," in value:
        return None
    spec = value[6:].strip()
    if "-" not in spec:
        return None
    first, last = spec.split("-", 1)
    try:
        if first == "":
            n = int(last)
            if n <= 0:
                return "invalid"
            return max(0, size - n), size - 1
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return None
    if start >= size or end < start:
        return "invalid"
    return start, min(end, size - 1)


serve = SampleServer  # `serve(portal, hosts=…, port=…)`: the documented way to start one


__all__ = ["SampleServer", "serve", "Resource", "Response"]
