"""Shared fixtures: the sample portal on loopback and the real CLI in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from portal_audit.sample import build_portal, closed_port, serve

AUDIT_DATE = "2024-06-30"


@pytest.fixture(scope="session")
def sample_server():
    """The full sample portal on 127.0.0.1/.2/.3 (one port), for the whole session."""
    srv = serve(build_portal(kind="full"))
    yield srv
    srv.stop()


# the sample portal's other hosts (its "other domains") live on 127.0.0.2/.3 and ::1
LOOPBACK_NETWORKS = "allowed_networks: ['127.0.0.0/8', '::1/128']"


def write_config(path: Path, sites: list[tuple[str, str]], *, store: Path, extra: str = "",
                 allow_loopback: bool = True) -> Path:
    """A config for the tests: pinned audit date, short timeouts, one retry; every loopback
    address allowed by the address policy unless ``allow_loopback`` is false."""
    networks = f", {LOOPBACK_NETWORKS}" if allow_loopback else ""
    lines = [
        f"audit_date: {AUDIT_DATE}",
        f"store: {{path: '{store}'}}",
        f"crawl: {{timeout: 4, retries: 1, retry_backoff: 0.2, max_page_size: 1MB, concurrency: 16{networks}, per_host_rate: 0}}",
        "sites:",
        *[f"  - {{name: '{name}', url: '{url}'}}" for name, url in sites],
        extra,
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_cli(*args: str, timeout: float = 240, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "portal_audit.cli", *args], capture_output=True, text=True,
                          timeout=timeout, **kwargs)


def read_findings(out: Path) -> list[dict]:
    with open(out / "findings.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="session")
def dead_port() -> int:
    return closed_port()


# the PostgreSQL server of the store tests (tests/pgserver.py), started only when a test asks
from tests.pgserver import pg_server, pg_url  # noqa: E402,F401
