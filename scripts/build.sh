#!/usr/bin/env bash
# build.sh DIR [configure args...] - configure (again when configure or
# the arguments changed) and build 9ptools in DIR, out of tree.  Used by
# demo.sh, test.sh and the benchmarks.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
shift
mkdir -p "$top/$dir"
cd "$top/$dir"
if [ ! -f Makefile ] || [ "$top/configure" -nt Makefile ] ||
	[ "$(cat .configure-args 2>/dev/null)" != "$*" ]; then
	rm -f .configure-args
	"$top/configure" "$@" >configure.log 2>&1 || {
		tail -20 configure.log >&2
		exit 1
	}
	printf '%s' "$*" >.configure-args
fi
make -j"$(nproc)" >make.log 2>&1 || {
	grep -E "error|warning" make.log | head -40 >&2
	tail -20 make.log >&2
	exit 1
}
