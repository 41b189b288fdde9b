"""Real Scrapyd nodes for the tests: ``python -m scrapyd`` (the ``scrapyd`` extra, which
``make install`` installs) on a free port of 127.0.0.1, each in a directory of its own
(its ``scrapyd.conf``, eggs, queue databases and job logs). A node and the crawl processes
it starts are one process group, so :meth:`ScrapydNode.kill` is a machine going away and
:meth:`ScrapydNode.pause` one that stops answering, its jobs with it, until :meth:`ScrapydNode.resume`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

CONF = """[scrapyd]
bind_address = 127.0.0.1
http_port = {port}
max_proc = 2
poll_interval = 0.2
eggs_dir = eggs
logs_dir = logs
dbs_dir = dbs
jobs_to_keep = 20
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ScrapydNode:
    def __init__(self, root: Path):
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.port = free_port()
        (root / "scrapyd.conf").write_text(CONF.format(port=self.port), encoding="utf-8")
        self.log = open(root / "scrapyd.log", "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=root, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, roots: list[Path]) -> list["ScrapydNode"]:
        """Nodes in these directories, started together, once every one answers."""
        nodes = [cls(root) for root in roots]
        try:
            for node in nodes:
                node.wait_ready()
        except RuntimeError:
            for node in nodes:
                node.stop()
            raise
        return nodes

    def wait_ready(self, within: float = 60) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"scrapyd exited: {(self.root / 'scrapyd.log').read_text(errors='replace')[-2000:]}")
            try:
                self.api("daemonstatus.json")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"scrapyd did not answer within {within:.0f} s")

    def api(self, endpoint: str) -> dict:
        with urllib.request.urlopen(f"{self.url}/{endpoint}", timeout=5) as answer:
            return json.loads(answer.read())

    def jobs(self, project: str = "portal_audit") -> dict:
        return self.api(f"listjobs.json?project={project}")

    def running(self) -> list[str]:
        return [j["id"] for j in self.jobs().get("running", [])]

    def cancel(self, job: str, project: str = "portal_audit") -> None:
        body = urllib.parse.urlencode({"project": project, "job": job}).encode()
        with urllib.request.urlopen(f"{self.url}/cancel.json", data=body, timeout=5) as answer:
            assert json.loads(answer.read())["status"] == "ok"

    def job_log(self, job: str, project: str = "portal_audit", spider: str = "portal-site") -> str:
        path = self.root / "logs" / project / spider / f"{job}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def pause(self) -> None:
        """The node and its running jobs stopped where they are (SIGSTOP to the process group)."""
        os.killpg(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.killpg(self.proc.pid, signal.SIGCONT)

    def kill(self) -> None:
        """The node and its running jobs, at once (SIGKILL to the process group)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            os.killpg(self.proc.pid, signal.SIGCONT)     # a paused node ends too
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()
