#!/usr/bin/env bash
# bench/run.sh - throughput of `portcullis scan` against a private, network-free
# Rspamd over the same corpus, in the same run.  See bench/README.md.
#
#   bench/run.sh [--corpus DIR] [--limit N] [--runs N] [--median]
#                [--rspamd-only | --portcullis-only]
#
# Each tool runs --runs times (default 3), interleaved; the best run (lowest wall, lowest
# CPU, taken per figure) is reported, or the median with --median / BENCH_STAT=median.
#
# Environment:
#   PORTCULLIS=path        our binary (default: build/portcullis)
#   RSPAMD_PORT=21333      normal worker port on 127.0.0.1; controller uses PORT+1
#   RSPAMC_PARALLEL=4      rspamc -n (requests in flight; the worker is 1 process)
#   RSPAMD_START_TIMEOUT=240  seconds to wait for rspamd + hyperscan to be ready
#   RESULTS=path           where the result line is appended (default bench/results.txt)
#   KEEP_TMP=1             keep the temp dir (rspamd config, log, raw outputs)
set -euo pipefail
export LC_ALL=C

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
CALLER_PWD=$PWD

CORPUS="$ROOT/../shared/corpus"
LIMIT=0
RUNS=3
STAT=${BENCH_STAT:-best}
DO_PORTCULLIS=1
DO_RSPAMD=1
PORTCULLIS=${PORTCULLIS:-build/portcullis}
RSPAMD_PORT=${RSPAMD_PORT:-21333}
RSPAMD_CTRL_PORT=$((RSPAMD_PORT + 1))
RSPAMC_PARALLEL=${RSPAMC_PARALLEL:-4}
RSPAMD_START_TIMEOUT=${RSPAMD_START_TIMEOUT:-240}
RESULTS=${RESULTS:-$BENCH_DIR/results.txt}
WARMUP_MSGS=200

usage() {
    awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "${BASH_SOURCE[0]}"
}

while [ $# -gt 0 ]; do
    case "$1" in
        --corpus) CORPUS=${2:?--corpus needs a directory}; shift 2 ;;
        --corpus=*) CORPUS=${1#*=}; shift ;;
        --limit) LIMIT=${2:?--limit needs a number}; shift 2 ;;
        --limit=*) LIMIT=${1#*=}; shift ;;
        --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
        --runs=*) RUNS=${1#*=}; shift ;;
        --median) STAT=median; shift ;;
        --rspamd-only) DO_PORTCULLIS=0; shift ;;
        --portcullis-only) DO_RSPAMD=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
# --corpus and PORTCULLIS: relative to the caller's directory if they exist there;
# the defaults (../shared/corpus, build/portcullis) are relative to the repo root.
case "$CORPUS" in /*) ;; *) [ -e "$CALLER_PWD/$CORPUS" ] && CORPUS="$CALLER_PWD/$CORPUS" ;; esac
case "$PORTCULLIS" in /*) ;; *) [ -e "$CALLER_PWD/$PORTCULLIS" ] && PORTCULLIS="$CALLER_PWD/$PORTCULLIS" ;; esac
cd "$ROOT"
case "$LIMIT" in ''|*[!0-9]*) echo "run.sh: --limit must be a number" >&2; exit 2 ;; esac
case "$STAT" in best|median) ;; *) echo "run.sh: BENCH_STAT must be best or median" >&2; exit 2 ;; esac
case "$RUNS" in ''|*[!0-9]*|0) echo "run.sh: --runs must be a positive number" >&2; exit 2 ;; esac

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }
# start_rspamd, stop_rspamd and their helpers
. "$BENCH_DIR/rspamd.sh"

if [ ! -d "$CORPUS" ]; then
    echo "SKIP: corpus directory not found: $CORPUS (nothing to benchmark)"
    exit 0
fi
CORPUS=$(cd "$CORPUS" && pwd)

# ---------------------------------------------------------------- tools
if [ ! -x /usr/bin/time ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        log "installing GNU time (package 'time')"
        apt-get install -y -qq time >/dev/null 2>&1 ||
            { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq time >/dev/null 2>&1; } ||
            die "could not install package 'time'"
    else
        die "/usr/bin/time (GNU time) is missing: apt-get install time"
    fi
fi
if [ "$DO_RSPAMD" = 1 ]; then
    command -v rspamd >/dev/null && command -v rspamc >/dev/null ||
        die "rspamd/rspamc not installed (apt-get install rspamd), or use --portcullis-only"
fi
if [ "$DO_PORTCULLIS" = 1 ]; then
    [ -x "$PORTCULLIS" ] ||
        die "scanner binary '$PORTCULLIS' not found or not executable (build it, set PORTCULLIS=path, or use --rspamd-only)"
fi
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------- temp dir and cleanup
TMP=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-bench.XXXXXX")

# cp --parents copies the corpus' read-only directory modes; make our copies of the
# DIRECTORIES writable so the tree can be removed.  Never chmod the files: they are hard
# links, a chmod would change the shared corpus.
writable_dirs() { find "$1" -type d ! -perm -u+w -exec chmod u+w {} + 2>/dev/null || true; }

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_rspamd
    if [ "${KEEP_TMP:-0}" = 1 ] || [ $rc -ne 0 ]; then
        log "temp dir kept: $TMP"
    else
        writable_dirs "$TMP"
        rm -rf "$TMP"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- file list
LIST=$TMP/files.lst   # NUL-separated absolute paths, sorted
find "$CORPUS" -type f -name '*.eml' -print0 | sort -z > "$TMP/all.lst"
if [ "$LIMIT" -gt 0 ]; then
    head -z -n "$LIMIT" "$TMP/all.lst" > "$LIST"
else
    mv "$TMP/all.lst" "$LIST"
fi
NMSG=$(tr -cd '\0' < "$LIST" | wc -c)
[ "$NMSG" -gt 0 ] || { echo "SKIP: no .eml files under $CORPUS"; exit 0; }
BYTES=$(xargs -0 stat -c %s < "$LIST" | awk '{s += $1} END {printf "%d", s}')
MB=$(awk -v b="$BYTES" 'BEGIN {printf "%.1f", b / 1e6}')

# portcullis scans a directory, and reads every file in it (the corpus root also holds
# README.md and a 2 MB index.tsv): give it a private tree of hard links to exactly the
# listed .eml files, same relative paths.  Plain copies if hard links are not possible.
SCAN_DIR=$TMP/corpus
mkdir -p "$SCAN_DIR"
sed -z "s|^$(printf '%s' "$CORPUS" | sed 's/[][\\.*^$|]/\\&/g')/||" "$LIST" > "$TMP/rel.lst"
if ! (cd "$CORPUS" && xargs -0 cp -l --parents -t "$SCAN_DIR" < "$TMP/rel.lst") 2> "$TMP/cp.err"; then
    writable_dirs "$SCAN_DIR"; rm -rf "$SCAN_DIR"; mkdir -p "$SCAN_DIR"
    (cd "$CORPUS" && xargs -0 cp --parents -t "$SCAN_DIR" < "$TMP/rel.lst") ||
        die "cannot build the scan tree under $SCAN_DIR"
fi
writable_dirs "$SCAN_DIR"
[ "$(find "$SCAN_DIR" -type f | wc -l)" = "$NMSG" ] || die "scan tree under $SCAN_DIR does not hold $NMSG files"

log "corpus: $CORPUS  messages: $NMSG  size: $MB MB  runs per tool: $RUNS ($STAT reported)"
log "warming the page cache"
xargs -0 cat < "$LIST" > /dev/null

# ---------------------------------------------------------------- helpers
median() {  # median of the numbers given as arguments
    printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {
        if (NR == 0) { print "NA"; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

pick() {  # the reported value of several runs: minimum (best) or median
    if [ "$STAT" = median ]; then median "$@"; else printf '%s\n' "$@" | awk 'NR == 1 || $1 < m {m = $1} END {print m}'; fi
}

maxof() { printf '%s\n' "$@" | awk 'NR == 1 || $1 > m {m = $1} END {print m}'; }

proc_ticks() {  # utime+stime of one pid, in clock ticks
    local s
    s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
    s=${s##*) }
    # shellcheck disable=SC2086
    set -- $s
    echo $(( ${12} + ${13} ))
}

# ---------------------------------------------------------------- rspamd: config and start
RS_DIR=$TMP/rspamd

rspamc_feed() {  # $1 = NUL list, $2 = output file
    xargs -0 -r rspamc -h "127.0.0.1:$RSPAMD_PORT" -j --compact -t 120 -n "$RSPAMC_PARALLEL" \
        < "$1" > "$2" 2>> "$RS_DIR/rspamc.stderr" || true
}

workers_ticks() {
    local t=0 p
    for p in $RSPAMD_WORKERS; do t=$((t + $(proc_ticks "$p"))); done
    echo "$t"
}

# ---------------------------------------------------------------- run
P_WALL=NA; P_CPU=NA; P_RSS=NA; P_LINES=NA
R_WALL=NA; R_CPU=NA; R_RSS=NA; R_RESULTS=NA; R_ERRORS=NA; R_DNS=NA; R_SYMS=NA
p_walls=(); p_cpus=(); p_rsss=()
r_walls=(); r_cpus=(); r_results=()

LOAD_START=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$LOAD_START" 'BEGIN {exit !(l > 0.75)}'; then
    log "WARNING: load average is $LOAD_START before we start: something else is using the CPUs,"
    log "         figures (wall time most of all) will be noisy; best-of-$RUNS helps but is no cure"
fi

if [ "$DO_RSPAMD" = 1 ]; then
    start_rspamd   # first: fail fast; it only idles while our scanner runs
    head -z -n "$WARMUP_MSGS" "$LIST" > "$TMP/warmup.lst"
    log "rspamd: warm-up with $(tr -cd '\0' < "$TMP/warmup.lst" | wc -c) messages (not counted)"
    rspamc_feed "$TMP/warmup.lst" "$TMP/rspamd.warmup.out"
    grep -q '"symbols"' "$TMP/rspamd.warmup.out" ||
        die "rspamd warm-up returned no results (see $RS_DIR/rspamc.stderr and $RS_DIR/log/rspamd.log)"
fi

if [ "$DO_PORTCULLIS" = 1 ]; then
    log "portcullis: untimed check run: $PORTCULLIS scan $SCAN_DIR"
    rc=0
    "$PORTCULLIS" scan "$SCAN_DIR" > "$TMP/portcullis.out" 2> "$TMP/portcullis.err" || rc=$?
    [ $rc = 0 ] || { tail -n 20 "$TMP/portcullis.err" >&2; die "'$PORTCULLIS scan' exited with status $rc"; }
    P_LINES=$(wc -l < "$TMP/portcullis.out")
    # one JSON line per message; an mbox file can hold several messages, so more lines than
    # files is not by itself wrong, fewer is
    if [ "$P_LINES" -lt "$NMSG" ]; then
        log "WARNING: portcullis printed $P_LINES result lines for $NMSG files (expected at least one per file)"
    else
        log "portcullis printed $P_LINES result lines for $NMSG files"
    fi
fi

pdb_walls=(); pdb_cpus=()
portcullis_db_run() {  # timed run $1 with a fresh campaign/history store
    local i=$1 w u s m x
    rm -f "$TMP/store.db" "$TMP/store.db-wal" "$TMP/store.db-shm"
    /usr/bin/time -f '%e %U %S %M %x' -o "$TMP/time.db.$i" \
        "$PORTCULLIS" scan --db "$TMP/store.db" "$SCAN_DIR" > /dev/null 2>> "$TMP/portcullis.err" || true
    read -r w u s m x < <(tail -n 1 "$TMP/time.db.$i")
    [ "$x" = 0 ] || die "portcullis --db run $i exited with status $x"
    pdb_walls+=("$w"); pdb_cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')")
    log "  portcullis --db run $i: wall ${w}s user ${u}s sys ${s}s maxrss ${m}KB"
}

portcullis_run() {  # timed run $1
    local i=$1 w u s m x
    /usr/bin/time -f '%e %U %S %M %x' -o "$TMP/time.$i" \
        "$PORTCULLIS" scan "$SCAN_DIR" > /dev/null 2>> "$TMP/portcullis.err" || true
    read -r w u s m x < <(tail -n 1 "$TMP/time.$i")
    [ "$x" = 0 ] || die "portcullis run $i exited with status $x"
    p_walls+=("$w"); p_cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')"); p_rsss+=("$m")
    log "  portcullis run $i: wall ${w}s user ${u}s sys ${s}s maxrss ${m}KB"
}

rspamd_pass() {  # timed pass $1
    local i=$1 t0 t1 s0 s1 w c ok now
    t0=$(workers_ticks); s0=$(date +%s.%N)
    rspamc_feed "$LIST" "$TMP/rspamd.$i.out"
    s1=$(date +%s.%N); t1=$(workers_ticks)
    now=$(rspamd_workers | tr '\n' ' ')
    [ "$now" = "$RSPAMD_WORKERS" ] ||
        die "rspamd worker restarted during pass $i (was: $RSPAMD_WORKERS now: $now); see $RS_DIR/log/rspamd.log"
    w=$(awk -v a="$s0" -v b="$s1" 'BEGIN {printf "%.3f", b - a}')
    c=$(awk -v a="$t0" -v b="$t1" -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", (b - a) / hz}')
    # one result line per message; count distinct file names that got an action
    ok=$(grep -a '"action"' "$TMP/rspamd.$i.out" | grep -ao '"filename":"[^"]*"' | sort -u | wc -l || true)
    r_walls+=("$w"); r_cpus+=("$c"); r_results+=("$ok")
    log "  rspamd pass $i: wall ${w}s worker cpu ${c}s results $ok/$NMSG"
}

# Interleaved (ours, theirs, ours, theirs, ...) so that background load hits both alike.
log "timed: $RUNS x portcullis / rspamd interleaved (rspamc -n $RSPAMC_PARALLEL), reporting the $STAT"
for i in $(seq 1 "$RUNS"); do
    if [ "$DO_PORTCULLIS" = 1 ]; then portcullis_run "$i"; portcullis_db_run "$i"; fi
    if [ "$DO_RSPAMD" = 1 ]; then rspamd_pass "$i"; fi
done
LOAD_END=$(cut -d' ' -f1 /proc/loadavg)

if [ "$DO_PORTCULLIS" = 1 ]; then
    P_WALL=$(pick "${p_walls[@]}")
    P_CPU=$(pick "${p_cpus[@]}")
    P_RSS=$(maxof "${p_rsss[@]}")   # KB
    PDB_WALL=$(pick "${pdb_walls[@]}")
    PDB_CPU=$(pick "${pdb_cpus[@]}")
    # issue 5: throughput with the store (campaigns + history) over throughput without
    STORE_SHARE=$(awk -v a="$P_WALL" -v b="$PDB_WALL" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "NA"}')
else
    PDB_WALL=NA; PDB_CPU=NA; STORE_SHARE=NA
fi

if [ "$DO_RSPAMD" = 1 ]; then
    R_WALL=$(pick "${r_walls[@]}")
    R_CPU=$(pick "${r_cpus[@]}")
    R_RESULTS=$(printf '%s\n' "${r_results[@]}" | awk 'NR == 1 || $1 < m {m = $1} END {print m}')   # worst pass
    R_ERRORS=$((NMSG - R_RESULTS))
    R_RSS=0
    for p in $RSPAMD_WORKERS; do
        h=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
        [ "${h:-0}" -gt "$R_RSS" ] && R_RSS=$h
    done
    # Sanity: results carry symbols; nothing did DNS.
    last=$TMP/rspamd.$RUNS.out
    R_SYMS=$(awk '{n += gsub(/"metric_score"/, "")} END {if (NR) printf "%.1f", n / NR; else print 0}' "$last")
    sample_syms=$(awk 'NR == 1 {while (k < 8 && match($0, /"name":"[A-Z0-9_]+"/)) {
        printf "%s ", substr($0, RSTART + 8, RLENGTH - 9); $0 = substr($0, RSTART + RLENGTH); k++}}' "$last")
    R_DNS=$(grep -ac 'dns req: [1-9]' "$RS_DIR/log/rspamd.log" || true)
    logged=$(grep -ac 'rspamd_task_write_log' "$RS_DIR/log/rspamd.log" || true)
    log "rspamd check: $R_RESULTS/$NMSG results (worst pass), avg $R_SYMS symbols/msg, sample: $sample_syms"
    log "rspamd check: $logged tasks logged, $R_DNS of them issued DNS requests (should be 0)"
    [ "$R_ERRORS" = 0 ] || log "WARNING: $R_ERRORS messages got no rspamd result (see $RS_DIR/rspamc.stderr)"
    [ "$R_DNS" = 0 ] || log "WARNING: some rspamd checks still tried DNS (to a dead resolver): config needs a look"
    stop_rspamd
fi

# ---------------------------------------------------------------- report
# derived figures: msgs/s (wall), CPU ms/msg, msgs/s per core, MB/s (wall), MB/s per core, RSS MB
derive() {  # $1 wall s, $2 cpu s, $3 rss KB -> "msgs_s cpu_ms msgs_core mb_s mb_core rss_mb"
    awk -v n="$NMSG" -v b="$BYTES" -v w="$1" -v c="$2" -v r="$3" 'BEGIN {
        if (w == "NA") { print "NA NA NA NA NA NA"; exit }
        if (w <= 0) w = 0.01                       # below GNU time resolution
        if (c > 0) printf "%.1f %.3f %.1f %.2f %.2f %.1f\n", n / w, c * 1000 / n, n / c, b / 1e6 / w, b / 1e6 / c, r / 1024
        else       printf "%.1f NA NA %.2f NA %.1f\n", n / w, b / 1e6 / w, r / 1024 }'
}
read -r P_MSGS P_CPUMS P_CORE P_MBS P_MBCORE P_RSSMB < <(derive "$P_WALL" "$P_CPU" "$P_RSS")
read -r R_MSGS R_CPUMS R_CORE R_MBS R_MBCORE R_RSSMB < <(derive "$R_WALL" "$R_CPU" "$R_RSS")
for c in "$P_CPU" "$R_CPU"; do
    if [ "$c" != NA ] && awk -v c="$c" 'BEGIN {exit !(c < 2)}'; then
        log "WARNING: a tool used under 2 s of CPU in all: its CPU figures (10 ms ticks) are coarse"
        break
    fi
done
RATIO=NA
if [ "$P_CORE" != NA ] && [ "$R_CORE" != NA ]; then
    RATIO=$(awk -v p="$P_CORE" -v r="$R_CORE" 'BEGIN {if (r > 0) printf "%.2f", p / r; else print "NA"}')
fi

echo
echo "Corpus: $CORPUS ($NMSG messages, $MB MB); $STAT of $RUNS runs per tool; $(nproc) CPUs; load avg $LOAD_START -> $LOAD_END"
printf '%-11s %8s %10s %11s %12s %8s %11s %13s\n' tool messages 'msgs/s' 'CPU ms/msg' 'msgs/s/core' 'MB/s' 'MB/s/core' 'peak RSS MB'
if [ "$DO_PORTCULLIS" = 1 ]; then
    printf '%-11s %8s %10s %11s %12s %8s %11s %13s\n' portcullis "$NMSG" "$P_MSGS" "$P_CPUMS" "$P_CORE" "$P_MBS" "$P_MBCORE" "$P_RSSMB"
fi
if [ "$DO_RSPAMD" = 1 ]; then
    printf '%-11s %8s %10s %11s %12s %8s %11s %13s\n' rspamd "$R_RESULTS" "$R_MSGS" "$R_CPUMS" "$R_CORE" "$R_MBS" "$R_MBCORE" "$R_RSSMB"
fi
echo
echo "  msgs/s and MB/s: wall clock; CPU = user+sys (portcullis: whole process; rspamd: its one"
echo "  normal worker process, from /proc/PID/stat); msgs/s/core = 1000 / CPU ms per msg."
if [ "$STORE_SHARE" != NA ]; then
    echo
    echo "portcullis scan --db (campaigns and history in a fresh SQLite store): wall ${PDB_WALL}s,"
    echo "  cpu ${PDB_CPU}s; throughput with the store / without: $STORE_SHARE"
fi
if [ "$RATIO" != NA ]; then
    echo
    echo "ratio (portcullis msgs/s/core / rspamd msgs/s/core): $RATIO"
fi

STAMP=$(date -u +%Y-%m-%dT%H:%M:%SZ)
REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)
{
    printf '%s rev=%s host_cpus=%s corpus=%s files=%s bytes=%s runs=%s stat=%s load=%s,%s' \
        "$STAMP" "$REV" "$(nproc)" "$CORPUS" "$NMSG" "$BYTES" "$RUNS" "$STAT" "$LOAD_START" "$LOAD_END"
    printf ' portcullis=%s p_wall_s=%s p_cpu_s=%s p_msgs_s=%s p_cpu_ms_msg=%s p_msgs_s_core=%s p_mb_s=%s p_rss_mb=%s' \
        "$( [ "$DO_PORTCULLIS" = 1 ] && echo "$PORTCULLIS" || echo NA)" "$P_WALL" "$P_CPU" "$P_MSGS" "$P_CPUMS" "$P_CORE" "$P_MBS" "$P_RSSMB"
    printf ' rspamd=%s r_wall_s=%s r_cpu_s=%s r_msgs_s=%s r_cpu_ms_msg=%s r_msgs_s_core=%s r_mb_s=%s r_rss_mb=%s r_results=%s r_errors=%s r_dns_tasks=%s rspamc_n=%s' \
        "$( [ "$DO_RSPAMD" = 1 ] && rspamd --version 2>/dev/null | awk '{print $NF; exit}' || echo NA)" \
        "$R_WALL" "$R_CPU" "$R_MSGS" "$R_CPUMS" "$R_CORE" "$R_MBS" "$R_RSSMB" "$R_RESULTS" "$R_ERRORS" "$R_DNS" "$RSPAMC_PARALLEL"
    printf ' pdb_wall_s=%s pdb_cpu_s=%s store_share=%s' "$PDB_WALL" "$PDB_CPU" "$STORE_SHARE"
    printf ' ratio_per_core=%s\n' "$RATIO"
} >> "$RESULTS"
log "result line appended to $RESULTS"
