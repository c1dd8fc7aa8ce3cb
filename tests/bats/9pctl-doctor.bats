#!/usr/bin/env bats
# 9pctl doctor against diod (9P2000.L), p9srv (9P2000.u and 9P2000), a
# server that holds reads and one that never answers: the report says
# what each really does, the scratch directory is gone afterwards, and
# the doctor never hangs.

load helpers

setup_file() {
	export EXPORT=$BATS_FILE_TMPDIR/export
	mkdir -p "$EXPORT/keep"
	printf 'untouched\n' >"$EXPORT/keep/file"
	start_diod "$EXPORT" tcp
}

teardown_file() {
	stop_pid "$DIOD_PID"
}

setup() {
	T=$BATS_TEST_TMPDIR
}

teardown() {
	stop_pid "${SRV_PID:-}"
	stop_pid "${MUTE_PID:-}"
}

# every file below dir, with its size and mode: to see nothing changed
tree() { (cd "$1" && find . -printf '%p %s %m\n' | sort); }

# the verdict and detail of probe NAME in $output
probe() { echo "$output" | grep -E "^  $1 " | sed -E "s/^  $1 +//"; }

start_p9srv() { # start_p9srv DIR [p9srv options]: sets SRV, SRV_PID
	local dir=$1 port
	shift
	port=$(free_port)
	"$P9SRV" "$@" -l "127.0.0.1:$port" "$dir" 2>/dev/null &
	SRV_PID=$!
	wait_tcp "$port"
	SRV=tcp:127.0.0.1:$port
}

@test "doctor against diod: dialects, msize, and what diod 1.0.24 does" {
	before=$(tree "$EXPORT")
	SECONDS=0
	run "$CTL" -a "$ADDR" -A "$EXPORT" doctor
	echo "$output"
	[ "$SECONDS" -lt 60 ]
	[ "$status" -eq 1 ]	# a failure was found: ..
	[ "${lines[0]}" = "9pctl doctor: $ADDR aname $EXPORT" ]
	[[ "$output" == *$'\n  9P2000.L               yes   msize 65536\n'* ]]
	[[ "$(echo "$output" | grep '^  9P2000.u ')" == *" no    server refused version 9P2000.u"* ]]
	[[ "$(echo "$output" | grep '^  9P2000 ')" == *" no    server refused version 9P2000 "* ]]
	echo "$output" | grep -qE "^probes \(9P2000.L, msize 65536, in /\.9pctl-doctor-[A-Za-z0-9-]+-[0-9]+-[0-9a-f]{8}\):$"
	parent=$(printf '%#x' "$(stat -c %i "$EXPORT/..")")
	root=$(printf '%#x' "$(stat -c %i "$EXPORT")")
	[ "$(probe 'walk \.\. at the root')" = "FAIL  leaves the attach point: qid path $parent, the root's is $root (the folder above the export is reachable)" ]
	[[ "$(probe 'Tversion again')" == "note  fids walked before a Tversion are still there"* ]]
	[ "$(probe 'open, then unlink')" = "note  reads and writes through the open fid work; Tgetattr on it fails (ENOENT): the server looks attributes up by path" ]
	[ "$(probe 'Tunlinkat, file open')" = "note  Tunlinkat refused (EOPNOTSUPP): clients must fall back on Twalk and Tremove, which work" ]
	[ "$(probe 'rename across dirs')" = "note  Trenameat refused (EOPNOTSUPP): clients must fall back on Trename, which works" ]
	[[ "$(probe 'flush in flight')" =~ ^ok\ \ \ \ Rflush\ for\ an\ idle\ tag\;\ 8\ reads\ in\ flight\ flushed\ in\ [0-9.]+\ ms:\ [0-8]\ answered\ first,\ [0-8]\ cut\ short$ ]]
	[ "$(probe 'xattrs')" = "ok    user.9pctl-doctor set, read back, listed and removed" ]
	[[ "$(probe 'locks')" == "note  a conflicting lock waits (status 1) and Tgetlock reports it, naming the asker"* ]]
	[ "$(probe 'large directory')" = "ok    1000 entries read in $(echo "$output" | sed -nE 's/.*1000 entries read in ([0-9]+) pages.*/\1/p') pages of 512 bytes, each once" ]
	[ "$(probe 'over-long name')" = "ok    a 300-byte name is refused with ENAMETOOLONG (walk: ENAMETOOLONG)" ]
	[ "${lines[-1]}" = "summary: 4 ok, 5 notes, 1 failure" ]
	# nothing left behind, nothing touched, and diod is still up
	[ "$(tree "$EXPORT")" = "$before" ]
	kill -0 "$DIOD_PID"
}

@test "two doctors at once work in scratch directories of their own and clean both up" {
	before=$(tree "$EXPORT")
	"$CTL" -a "$ADDR" -A "$EXPORT" doctor >"$T/a" &
	a=$!
	"$CTL" -a "$ADDR" -A "$EXPORT" doctor >"$T/b" &
	b=$!
	wait "$a" || true
	wait "$b" || true
	cat "$T/a" "$T/b"
	da=$(sed -nE 's/^probes .* in \/(.*)\):$/\1/p' "$T/a")
	db=$(sed -nE 's/^probes .* in \/(.*)\):$/\1/p' "$T/b")
	[ -n "$da" ] && [ -n "$db" ] && [ "$da" != "$db" ]
	grep -q "large directory        ok    1000 entries" "$T/a"
	grep -q "large directory        ok    1000 entries" "$T/b"
	[ "$(tree "$EXPORT")" = "$before" ]
}

@test "doctor against p9srv: 9P2000.u, and 9P2000 with -V" {
	mkdir -p "$T/p9"
	printf 'keep\n' >"$T/p9/keep"
	before=$(tree "$T/p9")
	start_p9srv "$T/p9"
	run "$CTL" -a "$SRV" doctor
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$(echo "$output" | grep '^  9P2000.L ')" == *" no    server answered version '9P2000.u' msize 65536 to 9P2000.L"* ]]
	[[ "$output" == *$'\n  9P2000.u               yes   msize 65536\n  9P2000                 yes   msize 65536\n'* ]]
	[[ "$output" == *"probes (9P2000.u, msize 65536, in /.9pctl-doctor-"* ]]
	[ "$(probe 'walk \.\. at the root')" = "ok    stays at the root" ]
	[ "$(probe 'Tversion again')" = "ok    it clunks the fids" ]
	[ "$(probe 'open, then unlink')" = "ok    the open fid reads, writes and stats after its name is removed" ]
	[ "$(probe 'Tunlinkat, file open')" = "n/a   Tunlinkat is 9P2000.L; Tremove is probed above" ]
	[ "$(probe 'rename across dirs')" = "n/a   9P2000.u renames only within a directory (Twstat name), which works" ]
	[ "$(probe 'xattrs')" = "n/a   extended attributes are 9P2000.L" ]
	[ "$(probe 'locks')" = "n/a   Tlock and Tgetlock are 9P2000.L" ]
	[[ "$(probe 'large directory')" == "ok    1000 entries read in "*" pages of 512 bytes, each once" ]]
	[ "${lines[-1]}" = "summary: 6 ok, 0 notes, 0 failures, 4 not in 9P2000.u" ]
	[ "$(tree "$T/p9")" = "$before" ]
	run "$CTL" -a "$SRV" -V 9P2000 doctor -w 5
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"probes (9P2000, msize 65536, in /.9pctl-doctor-"* ]]
	[ "$(probe 'rename across dirs')" = "n/a   9P2000 renames only within a directory (Twstat name), which works" ]
	[ "${lines[-1]}" = "summary: 6 ok, 0 notes, 0 failures, 4 not in 9P2000" ]
	[ "$(tree "$T/p9")" = "$before" ]
}

@test "a server that holds reads: flush cuts them short, a held probe times out and the rest go on" {
	mkdir -p "$T/p9"
	start_p9srv "$T/p9" -S flush
	run "$CTL" -a "$SRV" doctor -w 2
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$(probe 'flush in flight')" =~ ^ok\ .*\ 8\ reads\ in\ flight\ flushed\ in\ [0-9.]+\ ms:\ 0\ answered\ first,\ 8\ cut\ short$ ]]
	stop_pid "$SRV_PID"
	# reads of the open-then-unlink probe's file are held: it gets its
	# time, its read is flushed, and the probes after it still run
	start_p9srv "$T/p9" -S unlinked
	SECONDS=0
	run "$CTL" -a "$SRV" doctor -w 1
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$SECONDS" -lt 30 ]
	[ "$(probe 'open, then unlink')" = "FAIL  no answer within 1 s (flushed)" ]
	[[ "$(probe 'large directory')" == "ok    1000 entries read in "* ]]
	[ "${lines[-1]}" = "summary: 5 ok, 0 notes, 1 failure, 4 not in 9P2000.u" ]
	[ -z "$(ls -A "$T/p9")" ]
}

@test "doctor never hangs: a server that accepts connections and never answers" {
	port=$(free_port)
	python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
held = []
while True:
    held.append(s.accept()[0])
' "$port" &
	MUTE_PID=$!
	wait_tcp "$port"
	SECONDS=0
	run timeout 60 "$CTL" -a "tcp:127.0.0.1:$port" doctor -w 1
	echo "$output"
	[ "$SECONDS" -lt 30 ]
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | grep -c ' no    no answer within 1 s$')" -eq 3 ]
	[ "${lines[-1]}" = "cannot attach: no answer within 1 s" ]
}

@test "doctor never hangs: a server that goes deaf in the middle of a probe" {
	hostile=$P9_BUILD/tests/srv/hostile
	[ -x "$hostile" ] || skip "no tests/srv/hostile in $P9_BUILD"
	port=$(free_port)
	# answers version and attach, then nothing from the first Twalk on
	"$hostile" -m deaf -t Twalk -l "127.0.0.1:$port" 2>/dev/null &
	SRV_PID=$!
	wait_tcp "$port"
	SECONDS=0
	run timeout 60 "$CTL" -a "tcp:127.0.0.1:$port" doctor -w 1
	echo "$output"
	[ "$SECONDS" -lt 30 ]
	[ "$status" -eq 1 ]
	[[ "$(probe 'walk \.\. at the root')" == "FAIL  no answer within "*" s, even to Tflush" ]]
	[ "$(probe 'over-long name')" = "skip  the server stopped answering" ]
	[[ "${lines[-1]}" == "summary: 0 ok, 0 notes, 1 failure, "*" skipped" ]]
}

@test "doctor's usage" {
	run "$CTL" -a "$ADDR" doctor -w 0
	[ "$status" -eq 2 ]
	[[ "$output" == *"-w 0: expected seconds, 1 to 3600"*"usage: 9pctl doctor [-w seconds]"* ]]
	run "$CTL" -a "$ADDR" doctor extra
	[ "$status" -eq 2 ]
}
