"""URL handling: normalising hrefs as browsers do, canonical forms, link kinds and traps."""

from __future__ import annotations

import functools
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url, safe_url_string

ATTACHMENT_EXTENSIONS = frozenset(
    "pdf doc docx xls xlsx et wps ofd zip rar 7z ppt pptx txt csv".split()
)
SKIP_SCHEMES = frozenset({"mailto", "tel", "javascript", "data", "about", "sms", "weixin", "ftp", "file"})
SESSION_PARAMS = frozenset({"jsessionid", "phpsessid", "sid", "sessionid", "session_id",
                            "aspsessionid", "asp.net_sessionid", "cfid", "cftoken"})
CALENDAR_PARAMS = frozenset({"date", "day", "month", "year", "ym", "yearmonth", "caldate", "d", "m", "y"})
_DATE_VALUE = re.compile(r"^\d{4}(?:-?\d{1,2}){0,2}$")
_PATH_SESSION = re.compile(r";(?:jsessionid|sid|phpsessid)=[^/?#]*", re.I)
_WS = re.compile(r"[\s\u3000]+")
MAX_URL_LENGTH = 1024
_FULLWIDTH = re.compile(r"[\uff01-\uff5e]")
_SCHEME_HEAD = re.compile(r"(?i)^https?://")
_HEAD_DONE = re.compile(r"(?i)^https?://[^/?#]+[/?#]")


class InvalidURL(ValueError):
    pass


def normalize_href(href: str, base: str) -> str:
    """Resolve an href found on ``base`` into an absolute, canonical, fetchable URL.

    Strips surrounding white space (ASCII and full-width), folds full-width
    ASCII in the scheme and host, percent-encodes spaces and non-ASCII path
    characters (IDN hosts become punycode), drops the fragment and session ids,
    and sorts the query. Raises :class:`InvalidURL` when it cannot be a URL.
    """
    raw = href.strip(" \t\r\n\f\v\u3000\xa0")
    if not raw:
        raise InvalidURL("空链接")
    raw = _fold_fullwidth_head(raw)
    try:
        absolute = urljoin(base, raw)
    except ValueError as exc:
        raise InvalidURL(str(exc)) from None
    return canonical(absolute)


def _fold_fullwidth_head(raw: str) -> str:
    """ＨＴＴＰ：／／例子.cn／a（1）.html → http://例子.cn/a（1）.html: fold scheme and host only."""
    if not _FULLWIDTH.search(raw[:64]):
        return raw
    for i in range(1, len(raw) + 1):
        head = unicodedata.normalize("NFKC", raw[:i])
        if _HEAD_DONE.match(head):
            return head + raw[i:]
    return unicodedata.normalize("NFKC", raw) if _SCHEME_HEAD.match(unicodedata.normalize("NFKC", raw)) else raw


@functools.lru_cache(maxsize=32768)
def canonical(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise InvalidURL(f"不支持的协议：{parts.scheme or '(无)'}")
    try:
        host = parts.hostname
        port = parts.port
    except ValueError as exc:
        raise InvalidURL("端口号无效" if "port" in str(exc).lower() else "主机名无效") from None
    if not host or " " in (parts.netloc or "") or _WS.search(parts.netloc):
        raise InvalidURL("主机名无效")
    if any(c in host for c in "<>\"'{}|\\^`"):
        raise InvalidURL("主机名含非法字符")
    path = _PATH_SESSION.sub("", parts.path)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if k.lower() not in SESSION_PARAMS])
    cleaned = urlunsplit((parts.scheme, parts.netloc, path or "/", query, ""))
    try:
        safe = safe_url_string(cleaned.replace(" ", "%20").replace("\u3000", "%E3%80%80"))
        result = canonicalize_url(safe, keep_fragments=False)
    except (ValueError, UnicodeError) as exc:
        raise InvalidURL(str(exc)) from None
    if port is not None and not 0 < port < 65536:
        raise InvalidURL("端口超出范围")
    if len(result) > MAX_URL_LENGTH:
        raise InvalidURL("链接过长")
    return result


def scheme_of(href: str) -> str:
    m = re.match(r"\s*([a-zA-Z][a-zA-Z0-9+.-]*):", href)
    return m.group(1).lower() if m else ""


def is_attachment(url: str) -> bool:
    path = urlsplit(url).path.lower()
    ext = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
    return ext in ATTACHMENT_EXTENSIONS


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def same_site(url: str, hosts: frozenset[str]) -> bool:
    host = host_of(url)
    return host in hosts or any(host.endswith("." + h) for h in hosts if not h[0].isdigit())


def directory_prefix(url: str) -> str:
    """http://h/xxgk/index.html → http://h/xxgk/ ; http://h/xxgk → http://h/xxgk/"""
    parts = urlsplit(url)
    path = parts.path or "/"
    last = path.rsplit("/", 1)[-1]
    if "." in last:
        path = path[: len(path) - len(last)]
    elif not path.endswith("/"):
        path += "/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def trap_key(url: str) -> tuple[str, str] | None:
    """A key shared by URLs that only differ in a calendar-like query value, or None.

    ``/cal/?month=2024-01`` and ``/cal/?month=2024-02`` share a key; pagination
    (``?page=2``) does not produce one.
    """
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    dated = sorted(k for k, v in params if k.lower() in CALENDAR_PARAMS or _DATE_VALUE.match(v))
    if not dated:
        return None
    return (urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), ",".join(dated))


def looks_like_trap_path(url: str) -> bool:
    """Repeated path segments (/a/b/a/b/a/b) are a relative-link loop."""
    segs = [s for s in urlsplit(url).path.split("/") if s]
    if len(segs) > 12:
        return True
    for size in (1, 2, 3):
        for i in range(len(segs) - 3 * size + 1):
            chunk = segs[i:i + size]
            if chunk == segs[i + size:i + 2 * size] == segs[i + 2 * size:i + 3 * size]:
                return True
    return False
