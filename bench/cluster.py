#!/usr/bin/env python3
"""bench/cluster.py - the milter's throughput with the store on SQLite and on
PostgreSQL (loopback), one node and two, the same load in the same run; and
the store's cost per message.

  bench/cluster.py [--messages N] [--sessions S] [--runs R] [PORTCULLIS]

1. Five milter runs, R rounds of each, interleaved: (SQLite | PostgreSQL) x
   (1 | 2 nodes) with 2 workers per node (one per CPU), and PostgreSQL with
   1 node of 4 workers. A node is `portcullis milter` (unix socket, metrics
   listener) behind its own private Postfix (tests/milter/postfix.sh);
   with two nodes the client alternates between the two Postfix ports. The
   load is N messages (default 2,000): half the copies of one campaign (one
   template, a per-recipient pixel token, distinct recipients; its copies
   queue on the campaign's row in the store) interleaved with half ordinary
   mail (tests/milter/gen_load.py), over S concurrent SMTP sessions (default
   20 in all). With SQLite each node has its own file (what separate hosts
   would have; no shared campaign); with PostgreSQL the nodes share one
   database. Each run starts from an empty store.
   Measured: messages/s from the first MAIL FROM to the last queue empty, in
   all and per node; each node's mean scan time (portcullis_scan_seconds
   from /metrics: a worker's own time on a message, store included) and the
   milter's latency (the log's ms) p50/p99.
2. The store's cost per message, without Postfix: `portcullis scan` of the
   same N messages, one process, with no store, with a SQLite file and with
   the PostgreSQL database (fresh each): wall and CPU (the scan's own; the
   PostgreSQL server's CPU comes on top and is shown apart).

Prints a table; root, Postfix and PostgreSQL 15 needed (exit 77 otherwise).
About 3-4 minutes on 2 cores. Environment: PORTCULLIS (default
build/portcullis), KEEP_TMP=1.
"""
import argparse
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "milter"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import cluster_test as ct  # noqa: E402
import pgtest  # noqa: E402
from procs import free_port  # noqa: E402


# (store, nodes, workers per node): 2 workers = one per CPU, the default here
CONFIGS = [("sqlite", 1, 2), ("sqlite", 2, 2), ("postgresql", 1, 2), ("postgresql", 2, 2), ("postgresql", 1, 4)]


def pg_cpu(pg):
    """CPU seconds (user + system) of every process of the PostgreSQL server so far, ended ones included."""
    tck = os.sysconf("SC_CLK_TCK")
    with open(os.path.join(pg.data, "postmaster.pid")) as f:
        pid = int(f.readline())
    with open("/proc/%d/stat" % pid) as f:
        v = f.read().rsplit(")", 1)[1].split()
    # utime stime cutime cstime of the postmaster: its children's once reaped
    own = sum(int(x) for x in v[11:15]) / tck
    live = 0.0
    for p in ct.descendants(pid)[1:]:
        try:
            with open("/proc/%d/stat" % p) as f:
                w = f.read().rsplit(")", 1)[1].split()
            live += (int(w[11]) + int(w[12])) / tck
        except OSError:
            pass
    return own + live


def milter_run(bin_, tmp, pg, backend, nnodes, workers, msgs, sessions, tag):
    d = os.path.join(tmp, tag)
    os.makedirs(d)
    os.chmod(d, 0o755)
    nodes, mx = [], []
    try:
        if backend == "postgresql":
            db = tag.replace("-", "_")
            store = "[store]\nbackend = postgresql\nconninfo = %s\ntimeout = 5\n" % pg.create_db(db)
        for k in range(nnodes):
            nd = os.path.join(d, "node%d" % (k + 1))
            os.makedirs(nd)
            if backend == "sqlite":
                sd = os.path.join(nd, "store")
                os.makedirs(sd)
                nobody = pwd.getpwnam("nobody")
                os.chown(sd, nobody.pw_uid, nobody.pw_gid)
                store = "[history]\ndatabase = %s/store.db\n" % sd
            nodes.append(ct.Node(bin_, nd, store, workers).start())
            mx.append(ct.Postfix(os.path.join(d, "mx%d" % (k + 1)), free_port(), nodes[k].spec).start())
        cpu0 = pg_cpu(pg)
        t0 = time.time()
        sent = ct.inject([p.port for p in mx], msgs, sessions)
        while any(p.queue() for p in mx) and time.time() - t0 < 600:
            time.sleep(0.1)
        wall = time.time() - t0
        cpu_pg = pg_cpu(pg) - cpu0
        out = {"backend": backend, "nodes": nnodes, "workers": workers, "wall": wall, "msgs": len(msgs),
               "sent": sum(v == 250 for v in sent.values()), "pg_cpu": cpu_pg, "per_node": []}
        for n in nodes:
            m = n.scrape()
            recs = [r for _, r in n.records()]
            ms = sorted(r.get("ms", 0) for r in recs if r.get("action") != "tempfail")
            cnt = m.get(("portcullis_scan_seconds_count", ""), 0)
            out["per_node"].append({
                "answers": len(ms),
                "tempfails": sum(1 for r in recs if r.get("action") == "tempfail"),
                "scan_ms": 1000 * m.get(("portcullis_scan_seconds_sum", ""), 0) / cnt if cnt else float("nan"),
                "p50": ms[len(ms) // 2] if ms else float("nan"),
                "p99": ms[min(len(ms) - 1, int(len(ms) * 0.99))] if ms else float("nan"),
                "store_errors": m.get(("portcullis_milter_store_errors_total", ""), 0)})
        return out
    finally:
        for n in nodes:
            n.stop()
        for p in mx:
            p.stop()


def scan_run(bin_, tmp, pg, backend, files, tag, pss=False):
    conf = os.path.join(tmp, tag + ".conf")
    base = open(os.path.join(ROOT, "docs", "demo.conf")).read()
    db = tag.replace("-", "_")
    if backend == "sqlite":
        base += "\n[history]\ndatabase = %s\n" % os.path.join(tmp, tag + ".db")
    elif backend == "postgresql":
        base += "\n[store]\nbackend = postgresql\nconninfo = %s\n" % pg.create_db(db)
        if pss:
            pg.psql(db, "CREATE EXTENSION pg_stat_statements; SELECT pg_stat_statements_reset()")
    with open(conf, "w") as f:
        f.write(base)
    cpu0 = pg_cpu(pg)
    t0 = time.time()
    r = subprocess.run(["/usr/bin/time", "-f", "%U %S", bin_, "scan", "-q", "-c", conf, files],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.time() - t0
    lines = r.stdout.count("\n")
    user, sys_ = (float(x) for x in r.stderr.strip().splitlines()[-1].split())
    out = {"backend": backend, "wall": wall, "cpu": user + sys_, "lines": lines, "rc": r.returncode,
           "pg_cpu": pg_cpu(pg) - cpu0 if backend == "postgresql" else 0.0}
    if backend == "postgresql" and pss:
        out["statements"] = pg.psql(db, "SELECT round(total_exec_time::numeric, 0) || '|' || "
                                        "round((100 * total_exec_time / sum(total_exec_time) OVER ())::numeric, 0) "
                                        "|| '|' || calls || '|' || left(regexp_replace(query, '\\s+', ' ', 'g'), 90) "
                                        "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE "
                                        "datname = current_database()) ORDER BY total_exec_time DESC LIMIT 6")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("portcullis", nargs="?", default=os.environ.get("PORTCULLIS", os.path.join(ROOT, "build",
                                                                                                "portcullis")))
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--runs", type=int, default=1)
    a = ap.parse_args()
    if os.geteuid() != 0 or not shutil.which("postfix", path="/usr/sbin:/usr/bin"):
        print("skip: needs root and Postfix")
        return 77
    if not pgtest.available():
        print("skip: needs PostgreSQL 15")
        return 77
    if not os.path.exists("/usr/bin/time"):
        print("skip: needs GNU time (/usr/bin/time)")
        return 77
    bin_ = os.path.abspath(a.portcullis)
    tmp = tempfile.mkdtemp(prefix="pc-bench-cluster-")
    os.chmod(tmp, 0o755)
    pg = None
    t_all = time.time()
    try:
        msgs = ct.load(tmp, ROOT, a.messages // 2, a.messages - a.messages // 2)
        files = os.path.join(tmp, "files")
        os.makedirs(files)
        for i, m in enumerate(msgs):
            with open(os.path.join(files, "%05d.eml" % i), "wb") as f:
                f.write(m[4])
        pg = pgtest.PgServer()
        pg.init()
        # where the server's time goes (the scan runs below)
        have_pss = os.path.exists(os.path.join(pgtest.BIN, "..", "lib", "pg_stat_statements.so"))
        if have_pss:
            with open(os.path.join(pg.data, "postgresql.conf"), "a") as f:
                f.write("shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = all\n")
        pg.start()
        load0 = os.getloadavg()[0]
        res = []
        for run in range(a.runs):
            for backend, nn, nw in CONFIGS:
                tag = "m-%s-%d-%d-%d" % (backend[:2], nn, nw, run)
                r = milter_run(bin_, tmp, pg, backend, nn, nw, msgs, a.sessions, tag)
                res.append(r)
                print("[bench] %-10s %d node(s) x %d workers: %.1f msgs/s (%d/%d answered 250 in %.1f s)" %
                      (backend, nn, nw, r["msgs"] / r["wall"], r["sent"], r["msgs"], r["wall"]), flush=True)
        scans = []
        for run in range(a.runs):
            for backend in ("none", "sqlite", "postgresql"):
                s = scan_run(bin_, tmp, pg, backend, files, "s-%s-%d" % (backend[:2], run), have_pss)
                scans.append(s)
                print("[bench] scan %-10s %.2f s wall, %.2f s CPU, %d results" % (backend, s["wall"], s["cpu"],
                                                                                s["lines"]), flush=True)
        load1 = os.getloadavg()[0]

        def best(rows, key):
            return min(rows, key=lambda r: r[key])

        print()
        print("Milter: %d messages (%d campaign copies, %d ordinary), %d SMTP sessions; best of %d" %
              (len(msgs), a.messages // 2, a.messages - a.messages // 2, a.sessions, a.runs))
        print("| store | nodes x workers | msgs/s, all | msgs/s per node | scan ms/msg (mean, per node) | "
              "milter latency p50 / p99 ms | PostgreSQL CPU ms/msg | tempfails |")
        print("|---|---|---|---|---|---|---|---|")
        for backend, nn, nw in CONFIGS:
            if True:
                r = best([x for x in res if (x["backend"], x["nodes"], x["workers"]) == (backend, nn, nw)], "wall")
                pn = r["per_node"]
                print("| %s | %d x %d | %.1f | %s | %s | %s | %s | %d |" % (
                    "SQLite (file per node)" if backend == "sqlite" else "PostgreSQL (shared)", nn, nw,
                    r["msgs"] / r["wall"], " / ".join("%.1f" % (p["answers"] / r["wall"]) for p in pn),
                    " / ".join("%.1f" % p["scan_ms"] for p in pn),
                    " / ".join("%.0f, %.0f" % (p["p50"], p["p99"]) for p in pn),
                    "%.2f" % (1000 * r["pg_cpu"] / r["msgs"]) if backend == "postgresql" else "-",
                    sum(p["tempfails"] for p in pn)))
        print()
        none = best([s for s in scans if s["backend"] == "none"], "wall")
        print("Store cost, `portcullis scan` of the same %d messages, one process, best of %d:" % (len(msgs), a.runs))
        print("| store | wall s | scan CPU s | ms/msg wall | store cost ms/msg (wall - no store) | "
              "PostgreSQL CPU ms/msg |")
        print("|---|---|---|---|---|---|")
        for backend in ("none", "sqlite", "postgresql"):
            s = best([x for x in scans if x["backend"] == backend], "wall")
            n = max(1, s["lines"])
            print("| %s | %.2f | %.2f | %.2f | %s | %s |" % (
                backend, s["wall"], s["cpu"], 1000 * s["wall"] / n,
                "-" if backend == "none" else "%.2f" % (1000 * (s["wall"] - none["wall"]) / n),
                "%.2f" % (1000 * s["pg_cpu"] / n) if backend == "postgresql" else "-"))
        st = [s for s in scans if s.get("statements")]
        if st:
            print()
            print("PostgreSQL's time in the last `scan` with the store (pg_stat_statements), the top statements:")
            print("| ms in all | share % | calls | statement |")
            print("|---|---|---|---|")
            for line in st[-1]["statements"].splitlines():
                ms, share, calls, q = line.split("|", 3)
                print("| %s | %s | %s | `%s` |" % (ms, share, calls, q.replace("|", "\\|")))
        print()
        print("load average %.2f at the start, %.2f at the end; %d CPUs; %.0f s in all" %
              (load0, load1, os.cpu_count(), time.time() - t_all))
    finally:
        if pg:
            pg.close()
        if os.environ.get("KEEP_TMP"):
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
