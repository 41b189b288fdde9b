"""The run never dies on one bad site: black-hole and unresolvable sites, Ctrl-C, exit codes,
re-rendering a stored run."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from tests.conftest import interrupt_cli, interrupted_store, read_findings, run_cli, write_config
from tests.hostile import HostileServer, page


@pytest.fixture
def black_hole():
    """A TCP server that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    held, stop = [], threading.Event()

    def accept():
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    sock.close()


def test_dead_sites_give_site_unreachable_and_the_run_completes(tmp_path, sample_server, black_hole):
    cfg = write_config(tmp_path / "c.yaml", [
        ("超时站", black_hole),
        ("无解析站", "http://www.no-such-portal.invalid/"),
        ("临沂市政府", sample_server.base_url),
    ], store=tmp_path / "a.db", crawl={"timeout": 2})
    result = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out"), "--no-progress",
                     "--only", "site.unreachable,link.hidden")
    assert result.returncode == 0, result.stderr
    findings = read_findings(tmp_path / "out")
    unreachable = {f["site"]: f["evidence"]["outcome"] for f in findings if f["check"] == "site.unreachable"}
    assert unreachable == {"超时站": "timeout", "无解析站": "dns"}
    assert any(f["check"] == "link.hidden" and f["site"] == "临沂市政府" for f in findings)
    assert "首页无法访问" in result.stderr


def test_fail_on_and_rerender(tmp_path, dead_port):
    cfg = write_config(tmp_path / "c.yaml", [("死站", f"http://127.0.0.1:{dead_port}/")], store=tmp_path / "a.db")
    failing = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out"), "--no-progress", "--fail-on", "error")
    assert failing.returncode == 1, failing.stderr
    quiet = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out2"), "--no-progress",
                    "--only", "link.redirect-chain", "--fail-on", "warning")
    assert quiet.returncode == 0, quiet.stderr
    again = run_cli("report", "1", "--store", str(tmp_path / "a.db"), "-o", str(tmp_path / "re"))
    assert again.returncode == 0, again.stderr
    assert read_findings(tmp_path / "re") == read_findings(tmp_path / "out")
    listing = run_cli("runs", "--store", str(tmp_path / "a.db"))
    assert listing.returncode == 0 and "completed" in listing.stdout


def test_ctrl_c_leaves_a_consistent_store_and_an_incomplete_report(tmp_path, sample_server):
    sample_server.reset()
    cfg = write_config(tmp_path / "c.yaml", [("临沂市政府", sample_server.base_url)], store=tmp_path / "a.db",
                       crawl={"concurrency": 2})

    def crawling():
        """Until the portal has answered some pages (a fixed wait is too short on a loaded machine)."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(sample_server.requests) < 20:
            time.sleep(0.1)

    interrupt_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out"), "--no-progress", wait=crawling)
    db = interrupted_store(tmp_path / "a.db")
    assert db.execute("SELECT COUNT(*) FROM fetches").fetchone()[0] > 0
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "未完成" in html


def test_a_response_cut_short_is_a_broken_link_told_in_words(tmp_path):
    """A server that declares more bytes than it sends: the link is broken (连接中断) and the
    reason is said in Chinese, not in Twisted's words."""
    portal = HostileServer({"/": page("<a href='/short.html'>关于开展检查的通知</a>"),
                            "/short.html": (200, {"Content-Type": "text/html", "Content-Length": "5000"}, b"<html>cut")})
    try:
        cfg = write_config(tmp_path / "c.yaml", [("甲站", portal.url("/"))], store=tmp_path / "a.db",
                           extra="ipv6: {enabled: false}")
        result = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out"), "--no-progress", "--only", "link")
        assert result.returncode in (0, 1), result.stderr
        cut = [f for f in read_findings(tmp_path / "out") if f["url"] == portal.url("/short.html")]
        assert [f["check"] for f in cut] == ["link.broken"], cut
        assert cut[0]["evidence"]["outcome"] == "reset"
        assert cut[0]["evidence"]["error"] == "连接中断：服务器发送的内容短于其声明的长度（响应不完整）"
    finally:
        portal.stop()


def test_a_tls_failure_is_told_in_words_with_openssl_beside(tmp_path, sample_server):
    """An https URL on a port that speaks plain HTTP: the home page is unreachable, and why is
    said in Chinese, OpenSSL's reason in brackets, not Twisted's failure repr."""
    url = sample_server.base_url.replace("http://", "https://", 1)
    cfg = write_config(tmp_path / "c.yaml", [("加密站", url)], store=tmp_path / "a.db", crawl={"retries": 0},
                       extra="ipv6: {enabled: false}")
    result = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out"), "--no-progress", "--only", "site.unreachable")
    assert result.returncode in (0, 1), result.stderr
    (finding,) = [f for f in read_findings(tmp_path / "out") if f["check"] == "site.unreachable"]
    assert finding["evidence"]["outcome"] == "tls"
    assert finding["evidence"]["error"] == "TLS/证书错误：服务器未以 TLS 应答，该端口可能只提供 HTTP（wrong version number）"
    assert "Failure" not in finding["message"] and "SSL routines" not in finding["message"]
