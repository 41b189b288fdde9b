"""Environment errors are zh-CN messages naming the path, with exit 2, before anything runs
(issue 13): a store path that is a directory, a corrupt or damaged store, a read-only one,
a missing one for the read commands, an output directory that cannot be written."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from store import Store
from tests.conftest import run_cli, write_config
from tests.hostile import HostileServer, page


@pytest.fixture
def portal():
    srv = HostileServer({"/": page("<a href='/a.html'>甲</a>")})
    yield srv
    srv.stop()


def _run(tmp_path, srv, store: Path, out: Path):
    cfg = write_config(tmp_path / "c.yaml", [("甲站", srv.url("/"))], store=store, extra="ipv6: {enabled: false}")
    return run_cli("run", "-c", str(cfg), "-o", str(out), "--no-progress", timeout=60)


def _immutable(path: Path, on: bool) -> bool:
    if not shutil.which("chattr"):
        return False
    return subprocess.run(["chattr", "+i" if on else "-i", str(path)], capture_output=True).returncode == 0


def _assert_refused(result, path, words, srv):
    assert result.returncode == 2, result.stderr
    assert str(path) in result.stderr and words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert sum(srv.hits.values()) == 0          # checked before the crawl


def test_store_path_that_is_a_directory(tmp_path, portal):
    store = tmp_path / "db"
    store.mkdir()
    _assert_refused(_run(tmp_path, portal, store, tmp_path / "out"), store, "是一个目录", portal)


def test_corrupt_store(tmp_path, portal):
    store = tmp_path / "a.db"
    store.write_bytes(b"this is not sqlite" * 100)
    _assert_refused(_run(tmp_path, portal, store, tmp_path / "out"), store, "不是有效的 SQLite 数据库", portal)


def test_store_failing_quick_check(tmp_path, portal):
    store = tmp_path / "a.db"
    db = Store(store)
    db.insert_many("pages", [{"run_id": 1, "site": "s", "url": f"http://x/{i}", "main_text": "字" * 500}
                             for i in range(400)])
    db.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = bytearray(store.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    for offset in range(page_size * 8, len(data) - page_size, page_size * 3):
        data[offset + 8: offset + 64] = b"\xff" * 56          # damage interior pages' headers
    store.write_bytes(bytes(data))
    result = _run(tmp_path, portal, store, tmp_path / "out")
    assert result.returncode == 2, result.stderr
    assert str(store) in result.stderr and "损坏" in result.stderr, result.stderr
    assert sum(portal.hits.values()) == 0


def test_read_only_store(tmp_path, portal):
    store = tmp_path / "a.db"
    Store(store).close()
    if not _immutable(store, True):
        pytest.skip("chattr +i is not available here: a read-only file cannot be made for root")
    try:
        _assert_refused(_run(tmp_path, portal, store, tmp_path / "out"), store, "不可读写", portal)
    finally:
        _immutable(store, False)


def test_unwritable_output_directory_is_refused_before_the_crawl(tmp_path, portal):
    out = tmp_path / "out"
    out.mkdir()
    if not _immutable(out, True):
        pytest.skip("chattr +i is not available here: an unwritable directory cannot be made for root")
    try:
        _assert_refused(_run(tmp_path, portal, tmp_path / "a.db", out), out, "不可写", portal)
    finally:
        _immutable(out, False)


def test_read_commands_on_a_missing_store(tmp_path):
    missing = tmp_path / "nope.db"
    for args in (["report", "1"], ["runs"], ["diff", "1", "2"]):
        result = run_cli(*args, "--store", str(missing), timeout=60)
        assert result.returncode == 2, result.stderr
        assert "数据库文件不存在" in result.stderr and str(missing) in result.stderr
    assert not missing.exists()
