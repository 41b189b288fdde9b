"""Where a page's links are: every element attribute a browser follows or loads, srcset
candidates, CSS ``url()``/``@import``, ``<meta http-equiv=refresh>``, client-side redirect
one-liners and the anchors (ids, ``<a name>``) fragments point at. Pure functions over
lxml trees and strings.

The element table is the union of what LinkChecker and lychee read, less what a visitor's
browser never fetches (``rel=dns-prefetch``/``preconnect`` hints, ``<html prefix>``
vocabularies).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import lxml.etree

# element → the attributes holding a URL the browser follows or loads
ELEMENT_ATTRS: dict[str, tuple[str, ...]] = {
    "a": ("href",), "area": ("href",), "link": ("href",),
    "iframe": ("src", "longdesc"), "frame": ("src", "longdesc"), "embed": ("src",),
    "object": ("data", "codebase", "archive", "classid"), "applet": ("code", "archive", "codebase"),
    "img": ("src", "srcset", "longdesc"), "source": ("src", "srcset"), "script": ("src",),
    "audio": ("src",), "video": ("src", "poster"), "track": ("src",), "input": ("src", "formaction"),
    "form": ("action",), "button": ("formaction",),
    "blockquote": ("cite",), "q": ("cite",), "ins": ("cite",), "del": ("cite",),
    "body": ("background",), "table": ("background",), "td": ("background",), "th": ("background",),
    "html": ("manifest",), "meta": ("content",),
}
# (tag, attr) pairs a visitor navigates to; every other pair is a page resource the browser
# loads by itself (image, script, stylesheet, media, plug-in, background)
NAVIGATION = frozenset({("a", "href"), ("area", "href"), ("iframe", "src"), ("frame", "src"),
                        ("iframe", "longdesc"), ("frame", "longdesc"), ("img", "longdesc"),
                        ("form", "action"), ("button", "formaction"), ("input", "formaction"),
                        ("blockquote", "cite"), ("q", "cite"), ("ins", "cite"), ("del", "cite"),
                        ("meta", "content")})
FORM_TARGETS = frozenset({("form", "action"), ("button", "formaction"), ("input", "formaction")})
HINT_RELS = frozenset({"dns-prefetch", "preconnect"})
RESOURCE_RELS = frozenset({"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "prefetch",
                           "modulepreload", "manifest", "mask-icon"})
_SPLIT_LIST = re.compile(r"[\s,]+")
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
CSS_URL = re.compile(
    r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)"'\s][^)\s]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')""", re.I)
_REFRESH_URL = re.compile(r"""^\s*[\d.]*\s*[;,]?\s*(?:url\s*=\s*)?(['"]?)(.*?)\1\s*$""", re.I | re.S)
_JS_REDIRECT = re.compile(
    r"""^\s*(?:(?:window|self|top|document)\s*\.\s*)?location\s*(?:\.\s*href\s*)?=\s*(['"])([^'"]+)\1\s*;?\s*(?://[^\n]*)?\s*$"""
    r"""|^\s*(?:(?:window|self|top|document)\s*\.\s*)?location\s*\.\s*(?:replace|assign)\s*\(\s*(['"])([^'"]+)\3\s*\)\s*;?\s*(?://[^\n]*)?\s*$""")
_JS_COMMENTS = re.compile(r"<!--|-->|^\s*//[^\n]*|/\*.*?\*/", re.S | re.M)   # not the // of a URL


def url_attrs(el) -> Iterator[tuple[str, str]]:
    """(attr, URL text) of every URL an element holds, in attribute order; srcset gives one
    entry per candidate, archive lists one per URL, applet code is read against its codebase."""
    tag = el.tag
    if tag == "link":
        rels = set((el.get("rel") or "").lower().replace(",", " ").split())
        if rels & HINT_RELS:
            return
    elif tag == "input":
        if (el.get("type") or "").lower() != "image":
            if el.get("formaction") is not None:
                yield "formaction", el.get("formaction")
            return
    elif tag == "meta":
        if (el.get("http-equiv") or "").lower() == "refresh":
            url = refresh_url(el.get("content") or "")
            if url:
                yield "content", url
        return
    for attr in ELEMENT_ATTRS[tag]:
        value = el.get(attr)
        if value is None:
            continue
        if attr == "srcset":
            for candidate in srcset_urls(value):
                yield attr, candidate
        elif attr == "archive":
            for part in _SPLIT_LIST.split(value.strip()):
                if part:
                    yield attr, part
        elif tag == "applet" and attr == "code" and el.get("codebase"):
            yield attr, el.get("codebase").rstrip("/") + "/" + value
        elif tag == "html" and attr == "manifest" and not value.strip():
            continue
        else:
            yield attr, value


def is_resource(tag: str, attr: str, rel: str | None = None) -> bool:
    """Whether the browser loads the URL by itself as part of the page (not a link a
    visitor follows); a ``<link>`` is a resource for stylesheet, icon and preload rels."""
    if tag == "link":
        return bool(set((rel or "").lower().split()) & RESOURCE_RELS)
    return (tag, attr) not in NAVIGATION


STYLED = lxml.etree.XPath("//*[contains(@style, 'url(')]")


def srcset_urls(value: str) -> list[str]:
    """The image URLs of a ``srcset`` (HTML standard candidate parsing: a URL runs to white
    space, a comma ends a URL only when it is its last character; descriptors follow)."""
    urls, pos, n = [], 0, len(value)
    while pos < n:
        while pos < n and (value[pos].isspace() or value[pos] == ","):
            pos += 1
        start = pos
        while pos < n and not value[pos].isspace():
            pos += 1
        url = value[start:pos]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            depth = 0   # skip the descriptors, up to the comma that ends this candidate
            while pos < n and (value[pos] != "," or depth):
                depth += {"(": 1, ")": -1}.get(value[pos], 0)
                pos += 1
        if url:
            urls.append(url)
    return urls


def css_urls(css: str) -> Iterator[tuple[str, str, int]]:
    """(attr, URL, offset) of every ``url(…)`` and ``@import "…"`` in a style sheet, a
    ``<style>`` element or a ``style`` attribute; attr is ``import`` or ``url``; comments
    are skipped, empty URLs left out."""
    if "url(" not in css.lower() and "@import" not in css.lower():
        return
    for m in CSS_URL.finditer(_CSS_COMMENT.sub(lambda c: " " * len(c.group(0)), css)):
        url = next(g for g in m.groups() if g is not None).strip()
        if url:
            before = css[max(0, m.start() - 12):m.start()].lower()
            attr = "import" if m.group(0).startswith("@") or "@import" in before else "url"
            yield attr, url, m.start()


def refresh_url(content: str) -> str | None:
    """The URL of a ``<meta http-equiv=refresh content="5; url=…">``, None without one."""
    m = _REFRESH_URL.match(content)
    if not m:
        return None
    return m.group(2).strip() or None


def client_redirect(tree) -> tuple[str, str] | None:
    """(how, href) of a page that sends the browser on at once: a ``<meta http-equiv=refresh>``
    with a URL, or a ``<script>`` whose whole code is one ``location = "…"`` /
    ``location.href = "…"`` / ``location.replace("…")`` statement. A conditional redirect
    (``if (mobile) location.href = …``) is not one."""
    for meta in tree.iter("meta"):
        if (meta.get("http-equiv") or "").lower() == "refresh":
            url = refresh_url(meta.get("content") or "")
            if url:
                return "meta refresh", url
    for script in tree.iter("script"):
        code = script.text
        if not code or "location" not in code or script.get("src"):
            continue
        m = _JS_REDIRECT.match(_JS_COMMENTS.sub(" ", code))
        if m:
            return "script", m.group(2) or m.group(4)
    return None


_ANCHORS = lxml.etree.XPath("//@id | //a/@name")


def anchors(tree) -> set[str]:
    """The names a fragment can point at: every ``id`` and every ``<a name>``."""
    return {str(v) for v in _ANCHORS(tree)}
