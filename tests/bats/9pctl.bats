#!/usr/bin/env bats
# 9pctl against a real diod (9P2000.L) over TCP: every command checked
# against the exported folder itself, and every error path.

load helpers

setup_file() {
	export EXPORT=$BATS_FILE_TMPDIR/export
	mkdir -p "$EXPORT"
	start_diod "$EXPORT" tcp
}

teardown_file() {
	stop_pid "$DIOD_PID"
}

setup() {
	T=$BATS_TEST_TMPDIR
	ctl() { "$CTL" -a "$ADDR" -A "$EXPORT" "$@"; }
}

@test "version names the dialect and the msize diod grants" {
	# diod grants 64 KiB at most; QEMU's server what is asked (524288)
	want=65536
	[ -z "${P9_VIRTIO:-}" ] || want=524288
	run ctl version
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "9P2000.L msize $want" ]
	run ctl -m 16384 version
	[ "$output" = "9P2000.L msize 16384" ]
}

@test "ls -l shows the same names, sizes, modes and owners as ls -l" {
	d=$EXPORT/lsl
	mkdir -p "$d/sub"
	printf 'hello\n' >"$d/a.txt"
	head -c 123457 /dev/urandom >"$d/big.bin"
	: >"$d/empty"
	printf x >"$d/with space"
	ln -s a.txt "$d/link"
	chmod 0600 "$d/a.txt"
	chmod 4755 "$d/big.bin"
	chmod 1777 "$d/sub"
	chown 65534:65534 "$d/empty"
	touch -d '2001-02-03 04:05:06' "$d/with space"
	# the rest an hour old: a file stamped by the server's clock a moment
	# ahead of ours would be "in the future" for one ls and not the next
	touch -h -d '-1 hour' "$d/a.txt" "$d/big.bin" "$d/empty" "$d/link" "$d/sub"
	# dates: five months ago (time of day), seven (year), in the future
	# by half an hour (year, as GNU ls shows any future time)
	: >"$d/five" >"$d/seven" >"$d/future"
	touch -d '-150 days' "$d/five"
	touch -d '-210 days' "$d/seven"
	touch -d '+30 minutes' "$d/future"
	run ctl ls -l /lsl
	[ "$status" -eq 0 ]
	diff <(ls -l "$d" | squeeze) <(echo "$output" | squeeze)
}

@test "ls lists names; ls -R recurses like ls -R" {
	mkdir -p "$EXPORT/lsr/x/y" "$EXPORT/lsr/z"
	touch "$EXPORT/lsr/x/f1" "$EXPORT/lsr/x/y/f2" "$EXPORT/lsr/top"
	run ctl ls /lsr
	[ "$output" = "$(ls "$EXPORT/lsr")" ]
	run ctl ls -R lsr
	[ "$status" -eq 0 ]
	diff <(cd "$EXPORT" && ls -R lsr) <(echo "$output")
}

@test "cat prints a file exactly" {
	printf 'line 1\nline 2\n\0binary\xff' >"$EXPORT/cat.bin"
	ctl cat /cat.bin >"$T/out"
	cmp "$EXPORT/cat.bin" "$T/out"
}

@test "stat shows size, mode and owner" {
	printf '12345' >"$EXPORT/st"
	chmod 0640 "$EXPORT/st"
	run ctl stat /st
	[ "$status" -eq 0 ]
	[[ "$output" == *"Size: 5"* ]]
	[[ "$output" == *"regular file"* ]]
	[[ "$output" == *"(0640/-rw-r-----)"*"Uid: (0/root)"* ]]
}

@test "get and put 100 MiB over TCP, checksums equal" {
	head -c $((100 << 20)) /dev/urandom >"$EXPORT/100m"
	ctl get /100m "$T/got"
	[ "$(sha256sum <"$T/got")" = "$(sha256sum <"$EXPORT/100m")" ]
	ctl put "$T/got" /100m.up
	[ "$(sha256sum <"$EXPORT/100m.up")" = "$(sha256sum <"$EXPORT/100m")" ]
	rm -f "$EXPORT/100m" "$EXPORT/100m.up"
}

@test "get to stdout, get with a default name, put from stdin" {
	printf 'via stdout' >"$EXPORT/g1"
	[ "$(ctl get /g1 -)" = "via stdout" ]
	(cd "$T" && ctl get /g1) && cmp "$T/g1" "$EXPORT/g1"
	echo "from stdin" | ctl put - /p1
	[ "$(cat "$EXPORT/p1")" = "from stdin" ]
}

@test "put into an existing directory keeps the local name; put truncates" {
	mkdir -p "$EXPORT/into"
	printf 'long long content' >"$EXPORT/into/f"
	printf 'short' >"$T/f"
	ctl put "$T/f" /into
	[ "$(cat "$EXPORT/into/f")" = "short" ]
	chmod 0751 "$T/f"
	ctl put "$T/f" /into/new
	[ "$(stat -c %a "$EXPORT/into/new")" = 751 ]
}

@test "mkdir, mkdir -p, rm, rm -r, mv across directories" {
	ctl mkdir /m1
	[ -d "$EXPORT/m1" ]
	ctl mkdir -p /m1/a/b/c
	[ -d "$EXPORT/m1/a/b/c" ]
	ctl mkdir -p /m1/a/b/c
	printf data >"$EXPORT/m1/a/b/c/file"
	ctl mv /m1/a/b/c/file /m1/moved
	[ ! -e "$EXPORT/m1/a/b/c/file" ]
	[ "$(cat "$EXPORT/m1/moved")" = data ]
	ctl mv /m1/moved /m1/a
	[ -f "$EXPORT/m1/a/moved" ]
	ctl rm /m1/a/moved
	[ ! -e "$EXPORT/m1/a/moved" ]
	ctl rm -r /m1
	[ ! -e "$EXPORT/m1" ]
}

@test "rm -r removes a directory of 5000 entries" {
	mkdir -p "$EXPORT/many/sub"
	(cd "$EXPORT/many" && seq 5000 | xargs touch && touch sub/x)
	ctl rm -r /many
	[ ! -e "$EXPORT/many" ]
}

@test "df reports the exported file system's size" {
	# over virtio, the twin's msize: QEMU scales the block size by it
	run ctl ${P9_VIRTIO:+-m $P9_VIRTIO_MSIZE} df /
	[ "$status" -eq 0 ]
	want=$(df -k --output=size "$EXPORT" | tail -1 | tr -d ' ')
	got=$(echo "$output" | awk 'NR == 2 { print $2 }')
	[ "$got" = "$want" ]
}

@test "errors name the path and the errno, exit 1" {
	mkdir -p "$EXPORT/full"
	touch "$EXPORT/full/x" "$EXPORT/file"
	for c in "cat /a/b" "stat /a/b" "ls /a/b" "get /a/b $T/x" "rm /a/b" \
	    "mkdir /a/b" "put $T/../nonexistent-dir-entry /x"; do
		run ctl $c
		[ "$status" -eq 1 ]
		[[ "$output" == "9pctl: "*": No such file or directory" ]]
	done
	run ctl cat /a/b
	[ "$output" = "9pctl: /a/b: No such file or directory" ]
	run ctl mkdir /full
	[ "$output" = "9pctl: /full: File exists" ]
	run ctl rm /full
	[ "$status" -eq 1 ]
	[ "$output" = "9pctl: /full: Is a directory" ]
	run ctl cat /full
	[ "$output" = "9pctl: /full: Is a directory" ]
	run ctl mkdir /file/sub
	[ "$output" = "9pctl: /file/sub: Not a directory" ]
	run ctl cat /file/sub
	[ "$output" = "9pctl: /file/sub: Not a directory" ]
	[ ! -e "$T/x" ]
}

@test "a failed get leaves an existing local file alone" {
	printf keep >"$T/keep"
	run ctl get /no-such-file "$T/keep"
	[ "$status" -eq 1 ]
	[ "$(cat "$T/keep")" = keep ]
	[ "$(ls "$T")" = keep ]
}

@test "bad options and addresses are clear errors" {
	run "$CTL" -a "$ADDR" nosuchcommand
	[ "$status" -eq 2 ]
	[[ "$output" == *"nosuchcommand: unknown command"* ]]
	run "$CTL" -a "$ADDR" -V 9P1999 version
	[ "$status" -eq 2 ]
	[[ "$output" == *"-V 9P1999: expected 9P2000, 9P2000.u or 9P2000.L"* ]]
	run "$CTL" -a "$ADDR" -m 100 version
	[ "$status" -eq 2 ]
	[[ "$output" == *"-m 100: expected a size of at least 4096"* ]]
	run env -u P9_ADDR "$CTL" version
	[ "$status" -eq 2 ]
	[[ "$output" == *"no server address"* ]]
	port=$(free_port)
	run "$CTL" -a "tcp:127.0.0.1:$port" version
	[ "$status" -eq 1 ]
	[ "$output" = "9pctl: tcp:127.0.0.1:$port: Connection refused" ]
	run "$CTL" -a "tcp:127.0.0.1:99999" version
	[[ "$output" == *"bad port"* ]]
	if [ -z "${P9_VIRTIO:-}" ]; then
		# QEMU's 9p server ignores aname: every attach is its export
		run "$CTL" -a "$ADDR" -A /no/such/export version
		[ "$status" -eq 1 ]
	fi
	run "$CTL" -a "$ADDR" -V 9P2000 version
	echo "$output"
	[ "$status" -eq 1 ]
	if [ -z "${P9_VIRTIO:-}" ]; then
		[[ "$output" == *"server refused version 9P2000 msize 524288"* ]]
	else	# QEMU's server answers what it does not speak with "unknown"
		[[ "$output" == *"server answered version 'unknown' msize "*" to 9P2000 msize 524288"* ]]
	fi
}

@test "usage text equals the man page SYNOPSIS" {
	usage_is_synopsis "$CTL" 9pctl.1
}

@test "16 threads x 1000 RPCs over one connection, every result checked" {
	# QEMU's 9p server ignores aname: over virtio the files are at the root
	aname=$EXPORT/stress sdir=$EXPORT/stress
	[ -z "${P9_VIRTIO:-}" ] || sdir=$EXPORT
	mkdir -p "$sdir"
	for i in $(seq 0 15); do
		yes "thread $i" | head -c 4096 >"$sdir/t$i"
	done
	run "$P9STRESS" -t 16 -n 1000 -A "$aname" "$ADDR" check
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"0 wrong results, 1 fids left"* ]]
}
