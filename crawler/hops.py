"""One request per URL, redirect hops included: the answers a redirect's hops share.

The spider follows redirects itself, hop by hop, and each link's fetch row is keyed by the
link's URL. A URL already requested in the crawl process — directly, or as a hop of a chain —
is never requested again when it comes up once more:

- as a link (``link first`` or ``hop first``, whichever): a link to a URL first requested as a
  hop of chain ``O → … → U → …`` gets its fetch row from ``O``'s, cut to the hops from ``U``;
- as a hop: a chain ``A → … → U`` reaching a URL requested before ends there, its fetch row
  being its own hops followed by ``U``'s answer (a loop across the two, or too many hops
  together, is a redirect loop as if the chain had gone on).

Those rows are made when the crawl ends (:meth:`Hops.rows`, called by the pipeline before it
settles the sites), from the rows stored by then: nothing is held per URL meanwhile but the
chain each hop belongs to. A hop answers a link only when it was requested the way the link's
check would be (:func:`mode_of`): a HEAD answers only a HEAD check, a capped GET reading an
attachment only another such read or a HEAD check, the GET of an external link or a style sheet
not a page (which is read, when in scope, only from a chain that started at a page).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from core.models import Outcome
from core.text import now_iso
from crawler.fetch_policy import redirect_verdict
from crawler.items import FETCH_FIELDS
from crawler.urls import host_of

HEAD, READ, GET, PAGE = "head", "read", "get", "page"


def mode_of(request) -> str:
    """How a request checks its URL: ``head``, ``read`` (the capped GET of an attachment), ``page``
    (the GET of a page, read when in scope) or ``get`` (any other GET: an external link, a style
    sheet)."""
    if request.method == "HEAD":
        return HEAD
    if "read_cap" in request.meta:
        return READ
    return PAGE if request.meta.get("kind") in ("home", "page") else GET


def covers(hop_mode: str, need: str) -> bool:
    """Does an answer to a request of ``hop_mode`` answer a check of mode ``need``?"""
    return need == HEAD or hop_mode == need or (need == GET and hop_mode == PAGE)


@dataclass(frozen=True, slots=True)
class Shared:
    """A fetch row made from other answers: its link's site, kind and depth, and either
    (``target`` None) the hops of the chain it was requested in, or its own chain's hops
    (``prefix``) followed by the answer of ``target``, requested before."""

    site: str
    kind: str
    depth: int
    prefix: tuple = ()
    target: str | None = None


class Hops:
    def __init__(self, max_redirects: int):
        self.max_redirects = max_redirects
        self.via: dict[str, tuple[str, str]] = {}   # URL first requested as a hop → (its chain's origin, mode)
        self.shared: dict[str, Shared] = {}         # URL → how its fetch row is made at the end
        # URLs requested whose answer is no fetch row of this process: robots.txt (read for its
        # rules), an off-site URL another crawl process claimed (store/claims.py)
        self.elsewhere: set[str] = set()

    def hop(self, url: str, origin: str, mode: str = GET) -> None:
        """``url`` requested as a hop of the chain from ``origin``, as ``mode`` asks (:func:`mode_of`)."""
        self.via.setdefault(url, (origin, mode))

    def ends(self, url: str) -> bool:
        """May a chain reaching ``url``, requested before, end there (its answer stored here)?"""
        return url not in self.elsewhere

    def share(self, url: str, site: str, kind: str, depth: int, prefix: list | None = None,
              target: str | None = None) -> None:
        self.shared.setdefault(url, Shared(site, kind, depth, tuple(prefix or ()), target))

    def rows(self, fetch) -> list[tuple[dict, str]]:
        """The shared fetch rows, each with the URL whose stored row gave its answer (its
        attachment text is that URL's); ``fetch(url)``: the stored row of ``url`` or None.
        A URL whose answer never came (the crawl was stopped) gets none."""
        out = []
        for url, shared in self.shared.items():
            made = self._row_of(url, fetch, frozenset())
            if made is None:
                continue
            row, source = made
            row = {k: row.get(k) for k in FETCH_FIELDS}
            row.update(site=shared.site, url=url, host=host_of(url), kind=shared.kind, depth=shared.depth)
            out.append((row, source))
        return out

    def _row_of(self, url: str, fetch, seen: frozenset) -> tuple[dict, str] | None:
        """The fetch row of ``url`` from its own answer on (its ``url`` and link columns those
        of whichever row it was made from), and the URL whose stored row answered."""
        if url in seen:     # chains reaching each other: a loop
            return _loop_back(url), url
        seen = seen | {url}
        shared = self.shared.get(url)
        if shared is not None and shared.target is not None:
            made = self._row_of(shared.target, fetch, seen)
            return None if made is None else (self._joined(list(shared.prefix), made[0]), made[1])
        row = fetch(url)
        if row is not None:
            return dict(row), url
        via = self.via.get(url)
        made = self._row_of(via[0], fetch, seen) if via else None
        if made is None:
            return None
        hops = _hops(made[0])
        if url not in (h["url"] for h in hops):
            return None
        return self._joined([], {**made[0], "redirects_json": json.dumps(_walk(hops, url))}), made[1]

    def _joined(self, prefix: list, row: dict) -> dict:
        """``prefix`` (hops answered with a redirect) followed by ``row``'s answer, judged as
        the spider judges a chain hop by hop."""
        hops = prefix + _hops(row)
        urls = [h["url"] for h in hops]
        for i in range(1, len(hops)):
            verdict = redirect_verdict(urls[:i], urls[i], self.max_redirects)
            if verdict is not None:   # the row the spider makes of it: the hop not followed, then the last answer
                outcome, error = verdict
                status = hops[i - 1]["status"]
                chain = hops[:i] + [{"url": urls[i], "status": None}, {"url": urls[i], "status": status}]
                return {**row, "status": status, "outcome": outcome.value, "error": error,
                        "final_url": urls[i], "redirects_json": json.dumps(chain, ensure_ascii=False),
                        "content_type": None, "title": None, "heading": None, "size": None, "text_hash": None,
                        "notfound_text": 0, "anchors": None, "etag": None, "last_modified": None}
        return {**row, "redirects_json": _chain(hops)}


def _hops(row: dict) -> list[dict]:
    """A row's hops, its final answer included (one hop when it was not redirected)."""
    return json.loads(row["redirects_json"] or "[]") or [{"url": row["final_url"], "status": row["status"]}]


def _walk(hops: list[dict], url: str) -> list[dict]:
    """The hops from ``url`` on, as a chain started there would meet them: a loop is gone round
    until it comes back to a URL of the walk (then that URL, not followed)."""
    after: dict[str, tuple] = {}
    for hop, then in zip(hops, hops[1:]):
        if hop["status"] is None:       # not followed (a loop, too many hops): no answer beyond
            break
        after.setdefault(hop["url"], (hop["status"], then["url"]))
    walked, seen = [], set()
    while url in after and url not in seen:
        seen.add(url)
        status, then = after[url]
        walked.append({"url": url, "status": status})
        url = then
    last = next((h for h in reversed(hops) if h["url"] == url and h["status"] is not None), None)
    return walked + [{"url": url, "status": None if url in seen or last is None else last["status"]}]


def _chain(hops: list[dict]) -> str:
    return json.dumps(hops if len(hops) > 1 else [], ensure_ascii=False)


def _loop_back(url: str) -> dict:
    """The answer of a URL met again while its own chain is being made: back to ``url``."""
    return {"method": None, "status": None, "outcome": Outcome.REDIRECT_LOOP.value, "error": "循环跳转",
            "final_url": url, "redirects_json": json.dumps([{"url": url, "status": None}]), "attempts": 0,
            "elapsed": 0.0, "content_type": None, "title": None, "heading": None, "size": None, "text_hash": None,
            "notfound_text": 0, "anchors": None, "fetched_at": now_iso(), "etag": None, "last_modified": None,
            "verified_at": None, "not_modified": 0, "cached": 0, "sitemap_lastmod": None}
