"""The saved real government pages (``../shared/real-pages``, third-party data, never copied
into this repository) and how the tool reads them: per page and field, against the hand
labels of ``labels.jsonl``.

``python -m tests.realpages`` prints the per-field figures, the list pages' main list and
pager (:func:`read_list`) and ``link.wrong``'s rule on the real titles (:func:`title_scores`)
— the measurements the tests assert; with ``--audit`` it also runs a real audit of all the
pages served on loopback (:func:`audit`) and prints the findings per check and the false
alarms among them (:func:`judge`). Tests use :func:`corpus` (skips with the reason when the
folder is absent), :func:`read`, :func:`score`, :func:`read_list`, :func:`site_links`,
:func:`title_scores`, :func:`audit_host` (one saved host audited for real on loopback),
:func:`audit` and :func:`judge`.
"""

from __future__ import annotations

import html
import itertools
import json
import random
import re
import sys
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from checks.computed.titles import names_other_document, site_threshold
from crawler import content, extract
from crawler.hidden import dark_link
from crawler.urls import InvalidURL, host_of, normalize_href, same_site
from core.text import cjk_count, parse_date, squash

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "real-pages"
AUDIT_DATE = "2026-06-30"       # later than every page of the corpus
FIELDS = {"written_date": "成文日期", "index_no": "索引号", "publisher": "发布机构", "doc_no": "文号"}
DATE_FIELDS = ("publish_date", "written_date")
_NO_VALUE = re.compile(r"^[\s\-－—_/／、.。*＊无]*$")


@dataclass(frozen=True)
class Page:
    id: str
    host: str
    path: str
    label: dict
    file: Path
    column: str = ""

    @property
    def url(self) -> str:
        return f"http://{self.host}{self.path}"

    @property
    def body(self) -> bytes:
        return self.file.read_bytes()


def available() -> bool:
    return (CORPUS / "labels.jsonl").is_file() and (CORPUS / "manifest.json").is_file()


SKIP_REASON = f"the real-pages corpus is not here ({CORPUS}): it lives beside the repository, not in it"


@lru_cache(maxsize=1)
def corpus() -> tuple[Page, ...]:
    """Every saved page with its label (``pytest.skip`` with the reason when the folder is absent)."""
    if not available():
        import pytest
        pytest.skip(SKIP_REASON)
    labels = {}
    with open(CORPUS / "labels.jsonl", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                lab = json.loads(line)
                labels[lab["id"]] = lab
    out = []
    for entry in json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8")):
        rel = entry["path"].lstrip("/")
        if not rel or rel.endswith("/"):
            rel += "index.html"
        out.append(Page(id=entry["id"], host=entry["host"], path=entry["path"], label=labels[entry["id"]],
                        file=CORPUS / "pages" / entry["host"] / rel, column=entry.get("column", "")))
    return tuple(out)


@dataclass
class Reading:
    """What the tool reads on one page, the way the gatherer stores it and the checks use it."""
    title: str
    is_list: bool
    meta: dict
    hidden_spam: list[str] = field(default_factory=list)

    def value(self, name: str):
        if name == "title":
            return self.title or None
        if name == "publish_date":
            d = parse_date(self.meta.get("发布日期"))
            return d.isoformat() if d else None
        raw = (self.meta.get(FIELDS[name]) or "").strip()
        if _NO_VALUE.match(raw):
            return None
        if name in DATE_FIELDS:
            d = parse_date(raw)
            return d.isoformat() if d else None
        return raw


def read(page: Page) -> Reading:
    """The gatherer's reading of a page (title, article or list, metadata, hidden spam links)."""
    text, _ = extract.decode_html(page.body, None)
    tree = extract.parse_tree(text)
    links = list(extract.iter_links(tree, parse_date(AUDIT_DATE)))
    meta = content.extract_metadata(tree)
    is_list = content.is_list_page(tree, links, meta)
    meta = {} if is_list else meta
    title = extract.page_heading(tree) or extract.page_title(tree)
    spam = []
    for raw in links:
        if not raw.hidden or raw.tag not in ("a", "area"):
            continue
        try:
            target = normalize_href(raw.href, page.url)
        except InvalidURL:
            continue
        if target.startswith("http") and not same_site(target, frozenset({page.host})) \
                and dark_link(raw.hidden, raw.anchor, target, host_of(target)):
            spam.append(target)
    return Reading(title=title, is_list=is_list, meta=meta, hidden_spam=sorted(set(spam)))


def _norm(value) -> str | None:
    if value is None:
        return None
    return re.sub(r"[\s\u3000\xa0]+", "", str(value))


@dataclass
class FieldScore:
    shown: int = 0
    right: int = 0
    spurious: int = 0
    wrong: list = field(default_factory=list)       # (page id, labelled value, value read)
    invented: list = field(default_factory=list)    # (page id, value read where the label has none)

    def line(self, name: str) -> str:
        pct = 100.0 * self.right / self.shown if self.shown else 100.0
        return f"{name:<14} {self.right:>3} / {self.shown:<3} ({pct:5.1f}%)  spurious {self.spurious}"


@dataclass
class Scores:
    fields: dict
    articles_as_lists: list
    spam_found: int
    spam_total: int
    false_spam: list

    def table(self) -> str:
        lines = [s.line(name) for name, s in self.fields.items()]
        lines.append(f"{'articles read as lists':<14} {len(self.articles_as_lists)}  {self.articles_as_lists}")
        lines.append(f"{'hidden spam':<14} {self.spam_found} / {self.spam_total} found, "
                     f"{len(self.false_spam)} false 暗链")
        return "\n".join(lines)


def score(pages=None) -> Scores:
    pages = corpus() if pages is None else pages
    fields = {name: FieldScore() for name in ("title", "publish_date", *FIELDS)}
    as_lists, false_spam = [], []
    found = total = 0
    for page in pages:
        lab = page.label
        got = read(page)
        want_spam = set(lab.get("hidden_links") or [])
        total += len(want_spam)
        found += len(want_spam & set(got.hidden_spam))
        false_spam += [(page.id, u) for u in got.hidden_spam if u not in want_spam]
        if lab["type"] == "list":
            continue
        if got.is_list and lab["type"] == "article":
            as_lists.append(page.id)
        for name, s in fields.items():
            if name in (lab.get("skip") or ()) or name not in lab:
                continue
            want, have = lab.get(name), got.value(name)
            if want is None:
                if have is not None:
                    s.spurious += 1
                    s.invented.append((page.id, have))
                continue
            s.shown += 1
            if _norm(want) == _norm(have):
                s.right += 1
            else:
                s.wrong.append((page.id, want, have))
    return Scores(fields=fields, articles_as_lists=as_lists, spam_found=found, spam_total=total,
                  false_spam=false_spam)


# -- list pages: the main list and the pager, as the gatherer reads them ---------------

@dataclass(frozen=True)
class ListReading:
    entries: int        # dated list entries (a URL listed twice in two tab panels counts twice)
    items: int          # distinct URLs among them
    visible: int        # entries a visitor sees (the rest sit in hidden tab panels)
    pages: tuple        # the list's pages: itself, then those its pager script announces


def read_list(page: Page) -> ListReading:
    text, _ = extract.decode_html(page.body, None)
    links = list(extract.iter_links(extract.parse_tree(text), parse_date(AUDIT_DATE), text))
    dated = [raw for raw in links if raw.list_date]
    pager = extract.pagination_hrefs(text, urlsplit(page.path).path.rsplit("/", 1)[-1])
    return ListReading(entries=len(dated), items=len({normalize_href(raw.href, page.url) for raw in dated}),
                       visible=sum(not raw.hidden for raw in dated),
                       pages=(page.url, *(normalize_href(href, page.url) for href in pager)))


# -- link.wrong's naming rule on real titles ---------------------------------------------

@dataclass
class TitleScores:
    pairs: int = 0           # (anchor, target) pairs of two different documents of one host
    missed: list = field(default_factory=list)      # those not judged a wrong link
    forms: int = 0           # a document's title under its other forms, as the anchor of a link to it
    flagged: list = field(default_factory=list)     # those judged a wrong link

    def table(self) -> str:
        return (f"{'link.wrong':<14} other documents of one host {self.pairs - len(self.missed)} / {self.pairs} "
                f"flagged; same document under other forms {len(self.flagged)} / {self.forms} flagged")


def _titled(pages) -> list[Page]:
    return [p for p in pages if p.label["type"] == "article" and p.label.get("title")]


def other_forms(page: Page) -> list[str]:
    """How a link names the document ``page`` is: its title, with the site's suffix, cut
    short (… or ...), and its 《》 name when the title only frames it (关于印发《X》的通知)."""
    title = page.label["title"]
    forms = [title, f"{title}_{page.host}"]
    if len(title) > 16:
        forms += [title[:14] + "…", title[:12] + "..."]
    framed = re.fullmatch(r".*关于印发《([^》]+)》的通知", title)
    if framed:
        forms += [framed.group(1), f"《{framed.group(1)}》"]
    return forms


def title_scores(pages=None) -> TitleScores:
    """``link.wrong``'s rule (:func:`names_other_document` with the site's bar) on the real
    titles: every pair of different documents saved from one host (an anchor of fewer than 8
    Chinese characters is not judged; a derived copy is the same document), and every
    document under its :func:`other_forms`."""
    titled = _titled(corpus() if pages is None else pages)
    out = TitleScores()
    by_host: dict[str, list[Page]] = {}
    for page in titled:
        by_host.setdefault(page.host, []).append(page)
    for same in by_host.values():
        bar = site_threshold(p.label["title"] for p in same)
        for a, b in itertools.permutations(same, 2):
            anchor, title = a.label["title"], b.label["title"]
            if anchor == title or cjk_count(anchor) < 8:
                continue
            out.pairs += 1
            if not names_other_document(anchor, title, bar):
                out.missed.append((a.id, b.id))
    bar = site_threshold(p.label["title"] for p in titled)
    for page in titled:
        for anchor in other_forms(page):
            out.forms += 1
            if names_other_document(anchor, page.label["title"], bar):
                out.flagged.append((page.id, anchor))
    return out


def site_links(page: Page) -> list[tuple[str, str]]:
    """(anchor, URL) of the page's visible links to its own host, as the spider's discovery
    sees a home page's links."""
    text, _ = extract.decode_html(page.body, None)
    out = []
    for raw in extract.iter_links(extract.parse_tree(text), parse_date(AUDIT_DATE), text):
        if raw.tag != "a" or raw.hidden:
            continue
        try:
            url = normalize_href(raw.href, page.url)
        except InvalidURL:
            continue
        if same_site(url, frozenset({page.host})):
            out.append((raw.anchor, url))
    return out


def list_table(pages=None) -> str:
    pages = corpus() if pages is None else pages
    lines = []
    for page in pages:
        if page.label["type"] != "list":
            continue
        got, lab = read_list(page), page.label
        lines.append(f"list {page.id:<10} entries {got.entries} (label {lab.get('entries', lab['dated_items'])}), "
                     f"items {got.items} (label {lab['items']}), visible {got.visible} "
                     f"(label {lab.get('visible_items')}), pages {len(got.pages)} (label {lab.get('page_count') or 1})")
    return "\n".join(lines)


# -- serving the pages on loopback under their own host names ---------------------

SCAFFOLD_DISCLOSURE = "/__audit__/xxgk.html"
SCAFFOLD_MARK = '<meta name="generator" content="portal-audit real-pages scaffold (not a real page)">'
# the manifest's column of a page → (the scaffold column page, its anchor on the scaffold disclosure page)
SCAFFOLD_COLUMNS = {"zcwj": ("/__audit__/zcwj.html", "政策文件"), "tzgg": ("/__audit__/tzgg.html", "通知公告"),
                    "gzdt": ("/__audit__/gzdt.html", "工作动态")}


def _scaffold(title: str, body: str) -> bytes:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'>{SCAFFOLD_MARK}<title>{html.escape(title)}</title>"
            f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>").encode("utf-8")


def scaffold_home(host: str) -> bytes:
    return _scaffold(host, f"<a href='{SCAFFOLD_DISCLOSURE}'>政府信息公开</a>")


def scaffold_disclosure(host: str, pages) -> bytes:
    """A 政府信息公开 page linking a scaffold column per column of the host's saved pages, and
    the saved pages of no such column (no dates: a plain index)."""
    kinds = sorted({p.column for p in pages if p.host == host and p.column in SCAFFOLD_COLUMNS})
    columns = "".join(f"<li><a href='{SCAFFOLD_COLUMNS[k][0]}'>{SCAFFOLD_COLUMNS[k][1]}</a></li>" for k in kinds)
    return _scaffold("政府信息公开", f"<ul>{columns}</ul>{_index(host, pages, lambda p: p.column not in SCAFFOLD_COLUMNS)}")


def scaffold_column(host: str, column: str, pages) -> bytes:
    return _scaffold(SCAFFOLD_COLUMNS[column][1], _index(host, pages, lambda p: p.column == column))


def _index(host: str, pages, keep) -> str:
    items = "".join(f"<li><a href='{html.escape(p.path)}'>{html.escape(p.label.get('title') or p.id)}</a></li>"
                    for p in pages if p.host == host and keep(p))
    return f"<ul>{items}</ul>"


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass   # a crawler closing the connection early (a capped read) is no error of the server


class RealPagesServer:
    """Every saved page at ``http://<host><path>`` on port 80 of one loopback address, routed
    by the Host header (``dir/`` is ``dir/index.html``, as on a web server); a host without a
    saved home page gets a scaffold home linking to a scaffold 政府信息公开 page that lists
    the host's saved pages. Anything else is 404."""

    def __init__(self, pages, address: str | None = None, port: int = 80):
        self.pages = tuple(pages)
        self.files = {(p.host, p.path): p.file for p in self.pages}
        self.address = address or f"127.80.{random.randint(1, 254)}.{random.randint(1, 254)}"
        self.hosts = sorted({p.host for p in self.pages})
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self._respond(True)

            def do_HEAD(self):
                self._respond(False)

            def _respond(self, body: bool):
                status, data = server.answer(self.headers.get("Host", ""), self.path)
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                if body:
                    self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = _QuietServer((self.address, port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True, name="real-pages")
        self.thread.start()

    def answer(self, host_header: str, target: str) -> tuple[int, bytes]:
        host = host_header.split(":", 1)[0].strip().rstrip(".").lower()
        path = unquote(urlsplit(target).path) or "/"
        for candidate in (path, path + "index.html" if path.endswith("/") else None,
                          path[: -len("index.html")] if path.endswith("/index.html") else None):
            if candidate and (host, candidate) in self.files:
                return 200, self.files[(host, candidate)].read_bytes()
        if host in self.hosts and path == "/":
            return 200, scaffold_home(host)
        if host in self.hosts and path == SCAFFOLD_DISCLOSURE:
            return 200, scaffold_disclosure(host, self.pages)
        column = next((k for k, (where, _) in SCAFFOLD_COLUMNS.items() if where == path), None)
        if host in self.hosts and column:
            return 200, scaffold_column(host, column, self.pages)
        return 404, b"<html><head><title>404 Not Found</title></head><body>404 Not Found</body></html>"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# -- auditing the served pages as a user would, and judging the findings against the labels --

# Findings these single saved pages cannot support: the targets and columns they link to were
# not saved (404 on loopback) and other sites do not resolve, so broken, missing or stale
# links, columns and sites say nothing about how the tool reads a page.
CORPUS_ARTEFACTS = ("link.broken", "link.external", "column.", "site.", "statutory.", "availability.",
                    "interaction.", "coverage.", "report.", "ipv6.")


def run_audit(tmp: Path, pages, disclosure: dict[str, str | None], *, only: str | None = None) -> Path:
    """One real audit (the CLI, as a user runs it) of ``pages`` served on loopback under
    their own host names, the crawler resolving them through dnsmasq: each host a site whose
    政府信息公开 page is ``disclosure[host]`` (found from the home page when None); ``only``:
    the checks run (all by default).
    Returns the output folder (the store is ``audit.db`` in ``tmp``)."""
    from tests.conftest import run_cli
    from tests.dnsmasq import Dnsmasq

    server = RealPagesServer(pages)
    dns = Dnsmasq([f"--host-record={h},{server.address}" for h in server.hosts], tmp / "dnsmasq.log",
                  local_domains=("gov.cn",))
    try:
        sites = "\n".join(f"  - {{name: '{h}', url: 'http://{h}/'"
                          + (f", disclosure: '{disclosure[h]}'" if disclosure.get(h) else "") + "}"
                          for h in server.hosts)
        cfg = tmp / "real-pages.yaml"
        cfg.write_text(f"audit_date: {AUDIT_DATE}\nstore: {{path: '{tmp / 'audit.db'}'}}\n"
                       "crawl: {timeout: 4, retries: 0, concurrency: 16, per_host_rate: 0, check_external: false, "
                       "allowed_networks: ['127.0.0.0/8']}\n"
                       f"dns: {{nameservers: [127.0.0.1], port: {dns.port}, timeout: 0.5, retries: 0}}\n"
                       f"sites:\n{sites}\n", encoding="utf-8")
        result = run_cli("run", "-c", str(cfg), "-o", str(tmp / "out"), "--no-progress",
                         *(("--only", only) if only else ()), timeout=900)
        if result.returncode not in (0, 1):
            raise RuntimeError(f"the audit failed ({result.returncode}):\n{result.stderr[-3000:]}")
        return tmp / "out"
    finally:
        dns.stop()
        server.stop()


def audit(tmp: Path) -> list[dict]:
    """Every finding of one real audit of all the saved pages, each host a site whose
    政府信息公开 is its saved disclosure page or else the scaffold index of its pages."""
    from tests.conftest import read_findings

    pages = corpus()
    saved = {p.host: p.url for p in pages if p.column == "disclosure"}
    disclosure = {p.host: saved.get(p.host, f"http://{p.host}{SCAFFOLD_DISCLOSURE}") for p in pages}
    return read_findings(run_audit(tmp, pages, disclosure))


def audit_host(host: str, tmp: Path, *, only: str, disclosure: str | None = None) -> Path:
    """One real audit of the saved pages of ``host`` (``only``: the checks run;
    ``disclosure``: the site's 政府信息公开 page, found from the home page when not given);
    returns the output folder (see :func:`run_audit`)."""
    return run_audit(tmp, [p for p in corpus() if p.host == host], {host: disclosure}, only=only)


@dataclass
class Judged:
    """The audit's findings on the saved pages, judged against the labels: per check, the
    findings and the false alarms among them (page id, what was found, why it is false)."""
    counted: dict = field(default_factory=dict)      # check → number of findings on saved pages
    false: dict = field(default_factory=dict)        # check → [(page id, finding summary, why)]
    spam_found: set = field(default_factory=set)
    spam_total: set = field(default_factory=set)

    @property
    def false_total(self) -> int:
        return sum(len(v) for v in self.false.values())

    def table(self) -> str:
        lines = [f"{code:<28} {n:>3} found  {len(self.false.get(code, ())):>3} false"
                 for code, n in sorted(self.counted.items())]
        lines.append(f"{'hidden spam (link.hidden)':<28} {len(self.spam_found)} / {len(self.spam_total)} found, "
                     f"{len(self.false.get('link.hidden', ()))} false 暗链")
        lines.append(f"{'false alarms in all':<28} {self.false_total}")
        return "\n".join(lines)


def _page_of(url: str | None, by_url: dict) -> Page | None:
    if not url:
        return None
    url = url.split("#", 1)[0]
    return by_url.get(url) or by_url.get(url + "index.html" if url.endswith("/") else
                                         url[: -len("index.html")] if url.endswith("/index.html") else url)


def judge(findings: list[dict], pages=None) -> Judged:
    """A finding is false when the page's label judges that check a false alarm (or the
    check undecidable there), when a 暗链 target is not one of the page's labelled spam
    links, or when ``metadata.missing`` names a field the label shows."""
    pages = corpus() if pages is None else pages
    by_url = {p.url: p for p in pages}
    out = Judged()
    out.spam_total = {(p.id, u) for p in pages for u in p.label.get("hidden_links") or ()}
    for f in findings:
        code = f["check"]
        page = _page_of(f.get("page"), by_url) or _page_of(f.get("url"), by_url)
        if page is None or code.startswith(CORPUS_ARTEFACTS):
            continue
        out.counted[code] = out.counted.get(code, 0) + 1
        why = _false_because(code, f, page)
        if code == "link.hidden" and not why:
            out.spam_found.add((page.id, f["url"]))
        if why:
            out.false.setdefault(code, []).append((page.id, f"{f['url']} {squash(f.get('message') or '')[:120]}", why))
    return out


def _false_because(code: str, finding: dict, page: Page) -> str | None:
    verdict = (page.label.get("judge") or {}).get(code, "")
    if verdict.startswith(("false-alarm", "undecidable")):
        return verdict
    if code == "link.hidden" and finding["url"] not in (page.label.get("hidden_links") or ()):
        return "not a labelled spam link"
    if code == "metadata.missing":
        shown = [label for name, label in FIELDS.items() if page.label.get(name) and label in (finding.get("message") or "")]
        if shown:
            return f"the page shows {'、'.join(shown)}"
    return None


def main() -> int:
    if not available():
        print(SKIP_REASON, file=sys.stderr)
        return 1
    s = score()
    print(s.table())
    print(list_table())
    titles = title_scores()
    print(titles.table())
    if "-v" in sys.argv:
        for name, fs in s.fields.items():
            for pid, want, have in fs.wrong:
                print(f"  {name}: {pid}: want {want!r} got {squash(str(have))[:80]!r}")
            for pid, have in fs.invented:
                print(f"  {name}: {pid}: want None got {squash(str(have))[:80]!r}")
        for pid, url in s.false_spam:
            print(f"  false 暗链: {pid}: {url}")
        for a, b in titles.missed:
            print(f"  not a wrong link: {a} → {b}")
        for pid, anchor in titles.flagged:
            print(f"  false link.wrong: {pid}: {anchor}")
    if "--audit" in sys.argv:
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            findings = audit(Path(tmp))
        j = judge(findings)
        print(j.table())
        for code, items in sorted(j.false.items()):
            for pid, what, why in items:
                print(f"  false {code}: {pid}: {what} ({why})")
        if "-v" in sys.argv:
            for f in findings:
                print(f"  {f['check']}: {f.get('page') or ''} {f['url']} {squash(f.get('message') or '')[:100]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
