"""crawl.per_host_rate against a server that refuses (429) more than its rate per host."""

from __future__ import annotations

import sqlite3

import pytest

from portal_audit.sample import build_portal, serve
from tests.conftest import run_cli, write_config

RATE = 10   # requests/s: the mechanism, fast (the default, 2, is what real portals get)


@pytest.fixture(scope="module")
def strict():
    srv = serve(build_portal(kind="bench", pages=40), hosts=("127.0.0.1",), port=0, rate_limit=RATE,
                latency=(0.01, 0.03))
    yield srv
    srv.stop()


def audit(tmp, srv, rate):
    srv.reset()
    srv.refused = 0
    cfg = write_config(tmp / "c.yaml", [("严格门户", srv.base_url)], store=tmp / "a.db")
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("per_host_rate: 0", f"per_host_rate: {rate}"),
                   encoding="utf-8")
    result = run_cli("run", "-c", str(cfg), "-o", str(tmp / "out"), "--no-progress", "--only", "link")
    assert result.returncode == 0, result.stderr
    return sqlite3.connect(tmp / "a.db")


def test_the_rate_is_held_and_no_request_is_refused(tmp_path, strict):
    db = audit(tmp_path, strict, RATE)
    sent = db.execute("SELECT COUNT(*) FROM requests WHERE host = '127.0.0.1'").fetchone()[0]
    assert sent > 40 and strict.refused == 0
    assert not db.execute("SELECT COUNT(*) FROM requests WHERE status = 429").fetchone()[0]
    assert db.execute("SELECT COUNT(*) FROM pages").fetchone()[0] >= 40


def test_without_the_limit_the_same_server_refuses(tmp_path, strict):
    audit(tmp_path, strict, 0)
    assert strict.refused > 0
