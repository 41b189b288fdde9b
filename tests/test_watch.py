"""The availability watch end to end on loopback: real HTTP servers, the real CLI, real SQLite.

Short intervals and time limits come from the config (the national 30 min / 15 s / 7 days
become 0.05 s / 1 s / a few seconds), nothing else is different.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from portal_audit.lock import StoreLock
from portal_audit.sample import closed_port
from portal_audit.watch import LOCK_SUFFIX
from tests.conftest import AUDIT_DATE, read_findings, run_cli
from tests.hostile import HostileServer, page

ROUNDS = 20
HOME = ("<html><head><title>{name}</title></head><body><h1>{name}</h1><ul class='list'>"
        f"<li><a href='/art/1.html'>关于做好年度工作的通知</a><span>{AUDIT_DATE}</span></li></ul></body></html>")


class _Site(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, name: str, delay: float = 0.0, slow_on=(), slow_delay: float = 0.0, error_on=()):
        self.name, self.delay, self.slow_on, self.slow_delay, self.error_on = name, delay, set(slow_on), slow_delay, set(error_on)
        self.count = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        srv = self.server
        if self.path == "/":
            with srv.lock:
                srv.count += 1
                n = srv.count
            time.sleep(srv.slow_delay if n in srv.slow_on else srv.delay)
            if n in srv.error_on:
                self.send_error(500)
                return
            body = HOME.format(name=srv.name).encode("utf-8")
        else:
            body = f"<html><head><title>{srv.name}文章</title></head><body><p>正文</p></body></html>".encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    """Three sites watched for 20 rounds, then audited: a slow one that loads within the time
    limit (look-alike), one that failed 1 probe in 20 by timing out (5% → veto), and one
    whose single 500 was recovered by the retry (look-alike)."""
    root = tmp_path_factory.mktemp("watch")
    sites = [_Site("慢站", delay=0.3), _Site("超时站", slow_on={12}, slow_delay=1.4),
             _Site("偶发站", error_on={7})]
    for s in sites:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    store = root / "audit.db"
    cfg = root / "config.yaml"
    cfg.write_text("\n".join([
        f"audit_date: {AUDIT_DATE}",
        f"store: {{path: '{store}'}}",
        "crawl: {timeout: 4, retries: 1, retry_backoff: 0.1}",
        "watch: {interval: 0.05, timeout: 1, retries: 1}",
        "ipv6: {enabled: false}",
        "checks:",
        "  options:",
        # the 1-week window shrunk to the test's seconds: 20 probes in 2 s watched
        "    site.unavailable: {window: 1h, min_watched: 2s, min_probes_per_day: 864000}",
        "sites:",
        f"  - {{name: 慢站, url: '{sites[0].url}', code: '3713000001', unit: 临沂市人民政府办公室}}",
        f"  - {{name: 超时站, url: '{sites[1].url}', code: '3713000002', unit: 临沂市大数据局}}",
        f"  - {{name: 偶发站, url: '{sites[2].url}'}}",
    ]) + "\n", encoding="utf-8")
    started = time.monotonic()
    done = run_cli("watch", "-c", str(cfg), "--rounds", str(ROUNDS), timeout=120)
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    time.sleep(max(0.0, 2.2 - elapsed))
    out = root / "out"
    ran = run_cli("run", "-c", str(cfg), "-o", str(out), "--no-progress", timeout=240)
    assert ran.returncode == 0, ran.stderr
    yield {"root": root, "cfg": cfg, "store": store, "out": out, "watch": done, "run": ran}
    for s in sites:
        s.shutdown()


def test_probes_stored(watched):
    db = sqlite3.connect(watched["store"])
    rounds = db.execute("SELECT status, sites, requests FROM watch_rounds").fetchall()
    assert len(rounds) == ROUNDS and {r[0] for r in rounds} == {"ok"} and all(r[1] == 3 for r in rounds)
    per_site = dict(db.execute("SELECT site, COUNT(*) FROM watch_probes WHERE family = 4 GROUP BY site"))
    assert per_site == {"慢站": ROUNDS, "超时站": ROUNDS, "偶发站": ROUNDS}
    failed = db.execute("SELECT site, error FROM watch_probes WHERE result = 'failed'").fetchall()
    assert [f[0] for f in failed] == ["超时站"] and "秒" in failed[0][1]
    # the retried 500 is one probe with two attempts, and it counts as loaded
    assert db.execute("SELECT MAX(attempts) FROM watch_probes WHERE site = '偶发站'").fetchone()[0] == 2
    assert "按每天" in watched["watch"].stderr and "请求" in watched["watch"].stderr


def test_unavailable_finding_and_lookalikes(watched):
    found = [f for f in read_findings(watched["out"]) if f["check"] == "site.unavailable"]
    assert [f["site"] for f in found] == ["超时站"]
    ev = found[0]["evidence"]
    assert ev["probes"] == ROUNDS and ev["failed"] == 1 and ev["failure_percent"] == 5.0 and ev["decided"]
    assert len(ev["failed_probes"]) == 1 and ev["failed_probes"][0]["time"]
    assert found[0]["site_code"] == "3713000002" and found[0]["site_unit"] == "临沂市大数据局"
    assert found[0]["site_verdict"]["verdict"] == "不合格" and "availability" in found[0]["site_verdict"]["veto"]


def test_verdicts_and_report(watched):
    sites = {json.loads(line)["site"]: json.loads(line)
             for line in (watched["out"] / "sites.jsonl").read_text(encoding="utf-8").splitlines()}
    # these small sites link to no 咨询建言 channel: 互动回应差 (interaction.unanswered) as well
    assert sites["超时站"]["verdict"] == "不合格" and sites["超时站"]["veto"] == ["availability", "interaction"]
    for name in ("慢站", "偶发站"):
        assert sites[name]["veto"] == ["interaction"] and sites[name]["verdict"] == "不合格"
        assert sites[name]["availability"]["decided"] and sites[name]["availability"]["uptime_percent"] == 100.0
    html = (watched["out"] / "report.html").read_text(encoding="utf-8")
    first = html.index("检查结论")
    assert first < html.index("总体情况") and "3713000002" in html[:html.index("总体情况")]
    assert "可用性监测" in html and "<svg" in html and "95.00%" in html
    assert "http" not in html[html.index("<svg"):html.index("</svg>")].replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "检查结论：不合格" in watched["run"].stderr and "［3713000002］" in watched["run"].stderr


def test_watch_never_overlaps(watched):
    with StoreLock(watched["store"], "test", suffix=LOCK_SUFFIX):
        done = run_cli("watch", "-c", str(watched["cfg"]), "--once", timeout=60)
    assert done.returncode == 75 and "另一个 watch 正在运行" in done.stderr
    # an audit run's lock never stops the watch
    with StoreLock(watched["store"], "run"):
        done = run_cli("watch", "-c", str(watched["cfg"]), "--once", timeout=60)
    assert done.returncode == 0, done.stderr


def test_lost_network_round_is_inconclusive(tmp_path):
    """Every site failing at once without an answer, or the resolver unreachable: the round is
    the watcher's failure, stored as inconclusive, and never counted against the sites."""
    store = tmp_path / "a.db"
    dead = [f"http://127.0.0.1:{closed_port()}/", f"http://127.0.0.1:{closed_port()}/"]
    cfg = tmp_path / "c.yaml"
    cfg.write_text("\n".join([
        f"store: {{path: '{store}'}}", "watch: {timeout: 1, retries: 0}", "ipv6: {enabled: false}",
        "sites:", f"  - {{name: 甲, url: '{dead[0]}'}}", f"  - {{name: 乙, url: '{dead[1]}'}}"]) + "\n", encoding="utf-8")
    done = run_cli("watch", "-c", str(cfg), "--once", timeout=60)
    assert done.returncode == 0 and "本轮无法判断" in done.stderr, done.stderr
    cfg2 = tmp_path / "c2.yaml"
    cfg2.write_text("\n".join([
        f"store: {{path: '{store}'}}", "watch: {timeout: 1, retries: 0}", "ipv6: {enabled: false}",
        f"dns: {{nameservers: [127.0.0.1], port: {closed_port()}, timeout: 0.3, retries: 0}}",
        "sites:", "  - {name: 丙, url: 'http://www.portal-audit-test.example/'}"]) + "\n", encoding="utf-8")
    done = run_cli("watch", "-c", str(cfg2), "--once", timeout=60)
    assert done.returncode == 0 and "域名服务器无法访问" in done.stderr, done.stderr
    db = sqlite3.connect(store)
    assert [r[0] for r in db.execute("SELECT status FROM watch_rounds ORDER BY id")] == ["inconclusive"] * 2
    from checks.availability import availability
    from store import Store

    st = Store(store)
    av = availability(st, "甲", datetime.now(timezone.utc) + timedelta(minutes=1), {"window": "7d", "min_watched": "1s"})
    assert av.probes == 0 and av.inconclusive == 1 and av.failed == 0
    st.close()


def test_config_validates_site_code(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("sites:\n  - {name: 甲, url: 'http://127.0.0.1:1/', code: '37130001'}\n", encoding="utf-8")
    done = run_cli("watch", "-c", str(cfg), "--once", timeout=60)
    assert done.returncode == 2 and "sites[0].code" in done.stderr and "10位数字" in done.stderr


def _dual_stack(routes) -> tuple[HostileServer, HostileServer]:
    """The same routes on 127.0.0.1:PORT and [::1]:PORT."""
    for _ in range(20):
        v4 = HostileServer(routes)
        try:
            return v4, HostileServer(routes, host="::1", port=v4.port)
        except OSError:
            v4.stop()
    raise RuntimeError("no port free on both 127.0.0.1 and ::1")


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6 on this machine")
def test_ipv6_probes_reference_urls_and_the_address_policy(tmp_path):
    """Over IPv6 where the host has a usable AAAA (``*.localhost`` is 127.0.0.1 and ::1 without
    DNS): a site answering on ::1 is probed there, one not listening on ::1 fails its IPv6
    probe only; a reference URL that answers keeps the round conclusive, one that fails makes it
    inconclusive; a home page redirecting to another intranet address is not followed."""
    v4, v6 = _dual_stack({"/": page("<title>甲</title>")})
    v4_only = HostileServer({"/": page("<title>乙</title>")})
    secret = HostileServer({"/secret": page("内部数据")}, host="127.0.0.5")
    hop = HostileServer({"/": (302, {"Location": f"http://127.0.0.5:{secret.port}/secret"}, b"")})
    ref = HostileServer({"/ref": page("参照")})
    servers = [v4, v6, v4_only, secret, hop, ref]
    store = tmp_path / "a.db"

    def config(reference: str):
        cfg = tmp_path / "c.yaml"
        cfg.write_text("\n".join([
            f"store: {{path: '{store}'}}",
            f"watch: {{timeout: 2, retries: 0, ipv6: true, reference_urls: ['{reference}']}}",
            "ipv6: {allow_nonglobal: true}",
            "sites:",
            f"  - {{name: 甲, url: 'http://jia.localhost:{v4.port}/'}}",
            f"  - {{name: 乙, url: 'http://yi.localhost:{v4_only.port}/'}}",
            f"  - {{name: 丙, url: '{hop.url('/')}'}}"]) + "\n", encoding="utf-8")
        return cfg

    try:
        done = run_cli("watch", "-c", str(config(ref.url("/ref"))), "--once", timeout=60)
        assert done.returncode == 0, done.stderr
        db = sqlite3.connect(store)
        probes = {(site, family): (result, address, error) for site, family, result, address, error in db.execute(
            "SELECT site, family, result, address, error FROM watch_probes")}
        assert probes[("甲", 4)][:2] == ("ok", "127.0.0.1") and probes[("甲", 6)][:2] == ("ok", "::1")
        assert v6.hits["/"] == 1
        assert probes[("乙", 4)][0] == "ok" and probes[("乙", 6)][0] == "failed"
        # the redirect to 127.0.0.5 is not followed: inconclusive, never a failure of the site
        assert probes[("丙", 4)][0] == "inconclusive" and "内网地址" in probes[("丙", 4)][2]
        assert ("丙", 6) not in probes and secret.hits["/secret"] == 0
        assert ref.hits["/ref"] == 1
        assert "IPv6 正常 1/2" in done.stderr
        assert db.execute("SELECT status FROM watch_rounds").fetchall() == [("ok",)]

        dead = run_cli("watch", "-c", str(config(f"http://127.0.0.1:{closed_port()}/")), "--once", timeout=60)
        assert dead.returncode == 0 and "参照网址全部无法访问" in dead.stderr, dead.stderr
        assert [r[0] for r in db.execute("SELECT status FROM watch_rounds ORDER BY id")] == ["ok", "inconclusive"]
        db.close()
    finally:
        for srv in servers:
            srv.stop()
