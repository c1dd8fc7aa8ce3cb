#!/usr/bin/env bats
# 9pctl against servers of the older dialects: tests/srv/p9srv speaking
# 9P2000.u and plain 9P2000 (no packaged server does), every command
# checked against the exported folder, and the server's log showing that
# each dialect's own messages were used.

load helpers

setup_file() {
	export EXPORT=$BATS_FILE_TMPDIR/export
	mkdir -p "$EXPORT"
	[ -x "$P9SRV" ] || skip "tests/srv/p9srv is not built"
	local port
	port=$(free_port)
	"$P9SRV" -d -D 9P2000.u,9P2000 -l "127.0.0.1:$port" "$EXPORT" \
		2>"$BATS_FILE_TMPDIR/srv.log" &
	export SRV_PID=$! ADDR=tcp:127.0.0.1:$port SRVLOG=$BATS_FILE_TMPDIR/srv.log
	wait_tcp "$port"
}

teardown_file() {
	stop_pid "${SRV_PID:-}"
}

setup() {
	T=$BATS_TEST_TMPDIR
	ctl() { "$CTL" -a "$ADDR" "$@"; }
}

# ls -l without what 9P2000 and .u cannot carry: link counts, and the
# length of a directory (0 by the protocol's convention)
nolinks() { awk '{ $2 = ""; if ($1 ~ /^d/) $5 = ""; print }' | squeeze; }

@test "without -V the client offers 9P2000.L and settles for 9P2000.u" {
	[ "$(ctl version)" = "9P2000.u msize 65536" ]
	[ "$(ctl -V 9P2000 version)" = "9P2000 msize 65536" ]
	[ "$(ctl -m 8192 -V 9P2000.u version)" = "9P2000.u msize 8192" ]
}

ls_l() {
	local d=$1 dir=$EXPORT/ls-$2
	mkdir -p "$dir/sub"
	printf 'hello\n' >"$dir/a.txt"
	head -c 54321 /dev/urandom >"$dir/b.bin"
	: >"$dir/empty"
	chmod 0600 "$dir/a.txt"
	chmod 0751 "$dir/sub"
	chown 65534:65534 "$dir/empty"
	touch -d '2001-02-03 04:05:06' "$dir/b.bin"
	run ctl -V "$d" ls -l "/ls-$2"
	[ "$status" -eq 0 ]
	diff <(ls -l "$dir" | tail -n +2 | nolinks) <(echo "$output" | tail -n +2 | nolinks)
}

xfer() {
	local d=$1 f=$EXPORT/x-$2
	head -c $((5 << 20)) /dev/urandom >"$f"
	ctl -V "$d" cat "/x-$2" | cmp - "$f"
	ctl -V "$d" get "/x-$2" "$T/got"
	cmp "$T/got" "$f"
	ctl -V "$d" put "$T/got" "/x-$2.up"
	cmp "$EXPORT/x-$2.up" "$f"
}

tree() {
	local d=$1 t=/t-$2
	ctl -V "$d" mkdir -p "$t/a/b/c"
	[ -d "$EXPORT$t/a/b/c" ]
	printf data >"$EXPORT$t/a/f"
	ctl -V "$d" mv "$t/a/f" "$t/a/g"
	[ "$(cat "$EXPORT$t/a/g")" = data ]
	[ ! -e "$EXPORT$t/a/f" ]
	run ctl -V "$d" mv "$t/a/g" "$t/a/b/g"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$d renames only within a directory" ]]
	[ -e "$EXPORT$t/a/g" ]
	ctl -V "$d" rm -r "$t"
	[ ! -e "$EXPORT$t" ]
}

errors() {
	local d=$1
	mkdir -p "$EXPORT/e-$2"
	run ctl -V "$d" cat /a/b
	[ "$status" -eq 1 ]
	[ "$output" = "9pctl: /a/b: No such file or directory" ]
	run ctl -V "$d" mkdir "/e-$2"
	[ "$output" = "9pctl: /e-$2: File exists" ]
	run ctl -V "$d" df /
	[ "$status" -eq 1 ]
	[[ "$output" == *"has no statfs message"* ]]
}

@test "9P2000.u: ls -l shows the names, sizes, modes and owners of ls -l" {
	ls_l 9P2000.u 9P2000-u
}

@test "9P2000.u: cat, get and put of 5 MiB are byte-exact" {
	xfer 9P2000.u 9P2000-u
}

@test "9P2000.u: mkdir -p, mv within a directory, rm -r; mv across is refused" {
	tree 9P2000.u 9P2000-u
}

@test "9P2000.u: errors read as errnos" {
	errors 9P2000.u 9P2000-u
}

@test "9P2000: ls -l shows the names, sizes, modes and owners of ls -l" {
	ls_l 9P2000 9P2000
}

@test "9P2000: cat, get and put of 5 MiB are byte-exact" {
	xfer 9P2000 9P2000
}

@test "9P2000: mkdir -p, mv within a directory, rm -r; mv across is refused" {
	tree 9P2000 9P2000
}

@test "9P2000: errors read as errnos" {
	errors 9P2000 9P2000
}

@test "9P2000.u: symbolic links are shown and read" {
	mkdir -p "$EXPORT/sl"
	printf target >"$EXPORT/sl/t"
	ln -s t "$EXPORT/sl/l"
	run ctl -V 9P2000.u ls -l /sl
	[[ "$output" == *" l -> t"* ]]
	[ "$(ctl -V 9P2000.u cat /sl/l)" = target ]
}

@test "9P2000.u: setuid, setgid and sticky bits survive chmod" {
	mkdir -p "$EXPORT/bits"
	: >"$EXPORT/bits/f"
	chmod 6755 "$EXPORT/bits/f"
	chmod 1777 "$EXPORT/bits"
	run ctl -V 9P2000.u ls -l /
	[[ "$output" == *"drwxrwxrwt "*" bits"* ]]
	run ctl -V 9P2000.u ls -l /bits
	[[ "$output" == *"-rwsr-sr-x "*" f"* ]]
}

@test "a walk through a file is ENOTDIR in every dialect" {
	printf x >"$EXPORT/plain"
	for d in 9P2000 9P2000.u; do
		run ctl -V "$d" cat /plain/x
		[ "$output" = "9pctl: /plain/x: Not a directory" ]
	done
}

@test "each dialect travels in its own messages" {
	: >"$SRVLOG"
	ctl -V 9P2000 ls -l / >/dev/null
	printf abc >"$EXPORT/msgs"
	ctl -V 9P2000 get /msgs "$T/g"
	ctl -V 9P2000 stat /msgs >/dev/null
	grep -q "Tversion.*version 9P2000\b" "$SRVLOG"
	grep -q "Topen" "$SRVLOG"
	grep -q "Tstat" "$SRVLOG"
	grep -q "Tread" "$SRVLOG"
	! grep -E "Tlopen|Tgetattr|Treaddir|Rlerror" "$SRVLOG"
}
