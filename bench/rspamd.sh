#!/usr/bin/env bash
# bench/rspamd.sh - a private, network-free Rspamd for the benchmarks (sourced by
# run.sh and milter.sh). The caller sets TMP, RS_DIR, RSPAMD_PORT, RSPAMD_CTRL_PORT,
# RSPAMD_START_TIMEOUT and defines log() and die(); RSPAMD_EXTRA_WORKERS is more
# rspamd.conf text (milter.sh: a proxy worker in milter mode).
RSPAMD_PID=
RSPAMD_CHILDREN=

rspamd_children() {  # pids whose parent is $1
    ps -o pid= --ppid "$1" 2>/dev/null | tr -s ' \n' ' ' || true
}

stop_rspamd() {
    [ -n "$RSPAMD_PID" ] || return 0
    local pid=$RSPAMD_PID kids i
    RSPAMD_PID=
    kids="$RSPAMD_CHILDREN $(rspamd_children "$pid")"
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    # workers exit with the main process; make sure, by pid, that none is left
    for i in $kids; do
        if kill -0 "$i" 2>/dev/null && grep -qa '^rspamd' "/proc/$i/cmdline" 2>/dev/null; then
            sleep 0.5
            kill -KILL "$i" 2>/dev/null || true
        fi
    done
}

write_rspamd_config() {
    local c=$RS_DIR/conf
    mkdir -p "$c/local.d" "$RS_DIR/db" "$RS_DIR/run" "$RS_DIR/log"
    # Top level: the stock /etc/rspamd (CONFDIR) with our own workers, paths and local.d.
    # No proxy and no fuzzy worker.  One normal worker process so CPU per core is honest.
    cat > "$c/rspamd.conf" <<EOF
.include "\$CONFDIR/common.conf"
options {
    pidfile = "\$RUNDIR/rspamd.pid";
    .include "\$CONFDIR/options.inc"
    .include(try=true; priority=1,duplicate=merge) "\$LOCAL_CONFDIR/local.d/options.inc"
}
logging {
    type = "file";
    filename = "\$LOGDIR/rspamd.log";
    .include "\$CONFDIR/logging.inc"
}
worker "normal" {
    bind_socket = "127.0.0.1:$RSPAMD_PORT";
    .include "\$CONFDIR/worker-normal.inc"
    count = 1;
    task_timeout = 60s;
}
worker "controller" {
    bind_socket = "127.0.0.1:$RSPAMD_CTRL_PORT";
    .include "\$CONFDIR/worker-controller.inc"
    count = 1;
}
${RSPAMD_EXTRA_WORKERS:-}
EOF
    # DNS goes to a dead loopback port: anything left that resolves fails at once, offline.
    # C filters: keep chartable and regexp; drop dkim (DNS keys) and fuzzy_check (network).
    cat > "$c/local.d/options.inc" <<'EOF'
filters = "chartable,regexp";
dns {
    nameserver = ["127.0.0.1:1"];
    timeout = 0.1s;
    retransmits = 1;
}
task_timeout = 60s;
EOF
    # Modules that use DNS, HTTP, Redis or external services, plus exporters/updaters.
    # (once_received: without an MTA-supplied hostname it always starts with a PTR lookup.)
    local m
    for m in rbl surbl emails dkim spf dmarc arc dkim_signing fuzzy_check fuzzy_collect \
             neural ratelimit greylist replies history_redis reputation ip_score \
             dcc antivirus external_services asn url_redirector mx_check bimi p0f \
             multimap whitelist rspamd_update dynamic_conf maps_stats clustering \
             clickhouse elastic metadata_exporter metric_exporter aws_s3 spamtrap \
             once_received bayes_expiry; do
        echo 'enabled = false;' > "$c/local.d/$m.conf"
    done
    # Local-only modules that would otherwise fetch maps over HTTP or do DNS:
    mkdir -p "$c/override.d"
    cat > "$c/override.d/phishing.conf" <<'EOF'
phishtank_enabled = false;
openphish_enabled = false;
openphish_premium = false;
exceptions = {
    REDIRECTOR_FALSE = ["${CONFDIR}/maps.d/redirectors.inc"];
};
EOF
    echo 'file = ["${CONFDIR}/maps.d/mime_types.inc"];' > "$c/override.d/mime_types.conf"
    echo 'source = { url = ["${CONFDIR}/maps.d/mid.inc"]; }' > "$c/override.d/mid.conf"
    # hfilter: the MAIL FROM host check resolves A/MX; the other (local) checks stay on.
    echo 'from_enabled = false;' > "$c/local.d/hfilter.conf"
}

rspamd_workers() {  # pids of the normal worker processes
    local p
    for p in $(rspamd_children "$RSPAMD_PID"); do
        grep -qa '^rspamd: normal process' "/proc/$p/cmdline" 2>/dev/null && echo "$p"
    done
    return 0
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_rspamd() {
    port_open "$RSPAMD_PORT" && die "127.0.0.1:$RSPAMD_PORT is already in use (set RSPAMD_PORT)"
    port_open "$RSPAMD_CTRL_PORT" && die "127.0.0.1:$RSPAMD_CTRL_PORT is already in use (set RSPAMD_PORT)"
    write_rspamd_config
    local ug=()
    [ "$(id -u)" = 0 ] && ug=(-u root -g root)
    log "starting private rspamd on 127.0.0.1:$RSPAMD_PORT (controller :$RSPAMD_CTRL_PORT), dir $RS_DIR"
    rspamd -f "${ug[@]}" -c "$RS_DIR/conf/rspamd.conf" \
        --var "CONFDIR=/etc/rspamd" \
        --var "LOCAL_CONFDIR=$RS_DIR/conf" \
        --var "DBDIR=$RS_DIR/db" \
        --var "RUNDIR=$RS_DIR/run" \
        --var "LOGDIR=$RS_DIR/log" \
        > "$RS_DIR/stdout.txt" 2>&1 < /dev/null &
    RSPAMD_PID=$!
    local logf=$RS_DIR/log/rspamd.log waited=0 ready=0
    # Ready = the normal worker listens AND has loaded the compiled hyperscan database
    # (before that it falls back to PCRE and is much slower).
    while [ $waited -lt $((RSPAMD_START_TIMEOUT * 2)) ]; do
        kill -0 "$RSPAMD_PID" 2>/dev/null || {
            tail -n 30 "$RS_DIR/stdout.txt" "$logf" >&2 2>/dev/null || true
            die "rspamd exited during start-up"; }
        if port_open "$RSPAMD_PORT" &&
           grep -Eaq '\(normal\).*hyperscan database of [0-9]+ regexps has been loaded|\(hs_helper\).*compiled 0 regular expressions' "$logf" 2>/dev/null; then
            ready=1; break
        fi
        sleep 0.5; waited=$((waited + 1))
    done
    if [ $ready = 0 ]; then
        port_open "$RSPAMD_PORT" || die "rspamd did not come up within ${RSPAMD_START_TIMEOUT}s (log: $logf)"
        log "WARNING: no 'hyperscan loaded' line from the normal worker; measuring anyway"
    fi
    RSPAMD_CHILDREN=$(rspamd_children "$RSPAMD_PID")
    RSPAMD_WORKERS=$(rspamd_workers | tr '\n' ' ')
    [ -n "$RSPAMD_WORKERS" ] || die "cannot find the rspamd normal worker process"
    log "rspamd ready after ~$((waited / 2))s; main pid $RSPAMD_PID, normal worker pid(s): $RSPAMD_WORKERS"
}
