"""A small hostile HTTP server for the reliability tests: each route answers exactly
what the test says (any status, any raw header values, any body), on a loopback
address, and every request is counted per path.

    srv = HostileServer({"/": page("<a href='/x'>x</a>"), "/x": (404, {}, b"gone")})
    srv.url("/")  ...  srv.hits["/x"]  ...  srv.stop()

A route is ``(status, headers, body)`` or a callable ``(handler) -> (status, headers, body)``;
routes can be replaced while the server runs (``srv.routes[path] = ...``), and so can the
answer to every other path (``srv.fallback``, a 404 by default).
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit


def page(html: str, status: int = 200, **headers: str) -> tuple[int, dict, bytes]:
    body = f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{html}</body></html>"
    return status, {"Content-Type": "text/html; charset=utf-8", **headers}, body.encode("utf-8")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)   # no reverse lookup of the address
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    def handle_error(self, request, client_address):
        pass


class HostileServer:
    def __init__(self, routes: dict, host: str = "127.0.0.1", port: int = 0):
        self.routes = dict(routes)
        self.fallback = (404, {"Content-Type": "text/html"}, b"<html>404</html>")   # any other path
        self.hits: Counter = Counter()
        app = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args):
                pass

            def _answer(self, with_body: bool):
                path = unquote(urlsplit(self.path).path)
                app.hits[path] += 1
                route = app.routes.get(path, app.fallback)
                status, headers, body = route(self) if callable(route) else route
                self.send_response(status)
                sent = {k.lower() for k in headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                if "content-length" not in sent:
                    self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                if with_body:
                    try:
                        self.wfile.write(body)
                    except OSError:
                        pass

            def do_GET(self):
                self._answer(True)

            def do_HEAD(self):
                self._answer(False)

        server_class = type("_Server6", (_Server,), {"address_family": socket.AF_INET6}) if ":" in host else _Server
        self.httpd = server_class((host, port), Handler)
        self.host, self.port = host, self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/") -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
