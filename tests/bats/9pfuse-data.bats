#!/usr/bin/env bats
# 9pfuse against a real diod over TCP: data integrity and real workloads.
# fsx (tests/fsx/fsx.c) runs 100000 random writes, truncates and reads
# against its in-memory model in each cache mode (mmap, the default;
# loose, the kernel's writeback cache; none, direct I/O), and the file
# left on the export must equal the mount's view of it.  This project's
# own release tarball is configured and built on the mount and the
# program it built runs.  All of that but the 100000-operation runs (whose
# trace would take gigabytes) goes through one mount that records every
# 9P message (-o trace=); 9ptrace's summary (-s) replays the trace to count
# the fids the server holds: after the kernel drops its caches they are
# back to the baseline, and after unmounting there are none.

load helpers

PLAIN=${P9_PLAIN_BUILD:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build}

setup_file() {
	export EXPORT=$BATS_FILE_TMPDIR/export MNT=$BATS_FILE_TMPDIR/mnt
	export TRACE=$BATS_FILE_TMPDIR/trace
	mkdir -p "$EXPORT"
	start_diod "$EXPORT" tcp
	mount_9pfuse "$ADDR" "$EXPORT" "$MNT" "trace=$TRACE"
	# the fids held right after mounting: the root
	fids_open "$TRACE" >"$BATS_FILE_TMPDIR/baseline"
}

teardown_file() {
	local rc=0
	umount_9pfuse "$MNT" || rc=1
	stop_pid "$DIOD_PID"
	return $rc
}

teardown() {
	# a failed test may leave its own mount behind
	umount_9pfuse "$BATS_TEST_TMPDIR/m" || true
}

# fsx_on OPTS: 100000 operations on a fresh mount with OPTS
fsx_on() {
	local m=$BATS_TEST_TMPDIR/m
	mkdir -p "$EXPORT/fsx$BATS_TEST_NUMBER"
	mount_9pfuse "$ADDR" "$EXPORT/fsx$BATS_TEST_NUMBER" "$m" "$1"
	run timeout 900 "$FSX" -N 100000 "$m/file"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" == "fsx: seed "*", 100000 ops, 0 mismatches" ]]
	# what the mount shows is what the server has
	cmp "$m/file" "$EXPORT/fsx$BATS_TEST_NUMBER/file"
	umount_9pfuse "$m"
	rm -rf "${EXPORT:?}/fsx$BATS_TEST_NUMBER"
}

@test "fsx: 100000 operations, cache=mmap (the default), zero mismatches" {
	fsx_on ""
}

@test "fsx: 100000 operations, cache=loose (writeback cache), zero mismatches" {
	fsx_on cache=loose
}

@test "fsx: 100000 operations, cache=none (direct I/O), zero mismatches" {
	fsx_on cache=none
}

@test "fsx: 10000 operations with small I/O through the traced mount" {
	run timeout 600 "$FSX" -N 10000 -o 4096 -l 65536 -c 50 "$MNT/fsx-small"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" == *", 10000 ops, 0 mismatches" ]]
	cmp "$MNT/fsx-small" "$EXPORT/fsx-small"
}

@test "the project's release tarball configures and builds on the mount" {
	make -C "$PLAIN" dist >"$BATS_TEST_TMPDIR/dist.log" 2>&1
	tarball=$(ls "$PLAIN"/9ptools-*.tar.gz | tail -1)
	mkdir "$MNT/build"
	tar -C "$MNT/build" -xzf "$tarball"
	src=$(ls -d "$MNT"/build/9ptools-*)
	cd "$src"
	./configure --disable-vfio >"$BATS_TEST_TMPDIR/configure.log" 2>&1 ||
		{ tail -30 "$BATS_TEST_TMPDIR/configure.log"; false; }
	make -j2 >"$BATS_TEST_TMPDIR/make.log" 2>&1 ||
		{ tail -30 "$BATS_TEST_TMPDIR/make.log"; false; }
	run ./9pctl -h
	[ "$status" -eq 2 ]
	[[ "$output" == "usage: 9pctl "* ]]
	# the objects are on the server, and equal to what the mount shows
	name=$(basename "$src")
	cmp "$src/9pctl" "$EXPORT/build/$name/9pctl"
	[ -f "$EXPORT/build/$name/lib/.libs/libp9.a" ]
	# make compiles nothing the second time (the mtimes are right)
	run make
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -cE '^ +(CC|CCLD) ')" = 0 ]
	# a changed source is rebuilt, and only what depends on it
	touch src/9pctl/ls.c
	run make
	[ "$(echo "$output" | grep -cE '^ +(CC|CCLD) ')" = 2 ]
}

@test "a mixed workload on the traced mount: names, links, xattrs, locks, mmap" {
	d=$MNT/mix
	mkdir "$d"
	(cd "$EXPORT/mix" && seq -f 'e%05g' 10000 | xargs touch)
	[ "$(ls -l "$d" | grep -c '^-')" = 10000 ]
	for i in $(seq 50); do
		printf "$i" >"$d/f$i"
		mv "$d/f$i" "$d/g$i"
		ln "$d/g$i" "$d/h$i"
		ln -s "g$i" "$d/s$i"
		setfattr -n user.n -v "$i" "$d/g$i" 2>/dev/null || true
		[ "$(cat "$d/s$i")" = "$i" ]
	done
	python3 -c '
import fcntl, mmap, os, sys
d = sys.argv[1]
fd = os.open(d + "/locked", os.O_CREAT | os.O_RDWR, 0o644)
fcntl.lockf(fd, fcntl.LOCK_EX, 0, 0)
os.ftruncate(fd, 4096)
m = mmap.mmap(fd, 4096)
m[0:4] = b"mmap"
m.flush(); m.close()
os.unlink(d + "/locked")
os.write(fd, b"x")
os.close(fd)
' "$d"
	rm -f "$d"/e00*
	[ "$(ls "$EXPORT/mix" | wc -l)" = $((10000 - 999 + 150)) ]
}

@test "fids: back to the baseline after drop_caches, none after unmount" {
	base=$(cat "$BATS_FILE_TMPDIR/baseline")
	[ "$base" = 1 ]	# the root
	busy=$(fids_open "$TRACE")
	echo "after the workload: $busy"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	# forgets arrive asynchronously: wait for the count to settle
	for _ in $(seq 50); do
		left=$(fids_open "$TRACE")
		[ "$left" = "$base" ] && break
		sleep 0.2
	done
	fids_open -l "$TRACE"
	[ "$left" = "$base" ]
	umount_9pfuse "$MNT"
	run fids_open -l "$TRACE"
	echo "$output"
	[[ "$output" == *"#1 "*": 0 fids open at the end"* ]]
}
