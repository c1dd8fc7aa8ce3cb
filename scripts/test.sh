#!/usr/bin/env bash
# test.sh - set up and run every test: C unit tests (TAP) built with
# AddressSanitizer and UndefinedBehaviorSanitizer, builds without VFIO and
# `make distcheck`, the bats suites against real servers, and the libFuzzer
# targets for a bounded number of inputs.  The last line is "N passed,
# N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

pass=0 fail=0 skip=0
results=$(mktemp)
note() { # note STATUS NAME
	case $1 in
	pass) pass=$((pass + 1)) ;;
	fail) fail=$((fail + 1)); echo "FAIL: $2" ;;
	skip) skip=$((skip + 1)); echo "SKIP: $2" ;;
	esac
	echo "$1 $2" >>"$results"
}
step() { # step NAME COMMAND... : a build step counts as one test
	local log="$top/build-logs/$1.log"
	mkdir -p "$top/build-logs"
	if "${@:2}" >"$log" 2>&1; then note pass "$1"; else
		note fail "$1"; tail -30 "$log"; fi
}

# 1. unit tests under ASan + UBSan
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1
if scripts/build.sh build-asan --enable-werror SANITIZE=address,undefined CC=gcc; then
	note pass "build with -fsanitize=address,undefined"
	make -C build-asan check -j"$(nproc)" >build-asan/check.log 2>&1
	for trs in build-asan/tests/unit/*.trs; do
		t=$(basename "$trs" .trs)
		while read -r _ res name; do
			case $res in
			PASS|XFAIL) note pass "unit/$t $name" ;;
			SKIP) note skip "unit/$t $name" ;;
			*) note fail "unit/$t $name" ;;
			esac
		done < <(grep '^:test-result:' "$trs" | sed 's/^:test-result: \([A-Z]*\) [0-9]* *-* */x \1 /')
		grep -q ':global-test-result: PASS' "$trs" || note fail "unit/$t (exit status)"
	done
else
	note fail "build with -fsanitize=address,undefined"
fi

# 2. the plain build (what the benchmarks and demo use), and without VFIO
step "build (-Werror)" scripts/build.sh build --enable-werror
step "build --disable-vfio" scripts/build.sh build-novfio --enable-werror --disable-vfio
step "make distcheck" make -C build distcheck -j"$(nproc)"

# 3. bats suites against real servers, with the sanitized binaries
export P9_BUILD="$top/build-asan"
if [ -x "$P9_BUILD/9pctl" ]; then
	while read -r line; do
		case $line in
		"ok "*"# skip"*) note skip "bats: ${line#ok }" ;;
		"ok "*) note pass "bats: ${line#ok }" ;;
		"not ok "*) note fail "bats: ${line#not ok }" ;;
		"#"*) echo "$line" ;;
		esac
	done < <(bats --tap tests/bats 2>&1)
fi
# 3b. the 9pctl and 9pfuse-posix suites inside a QEMU guest over virtio-9p,
# for each device kind (scripts/vm/guest-suites.sh): each guest test counts
# as one here; a guest that never boots or times out is a failure
if command -v qemu-system-x86_64 >/dev/null; then
	gs_lines=0
	mkdir -p "$top/build-logs"
	while read -r line; do
		case $line in
		"ok "*"# skip"*) note skip "guest: ${line#ok }" ;;
		"ok "*) note pass "guest: ${line#ok }" ;;
		"not ok "*) note fail "guest: ${line#not ok }" ;;
		"#"*) echo "$line"; continue ;;
		*) continue ;;
		esac
		gs_lines=$((gs_lines + 1))
	done < <(scripts/vm/guest-suites.sh "$top/build-guest-suites" 2>"$top/build-logs/guest-suites.log"; echo "# guest-suites.sh status $?")
	[ "$gs_lines" -gt 0 ] || note fail "guest suites: no results (see build-logs/guest-suites.log)"
else
	note skip "guest suites: qemu-system-x86_64 is not installed"
fi

# 4. libFuzzer targets (tests/fuzz/README): every tests/fuzz/*.c, from its
# seeds, for a bounded number of inputs; a crash, leak, sanitizer report or
# hang fails it
if command -v clang >/dev/null; then
	step "fuzz: build" tests/fuzz/run.sh -B -b build-fuzz
	for f in tests/fuzz/*.c; do
		step "fuzz: $(basename "$f" .c)" tests/fuzz/run.sh -c -b build-fuzz \
		    -n 5000 -T 40 "$(basename "$f" .c)"
	done
else
	note skip "fuzz: clang is not installed"
fi
rm -f "$results"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
