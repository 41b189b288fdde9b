"""The loopback server for the peer suites: the case pages on 127.0.0.1 (the site, the
peers' ``localhost``) and the stand-ins for the peers' internet hosts on 127.0.0.2
(``www.example.com`` and friends), one port, answers from a table of responses."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Resp:
    """One canned response; ``body`` may hold the ``{SITE}``/``{EXT}``/… placeholders."""

    body: str | bytes = ""
    status: int = 200
    ctype: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    charset: str = "utf-8"


SITE_IP, EXT_IP = "127.0.0.1", "127.0.0.2"


class PeerServer:
    """Serves ``routes[(ip, path_and_query)]`` (the query is optional in the key); anything
    else is a 404. ``render`` fills in the placeholders for the port it listens on."""

    def __init__(self, routes_for):
        self._servers = []
        port = self._listen()
        self.port = port
        self.site, self.ext = f"http://{SITE_IP}:{port}", f"http://{EXT_IP}:{port}"
        self.dead = f"http://{SITE_IP}:{_closed_port()}"
        self.routes: dict[tuple[str, str], Resp] = routes_for(self)
        for srv in self._servers:
            threading.Thread(target=srv.serve_forever, daemon=True).start()

    def render(self, text: str) -> str:
        return (text.replace("{SITE}", self.site).replace("{EXT}", self.ext).replace("{DEAD}", self.dead)
                .replace("{PORT}", str(self.port)))

    def _listen(self) -> int:
        handler = _handler(self)
        for _ in range(20):
            first = ThreadingHTTPServer((SITE_IP, 0), handler)
            try:
                second = ThreadingHTTPServer((EXT_IP, first.server_address[1]), handler)
            except OSError:
                first.server_close()
                continue
            self._servers = [first, second]
            return first.server_address[1]
        raise RuntimeError("no free port on both loopback addresses")

    def stop(self) -> None:
        for srv in self._servers:
            srv.shutdown()
            srv.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind((SITE_IP, 0))
        return s.getsockname()[1]


def _handler(server: PeerServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *args):
            pass

        def _answer(self, with_body: bool):
            ip = self.connection.getsockname()[0]
            path = self.path
            resp = server.routes.get((ip, path)) or server.routes.get((ip, path.split("?", 1)[0]))
            if resp is None:
                resp = Resp("<html><title>404</title><body>Not Found</body></html>", status=404)
            body = resp.body if isinstance(resp.body, bytes) else server.render(resp.body).encode(resp.charset)
            self.send_response(resp.status)
            for name, value in resp.headers.items():
                self.send_header(name, server.render(value))
            if resp.ctype:
                self.send_header("Content-Type", resp.ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def do_GET(self):
            self._answer(True)

        def do_HEAD(self):
            self._answer(False)

    return Handler
