"""The IPv6 audit end to end: a real dnsmasq on 127.0.0.1, name-based sites served on both
127.0.0.1 and ::1, and the real CLI in a subprocess. Nothing leaves loopback.

The zone (see ``ZONE``): www.v6ok.test reaches its A/AAAA through a two-step CNAME chain
and its zone's NS host has IPv6; www.v6none.test has no AAAA and neither has its NS host;
www.v6broken.test has an AAAA but its IPv6 listener resets; www.v6mixed.test answers a
different title over IPv6, one of its pages is a 503 over IPv6, one page has another
title, old.v6mixed.test has no AAAA and media.v6mixed.test's AAAA lookups get SERVFAIL;
www.v6slow.test times out; www.v6gone.test does not exist; www.v6hold.test's IPv6 listener
takes the request and never answers (for a Ctrl-C in the IPv6 stage).
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import pytest

from tests.conftest import LOOPBACK_NETWORKS
from tests.dnsmasq import AaaaServfailUpstream, Dnsmasq, SilentUpstream, free_port, ns_rdata

CLI = Path(sys.executable).parent / "portal-audit"


# -- a name-based HTTP server on 127.0.0.1 and ::1 -----------------------------------------

@dataclass(frozen=True)
class Page:
    title: str
    links: tuple[str, ...] = ()
    status: int = 200
    v6_status: int | None = None
    v6_title: str | None = None
    content_type: str = "text/html; charset=utf-8"
    location: str | None = None
    v6_retry_after: str | None = None   # a Retry-After header on the IPv6 answer
    changing: bool = False              # the title changes with every request (a live counter)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):  # quiet
        pass

    def do_HEAD(self):
        self._serve(body=False)

    def do_GET(self):
        self._serve(body=True)

    def _serve(self, body: bool):
        app: VHostServer = self.server.app
        v6 = self.server.address_family == socket.AF_INET6
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
        app.requests.append((6 if v6 else 4, host, self.command, self.path))
        if v6 and host in app.v6_reset_hosts:
            self._reset()
            return
        if v6 and host in app.v6_hold_hosts:
            app.stopping.wait(60)
            self._reset()
            return
        page = app.sites.get(host, {}).get(self.path.split("?", 1)[0])
        if page is None:
            self._send(404, "text/html; charset=utf-8", "<html><head><title>404</title></head><body>无此页面</body></html>", body)
            return
        if page.location:
            self.send_response(page.status)
            self.send_header("Location", page.location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status = (page.v6_status if v6 and page.v6_status else page.status)
        title = page.v6_title if v6 and page.v6_title else page.title
        if page.changing:
            title += f" 第{len(app.requests)}次访问"
        if not page.content_type.startswith("text/html"):
            self._send(status, page.content_type, "%PDF-1.4 sample", body)
            return
        links = "".join(f'<li><a href="{href}">链接 {i}</a></li>' for i, href in enumerate(page.links, 1))
        html = (f"<html><head><meta charset='utf-8'><title>{title}</title></head>"
                f"<body><h1>{title}</h1><ul>{links}</ul></body></html>")
        self._send(status, page.content_type, html, body, page.v6_retry_after if v6 else None)

    def _send(self, status: int, ctype: str, text: str, body: bool, retry_after: str | None = None):
        data = text.encode("utf-8")
        self.send_response(status)
        if retry_after:
            self.send_header("Retry-After", retry_after)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _reset(self):
        """Abort the connection with a TCP RST (SO_LINGER 0), as a broken IPv6 front end does."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.wfile = io.BytesIO()


class _Listener(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, app, family):
        self.address_family = family
        self.app = app
        super().__init__(address, _Handler, bind_and_activate=False)
        if family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        self.server_bind()
        self.server_activate()

    def handle_error(self, request, client_address):  # resets and client aborts are expected
        pass


class VHostServer:
    """Sites by Host header on 127.0.0.1:PORT and [::1]:PORT (the same port)."""

    def __init__(self, sites_for_port, v6_reset_hosts=(), v6_hold_hosts=()):
        self.requests: list[tuple[int, str, str, str]] = []
        self.v6_reset_hosts, self.v6_hold_hosts = frozenset(v6_reset_hosts), frozenset(v6_hold_hosts)
        self.stopping = threading.Event()
        for _ in range(20):
            v4 = _Listener(("127.0.0.1", 0), self, socket.AF_INET)
            try:
                v6 = _Listener(("::1", v4.server_address[1]), self, socket.AF_INET6)
                break
            except OSError:
                v4.server_close()
        else:
            raise RuntimeError("no port free on both 127.0.0.1 and ::1")
        self.port = v4.server_address[1]
        self.sites = sites_for_port(self.port)
        self.listeners = [v4, v6]
        self.threads = [threading.Thread(target=lst.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
                        for lst in self.listeners]
        for t in self.threads:
            t.start()

    def stop(self):
        self.stopping.set()
        for lst in self.listeners:
            lst.shutdown()
            lst.server_close()


# -- the zone and the sites -------------------------------------------------------------------

def sites_for(port: int) -> dict[str, dict[str, Page]]:
    def on(host: str, path: str = "/") -> str:
        return f"http://{host}:{port}{path}"

    return {
        "www.v6ok.test": {
            "/": Page("样例一 首页", ("/a.html", "/b.html", on("news.v6ok.test"), "/files/report.pdf", "/old.html")),
            "/old.html": Page("", status=301, location="/b.html"),
            "/a.html": Page("样例一 A", ("/a1.html", on("news.v6ok.test", "/n1.html"))),
            "/b.html": Page("样例一 B"),
            "/a1.html": Page("样例一 A1"),
            "/files/report.pdf": Page("", content_type="application/pdf"),
        },
        "news.v6ok.test": {"/": Page("样例一 新闻"), "/n1.html": Page("样例一 新闻 N1")},
        "www.v6none.test": {"/": Page("样例二 首页", ("/a.html",)), "/a.html": Page("样例二 A")},
        "www.v6broken.test": {"/": Page("样例三 首页", ("/a.html",)), "/a.html": Page("样例三 A")},
        "www.v6mixed.test": {
            "/": Page("样例四 首页", ("/a.html", "/b.html", on("old.v6mixed.test"), on("media.v6mixed.test"),
                                    "/go-old.html"), v6_title="样例四 IPv6 测试页"),
            "/go-old.html": Page("", status=302, location=on("old.v6mixed.test")),
            "/a.html": Page("样例四 A", ("/a1.html", "/c.html", "/d.html", "/e.html", "/t.html")),
            "/b.html": Page("样例四 B", v6_status=503),
            "/a1.html": Page("样例四 A1"),
            "/c.html": Page("样例四 C", v6_title="样例四 C（旧版）"),
            # not IPv6 faults: a rate limit (longer than crawl.max_retry_after), a bot wall,
            # and a page that is different at every fetch whatever the address family
            "/d.html": Page("样例四 D", v6_status=429, v6_retry_after="600"),
            "/e.html": Page("样例四 E", v6_status=403, v6_title="访问被拦截 - 网站防火墙"),
            "/t.html": Page("样例四 T", changing=True),
        },
        "old.v6mixed.test": {"/": Page("样例四 旧系统")},
        "media.v6mixed.test": {"/": Page("样例四 媒体库")},
        "www.v6hold.test": {"/": Page("样例七 首页")},
    }


def zone(silent: SilentUpstream, servfail: AaaaServfailUpstream) -> list[str]:
    return [
        # a CNAME chain in two steps to the address records
        "--cname=www.v6ok.test,www.v6ok.cdn.test", "--cname=www.v6ok.cdn.test,edge.cdn.test",
        "--host-record=edge.cdn.test,127.0.0.1,::1",
        "--host-record=news.v6ok.test,127.0.0.1,::1",
        f"--dns-rr=v6ok.test,2,{ns_rdata('ns1.v6ok.test')}", "--host-record=ns1.v6ok.test,127.0.0.1,::1",
        # no AAAA, and an NS host without IPv6
        "--host-record=www.v6none.test,127.0.0.1",
        f"--dns-rr=v6none.test,2,{ns_rdata('ns1.v6none.test')}", "--host-record=ns1.v6none.test,127.0.0.1",
        "--host-record=www.v6broken.test,127.0.0.1,::1",
        "--host-record=www.v6mixed.test,127.0.0.1,::1",
        "--host-record=old.v6mixed.test,127.0.0.1",
        "--host-record=www.v6hold.test,127.0.0.1,::1",
        "--host-record=www.tls.test,127.0.0.1,::1", "--host-record=other.tls.test,127.0.0.1,::1",
        f"--server=/media.v6mixed.test/{servfail.server}",
        f"--server=/v6slow.test/{silent.server}",
        # www.v6gone.test: not in the zone, --local=/test/ → NXDOMAIN
    ]


SITES = [("样例一", "www.v6ok.test"), ("样例二", "www.v6none.test"), ("样例三", "www.v6broken.test"),
         ("样例四", "www.v6mixed.test"), ("样例五", "www.v6slow.test"), ("样例六", "www.v6gone.test")]


@pytest.fixture(scope="module")
def dns_server(tmp_path_factory):
    silent, servfail = SilentUpstream(), AaaaServfailUpstream()
    server = Dnsmasq(zone(silent, servfail), tmp_path_factory.mktemp("dnsmasq") / "dnsmasq.log")
    yield server
    server.stop()
    silent.close()
    servfail.close()


@pytest.fixture(scope="module")
def web():
    srv = VHostServer(sites_for, v6_reset_hosts={"www.v6broken.test"}, v6_hold_hosts={"www.v6hold.test"})
    yield srv
    srv.stop()


def write_cfg(path: Path, *, store: Path, dns_port: int, http_port: int, sites=SITES) -> Path:
    lines = [
        "audit_date: 2024-06-30",
        f"store: {{path: '{store}'}}",
        f"crawl: {{timeout: 3, retries: 1, retry_backoff: 0.1, concurrency: 16, respect_robots: false, {LOOPBACK_NETWORKS}, per_host_rate: 0}}",
        f"dns: {{nameservers: [127.0.0.1], port: {dns_port}, timeout: 0.5, retries: 1}}",
        "ipv6: {allow_nonglobal: true, probe_timeout: 2, probe_retries: 1}",
        "sites:",
        *[f"  - {{name: '{name}', url: 'http://{host}:{http_port}/'}}" for name, host in sites],
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(cfg: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(CLI), "run", "-c", str(cfg), "-o", str(out), "--no-progress"],
                          capture_output=True, text=True, timeout=120)


def ipv6_findings(out: Path) -> list[dict]:
    with open(out / "findings.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if json.loads(line)["check"].startswith("ipv6.")]


# -- the end-to-end run -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def audited(tmp_path_factory, dns_server, web):
    tmp = tmp_path_factory.mktemp("ipv6")
    cfg = write_cfg(tmp / "cfg.yaml", store=tmp / "audit.db", dns_port=dns_server.port, http_port=web.port)
    started = time.perf_counter()
    proc = run(cfg, tmp / "out")
    elapsed = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr[-3000:]
    db = sqlite3.connect(tmp / "audit.db")
    db.row_factory = sqlite3.Row
    yield {"out": tmp / "out", "db": db, "port": web.port, "elapsed": elapsed, "web": web}
    db.close()


def test_exact_ipv6_findings(audited):
    p = audited["port"]

    def u(host, path="/"):
        return f"http://{host}:{p}{path}"

    got = sorted((f["site"], f["check"], f["url"], f["page"]) for f in ipv6_findings(audited["out"]))
    assert got == sorted([
        ("样例二", "ipv6.no-aaaa", u("www.v6none.test"), None),
        ("样例二", "ipv6.dns-no-v6", u("www.v6none.test"), None),
        ("样例二", "ipv6.link-rate", u("www.v6none.test"), None),
        ("样例三", "ipv6.unreachable", u("www.v6broken.test"), None),
        ("样例三", "ipv6.link-rate", u("www.v6broken.test"), None),
        ("样例四", "ipv6.inconsistent", u("www.v6mixed.test"), None),
        ("样例四", "ipv6.inconsistent", u("www.v6mixed.test", "/c.html"), u("www.v6mixed.test", "/a.html")),
        ("样例四", "ipv6.unreachable", u("www.v6mixed.test", "/b.html"), u("www.v6mixed.test")),
        ("样例四", "ipv6.link-rate", u("www.v6mixed.test"), None),
        ("样例四", "ipv6.dns-error", u("media.v6mixed.test"), None),
        ("样例五", "ipv6.dns-error", u("www.v6slow.test"), None),
        ("样例六", "ipv6.no-aaaa", u("www.v6gone.test"), None),
    ])


def test_finding_details(audited):
    by = {(f["site"], f["check"], f["url"]): f for f in ipv6_findings(audited["out"])}
    p = audited["port"]
    severities = {f["check"]: f["severity"] for f in by.values()}
    assert severities == {"ipv6.no-aaaa": "error", "ipv6.unreachable": "error", "ipv6.inconsistent": "warning",
                          "ipv6.link-rate": "warning", "ipv6.dns-no-v6": "info", "ipv6.dns-error": "warning"}

    none = by[("样例二", "ipv6.no-aaaa", f"http://www.v6none.test:{p}/")]
    assert none["evidence"]["aaaa"]["status"] == "noanswer" and none["evidence"]["a"]["answers"] == ["127.0.0.1"]
    gone = by[("样例六", "ipv6.no-aaaa", f"http://www.v6gone.test:{p}/")]
    assert gone["evidence"]["aaaa"]["status"] == "nxdomain" and "NXDOMAIN" in gone["message"]

    slow = by[("样例五", "ipv6.dns-error", f"http://www.v6slow.test:{p}/")]
    assert slow["evidence"]["aaaa"]["status"] == "timeout" and slow["evidence"]["aaaa"]["attempts"] == 2
    media = by[("样例四", "ipv6.dns-error", f"http://media.v6mixed.test:{p}/")]
    assert media["evidence"]["aaaa"]["status"] == "servfail" and media["evidence"]["links"] == 1

    broken = by[("样例三", "ipv6.unreachable", f"http://www.v6broken.test:{p}/")]
    assert broken["evidence"]["scope"] == "host" and broken["evidence"]["addresses"] == ["::1"]
    assert broken["evidence"]["pages"] == 2 and {x["outcome"] for x in broken["evidence"]["probes"]} == {"reset"}
    b503 = by[("样例四", "ipv6.unreachable", f"http://www.v6mixed.test:{p}/b.html")]
    assert b503["evidence"]["ipv6"]["status"] == 503 and b503["evidence"]["ipv4"]["status"] == 200

    home = by[("样例四", "ipv6.inconsistent", f"http://www.v6mixed.test:{p}/")]
    diffs = home["evidence"]["addresses"][0]["differences"]
    assert diffs == [{"field": "title", "label": "标题", "ipv4": "样例四 首页", "ipv6": "样例四 IPv6 测试页"}]

    rate = by[("样例四", "ipv6.link-rate", f"http://www.v6mixed.test:{p}/")]["evidence"]
    assert (rate["level"], rate["supported"], rate["total"], rate["undecided"], rate["rate"], rate["target"]) == \
        ("二级链接", 1, 4, 1, 25.0, 85.0)
    failing = {h["host"]: h for h in rate["failing_hosts"]}
    assert {h: f["links"] for h, f in failing.items()} == {"www.v6mixed.test": 2, "old.v6mixed.test": 1}
    assert failing["www.v6mixed.test"]["reasons"] == {"HTTP 503": 1, "跳转目标主机 old.v6mixed.test 没有可用的 IPv6 地址": 1}
    none_rate = by[("样例二", "ipv6.link-rate", f"http://www.v6none.test:{p}/")]["evidence"]
    assert (none_rate["supported"], none_rate["total"]) == (0, 1)
    assert none_rate["failing_hosts"][0]["reasons"] == {"没有可用的 IPv6 地址": 1}

    ns = by[("样例二", "ipv6.dns-no-v6", f"http://www.v6none.test:{p}/")]["evidence"]
    assert ns["zone"] == "v6none.test" and [n["name"] for n in ns["nameservers"]] == ["ns1.v6none.test"]


def test_stored_dns_facts(audited):
    db = audited["db"]
    rows = {(r["host"], r["qtype"]): r for r in db.execute("SELECT * FROM dns_answers")}
    chain = json.loads(rows[("www.v6ok.test", "AAAA")]["cname_json"])
    assert chain == [["www.v6ok.test", "www.v6ok.cdn.test"], ["www.v6ok.cdn.test", "edge.cdn.test"]]
    assert json.loads(rows[("www.v6ok.test", "AAAA")]["answers_json"]) == ["::1"]
    statuses = {k: r["status"] for k, r in rows.items()}
    assert statuses[("www.v6none.test", "AAAA")] == "noanswer"
    assert statuses[("www.v6gone.test", "AAAA")] == "nxdomain"
    assert statuses[("www.v6slow.test", "AAAA")] == statuses[("www.v6slow.test", "A")] == "timeout"
    assert statuses[("media.v6mixed.test", "AAAA")] == "servfail" and statuses[("media.v6mixed.test", "A")] == "ok"
    assert statuses[("v6ok.test", "NS")] == "ok" and statuses[("ns1.v6ok.test", "AAAA")] == "ok"
    stage = db.execute("SELECT * FROM ipv6_runs").fetchone()
    assert stage["selfcheck_ok"] == 1 and stage["resolver_ok"] == 1
    print(f"\nIPv6 stage {stage['elapsed']:.2f}s; whole CLI run {audited['elapsed']:.2f}s")
    assert stage["elapsed"] < 15


def test_rates_and_probes_of_the_healthy_site(audited):
    db = audited["db"]
    v6 = db.execute("SELECT level, url, outcome, method FROM ip_probes WHERE site = '样例一' AND family = 6"
                    " ORDER BY level, url").fetchall()
    p = audited["port"]
    assert [(r["level"], r["url"], r["outcome"]) for r in v6] == [
        (1, f"http://www.v6ok.test:{p}/", "ok"),
        (2, f"http://news.v6ok.test:{p}/", "ok"),
        (2, f"http://www.v6ok.test:{p}/a.html", "ok"),
        (2, f"http://www.v6ok.test:{p}/b.html", "ok"),
        (2, f"http://www.v6ok.test:{p}/files/report.pdf", "ok"),
        (2, f"http://www.v6ok.test:{p}/old.html", "ok"),
        (3, f"http://news.v6ok.test:{p}/n1.html", "ok"),
        (3, f"http://www.v6ok.test:{p}/a1.html", "ok"),
    ]
    assert {r["method"] for r in v6 if r["url"].endswith(".pdf")} == {"HEAD"}
    moved = db.execute("SELECT final_url, redirects_json FROM ip_probes WHERE site = '样例一' AND family = 6"
                       " AND url LIKE '%/old.html'").fetchone()
    assert moved["final_url"] == f"http://www.v6ok.test:{p}/b.html"
    assert [h["status"] for h in json.loads(moved["redirects_json"])] == [301, 200]
    # the IPv6 requests really went to ::1 with the site's Host header
    web = audited["web"]
    assert (6, "www.v6ok.test", "GET", "/a1.html") in web.requests
    assert (6, "www.v6ok.test", "HEAD", "/files/report.pdf") in web.requests
    # each IPv6 request is a row of the store's request log, with its site
    logged = db.execute("SELECT site, host, method, url FROM requests WHERE purpose = 'ipv6'").fetchall()
    served = [r for r in web.requests if r[0] == 6]
    assert served and len(logged) >= len(served)
    assert ("样例一", "www.v6ok.test", "HEAD", f"http://www.v6ok.test:{p}/files/report.pdf") in [tuple(r) for r in logged]


def test_rate_limits_bot_walls_and_changing_pages_are_not_ipv6_faults(audited):
    db, p = audited["db"], audited["port"]

    def u(path):
        return f"http://www.v6mixed.test:{p}{path}"

    v6 = {r["url"]: r for r in db.execute("SELECT * FROM ip_probes WHERE site = '样例四' AND family = 6")}
    assert (v6[u("/d.html")]["outcome"], v6[u("/d.html")]["status"]) == ("rate_limited", 429)
    assert (v6[u("/e.html")]["outcome"], v6[u("/e.html")]["status"]) == ("blocked", 403)
    # no finding names them (the exact list is test_exact_ipv6_findings); the 三级 rate leaves
    # the two undecided links out and names them
    summary = json.loads(db.execute("SELECT stats_json FROM run_sites WHERE site = '样例四'").fetchone()[0])
    level3 = summary["ipv6"]["levels"]["3"]["summary"]
    assert (level3["supported"], level3["total"], level3["undecided"]) == (3, 3, 2)
    assert sorted(x["url"] for x in level3["undecided_links"]) == [u("/d.html"), u("/e.html")]
    # the changing page was fetched over IPv4 again right after its IPv6 probe, differed
    # from the crawl's IPv4 answer too, and so decides nothing
    v4 = db.execute("SELECT source, title FROM ip_probes WHERE family = 4 AND url = ?", (u("/t.html"),)).fetchone()
    assert v4["source"] == "probe-changed" and v6[u("/t.html")]["title"] != v4["title"]
    # a page that differs for real is compared with an IPv4 answer taken at probe time
    c4 = db.execute("SELECT source, title FROM ip_probes WHERE family = 4 AND url = ?", (u("/c.html"),)).fetchone()
    assert tuple(c4) == ("probe", "样例四 C")


def test_report_section(audited):
    html = (audited["out"] / "report.html").read_text(encoding="utf-8")
    stats = json.loads(audited["db"].execute("SELECT stats_json FROM run_sites WHERE site = '样例一'").fetchone()[0])
    summary = stats["ipv6"]
    assert summary["levels"]["2"]["summary"]["rate"] == 100.0 and summary["levels"]["3"]["summary"]["rate"] == 100.0
    assert summary["dns"]["AAAA"]["cname"][0] == ["www.v6ok.test", "www.v6ok.cdn.test"]
    assert "<h2>IPv6 支持情况</h2>" in html
    assert "www.v6ok.test → www.v6ok.cdn.test → edge.cdn.test" in html       # the CNAME chain
    assert "25.0%" in html and "old.v6mixed.test" in html                      # a rate and a failing host
    assert "样例四 IPv6 测试页" in html and "IPv6 检测结果不确定" not in html   # v6 title beside v4; no banner
    # each site is stored as it ends, with the stage's time then: the report gives the last one's
    ended = [json.loads(r[0]).get("ipv6", {}).get("stage_elapsed") for r in
             audited["db"].execute("SELECT stats_json FROM run_sites")]
    stage = audited["db"].execute("SELECT elapsed FROM ipv6_runs").fetchone()[0]
    assert max(e for e in ended if e) <= stage
    assert f"IPv6 检测用时 {max(e for e in ended if e):.1f} 秒" in html


def test_probes_are_handed_out_across_sites(tmp_path, audited, dns_server, web):
    """The stage's fetches are handed out from the open sites in turn: with a per-host rate
    (which holds the thread that waits for it) the threads are spread over the sites' hosts
    instead of all waiting on the first site's. Here two threads, 2 requests/s per host: the
    first IPv6 request of each site with something to fetch comes before any host's second."""
    import shutil

    from crawler.ipv6.stage import gather_ipv6
    from portal_audit.config import load_config
    from store import Store

    shutil.copy(audited["db"].execute("PRAGMA database_list").fetchone()[2], tmp_path / "audit.db")
    cfg = write_cfg(tmp_path / "cfg.yaml", store=tmp_path / "audit.db", dns_port=dns_server.port,
                    http_port=web.port, sites=[SITES[0], SITES[2], SITES[3]])
    text = cfg.read_text(encoding="utf-8").replace("per_host_rate: 0", "per_host_rate: 2")
    cfg.write_text(text.replace("probe_retries: 1", "probe_retries: 1, concurrency: 2"), encoding="utf-8")
    config = load_config(cfg)
    seen = len(web.requests)
    store = Store(tmp_path / "audit.db")
    try:
        run_id = store.runs("audit")[-1]["id"]
        summary = gather_ipv6(config, run_id, store)
        stored = {r["site"] for r in store.query("SELECT DISTINCT site FROM ip_probes WHERE run_id = ?", (run_id,))}
    finally:
        store.close()
    assert summary["selfcheck"]["ok"] and summary["probes"] >= 15
    assert stored == {"样例一", "样例三", "样例四"}
    hosts = [host for family, host, _, _ in web.requests[seen:] if family == 6]
    first_again = next(i for i, h in enumerate(hosts) if h in hosts[:i])
    assert {"www.v6ok.test", "www.v6broken.test", "www.v6mixed.test"} <= set(hosts[:first_again]), hosts


def test_resolver_unreachable_is_inconclusive(tmp_path, web):
    """No resolver: nothing is blamed on the sites; the stage records why, the checks are n/a."""
    cfg = write_cfg(tmp_path / "cfg.yaml", store=tmp_path / "audit.db", dns_port=free_port(), http_port=web.port,
                    sites=SITES[:2])
    proc = run(cfg, tmp_path / "out")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert ipv6_findings(tmp_path / "out") == []
    db = sqlite3.connect(tmp_path / "audit.db")
    stage = db.execute("SELECT selfcheck_ok, resolver_ok, selfcheck_json FROM ipv6_runs").fetchone()
    assert stage[:2] == (0, 0) and "域名服务器无法访问" in json.loads(stage[2])["reason"]
    states = dict(db.execute("SELECT check_code, state FROM check_runs WHERE check_code LIKE 'ipv6.%'").fetchall())
    assert set(states.values()) == {"n/a"} and len(states) == 6
    db.close()
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "IPv6 检测结果不确定" in html and "域名服务器无法访问" in html   # the banner at the top


def test_ctrl_c_in_the_ipv6_stage_ends_the_run_interrupted_with_its_reports(tmp_path, dns_server, web):
    """The IPv6 stage runs in a process of its own (pa-ipv6), left in the terminal's process
    group: a Ctrl-C while it waits for an IPv6 answer reaches both. The stage's process ends,
    the run is interrupted (exit 130) with its crawl kept and its report marked unfinished.
    A site whose probes had ended is stored, the stage's own row is not (its checks are n/a)."""
    cfg = write_cfg(tmp_path / "cfg.yaml", store=tmp_path / "audit.db", dns_port=dns_server.port,
                    http_port=web.port, sites=[("样例一", "www.v6ok.test"), ("样例七", "www.v6hold.test")])
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("probe_timeout: 2", "probe_timeout: 60"), encoding="utf-8")
    proc = subprocess.Popen([str(CLI), "run", "-c", str(cfg), "-o", str(tmp_path / "out"), "--no-progress"],
                            stderr=subprocess.PIPE, text=True, start_new_session=True)

    def measured(site: str) -> bool:
        try:
            with sqlite3.connect(tmp_path / "audit.db", timeout=1) as db:
                return bool(db.execute("SELECT COUNT(*) FROM ipv6_sites WHERE site = ?", (site,)).fetchone()[0])
        except sqlite3.Error:
            return False

    stage = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (stage and (6, "www.v6hold.test", "GET", "/") in web.requests
                                               and measured("样例一")):
        stage = [c for c in psutil.Process(proc.pid).children() if c.name() == "pa-ipv6"]
        time.sleep(0.1)
    assert stage, "the IPv6 stage never started"
    asked = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)      # as a terminal's Ctrl-C: to the whole foreground group
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert time.monotonic() - asked < 15
    assert "Traceback" not in stderr, stderr
    assert not psutil.wait_procs(stage, timeout=10)[1]
    db = sqlite3.connect(tmp_path / "audit.db")
    assert db.execute("SELECT status FROM runs").fetchone() == ("interrupted",)
    assert db.execute("SELECT COUNT(*) FROM pages WHERE site = '样例七'").fetchone()[0] == 1
    assert db.execute("SELECT site FROM ipv6_sites").fetchall() == [("样例一",)]
    assert db.execute("SELECT COUNT(*) FROM ipv6_runs").fetchone()[0] == 0
    db.close()
    assert "未完成" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


# -- units ------------------------------------------------------------------------------------

def test_usable_addresses():
    from core.ipv6 import nonglobal_reason, split_usable

    cases = {"::1": "loopback", "fe80::1": "link-local", "fd00::2": "unique-local", "2001:db8::1": "documentation",
             "::ffff:192.0.2.1": "ipv4-mapped", "::": "unspecified", "ff02::1": "multicast",
             "240e:1::1": None, "2400:3200::1": None}
    assert {a: nonglobal_reason(a) for a in cases} == cases
    usable, unusable = split_usable(list(cases), allow_nonglobal=False)
    assert usable == ["240e:1::1", "2400:3200::1"]
    usable, _ = split_usable(list(cases), allow_nonglobal=True)
    assert "::1" in usable and "::ffff:192.0.2.1" not in usable and "::" not in usable


def test_internal_hosts():
    from core.ipv6 import is_internal

    assert is_internal("www.linyi.gov.cn", "www.linyi.gov.cn")
    assert is_internal("xxgk.linyi.gov.cn", "www.linyi.gov.cn")
    assert is_internal("linyi.gov.cn", "www.linyi.gov.cn")
    assert not is_internal("www.gov.cn", "www.linyi.gov.cn")
    assert not is_internal("evil-linyi.gov.cn", "www.linyi.gov.cn")
    assert is_internal("zwfw.sd.gov.cn", "www.linyi.gov.cn", ["sd.gov.cn"])
    assert not is_internal("127.0.0.2", "127.0.0.1")


def test_every_check_is_documented():
    from checks.registry import all_checks

    codes = {c.code: c for c in all_checks() if c.family == "ipv6"}
    assert set(codes) == {"ipv6.no-aaaa", "ipv6.unreachable", "ipv6.inconsistent", "ipv6.link-rate",
                          "ipv6.dns-no-v6", "ipv6.dns-error"}
    for chk in codes.values():
        assert "Evidence:" in chk.doc and "Not flagged" in chk.doc, chk.code


# -- https over IPv6: SNI and certificate verification -----------------------------------------

def _make_ca_and_leaf(tmp: Path, name: str) -> tuple[Path, Path, Path]:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.timezone.utc)
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "portal-audit test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
          .not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_name).public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (tmp / "ca.pem").write_bytes(ca.public_bytes(pem))
    (tmp / "leaf.pem").write_bytes(leaf.public_bytes(pem))
    (tmp / "leaf.key").write_bytes(leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    return tmp / "ca.pem", tmp / "leaf.pem", tmp / "leaf.key"


def test_https_over_ipv6_sends_sni_and_verifies(tmp_path, monkeypatch):
    import ssl

    from portal_audit.config import DnsConfig
    from crawler.addresses import AddressPolicy
    from crawler.ipv6.dns_client import Dns
    from crawler.ipv6.prober import Prober

    ca, cert, key = _make_ca_and_leaf(tmp_path, "www.tls.test")
    srv = VHostServer(lambda port: {"www.tls.test": {"/": Page("加密站点")}, "other.tls.test": {"/": Page("其他")}})
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    seen_sni: list[str] = []
    context.sni_callback = lambda sock, name, ctx: seen_sni.append(name)
    v6 = srv.listeners[1]
    v6.socket = context.wrap_socket(v6.socket, server_side=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))  # ssl.create_default_context() trusts the test CA
    try:
        prober = Prober(Dns(DnsConfig(nameservers=("127.0.0.1",), port=free_port(), timeout=0.2, retries=0)),
                        policy=AddressPolicy(["::1/128"]), allow_nonglobal=True, timeout=2, retries=0, backoff=0.1, max_retry_after=1,
                        user_agent="portal-audit 测试", max_size=1 << 20,
                        max_redirects=3, max_body=1 << 20, per_host=2)
        good = prober.fetch(f"https://www.tls.test:{srv.port}/", "GET", ["::1"])
        assert (good.outcome, good.status, good.title, good.address) == ("ok", 200, "加密站点", "::1")
        assert seen_sni == ["www.tls.test"]
        bad = prober.fetch(f"https://other.tls.test:{srv.port}/", "GET", ["::1"])  # the certificate is not for it
        assert bad.outcome == "tls" and bad.status is None
        assert bad.error.startswith("TLS/证书错误：证书与访问的域名不匹配（Hostname mismatch")   # in words, OpenSSL beside
        assert seen_sni[-1] == "other.tls.test"
    finally:
        srv.stop()


def test_a_certificate_that_fails_over_ipv4_too_is_not_an_ipv6_fault(tmp_path, monkeypatch, dns_server):
    """The probe verifies certificates, the crawl does not: a page whose certificate fails over
    IPv6 is fetched over IPv4 under the probe's policy. Failing there too (here: a certificate
    for another name), it is a page that does not work over IPv4, whatever the crawl said, so
    the IPv6 checks leave it out; a page whose certificate is good is not fetched again."""
    import ssl

    from core.ipv6 import DNS_OK, V4_PROBED
    from crawler.addresses import AddressPolicy
    from crawler.ipv6.dns_client import Dns, DnsAnswer
    from crawler.ipv6.prober import Prober
    from crawler.ipv6.stage import Plan, Target, _Site, _site_summary
    from portal_audit.config import DnsConfig, Ipv6Config

    ca, cert, key = _make_ca_and_leaf(tmp_path, "www.tls.test")
    srv = VHostServer(lambda port: {"www.tls.test": {"/a.html": Page("加密站点")}, "other.tls.test": {"/": Page("其他")}})
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    for listener in srv.listeners:     # both families: the same certificate, good for www.tls.test only
        listener.socket = context.wrap_socket(listener.socket, server_side=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    try:
        prober = Prober(Dns(DnsConfig(nameservers=("127.0.0.1",), port=dns_server.port, timeout=0.5, retries=1)),
                        policy=AddressPolicy(["::1/128", "127.0.0.1/32"]), allow_nonglobal=True, timeout=2, retries=0,
                        backoff=0.1, max_retry_after=1, user_agent="portal-audit 测试", max_size=1 << 20,
                        max_redirects=3, max_body=1 << 20, per_host=2)
        good, bad = f"https://www.tls.test:{srv.port}/a.html", f"https://other.tls.test:{srv.port}/"
        crawled = lambda url, title: {"method": "GET", "outcome": "ok", "status": 200, "final_url": url,  # noqa: E731
                                      "title": title}     # what the crawl, which verifies nothing, stored
        targets = [Target("加密站", 1, good, "www.tls.test", None, crawled(good, "加密站点")),
                   Target("加密站", 2, bad, "other.tls.test", good, crawled(bad, "其他"))]
        answers = {(h, "AAAA"): DnsAnswer(h, "AAAA", DNS_OK, ["::1"]) for h in ("www.tls.test", "other.tls.test")}
        site = _Site(1, prober, Plan(None, good, [], {"2": 1, "3": 0}), targets, answers, True)
        while site.queue:               # the stage's pool, one fetch at a time
            t, row, fetch = site.take()
            site.record(t, row, fetch())
    finally:
        srv.stop()
    assert [(r["url"], r["outcome"]) for r in site.rows] == [(good, "ok"), (bad, "tls")]
    assert "证书与访问的域名不匹配" in site.rows[1]["error"]
    assert (targets[1].v4["outcome"], targets[1].v4["source"]) == ("tls", V4_PROBED)
    assert "证书与访问的域名不匹配" in targets[1].v4["error"]
    assert "source" not in targets[0].v4                       # not fetched again
    assert [r["purpose"] for r in site.sent] == ["ipv6", "ipv6", "ipv4"]
    # the site's summary rates what works over IPv4, as the checks do: nothing to rate at level 2
    plan = Plan(type("S", (), {"host": "www.tls.test"})(), good, [], {"2": 1, "3": 0})
    summary = _site_summary(plan, targets, answers, None, site.rows, Ipv6Config(), {"ok": True, "reason": ""}, True, 1.0)
    assert summary["levels"]["2"]["summary"]["total"] == 0
