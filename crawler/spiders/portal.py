"""PortalSpider: gathers the facts of one or more government portals.

Per site it fetches the home page (its links are the 二级 links), walks the
政府信息公开 column and its sub-columns (list pages, TRS ``createPageHTML``
pagination, ``?page=`` lists, articles), and checks every link found on those
pages once per run. External links are checked, never crawled; attachments
are checked with HEAD (falling back to a ranged GET), except a same-site
XLSX/DOCX/PDF, whose check is one GET capped at ``documents.MAX_DOCUMENT_BYTES``
(the download stops there; the check is still answered): its text goes to
``attachment_texts`` for the privacy checks and, when it carries an article whose
body is only a link to it, to that article's main text (``pages.document_url``).
No URL is requested twice in a run except for retries and the ranged-GET
fallback. Redirects are followed here, hop by hop, so that every hop is
recorded and loops are recognised; a hop is requested once too: a link to it, or
a chain reaching a URL requested before, takes that answer (crawler/hops.py).

It yields :class:`crawler.items.Rows` only; the StorePipeline streams them into
the store. Per-site state is a few counters and the column map, never a list
of pages.
"""

from __future__ import annotations

import collections
import functools
import gzip
import hashlib
import inspect
import io
import itertools
import json
import operator
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import exceptions as scrapy_exc
from scrapy import signals
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import Response
from twisted.internet import defer
from twisted.internet import error as neterr
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from crawler import content, documents, extract, linkparse, robots, sandbox
from crawler.fetch_policy import (HEAD_FALLBACK_STATUSES, TOO_LARGE_ERROR, classify_status, redirect_verdict,
                                   retry_after_seconds, tls_error)
from crawler.headers import header_int
from crawler.hops import GET, HEAD, PAGE, READ, Hops, covers, mode_of
from crawler.items import CARRIED_LINKS, FETCH_FIELDS, Rows
from crawler.lastmod import CARRIED, CARRIED_PER_CARRIER, CARRIER
from crawler.middlewares import ForbiddenAddress
from crawler.previous import PreviousRun
from store import Store
from store.claims import Claims
from core.models import Outcome, SiteStatus
from core.text import now_iso
from core.vocabulary import HANWEB_COLUMN, INDEX_NAME, is_consultation
from crawler.settle import column_of
from crawler.sites import CrawlLimits, SiteSpec
from crawler.urls import (InvalidURL, canonical, directory_prefix, fragment_of, host_of, is_attachment,
                          looks_like_trap_path, normalize_href, same_site, skipped_scheme, trap_key)

DISCLOSURE_ANCHORS = ("政府信息公开", "信息公开", "政务公开")
_DISCLOSURE_NAMES = ("", "专栏", "平台", "专区")
# a link naming one part of the disclosure column, or another one: never the column itself
_DISCLOSURE_PART = re.compile(r"指南|年报|年度报告|制度|重点领域|部门")
COLUMN_ANCHORS = [
    ("interpretation", re.compile(r"政策解读|解读")),
    ("regulation", re.compile(r"行政法规|法律法规|法规文件|^法规")),
    ("policy", re.compile(r"政策文件|规范性文件|政府文件|^文件")),
    ("notice", re.compile(r"通知公告|公示公告|公告公示|^公告")),
    ("guide", re.compile(r"公开指南|信息公开指南")),
    ("report", re.compile(r"年度报告|公开年报|^年报")),
]
COLUMN_PATH = re.compile(r"/(?:index(?:_\d+)?\.s?html?)?$")
MAX_MESSAGES = 5000   # 政务咨询 list rows kept per site
LEAF_KINDS = ("attachment", "external", "resource", "probe")
FOLLOWED_KINDS = frozenset({"page", "attachment", "external", "resource", "invalid"})   # a link's kinds that are checked
FRAME_TAGS = ("iframe", "frame")
MAX_UNPARSED_LISTED = 200
MAX_TRAP_VARIANTS = 12
MAX_ANCHORS = 5000          # ids and <a name>s kept per page for the fragment check
MAX_SITEMAPS = 50           # sitemaps (and sitemap indexes) read per site
FORM_OK_STATUSES = (405, 501)   # a form's action that refuses GET/HEAD exists; it is never submitted
PARSE_LIMIT = "parse_limit"     # attachment_texts.outcome of a file over a sandbox limit


@dataclass
class SiteState:
    config: SiteSpec
    crawl: CrawlLimits
    hosts: frozenset[str]
    disclosure: str | None = None
    columns: dict[str, str] = field(default_factory=dict)   # url prefix → column kind
    # kind → URL of a column linked by the home or disclosure page on a host outside the
    # site (邯郸's 政策解读 on hd.gov.cn): not crawled, so what it holds is unknown
    off_site_columns: dict[str, str] = field(default_factory=dict)
    sections: list[str] = field(default_factory=list)       # block headings of the disclosure page
    # the messages 政务咨询 lists show with their dates (content.message_rows), with their list page
    messages: dict[tuple[str, str, str], dict[str, str]] = field(default_factory=dict)
    pages: int = 0
    fetches: int = 0
    problems: int = 0
    capped: bool = False
    links_over_cap: int = 0          # links beyond crawl.max_links_per_page, counted, not followed
    pages_over_cap: int = 0
    traps: dict[tuple[str, str], int] = field(default_factory=dict)
    # scope upgrades: a URL first requested out of scope and later linked from an in-scope
    # page → (list date, column, parent) of that in-scope link
    upgraded: dict[str, tuple[str | None, str | None, str]] = field(default_factory=dict)
    skipped: set[str] = field(default_factory=set)   # fetched OK, not parsed only for being out of scope
    unreadable: dict[str, str] = field(default_factory=dict)   # fetched OK out of scope, not a page → reason
    coverage: dict[str, int] = field(default_factory=dict)   # fetched / parsed / not parsed by reason
    unparsed: dict[str, str] = field(default_factory=dict)   # in-scope URL fetched but not parsed → reason
    sitemaps: int = 0
    # an incremental run decides the site's pages once its robots.txt and sitemaps are read and
    # its home page has answered (crawler/lastmod.py): until then its page requests are held
    robots_read: bool = True
    home_done: bool = True
    sitemaps_reading: int = 0
    held: list = field(default_factory=list)
    lastmods: dict[str, tuple[float, str]] = field(default_factory=dict)   # page → (lastmod_time, text)
    sitemap_validators: dict[str, dict] = field(default_factory=dict)   # sitemap read → kind, validators
    # directory → (url, facts hash, links in scope) of the page read for ``dir/`` or ``dir/index.html``
    index_pages: dict[tuple[str, str], tuple] = field(default_factory=dict)
    twins: dict[str, str] = field(default_factory=dict)   # a page's other URL → the URL it was read as
    # pages read out of scope → the pages they requested [(url, depth, column, list date)]
    unscoped: dict[str, list[tuple[str, int, str | None, str | None]]] = field(default_factory=dict)
    link_inputs: str = ""   # what the site's link rows are made from besides the pages (link_inputs)
    # how its pages were carried: by_carrier (pages a carrier carried, crawler/lastmod.py), links_taken
    # and links_made (carried pages whose stored link rows were taken as they are, or made again),
    # sitemaps_taken (sitemaps answering 304 whose stored link rows were taken as they are)
    carried: dict[str, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def max_pages(self) -> int:
        return self.config.max_pages or self.crawl.max_pages

    @property
    def max_depth(self) -> int:
        return self.config.max_depth if self.config.max_depth is not None else self.crawl.max_depth

    @property
    def robots(self) -> bool:
        return self.crawl.respect_robots if self.config.respect_robots is None else self.config.respect_robots

    @property
    def deciding(self) -> bool:
        """Are the site's sitemaps still being read (its page requests held)?"""
        return not (self.robots_read and self.home_done and self.sitemaps_reading == 0)

    def add_column(self, kind: str, url: str) -> None:
        prefix = directory_prefix(url)
        key = url if urlsplit(prefix).path in ("", "/") else prefix
        self.columns.setdefault(key, kind)

    def add_messages(self, list_page: str, base: str, rows: list[dict[str, str]]) -> None:
        """Keep the dated rows of a 政务咨询 list (each message once, at most MAX_MESSAGES)."""
        for row in rows:
            if len(self.messages) >= MAX_MESSAGES:
                return
            rec = {**row, "list_page": list_page}
            try:
                rec["url"] = normalize_href(rec.pop("href"), base) if "href" in row else None
            except InvalidURL:
                rec["url"] = None
            key = (rec["url"] or list_page, rec.get("标题", ""), rec["留言日期"])
            self.messages.setdefault(key, rec)

    def column_of(self, url: str) -> tuple[str | None, str | None]:
        return column_of(self.columns, url)

    def in_scope(self, url: str) -> bool:
        if self.disclosure and url.startswith(_scope_prefix(self.disclosure)):
            return True
        return any(url == p or (p.endswith("/") and url.startswith(p)) for p in self.columns)


    def count(self, what: str) -> None:
        self.coverage[what] = self.coverage.get(what, 0) + 1

    def twin_of(self, url: str, facts, scoped: bool) -> str | None:
        """The URL already read as the same page as ``url`` (``dir/`` and ``dir/index.html``,
        ``index.htm``, ``default.aspx`` …, with the same ``facts``: title, text and links;
        its links followed in the same scope), else None (and ``url`` is remembered as its
        directory's page)."""
        parts = urlsplit(url)
        base = parts.path.rsplit("/", 1)[-1]
        if parts.query or (base and not _INDEX_FILE.match(base)):
            return None
        key = (parts.netloc, parts.path[: len(parts.path) - len(base)])
        this = (url, extract.text_hash(json.dumps(facts, ensure_ascii=False)), scoped)
        seen = self.index_pages.setdefault(key, this)
        return seen[0] if seen[0] != url and seen[1:] == this[1:] else None

    def not_parsed(self, url: str, reason: str) -> None:
        """An in-scope page answered but was not parsed (``cap``, ``depth``, ``trap``,
        ``error``, ``non-HTML``): counted, and kept with its reason (the runner writes it on
        the page's fetch row and lists the first few in the run summary)."""
        self.count(f"unparsed:{reason}")
        self.unparsed.setdefault(url, reason)


_INDEX_FILE = re.compile(r"^(?:index|default)\.(?:s?html?|jsp|php|aspx?)$", re.I)


def _scope_prefix(url: str) -> str:
    prefix = directory_prefix(url)
    return url if urlsplit(prefix).path in ("", "/") else prefix


class PortalSpider(scrapy.Spider):
    name = "portal"

    def __init__(self, sites: list[SiteSpec], crawl: CrawlLimits, reference_date: date | None = None,
                 read_kinds: Sequence[str] = documents.READABLE_KINDS, claims: str | None = None, **kwargs):
        super().__init__(**kwargs)
        # one of a run's crawl processes: an off-site URL is requested only once claimed here
        # (store/claims.py); one another process claimed is checked there
        self.claims = Claims(claims) if claims else None
        self.read_kinds = tuple(read_kinds)   # same-site attachments read with one capped GET (pdf/docx/xlsx)
        self.crawl_cfg = crawl
        self.reference_date = reference_date or date.today()   # the audit date: gives month-day list dates a year
        self.sites: dict[str, SiteState] = {}
        for site in sites:
            hosts = {site.host, *(h.lower() for h in site.allowed_domains)}
            hosts.update(host_of(u) for u in [site.disclosure, *site.columns.values()] if u)
            st = SiteState(site, crawl, frozenset(h for h in hosts if h))
            st.link_inputs = link_inputs(st.hosts)
            if site.disclosure:
                st.disclosure = normalize_href(site.disclosure, site.url)
            for kind, url in site.columns.items():
                st.add_column(kind, normalize_href(url, site.url))
            self.sites[site.name] = st
        self.probed_hosts: set[str] = set()
        # URLs already requested this run → requested from the disclosure scope: a link seen
        # again costs no Request object (Scrapy's dupefilter would drop it, after building
        # and fingerprinting it), unless it upgrades the URL's scope
        self.requested: dict[str, bool] = {}
        self.hops = Hops(crawl.max_redirects)   # the URLs requested as redirect hops, and rows made of others' answers
        self.previous: PreviousRun | None = None   # an incremental run's previous run (crawler/previous.py)
        self.by_lastmod = False   # pages carried by their sitemap lastmod (crawler/lastmod.py)
        self.holding: dict[str, SiteState] = {}   # sites whose page requests are held (hold)
        self.robots_txt: dict[str, str] = {}   # netloc → robots.txt text (crawler.middlewares.RobotsTxtKeeper)
        self.robots_rules = None   # that middleware, when robots.txt is obeyed (asked by carry)
        # pages carried without a request cycle of their own (carry): depth → their metas, in order;
        # the depths whose carrier request is to be sent (carriers)
        self.carrying: dict[int, collections.deque] = {}
        self.carriers_due: list[int] = []

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._cap_read_headers, signal=signals.headers_received)
        crawler.signals.connect(spider._cap_read_bytes, signal=signals.bytes_received)
        if spider.claims is not None:
            crawler.signals.connect(spider.claims.close, signal=signals.spider_closed)
        spider.previous = PreviousRun.from_settings(crawler.settings)
        if spider.previous is not None:
            crawler.signals.connect(spider.previous.close, signal=signals.spider_closed)
            spider.by_lastmod = spider.crawl_cfg.read_sitemaps and spider.previous.recheck_after > 0
            for st in spider.sites.values() if spider.by_lastmod else ():
                st.robots_read = st.home_done = False
        return spider

    def record_sites(self, store, run_id: int, lost: dict[str, dict[str, int]]) -> None:
        """After the crawl: why each site's unparsed pages were not parsed, then its ``run_sites``
        row (the last write of its crawl: a Scrapyd job's completion row; ``lost``:
        :func:`crawler.pipelines.lost_rows`)."""
        for st in self.sites.values():
            store.mark_unparsed(run_id, st.unparsed)
            reachable = store.fetch_count(run_id, site=st.name, kind="home", outcome="ok") > 0
            store.set_run_site(run_id, st.name, url=st.config.url, disclosure_url=st.disclosure,
                               status=SiteStatus.OK if reachable else SiteStatus.UNREACHABLE,
                               pages=st.pages, links=st.fetches,
                               stats_json={"problems": st.problems, "capped": st.capped,
                                           "links_over_cap": st.links_over_cap, "pages_over_cap": st.pages_over_cap,
                                           "columns": dict(st.columns), "off_site_columns": dict(st.off_site_columns),
                                           "sections": list(st.sections), "messages": list(st.messages.values()),
                                           "sitemaps": dict(st.sitemap_validators), "link_inputs": st.link_inputs,
                                           "carried": dict(st.carried),
                                           "write_errors": lost.get(st.name, {}), "coverage": dict(st.coverage),
                                           "unparsed": dict(itertools.islice(st.unparsed.items(),
                                                                             MAX_UNPARSED_LISTED))})

    def site_of(self, url: str) -> str | None:
        """The site a URL belongs to (for requests Scrapy makes itself, such as robots.txt)."""
        return next((st.name for st in self.sites.values() if same_site(url, st.hosts)), None)

    # -- requests ----------------------------------------------------------
    async def start(self):
        for st in self.sites.values():
            home = normalize_href(st.config.url, st.config.url)
            yield self._request(home, st, kind="home", depth=0)
            robots_txt = urljoin(home, "/robots.txt")
            if self.crawl_cfg.read_sitemaps and not st.robots and robots_txt not in self.requested:
                # obeying robots.txt, the middleware's fetch is read instead (see _kept_sitemaps)
                self._requested_elsewhere(robots_txt)   # one host's robots.txt and sitemaps are read once a run
                yield self._source_request(robots_txt, st, self.on_robots)
            elif not st.robots:
                st.robots_read = True
            if st.disclosure:
                yield self._request(st.disclosure, st, kind="page", depth=1, from_scope=True)
            for prefix, kind in st.columns.items():
                yield self._request(prefix, st, kind="page", depth=2, column=kind, from_scope=True)

    def _request(self, url: str, st: SiteState, *, kind: str, depth: int, column: str | None = None,
                 from_scope: bool = False, list_date: str | None = None,
                 parent: str | None = None, css: bool = False, form: bool = False) -> scrapy.Request:
        mode = self._mode(url, st, kind, css)
        read, head = mode == READ, mode == HEAD
        self.requested[url] = self.requested.get(url, False) or from_scope
        meta = {
            "site": st.name, "kind": kind, "depth": depth, "origin": url, "chain": [],
            "column": column, "from_scope": from_scope, "list_date": list_date, "parent": parent,
            "handle_httpstatus_all": True, "dont_redirect": True, "started": time.monotonic(),
            "dont_obey_robotstxt": not st.robots or kind in LEAF_KINDS, "css": css, "form": form,
        }
        if read:
            # the check and the read are one GET, stopped (not failed) at the cap
            meta.update(read_cap=min(documents.MAX_DOCUMENT_BYTES, self.crawl_cfg.max_page_size),
                        download_maxsize=0, download_warnsize=0)
        headers = self.previous.validators(url) if self.previous is not None and kind in ("home", "page") else {}
        if headers:
            meta["conditional"] = True
        return scrapy.Request(url, method="HEAD" if head else "GET", callback=self.on_read_response if read else self.on_response,
                              headers=headers,
                              errback=self.on_error, meta=meta, priority=_priority(kind, depth))

    def _mode(self, url: str, st: SiteState, kind: str, css: bool) -> str:
        """How a link is checked (crawler/hops.py): HEAD for an attachment or a resource (not a
        style sheet), one capped GET reading a same-site XLSX/DOCX/PDF, else a GET (of a page)."""
        if kind == "attachment" and same_site(url, st.hosts) and documents.document_kind(url) in self.read_kinds:
            return READ
        if (kind == "resource" and not css) or kind == "attachment":
            return HEAD
        return PAGE if kind in ("home", "page") else GET

    def _requested_elsewhere(self, url: str) -> None:
        """``url`` is requested, but its answer is no fetch row of this process (robots.txt, read
        for its rules; an off-site URL another crawl process claimed): a chain reaching it goes on."""
        self.requested[url] = False
        self.hops.elsewhere.add(url)

    def _source_request(self, url: str, st: SiteState, callback, **extra) -> scrapy.Request:
        """A GET of robots.txt or a sitemap: read for what it says, never judged as a link."""
        meta = {"site": st.name, "handle_httpstatus_all": True, "dont_redirect": True, "dont_retry": True,
                "dont_obey_robotstxt": True, **extra}
        headers = self.previous.sitemap_headers(st.name, url) if self.previous and callback == self.on_sitemap else {}
        meta["conditional"] = bool(headers)
        return scrapy.Request(url, callback=callback, errback=self.on_source_error, meta=meta, dont_filter=True,
                              priority=LEAF_PRIORITY, headers=headers)

    # -- sitemap lastmod (crawler/lastmod.py) ------------------------------
    def _by_lastmod(self, request) -> SiteState | None:
        """The site of a request that its sitemap lastmod may spare: a page the previous run
        fetched (so requested with its validators), not the home page, not a second fetch."""
        meta = request.meta if isinstance(request, scrapy.Request) else None
        if not self.by_lastmod or meta is None or not meta.get("conditional") or meta.get("kind") != "page" \
                or meta.get("reparse"):
            return None
        return self.sites[meta["site"]]

    def hold(self, item) -> bool:
        """Keep a page request of a site whose sitemaps are still being read (True), to be let go
        by :meth:`released`."""
        st = self._by_lastmod(item)
        if st is None or not st.deciding:
            return False
        st.held.append(item)
        self.holding[st.name] = st
        return True

    def released(self, force: bool = False) -> list:
        """The held requests of the sites whose sitemaps are read; ``force``: of every site (the
        crawl would go idle: whatever is read is all there is)."""
        out = []
        for st in [st for st in self.holding.values() if force or not st.deciding]:
            if force:
                st.robots_read = st.home_done = True
                st.sitemaps_reading = 0
            out += st.held
            st.held = []
            del self.holding[st.name]
        return [request for request in out if not self.carry(request)]

    def unrequested(self, request):
        """The 304 a page request is answered with, without a request, when the site's sitemap
        says the page has not changed since a request last verified it
        (:meth:`crawler.previous.PreviousRun.unchanged_since`); else None (it is sent)."""
        if not self._spared(request):
            return None
        return Response(request.url, status=304, request=request, flags=[CARRIED])

    def _spared(self, request) -> bool:
        """Does the site's sitemap lastmod spare this page request (see :meth:`unrequested`)? Then
        the lastmod trusted is noted in its meta (``sitemap_lastmod``)."""
        st = self._by_lastmod(request)
        lastmod = st.lastmods.get(request.meta["origin"]) if st is not None else None
        if lastmod is None or self.previous.unchanged_since(request.meta["origin"], lastmod[0]) is None:
            return False
        request.meta["sitemap_lastmod"] = lastmod[1]
        return True

    def carry(self, request) -> bool:
        """Take a page request that :meth:`unrequested` would answer out of the spider's output
        (True), to be carried by a carrier of its depth (:meth:`carriers`, crawler/lastmod.py),
        when the downloader middlewares before that answer are known to let it through: its
        host is one of the site's own (the address policy allows the sites' addresses), and
        robots.txt is not obeyed for it or was read for its host and allows it. Else False: the
        request goes its way (and is answered so there, or sent)."""
        st = self._by_lastmod(request)
        meta = request.meta if st is not None else None
        if (meta is None or st.deciding or meta.get("list_of") or meta.get("frame_of") is not None
                or request.priority != _priority("page", meta["depth"]) or urlsplit(request.url).hostname not in st.hosts
                or not (meta["dont_obey_robotstxt"] or (self.robots_rules is not None and self.robots_rules.allows(request)))
                or not self._spared(request)):
            return False
        queue = self.carrying.get(meta["depth"])
        if queue is None:
            queue = self.carrying[meta["depth"]] = collections.deque()
            self.carriers_due.append(meta["depth"])
        queue.append(meta)
        return True

    def carriers(self) -> list:
        """The carrier requests to send: one for each depth that has pages queued and no carrier
        on its way, with the breadth-first priority of that depth's pages."""
        due, self.carriers_due = self.carriers_due, []
        return [self._carrier(depth) for depth in due]

    def _carrier(self, depth: int) -> scrapy.Request:
        first = self.carrying[depth][0]   # a page of a site's own host: what the middlewares before the answer see
        return scrapy.Request(first["origin"], callback=self.on_carrier, errback=self.on_carrier, dont_filter=True,
                              priority=_priority("page", depth),
                              meta={CARRIER: depth, "dont_obey_robotstxt": True, "dont_redirect": True,
                                    "dont_retry": True, "handle_httpstatus_all": True})

    def on_carrier(self, response_or_failure):
        """A carrier's turn: up to :data:`CARRIED_PER_CARRIER` pages queued at its depth carried, in
        their order, as :meth:`_not_modified` carries any page its sitemap lastmod spares; then the
        next carrier of that depth while its pages are left. (A carrier that failed in a
        middleware carries them all the same: nothing was to be sent.)"""
        request = getattr(response_or_failure, "request", None)
        depth = request.meta[CARRIER]
        queue = self.carrying.get(depth)
        for _ in range(min(CARRIED_PER_CARRIER, len(queue) if queue else 0)):
            meta = queue.popleft()
            st = self.sites[meta["site"]]
            st.carried["by_carrier"] = st.carried.get("by_carrier", 0) + 1
            yield from self._not_modified(meta, st, carried=True)
        if queue:
            yield self._carrier(depth)
        else:
            self.carrying.pop(depth, None)

    # -- robots.txt and sitemaps -------------------------------------------
    def on_robots(self, response):
        """robots.txt read for its ``Sitemap:`` lines (links of robots.txt, so a sitemap it
        announces that is missing is a broken link); without any, the site root's sitemap.xml
        is tried (a guess: it is never reported)."""
        st = self.sites[response.meta["site"]]
        text = response.text if response.status == 200 and not extract.looks_binary(response.body) else ""
        yield from self._robots_sitemaps(response.url, st, text)
        st.robots_read = True

    def _kept_sitemaps(self, url: str, st: SiteState):
        """Obeying robots.txt: on a site's first answer, the sitemaps of the robots.txt the
        middleware fetched for its host (one fetch of robots.txt a host and run)."""
        robots_txt = urljoin(url, "/robots.txt")
        text = self.robots_txt.get(urlsplit(url).netloc)
        if self.crawl_cfg.read_sitemaps and text is not None and robots_txt not in self.requested:
            self._requested_elsewhere(robots_txt)
            yield from self._robots_sitemaps(robots_txt, st, text)
        st.robots_read = True

    def _robots_sitemaps(self, robots_txt: str, st: SiteState, text: str):
        announced = robots.sitemaps_in(text)
        if announced:
            rows = Rows()
            yield from self._sitemap_links(robots_txt, st, [(url, None, None) for url in announced], rows)
            yield rows
        else:
            st.sitemaps_reading += 1
            yield self._source_request(urljoin(robots_txt, "/sitemap.xml"), st, self.on_sitemap)

    def _sitemap_links(self, source: str, st: SiteState, locs, rows: Rows):
        """Link rows (into ``rows``) for the sitemaps robots.txt or a sitemap index lists, and
        the requests reading them (each with a fetch row of its own)."""
        for loc, line, lastmod in locs:
            raw = extract.RawLink(href=loc, anchor="", tag="sitemap", attr="loc", line=line, hidden=None,
                                  list_date=None)
            try:
                fresh = normalize_href(loc, source) not in self.requested
            except InvalidURL:
                fresh = False
            row, invalid = self._link(raw, source, source, st, 0, None, False)   # its request is not sent:
            row["lastmod"] = lastmod
            rows.add("links", [row]).add("fetches", [invalid] if isinstance(invalid, dict) else [])
            if not fresh or st.sitemaps >= MAX_SITEMAPS:                      # the sitemap is read below
                continue
            st.sitemaps += 1
            st.sitemaps_reading += 1
            self.requested[row["target_url"]] = False
            yield self._source_request(row["target_url"], st, self.on_sitemap, kind="resource", depth=1,
                                       origin=row["target_url"], chain=[], started=time.monotonic())

    def on_sitemap(self, response):
        """A sitemap's ``<loc>``s are its links (checked, and crawled when in scope); a sitemap
        index's are more sitemaps. In an incremental run the ``<lastmod>`` of each page is kept
        (:meth:`unrequested`). A sitemap answering 304 is read as the previous run stored it:
        its stored link rows taken as they are when they were made from the same inputs
        (:func:`link_inputs`), as a carried page's are."""
        meta = response.meta
        st = self.sites[meta["site"]]
        status = response.status
        stored = None
        if status == 304 and meta.get("conditional"):   # unchanged: read as the previous run stored it
            st.sitemap_validators[response.url] = self.previous.sitemap_validators(st.name)[response.url]
            kind, status = st.sitemap_validators[response.url]["kind"], 200
            stored = self._stored_sitemap_links(st, response.url) if kind == "urlset" else None
            locs = self.previous.sitemap(st.name, response.url)[1] if stored is None else []
        else:
            body = response.body
            if body[:2] == b"\x1f\x8b":
                try:
                    body = gzip.GzipFile(fileobj=io.BytesIO(body)).read(self.crawl_cfg.max_page_size)
                except (OSError, EOFError):
                    body = b""
            kind, locs = robots.sitemap_locs(body) if status == 200 else ("", [])
            if kind:
                st.sitemap_validators[response.url] = {"kind": kind, "etag": _header(response, "ETag"),
                                                       "last_modified": _header(response, "Last-Modified")}
        rows = Rows()
        if "origin" in meta:   # announced: its fetch is a link check
            outcome, error = classify_status(status, retry_after=retry_after_seconds(response.headers.get("Retry-After")))
            row = self._fetch_row(meta, st, method="GET", status=status, outcome=outcome, error=error,
                                  final_url=response.url, size=len(response.body))
            row["not_modified"] = int(response.status == 304)
            rows.add("fetches", [row])
        requests = []
        if kind == "sitemapindex":
            requests = list(self._sitemap_links(response.url, st, locs, rows))
        for r in stored or ():
            self._sitemap_entry(st, r["target_url"], r["kind"], r["lastmod"], self._follow_link(
                r["target_url"], r["kind"], None, False, False, response.url, st, 1, None, False), rows, requests)
        if stored is not None:
            rows.add(CARRIED_LINKS, [{"site": st.name, "source_url": response.url, "from_run": self.previous.run_id}])
            st.carried["sitemaps_taken"] = st.carried.get("sitemaps_taken", 0) + 1
        for loc, line, lastmod in locs if kind == "urlset" else ():
            raw = extract.RawLink(href=loc, anchor="", tag="sitemap", attr="loc", line=line, hidden=None,
                                  list_date=None)
            row, follow = self._link(raw, response.url, response.url, st, 1, None, False)
            row["lastmod"] = lastmod
            rows.add("links", [row])
            self._sitemap_entry(st, row["target_url"], row["kind"], lastmod, follow, rows, requests)
        st.sitemaps_reading -= 1
        yield rows
        yield from requests

    def _stored_sitemap_links(self, st: SiteState, url: str) -> list | None:
        """The link rows the previous run made of the sitemap ``url`` (it answered 304), to take as
        they are: when that run made them from the same inputs, and none is an invalid URL (why
        is not stored); else None (they are made again from its stored ``<loc>``s)."""
        if not self._same_link_inputs(st):
            return None
        stored = self.previous.links(url)
        return None if any(r["kind"] == "invalid" for r in stored) else stored

    def _sitemap_entry(self, st: SiteState, target: str, kind: str, lastmod: str | None, follow, rows: Rows,
                       requests: list) -> None:
        """What follows from a sitemap's ``<loc>`` (into ``rows`` and ``requests``), and the
        lastmod of a page kept for the incremental run."""
        if isinstance(follow, scrapy.Request):
            requests.append(follow)
        elif isinstance(follow, Rows):   # a check taken over from the previous run
            rows.merge(follow)
        elif follow is not None:
            rows.add("fetches", [follow])
        when = robots.lastmod_time(lastmod) if self.by_lastmod and kind == "page" else None
        if when is not None and when >= st.lastmods.get(target, (when, ""))[0]:
            st.lastmods[target] = (when, lastmod)   # listed twice: the later one

    def on_source_error(self, failure):
        meta = failure.request.meta
        st = self.sites[meta["site"]]
        if failure.request.callback == self.on_robots:
            st.robots_read = True
        else:
            st.sitemaps_reading -= 1
        if "origin" in meta:   # an announced sitemap that cannot be read
            outcome, error = classify_failure(failure)
            yield Rows.of("fetches", [self._fetch_row(meta, st, method="GET", status=None, outcome=outcome,
                                                      error=error, final_url=failure.request.url)])

    def _robots_excluded_row(self, st: SiteState, home_meta: dict, rule: str | None) -> Rows:
        error = f"robots.txt 不允许检查首页（{rule}），未检查" if rule else "robots.txt 不允许检查首页，未检查"
        return Rows.of("fetches", [self._fetch_row(home_meta, st, method="GET", status=None,
                                                   outcome=Outcome.EXCLUDED, error=error,
                                                   final_url=home_meta["origin"])])

    # -- responses ---------------------------------------------------------
    def on_response(self, response):
        meta = response.meta
        st = self.sites[meta["site"]]
        status = response.status
        if meta["kind"] == "home" and not meta["chain"]:
            yield from self._kept_sitemaps(meta["origin"], st)
        if 300 <= status < 400 and response.headers.get("Location"):
            yield from self._follow_redirect(response, st)
            return
        if status == 304 and meta.get("conditional"):
            yield from self._not_modified(meta, st, carried=CARRIED in response.flags, request=response.request)
            return
        request = response.request
        if request.method == "HEAD" and status in HEAD_FALLBACK_STATUSES and not meta.get("head_fallback"):
            yield request.replace(method="GET", headers={"Range": "bytes=0-1023"}, dont_filter=True,
                                  meta={**_own_meta(meta), "head_fallback": True})
            return
        ctype = response.headers.get("Content-Type", b"").decode("latin-1").lower()
        body = response.body
        htmlish = (("html" in ctype or (not ctype and extract.looks_html(body))) and request.method != "HEAD"
                   and "read_cap" not in meta)
        binary = htmlish and extract.looks_binary(body)
        text = charset = None
        tree = None
        title = heading = ""
        visible = ""
        if htmlish and not binary and body:
            text, charset = extract.decode_html(body, _header_charset(ctype))
            tree = extract.parse_tree(text)
            if tree is not None:
                title = extract.page_title(tree)
                heading = extract.page_heading(tree)
        waf_text = extract.text_of(tree) if tree is not None and not 200 <= status < 300 else ""
        outcome, error = classify_status(status, title, waf_text,
                                         retry_after_seconds(response.headers.get("Retry-After")))
        if meta.get("list_of"):
            yield from self._parse_list_data(response, st, outcome)
            return
        if meta.get("form") and status in FORM_OK_STATUSES:
            outcome, error = Outcome.OK, f"HTTP {status}：表单地址存在（只检查地址，不提交表单）"
        anchors = None
        if tree is not None and outcome is Outcome.OK:
            if meta["kind"] not in ("probe", "attachment", "resource"):
                redirect = linkparse.client_redirect(tree)
                if redirect is not None and (follow := self._client_redirect(response, st, tree, *redirect)) is not None:
                    yield from follow
                    return
            visible = extract.visible_text(tree)
            anchors = json.dumps(sorted(linkparse.anchors(tree))[:MAX_ANCHORS], ensure_ascii=False)
        final_url = response.url
        rows = Rows()
        if not meta.get("reparse"):   # a scope upgrade's second fetch: the first one is recorded
            row = self._fetch_row(meta, st, method=request.method, status=status, outcome=outcome, error=error,
                                  final_url=final_url, ctype=ctype, title=title, heading=heading,
                                  size=_content_length(response), visible=visible, anchors=anchors)
            row.update(etag=_header(response, "ETag"), last_modified=_header(response, "Last-Modified"))
            if binary:
                row["error"] = "以 text/html 返回的二进制内容"
            rows.add("fetches", [row])
        follow = []
        if outcome is Outcome.OK and tree is not None:
            if not meta.get("reparse"):
                follow.extend(self._maybe_probe(final_url, st, meta["kind"]))
            if self._should_parse(final_url, st, meta):
                follow.extend(self._parse_page(response, st, tree, text, charset, title, heading, rows))
        elif meta.get("css") and outcome is Outcome.OK and body and same_site(final_url, st.hosts):
            follow.extend(self._parse_css(response, st, rows))
        elif outcome is Outcome.OK and meta["kind"] not in LEAF_KINDS and same_site(final_url, st.hosts):
            reason = "non-HTML" if tree is None and (binary or not htmlish) else "error"
            if self._in_scope_page(final_url, st, meta):
                st.count("fetched")
                st.not_parsed(meta["origin"], reason)
            else:
                st.unreadable[meta["origin"]] = reason   # counted if an in-scope page links to it later
        yield rows
        yield from follow

    def _follow_redirect(self, response, st: SiteState):
        location = response.headers["Location"].decode("latin-1")
        yield from self._follow(response, st, location, response.url, {"url": response.url, "status": response.status})

    def _client_redirect(self, response, st: SiteState, tree, how: str, href: str) -> list | None:
        """What follows a page's ``<meta http-equiv=refresh>`` or ``location = …`` one-liner
        as a redirect hop (a browser never shows the page), or None when it points back at
        the page itself (a page refreshing itself is a page)."""
        base = _base_url(response.url, tree)
        try:
            if normalize_href(href, base) == canonical(response.url):
                return None
        except InvalidURL:
            pass
        return list(self._follow(response, st, href, base, {"url": response.url, "status": response.status, "via": how}))

    def _follow(self, response, st: SiteState, location: str, base: str, hop: dict):
        meta = response.meta
        chain = [*meta["chain"], hop]
        try:
            target = normalize_href(location, base)
        except InvalidURL as exc:
            yield Rows.of("fetches", [self._fetch_row({**meta, "chain": chain}, st, method=response.request.method,
                                                   status=response.status, outcome=Outcome.HTTP_ERROR,
                                                   error=f"跳转地址无效：{location}（{exc}）", final_url=location)])
            return
        verdict = redirect_verdict([hop["url"] for hop in chain], target, self.crawl_cfg.max_redirects)
        if verdict is not None:
            outcome, error = verdict
            yield Rows.of("fetches", [self._fetch_row({**meta, "chain": chain + [{"url": target, "status": None}]}, st,
                                                   method=response.request.method, status=response.status,
                                                   outcome=outcome, error=error, final_url=target)])
            return
        method = "GET" if response.status == 303 else response.request.method
        if target in self.requested and self.hops.ends(target) and not meta.get("reparse") \
                and meta["kind"] != "home" and meta["origin"] != st.disclosure:
            # requested before, directly or as a hop: its answer ends this chain too, and the row is
            # made when the crawl ends (crawler/hops.py); the home and disclosure pages are read as
            # themselves, whatever else requested their target
            self.hops.share(meta["origin"], st.name, meta["kind"], meta["depth"], chain, target)
            self._count_fetch(st)
            if self._in_scope_page(target, st, meta):
                upgrade = self._upgrade(st, target, meta["depth"], meta.get("parent") or meta["origin"],
                                        meta["column"], meta["list_date"])
                if upgrade is not None:
                    yield upgrade
            return
        if self.claims is not None and meta["kind"] != "home" and not meta.get("reparse") \
                and self._claimed_elsewhere(target, st, meta, method) \
                and self.claims.chain(meta["origin"], st.name, meta["kind"], meta["depth"], chain, target):
            # another crawl process requests it: the parent makes this chain's row once their rows
            # are merged (store/claims.py)
            self._count_fetch(st)
            return
        headers = {k: v for k, v in response.request.headers.items()
                   if k not in (b"If-None-Match", b"If-Modified-Since")}   # validators are the origin's
        request = response.request.replace(url=target, method=method, dont_filter=True, headers=headers,
                                           meta={**_own_meta(meta), "chain": chain, "conditional": False})
        if target not in self.requested:
            self.requested[target] = False
            self.hops.hop(target, meta["origin"], mode_of(request))
        yield request

    # -- errors ------------------------------------------------------------
    def on_error(self, failure):
        request = failure.request
        meta = request.meta
        st = self.sites[meta["site"]]
        outcome, error = classify_failure(failure)
        if meta["kind"] == "home" and st.robots:
            st.robots_read = True   # no robots.txt read for an unreachable home (_kept_sitemaps reads it below)
        if outcome is Outcome.EXCLUDED and meta["kind"] == "home" and failure.check(IgnoreRequest):
            text = self.robots_txt.get(urlsplit(request.url).netloc) or ""
            agent = request.headers.get("User-Agent", b"").decode("latin-1")
            yield self._robots_excluded_row(st, meta, robots.disallow_rule(text, agent, request.url))
            yield from self._kept_sitemaps(request.url, st)
            return
        if request.method == "HEAD" and outcome in (Outcome.RESET, Outcome.ERROR) and not meta.get("head_fallback"):
            yield request.replace(method="GET", headers={"Range": "bytes=0-1023"}, dont_filter=True,
                                  meta={**_own_meta(meta), "head_fallback": True})
            return
        yield Rows.of("fetches", [self._fetch_row(meta, st, method=request.method, status=None, outcome=outcome,
                                               error=error, final_url=request.url)])

    # -- parsing -------------------------------------------------------------
    def _in_scope_page(self, url: str, st: SiteState, meta) -> bool:
        """A same-site page the audit must read: the home page and its links, anything in the
        disclosure scope, linked from it, or upgraded into it (see :meth:`_upgrade`)."""
        if meta["kind"] in LEAF_KINDS or not same_site(url, st.hosts):
            return False
        # the parent's scope is looked at now, not when the link was found: a column
        # discovered on the disclosure page meanwhile counts (Hanweb /col/ → /art/ pages)
        return (meta["depth"] <= 1 or st.in_scope(url) or meta["from_scope"] or meta["origin"] in st.upgraded
                or st.in_scope(meta.get("parent") or ""))

    def _should_parse(self, url: str, st: SiteState, meta) -> bool:
        if not self._in_scope_page(url, st, meta):
            if meta["kind"] not in LEAF_KINDS and same_site(url, st.hosts):
                st.skipped.add(meta["origin"])   # parsed after all if an in-scope page links to it later
            return False
        st.count("fetched")
        reason = None
        if meta["depth"] > st.max_depth:
            reason = "depth"
        elif looks_like_trap_path(url):
            reason = "trap"
        else:
            key = trap_key(url)
            if key is not None:
                st.traps[key] = st.traps.get(key, 0) + 1
                if st.traps[key] > MAX_TRAP_VARIANTS:
                    reason = "trap"
        if reason is None and st.pages >= st.max_pages:
            st.capped = True
            reason = "cap"
        if reason:
            st.not_parsed(meta["origin"], reason)
            return False
        return True

    def _upgrade(self, st: SiteState, target: str, depth: int, page_url: str, column: str | None,
                 list_date: str | None) -> scrapy.Request | None:
        """An in-scope page links to ``target``, already requested out of scope: from now on it
        is in scope. If it was fetched and left unparsed for that reason, it is fetched once
        more and parsed (no second fetch row); if its answer is still to come, it is parsed
        when it comes. Either way it is parsed as if this page had linked it first."""
        if self.requested.get(target):
            return None
        self.requested[target] = True
        st.upgraded[target] = (list_date, column, page_url)
        if target in st.unreadable:   # it answered, but not as a web page: no use fetching it again
            st.count("fetched")
            st.not_parsed(target, st.unreadable.pop(target))
            return None
        if target not in st.skipped:
            return None
        st.skipped.discard(target)
        request = self._request(target, st, kind="page", depth=depth, column=column, from_scope=True,
                                list_date=list_date, parent=page_url)
        request.meta["reparse"] = True
        return request.replace(dont_filter=True)

    def _parse_page(self, response, st: SiteState, tree, text: str, charset: str, title: str, heading: str,
                    rows: Rows):
        """Parse a page: its page row and link rows go into ``rows``; yields the requests
        that follow from it."""
        meta = response.meta
        depth = meta["depth"]
        base = _base_url(response.url, tree)
        raw_links = self._capped_links(extract.iter_links(tree, self.reference_date, text), st)
        raw_links += extract.record_links(extract.datastore_records(text), self.reference_date)
        pager = [extract.RawLink(href=href, anchor="（翻页脚本）", tag="script", attr="createPageHTML",
                                 line=None, hidden=None, list_date=None)
                 for href in extract.pagination_hrefs(text, urlsplit(meta["origin"]).path.rsplit("/", 1)[-1])]
        meta_fields = content.extract_metadata(tree) if depth > 0 else {}
        is_list = content.is_list_page(tree, raw_links, meta_fields)
        page = {
            "site": st.name, "url": meta["origin"], "final_url": response.url, "status": response.status,
            "content_type": response.headers.get("Content-Type", b"").decode("latin-1"), "charset": charset,
            "title": title, "heading": heading, "size": len(response.body),
            "is_home": int(depth == 0), "is_list": int(is_list),
            "main_text": "" if is_list or depth == 0 else content.extract_main_text(tree),
            "meta_json": json.dumps({} if is_list else meta_fields, ensure_ascii=False),
            "document_url": None, "carried_from": None, "base_url": base if base != response.url else None,
        }
        if not is_list and depth > 0 and documents.body_is_only_a_link(page["main_text"]):
            page["document_url"] = self._document_url(raw_links, base, st)
        if st.disclosure and meta["origin"] == st.disclosure:
            st.sections = extract.section_headings(tree)
        column = st.column_of(meta.get("frame_of") or meta["origin"])[0] or meta["column"]
        if column == "interaction":   # a 政务咨询 list may show its messages' dates without detail pages
            st.add_messages(meta["origin"], base, content.message_rows(tree))
        yield from self._use_page(meta, st, page, raw_links + pager, base, rows)
        proxy = extract.jpage_proxy_href(text)
        if proxy:   # a Hanweb list that loads through the jpage data proxy
            yield self._list_data_request(normalize_href(proxy, base), st, meta["origin"], depth,
                                          column, self._child_scope(meta, st))

    def _use_page(self, meta, st: SiteState, page: dict, raw_links, base: str, rows: Rows,
                  previous_links: list | None = None):
        """A page's facts (parsed now, or carried from the previous run): discovery, the link
        rows and the page row into ``rows``; yields the requests that follow.

        ``previous_links``: a carried page's link rows in the previous run. When that run made
        them from the same inputs as this one would (:func:`link_inputs`), they are taken as they
        are (``raw_links`` None): their targets and kinds followed, nothing made again; else
        ``raw_links`` are made of them, and the rows made again are compared with them. Either
        way, rows this run would make as they were are not sent through Python but copied in
        the store (``carried_links``: :meth:`store.db.Store.carry_links`)."""
        depth = meta["depth"]
        page_url = meta["origin"]
        st.count("parsed")
        list_date, upgraded_column, _ = st.upgraded.get(page_url, (meta.get("list_date"), meta["column"], None))
        # a frame (the 信息公开目录 in an <iframe>) is part of the page that shows it
        scope_url = meta.get("frame_of") or page_url
        columns_before = len(st.columns)
        discovers = depth == 0 or bool(st.disclosure and scope_url == st.disclosure)
        reuse = raw_links is None and not discovers and self._same_link_inputs(st)
        if raw_links is None and not reuse:
            raw_links = [_stored_raw(r) for r in previous_links]
        if depth == 0:
            self._discover(st, raw_links, base, home=True)
        elif discovers:
            self._discover(st, raw_links, base, home=False)
        path = urlsplit(page_url).path
        if reuse:
            listing = any(r["list_date"] or r["attr"] == "createPageHTML" for r in previous_links)
        else:
            listing = any(raw.list_date or raw.attr == "createPageHTML" for raw in raw_links)
        if (depth > 1 and (meta["from_scope"] or page_url in st.upgraded) and not st.in_scope(page_url)
                and (HANWEB_COLUMN.search(path) or (_is_list_name(path) and listing))):
            # a Hanweb column, or a dated list, linked from the scope is a column (a hub's
            # sub-column, a department list in another directory)
            st.add_column(meta["column"] or "column", page_url)
        column, column_url = st.column_of(scope_url)
        column = column or upgraded_column
        child_scope = self._child_scope(meta, st)
        twin = (depth > 0 and page_url != st.disclosure and not meta.get("frame_of")
                and st.twin_of(page_url, (page["title"], page["main_text"],
                                          [r["raw_href"] for r in previous_links] if reuse else [r.href for r in raw_links]),
                               child_scope))
        if twin:
            st.count("same-page")   # ``dir/`` already read as ``dir/index.html`` (or back): one page
            st.twins[page_url] = twin
            return
        st.pages += 1
        self.crawler.stats.inc_value(f"portal_audit/site/{st.name}/pages")
        if previous_links is not None:
            how = "links_taken" if reuse else "links_made"
            st.carried[how] = st.carried.get(how, 0) + 1
        link_rows, requests = [], []
        charset = page["charset"]
        for link in previous_links if reuse else raw_links:
            tag = link["tag"] if reuse else link.tag
            # pages a pager script announces, and frames, sit at the page's own depth
            at = depth - (tag == "script" or tag in FRAME_TAGS)
            scoped = child_scope or tag == "script"
            if not reuse:
                row, follow = self._link(link, base, page_url, st, at, column, scoped, charset)
                link_rows.append(row)
                kind, target, link_date = row["kind"], row["target_url"], link.list_date
            else:
                kind, target, link_date = link["kind"], link["target_url"], link["list_date"]
                if kind == "invalid":   # why its URL is invalid is not stored: made again
                    follow = self._link(_stored_raw(link), base, page_url, st, at, column, scoped, charset)[1]
                else:
                    follow = self._follow_link(target, kind, link_date, False, tag == "form", page_url, st, at,
                                               column, scoped)
            if not child_scope and kind == "page" and tag not in FRAME_TAGS:
                st.unscoped.setdefault(scope_url, []).append((target, depth + 1, column, link_date))
            if isinstance(follow, scrapy.Request):
                if tag in FRAME_TAGS:
                    follow.meta["frame_of"] = scope_url
                requests.append(follow)
            elif isinstance(follow, Rows):
                rows.merge(follow)
                checked = follow.tables["fetches"][0]
                if checked["text_hash"]:
                    requests.extend(self._maybe_probe(checked["final_url"], st, checked["kind"]))
            elif follow is not None:
                rows.add("fetches", [follow])
        page.update(depth=depth, column_kind=column, column_url=column_url, list_date=list_date,
                    fetched_at=now_iso())
        rows.add("pages", [page])
        if previous_links is not None and (reuse or _same_links(link_rows, previous_links)):
            rows.add(CARRIED_LINKS, [{"site": st.name, "source_url": page_url, "from_run": self.previous.run_id}])
        else:
            rows.add("links", link_rows)
        if len(st.columns) != columns_before:
            requests.extend(self._rescope(st))
        yield from requests

    def _same_link_inputs(self, st: SiteState) -> bool:
        """Did the previous run make the site's link rows from the same inputs as this one
        (:func:`link_inputs`)?"""
        return self.previous is not None and self.previous.link_inputs(st.name) == st.link_inputs

    def _rescope(self, st: SiteState):
        """Columns were just discovered: the pages read before they were known to be in a
        column (a home dropdown linking a column before the 信息公开目录 names it) pass the
        scope on to the pages they linked, as if they had been in scope when read."""
        for parent in [p for p in st.unscoped if st.in_scope(p)]:
            for target, depth, column, list_date in st.unscoped.pop(parent):
                request = self._upgrade(st, target, depth, parent, column, list_date)
                if request is not None:
                    yield request

    @staticmethod
    def _child_scope(meta, st: SiteState) -> bool:
        """Do the links of this page get the disclosure scope (the page, or the page showing
        it in a frame, is in scope; the home page's links always)?"""
        return st.in_scope(meta.get("frame_of") or meta["origin"]) or meta["depth"] == 0

    def _not_modified(self, meta, st: SiteState, carried: bool, request=None):
        """A 304 to a conditional ``request`` (``meta``: its): the previous run's facts of the
        page are carried into this run (fetch row, page row, link rows) and its links followed
        as if parsed. A page ``carried`` without a request (crawler/lastmod.py: the sitemap's
        lastmod says it has not changed since it was verified; ``request`` None when a carrier
        carries it) is carried the same way, its fetch row keeping when a request last verified
        it and the lastmod trusted."""
        prev = self.previous.fetch(meta["origin"])
        parse = prev is not None and self._should_parse(prev["final_url"], st, meta)
        page = self.previous.page(meta["origin"]) if parse else None
        if prev is None or (parse and page is None):
            # nothing to carry (the previous run did not parse it): fetch it afresh, once
            again = {**_own_meta(meta), "conditional": False}
            yield (request.replace(headers={}, dont_filter=True, meta=again) if request is not None else
                   scrapy.Request(meta["origin"], callback=self.on_response, errback=self.on_error, dont_filter=True,
                                  priority=_priority(meta["kind"], meta["depth"]), meta=again))
            return
        row = self._fetch_row(meta, st, method="GET", status=prev["status"], outcome=Outcome.OK, error=None,
                              final_url=prev["final_url"], ctype=prev["content_type"], title=prev["title"],
                              heading=prev["heading"], size=prev["size"])
        row.update(text_hash=prev["text_hash"], notfound_text=prev["notfound_text"], anchors=prev["anchors"], etag=prev["etag"],
                   last_modified=prev["last_modified"], not_modified=1)
        if carried:
            row.update(not_modified=0, attempts=0, elapsed=0.0, verified_at=prev["verified_at"],
                       sitemap_lastmod=meta["sitemap_lastmod"])
        rows = Rows.of("fetches", [row])
        follow = list(self._maybe_probe(prev["final_url"], st, meta["kind"]))
        if page is not None:
            if st.disclosure and meta["origin"] == st.disclosure:
                st.sections = self.previous.sections(st.name)   # the headings of the unchanged page
            carried = {k: page[k] for k in CARRIED_PAGE_FIELDS}
            carried.update(site=st.name, carried_from=page["carried_from"] or self.previous.run_id)
            follow.extend(self._use_page(meta, st, carried, None, page["base_url"] or page["final_url"], rows,
                                         previous_links=self.previous.links(meta["origin"])))
        yield rows
        yield from follow

    def _verified_rows(self, prev: dict, st: SiteState, depth: int) -> Rows:
        """A successful check of the previous run taken over without a request (it keeps
        ``verified_at``, when a request last confirmed it), with the attachment's text."""
        self._count_fetch(st)
        row = {k: prev[k] for k in FETCH_FIELDS}
        row.update(site=st.name, depth=depth, cached=1, not_modified=0, attempts=0, elapsed=0.0, fetched_at=now_iso(),
                   sitemap_lastmod=None)
        rows = Rows.of("fetches", [row])
        text = self.previous.attachment_text(prev["url"]) if prev["kind"] == "attachment" else None
        if text:
            rows.add("attachment_texts", [{**text, "site": st.name}])
        return rows

    def _document_url(self, raw_links, base: str, st: SiteState) -> str | None:
        """The PDF/DOCX that carries an article whose body is only a download link: the
        first visible same-site one. Its link check reads it; the store appends its text
        to the page's main text at the end of the crawl."""
        for _, target in _visible_site_links(raw_links, base, st):
            if is_attachment(target) and documents.document_kind(target) in ("pdf", "docx"):
                return target
        return None

    def _capped_links(self, links, st: SiteState) -> list:
        """The first ``crawl.max_links_per_page`` links of a page; the rest are counted
        (``links_over_cap``, reported per site), never requested or stored."""
        cap = self.crawl_cfg.max_links_per_page
        links = iter(links)
        kept = list(itertools.islice(links, cap))
        if len(kept) == cap:
            over = sum(1 for _ in links)
            if over:
                st.links_over_cap += over
                st.pages_over_cap += 1
        return kept

    def _link(self, raw, base: str, page_url: str, st: SiteState, depth: int, column: str | None,
              child_scope: bool, charset: str | None = None) -> tuple[dict, scrapy.Request | dict | None]:
        """The link row for ``raw`` and what follows from it: a request, a fetch row
        (for an invalid URL, recorded without any traffic) or nothing; ``charset`` is the
        page's (a browser encodes a link's query in it)."""
        row, error = self._link_row(raw, base, page_url, st, charset)
        return row, self._follow_link(row["target_url"], row["kind"], raw.list_date, raw.css, raw.form, page_url, st,
                                      depth, column, child_scope, (raw.href.strip(), error))

    def _link_row(self, raw, base: str, page_url: str, st: SiteState, charset: str | None) -> tuple[dict, str | None]:
        """The link row for ``raw`` (what the store keeps: the target, its kind, the fragment), and
        why its URL is invalid when it is. Depends on nothing but ``raw``, ``base``, ``charset``,
        the site's hosts and this code (:func:`link_inputs`)."""
        href = raw.href.strip()
        skipped = skipped_scheme(href)
        row = {"site": st.name, "source_url": page_url, "raw_href": href[:1000], "anchor": raw.anchor,
               "tag": raw.tag, "attr": raw.attr, "line": raw.line, "hidden": int(bool(raw.hidden)),
               "hidden_reason": raw.hidden, "list_date": raw.list_date, "lastmod": None,
               "fragment": fragment_of(href, base) if "#" in href and not skipped else None}
        if skipped or href.startswith("#") or not href:
            row.update(target_url=href[:1000] or "(空)", kind=skipped or "anchor")
            return row, None
        try:
            target = normalize_href(href, base, charset)
        except InvalidURL as exc:
            row.update(target_url=href[:1000], kind="invalid")
            return row, str(exc)
        if raw.resource or raw.form:
            kind = "resource"
        elif is_attachment(target):
            kind = "attachment"
        elif same_site(target, st.hosts):
            kind = "page"
        else:
            kind = "external"
        row.update(target_url=target, kind=kind)
        return row, None

    def _follow_link(self, target: str, kind: str, list_date: str | None, css: bool, form: bool, page_url: str,
                     st: SiteState, depth: int, column: str | None, child_scope: bool,
                     invalid: tuple[str, str | None] = ("", None)):
        """What follows from a link of ``kind`` to ``target`` (as :meth:`_link_row` made them) on
        page ``page_url`` at ``depth``: a request, a fetch row (an invalid URL's: ``invalid`` is its
        href and why; an FTP link's), the rows of a check taken over, or nothing. ``list_date``,
        ``css``, ``form``: the link's (:class:`crawler.extract.RawLink`)."""
        if kind not in FOLLOWED_KINDS:   # an anchor, or a scheme recorded but not fetched
            return None
        if kind == "invalid":
            return self._invalid_row(st, invalid[0], invalid[1] or "", depth + 1)
        if target.startswith("ftp:"):
            if target in self.requested:
                return None
            self.requested[target] = False
            return self._unfetched_row(st, target, kind, depth + 1, Outcome.ERROR,
                                       "FTP 链接未检查（本工具只检查 HTTP/HTTPS），请人工核实")
        css = kind == "resource" and (css or urlsplit(target).path.lower().endswith(".css"))
        if target in self.requested and not self._hop_to_request(target, st, kind, css):
            via = self.hops.via.get(target)
            if via is not None:
                # first requested as a redirect hop: that answer is this link's (crawler/hops.py), and
                # the page it gave is read in scope if this link asks for it
                if target not in self.hops.shared:
                    self.hops.share(target, st.name, kind, depth + 1)
                    self._count_fetch(st)
                target = via[0]
            if kind == "page" and child_scope:
                return self._upgrade(st, target, depth + 1, page_url, column, list_date)
            return None
        if kind == "external" and not self.crawl_cfg.check_external:
            return None
        verified = self.previous.verified(target, kind) if self.previous is not None else None
        if verified is not None:
            self.requested[target] = False
            return self._verified_rows(verified, st, depth + 1)
        if self.claims is not None and not same_site(target, st.hosts) \
                and not self.claims.claim(target, st.name, kind, depth + 1):
            self._requested_elsewhere(target)   # another crawl process checks it: its fetch row is the run's
            return None
        request = self._request(target, st, kind=kind, depth=depth + 1, column=column, from_scope=child_scope,
                                list_date=list_date, parent=page_url, css=css, form=form)
        if target == st.disclosure:
            request = request.replace(priority=LEAF_PRIORITY + 1)  # parse the disclosure page early: it defines the scope
        return request

    def _claimed_elsewhere(self, url: str, st: SiteState, meta, method: str) -> bool:
        """Is the off-site ``url`` a redirect reaches another crawl process's (claimed as a link or a
        hop)? A GET's hop not requested here yet is claimed now, with its chain (a HEAD's is not:
        its answer would check no page or external link of another process)."""
        if url in self.claims.others:
            return True
        if url in self.requested or same_site(url, st.hosts) or method == "HEAD":
            return False
        return not self.claims.claim(url, st.name, meta["kind"], meta["depth"], via=meta["origin"])

    def _hop_to_request(self, url: str, st: SiteState, kind: str, css: bool) -> bool:
        """Must ``url``, so far requested only as a redirect hop whose row is not made yet, be
        requested for this link: the disclosure page (read as itself), or a hop asked otherwise
        than this link's check asks (a HEAD's answer has no page to read)? Then it is no hop."""
        via = self.hops.via.get(url)
        if via is None or url in self.hops.shared:
            return False
        if url == st.disclosure or not covers(via[1], self._mode(url, st, kind, css)):
            del self.hops.via[url]
            return True
        return False

    def _list_data_request(self, url: str, st: SiteState, list_page: str, depth: int, column: str | None,
                           child_scope: bool, page_no: int = 1) -> scrapy.Request:
        """A GET of a Hanweb ``jpage`` list (``dataproxy.jsp?page=N…``): its records are the
        list of ``list_page`` (their links are stored as that page's links)."""
        request = self._request(url, st, kind="page", depth=depth, column=column, from_scope=child_scope,
                                parent=list_page)
        request.meta.update(list_of=list_page, list_scope=child_scope, page_no=page_no)
        return request

    def _parse_list_data(self, response, st: SiteState, outcome: Outcome):
        """Rows and requests from a ``jpage`` answer: a fetch row for the proxy URL, the
        records' links as links of the list page, and (from page 1) the other pages."""
        meta = response.meta
        text = extract.decode_html(response.body, _header_charset(
            response.headers.get("Content-Type", b"").decode("latin-1").lower()))[0] if response.body else ""
        rows = Rows.of("fetches", [self._fetch_row(meta, st, method=response.request.method,
                                                   status=response.status, outcome=outcome,
                                                   error=None if outcome is Outcome.OK else f"HTTP {response.status}",
                                                   final_url=response.url, ctype=response.headers.get(
                                                       "Content-Type", b"").decode("latin-1").lower())])
        requests = []
        if outcome is Outcome.OK:
            list_page, depth = meta["list_of"], meta["depth"]
            for raw in extract.record_links(extract.datastore_records(text), self.reference_date):
                row, follow = self._link(raw, response.url, list_page, st, depth, meta["column"], meta["list_scope"])
                rows.add("links", [row])
                if isinstance(follow, scrapy.Request):
                    requests.append(follow)
                elif follow is not None:
                    rows.add("fetches", [follow])
            if meta["page_no"] == 1:
                for n in range(2, extract.datastore_total_pages(text) + 1):
                    url = re.sub(r"([?&]page=)\d+", rf"\g<1>{n}", meta["origin"])
                    if url != meta["origin"] and url not in self.requested:
                        requests.append(self._list_data_request(url, st, list_page, depth, meta["column"],
                                                                meta["list_scope"], page_no=n))
        yield rows
        yield from requests

    async def on_read_response(self, response):
        """The one GET that checks and reads a same-site XLSX/DOCX/PDF: the check as in
        :meth:`on_response`; when it came back OK, the body is read in the sandbox (off the
        event loop, crawler/sandbox.py) into ``attachment_texts``."""
        checked = False
        for item in self.on_response(response):
            if isinstance(item, Rows):
                checked |= any(r["url"] == response.meta["origin"] and r["outcome"] == Outcome.OK.value
                               for r in item.tables.get("fetches", []))
            yield item
        if checked:
            st = self.sites[response.meta["site"]]
            rows = await self._attachment_text(response, st)
            if rows:
                yield Rows.of("attachment_texts", rows)

    def _parse_css(self, response, st: SiteState, rows: Rows):
        """A same-site style sheet's ``url()``s and ``@import``s are its links (checked;
        imported sheets are read in turn); yields their requests."""
        meta = response.meta
        css, _ = extract.decode_html(response.body, _header_charset(
            response.headers.get("Content-Type", b"").decode("latin-1").lower()))
        for attr, href, offset in linkparse.css_urls(css):
            raw = extract.RawLink(href=href, anchor="", tag="css", attr=attr, line=css.count("\n", 0, offset) + 1,
                                  hidden=None, list_date=None, resource=True, css=attr == "import")
            row, follow = self._link(raw, response.url, meta["origin"], st, meta["depth"], None, False)
            rows.add("links", [row])
            if isinstance(follow, scrapy.Request):
                yield follow
            elif follow is not None:
                rows.add("fetches", [follow])

    async def _attachment_text(self, response, st: SiteState) -> list[dict]:
        """The text of a same-site XLSX/DOCX/PDF read by its check's GET (none when the
        download stopped at the cap or the final URL left the site), parsed in the sandbox;
        a file over a sandbox limit gives a row with outcome ``parse_limit`` and the reason."""
        if "download_stopped" in response.flags or response.status != 200 or not same_site(response.url, st.hosts):
            return []
        meta = response.meta
        ctype = response.headers.get("Content-Type", b"").decode("latin-1")
        kind = documents.document_kind(response.url, ctype) or documents.document_kind(meta["origin"])
        try:
            text = await sandbox.parse_async(documents.extract_document_text, (response.body, kind, meta["read_cap"]),
                                             sandbox.Limits.of(self.crawl_cfg), self._stopping)
        except sandbox.ParseLimit as exc:
            self.crawler.stats.inc_value("portal_audit/parse_limit")
            return [{"site": st.name, "url": meta["origin"], "text": "", "outcome": PARSE_LIMIT, "error": str(exc)}]
        return [{"site": st.name, "url": meta["origin"], "text": text, "outcome": "ok", "error": None}] if text else []

    def _stopping(self) -> bool:
        engine = getattr(self.crawler, "engine", None)
        return engine is None or not engine.running

    def _cap_read_headers(self, headers, body_length, request, spider=None):
        cap = request.meta.get("read_cap")
        if cap is not None and body_length is not None and body_length > cap:
            raise StopDownload(fail=False)

    def _cap_read_bytes(self, data, request, spider=None):
        cap = request.meta.get("read_cap")
        if cap is not None:
            request.meta["read_bytes"] = got = request.meta.get("read_bytes", 0) + len(data)
            if got > cap:
                raise StopDownload(fail=False)

    def _invalid_row(self, st: SiteState, href: str, error: str, depth: int) -> dict:
        return self._unfetched_row(st, href[:1000], "invalid", depth, Outcome.INVALID_URL, error)

    def _unfetched_row(self, st: SiteState, url: str, kind: str, depth: int, outcome: Outcome, error: str) -> dict:
        """The fetch row of a link judged without any traffic (an invalid URL, an FTP link)."""
        st.problems += 1
        return {"site": st.name, "url": url, "host": host_of(url) if kind != "invalid" else None, "kind": kind,
               "depth": depth, "method": None, "status": None, "outcome": outcome.value, "error": error,
               "attempts": 0, "elapsed": 0.0, "redirects_json": "[]", "final_url": None,
               "content_type": None, "title": None, "heading": None, "size": None, "text_hash": None,
               "notfound_text": 0, "anchors": None, "fetched_at": now_iso(), "etag": None, "last_modified": None,
               "verified_at": None, "not_modified": 0, "cached": 0, "sitemap_lastmod": None}

    def _discover(self, st: SiteState, raw_links, base: str, home: bool) -> None:
        """Find the disclosure column (on the home page) and sub-columns by anchor text, and
        the columns of a known kind linked on another host (``off_site_columns``)."""
        candidates = [(raw.anchor, url) for raw, url in _visible_site_links(raw_links, base, st)]
        for raw, url in _visible_links(raw_links, base):
            kind = next((k for k, pattern in COLUMN_ANCHORS if pattern.search(raw.anchor)), None) \
                if len(raw.anchor) <= 12 else None
            if kind and url.startswith("http") and not same_site(url, st.hosts):
                st.off_site_columns.setdefault(kind, url)
        if home and not st.disclosure:
            st.disclosure = disclosure_link(candidates)
        if st.config.columns:
            return
        scope = _scope_prefix(st.disclosure) if st.disclosure else None
        for anchor, url in candidates:
            if len(anchor) > 12 or not scope:
                continue
            kind = next((k for k, pattern in COLUMN_ANCHORS if pattern.search(anchor)), None)
            path = urlsplit(url).path
            inside = url.startswith(scope) and url != st.disclosure and bool(COLUMN_PATH.search(path))
            if home:
                if kind and inside:
                    st.add_column(kind, url)
                elif is_consultation(anchor) and COLUMN_PATH.search(path) and path not in ("", "/"):
                    # a 政务咨询 column (领导信箱 …) is crawled like a disclosure column, so that
                    # its messages and their dates are stored
                    st.add_column("interaction", url)
            elif inside or HANWEB_COLUMN.search(path):
                # on the disclosure page every column-like link is a sub-column
                # (Hanweb department columns live outside its directory)
                st.add_column(kind or "column", url)

    def _maybe_probe(self, url: str, st: SiteState, kind: str):
        """Learn each host's not-found page once, by fetching a random URL on it."""
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        if kind == "probe" or key in self.probed_hosts:
            return
        self.probed_hosts.add(key)
        probe = f"{key}/portal-audit-probe-{secrets.token_hex(6)}.html"
        request = self._request(probe, st, kind="probe", depth=0)
        request.meta["dont_retry"] = True
        yield request

    # -- rows ----------------------------------------------------------------
    def _count_fetch(self, st: SiteState) -> None:
        """One more link checked for ``st`` (its fetch row made now or when the crawl ends)."""
        st.fetches += 1
        self.crawler.stats.inc_value(f"portal_audit/site/{st.name}/fetches")

    def _fetch_row(self, meta, st: SiteState, *, method, status, outcome: Outcome, error, final_url,
                   ctype=None, title="", heading="", size=None, visible="", anchors=None) -> dict:
        self._count_fetch(st)
        if meta["kind"] == "home":
            st.home_done = True
        if outcome.is_broken or outcome is Outcome.REDIRECT_LOOP:
            st.problems += 1
        chain = meta.get("chain") or []
        hops = [*chain, {"url": final_url, "status": status}] if chain else []
        now = now_iso()
        return {
            "site": st.name, "url": meta["origin"], "host": host_of(meta["origin"]), "kind": meta["kind"],
            "depth": meta["depth"], "method": method, "status": status, "outcome": outcome.value,
            "error": error, "attempts": meta.get("retry_times", 0) + 1,
            "elapsed": round(time.monotonic() - meta["started"], 3),
            "redirects_json": json.dumps(hops, ensure_ascii=False), "final_url": final_url,
            "content_type": ctype, "title": title, "heading": heading, "size": size,
            "text_hash": extract.text_hash(visible) if visible else None,
            "notfound_text": int(bool(visible) and extract.says_not_found(title, visible)),
            "anchors": anchors, "fetched_at": now, "etag": None, "last_modified": None, "verified_at": now,
            "not_modified": 0, "cached": 0, "sitemap_lastmod": None,
        }


def link_inputs(hosts: frozenset[str]) -> str:
    """What a page's link rows are made from besides the page's own facts (its links as
    parsed, its base URL and charset): the site's hosts and the code making the rows
    (:mod:`crawler.urls`, :meth:`PortalSpider._link_row`), as a digest kept with the site's
    run (``run_sites.stats_json``). A page carried into a run whose site has the same digest as
    in the run it is carried from takes its stored link rows as they are (nothing would make
    them otherwise); with another, they are made again and compared (a host became the site's,
    a URL rule changed)."""
    return hashlib.sha256(json.dumps([sorted(hosts), _link_code()]).encode()).hexdigest()[:16]


@functools.cache
def _link_code() -> str:
    from crawler import urls   # the module, as its source; the method, as its compiled code

    # the source through the module's loader: a Scrapyd job imports it from a zipped egg
    source = inspect.getsource(urls).encode()
    return hashlib.sha256(source + _code_bytes(PortalSpider._link_row.__code__)).hexdigest()


def _code_bytes(code) -> bytes:
    """What a code object does, as bytes the same in every process (``marshal`` is not: it
    marks objects by their reference counts)."""
    consts = b"".join(_code_bytes(c) if hasattr(c, "co_code") else repr(c).encode() for c in code.co_consts)
    return code.co_code + consts + repr(code.co_names).encode()


def disclosure_link(candidates: Sequence[tuple[str, str]]) -> str | None:
    """The home page's link to the 政府信息公开 column among its visible (anchor, URL) links:
    for each of :data:`DISCLOSURE_ANCHORS` in turn, the first link named exactly so (or
    …专栏, …平台, …专区), else the first whose anchor contains it and names no part of the
    column or another one (政府信息公开指南, 政府信息公开年报, 部门信息公开目录 …)."""
    for wanted in DISCLOSURE_ANCHORS:
        names = {wanted + suffix for suffix in _DISCLOSURE_NAMES}
        hit = (next((u for a, u in candidates if a.strip() in names), None)
               or next((u for a, u in candidates if wanted in a and not _DISCLOSURE_PART.search(a)), None))
        if hit:
            return hit
    return None


def _visible_links(raw_links, base: str):
    """(raw link, absolute URL) of the visible <a> links."""
    for raw in raw_links:
        if raw.tag != "a" or raw.hidden:
            continue
        try:
            yield raw, normalize_href(raw.href, base)
        except InvalidURL:
            continue


def _visible_site_links(raw_links, base: str, st: SiteState):
    """(raw link, absolute URL) of the visible <a> links to the site's own hosts."""
    return ((raw, url) for raw, url in _visible_links(raw_links, base) if same_site(url, st.hosts))


_OPENSSL_ERROR = re.compile(r"\('([^']*)', '([^']*)', '([^']*)'\)")


def classify_failure(failure) -> tuple[Outcome, str]:
    """Map a download failure onto the closed :class:`Outcome` type."""
    exc = failure.value
    text = str(exc) or type(exc).__name__
    if failure.check(scrapy_exc.CannotResolveHostError, neterr.DNSLookupError):
        host = urlsplit(failure.request.url).hostname if getattr(failure, "request", None) else None
        return Outcome.DNS, f"域名 {host or ''} 无法解析（{_dns_reason(text)}）"
    if failure.check(scrapy_exc.DownloadConnectionRefusedError, neterr.ConnectionRefusedError):
        return Outcome.REFUSED, "连接被拒绝"
    if failure.check(scrapy_exc.DownloadTimeoutError, neterr.TimeoutError, neterr.TCPTimedOutError,
                     defer.TimeoutError):
        return Outcome.TIMEOUT, "访问超时"
    if failure.check(ForbiddenAddress):
        return Outcome.EXCLUDED, text
    if failure.check(IgnoreRequest):
        return Outcome.EXCLUDED, f"按 robots.txt 或规则未检查：{text}"
    if failure.check(scrapy_exc.DownloadCancelledError, defer.CancelledError):
        return Outcome.TOO_LARGE, TOO_LARGE_ERROR
    if "SSL" in text or "certificate" in text.lower() or "tls" in text.lower():
        # Twisted wraps OpenSSL's (library, function, reason) triples in its failure's text
        reasons = [m[2] for m in _OPENSSL_ERROR.findall(text)]
        return Outcome.TLS, tls_error("; ".join(dict.fromkeys(r for r in reasons if r)) or text)
    if failure.check(scrapy_exc.ResponseDataLossError, scrapy_exc.DownloadFailedError, ResponseNeverReceived,
                     ResponseFailed, neterr.ConnectionLost, neterr.ConnectionDone):
        if failure.check(scrapy_exc.ResponseDataLossError):
            return Outcome.RESET, "连接中断：服务器发送的内容短于其声明的长度（响应不完整）"
        if failure.check(ResponseNeverReceived):
            return Outcome.RESET, "连接中断：服务器未返回任何响应即断开连接"
        return Outcome.RESET, "连接中断：服务器在响应完成前断开连接"
    return Outcome.ERROR, f"{type(exc).__name__}: {text[:300]}"


def _dns_reason(text: str) -> str:
    """Why a name did not resolve, in words: the resolver's when it gave words
    (crawler/resolver.py), else Twisted's English told as what it means."""
    if re.search("[\u4e00-\u9fff]", text):
        return text[:200]   # already in words (crawler/resolver.py)
    if "no results" in text or "NXDOMAIN" in text or "not known" in text:
        return "没有查到该域名的地址记录：域名不存在或未配置解析"
    if "timeout" in text.lower() or "timed out" in text.lower():
        return "域名解析超时"
    return f"域名解析失败：{text[:200]}"


LEAF_PRIORITY = 1000


def _priority(kind: str, depth: int) -> int:
    """Breadth-first: pages in order of depth, so that a page's depth is its shortest link
    distance from the home page (article prev/next chains would otherwise run deep), with
    leaf checks (attachments, external links, probes) first so the queue stays short."""
    return LEAF_PRIORITY if kind in LEAF_KINDS else -depth


def _stored_raw(r) -> extract.RawLink:
    """A link as the parse found it, from its stored row (a carried page's)."""
    return extract.RawLink(href=r["raw_href"], anchor=r["anchor"], tag=r["tag"], attr=r["attr"], line=r["line"],
                           hidden=(r["hidden_reason"] or "hidden") if r["hidden"] else None, list_date=r["list_date"],
                           resource=r["kind"] == "resource", form=r["tag"] == "form")


def _same_links(rows: list[dict], previous: list[dict]) -> bool:
    """Are the link rows this run made of a 304 page's stored links those links, column by
    column (the site aside; a changed ``allowed_domains`` changes a kind, say)?"""
    return len(rows) == len(previous) and all(_COPIED(row) == tuple(prev) for row, prev in zip(rows, previous))


_COPIED = operator.itemgetter(*Store.LINK_COPIED)   # a link row's values, in the order the store reads them


# what a 304 carries of the previous run's page row (the rest is this run's: depth, column, list date)
CARRIED_PAGE_FIELDS = ("url", "final_url", "status", "content_type", "charset", "title", "heading", "size",
                       "is_home", "is_list", "main_text", "meta_json", "document_url", "base_url")

OWN_META_KEYS = ("site", "kind", "depth", "origin", "chain", "column", "from_scope", "list_date", "parent",
                 "handle_httpstatus_all", "dont_redirect", "started", "dont_obey_robotstxt", "dont_retry",
                 "head_fallback", "read_cap", "download_maxsize", "download_warnsize", "css", "form",
                 "conditional", "reparse", "frame_of", "list_of", "list_scope", "page_no")


def _own_meta(meta) -> dict:
    """The request meta this spider set itself (Scrapy's per-download keys are not carried on)."""
    return {k: meta[k] for k in OWN_META_KEYS if k in meta}


def _is_list_name(path: str) -> bool:
    """A directory or a list file name (index.html, list_zw_wj_2.shtml …)."""
    base = path.rsplit("/", 1)[-1]
    return not base or bool(INDEX_NAME.match(base))


def _header(response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1")[:200] if value else None


def _base_url(url: str, tree) -> str:
    """The URL a page's relative links resolve against: its ``<base href>``, else its own."""
    base_el = tree.find(".//base[@href]")
    return urljoin(url, base_el.get("href")) if base_el is not None else url


def _header_charset(ctype: str) -> str | None:
    m = re.search(r"charset=([\w-]+)", ctype)
    return m.group(1) if m else None


def _content_length(response) -> int:
    """The announced size when it is a sane number (crawler/headers.py), else the body's."""
    length = header_int(response.headers.get("Content-Length"))
    return len(response.body) if length is None else length

