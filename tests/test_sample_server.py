"""Tests of the sample portal generator and its loopback HTTP server."""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import pytest

from portal_audit.sample import ExpectedFinding, build_portal, closed_port, serve
from portal_audit.sample import full as F

CODES = {
    "link.broken",
    "attachment.broken",
    "link.redirect-loop",
    "link.redirect-chain",
    "link.soft404",
    "link.wrong",
    "link.hidden",
    "link.inconclusive",
}


def fetch(url: str, method: str = "GET", headers: dict | None = None, timeout: float = 5.0):
    """One request, no redirects, no proxies: (status, headers, body)."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def links(html: str) -> list[str]:
    return re.findall(r'<a\s[^>]*?href="([^"]*)"', html)


@pytest.fixture(scope="module")
def srv():
    server = serve(build_portal("full"))
    yield server
    server.stop()


def url_of(srv, name: str) -> str:
    return srv.lookalikes[name]


def expected_of(srv, check: str) -> list[ExpectedFinding]:
    return [e for e in srv.expected if e.check == check]


# ---------------------------------------------------------------------------
# basics


def test_home_and_column_entry(srv):
    assert srv.base_url == f"http://127.0.0.1:{srv.port}/"
    assert srv.url("/xxgk/", host="127.0.0.2") == f"http://127.0.0.2:{srv.port}/xxgk/"
    status, headers, body = fetch(srv.base_url)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert int(headers["Content-Length"]) == len(body)
    html = body.decode("utf-8")
    assert '<a href="/xxgk/">政府信息公开</a>' in html
    assert "网站标识码" in html and "ICP备" in html
    # HEAD: headers only
    status, headers, body = fetch(srv.base_url, "HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 1000


def test_full_portal_size(srv):
    assert 60 <= srv.portal.pages <= 300


def test_unknown_paths_per_host(srv):
    assert fetch(srv.url("/no/such/page.html"))[0] == 404
    s1, _, b1 = fetch(srv.url("/some/gone.html", host="127.0.0.2"))
    s2, _, b2 = fetch(srv.url("/x7q/random-9f3k.html", host="127.0.0.2"))
    assert s1 == s2 == 200 and b1 == b2
    text = b1.decode("utf-8")
    assert "提示信息" in text
    for phrase in ("页面不存在", "信息已删除", "页面已删除", "404"):
        assert phrase not in text
    assert fetch(srv.url("/", host="127.0.0.2"))[0] == 200
    assert fetch(srv.url("/casino/", host="127.0.0.3"))[0] == 200


def test_error_statuses(srv):
    assert fetch(srv.url(F.P_BROKEN_INTERNAL))[0] == 404
    for _ in range(3):
        assert fetch(srv.url(F.P_ERROR_500))[0] == 500
    xls = next(e.url for e in expected_of(srv, "attachment.broken") if e.url.endswith(".xls"))
    assert fetch(xls)[0] == 410
    pdf = next(e.url for e in expected_of(srv, "attachment.broken") if e.url.endswith(".pdf"))
    assert fetch(pdf)[0] == 404
    docx = next(e.url for e in expected_of(srv, "attachment.broken") if e.url.endswith(".docx"))
    assert fetch(docx, "HEAD")[0] == 405
    assert fetch(docx)[0] == 404
    assert fetch(srv.url(F.P_FOOTER_BROKEN))[0] == 404


def test_bot_walls(srv):
    status, _, body = fetch(srv.url(F.WAF_HREF))
    assert status == 412
    text = body.decode("utf-8")
    assert "安全拦截" in text and "安全狗" in text
    assert fetch(srv.url(F.P_999))[0] == 999


def test_429_then_200(srv):
    srv.reset()
    u = url_of(srv, "429-then-200")
    status, headers, _ = fetch(u)
    assert status == 429 and headers["Retry-After"] == "1"
    assert fetch(u)[0] == 200
    srv.reset()
    assert fetch(u)[0] == 429
    assert fetch(u)[0] == 200


def test_head_405_get_200_and_range(srv):
    u = url_of(srv, "head405-get200")
    assert fetch(u, "HEAD")[0] == 405
    status, headers, body = fetch(u)
    assert status == 200 and headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF-")
    status, headers, part = fetch(u, headers={"Range": "bytes=0-9"})
    assert status == 206
    assert headers["Content-Range"] == f"bytes 0-9/{len(body)}"
    assert part == body[:10]


def test_redirect_loop(srv):
    status, headers, _ = fetch(srv.url(F.P_LOOP_A))
    assert status == 302 and headers["Location"] == srv.url(F.P_LOOP_B)
    status, headers, _ = fetch(srv.url(F.P_LOOP_B))
    assert status == 302 and headers["Location"] == srv.url(F.P_LOOP_A)


def test_redirect_chain(srv):
    u, codes = srv.url(F.P_CHAIN[0]), []
    for _ in range(10):
        status, headers, _ = fetch(u)
        if status not in (301, 302, 303, 307, 308):
            break
        codes.append(status)
        u = urljoin(u, headers["Location"])
    assert codes == [301, 302, 307, 308]
    assert status == 200 and u == srv.url(F.P_CHAIN_TARGET)


def test_single_redirects_are_fine(srv):
    status, headers, _ = fetch(url_of(srv, "single-301"))
    assert status == 301 and fetch(headers["Location"])[0] == 200
    status, headers, _ = fetch(url_of(srv, "redirect-other-host"))
    assert status == 302 and headers["Location"].startswith(f"http://127.0.0.2:{srv.port}/")
    assert fetch(headers["Location"])[0] == 200


def test_slow_paths(srv):
    with pytest.raises((TimeoutError, socket.timeout)):
        fetch(srv.url(F.P_TIMEOUT), timeout=0.5)
    with pytest.raises((TimeoutError, socket.timeout)):
        fetch(url_of(srv, "slow-3s"), timeout=0.5)
    t0 = time.monotonic()
    assert fetch(srv.base_url)[0] == 200  # slow requests do not block others
    assert time.monotonic() - t0 < 1.0


def test_gbk_pages(srv):
    status, headers, body = fetch(url_of(srv, "gbk-meta-gb2312"))
    assert status == 200 and headers["Content-Type"] == "text/html"
    assert b"charset=gb2312" in body
    assert "临沂市文明行为促进条例" in body.decode("gb2312")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")

    status, headers, body = fetch(url_of(srv, "gbk-no-charset"))
    assert headers["Content-Type"] == "text/html" and b"charset" not in body.lower()
    assert "临沂市沂河保护条例" in body.decode("gbk")

    status, headers, body = fetch(url_of(srv, "gbk-meta-utf8-lie"))
    assert headers["Content-Type"] == "text/html" and b"charset=utf-8" in body
    assert "临沂市农村生活垃圾管理办法" in body.decode("gbk")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")

    status, headers, body = fetch(url_of(srv, "gbk-list-meta-gb2312"))
    assert "法规文件" in body.decode("gbk") and "createPageHTML(1, 0" in body.decode("gbk")


def test_robots_txt(srv):
    status, headers, body = fetch(srv.url("/robots.txt"))
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert "Disallow: /private/" in body.decode()
    home = fetch(srv.base_url)[2].decode()
    assert F.P_PRIVATE in links(home)
    assert fetch(url_of(srv, "robots-private"))[0] == 200
    assert fetch(url_of(srv, "robots-private-missing"))[0] == 404


# ---------------------------------------------------------------------------
# expected findings


def test_expected_findings_are_absolute(srv):
    assert {e.check for e in srv.expected} >= CODES   # content families add their own codes
    assert len(expected_of(srv, "link.broken")) == 7
    assert len(expected_of(srv, "attachment.broken")) == 3
    assert len(expected_of(srv, "link.hidden")) == 4
    assert len(expected_of(srv, "link.wrong")) == 2
    assert len(expected_of(srv, "link.soft404")) == 2
    assert len(expected_of(srv, "link.inconclusive")) == 2
    assert len(set(srv.expected)) == len(srv.expected)
    for e in srv.expected:
        assert "@@" not in e.url and (e.page is None or "@@" not in e.page)
        if e.url == F.INVALID_URL:
            continue
        parts = urlsplit(e.url)
        assert parts.scheme == "http" and parts.hostname, e
        if parts.hostname == "dead-host.invalid":
            continue
        assert ipaddress.ip_address(parts.hostname).is_loopback, e
        assert parts.port in (srv.port, srv.closed_port), e
        assert e.page is not None and e.page.startswith(srv.base_url), e
    closed = [e for e in srv.expected if e.url == f"http://127.0.0.1:{srv.closed_port}/"]
    assert len(closed) == 1
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", srv.closed_port), timeout=2).close()


def test_expected_links_present_on_their_pages(srv):
    for e in srv.expected:
        if e.check not in CODES or e.url.startswith(srv.url(F.P_FOOTER_BROKEN)):
            continue
        status, _, body = fetch(e.page)
        assert status == 200, e
        html = body.decode("utf-8")
        hrefs = {urljoin(e.page, h) if "://" not in h else h for h in links(html)}
        assert e.url in hrefs, e


def test_footer_broken_link_on_every_article(srv):
    arts = [p for p in srv.portal.main.resources if re.search(r"/t\d{8}_\d+\.html$|/art_1234_\d+\.html$", p)]
    assert len(arts) > 50
    for p in arts[::7]:
        body = fetch(srv.url(quote(p)))[2]
        assert F.P_FOOTER_BROKEN.encode() in body, p


def test_soft404(srv):
    status, _, body = fetch(srv.url(F.P_SOFT404))
    assert status == 200 and "您访问的页面不存在" in body.decode()


def test_link_wrong_targets_differ(srv):
    for e in expected_of(srv, "link.wrong"):
        page = fetch(e.page)[2].decode()
        anchors = [t for h, t in re.findall(r'<a\s[^>]*?href="([^"]*)"[^>]*>([^<]*)</a>', page) if urljoin(e.page, h) == e.url]
        assert len(anchors) == 1, e
        anchor = anchors[0]
        title = re.search(r"<title>(.*?)</title>", fetch(e.url)[2].decode()).group(1)
        assert len(re.findall(r"[\u4e00-\u9fff]", anchor)) >= 8
        assert anchor not in title


def test_hidden_links_markup(srv):
    hidden = {urlsplit(e.url).path: e for e in expected_of(srv, "link.hidden")}
    assert set(hidden) == {"/casino/", "/lottery/", "/game/", "/loan/"}
    home = fetch(srv.base_url)[2].decode()
    assert f'<div style="display:none"><a href="http://127.0.0.3:{srv.port}/casino/"' in home
    xxgk = fetch(hidden["/lottery/"].page)[2].decode()
    assert ".gg-x{position:absolute;left:-9999px;top:-9999px}" in xxgk and '<div class="gg-x">' in xxgk
    assert "font-size:0" in fetch(hidden["/game/"].page)[2].decode()
    assert "visibility: hidden" in fetch(hidden["/loan/"].page)[2].decode()
    for e in hidden.values():
        assert fetch(e.url)[0] == 200


# ---------------------------------------------------------------------------
# look-alikes and page families


def test_trs_list_pagination(srv):
    html = fetch(srv.url("/xxgk/zcwj/"))[2].decode()
    assert 'createPageHTML(3, 0, "index", "html");' in html
    assert "index_1.html" not in html.replace("createPageHTML", "")  # only the JS call announces them
    for i in (1, 2):
        page = fetch(srv.url(f"/xxgk/zcwj/index_{i}.html"))[2].decode()
        assert f'createPageHTML(3, {i}, "index", "html");' in page
    assert fetch(srv.url("/xxgk/zcwj/index_3.html"))[0] == 404
    assert re.search(r'<li><a href="\./\d{6}/t\d{8}_\d{6}\.html" title="[^"]+" target="_blank">', html)


def test_trs_article_metadata(srv):
    art = srv.portal.sites["main"].resources
    path = urlsplit(url_of(srv, "title-with-site-suffix")).path
    html = fetch(srv.url(path))[2].decode()
    assert '<table class="xxgk_table"' in html and "索 引 号：" in html and "文　　号：" in html
    assert '<div id="zoom"><div class="TRS_Editor">' in html
    assert "<title>临沂市人民政府关于印发临沂市数字政府建设实施方案的通知_临沂市人民政府</title>" in html
    assert path in art


def test_hanweb_column(srv):
    p1 = fetch(srv.url("/col/col1234/index.html"))[2].decode()
    assert '<a href="index.html?page=2">下一页</a>' in p1
    p2 = fetch(url_of(srv, "hanweb-list-page2"))[2].decode()
    p3 = fetch(srv.url("/col/col1234/index.html?page=3"))[2].decode()
    a1, a2, a3 = (set(re.findall(r"/art/\d{4}/\d+/\d+/art_1234_\d+\.html", p)) for p in (p1, p2, p3))
    assert len(a1) == len(a2) == len(a3) == 6 and not (a1 & a2) and not (a2 & a3)
    art = fetch(srv.url(sorted(a1)[0]))[2].decode()
    assert '<ul class="xxgk-info"><li><b>索引号：</b>' in art and "<b>发文机关：</b>" in art
    assert '<div class="article-content"' in art


def test_chinese_fullwidth_path(srv):
    u = url_of(srv, "cn-fullwidth-path")
    assert "%E3%80%80" in u
    status, _, body = fetch(u)
    assert status == 200 and "关于做好2024年汛期安全防范工作的通知" in body.decode()
    tzgg = fetch(srv.url("/xxgk/tzgg/"))[2].decode()
    assert F.CN_PATH_NAME in tzgg


def test_session_id_links(srv):
    home = fetch(srv.base_url)[2].decode()
    for name, href in (("jsessionid", F.JSESSION_HREF), ("sid-query", F.SID_HREF)):
        assert href in home
        assert fetch(url_of(srv, name))[0] == 200


def test_calendar_trap(srv):
    html = fetch(url_of(srv, "calendar-trap"))[2].decode()
    assert "/cal/?month=2024-02" in html and "/cal/?month=2023-12" in html
    html = fetch(srv.url("/cal/?month=2031-12"))[2].decode()
    assert "/cal/?month=2032-01" in html


def test_odd_pages(srv):
    status, headers, body = fetch(url_of(srv, "binary-as-html"))
    assert status == 200 and headers["Content-Type"] == "text/html" and body.startswith(b"\x89PNG")
    status, headers, body = fetch(url_of(srv, "big-3mb"))
    assert status == 200 and len(body) > 3 * 1024 * 1024 and int(headers["Content-Length"]) == len(body)
    status, _, body = fetch(url_of(srv, "malformed-html"))
    assert status == 200 and b"</div></div></span>" in body and not body.rstrip().endswith(b"</html>")


def test_other_links_on_home(srv):
    home = fetch(srv.base_url)[2].decode()
    hrefs = links(home)
    for prefix in ("mailto:", "tel:", "javascript:void(0)", "#top"):
        assert any(h.startswith(prefix) for h in hrefs), prefix
    assert f"http://127.0.0.2:{srv.port}/" in hrefs
    assert '<div style="display:none" id="old-nav"><a href="/xxgk/gkzn/index.html">' in home


# ---------------------------------------------------------------------------
# server mechanics


def test_virtual_hosts(srv):
    srv.add_host("www.sample.gov.cn", "main")
    status, _, body = fetch(srv.url("/", host="127.0.0.2"), headers={"Host": f"www.sample.gov.cn:{srv.port}"})
    assert status == 200 and "政府信息公开" in body.decode()
    # redirects keep the requested host name
    assert fetch(srv.url(F.P_LOOP_A), headers={"Host": f"www.sample.gov.cn:{srv.port}"})[1]["Location"] == (
        f"http://www.sample.gov.cn:{srv.port}{F.P_LOOP_B}"
    )


def _ipv6_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_available(), reason="no ::1")
def test_ipv6_listener_and_fail_hosts():
    server = serve(
        build_portal("full"),
        ipv6=True,
        ipv6_fail_hosts=("www.sample.gov.cn",),
        aliases={"www.sample.gov.cn": "main"},
    )
    try:
        status, _, body = fetch(f"http://[::1]:{server.port}/")
        assert status == 200 and "政府信息公开" in body.decode()
        with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
            fetch(f"http://[::1]:{server.port}/", headers={"Host": f"www.sample.gov.cn:{server.port}"})
        status, _, _ = fetch(server.base_url, headers={"Host": f"www.sample.gov.cn:{server.port}"})
        assert status == 200
    finally:
        server.stop()


def test_closed_port_helper():
    port = closed_port()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_loopback_only():
    with pytest.raises(ValueError):
        serve(build_portal("full"), hosts=("0.0.0.0",))


def test_stop_is_prompt_and_clean():
    server = serve(build_portal("full"), hosts=("127.0.0.1",))
    port = server.port
    with socket.create_connection(("127.0.0.1", port)) as sleeper:
        sleeper.sendall(f"GET {F.P_TIMEOUT} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
        time.sleep(0.2)
        t0 = time.monotonic()
        server.stop()
        assert time.monotonic() - t0 < 3
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_urllib_client_works(srv):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(srv.url("/xxgk/"), timeout=5) as r:
        assert r.status == 200
    with pytest.raises(urllib.error.HTTPError) as exc:
        opener.open(srv.url(F.P_BROKEN_INTERNAL), timeout=5)
    assert exc.value.code == 404


def test_cli_serves_until_interrupted():
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "portal_audit.sample", "--port", "0"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", line), line
        assert fetch(line)[0] == 200
    finally:
        proc.send_signal(2)  # SIGINT
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0


# ---------------------------------------------------------------------------
# bench portal


def test_bench_portal_reachable_through_pagination():
    portal = build_portal("bench", pages=2000)
    assert portal.pages >= 2000 and portal.expected_templates == []
    server = serve(portal, hosts=("127.0.0.1",))  # as bench/run.py serves it
    try:
        home = fetch(server.base_url)[2].decode()
        columns = sorted({h for h in links(home) if re.fullmatch(r"/xxgk/[a-z]+/", h)})
        assert len(columns) >= 5
        list_urls, article_urls = [], set()

        def list_page(u):
            status, _, body = fetch(u)
            assert status == 200, u
            return u, body.decode()

        for col in columns:
            u, html = list_page(server.url(col))
            m = re.search(r'createPageHTML\((\d+), 0, "index", "html"\)', html)
            assert m
            pages = [u] + [server.url(f"{col}index_{i}.html") for i in range(1, int(m.group(1)))]
            list_urls += pages
        with ThreadPoolExecutor(8) as ex:
            for u, html in ex.map(list_page, list_urls):
                article_urls.update(urljoin(u, h) for h in re.findall(r'<li><a href="(\./[^"]+)"', html))
        reachable = {server.base_url, server.url("/xxgk/")} | set(list_urls) | article_urls
        assert len(reachable) >= 2000
        with ThreadPoolExecutor(8) as ex:
            statuses = list(ex.map(lambda u: fetch(u, "HEAD")[0], sorted(article_urls)))
        assert statuses.count(200) == len(article_urls)
        sample = fetch(sorted(article_urls)[0])[2].decode()
        assert '<div class="TRS_Editor">' in sample and '<table class="xxgk_table"' in sample
        assert "127.0.0." not in sample  # single-host: no links leave the site
    finally:
        server.stop()
