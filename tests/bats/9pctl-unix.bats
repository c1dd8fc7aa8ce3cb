#!/usr/bin/env bats
# 9pctl against diod over a Unix socket, and a server killed in the middle
# of RPCs.

load helpers

setup() {
	EXPORT=$BATS_TEST_TMPDIR/export
	mkdir -p "$EXPORT"
	ctl() { "$CTL" -a "$ADDR" -A "$EXPORT" "$@"; }
}

teardown() {
	stop_pid "${DIOD_PID:-}"
}

@test "version, ls -l and a 100 MiB get/put over a Unix socket" {
	start_diod "$EXPORT" unix
	[ "$(ctl version)" = "9P2000.L msize 65536" ]
	head -c $((100 << 20)) /dev/urandom >"$EXPORT/f"
	ln -s f "$EXPORT/l"
	diff <(ls -l "$EXPORT" | squeeze) <(ctl ls -l / | squeeze)
	ctl get /f "$BATS_TEST_TMPDIR/got"
	ctl put "$BATS_TEST_TMPDIR/got" /f2
	[ "$(sha256sum <"$EXPORT/f2")" = "$(sha256sum <"$EXPORT/f")" ]
	run "$CTL" -a "unix!$SOCK" -A "$EXPORT" cat /l
	[ "$status" -eq 0 ]
	[ "${#output}" -gt 0 ]
}

@test "dial forms: tcp!host!port, HOST:PORT, [::1] refused cleanly" {
	start_diod "$EXPORT" tcp
	port=${ADDR##*:}
	[ "$("$CTL" -a "tcp!127.0.0.1!$port" -A "$EXPORT" version)" = "9P2000.L msize 65536" ]
	[ "$("$CTL" -a "127.0.0.1:$port" -A "$EXPORT" version)" = "9P2000.L msize 65536" ]
	[ "$("$CTL" -a "tcp:localhost:$port" -A "$EXPORT" version)" = "9P2000.L msize 65536" ]
	# diod listens on IPv4 only: IPv6 loopback is a clear refusal
	run "$CTL" -a "[::1]:$port" -A "$EXPORT" version
	[ "$status" -eq 1 ]
	[[ "$output" == *"[::1]:$port"* ]]
}

@test "killing the server mid-RPC fails every waiting call within a second" {
	mkdir -p "$EXPORT"
	for i in $(seq 0 15); do
		yes "thread $i" | head -c 4096 >"$EXPORT/t$i"
	done
	start_diod "$EXPORT" tcp
	coproc STRESS { "$P9STRESS" -t 16 -A "$EXPORT" "$ADDR" hammer 2>&1; }
	pid=$STRESS_PID
	read -r -t 30 line <&"${STRESS[0]}"
	[ "$line" = running ]
	kill -9 "$DIOD_PID"
	read -r -t 30 line <&"${STRESS[0]}"
	echo "$line"
	[[ "$line" == "16 of 16 threads ended with an error"* ]]
	wait "$pid"
}

@test "a connection closed mid-get is an error and leaves no partial file" {
	head -c $((300 << 20)) /dev/urandom >"$EXPORT/big"
	start_diod "$EXPORT" tcp
	out=$BATS_TEST_TMPDIR/out
	mkdir "$out"
	ctl get /big "$out/got" 2>"$BATS_TEST_TMPDIR/err" &
	get=$!
	# kill the server once the transfer is under way
	for _ in $(seq 200); do
		[ "$(cat "$out"/got.9pctl-* 2>/dev/null | head -c 1048576 | wc -c)" -ge 1048576 ] && break
		sleep 0.01
	done
	kill -9 "$DIOD_PID"
	status=0
	wait "$get" || status=$?
	cat "$BATS_TEST_TMPDIR/err"
	[ "$status" -eq 1 ]
	grep -q "connection lost" "$BATS_TEST_TMPDIR/err"
	[ -z "$(ls "$out")" ]
}
