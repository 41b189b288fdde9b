"""Serve the peer cases on loopback, audit them with the real CLI (one run, one site per
case), and read back, per case, the links extracted and the verdict on each; score them
against the peers' own expectations.

    python -m tests.peers.harness              # this checkout's figures
    python -m tests.peers.harness --code DIR   # another checkout's (e.g. main before a change)
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import LOOPBACK_NETWORKS
from tests.peers.cases import ABSENT, ANCHOR, BROKEN, INC, OK, PEER_CASES, SKIP, UNDECIDED, Case
from tests.peers.server import EXT_IP, SITE_IP, PeerServer, Resp

ROOT = Path(__file__).resolve().parents[2]
AUDIT_DATE = "2024-06-30"
OK_BODY = "<html><head><title>ok</title></head><body><p>ok</p></body></html>"
_CTYPES = {".css": "text/css", ".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg",
           ".xml": "application/xml", ".txt": "text/plain", ".svg": "image/svg+xml"}
BROKEN_OUTCOMES = {"http_error", "dns", "refused", "timeout", "tls", "reset", "invalid_url", "redirect_loop"}


def _ctype(path: str) -> str:
    for ext, ctype in _CTYPES.items():
        if path.split("?", 1)[0].endswith(ext):
            return ctype
    return "text/html; charset=utf-8" if path.endswith((".html", "/")) else "application/octet-stream"


def routes_for(cases, robots: str):
    def build(server: PeerServer) -> dict[tuple[str, str], Resp]:
        routes: dict[tuple[str, str], Resp] = {}
        for case in cases:
            here = lambda p: p if p.startswith("/") else case.directory + p  # noqa: E731
            for path in case.ok:
                routes[(SITE_IP, here(path))] = Resp(OK_BODY if "html" in _ctype(here(path)) else "", ctype=_ctype(here(path)))
            for name, body in case.pages.items():
                if 'charset="gbk"' in body:   # written as latin-1 text: its characters are the GBK bytes
                    routes[(SITE_IP, here(name))] = Resp(body, ctype="text/html", charset="latin-1")
                else:
                    routes[(SITE_IP, here(name))] = Resp(body, ctype=_ctype(name))
            for path in case.ext:
                routes[(EXT_IP, path)] = Resp(OK_BODY, ctype=_ctype(path))
            for path, (status, headers) in case.special.items():
                routes[(SITE_IP, here(path))] = Resp(OK_BODY, status=status, headers=headers)
        for code in (404, 500, 502):
            routes[(EXT_IP, f"/status/{code}")] = Resp(OK_BODY, status=code)
        routes[(SITE_IP, "/robots.txt")] = Resp(robots, ctype="text/plain")
        return routes
    return build


ROBOTS = """User-agent: *
Disallow: /ours/robots_home/
Sitemap: {SITE}/linkchecker/sitemapindex/sitemapindex.xml
"""


@dataclass
class Audit:
    server: PeerServer
    db: sqlite3.Connection
    findings: list[dict]
    stderr: str
    returncode: int

    def site_url(self, case: Case) -> str:
        return self.server.site + case.directory + case.start


def run_audit(cases, workdir: Path, code: Path = ROOT) -> Audit:
    """One ``portal-audit run`` of ``code`` over every case (a site per case)."""
    server = PeerServer(routes_for(cases, ROBOTS))
    store = workdir / "audit.db"
    lines = [f"audit_date: {AUDIT_DATE}", f"store: {{path: '{store}'}}",
             "crawl: {timeout: 4, retries: 1, retry_backoff: 0.2, max_page_size: 1MB, concurrency: 16, "
             f"{LOOPBACK_NETWORKS}}}", "sites:"]
    # the start page is also the disclosure page: the whole case directory is in scope, so
    # its pages are parsed at any depth (the peers recurse without limit)
    lines += [f"  - {{name: '{c.peer}/{c.name}', url: '{server.site}{c.directory}{c.start}',"
              f" disclosure: '{server.site}{c.directory}{c.start}'}}" for c in cases]
    cfg = workdir / "peers.yaml"
    cfg.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(code)}
    try:
        result = subprocess.run([sys.executable, "-m", "portal_audit.cli", "run", "-c", str(cfg), "-o",
                                 str(workdir / "out"), "--no-progress", "--only", "link,site"],
                                capture_output=True, text=True, timeout=300, cwd=code, env=env)
    finally:
        server.stop()
    findings = []
    if (workdir / "out" / "findings.jsonl").exists():
        findings = [json.loads(line) for line in (workdir / "out" / "findings.jsonl").open(encoding="utf-8")]
    db = sqlite3.connect(store)
    db.row_factory = sqlite3.Row
    return Audit(server, db, findings, result.stderr, result.returncode)


def verdicts(audit: Audit, case: Case) -> dict[str, tuple[str, int | None]]:
    """{raw href: (our verdict, line)} of every link on the case's pages (first occurrence)."""
    db = audit.db
    prefix = audit.server.site + case.directory
    columns = {r[1] for r in db.execute("PRAGMA table_info(links)")}
    anchors = {f["url"] for f in audit.findings if f["check"] == "link.anchor-missing"}
    fetches = {r["url"]: r["outcome"] for r in db.execute("SELECT url, outcome FROM fetches")}
    got: dict[str, tuple[str, int | None]] = {}
    rows = db.execute("SELECT * FROM links WHERE substr(source_url, 1, ?) = ? ORDER BY id", (len(prefix), prefix))
    for row in rows:
        href = row["raw_href"]
        if href in got:
            continue
        fragment = row["fragment"] if "fragment" in columns else None
        kind = row["kind"]
        if kind == "invalid":
            verdict = BROKEN
        elif kind == "anchor":
            verdict = ANCHOR if fragment and f"{row['source_url']}#{fragment}" in anchors else OK
        elif kind not in ("page", "external", "resource", "attachment"):
            verdict = SKIP
        else:
            outcome = fetches.get(row["target_url"])
            if outcome is None:
                verdict = "unchecked"
            elif outcome == "ok":
                verdict = ANCHOR if fragment and f"{row['target_url']}#{fragment}" in anchors else OK
            elif outcome in BROKEN_OUTCOMES:
                verdict = BROKEN
            else:
                verdict = INC
        got[href] = (verdict, row["line"])
    return got


def expected(audit: Audit, case: Case) -> dict[str, str]:
    """{raw href: our expected verdict} of the case: the peer's links (ours where we differ
    on purpose) and the links we extract beyond them; links we do not extract are left out."""
    return {audit.server.render(link.href).strip(): link.expected for link in (*case.links, *case.extra)
            if link.expected != ABSENT}


@dataclass
class Score:
    links: int = 0
    extracted: int = 0
    decidable: int = 0
    matched: int = 0

    def add(self, other: "Score") -> None:
        self.links += other.links
        self.extracted += other.extracted
        self.decidable += other.decidable
        self.matched += other.matched

    def __str__(self) -> str:
        return (f"links extracted {self.extracted}/{self.links} ({100 * self.extracted / max(1, self.links):.1f}%), "
                f"verdicts matched {self.matched}/{self.decidable} ({100 * self.matched / max(1, self.decidable):.1f}%)")


def score(audit: Audit, case: Case) -> Score:
    """Against the peer's own expectations: how many of its links we extract, and how many
    of its loopback-decidable verdicts we give."""
    got = verdicts(audit, case)
    s = Score()
    for link in case.links:
        href = audit.server.render(link.href).strip()
        s.links += 1
        s.extracted += href in got
        if link.peer != UNDECIDED:
            s.decidable += 1
            s.matched += got.get(href, ("",))[0] == link.peer
    return s


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="score portal-audit against the peers' link-checking suites")
    ap.add_argument("--code", type=Path, default=ROOT, help="the checkout to run (default: this one)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        audit = run_audit(PEER_CASES, Path(tmp), args.code.resolve())
        if audit.returncode != 0:
            print(audit.stderr[-3000:], file=sys.stderr)
        totals = {"linkchecker": Score(), "lychee": Score()}
        for case in PEER_CASES:
            s = score(audit, case)
            totals[case.peer].add(s)
            print(f"{case.peer:12} {case.name:22} {s}")
        overall = Score()
        for peer, s in totals.items():
            overall.add(s)
            print(f"{peer:12} {'(all)':22} {s}")
        print(f"{'both':12} {'(all)':22} {overall}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
