#!/usr/bin/env python3
"""The shared store's access, as an administrator sets it up (issue 18):
a password from [store] password_file (SCRAM, never in argv), TLS with
the server's certificate verified (sslmode=verify-full), nodes starting
at once creating the schema once, a database newer than the program
refused, and a server that is not there failing fast with its name.

usage: pg_access_test.py PORTCULLIS
Private PostgreSQL 15 (tests/lib/pgtest.py) and openssl; skipped (77)
without them."""

import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import pgtest  # noqa: E402

failures = []


def check(name, ok, detail=""):
    print("%-64s %s%s" % (name, "ok" if ok else "FAIL", "" if ok or not detail else "  (%s)" % detail))
    if not ok:
        failures.append(name)


def run(exe, conf, db=None, timeout=60):
    argv = [exe, "campaigns", "--json", "--min-size", "1", "--config", conf]
    if db:
        argv += ["--db", db]
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)


def write(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    exe = os.path.abspath(sys.argv[1])
    if not pgtest.available() or not shutil.which("openssl"):
        print("PostgreSQL 15 or openssl not installed: skipped")
        return 77
    tmp = tempfile.mkdtemp(prefix="pc-pgaccess-")
    os.chmod(tmp, 0o755)
    pg = pgtest.PgServer().init()
    try:
        # TLS: a CA, and a server certificate for 127.0.0.1 signed by it
        ca_key, ca_crt = os.path.join(tmp, "ca.key"), os.path.join(tmp, "ca.crt")
        srv_key, srv_csr, srv_crt = (os.path.join(pg.data, n) for n in ("server.key", "server.csr", "server.crt"))
        other_crt = os.path.join(tmp, "other-ca.crt")
        ssl = lambda *a: subprocess.run(["openssl"] + list(a), check=True, capture_output=True)  # noqa: E731
        ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_crt, "-days", "2",
            "-subj", "/CN=portcullis test CA")
        ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", os.path.join(tmp, "o.key"), "-out",
            other_crt, "-days", "2", "-subj", "/CN=another CA")
        ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", srv_key, "-out", srv_csr, "-subj", "/CN=127.0.0.1")
        ext = os.path.join(tmp, "ext")
        write(ext, "subjectAltName=IP:127.0.0.1\n")
        ssl("x509", "-req", "-in", srv_csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial", "-out", srv_crt,
            "-days", "2", "-extfile", ext)
        if pg.as_root:
            for f in (srv_key, srv_crt):
                shutil.chown(f, "postgres", "postgres")
        os.chmod(srv_key, 0o600)
        with open(os.path.join(pg.data, "postgresql.conf"), "a") as f:
            f.write("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
                    "password_encryption = 'scram-sha-256'\n")
        # the node's role: a password over TLS only; the admin keeps trust on
        # the socket for this test's own psql
        with open(os.path.join(pg.data, "pg_hba.conf"), "w") as f:
            f.write("local all all trust\n"
                    "hostssl all node 127.0.0.1/32 scram-sha-256\n"
                    "host all portcullis 127.0.0.1/32 trust\n")
        pg.start()
        pg.psql("postgres", "CREATE ROLE node LOGIN PASSWORD 'correct horse battery'")
        pg.psql("postgres", "CREATE DATABASE shared OWNER node")
        base = "host=127.0.0.1 port=%d dbname=shared user=node" % pg.port
        pw = os.path.join(tmp, "db.pass")
        write(pw, "correct horse battery\n")
        bad = os.path.join(tmp, "bad.pass")
        write(bad, "wrong\n")

        def conf(name, conninfo, password_file, extra=""):
            path = os.path.join(tmp, name + ".conf")
            write(path, "[store]\nbackend = postgresql\nconninfo = %s\npassword_file = %s\ntimeout = 5\n%s"
                  % (conninfo, password_file, extra), 0o644)
            return path

        verify = base + " sslmode=verify-full sslrootcert=" + ca_crt
        r = run(exe, conf("good", verify, pw))
        check("password file + TLS verify-full: the store opens", r.returncode == 0, r.stderr.strip()[-300:])
        check("the listing is JSON", r.stdout.strip().startswith("["), r.stdout[:100])
        ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
        check("the password is in no process's arguments", "correct horse" not in ps)
        r = run(exe, conf("badpw", verify, bad))
        check("a wrong password: refused, and the error names the server",
              r.returncode != 0 and "127.0.0.1" in r.stderr and "correct horse" not in r.stderr, r.stderr[-300:])
        check("the error does not show the password file's content", "wrong" not in r.stderr)
        r = run(exe, conf("otherca", base + " sslmode=verify-full sslrootcert=" + other_crt, pw))
        check("a server certificate from another CA: refused", r.returncode != 0, r.stderr[-200:])
        r = run(exe, conf("notls", base + " sslmode=disable", pw))
        check("without TLS the node's role is refused (pg_hba hostssl)", r.returncode != 0, r.stderr[-200:])

        # nodes starting at once on an empty database create the schema once
        pg.psql("postgres", "CREATE DATABASE race OWNER node")
        rconf = conf("race", base.replace("dbname=shared", "dbname=race") + " sslmode=require", pw)
        procs = [subprocess.Popen([exe, "campaigns", "--json", "--config", rconf], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True) for _ in range(6)]
        errs = [p.communicate(timeout=60)[1] for p in procs]
        check("6 nodes opening an empty database at once all succeed",
              all(p.returncode == 0 for p in procs), " | ".join(e.strip() for e in errs if e.strip())[:300])
        check("the schema is at version 2, recorded once",
              pg.psql("race", "SELECT string_agg(version::text, ',') FROM portcullis_schema") == "2")
        # a database a newer Portcullis upgraded is not touched
        pg.psql("race", "UPDATE portcullis_schema SET version = 99")
        r = run(exe, rconf)
        check("a newer schema is refused, saying so", r.returncode != 0 and "newer" in r.stderr, r.stderr[-200:])

        # a node's own role (contrib/postgresql-node-role.sql): scans and
        # records, but no console accounts and no rewriting the audit log
        pg.psql("postgres", "CREATE ROLE scanner LOGIN PASSWORD 'node pass'")
        pg.psql("postgres", "CREATE DATABASE roles OWNER node")
        owner = conf("owner", base.replace("dbname=shared", "dbname=roles") + " sslmode=require", pw)
        r = run(exe, owner)
        check("the owner creates the schema", r.returncode == 0, r.stderr[-200:])
        sql = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "contrib",
                           "postgresql-node-role.sql")
        g = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", "role=scanner", "-d",
                            pg.dsn("roles", "node"), "-f", sql], capture_output=True, text=True,
                           env=dict(os.environ, PGPASSWORD="correct horse battery", PGSSLMODE="require"))
        check("contrib/postgresql-node-role.sql applies", g.returncode == 0, g.stderr[-300:])
        spw = os.path.join(tmp, "scanner.pass")
        write(spw, "node pass\n")
        with open(os.path.join(pg.data, "pg_hba.conf"), "a") as f:
            f.write("hostssl all scanner 127.0.0.1/32 scram-sha-256\n")
        pg.psql("postgres", "SELECT pg_reload_conf()")
        node = conf("node", "host=127.0.0.1 port=%d dbname=roles user=scanner sslmode=require" % pg.port, spw)
        src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")
        r = subprocess.run([exe, "scan", "--config", node, src], capture_output=True, text=True, timeout=120)
        errs = [l for l in r.stdout.splitlines() if "history.error" in l or "campaign.error" in l]
        check("the node's role scans and records", r.returncode == 0 and "store" not in r.stderr and not errs,
              (r.stderr + (errs[0] if errs else ""))[-300:])
        n = pg.psql("roles", "SELECT count(*) FROM custody")
        check("its records are there", int(n or 0) > 0, n)
        u = subprocess.run([exe, "user", "list", "--config", node], capture_output=True, text=True, timeout=60)
        check("the node's role cannot read the console's accounts", u.returncode != 0 and "permission denied"
              in u.stderr, "%d %s" % (u.returncode, (u.stdout + u.stderr)[-300:]))
        env = dict(os.environ, PGPASSWORD="node pass", PGSSLMODE="require")
        for stmt in ("DELETE FROM audit", "UPDATE audit SET actor = 'x'", "INSERT INTO console_user DEFAULT VALUES",
                     "DELETE FROM ioc_set", "DELETE FROM custody", "DELETE FROM member", "DELETE FROM campaign"):
            d = subprocess.run(["psql", "-X", "-q", "-d", "host=127.0.0.1 port=%d dbname=roles user=scanner"
                                % pg.port, "-c", stmt], capture_output=True, text=True, env=env)
            check("the node's role is refused: " + stmt, d.returncode != 0 and "permission denied" in d.stderr,
                  d.stderr[-150:])

        # an upgrade the node's role cannot make: refused, saying who
        # makes it; the owner upgrades and the node scans again. The
        # roles database goes back to schema 1 as pg_copies.c made it.
        pg.psql("roles", "ALTER TABLE copy_url DROP COLUMN ord;"
                         " CREATE INDEX copy_url_seen ON copy_url (campaign, skel, seen, rcpt);"
                         " INSERT INTO copy_url VALUES (7, 7, 1, 100, '\\x01', 's', '<m@x>');"
                         " UPDATE portcullis_schema SET version = 1")
        r = subprocess.run([exe, "scan", "--config", node, src], capture_output=True, text=True, timeout=120)
        check("an upgrade the node's role cannot make: refused, naming the owner's role",
              r.returncode != 0 and "owner upgrades it" in r.stderr, r.stderr[-300:])
        check("... and the store is left at schema 1", pg.psql("roles", "SELECT version FROM portcullis_schema")
              == "1")
        r = run(exe, owner)
        check("the owner upgrades it", r.returncode == 0 and pg.psql("roles", "SELECT version FROM "
                                                                     "portcullis_schema") == "2", r.stderr[-200:])
        check("... keeping the rows (without an order number)",
              pg.psql("roles", "SELECT count(*) FROM copy_url WHERE campaign = 7 AND ord IS NULL") == "1")
        r = subprocess.run([exe, "scan", "--config", node, src], capture_output=True, text=True, timeout=120)
        errs = [l for l in r.stdout.splitlines() if "history.error" in l or "campaign.error" in l]
        check("the node's role scans and records after the owner's upgrade",
              r.returncode == 0 and "store" not in r.stderr and not errs,
              (r.stderr + (errs[0] if errs else ""))[-300:])

        # a server that is not there: fails within the timeout, names it
        t = time.monotonic()
        r = run(exe, conf("down", "host=127.0.0.1 port=1 dbname=x user=node", pw))
        took = time.monotonic() - t
        check("no server: an error naming 127.0.0.1:1, at once", r.returncode != 0 and "127.0.0.1:1" in r.stderr
              and took < 5, "%.1f s: %s" % (took, r.stderr[-200:]))
    finally:
        pg.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print("\npg_access: %d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
