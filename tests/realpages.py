"""The saved real government pages (``../shared/real-pages``, third-party data, never copied
into this repository) and how the tool reads them: per page and field, against the hand
labels of ``labels.jsonl``.

``python -m tests.realpages`` prints the per-field figures (the measurement the tests
assert); tests use :func:`corpus` (skips with the reason when the folder is absent),
:func:`read` and :func:`score`.
"""

from __future__ import annotations

import html
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

from crawler import content, extract
from crawler.hidden import dark_link
from crawler.urls import InvalidURL, host_of, normalize_href, same_site
from core.text import parse_date, squash

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
                        file=CORPUS / "pages" / entry["host"] / rel))
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
    is_list = sum(bool(raw.list_date) for raw in links) >= 3
    meta = {} if is_list else content.extract_metadata(tree)
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
    wrong: list = field(default_factory=list)

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
                s.spurious += have is not None
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


def scaffold_home(host: str) -> bytes:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'>{SCAFFOLD_MARK}<title>{host}</title></head>"
            f"<body><a href='{SCAFFOLD_DISCLOSURE}'>政府信息公开</a></body></html>").encode("utf-8")


def scaffold_disclosure(host: str, pages) -> bytes:
    """A 政府信息公开 page listing the saved pages of ``host`` (no dates: a plain index)."""
    items = "".join(f"<li><a href='{html.escape(p.path)}'>{html.escape(p.label.get('title') or p.id)}</a></li>"
                    for p in pages if p.host == host)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'>{SCAFFOLD_MARK}<title>政府信息公开</title></head>"
            f"<body><h1>政府信息公开</h1><ul>{items}</ul></body></html>").encode("utf-8")


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

        self.httpd = ThreadingHTTPServer((self.address, port), Handler)
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
        return 404, b"<html><head><title>404 Not Found</title></head><body>404 Not Found</body></html>"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def audit_host(host: str, tmp: Path, *, disclosure: str, only: str) -> Path:
    """One real audit (the CLI) of the saved pages of ``host`` served on loopback, the
    crawler resolving ``host`` through dnsmasq; ``disclosure``: the site's 政府信息公开 page;
    ``only``: the checks run. Returns the output folder (the store is ``audit.db`` in ``tmp``)."""
    from tests.conftest import run_cli
    from tests.dnsmasq import Dnsmasq

    server = RealPagesServer([p for p in corpus() if p.host == host])
    dns = Dnsmasq([f"--host-record={host},{server.address}"], tmp / "dnsmasq.log", local_domains=("gov.cn",))
    try:
        cfg = tmp / "real-host.yaml"
        cfg.write_text(f"audit_date: {AUDIT_DATE}\nstore: {{path: '{tmp / 'audit.db'}'}}\n"
                       "crawl: {timeout: 4, retries: 0, concurrency: 8, per_host_rate: 0, check_external: false, "
                       "allowed_networks: ['127.0.0.0/8']}\n"
                       f"dns: {{nameservers: [127.0.0.1], port: {dns.port}, timeout: 0.5, retries: 0}}\n"
                       f"sites:\n  - {{name: '{host}', url: 'http://{host}/', disclosure: '{disclosure}'}}\n",
                       encoding="utf-8")
        result = run_cli("run", "-c", str(cfg), "-o", str(tmp / "out"), "--no-progress", "--only", only)
        if result.returncode not in (0, 1):
            raise RuntimeError(f"the audit failed ({result.returncode}):\n{result.stderr[-3000:]}")
        return tmp / "out"
    finally:
        dns.stop()
        server.stop()


def main() -> int:
    if not available():
        print(SKIP_REASON, file=sys.stderr)
        return 1
    s = score()
    print(s.table())
    print(list_table())
    if "-v" in sys.argv:
        for name, fs in s.fields.items():
            for pid, want, have in fs.wrong:
                print(f"  {name}: {pid}: want {want!r} got {squash(str(have))[:80]!r}")
        for pid, url in s.false_spam:
            print(f"  false 暗链: {pid}: {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
