#!/usr/bin/env bats
# Interrupts: a signal on a read the server sits on sends Tflush; the call
# returns EINTR after Rflush, or the data when the reply beats Rflush; the
# mount and 9pctl stay usable and nothing is left half-written.  The
# server is tests/srv/p9srv -S, which holds reads of "slow*" files until
# they are flushed (diod answers too fast to interrupt).

load helpers

RDINTR=$P9_BUILD/tests/stress/rdintr
FUSE=$P9_BUILD/9pfuse

setup() {
	[ -x "$P9SRV" ] || skip "tests/srv/p9srv is not built"
	EXPORT=$BATS_TEST_TMPDIR/export
	MNT=$BATS_TEST_TMPDIR/mnt
	TRACE=$BATS_TEST_TMPDIR/trace
	mkdir -p "$EXPORT" "$MNT"
	printf 'slow data\n' >"$EXPORT/slow.txt"
	printf 'fine\n' >"$EXPORT/ok.txt"
}

teardown() {
	fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true
	stop_pid "${SRV_PID:-}"
}

start_srv() { # start_srv [-F]
	local port
	port=$(free_port)
	"$P9SRV" "$@" -S slow -l "127.0.0.1:$port" "$EXPORT" 2>"$BATS_TEST_TMPDIR/srv.log" &
	SRV_PID=$!
	wait_tcp "$port"
	ADDR=tcp:127.0.0.1:$port
}

# message types of the trace, one per line, as 9ptrace decodes it
types() { "$TRACE9P" -r "$TRACE" | awk '$3 != "--" { print $3 }'; }

@test "a signal on a held read returns EINTR after Tflush/Rflush" {
	start_srv
	"$FUSE" -o cache=none,trace="$TRACE" "$ADDR" "$MNT"
	run timeout 30 "$RDINTR" "$MNT/slow.txt" 1
	[ "$status" -eq 0 ]
	[ "$output" = EINTR ]
	[ "$(types | grep -c '^Tflush$')" -ge 1 ]
	[ "$(types | grep -c '^Rflush$')" -ge 1 ]
	[ "$(cat "$MNT/ok.txt")" = fine ]
}

@test "a reply that beats Rflush is honoured: the read returns the data" {
	start_srv -F
	"$FUSE" -o cache=none,trace="$TRACE" "$ADDR" "$MNT"
	run timeout 30 "$RDINTR" "$MNT/slow.txt" 1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "read 10" ]
	[ "${lines[1]}" = "slow data" ]
	[ "$(types | grep -c '^Tflush$')" -ge 1 ]
}

@test "Ctrl-C on a read the server holds ends the reader; the mount goes on" {
	start_srv
	"$FUSE" -o cache=none,trace="$TRACE" "$ADDR" "$MNT"
	run timeout 60 "$RDINTR" -k "$MNT/slow.txt" 1
	[ "$output" = killed ]
	[ "$(types | grep -c '^Tflush$')" -ge 1 ]
	[ "$(cat "$MNT/ok.txt")" = fine ]
}

@test "Ctrl-C with the page cache (cache=mmap) ends the reader too" {
	start_srv
	"$FUSE" -o cache=mmap "$ADDR" "$MNT"
	run timeout 60 "$RDINTR" -k "$MNT/slow.txt" 1
	[ "$output" = killed ]
	[ "$(cat "$MNT/ok.txt")" = fine ]
}

@test "9pctl get interrupted by SIGINT flushes, fails and leaves no file" {
	start_srv
	out=$BATS_TEST_TMPDIR/out
	mkdir "$out"
	"$CTL" -a "$ADDR" get /slow.txt "$out/got" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	sleep 0.5
	kill -INT "$pid"
	st=0
	timeout 10 tail --pid="$pid" -f /dev/null || st=$?
	[ "$st" -eq 0 ]
	wait "$pid" || st=$?
	[ "$st" -ne 0 ]
	grep -q "Interrupted" "$BATS_TEST_TMPDIR/err"
	[ -z "$(ls "$out")" ]
}
