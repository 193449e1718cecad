#!/bin/sh
# Installs the Debian 12 packages Portcullis needs to build, test and fuzz,
# when they are missing. Safe to run again: installed packages are skipped.
set -eu
PKGS="cmake make gcc pkg-config clang clang-format libclang-rt-14-dev python3 time libsodium-dev
libgmime-3.0-dev libmodest-dev libpsl-dev libidn2-dev libjansson-dev libssl-dev libcmocka-dev libmimalloc-dev
libicu-dev libmilter-dev libspf2-dev libopendkim-dev libopendmarc-dev libsqlite3-dev libseccomp-dev libmicrohttpd-dev
libpq-dev postgresql-15
openssl dnsmasq-base opendkim-tools groff-base swaks python3-jsonschema poppler-utils
chromium"
# the render test drives Chromium with playwright-core (npm): Node.js and npm
# from Debian unless the machine already has them
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}
missing=""
for p in $PKGS; do
	installed "$p" || missing="$missing $p"
done
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
	if ! command -v sudo >/dev/null 2>&1; then
		[ -z "$missing" ] || {
			echo "deps: missing$missing; run as root (no sudo here)" >&2
			exit 1
		}
	fi
fi
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# The milter's integration test runs a private Postfix instance (its own
# config directory, queue and port; the system's Postfix is not configured
# or started: "No configuration"). Never at the price of another MTA:
# --no-remove refuses when a package would go (exim4, say), and the test
# then skips.
if ! installed postfix; then
	echo "deps: installing postfix (unconfigured, for the milter test)"
	echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends --no-remove postfix >/dev/null ||
		echo "deps: postfix not installed (another MTA?): the milter integration test will be skipped"
fi
