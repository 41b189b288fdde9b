"""The changing portal of the rectification-loop tests (tests/test_e2e_loop.py,
tests/test_store_pg.py): two sites on 127.0.0.1 (甲市, 乙县) and an external host on
127.0.0.2, served by threaded HTTP servers whose pages change between runs
(:meth:`Portal.set`); the module-scoped ``portal`` fixture (registered in conftest.py)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

TITLES = {
    "a1": "关于公布甲市第一批政务公开事项目录的通知",
    "a2": "关于做好二〇二四年度政府信息公开工作的通知",
    "a3": "甲市人民政府办公室关于优化营商环境的政策解读",
    "a4": "关于调整甲市城乡居民基本医疗保险缴费标准的通知",
    "a5": "关于印发甲市防汛抗旱应急预案的通知",
    "doc3": "关于开展全市安全生产大检查工作的通知",
    "b1": "乙县人民政府关于公布权责清单的通知",
}
WRONG_ANCHOR_1 = "关于印发甲市优化营商环境若干措施的通知"
WRONG_ANCHOR_2 = "关于印发甲市优化营商环境若干措施（二〇二四年修订）的通知"


def page(title: str, body: str) -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><h1>{title}</h1>{body}<p>版权所有</p></body></html>")


def article(key: str, body: str) -> str:
    return page(TITLES[key], f"<div class='article'><p>{TITLES[key]}正文。</p>{body}</div>")


class Portal:
    """A mutable set of pages served on 127.0.0.1 (two ports: 甲市, 乙县) and 127.0.0.2 (external)."""

    def __init__(self):
        self.routes: dict[tuple[str, str], tuple[int, str | bytes, float]] = {}
        self.locations: dict[tuple[str, str], str] = {}   # (server, path) → the Location it answers with
        self.hits: list[str] = []
        self.lock = threading.Lock()
        self.servers = {}
        for name, host in (("a", "127.0.0.1"), ("b", "127.0.0.1"), ("x", "127.0.0.2")):
            self.servers[name] = self._serve(name, host)
        self.port = {k: s.server_address[1] for k, s in self.servers.items()}
        self.base = {k: f"http://{'127.0.0.2' if k == 'x' else '127.0.0.1'}:{p}" for k, p in self.port.items()}

    def _serve(self, name: str, host: str, port: int = 0):
        portal = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self._answer(True)

            def do_HEAD(self):
                self._answer(False)

            def _answer(self, body: bool):
                path = self.path.split("?", 1)[0]
                with portal.lock:
                    portal.hits.append(f"{name}{path}")
                    status, html, delay = portal.routes.get((name, path), (404, page("页面不存在", "<p>您访问的页面不存在</p>"), 0))
                    location = portal.locations.get((name, path))
                if delay:
                    time.sleep(delay)
                data = html if isinstance(html, bytes) else html.encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    if location:
                        self.send_header("Location", location)
                    self.end_headers()
                    if body:
                        self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        server = ThreadingHTTPServer((host, port), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def stop(self, name: str) -> None:
        server = self.servers.pop(name)
        server.shutdown()
        server.server_close()

    def start(self, name: str) -> None:
        self.servers[name] = self._serve(name, "127.0.0.1", self.port[name])

    def close(self) -> None:
        for name in list(self.servers):
            self.stop(name)

    def set(self, version: int, slow: float = 0.0) -> None:
        """Version 1: the first audit; 2: fixes, new defects, site 乙县 down; 3: a defect comes
        back, 乙县 up again; 4: after the unit's answers (D5 fixed); 5: link.wrong fixed."""
        a, b, x = self.base["a"], self.base["b"], self.base["x"]
        r: dict[tuple[str, str], tuple[int, str, float]] = {}
        hidden = f"<div style='display:none'><a href='{x}/casino/'>娱乐城</a></div>" if version == 1 else ""
        r[("a", "/")] = (200, page("甲市人民政府", f"<a href='{a}/xxgk/'>政府信息公开</a>"
                                                 f"<a href='{x}/'>友情链接</a>{hidden}"), 0)
        items = "".join(f"<li><a href='{a}/xxgk/{k}.html'>{TITLES[k]}</a></li>" for k in ("a1", "a2", "a3", "a4", "a5"))
        r[("a", "/xxgk/")] = (200, page("政府信息公开", f"<ul>{items}</ul>"), 0)
        # D1: broken link on a1, removed in version 2
        r[("a", "/xxgk/a1.html")] = (200, article("a1", "" if version >= 2 else f"<a href='{a}/files/gone1.html'>附表</a>"), slow)
        # D2: broken link on a2 forever (the unit calls it 误报); D5: a new broken link from version 2,
        # whose target is restored in version 4
        d5 = f"<a href='{a}/files/new1.html'>新增附件说明</a>" if version >= 2 else ""
        r[("a", "/xxgk/a2.html")] = (200, article("a2", f"<a href='{a}/files/gone2.html'>历史归档</a>{d5}"), slow)
        # D3: link.wrong on a3; the anchor text and the target's title change in version 2
        # (same finding); the link is corrected in version 5
        anchor = WRONG_ANCHOR_1 if version == 1 else WRONG_ANCHOR_2
        target = "doc3" if version < 5 else "doc3b"
        r[("a", "/xxgk/a3.html")] = (200, article("a3", f"<p>相关文件：<a href='{a}/xxgk/{target}.html'>{anchor}</a></p>"), slow)
        doc3_title = TITLES["doc3"] if version == 1 else "关于开展全市消防安全专项检查工作的通知"
        r[("a", "/xxgk/doc3.html")] = (200, page(doc3_title, "<p>检查内容。</p>"), 0)
        r[("a", "/xxgk/doc3b.html")] = (200, page(WRONG_ANCHOR_2, "<p>措施内容。</p>"), 0)
        # D6: the target of a4's link works in version 2 only (fixed, then 复发)
        r[("a", "/xxgk/a4.html")] = (200, article("a4", f"<a href='{a}/files/gone4.html'>缴费标准表</a>"), slow)
        if version == 2:
            r[("a", "/files/gone4.html")] = (200, page("缴费标准表", "<p>表格</p>"), 0)
        # D7: a5 links a broken target; in version 2 a5 itself fails (500): not evidence of a fix
        if version == 2:
            r[("a", "/xxgk/a5.html")] = (500, page("服务器错误", "<p>错误</p>"), 0)
        else:
            r[("a", "/xxgk/a5.html")] = (200, article("a5", f"<a href='{a}/files/gone5.html'>预案全文</a>"), slow)
        if version >= 4:
            r[("a", "/files/new1.html")] = (200, page("新增附件说明", "<p>说明</p>"), 0)
        # site 乙县: one broken link; the whole site is down in version 2
        r[("b", "/")] = (200, page("乙县人民政府", f"<a href='{b}/xxgk/'>政府信息公开</a>"), 0)
        r[("b", "/xxgk/")] = (200, page("政府信息公开", f"<ul><li><a href='{b}/xxgk/b1.html'>{TITLES['b1']}</a></li></ul>"), 0)
        r[("b", "/xxgk/b1.html")] = (200, page(TITLES["b1"], f"<a href='{b}/files/b-gone.html'>权责清单</a>"), slow)
        # the external host
        r[("x", "/")] = (200, page("友情链接", "<p>ok</p>"), 0)
        r[("x", "/casino/")] = (200, page("娱乐", "<p>spam</p>"), 0)
        with self.lock:
            self.routes = r
            self.hits.clear()
        if version == 2 and "b" in self.servers:
            self.stop("b")
        elif version != 2 and "b" not in self.servers:
            self.start("b")


@pytest.fixture(scope="module")
def portal():
    p = Portal()
    yield p
    p.close()
