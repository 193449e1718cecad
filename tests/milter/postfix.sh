#!/bin/sh
# A private Postfix instance on loopback for the milter integration test.
#
#   postfix.sh start  DIR SMTP_PORT MILTER_SPEC DEFAULT_ACTION
#   postfix.sh reload DIR MILTER_SPEC DEFAULT_ACTION
#   postfix.sh stop   DIR
#   postfix.sh queue  DIR      (number of messages still queued)
#   postfix.sh flush  DIR      (postqueue -f)
#   postfix.sh list   DIR      (what queue counts: each file, its envelope)
#
# Everything lives under DIR: etc/ (main.cf, master.cf, vmailbox), queue/,
# data/, Maildir/ (every recipient of the test domains) and maillog.
# MILTER_SPEC is a smtpd_milters value (inet:127.0.0.1:8899) or "none";
# DEFAULT_ACTION is accept or tempfail. Needs root (postfix start does).
#
# Release by re-injection (what the quarantine does) goes through the same
# instance and is not filtered again (non_smtpd_milters is empty):
#   /usr/sbin/sendmail -C DIR/etc -i -f sender@example.org -- rcpt@example.test < msg.eml
# The null sender: -f '' or -f '<>'. sendmail parses the -f argument as an
# RFC 822 address, so both give from=<> (Return-Path: <>); checked in
# harness_test.sh. Mail to anything@defer.test waits in the deferred queue
# until "flush" (for testing queue/flush).
set -u

die() { echo "postfix.sh: $*" >&2; exit 1; }

# "sendmail -C DIR/etc" and "postqueue -c DIR/etc" run by a user other than
# root (the milter may be one) refuse a config directory that the default
# configuration does not list in alternate_config_directories; so DIR/etc is
# added there by start and removed by stop. The edit is serialised with
# flock: instances start in parallel. (maillog_file_prefixes must cover
# maillog_file only in the instance's own main.cf: checked here.)
DEFAULT_CF=/etc/postfix/main.cf
LOCK=/etc/postfix/.portcullis-test.lock

# Postfix re-reads a configuration file or texthash table (0.3 s pauses, up
# to ~2.5 s, in every process) until its mtime is 2 s old, in case it is
# still being written. Ours are complete (postconf -e renames a finished
# file), so date them back.
settle() { touch -d '10 seconds ago' "$@"; }

# register add|del DIR: add or drop DIR/etc in the default main.cf.
register() {
	mkdir -p /etc/postfix || return 1
	(
		flock 9 || exit 1
		[ -f "$DEFAULT_CF" ] || : >"$DEFAULT_CF" || exit 1
		acd=$(postconf -c /etc/postfix -h alternate_config_directories) &&
			acd=$(edit_list "$1" "$acd" "$2/etc") &&
			postconf -c /etc/postfix -e "alternate_config_directories = $acd" &&
			settle "$DEFAULT_CF"
	) 9>"$LOCK"
}

# edit_list add|del LIST VALUE: the comma list without VALUE, plus VALUE for add.
# (Runs in $(...): set -f stays local.)
edit_list() {
	set -f
	new=
	for v in $(printf '%s\n' "$2" | tr ',' ' '); do
		[ "$v" = "$3" ] || new=${new:+$new, }$v
	done
	[ "$1" = add ] && new=${new:+$new, }$3
	printf '%s\n' "$new"
}

master_pid() {
	f=$1/queue/pid/master.pid
	[ -r "$f" ] || return 1
	pid=$(tr -dc 0-9 <"$f")
	[ -n "$pid" ] && alive "$pid" && echo "$pid"
}

# The sandbox's init reaps orphans late: a zombie counts as gone.
alive() {
	st=$(ps -o stat= -p "$1") || return 1
	case $st in Z*) return 1 ;; esac
}

# Postfix listens with SO_REUSEPORT: a second instance on a port already
# in use starts fine and the kernel then splits connections between the
# two. So check that nothing listens there first (SO_REUSEADDR alone still
# fails against a listener, not against TIME_WAIT leftovers).
port_free() {
	python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError as e:
    sys.exit("postfix.sh: 127.0.0.1:%s is in use: %s" % (sys.argv[1], e.strerror))' "$1"
}

# wait_banner PORT BANNER SECONDS: until the port answers "220 BANNER".
wait_banner() {
	python3 - "$@" <<'EOF'
import socket, sys, time
port, want, limit = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
end = time.monotonic() + limit
while time.monotonic() < end:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.settimeout(5)
            banner = s.recv(512).decode("ascii", "replace").rstrip()
            s.sendall(b"QUIT\r\n")
            if banner == "220 " + want:
                sys.exit(0)
            sys.exit("port %d answers a different server: %r" % (port, banner))
    except OSError:
        time.sleep(0.2)
sys.exit("no SMTP banner on 127.0.0.1:%d after %gs" % (port, limit))
EOF
}

# check_milter MILTER_SPEC DEFAULT_ACTION: sets $milters ("none" -> empty)
check_milter() {
	case $2 in accept | tempfail) ;; *) die "DEFAULT_ACTION must be accept or tempfail, not '$2'" ;; esac
	[ -n "$1" ] || die "MILTER_SPEC is empty (use none)"
	milters=$1
	[ "$milters" = none ] && milters=
	return 0
}

cmd_start() {
	[ $# -eq 4 ] || die "usage: start DIR SMTP_PORT MILTER_SPEC DEFAULT_ACTION"
	port=$2
	case $port in '' | *[!0-9]*) die "bad port '$port'" ;; esac
	check_milter "$3" "$4"
	mkdir -p "$1" || exit 1
	dir=$(cd "$1" && pwd -P) || exit 1
	case $dir in *[[:space:],]*) die "DIR must not contain spaces or commas: $dir" ;; esac
	master_pid "$dir" >/dev/null && die "already running in $dir"
	port_free "$port" || exit 1
	etc=$dir/etc
	host=pc-test-$port.localdomain
	banner="$host ESMTP portcullis-test $(printf '%s' "$dir" | cksum | cut -d' ' -f1)"

	# mktemp -d makes DIR 0700: the postfix user must reach queue/ and data/
	# (and so search every directory above DIR: not changed here).
	chmod 755 "$dir" || exit 1
	su postfix -s /bin/sh -c 'test -x "$1"' - "$dir" ||
		die "the postfix user cannot reach $dir: make the directories above it searchable (chmod o+x)"
	mkdir -p "$etc" "$dir/queue" "$dir/data" "$dir/Maildir/new" "$dir/Maildir/cur" "$dir/Maildir/tmp" || exit 1
	chown postfix "$dir/data" || exit 1
	# virtual(8) delivers as nobody (virtual_uid_maps): it owns the Maildir.
	chown -R nobody:nogroup "$dir/Maildir" || exit 1
	: >>"$dir/maillog"

	cat >"$etc/vmailbox" <<-EOF
		@example.test Maildir/
		@example.org Maildir/
		@example.net Maildir/
		@parliament.test Maildir/
		@defer.test Maildir/
	EOF

	# defer.test is delivered by "vdefer", a virtual(8) held by
	# defer_transports: its mail waits in the deferred queue for a flush.
	printf 'defer.test vdefer:\n' >"$etc/transport"

	cat >"$etc/main.cf" <<-EOF
		compatibility_level = 3.6
		queue_directory = $dir/queue
		data_directory = $dir/data
		maillog_file = $dir/maillog
		maillog_file_prefixes = $dir
		myhostname = $host
		smtpd_banner = $banner
		mydomain = localdomain
		myorigin = \$myhostname
		inet_interfaces = 127.0.0.1
		inet_protocols = ipv4
		mynetworks = 127.0.0.0/8
		smtpd_recipient_restrictions = permit_mynetworks, reject
		message_size_limit = 20971520
		# no local delivery, nothing leaves: every other address gets an error
		mydestination =
		alias_maps =
		alias_database =
		local_transport = error:local delivery is disabled
		default_transport = error:no outside delivery in tests
		relay_transport = error:no outside delivery in tests
		notify_classes =
		biff = no
		virtual_mailbox_domains = example.test, example.org, example.net, parliament.test, defer.test
		virtual_mailbox_base = $dir
		virtual_mailbox_maps = texthash:$etc/vmailbox
		virtual_uid_maps = static:65534
		virtual_gid_maps = static:65534
		smtpd_milters = $milters
		milter_default_action = $4
		milter_protocol = 6
		non_smtpd_milters =
		milter_connect_timeout = 5s
		milter_command_timeout = 30s
		milter_content_timeout = 60s
		default_process_limit = 50
		smtpd_client_connection_count_limit = 50
		# no flow-control pause at MAIL FROM (default 1 s when arrival
		# outpaces delivery): latencies should be smtpd's and the milter's
		in_flow_delay = 0
		transport_maps = texthash:$etc/transport
		defer_transports = vdefer
	EOF

	# Only what this setup uses; no chroot (the queue has no /etc copies);
	# the port-25 "smtp inet" service is replaced by 127.0.0.1:PORT.
	cat >"$etc/master.cf" <<-EOF
		127.0.0.1:$port inet n - n - - smtpd
		pickup     unix  n - n 60 1 pickup
		cleanup    unix  n - n -  0 cleanup
		qmgr       unix  n - n 300 1 qmgr
		rewrite    unix  - - n -  - trivial-rewrite
		bounce     unix  - - n -  0 bounce
		defer      unix  - - n -  0 bounce
		trace      unix  - - n -  0 bounce
		verify     unix  - - n -  1 verify
		flush      unix  n - n 1000? 0 flush
		proxymap   unix  - - n -  - proxymap
		showq      unix  n - n -  - showq
		error      unix  - - n -  - error
		retry      unix  - - n -  - error
		discard    unix  - - n -  - discard
		virtual    unix  - n n -  - virtual
		vdefer     unix  - n n -  - virtual
		anvil      unix  - - n -  1 anvil
		scache     unix  - - n -  1 scache
		postlog    unix-dgram n - n - 1 postlogd
	EOF

	settle "$etc/main.cf" "$etc/master.cf" "$etc/vmailbox" "$etc/transport" || exit 1
	trap 'fail_start "$dir"' EXIT
	trap 'exit 1' INT TERM HUP
	register add "$dir" || die "cannot register $etc in $DEFAULT_CF"
	postfix -c "$etc" start >>"$dir/maillog" 2>&1 || exit 1
	wait_banner "$port" "$banner" 20 >>"$dir/maillog" 2>&1 || exit 1
	trap - EXIT INT TERM HUP
}

fail_start() {
	echo "postfix.sh: start failed in $1; maillog:" >&2
	tail -n 30 "$1/maillog" >&2
	cmd_stop "$1" >/dev/null 2>&1
	exit 1
}

# pids of this instance's processes: Postfix daemons run in queue_directory.
instance_pids() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/cwd" 2>/dev/null)" = "$1/queue" ] && echo "${p#/proc/}"
	done
}

cmd_stop() {
	[ $# -eq 1 ] || die "usage: stop DIR"
	dir=$(cd "$1" && pwd -P) || exit 1
	master_pid "$dir" >/dev/null && postfix -c "$dir/etc" stop >>"$dir/maillog" 2>&1
	# the master stops its children and exits; wait up to 10 s, then kill
	i=0
	while [ -n "$(instance_pids "$dir")" ] && [ $i -lt 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	for pid in $(instance_pids "$dir"); do
		echo "postfix.sh: killing leftover $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline")" >&2
		kill -KILL "$pid"
	done
	register del "$dir"
}

cmd_reload() {
	[ $# -eq 3 ] || die "usage: reload DIR MILTER_SPEC DEFAULT_ACTION"
	dir=$(cd "$1" && pwd -P) || exit 1
	master_pid "$dir" >/dev/null || die "not running in $dir"
	check_milter "$2" "$3"
	postconf -c "$dir/etc" -e "smtpd_milters = $milters" "milter_default_action = $3" &&
		settle "$dir/etc/main.cf" &&
		postfix -c "$dir/etc" reload >>"$dir/maillog" 2>&1
}

cmd_queue() {
	[ $# -eq 1 ] || die "usage: queue DIR"
	# The queue files postqueue -p lists (maildrop too); counting them
	# works with or without a running showq.
	q=$1/queue
	n=0
	for sub in maildrop incoming active deferred hold; do
		[ -d "$q/$sub" ] && n=$((n + $(find "$q/$sub" -type f | wc -l)))
	done
	echo "$n"
}

# For a failed check: the files queue counts, each with its sender and
# recipients (postcat -e), so that an unexpected one can be named.
cmd_list() {
	[ $# -eq 1 ] || die "usage: list DIR"
	q=$1/queue
	for sub in maildrop incoming active deferred hold; do
		[ -d "$q/$sub" ] || continue
		find "$q/$sub" -type f | while read -r f; do
			echo "${f#"$q"/} $(ls -l "$f" | awk '{print $5 " bytes"}')"
			postcat -c "$1/etc" -e "$f" 2>&1 | grep -E '^(sender|recipient|original_recipient|message_arrival_time):' |
				sed 's/^/    /'
		done
	done
}

cmd_flush() {
	[ $# -eq 1 ] || die "usage: flush DIR"
	postqueue -c "$1/etc" -f
}

[ $# -ge 1 ] || die "usage: postfix.sh start|stop|reload|queue|list|flush DIR ..."
cmd=$1
shift
case $cmd in
start | stop | reload | queue | list | flush) "cmd_$cmd" "$@" ;;
*) die "unknown command '$cmd'" ;;
esac
