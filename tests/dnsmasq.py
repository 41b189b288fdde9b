"""A real DNS server on loopback for the tests: dnsmasq (Debian's ``dnsmasq-base``; ``make
system-deps`` installs it), started on a free port of 127.0.0.1 and answering only from its
command line (no /etc/hosts, no /etc/resolv.conf, no upstream servers except the loopback
stubs below). Nothing here talks to anything but 127.0.0.1.

Stubs used as dnsmasq upstreams for chosen domains (``--server=/domain/127.0.0.1#port``):

- :class:`SilentUpstream` never answers: names under it time out.
- :class:`AaaaServfailUpstream` answers A with 127.0.0.1 and AAAA with SERVFAIL (a broken
  authoritative server that only fails IPv6 lookups).
- :class:`RebindingUpstream` answers A with a different address on each query of a name
  (TTL 0): a DNS rebinding attacker. Used directly as the crawler's nameserver.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (dnsmasq listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                try:
                    t.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port
    raise RuntimeError("no free port on 127.0.0.1")


def ns_rdata(name: str) -> str:
    """The hex wire form of an NS record's data, for ``--dns-rr=zone,2,HEX``."""
    return dns.name.from_text(name).to_wire().hex()


class _Upstream:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name=f"dns-stub-{self.port}")
        self._thread.start()

    @property
    def server(self) -> str:
        return f"127.0.0.1#{self.port}"

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(4096)
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            reply = self.answer(data)
            if reply is not None:
                self.sock.sendto(reply, addr)

    def answer(self, data: bytes) -> bytes | None:
        return None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


class SilentUpstream(_Upstream):
    """Reads queries and never answers."""


class AaaaServfailUpstream(_Upstream):
    """A → 127.0.0.1; AAAA (and anything else) → SERVFAIL."""

    def answer(self, data: bytes) -> bytes | None:
        query = dns.message.from_wire(data)
        reply = dns.message.make_response(query)
        question = query.question[0]
        if question.rdtype == dns.rdatatype.A:
            reply.answer.append(dns.rrset.from_text(question.name, 0, "IN", "A", "127.0.0.1"))
        else:
            reply.set_rcode(dns.rcode.SERVFAIL)
        return reply.to_wire()


class Dnsmasq:
    """``dnsmasq --no-daemon`` on 127.0.0.1:<free port> with the given zone options
    (``--host-record=…``, ``--cname=…``, ``--server=/domain/127.0.0.1#port``, ``--dns-rr=…``)."""

    def __init__(self, options: list[str], log_path: Path, local_domains: tuple[str, ...] = ("test",)):
        binary = shutil.which("dnsmasq") or next(
            (p for p in ("/usr/sbin/dnsmasq", "/sbin/dnsmasq") if Path(p).exists()), None)
        if binary is None:
            raise FileNotFoundError("dnsmasq not found: run `make system-deps` (apt-get install dnsmasq-base)")
        self.log_path = log_path
        last = ""
        for _ in range(5):
            self.port = free_port()
            args = [binary, "--no-daemon", "--no-resolv", "--no-hosts", f"--port={self.port}",
                    "--listen-address=127.0.0.1", "--bind-interfaces", "--conf-file=/dev/null", "--pid-file=",
                    "--log-facility=-", "--cache-size=0", "--no-negcache",
                    *(f"--local=/{d}/" for d in local_domains), *options]
            self._log = open(log_path, "ab")
            self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            if self._wait_ready():
                return
            self.stop()
            last = log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"dnsmasq did not start:\n{last}")

    def _wait_ready(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        probe = dns.message.make_query("ready.invalid.", "A")
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                dns.query.udp(probe, "127.0.0.1", port=self.port, timeout=0.2)
                return True
            except Exception:  # noqa: BLE001 - not listening yet
                time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()


class RebindingUpstream(_Upstream):
    """A for ``name`` → ``answers[name][n]`` on its n-th query (the last one from then on),
    TTL 0; every query counted in ``queries``; other names NXDOMAIN."""

    def __init__(self, answers: dict[str, list[str]]):
        self.answers = {name.rstrip(".") + ".": list(values) for name, values in answers.items()}
        self.queries: dict[str, int] = {}
        super().__init__()

    def answer(self, data: bytes) -> bytes | None:
        query = dns.message.from_wire(data)
        reply = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text()
        n = self.queries[name] = self.queries.get(name, 0) + 1
        values = self.answers.get(name)
        if values is None:
            reply.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.A:
            reply.answer.append(dns.rrset.from_text(question.name, 0, "IN", "A", values[min(n, len(values)) - 1]))
        return reply.to_wire()
