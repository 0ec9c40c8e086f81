"""A throwaway PostgreSQL cluster on a free port: ``initdb``, ``pg_ctl`` start, restart, stop.

The drill restarts it and kills its backends, so it must not be the machine's shared
server. ``initdb`` refuses to run as root; as root the cluster is made and run as the
``postgres`` user (``runuser``), in a directory that user owns.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise SystemExit(f"{name} not found (install PostgreSQL's server package)")
    return path


def free_port() -> int:
    """A TCP port nothing listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(slots=True)
class Cluster:
    """One cluster under ``root`` on ``port``; ``url`` is for SQLAlchemy, ``dsn`` for psycopg."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="drill-pg-")))
    port: int = field(default_factory=free_port)
    restarts: int = 0

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres?connect_timeout=2"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    def init(self) -> None:
        """Create the cluster (trust auth on 127.0.0.1 only, fsync off: it is thrown away)."""
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            _bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8"
        )
        conf = (
            f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 60\n"
        )
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as out:
            out.write(conf)

    def start(self) -> None:
        """Start the server and wait until it answers."""
        log = str(self.root / "server.log")
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-l", log, "-w", "-t", "30", "start")
        self.wait_ready()

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: roll back and disconnect; ``immediate``: like a crash)."""
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def restart(self, down_seconds: float = 0.0) -> None:
        """Stop, stay down ``down_seconds``, start again."""
        self.stop()
        if down_seconds > 0:
            time.sleep(down_seconds)
        self.start()
        self.restarts += 1

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.dsn, connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def terminate_backends(self, application_name: str | None = None) -> int:
        """``pg_terminate_backend`` every client backend but this one; how many it ended."""
        query = (
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        with psycopg.connect(self.dsn, autocommit=True, connect_timeout=2) as conn:
            row = conn.execute(query).fetchone()
        return int(row[0]) if row else 0

    def destroy(self) -> None:
        """Stop the server and remove every file of the cluster."""
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
