"""A real PostgreSQL 15 server for the end-to-end tests: initdb in a temporary
folder, started on a free port of 127.0.0.1 (as `nobody` when the tests run as
root, since postgres refuses root), stopped and removed by stop(). TCP logins
need the password (scram-sha-256), so URLs carry one. Tests skip, saying why,
only when the server binaries are not installed."""
import os
import shutil
import socket
import subprocess
import tempfile
import unittest

PG_BIN = "/usr/lib/postgresql/15/bin"
PASSWORD = "e2e-Pw-42"


def installed():
    return all(os.access(os.path.join(PG_BIN, p), os.X_OK) for p in ("postgres", "initdb", "pg_ctl"))


def require_postgres(test):
    if not installed():
        raise unittest.SkipTest(f"PostgreSQL 15 is not installed ({PG_BIN}/postgres is missing); "
                                "scripts/install-deps.sh installs it")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="gdsweep-pg-")
        os.chmod(self.dir, 0o777)
        self.as_root = os.geteuid() == 0
        if self.as_root:
            os.chown(self.dir, 65534, 65534)
        self.data = os.path.join(self.dir, "data")
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        os.chmod(pwfile, 0o644)
        self.port = _free_port()
        self._run("initdb", "-D", self.data, "-U", "postgres", "--pwfile", pwfile,
                  "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "-E", "UTF8",
                  "--locale=C")
        self.start()
        self._counter = 0

    def _run(self, prog, *args, check=True):
        argv = [os.path.join(PG_BIN, prog), *args]
        if self.as_root:
            argv = ["runuser", "-u", "nobody", "--", *argv]
        return subprocess.run(argv, cwd=self.dir, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, check=check)

    def start(self):
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c max_connections=200")
        self._run("pg_ctl", "-D", self.data, "-o", opts, "-l", os.path.join(self.dir, "log"),
                  "-w", "-t", "60", "start")

    def stop(self, mode="fast"):
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop", check=False)

    def destroy(self):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, dbname, password=PASSWORD, scheme="postgresql"):
        auth = f"postgres:{password}" if password else "postgres"
        return f"{scheme}://{auth}@127.0.0.1:{self.port}/{dbname}"

    def psql(self, sql, dbname="postgres"):
        """Runs SQL over the local socket (trusted); returns stdout."""
        argv = [os.path.join(PG_BIN, "psql"), "-h", self.dir, "-p", str(self.port),
                "-U", "postgres", "-d", dbname, "-At", "-c", sql]
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout

    def create_database(self, hint="t"):
        self._counter += 1
        name = f"e2e_{hint}_{os.getpid()}_{self._counter}"
        self.psql(f"CREATE DATABASE {name}")
        return name
