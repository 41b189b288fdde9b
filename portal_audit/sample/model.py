"""Data model of the sample portal: sites, resources, responses, expected findings.

Page bodies are stored as text with *tokens* in place of the absolute base URLs
of the three hosts (``@@MAIN@@``, ``@@OTHER@@``, ``@@SPAM@@``, e.g.
``http://127.0.0.1:PORT``) and of the closed port (``@@CLOSED@@``).  The server
substitutes them once the port is known, so every cross-host link carries the
real port.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Union
from urllib.parse import parse_qs

if TYPE_CHECKING:  # pragma: no cover
    from email.message import Message

MAIN, OTHER, SPAM = "main", "other", "spam"
ROLES = (MAIN, OTHER, SPAM)
TOKENS = {MAIN: "@@MAIN@@", OTHER: "@@OTHER@@", SPAM: "@@SPAM@@"}
CLOSED_TOKEN = "@@CLOSED@@"
DEFAULT_HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3")

HTML_UTF8 = "text/html; charset=utf-8"
HTML_BARE = "text/html"

Body = Union[str, bytes, Callable[[], Union[str, bytes]]]


@dataclass(frozen=True)
class ExpectedFinding:
    """A planted defect the audit must report.

    ``url`` is the defective resource (broken target, offending target page or
    hidden spam target); ``page`` is one representative page on which the link
    sits, or ``None`` for site-level findings.
    """

    check: str
    url: str
    page: str | None = None


@dataclass
class Request:
    method: str
    path: str  # percent-decoded path, path parameters (;jsessionid=...) removed
    query: str
    headers: "Message"
    role: str
    host: str  # Host header as sent (may carry the port)
    server: Any  # the SampleServer that received it (server.py builds on this module)

    @property
    def params(self) -> dict[str, list[str]]:
        return parse_qs(self.query, keep_blank_values=True)

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.params.get(name)
        return values[0] if values else default


@dataclass
class Response:
    status: int = 200
    body: Body = b""
    content_type: str | None = HTML_UTF8
    encoding: str = "utf-8"  # used to encode str bodies
    headers: list[tuple[str, str]] = field(default_factory=list)
    reason: str | None = None
    delay: float = 0.0
    location: str | None = None  # "/path" (made absolute with the Host header) or tokenised URL
    reset: bool = False  # abort the connection without answering


@dataclass
class Resource:
    """A path's behaviour: a static response, or ``handler(request) -> Response``."""

    body: Body = b""
    status: int = 200
    content_type: str | None = HTML_UTF8
    encoding: str = "utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    reason: str | None = None
    delay: float = 0.0
    location: str | None = None
    head_status: int | None = None  # HEAD answered with this status (empty body)
    handler: Callable[[Request], Response] | None = None
    page: bool = True  # an HTML page (counted in SamplePortal.pages when 200)

    def respond(self, req: Request) -> Response:
        if self.handler is not None:
            return self.handler(req)
        if req.method == "HEAD" and self.head_status is not None:
            return Response(
                status=self.head_status,
                body="",
                content_type=HTML_UTF8,
                headers=[("Allow", "GET, POST")] if self.head_status == 405 else [],
            )
        return Response(
            status=self.status,
            body=self.body,
            content_type=self.content_type,
            encoding=self.encoding,
            headers=list(self.headers),
            reason=self.reason,
            delay=self.delay,
            location=self.location,
        )


@dataclass
class Site:
    """One virtual host's content."""

    role: str
    name: str
    resources: dict[str, Resource] = field(default_factory=dict)
    resolvers: list[Callable[[str], "Resource | None"]] = field(default_factory=list)
    not_found: Resource = field(default_factory=lambda: Resource(status=404, body="Not Found", page=False))
    # (path, lastmod) of the pages its /sitemap.xml lists, as a CMS publishes them (server.py
    # serves it, with the lastmod of an edited page moved to the time of the edit)
    sitemap: Callable[[], list[tuple[str, str]]] | None = None

    def add(self, path: str, resource: Resource) -> Resource:
        if path in self.resources:
            raise ValueError(f"duplicate path {path!r} on {self.role}")
        self.resources[path] = resource
        return resource

    def lookup(self, path: str, query: str = "") -> tuple[str | None, Resource | None]:
        """Return (cache key, resource). Exact path+query first, then path, then index.html."""
        if query:
            key = f"{path}?{query}"
            res = self.resources.get(key)
            if res is not None:
                return key, res
        res = self.resources.get(path)
        if res is not None:
            return path, res
        if path.endswith("/"):
            key = path + "index.html"
            res = self.resources.get(key)
            if res is not None:
                return key, res
        for resolver in self.resolvers:
            res = resolver(path)
            if res is not None:
                return None, res
        return None, None


@dataclass
class SamplePortal:
    """A generated portal: one Site per role plus the planted defects (tokenised)."""

    kind: str
    sites: dict[str, Site]
    expected_templates: list[ExpectedFinding]
    pages: int  # crawlable HTML pages of the main site (calendar trap excluded)
    description: str = ""
    lookalikes: dict[str, str] = field(default_factory=dict)  # name -> tokenised URL of a planted non-defect
    serve_sitemap: bool = True  # the sites' sitemaps are served unless the server is told otherwise

    @property
    def main(self) -> Site:
        return self.sites[MAIN]


def render_tokens(text: str, bases: dict[str, str], closed: int) -> str:
    """Replace the host tokens by base URLs (no trailing slash) and the closed port."""
    if "@@" not in text:
        return text
    for role, token in TOKENS.items():
        if token in text:
            text = text.replace(token, bases.get(role, ""))
    if CLOSED_TOKEN in text:
        text = text.replace(CLOSED_TOKEN, str(closed))
    return text


def closed_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on *host* (loopback) with nothing listening on it.

    A socket is bound to an ephemeral port and closed again without listening, so
    connecting to the port afterwards is refused (unless something grabs it in
    the meantime, which is unlikely within a test run).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(20):
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        probe = socket.socket(family, socket.SOCK_STREAM)
        probe.settimeout(1.0)
        try:
            probe.connect((host, port))
        except OSError:
            return port
        finally:
            probe.close()
    raise RuntimeError("could not find a closed port")
