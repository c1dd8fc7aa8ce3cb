#!/usr/bin/env bash
# setup.sh - install what building and testing 9ptools needs on Debian
# (as root), then generate the build system.  Idempotent and quick when
# everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(build-essential autoconf automake libtool pkg-config
	libfuse3-dev fuse3 libpci-dev libreadline-dev libpcap-dev
	diod bats clang libclang-rt-14-dev mandoc python3 attr util-linux
	tmux bsdextrautils
	qemu-system-x86 busybox-static cpio tshark tcpdump)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: run as root (or install: ${missing[*]})" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -x configure ] || [ configure.ac -nt configure ] ||
	[ Makefile.am -nt Makefile.in ]; then
	autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
fi
