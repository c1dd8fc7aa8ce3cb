#!/usr/bin/env bats
# 9pfuse over the older dialects, served by tests/srv/p9srv: the same
# operations where 9P2000.u and 9P2000 can express them (Twstat for chmod,
# truncate, utimes and rename within a directory; .u's Tcreate extension
# for symlinks, links and device nodes) and a clear errno where not.

load helpers

setup_file() {
	[ -x "$P9SRV" ] || skip "tests/srv/p9srv is not built"
	export EXPORT=$BATS_FILE_TMPDIR/export
	mkdir -p "$EXPORT"
	local port
	port=$(free_port)
	"$P9SRV" -D 9P2000.u,9P2000 -l "127.0.0.1:$port" "$EXPORT" \
		2>"$BATS_FILE_TMPDIR/srv.log" &
	export SRV_PID=$! ADDR=tcp:127.0.0.1:$port
	wait_tcp "$port"
}

teardown_file() {
	stop_pid "${SRV_PID:-}"
}

setup() {
	MNT=$BATS_TEST_TMPDIR/mnt
	mkdir -p "$MNT"
}

teardown() {
	fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true
}

mnt() { # mnt VERSION [OPTS]
	"$P9_BUILD/9pfuse" -o "version=$1${2:+,$2}" "$ADDR" "$MNT"
}

# errno name of a rename(2), via python3
rename_errno() {
	python3 -c '
import errno, os, sys
try:
    os.rename(sys.argv[1], sys.argv[2]); print("ok")
except OSError as e:
    print(errno.errorcode[e.errno])' "$1" "$2"
}

common() { # common VERSION DIR
	local d=$MNT/$2
	mkdir "$d"
	[ -d "$EXPORT/$2" ]
	printf 'hello\n' >"$d/a"
	[ "$(cat "$EXPORT/$2/a")" = hello ]
	printf 'more\n' >>"$d/a"
	[ "$(cat "$d/a")" = "$(printf 'hello\nmore')" ]
	head -c 3000000 /dev/urandom >"$d/big"
	cmp "$d/big" "$EXPORT/$2/big"
	chmod 0640 "$d/a"
	[ "$(stat -c %a "$EXPORT/$2/a")" = 640 ]
	truncate -s 3 "$d/a"
	[ "$(cat "$EXPORT/$2/a")" = hel ]
	truncate -s 10 "$d/a"
	[ "$(stat -c %s "$EXPORT/$2/a")" = 10 ]
	touch -m -d '2001-02-03 04:05:06' "$d/a"
	[ "$(stat -c %Y "$EXPORT/$2/a")" = "$(date -d '2001-02-03 04:05:06' +%s)" ]
	mv "$d/a" "$d/b"
	[ -e "$EXPORT/$2/b" ] && [ ! -e "$EXPORT/$2/a" ]
	mkdir "$d/sub"
	[ "$(rename_errno "$d/b" "$d/sub/b")" = EXDEV ]
	mv "$d/b" "$d/sub/b"	# mv copies on EXDEV
	[ -e "$EXPORT/$2/sub/b" ]
	# modes, sizes, names (a directory's length is 0 in these dialects)
	diff <(ls -l "$EXPORT/$2" | awk 'NR > 1 && $1 !~ /^d/ { print $1, $5, $9 }') \
	    <(ls -l "$d" | awk 'NR > 1 && $1 !~ /^d/ { print $1, $5, $9 }')
	diff <(ls -l "$EXPORT/$2" | awk '$1 ~ /^d/ { print $1, $9 }') \
	    <(ls -l "$d" | awk '$1 ~ /^d/ { print $1, $9 }')
	run rmdir "$d/sub"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Directory not empty"* ]]
	rm "$d/sub/b" "$d/big"
	rmdir "$d/sub" "$d"
	[ ! -e "$EXPORT/$2" ]
	run cat "$MNT/nope"
	[[ "$output" == *"No such file or directory"* ]]
	run mkdir "$MNT"
	[[ "$output" == *"File exists"* ]]
}

@test "9P2000.u: files, directories, chmod, truncate, utimes, rename" {
	mnt 9p2000.u
	common 9p2000.u du
}

@test "9P2000: files, directories, chmod, truncate, utimes, rename" {
	mnt 9p2000
	common 9p2000 d2000
}

@test "9P2000.u: symlinks, hard links and fifos through the Tcreate extension" {
	mnt 9p2000.u
	printf target >"$MNT/t"
	ln -s t "$MNT/l"
	[ "$(readlink "$EXPORT/l")" = t ]
	[ "$(readlink "$MNT/l")" = t ]
	[ "$(cat "$MNT/l")" = target ]
	ln "$MNT/t" "$MNT/h"
	[ "$(stat -c %i "$EXPORT/t")" = "$(stat -c %i "$EXPORT/h")" ]
	mkfifo "$MNT/p"
	[ -p "$EXPORT/p" ]
	[ -p "$MNT/p" ]
}

@test "9P2000: what it cannot express fails clearly" {
	mnt 9p2000
	printf t >"$MNT/t2"
	run ln -s t2 "$MNT/l2"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not supported"* ]]
	run ln "$MNT/t2" "$MNT/h2"
	[[ "$output" == *"Operation not supported"* ]]
	run mkfifo "$MNT/p2"
	[[ "$output" == *"Operation not supported"* ]]
	run getfattr -n user.x "$MNT/t2"
	[[ "$output" == *"Operation not supported"* ]]
	run flock -n "$MNT/t2" true
	[ "$status" -eq 0 ]	# kernel-local locks without a 9P lock message
	df "$MNT" >/dev/null
}

@test "the dialect is the one asked for, and .L falls back to .u" {
	mnt 9p2000 trace="$BATS_TEST_TMPDIR/t1"
	ls "$MNT" >/dev/null
	fusermount3 -u "$MNT"
	"$TRACE9P" -r "$BATS_TEST_TMPDIR/t1" -e type=Rversion | grep -q ' version 9P2000 \['
	"$P9_BUILD/9pfuse" -o trace="$BATS_TEST_TMPDIR/t2" "$ADDR" "$MNT"
	ls "$MNT" >/dev/null
	fusermount3 -u "$MNT"
	"$TRACE9P" -r "$BATS_TEST_TMPDIR/t2" -e type=Rversion | grep -q ' version 9P2000.u \['
}
