"""Shared fixtures and helpers: sample portals on loopback, test configs, the real CLI in a
subprocess (run, or interrupted with Ctrl-C), a fresh store, and a run with its 整改台账."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from checks.registry import verify_rules
from core.models import Finding, Severity, fingerprint
from portal_audit.sample import build_portal, closed_port, serve
from reports import history as history_view, ledger
from reports.evidence import LABELS as evidence_labels
from reports.data import load_report_data
from store import Store, history

AUDIT_DATE = "2024-06-30"


@contextmanager
def served(kind: str = "full", pages: int = 20000, **options):
    """A sample portal of ``kind`` (see ``build_portal``) served on loopback (``serve``
    ``options``) for the ``with`` block: a test that edits its pages uses one of its own."""
    srv = serve(build_portal(kind=kind, pages=pages), **options)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def sample_server():
    """The full sample portal on 127.0.0.1/.2/.3 (one port), for the whole session."""
    with served("full") as srv:
        yield srv


# the sample portal's other hosts (its "other domains") live on 127.0.0.2/.3 and ::1
LOOPBACK = "['127.0.0.0/8', '::1/128']"
LOOPBACK_NETWORKS = f"allowed_networks: {LOOPBACK}"


def write_config(path: Path, sites: list[tuple[str, str]], *, store: Path, extra: str = "",
                 allow_loopback: bool = True, crawl: Mapping[str, object] | None = None) -> Path:
    """A config for the tests: pinned audit date, short timeouts, one retry; every loopback
    address allowed by the address policy unless ``allow_loopback`` is false; ``crawl``
    changes or adds crawl settings (``{"concurrency": 2, "processes": 2}``)."""
    settings = {"timeout": 4, "retries": 1, "retry_backoff": 0.2, "max_page_size": "1MB", "concurrency": 16,
                **({"allowed_networks": LOOPBACK} if allow_loopback else {}),
                "per_host_rate": 0, **(crawl or {})}
    lines = [
        f"audit_date: {AUDIT_DATE}",
        f"store: {{path: '{store}'}}",
        "crawl: {" + ", ".join(f"{key}: {value}" for key, value in settings.items()) + "}",
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


def unlabeled_evidence(findings: list[dict]) -> set[tuple[str, str]]:
    """(check, key) of every evidence fact, nested ones too, the report would show under its
    English key: it has no Chinese label in reports/evidence.py."""
    missing = set()

    def walk(check, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                if key not in evidence_labels and not re.search("[\u4e00-\u9fff]", key):
                    missing.add((check, key))
                walk(check, inner)
        elif isinstance(value, list):
            for inner in value:
                walk(check, inner)

    for f in findings:
        walk(f["check"], f.get("evidence") or {})
    return missing


@pytest.fixture(scope="session")
def dead_port() -> int:
    return closed_port()


# the PostgreSQL server of the store tests (tests/pgserver.py), started only when a test asks
from tests.pgserver import pg_server, pg_url  # noqa: E402,F401
# the changing portal of the rectification-loop tests (a module's own ``portal`` fixture wins)
from tests.loop_portal import portal  # noqa: E402,F401


def interrupt_cli(*args: str, wait: Callable[[], None]) -> subprocess.CompletedProcess:
    """Start the CLI with ``args``, send one Ctrl-C (SIGINT) once ``wait()`` returns, and
    check it exits 130 (interrupted)."""
    proc = subprocess.Popen([sys.executable, "-m", "portal_audit.cli", *args], stderr=subprocess.PIPE, text=True)
    wait()
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=90)
    assert proc.returncode == 130, stderr
    return subprocess.CompletedProcess(proc.args, proc.returncode, None, stderr)


def interrupted_store(path: Path) -> sqlite3.Connection:
    """The store an interrupted run left: its one run is marked interrupted and the file is
    consistent."""
    db = sqlite3.connect(path)
    assert db.execute("SELECT status FROM runs").fetchall() == [("interrupted",)]
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    return db


# -- the 整改台账: a run of two sites, its ledger, and a unit's answers ------------------

SITES = ["甲市/人民政府[门户]网站名称特别特别特别特别长的站点", "乙县"]


def finding(site, url, message="链接无法访问：HTTP 404", check="link.broken", page="http://a/p.html"):
    """A finding as a check yields it, linked from ``page``."""
    return Finding(check=check, severity=Severity.ERROR, site=site, url=url, page=page, message=message,
                   fingerprint=fingerprint(check, site, url), evidence={"linked_from": {"count": 1, "pages": [
                       {"page": page}]}})


@pytest.fixture
def store(tmp_path):
    """A new store in the test's own directory."""
    db = Store(tmp_path / "a.db")
    yield db
    db.close()


def make_run(store, findings):
    """A completed run of the ``SITES`` with ``findings`` (of ``link.broken``), history applied."""
    rid = store.begin_run(audit_date="2024-06-30", config={}, options={"sites": SITES}, versions={})
    for site in SITES:
        store.set_run_site(rid, site, url="http://a/", status="ok", pages=1, links=1)
    store.insert_many("pages", [{"run_id": rid, "site": SITES[0], "url": "http://a/p.html", "column_kind": "policy",
                                 "depth": 2}])
    store.save_findings(rid, findings)
    store.record_check_run(rid, "link.broken", "found", len(findings), None, 0.1)
    store.finish_run(rid, "completed")
    history.apply_run(store, rid, verify_rules())
    return rid


def write_ledger(store, rid, path):
    """The 整改台账 of run ``rid`` at ``path``."""
    data = load_report_data(store, rid)
    if getattr(data, "history", None) is None:      # before reports/data.py attaches it
        history_view.attach_history(store, rid, data)
    ledger.write(data, path)
    return path


FINDINGS = [
    finding(SITES[0], "http://a/1.html"),
    finding(SITES[0], "http://a/2.html", message="=HYPERLINK(\"http://evil\")\x07 描述"),
    finding(SITES[0], "http://a/3.html"),
    finding(SITES[1], "http://b/1.html"),
]


def fill(path, answers, *, delete=("问题描述",), title_row=False, sort=True):
    """Answer like a unit: {url: (反馈状态, 整改情况, 整改责任单位, 整改期限)}."""
    from openpyxl import load_workbook   # deferred: heavy, and only the ledger tests need it

    wb = load_workbook(path)
    for ws in wb.worksheets[1:]:
        head = [c.value for c in ws[1]]
        rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
        if sort:
            rows.sort(key=lambda r: r[head.index("问题链接")], reverse=True)
        for r in rows:
            url = r[head.index("问题链接")]
            if url in answers:
                for key, value in zip(("反馈状态", "整改情况", "整改责任单位", "整改期限"), answers[url]):
                    if value is not None:
                        r[head.index(key)] = value
        ws.delete_rows(2, ws.max_row)
        for r in rows:
            ws.append(r)
        for name in delete:
            ws.delete_cols(head.index(name) + 1)
            head.remove(name)
        if title_row:
            ws.insert_rows(1)
            ws["A1"] = "2024年第二季度整改台账（办公室填报）"
    out = path.with_name("filled.xlsx")
    wb.save(out)
    return out
