"""A real MariaDB server in a temp directory on a free loopback port, for MLMD on MySQL."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field

MARIADBD_CANDIDATES = ("mariadbd", "/usr/sbin/mariadbd", "mysqld", "/usr/sbin/mysqld")
PASSWORD_ENV = "LEDGER_TEST_MYSQL_PASSWORD"


def _find(candidates) -> str:
    for c in candidates:
        path = shutil.which(c) or (c if os.path.isabs(c) and os.access(c, os.X_OK) else None)
        if path:
            return path
    raise FileNotFoundError(
        f"none of {', '.join(candidates)} found: run scripts/install_test_deps.sh "
        "(Debian's mariadb-server)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class MariaDB:
    """One server: `start()`, `create_database(name)` -> an MLMD `{"mysql": ...}` spec, `stop()`.

    The server runs as the current user with its own data directory, socket and port; a user
    `ledger` with password `password` (given to MLMD through the env var PASSWORD_ENV) owns every
    database created here.
    """

    root: str
    port: int = field(default_factory=free_port)
    user: str = "ledger"
    password: str = "ledger-test-pw"
    options: tuple[str, ...] = ()  # extra server flags, e.g. a benchmark's bigger buffer pool
    process: subprocess.Popen | None = None

    @property
    def socket_path(self) -> str:
        return os.path.join(self.root, "mysqld.sock")

    def start(self, timeout: float = 60.0) -> "MariaDB":
        datadir = os.path.join(self.root, "data")
        os.makedirs(datadir, exist_ok=True)
        user_args = ["--user=root"] if os.geteuid() == 0 else []
        if not os.path.isdir(os.path.join(datadir, "mysql")):  # a kept data directory restarts
            install = _find(("mariadb-install-db", "/usr/bin/mariadb-install-db",
                             "mysql_install_db"))
            subprocess.run([install, f"--datadir={datadir}",
                            "--auth-root-authentication-method=normal", "--skip-test-db",
                            *user_args], check=True, capture_output=True, text=True)
        log = open(os.path.join(self.root, "server.log"), "w")
        self.process = subprocess.Popen(
            [_find(MARIADBD_CANDIDATES), "--no-defaults", f"--datadir={datadir}",
             f"--socket={self.socket_path}", f"--port={self.port}", "--bind-address=127.0.0.1",
             f"--pid-file={os.path.join(self.root, 'mysqld.pid')}", "--skip-log-bin",
             "--innodb-buffer-pool-size=64M", "--max-connections=200", *self.options, *user_args],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mariadbd exited {self.process.returncode}: "
                                   f"{open(log.name).read()[-2000:]}")
            if self._sql("SELECT 1", check=False).returncode == 0:
                break
            time.sleep(0.2)
        else:
            self.stop()
            raise TimeoutError(f"mariadbd on port {self.port} not ready in {timeout} s")
        self._sql(f"CREATE USER IF NOT EXISTS '{self.user}'@'127.0.0.1' "
                  f"IDENTIFIED BY '{self.password}'; "
                  f"CREATE USER IF NOT EXISTS '{self.user}'@'localhost' "
                  f"IDENTIFIED BY '{self.password}';")
        return self

    def _sql(self, statements: str, *, database: str = "", check: bool = True):
        client = _find(("mariadb", "mysql"))
        return subprocess.run([client, "--no-defaults", f"--socket={self.socket_path}", "-uroot",
                               "-N", "-B", *([database] if database else []), "-e", statements],
                              check=check, capture_output=True, text=True)

    def sql(self, statements: str, database: str = "") -> str:
        """Runs SQL as root over the socket (for tests that tamper with a store); returns stdout."""
        return self._sql(statements, database=database).stdout

    def database_spec(self, name: str) -> dict:
        """The MLMD spec of an existing database `name` (e.g. one kept between benchmarks)."""
        os.environ[PASSWORD_ENV] = self.password
        return {"mysql": {"host": "127.0.0.1", "port": self.port, "database": name,
                          "user": self.user, "password_env": PASSWORD_ENV}}

    def create_database(self, name: str) -> dict:
        """A fresh database `name` and the MLMD spec that connects to it over TCP."""
        self._sql(f"DROP DATABASE IF EXISTS `{name}`; CREATE DATABASE `{name}`; "
                  f"GRANT ALL ON `{name}`.* TO '{self.user}'@'127.0.0.1'; "
                  f"GRANT ALL ON `{name}`.* TO '{self.user}'@'localhost';")
        return self.database_spec(name)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
