#!/bin/sh
# Installs the Debian 12 packages Portcullis needs to build, test and fuzz,
# when they are missing. Safe to run again: installed packages are skipped.
set -eu
PKGS="cmake make gcc pkg-config clang clang-format libclang-rt-14-dev python3 time
libgmime-3.0-dev libmodest-dev libpsl-dev libidn2-dev libjansson-dev libssl-dev libcmocka-dev libmimalloc-dev
libicu-dev libspf2-dev libopendkim-dev libopendmarc-dev libsqlite3-dev
dnsmasq-base opendkim-tools groff-base
chromium"
# the render test drives Chromium with playwright-core (npm): Node.js and npm
# from Debian unless the machine already has them
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
