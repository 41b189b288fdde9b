"""robots.txt and sitemaps read as text: which rule disallows a URL (so a start page that
is not checked says why), the sitemaps robots.txt announces, and the URLs a sitemap or
sitemap index lists."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import lxml.etree

_LINE = re.compile(r"^\s*([A-Za-z-]+)\s*:\s*(.*?)\s*(?:#.*)?$")


def _groups(text: str):
    """(user agents, [(field, value)]) per group of a robots.txt."""
    agents: list[str] = []
    rules: list[tuple[str, str]] = []
    in_rules = False
    for line in text.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        field, value = m.group(1).lower(), m.group(2)
        if field == "user-agent":
            if in_rules:
                yield agents, rules
                agents, rules, in_rules = [], [], False
            agents.append(value.lower())
        elif field in ("allow", "disallow"):
            in_rules = True
            rules.append((field, value))
    if agents:
        yield agents, rules


def _matches(pattern: str, path: str) -> bool:
    regex = "".join(".*" if c == "*" else re.escape(c) for c in pattern.rstrip("$"))
    return re.match(regex + ("$" if pattern.endswith("$") else ""), path) is not None


def disallow_rule(text: str, user_agent: str, url: str) -> str | None:
    """The ``Disallow:`` rule of robots.txt ``text`` that forbids ``user_agent`` to fetch
    ``url`` (the group naming the agent, else ``*``; the longest matching rule wins, an
    ``Allow:`` at least as long lifts it), or None when the URL may be fetched."""
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    agent = user_agent.lower()
    chosen = None
    for agents, rules in _groups(text):
        if any(a != "*" and a in agent for a in agents):
            chosen = rules
            break
        if "*" in agents and chosen is None:
            chosen = rules
    best: tuple[int, str, str] | None = None
    for field, value in chosen or []:
        if value and _matches(value, path) and (best is None or len(value) > best[0]
                                                or len(value) == best[0] and field == "allow"):
            best = (len(value), field, value)
    return f"Disallow: {best[2]}" if best and best[1] == "disallow" else None


def sitemaps_in(text: str) -> list[str]:
    """The ``Sitemap:`` URLs a robots.txt announces."""
    return [m.group(2) for m in map(_LINE.match, text.splitlines())
            if m and m.group(1).lower() == "sitemap" and m.group(2)]


def sitemap_locs(body: bytes) -> tuple[str, list[tuple[str, int | None]]]:
    """(kind, [(loc, line)]) of a sitemap: kind ``urlset`` (pages) or ``sitemapindex``
    (more sitemaps); ``("", [])`` when the body is not a sitemap."""
    try:
        root = lxml.etree.fromstring(body.lstrip(), lxml.etree.XMLParser(recover=True, resolve_entities=False,
                                                                         no_network=True, huge_tree=False))
    except (lxml.etree.XMLSyntaxError, ValueError):
        return "", []
    if root is None:
        return "", []
    kind = lxml.etree.QName(root).localname
    if kind not in ("urlset", "sitemapindex"):
        return "", []
    locs = [(el.text.strip(), el.sourceline) for el in root.iter("{*}loc") if el.text and el.text.strip()]
    return kind, locs
