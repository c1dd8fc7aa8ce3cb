#!/usr/bin/env bash
# run.sh - build and run the libFuzzer targets of tests/fuzz (see README).
#
#   tests/fuzz/run.sh [-Bc] [-b dir] [-n runs] [-T seconds] [-t seconds]
#       [name ...]
#
# -b  build directory (default build-fuzz, relative to the top)
# -n  inputs to run per target (default 5000), at most -T seconds each
#     (default 60); -t: run for that many seconds instead (long runs)
# -B  build only
# -c  start from the seeds alone (forget the corpus grown so far), so that
#     a run is the same every time (CI)
# Every target (default: all of tests/fuzz/*.c) is built against a libp9
# compiled with clang -fsanitize=fuzzer-no-link,address,undefined, seeded
# (tests/fuzz/seeds/NAME/ and what the target writes with FUZZ_SEEDS=DIR)
# and run from its corpus in DIR/tests/fuzz/corpus/NAME, which grows.
# Crashes land in DIR/tests/fuzz/crash/NAME/.  Prints one line per target,
# "fuzz NAME: ok (...)" or "fuzz NAME: FAILED", and exits non-zero if any
# failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=build-fuzz runs=5000 cap=60 secs= buildonly=0 fresh=0
while getopts b:cn:T:t:B opt; do
	case $opt in
	c) fresh=1 ;;
	b) dir=$OPTARG ;;
	n) runs=$OPTARG ;;
	T) cap=$OPTARG ;;
	t) secs=$OPTARG ;;
	B) buildonly=1 ;;
	*) echo "usage: run.sh [-Bc] [-b dir] [-n runs] [-T seconds]" \
	       "[-t seconds] [name ...]" >&2
	   exit 2 ;;
	esac
done
shift $((OPTIND - 1))
case $dir in /*) ;; *) dir=$top/$dir ;; esac
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in "$top"/tests/fuzz/*.c; do
		names+=("$(basename "$f" .c)")
	done
fi
command -v clang >/dev/null || { echo "fuzz: clang is not installed" >&2; exit 1; }

san=fuzzer-no-link,address,undefined
mkdir -p "$dir"
cd "$dir" || exit 1
if [ ! -f Makefile ] || [ "$top/configure" -nt Makefile ]; then
	# static, so that the library is in the targets' coverage
	"$top/configure" CC=clang SANITIZE=$san --disable-shared \
	    --disable-vfio >configure.log 2>&1 ||
		{ tail -20 configure.log >&2; exit 1; }
fi
make -j"$(nproc)" lib/libp9.la >make.log 2>&1 ||
	{ grep -E "error|warning" make.log | head -20 >&2; tail -20 make.log >&2
	  exit 1; }

fail=0
for name in "${names[@]}"; do
	src=$top/tests/fuzz/$name.c bin=$dir/tests/fuzz/$name
	corpus=$dir/tests/fuzz/corpus/$name crash=$dir/tests/fuzz/crash/$name
	[ "$fresh" -eq 1 ] && rm -rf "$corpus"
	mkdir -p "$corpus" "$crash"
	if ! ./libtool --quiet --mode=link --tag=CC clang -g -O1 \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -pthread \
	    -include config.h -I"$top/lib" -o "$bin" "$src" lib/libp9.la \
	    >"$dir/tests/fuzz/$name.log" 2>&1; then
		echo "fuzz $name: FAILED to build"
		cat "$dir/tests/fuzz/$name.log"
		fail=1
		continue
	fi
	[ "$buildonly" -eq 1 ] && { echo "fuzz $name: built"; continue; }
	# seeds: what the target makes of tests/data, and the folder (read
	# only; libFuzzer reads it recursively)
	P9_TESTDATA=$top/tests/data FUZZ_SEEDS=$corpus "$bin" -runs=0 \
	    >/dev/null 2>>"$dir/tests/fuzz/$name.log"
	seeds=()
	[ -d "$top/tests/fuzz/seeds/$name" ] && seeds=("$top/tests/fuzz/seeds/$name")
	limit=(-runs="$runs" -max_total_time="$cap")
	[ -n "$secs" ] && limit=(-max_total_time="$secs")
	log=$dir/tests/fuzz/$name.run.log
	if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1 \
	    "$bin" "${limit[@]}" -seed=1 -timeout=30 -max_len=65536 \
	    -rss_limit_mb=4096 -print_final_stats=1 \
	    -artifact_prefix="$crash/" "$corpus" "${seeds[@]}" >"$log" 2>&1; then
		echo "fuzz $name: ok ($(grep -aE '^#[0-9]+.*(DONE|pulse)' "$log" |
		    tail -1 | sed 's/  */ /g'))"
	else
		echo "fuzz $name: FAILED (see $log, inputs in $crash)"
		grep -E 'ERROR|SUMMARY|==[0-9]+==|^session:|^decode:' "$log" |
		    head -20
		fail=1
	fi
done
exit $fail
