"""URL handling: normalising hrefs as browsers do, canonical forms, link kinds and traps."""

from __future__ import annotations

import functools
import re
import unicodedata
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from ada_url import URL, join_url
from rapidfuzz.distance import Levenshtein

ATTACHMENT_EXTENSIONS = frozenset(
    "pdf doc docx xls xlsx et wps ofd zip rar 7z ppt pptx txt csv".split()
)
SKIP_SCHEMES = frozenset({"mailto", "tel", "javascript", "data", "about", "sms", "weixin"})
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


def normalize_href(href: str, base: str, encoding: str | None = None) -> str:
    """Resolve an href found on ``base`` into an absolute, canonical, fetchable URL.

    Parsing follows the WHATWG URL standard (``ada-url``), as browsers do: hosts are
    lower-cased and IDNA-encoded, spaces and non-ASCII characters percent-encoded (UTF-8),
    and percent-escapes already present are kept byte for byte (``?kw=%B9%AB%BF%AA``, a
    GBK value, stays as it is; ``%FF`` and ``%FC`` stay distinct); a path's ``//`` stays.
    Before that, surrounding white space (ASCII and full-width) is stripped and full-width
    ASCII in the scheme and host folded. The canonical form then drops the fragment and
    session ids and sorts the query (see :func:`canonical`). As in a browser, the non-ASCII
    characters of the query are encoded in the page's ``encoding`` (on a GBK page
    ``?kw=公开`` is ``?kw=%B9%AB%BF%AA``), the rest of the URL in UTF-8. Raises :class:`InvalidURL`
    when no visitor could follow it: not a URL, a ``file:`` link, a scheme typo
    (``https;//``, ``htp://``), ``http:`` without ``//``, or a host that is not a hostname.
    """
    raw = href.strip(" \t\r\n\f\v\u3000\xa0")
    if not raw:
        raise InvalidURL("空链接")
    key = _base_key(raw, base)
    return _normalize(raw, base, encoding) if key is None else _shared_normalize(raw, key, encoding)


_ANY_BASE = "http://localhost/"
_HTTP_ORIGIN = re.compile(r"(?i)https?://[^/?#\\\s]*(?=[/?#]|$)")


def _base_key(raw: str, base: str) -> str | None:
    """The part of ``base`` the resolution of ``raw`` depends on, when that is not the page
    itself: none for an absolute http(s) URL (any base), the scheme and authority for a
    path from the root (``/xxgk/``); None for a relative link. Such links (a site's menus,
    the same on every page) are resolved once, from a bounded cache."""
    if raw[:8].lower().startswith(("http://", "https://")):
        return None if ("\t" in raw or "\n" in raw or "\r" in raw) else _ANY_BASE
    if raw[0] == "/" and raw[1:2] not in ("/", "\\", "\t", "\n", "\r"):   # not scheme-relative
        m = _HTTP_ORIGIN.match(base)
        return m.group(0) if m else None
    return None


@functools.lru_cache(maxsize=16384)
def _shared_normalize(raw: str, base: str, encoding: str | None) -> str:
    return _normalize(raw, base, encoding)


def _normalize(raw: str, base: str, encoding: str | None) -> str:
    raw = _fold_fullwidth_head(raw)
    typo = scheme_typo(raw)
    if typo:
        raise InvalidURL(typo)
    if encoding and encoding not in ("utf-8", "utf8") and "?" in raw and not raw.isascii():
        raw = _encode_query(raw, encoding)
    try:
        absolute = join_url(base, raw)
    except ValueError:
        raise InvalidURL(_why_invalid(raw)) from None
    return canonical(absolute)


def _encode_query(raw: str, encoding: str) -> str:
    """The href with the non-ASCII characters of its query percent-encoded in ``encoding``
    (a character it cannot encode as ``&#N;``, as browsers do)."""
    head, _, rest = raw.partition("?")
    query, hash_, fragment = rest.partition("#")
    try:
        "".encode(encoding)
    except LookupError:
        return raw
    encoded = "".join(c if c.isascii() else "".join(f"%{b:02X}" for b in c.encode(encoding, "xmlcharrefreplace"))
                      for c in query)
    return f"{head}?{encoded}{hash_}{fragment}"


_AUTHORITY = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#]*)")


def _why_invalid(raw: str) -> str:
    """The reason, for a person, why WHATWG parsing refused ``raw``."""
    m = _AUTHORITY.match(raw)
    if not m:
        return "不是有效的链接地址"
    host_port = m.group(1).rsplit("@", 1)[-1]
    if not host_port:
        return "链接缺少主机名"
    port = host_port.rsplit("]", 1)[-1].partition(":")[2]
    if port and (not port.isdigit() or int(port) > 65535):
        return "端口号无效"
    return "主机名无效"


_SCHEME_TYPO = re.compile(r"(?i)^(h?t?t?p?s?)\s*[;,.：；]\s*//")
_SCHEME_SLASHES = re.compile(r"(?i)^([a-z][a-z0-9+.-]*):/")
_HTTP_NO_SLASHES = re.compile(r"(?i)^https?:(?!//)")
_DRIVE_PATH = re.compile(r"^[a-zA-Z]:[\\/]")
CHECKED_SCHEMES = frozenset({"http", "https", "ftp", "file"})
_TYPO_HEAD = re.compile(r"[:;,.：；]")


def scheme_typo(raw: str) -> str | None:
    """Why an href is a mistyped absolute link, or None: ``https;//…``, a scheme one or two
    letters away from http/https (``htp://``, ``htps://``), ``http:`` without ``//``, or a
    Windows path (``D:\\文件\\a.doc``)."""
    head = raw[:8].lower()
    if head.startswith(("http://", "https://", "/", ".", "#", "?")) or not _TYPO_HEAD.search(raw[:12]):
        return None   # the common cases: an absolute http(s) URL, a relative one
    if (m := _SCHEME_TYPO.match(raw)) and m.group(1):
        return f"协议拼写错误：{raw[:m.end()]}"
    if _DRIVE_PATH.match(raw):
        return "链接为本机文件路径，访问者无法打开"
    if (m := _SCHEME_SLASHES.match(raw)):
        scheme = m.group(1).lower()
        if scheme not in CHECKED_SCHEMES and scheme not in SKIP_SCHEMES and min(
                Levenshtein.distance(scheme, "http"), Levenshtein.distance(scheme, "https")) <= 2:
            return f"协议拼写错误：{m.group(1)}"
    if _HTTP_NO_SLASHES.match(raw):
        return "协议后缺少 //"
    return None


def skipped_scheme(href: str) -> str | None:
    """The scheme of a link that is recorded but not fetched (mailto:, tel:, javascript:,
    data:, any scheme other than http/https/ftp/file that is no typo of them), or None."""
    scheme = scheme_of(href)
    if not scheme or scheme in CHECKED_SCHEMES or scheme_typo(href.strip()):
        return None
    return scheme


def _fold_fullwidth_head(raw: str) -> str:
    """ＨＴＴＰ：／／例子.cn／a（1）.html → http://例子.cn/a（1）.html: fold scheme and host only."""
    if not _FULLWIDTH.search(raw[:64]):
        return raw
    for i in range(1, len(raw) + 1):
        head = unicodedata.normalize("NFKC", raw[:i])
        if _HEAD_DONE.match(head):
            return head + raw[i:]
    return unicodedata.normalize("NFKC", raw) if _SCHEME_HEAD.match(unicodedata.normalize("NFKC", raw)) else raw


_ESCAPE = re.compile(r"%[0-9a-f][0-9A-Fa-f]|%[0-9A-F][0-9a-f]")
_HOST_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")


@functools.lru_cache(maxsize=32768)
def canonical(url: str) -> str:
    """The canonical form of an absolute URL: WHATWG-parsed, without fragment, session
    ids (``;jsessionid=`` and ``sid=``-style parameters) or an empty query, the query's
    parameters sorted by their raw text and percent-escapes' hex digits upper-cased;
    nothing is decoded, so escapes that are not UTF-8 are kept byte for byte."""
    try:
        parsed = URL(url)
    except ValueError:
        raise InvalidURL(_why_invalid(url)) from None
    scheme = parsed.protocol[:-1]
    if scheme == "file":
        raise InvalidURL("file: 链接指向本机文件，访问者无法打开")
    if scheme not in ("http", "https", "ftp"):
        raise InvalidURL(f"不支持的协议：{scheme or '(无)'}")
    host = parsed.hostname
    if not valid_host(host):
        raise InvalidURL(f"主机名无效：{host or '(空)'}")
    path = _PATH_SESSION.sub("", parsed.pathname) or "/"
    query = parsed.search[1:]
    if query:
        pairs = [p for p in query.split("&") if p and p.split("=", 1)[0].lower() not in SESSION_PARAMS]
        query = "&".join(sorted(pairs, key=lambda p: p.split("=", 1)[0]))
    port = f":{parsed.port}" if parsed.port else ""
    auth = ""
    if parsed.username or parsed.password:
        auth = parsed.username + (f":{parsed.password}" if parsed.password else "") + "@"
    result = f"{scheme}://{auth}{host}{port}{path}" + (f"?{query}" if query else "")
    result = _ESCAPE.sub(lambda m: m.group(0).upper(), result)
    if len(result) > MAX_URL_LENGTH:
        raise InvalidURL("链接过长")
    return result


def valid_host(host: str) -> bool:
    """A DNS name (labels of letters, digits, ``-`` and ``_``, none empty or over 63
    characters, 253 in all) or an IP literal; WHATWG parsing has already IDNA-encoded it."""
    if not host:
        return False
    if host.startswith("["):
        return True
    name = host[:-1] if host.endswith(".") else host
    return len(name) <= 253 and all(_HOST_LABEL.match(label) for label in name.split("."))


def fragment_of(href: str, base: str) -> str | None:
    """The fragment of an href as a browser parses it (percent-encoded where WHATWG
    encodes it), ``""`` for a bare ``#``, None when it has none or is not a URL."""
    if "#" not in href:
        return None
    try:
        frag = URL(join_url(base, href.strip(" \t\r\n\f\v\u3000\xa0"))).hash
    except ValueError:
        return None
    return frag[1:] if frag else ""


_SCHEME = re.compile(r"\s*([a-zA-Z][a-zA-Z0-9+.-]*):")


def scheme_of(href: str) -> str:
    m = _SCHEME.match(href)
    return m.group(1).lower() if m else ""


@functools.lru_cache(maxsize=16384)
def is_attachment(url: str) -> bool:
    path = urlsplit(url).path.lower()
    ext = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
    return ext in ATTACHMENT_EXTENSIONS


@functools.lru_cache(maxsize=16384)
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

