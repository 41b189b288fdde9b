"""robots.txt and sitemaps read as text: which rule disallows a URL (so a start page that
is not checked says why), the sitemaps robots.txt announces, and the URLs a sitemap or
sitemap index lists with their ``<lastmod>``."""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta, timezone
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


def sitemap_locs(body: bytes) -> tuple[str, list[tuple[str, int | None, str | None]]]:
    """(kind, [(loc, line, lastmod)]) of a sitemap: kind ``urlset`` (pages) or ``sitemapindex``
    (more sitemaps), ``lastmod`` the text of the entry's ``<lastmod>`` (None when it has
    none); ``("", [])`` when the body is not a sitemap."""
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
    locs = [(el.text.strip(), el.sourceline, _lastmod_of(el)) for el in root.iter("{*}loc")
            if el.text and el.text.strip()]
    return kind, locs


def _lastmod_of(loc) -> str | None:
    parent = loc.getparent()
    found = parent.find("{*}lastmod") if parent is not None else None
    return found.text.strip()[:64] if found is not None and found.text and found.text.strip() else None


_W3C = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
                  r"\s*(Z|[+-]\d{2}:?\d{2})?)?)?)?")
# the last time zone on earth to end a day: a date without a time is over everywhere then
_LATEST_ZONE = timezone(timedelta(hours=-12))


def lastmod_time(text: str | None) -> float | None:
    """The latest instant a sitemap ``<lastmod>`` can mean, as a POSIX time, or None when it is
    not a W3C datetime. A date, a month or a year counts as its end (in the last time zone to end
    it, UTC-12: conservatively late); a time without a zone as UTC-12 too; seconds cut off
    count as the end of their minute."""
    m = _W3C.fullmatch(text.strip()) if text else None
    if m is None:
        return None
    year, month, day, hour, minute, second, zone = m.groups()
    try:
        if hour is None:
            y, mo = int(year), int(month or 12)
            d = int(day) if day else calendar.monthrange(y, mo)[1]
            end = datetime(y, mo, d, tzinfo=_LATEST_ZONE) + timedelta(days=1)
        else:
            tz = _LATEST_ZONE if zone is None else (timezone.utc if zone == "Z" else timezone(
                (-1 if zone[0] == "-" else 1) * timedelta(hours=int(zone[1:3]), minutes=int(zone[-2:]))))
            end = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=tz)
            end += timedelta(seconds=1 if second is not None else 60)
    except (ValueError, OverflowError):
        return None
    return end.timestamp()
