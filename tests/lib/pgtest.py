"""A private PostgreSQL server for tests: initdb into a temporary
directory, its own port on 127.0.0.1 and its own socket directory, stopped
(and removed) at the end. Debian's postgresql-15 (scripts/deps.sh).

    with PgServer() as pg:
        dsn = pg.create_db("t1")        # "host=127.0.0.1 port=... dbname=t1 user=portcullis"
        pg.psql("t1", "SELECT 1")
        pg.restart()                    # fault tests
    # or from a shell:  python3 tests/lib/pgtest.py run CMD ARGS...
    #   runs CMD with PC_TEST_PG set to the server's admin dsn, then stops it

PostgreSQL refuses to run as root: as root the data directory belongs to
`postgres` (Debian's package makes that user) and the server runs as it
(runuser). Fast settings for tests: fsync stays on (the fault tests are
about durability) but synchronous_commit is the default and the server is
small. Skips (exit 77 from run) when the binaries are absent."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

BIN = "/usr/lib/postgresql/15/bin"


def available():
    return os.path.exists(os.path.join(BIN, "initdb"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class PgServer:
    def __init__(self, port=None, user="portcullis"):
        self.port = port or free_port()
        self.user = user
        self.dir = tempfile.mkdtemp(prefix="pc-pg-")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "sock")
        self.log = os.path.join(self.dir, "log")
        self.as_root = os.geteuid() == 0
        self.started = False

    def _run(self, argv, check=True, **kw):
        if self.as_root:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        return subprocess.run(argv, check=check, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)

    def init(self):
        os.mkdir(self.sock)
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
            shutil.chown(self.sock, "postgres", "postgres")
        self._run([os.path.join(BIN, "initdb"), "-D", self.data, "-U", self.user, "-A", "trust", "-E", "UTF8",
                   "--locale=C.UTF-8", "--no-sync"])
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\n"
                    "max_connections = 200\nshared_buffers = 64MB\nlog_min_messages = warning\n"
                    "logging_collector = off\n" % (self.port, self.sock))
        return self

    def start(self):
        self._run([os.path.join(BIN, "pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-t", "30", "start"])
        self.started = True
        return self

    def stop(self, mode="fast"):
        if self.started:
            self._run([os.path.join(BIN, "pg_ctl"), "-D", self.data, "-m", mode, "-w", "-t", "30", "stop"],
                      check=False)
            self.started = False

    def restart(self, down_seconds=0.0):
        self.stop("fast")
        if down_seconds:
            time.sleep(down_seconds)
        self.start()

    def dsn(self, db="postgres", user=None):
        return "host=127.0.0.1 port=%d dbname=%s user=%s connect_timeout=5" % (self.port, db, user or self.user)

    def psql(self, db, sql):
        r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.dsn(db), "-c", sql],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode:
            raise RuntimeError("psql: %s" % r.stderr.strip())
        return r.stdout.strip()

    def create_db(self, name):
        self.psql("postgres", "CREATE DATABASE %s" % name)
        return self.dsn(name)

    def close(self):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.init().start()

    def __exit__(self, *exc):
        self.close()


def main(argv):
    if len(argv) < 3 or argv[1] != "run":
        print("usage: pgtest.py run CMD [ARGS...]", file=sys.stderr)
        return 2
    if not available():
        print("pgtest: PostgreSQL 15 is not installed (scripts/deps.sh installs it): skipped", file=sys.stderr)
        return 77
    with PgServer() as pg:
        env = dict(os.environ, PC_TEST_PG=pg.dsn())
        return subprocess.call(argv[2:], env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
