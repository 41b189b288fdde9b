"""A real PostgreSQL server for the tests: ``initdb`` into a temporary directory and
``pg_ctl`` on a free loopback port, once per session (the Debian ``postgresql`` package,
installed by ``make system-deps``); each test gets a database of its own.

The server's databases sort text as a Chinese deployment's would (the ICU collation ``zh``,
no OS locale needed), not in byte order as SQLite does: every test comparing a PostgreSQL
run with a SQLite one shows that the store's order does not depend on the collation.

``initdb`` and the server refuse to run as root: as root they run as the ``postgres``
user (created by the package) through ``runuser``, in a directory that user owns.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest

SERVER_USER = "postgres"


def server_bin() -> Path:
    """The newest installed PostgreSQL's bin directory (pg_config's, else Debian's layout)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    pytest.fail("PostgreSQL 服务器程序（initdb、pg_ctl）未安装：make system-deps 会安装 Debian 的 postgresql 包")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self):
        self.bin = server_bin()
        self.as_root = os.geteuid() == 0
        self.dir = Path(tempfile.mkdtemp(prefix="portal-audit-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.user = SERVER_USER if self.as_root else pwd.getpwuid(os.geteuid()).pw_name
        if self.as_root:
            entry = pwd.getpwnam(SERVER_USER)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        self._names = itertools.count(1)

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", SERVER_USER, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.dir / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr or done.stdout}\n{tail}")

    def start(self) -> "PgServer":
        self._run("initdb", "-D", str(self.data), "-U", self.user, "--auth=trust", "--encoding=UTF8",
                  "--locale=C", "--locale-provider=icu", "--icu-locale=zh", "--no-sync")
        # loopback TCP only, no unix socket; durability off: a test server
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off"
                   " -c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"), "-w", "-t", "60",
                  "-o", options, "start")
        return self

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return name

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def pg_server():
    server = PgServer().start()
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server):
    """The URL of an empty database of this test's own."""
    name = pg_server.create_database()
    yield pg_server.url(name)
    pg_server.drop_database(name)
