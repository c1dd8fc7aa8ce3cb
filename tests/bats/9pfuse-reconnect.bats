#!/usr/bin/env bats
# 9pfuse -o reconnect against a real diod that is killed and started
# again on the same port: a copy in progress completes byte-exact, files
# open across the restart keep working, the mount stays usable; with
# timeout= the calls fail with EIO while the server is away, and work
# again when it's back.

load helpers

setup() {
	T=$BATS_TEST_TMPDIR
	EXPORT=$T/export
	MNT=$T/mnt
	mkdir -p "$EXPORT"
	PORT=$(free_port)
	DIOD_PID=
}

teardown() {
	umount_9pfuse "$MNT" || true
	stop_pid "$DIOD_PID"
}

diod_up() {
	command -v diod >/dev/null || skip "diod is not installed"
	# not holding the tests' descriptors 7 and 8 (files on the mount:
	# the unmount would be busy)
	diod -f -n -l "127.0.0.1:$PORT" -e "$EXPORT" -L "$T/diod.log" 7<&- 8>&- &
	DIOD_PID=$!
	wait_tcp "$PORT"
}

diod_down() {
	kill -9 "$DIOD_PID"
	wait "$DIOD_PID" 2>/dev/null || true
	DIOD_PID=
}

@test "diod restarted in the middle of a 256 MiB copy: the copy completes byte-exact" {
	head -c $((256 << 20)) /dev/urandom >"$EXPORT/big.bin"
	want=$(sha256sum <"$EXPORT/big.bin")
	diod_up
	mount_9pfuse "tcp:127.0.0.1:$PORT" "$EXPORT" "$MNT" reconnect,cache=none
	cat "$MNT/big.bin" >"$T/copy" &
	cp_pid=$!
	# kill the server once a quarter has crossed
	for _ in $(seq 600); do
		[ "$(stat -c %s "$T/copy")" -ge $((64 << 20)) ] && break
		sleep 0.05
	done
	[ "$(stat -c %s "$T/copy")" -ge $((64 << 20)) ]
	[ "$(stat -c %s "$T/copy")" -lt $((256 << 20)) ]
	diod_down
	sleep 1
	# the copy waits (hard) for the server
	kill -0 "$cp_pid"
	diod_up
	wait "$cp_pid"
	[ "$(sha256sum <"$T/copy")" = "$want" ]
	# and the mount goes on
	echo after >"$MNT/after.txt"
	[ "$(cat "$EXPORT/after.txt")" = after ]
	ls "$MNT" | grep -qx big.bin
}

@test "files open across a restart keep working, for reading and for writing" {
	printf 'one\ntwo\nthree\n' >"$EXPORT/r.txt"
	mkdir -p "$EXPORT/sub/dir"
	diod_up
	mount_9pfuse "tcp:127.0.0.1:$PORT" "$EXPORT" "$MNT" reconnect,cache=none
	exec 7<"$MNT/r.txt"
	exec 8>"$MNT/sub/dir/w.txt"
	read -r l1 <&7
	echo first >&8
	diod_down
	diod_up
	read -r l2 <&7
	echo second >&8
	exec 7<&- 8>&-
	[ "$l1" = one ]
	[ "$l2" = two ]
	[ "$(cat "$EXPORT/sub/dir/w.txt")" = "$(printf 'first\nsecond')" ]
	# twice in a row
	diod_down
	diod_up
	[ "$(cat "$MNT/sub/dir/w.txt")" = "$(printf 'first\nsecond')" ]
}

@test "timeout=2: calls fail with EIO while the server is away, and work when it's back" {
	echo data >"$EXPORT/f.txt"
	diod_up
	mount_9pfuse "tcp:127.0.0.1:$PORT" "$EXPORT" "$MNT" reconnect,timeout=2,cache=none
	[ "$(cat "$MNT/f.txt")" = data ]
	diod_down
	run timeout 60 cat "$MNT/f.txt"
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]		# it failed, it did not hang
	[[ "$output" == *"Input/output error"* ]]
	cat "$MNT.log"
	# still mounted (mountpoint(1) would stat the root: EIO while away)
	grep -q " $MNT fuse" /proc/mounts
	diod_up
	for _ in $(seq 100); do
		[ "$(cat "$MNT/f.txt" 2>/dev/null)" = data ] && break
		sleep 0.1
	done
	[ "$(cat "$MNT/f.txt")" = data ]
	echo more >"$MNT/g.txt"
	[ "$(cat "$EXPORT/g.txt")" = more ]
}

@test "a trace file shows the new connection with its Tversion and the re-walks" {
	echo x >"$EXPORT/x.txt"
	diod_up
	mount_9pfuse "tcp:127.0.0.1:$PORT" "$EXPORT" "$MNT" "reconnect,cache=none,trace=$T/t.pcapng"
	exec 7<"$MNT/x.txt"
	diod_down
	diod_up
	[ "$(cat <&7)" = x ]
	exec 7<&-
	umount_9pfuse "$MNT"
	run "$TRACE9P" -r "$T/t.pcapng"
	echo "$output" | grep -v ' #1 '
	# the connection that was restored: the last with a Tattach (a try
	# that met the server still starting may come before it)
	c=$(grep -oE ' #[0-9]+ Tattach ' <<<"$output" | tail -1 | tr -dc 0-9)
	[ "$c" -ge 2 ]
	[[ "$output" == *" #$c Tversion tag 65535 "* ]]
	[[ "$output" == *" #$c Tattach tag "*" fid 0</> "* ]]
	[[ "$output" =~ \#$c\ Twalk\ tag\ [0-9]+\ fid\ 0\</\>\ newfid\ [0-9]+\</x.txt\>\ nwname\ 1\ 0:x.txt ]]
	[[ "$output" =~ \#$c\ Tlopen\ tag\ [0-9]+\ fid\ [0-9]+\</x.txt\> ]]
	[[ "$output" =~ \#$c\ Rread\ tag\ [0-9]+\ count\ 2\ \'x\\n\' ]]
}

@test "unmounted while the server is away: files closed meanwhile don't hold 9pfuse up" {
	echo x >"$EXPORT/x.txt"
	diod_up
	mount_9pfuse "tcp:127.0.0.1:$PORT" "$EXPORT" "$MNT" reconnect,cache=none
	exec 7<"$MNT/x.txt"
	[ "$(head -c 1 <&7)" = x ]
	diod_down
	# the release's Tclunk is for a fid the server forgot with the
	# connection: it must not wait for a server that never comes back
	exec 7<&-
	umount_9pfuse "$MNT"		# 9pfuse exited, status 0
	! grep -q " $MNT fuse" /proc/mounts
	cat "$MNT.log"
	! grep -q "still waiting" "$MNT.log"
}

@test "told to stop while a call waits for a server that is away: the call fails, 9pfuse exits" {
	echo x >"$EXPORT/x.txt"
	diod_up
	mount_9pfuse "tcp:127.0.0.1:$PORT" "$EXPORT" "$MNT" reconnect,cache=none
	fpid=$(pgrep -f -- "9pfuse .*tcp:127.0.0.1:$PORT $MNT\$")
	[ -n "$fpid" ]
	diod_down
	# a stat that waits (hard) for the server: once 9pfuse has it, the
	# kernel lets nothing but 9pfuse's answer end it
	stat "$MNT/x.txt" 2>"$T/stat.err" &
	spid=$!
	sleep 1
	kill -0 "$spid"
	# SIGTERM ends the FUSE session; 2 s later the calls still waiting
	# for the server are failed, so that 9pfuse can exit
	kill -TERM "$fpid"
	st=0
	timeout 20 tail --pid="$spid" -f /dev/null || st=$?
	[ "$st" -eq 0 ]			# the stat ended
	wait "$spid" || true
	cat "$T/stat.err"
	[ -s "$T/stat.err" ]		# with an error
	umount_9pfuse "$MNT"		# 9pfuse exited, status 0
	cat "$MNT.log"
	grep -q "^9pfuse: $MNT: calls still waiting for the server at the end were failed" "$MNT.log"
	! grep -q " $MNT fuse" /proc/mounts
}
