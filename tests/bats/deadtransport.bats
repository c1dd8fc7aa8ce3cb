#!/usr/bin/env bats
# A dead transport, without reconnection (issue #7): diod killed with
# SIGKILL while 9pfuse's readers and writers are blocked and while the
# mount is idle.  Every pending and later operation fails with EIO at once
# (the waits here are hang guards, not timings), no process is left in
# uninterruptible sleep, fusermount3 -u and umount(8) work, 9pfuse says
# why and exits cleanly (no sanitizer report), and 9pctl fails with a
# clear message and a non-zero status.  A server that is alive but silent
# (SIGSTOP) is given 5 s to answer the Tflush of a killed reader.

load helpers

setup() {
	command -v diod >/dev/null || skip "diod is not installed"
	EXPORT=$BATS_TEST_TMPDIR/export
	MNT=$BATS_TEST_TMPDIR/mnt
	T=$BATS_TEST_TMPDIR
	mkdir -p "$EXPORT/sub"
	head -c 4194304 /dev/urandom >"$EXPORT/big"
	echo hello >"$EXPORT/hello.txt"
}

teardown() {
	[ -z "${DIOD_PID:-}" ] || kill -CONT "$DIOD_PID" 2>/dev/null || true
	if mountpoint -q "$MNT" 2>/dev/null; then
		fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -uz "$MNT" || true
	fi
	stop_pid "${DIOD_PID:-}"
}

kill_diod() {
	kill -KILL "$DIOD_PID"
	wait "$DIOD_PID" 2>/dev/null || true
	DIOD_PID=
}

# state of PID: R, S, D, ...; empty once it is gone or a zombie
state() {
	local s
	s=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 0
	[ "$s" = Z ] || echo "$s"
}

# wait_gone PID...: each ends within 10 s, never seen in D state
wait_gone() {
	local p s left
	for _ in $(seq 100); do
		left=0
		for p in "$@"; do
			s=$(state "$p")
			[ "$s" != D ] || { echo "$p in D state"; return 1; }
			[ -z "$s" ] || left=1
		done
		[ "$left" -eq 1 ] || return 0
		sleep 0.1
	done
	echo "still running: $*"
	return 1
}

# opener I FILE MODE: a process that opens FILE (< or >) on descriptor 3,
# says so ($T/open.I), waits for $T/go, then reads it with bash's read
# (which, unlike cat, does not fstat first: only read(2) can block) or
# writes 4 MiB to it with dd.  Its pid is $!, its stderr $T/err.I.
opener() {
	local i=$1 file=$2 how=$3
	if [ "$how" = "<" ]; then
		(exec 3<"$file" 2>"$T/err.$i" && touch "$T/open.$i" &&
		    while [ ! -e "$T/go" ]; do sleep 0.05; done &&
		    read -r -N 4194304 x <&3 2>"$T/err.$i") &
	else
		(exec 3>"$file" 2>"$T/err.$i" && touch "$T/open.$i" &&
		    while [ ! -e "$T/go" ]; do sleep 0.05; done &&
		    exec dd if=/dev/zero bs=65536 count=64 >&3 2>"$T/err.$i") &
	fi
}

wait_file() {
	for _ in $(seq 100); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	echo "no $1"
	return 1
}

@test "diod killed while the mount is idle: every operation is EIO, fusermount3 -u works" {
	start_diod "$EXPORT"
	mount_9pfuse "$ADDR" "$EXPORT" "$MNT"
	[ "$(cat "$MNT/hello.txt")" = hello ]
	kill_diod
	for op in "cat $MNT/hello.txt" "ls $MNT" "ls $MNT/sub" "stat $MNT/big" \
	    "touch $MNT/new" "mkdir $MNT/dir" "rm $MNT/hello.txt" "df $MNT"; do
		run timeout 10 $op
		echo "$op -> $status: $output"
		[ "$status" -ne 0 ] && [ "$status" -ne 124 ]
		[[ "$output" == *"Input/output error"* ]]
	done
	fusermount3 -u "$MNT"		# not lazily: nothing holds it
	! mountpoint -q "$MNT"
	umount_9pfuse "$MNT"		# 9pfuse exited 0, no sanitizer report
	cat "$MNT.log"
	grep -q "^9pfuse: $MNT: connection lost: \(connection closed by the server\|Connection reset by peer\)" "$MNT.log"
}

@test "diod killed with readers and a writer blocked: all get EIO, none in D state, umount works" {
	start_diod "$EXPORT"
	mount_9pfuse "$ADDR" "$EXPORT" "$MNT" cache=none
	pids=()
	for i in 1 2 3; do
		opener "$i" "$MNT/big" "<"
		pids+=("$!")
	done
	opener 4 "$MNT/out" ">"
	pids+=("$!")
	for i in 1 2 3 4; do wait_file "$T/open.$i"; done
	kill -STOP "$DIOD_PID"		# from now on requests wait
	touch "$T/go"
	sleep 1
	for p in "${pids[@]}"; do
		s=$(state "$p")
		echo "$p: $s"
		[ "$s" = S ]		# blocked, interruptibly, in the file system
	done
	kill_diod
	wait_gone "${pids[@]}"
	for i in 1 2 3 4; do
		st=0
		wait "${pids[$((i - 1))]}" || st=$?
		echo "$i: $st $(cat "$T/err.$i")"
		[ "$st" -ne 0 ]
		grep -q "Input/output error" "$T/err.$i"
	done
	run timeout 10 cat "$MNT/hello.txt"
	[[ "$output" == *"Input/output error"* ]]
	umount "$MNT"			# umount(8) as well as fusermount3
	! mountpoint -q "$MNT"
	umount_9pfuse "$MNT"
}

@test "a reader killed while diod is stopped is not left in D state; the mount then fails with EIO" {
	start_diod "$EXPORT"
	mount_9pfuse "$ADDR" "$EXPORT" "$MNT" cache=none
	opener 1 "$MNT/big" "<"
	pid=$!
	wait_file "$T/open.1"
	kill -STOP "$DIOD_PID"
	touch "$T/go"
	sleep 1
	[ "$(state "$pid")" = S ]
	kill -KILL "$pid"		# in D state until its read is answered
	for _ in $(seq 200); do
		[ -n "$(state "$pid")" ] || break
		sleep 0.1
	done
	[ -z "$(state "$pid")" ]	# within 20 s: Tflush unanswered for 5 s
	run timeout 10 cat "$MNT/hello.txt"
	[[ "$output" == *"Input/output error"* ]]
	kill_diod
	fusermount3 -u "$MNT"
	umount_9pfuse "$MNT"
	grep -q "^9pfuse: $MNT: connection lost: the server did not answer Tflush in 5 s" "$MNT.log"
}

@test "9pctl: no server listening is a clear error" {
	start_diod "$EXPORT"
	kill_diod
	run timeout 10 "$CTL" -a "$ADDR" ls /
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "9pctl: $ADDR: Connection refused" ]
}

# ctl_killed HOW: 9pctl get waits on a stopped diod (over HOW), which is
# then killed: it fails at once, saying the connection was lost
ctl_killed() {
	start_diod "$EXPORT" "$1"
	"$CTL" -a "$ADDR" -A "$EXPORT" ls / >/dev/null
	kill -STOP "$DIOD_PID"
	"$CTL" -a "$ADDR" -A "$EXPORT" get /big "$T/got" 2>"$T/ctl.err" &
	pid=$!
	sleep 1
	[ "$(state "$pid")" = S ]
	kill_diod
	wait_gone "$pid"
	st=0
	wait "$pid" || st=$?
	cat "$T/ctl.err"
	[ "$st" -eq 1 ]
	grep -q "^9pctl: .*connection lost: \(connection closed by the server\|Connection reset by peer\)" "$T/ctl.err"
	! grep -E 'Sanitizer|runtime error' "$T/ctl.err"
}

@test "9pctl: diod killed in the middle of a get over TCP" {
	ctl_killed tcp
}

@test "9pctl: diod killed in the middle of a get over a Unix socket" {
	ctl_killed unix
}
