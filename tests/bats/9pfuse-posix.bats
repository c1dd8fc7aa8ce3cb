#!/usr/bin/env bats
# 9pfuse against a real diod (9P2000.L): POSIX behaviour through the mount,
# every operation checked by its effect on the exported folder itself, and
# its error cases by errno.  One diod over TCP serves EXPORT, mounted at
# MNT (default options) and at PMNT (allow_other,default_permissions, for
# the unprivileged-user checks); a second diod serves UEXPORT over a Unix
# socket, mounted at UMNT, for the key subset.  Each test works in its own
# folder: D on the mount, X the same folder in the export.

load helpers

setup_file() {
	command -v python3 >/dev/null || skip "python3 is not installed"
	export EXPORT=$BATS_FILE_TMPDIR/export UEXPORT=$BATS_FILE_TMPDIR/uexport
	# nobody must reach PMNT: bats' own folders are private
	PERMDIR=$(mktemp -d /tmp/9pfuse-perm.XXXXXX)
	chmod 0755 "$PERMDIR"
	export MNT=$BATS_FILE_TMPDIR/mnt PMNT=$PERMDIR/mnt PERMDIR
	export UMNT=$BATS_FILE_TMPDIR/umnt
	mkdir -p "$EXPORT" "$UEXPORT"
	chmod 0755 "$EXPORT"
	start_diod "$EXPORT" tcp
	export TCP_ADDR=$ADDR TCP_PID=$DIOD_PID
	start_diod "$UEXPORT" unix
	export UNIX_ADDR=$ADDR UNIX_PID=$DIOD_PID
	mount_9pfuse "$TCP_ADDR" "$EXPORT" "$MNT"
	mount_9pfuse "$TCP_ADDR" "$EXPORT" "$PMNT" allow_other,default_permissions
	mount_9pfuse "$UNIX_ADDR" "$UEXPORT" "$UMNT"
}

teardown_file() {
	local rc=0
	umount_9pfuse "$MNT" || rc=1
	umount_9pfuse "$PMNT" || rc=1
	umount_9pfuse "$UMNT" || rc=1
	stop_pid "$TCP_PID"
	stop_pid "$UNIX_PID"
	rm -f "$PMNT.log" "$PMNT.status"
	rmdir "$PMNT" "$PERMDIR" || true
	return $rc
}

setup() {
	X=$EXPORT/t$BATS_TEST_NUMBER
	D=$MNT/t$BATS_TEST_NUMBER
	for m in "$MNT" "$PMNT" "$UMNT"; do
		mountpoint -q "$m" || {
			echo "$m is no longer mounted:" >&2
			cat "$m.log" >&2
			return 1
		}
	done
	mkdir -p "$X"
}

# py SCRIPT ARGS...: python3 with helpers: e(f, *a) prints the errno name
# of f(*a) or "ok"; renameat2(old, new, flags).
py() {
	python3 -c "
import ctypes, errno, fcntl, mmap, os, signal, stat, struct, sys, time
libc = ctypes.CDLL(None, use_errno=True)
def e(f, *a):
    try:
        f(*a)
        return 'ok'
    except OSError as x:
        return errno.errorcode[x.errno]
def renameat2(old, new, flags):
    if libc.renameat2(-100, old.encode(), -100, new.encode(), flags) != 0:
        n = ctypes.get_errno()
        raise OSError(n, os.strerror(n))
$1" "${@:2}"
}

# listing DIR WANT: ls -A DIR once it prints WANT, waiting up to 5 s (the
# kernel sends FUSE_RELEASE after close(2) has returned, so a hidden file
# removed at the last close goes a moment later)
listing() {
	for _ in $(seq 50); do
		[ "$(ls -A "$1")" = "$2" ] && break
		sleep 0.1
	done
	ls -A "$1"
}

# the stat fields that must agree between the mount and the export
# (fields -x: of the export, its inode numbers as the server has them)
fields() {
	local o=0
	[ "$1" != -x ] || { o=${P9_XINO:-0}; shift; }
	stat -c '%n|%F|%s|%b|%f|%u|%g|%h|%i|%t|%T|%x|%y|%z' "$@" | sed 's|^.*/||' |
	    awk -F'|' -v o="$o" 'BEGIN { OFS = "|" } { $9 -= o; print }'
}

# ---- lookup and attributes ---------------------------------------------------

@test "lookup: names resolve at any depth, missing names are ENOENT" {
	mkdir -p "$X/a/b/c"
	printf deep >"$X/a/b/c/f"
	[ "$(cat "$D/a/b/c/f")" = deep ]
	run cat "$D/a/b/nope"
	[ "$status" -ne 0 ]
	[[ "$output" == *"No such file or directory"* ]]
	run stat "$D/nope/x"
	[[ "$output" == *"No such file or directory"* ]]
	# a name made on the server after a failed lookup is found at once
	printf late >"$X/a/b/nope"
	[ "$(cat "$D/a/b/nope")" = late ]
	long=$(printf 'n%.0s' $(seq 256))
	run touch "$D/$long"
	[[ "$output" == *"File name too long"* ]]
	# a file below a regular file: ENOTDIR
	run stat "$D/a/b/c/f/x"
	[[ "$output" == *"Not a directory"* ]]
}

@test "getattr: stat of each file type equals stat on the export" {
	printf 'hello' >"$X/file"
	head -c 100000 /dev/urandom >"$X/big"
	mkdir "$X/dir"
	ln -s file "$X/sym"
	types="file big dir sym"
	if specials; then
		mkfifo "$X/fifo"
		mknod "$X/chr" c 1 3
		types="$types fifo chr"
	fi
	chmod 4751 "$X/big"
	chown 65534:65534 "$X/file"
	touch -d '2001-02-03 04:05:06.123456789' "$X/file"
	for f in $types; do
		diff <(fields -x "$X/$f") <(fields "$D/$f")
	done
	[ "$(stat -c %i "$D")" = "$(xino "$X")" ]
}

@test "setattr: chmod sets the mode bits on the export, setuid and sticky too" {
	touch "$X/f"
	mkdir "$X/d"
	chmod 0751 "$D/f"
	[ "$(stat -c %a "$X/f")" = 751 ]
	chmod 4755 "$D/f"
	[ "$(stat -c %a "$X/f")" = 4755 ]
	chmod 1777 "$D/d"
	[ "$(stat -c %a "$X/d")" = 1777 ]
	chmod 0 "$D/f"
	[ "$(stat -c %a "$X/f")" = 0 ]
	run chmod 0644 "$D/missing"
	[[ "$output" == *"No such file or directory"* ]]
}

@test "setattr: chown and chgrp as root, lchown of a symlink" {
	touch "$X/f"
	ln -s f "$X/l"
	chown 65534:65534 "$D/f"
	[ "$(stat -c %u:%g "$X/f")" = 65534:65534 ]
	chgrp 0 "$D/f"
	[ "$(stat -c %u:%g "$X/f")" = 65534:0 ]
	chown -h 65534 "$D/l"
	[ "$(stat -c %u "$X/l")" = 65534 ]
	[ "$(stat -c %u "$X/f")" = 65534 ]
	[ "$(stat -c %U:%G "$D/f")" = nobody:root ]
}

@test "setattr: truncate up fills with zeros, truncate down keeps the head" {
	printf 'abcdef' >"$X/f"
	truncate -s 1M "$D/f"
	[ "$(stat -c %s "$X/f")" = 1048576 ]
	[ "$(head -c 6 "$X/f")" = abcdef ]
	[ "$(tail -c +7 "$X/f" | tr -d '\0' | wc -c)" = 0 ]
	truncate -s 3 "$D/f"
	[ "$(cat "$X/f")" = abc ]
	[ "$(cat "$D/f")" = abc ]
	# ftruncate through an open descriptor
	run py 'fd = os.open(sys.argv[1], os.O_RDWR); os.ftruncate(fd, 1); print(os.fstat(fd).st_size); os.close(fd)' "$D/f"
	[ "$output" = 1 ]
	[ "$(cat "$X/f")" = a ]
	truncate -s 0 "$D/f"
	[ "$(stat -c %s "$X/f")" = 0 ]
}

@test "setattr: utimensat with times, UTIME_NOW and UTIME_OMIT" {
	touch "$X/f"
	touch -d '2001-02-03 04:05:06.123456789' "$D/f"
	[ "$(stat -c '%x|%y' "$X/f")" = '2001-02-03 04:05:06.123456789 +0000|2001-02-03 04:05:06.123456789 +0000' ]
	# -a: atime given, mtime UTIME_OMIT
	touch -a -d '2002-01-01 00:00:01' "$D/f"
	[ "$(stat -c '%x|%y' "$X/f")" = '2002-01-01 00:00:01.000000000 +0000|2001-02-03 04:05:06.123456789 +0000' ]
	# -m: mtime given, atime UTIME_OMIT
	touch -m -d '2003-01-01 00:00:02' "$D/f"
	[ "$(stat -c '%x|%y' "$X/f")" = '2002-01-01 00:00:01.000000000 +0000|2003-01-01 00:00:02.000000000 +0000' ]
	# atime UTIME_NOW, mtime UTIME_OMIT
	before=$(date +%s)
	touch -a "$D/f"
	[ "$(stat -c %X "$X/f")" -ge "$before" ]
	[ "$(stat -c %y "$X/f")" = '2003-01-01 00:00:02.000000000 +0000' ]
	# both UTIME_NOW (utimensat(NULL)), and through python's ns interface
	touch "$D/f"
	[ "$(stat -c %Y "$X/f")" -ge "$before" ]
	py 'os.utime(sys.argv[1], ns=(5 * 10**9 + 6, 7 * 10**9 + 8))' "$D/f"
	[ "$(stat -c '%X.%x|%Y' "$X/f")" = '5.1970-01-01 00:00:05.000000006 +0000|7' ]
	[ "$(stat -c %y "$X/f")" = '1970-01-01 00:00:07.000000008 +0000' ]
}

# ---- directories -------------------------------------------------------------

@test "readdir: ls -la of a folder equals ls -la of the export" {
	mkdir "$X/sub"
	printf 'x' >"$X/a"
	head -c 5000 /dev/zero >"$X/b c"
	ln -s a "$X/link"
	! specials || mkfifo "$X/fifo"
	chmod 0600 "$X/a"
	chown 65534:65534 "$X/b c"
	diff <(ls -la --time-style=full-iso "$X" | squeeze) \
	    <(ls -la --time-style=full-iso "$D" | squeeze)
	diff <(ls -ai "$X" | inos "${P9_XINO:-0}" | grep -v ' \.\.*$') \
	    <(ls -ai "$D" | inos | grep -v ' \.\.*$')
	run ls "$D/missing"
	[[ "$output" == *"No such file or directory"* ]]
	run ls "$D/a/"
	[[ "$output" == *"Not a directory"* ]]
}

@test "readdir: a 10000-entry folder lists every name; readdirplus ls -l matches" {
	virtio_slow "~270 s"
	(cd "$X" && seq -f 'entry-%05g' 10000 | xargs touch)
	[ "$(ls -f "$D" | grep -c '^entry-')" = 10000 ]
	diff <(ls "$X") <(ls "$D")
	diff <(ls -l --time-style=full-iso "$X" | squeeze) \
	    <(ls -l --time-style=full-iso "$D" | squeeze)
	# readdirplus is asked for only where attributes are kept
	# (cache=readahead here; MNT's timeouts are 0): its attributes match
	m=$BATS_TEST_TMPDIR/m
	mount_9pfuse "$TCP_ADDR" "$EXPORT" "$m" "cache=readahead,trace=$BATS_TEST_TMPDIR/t.pcapng"
	diff <(ls -l --time-style=full-iso "$X" | squeeze) \
	    <(ls -l --time-style=full-iso "$m/t$BATS_TEST_NUMBER" | squeeze)
	umount_9pfuse "$m"
	# walked and getattr'd in batches as the listing went (readdirplus),
	# not one lookup at a time: many in flight at once
	run "$TRACE9P" -s -r "$BATS_TEST_TMPDIR/t.pcapng"
	echo "$output" | grep -E '^T(walk|getattr) '
	[ "$(awk '$1 == "Tgetattr" { print $2 }' <<<"$output")" -ge 10000 ]
	run "$TRACE9P" -r "$BATS_TEST_TMPDIR/t.pcapng"
	# a Twalk of an entry sent before the previous one's Rwalk came
	awk '/ Twalk .* 0:entry-/ { if (prev) n++; prev = 1; next } { prev = 0 }
	    END { exit !(n > 100) }' <<<"$output"
	# entries removed meanwhile are gone from a new listing
	rm "$X"/entry-0*1
	diff <(ls "$X") <(ls "$D")
}

@test "mkdir and rmdir, and their errors: EEXIST ENOTEMPTY ENOTDIR EISDIR ENOENT" {
	mkdir -m 0750 "$D/new"
	[ -d "$X/new" ]
	[ "$(stat -c %a "$X/new")" = 750 ]
	run mkdir "$D/new"
	[[ "$output" == *"File exists"* ]]
	touch "$X/new/f"
	run rmdir "$D/new"
	[[ "$output" == *"Directory not empty"* ]]
	[ -d "$X/new" ]
	run rmdir "$D/new/f"
	[[ "$output" == *"Not a directory"* ]]
	run py 'print(e(os.unlink, sys.argv[1]))' "$D/new"
	[ "$output" = EISDIR ]
	run mkdir "$D/new/f/sub"
	[[ "$output" == *"Not a directory"* ]]
	run rmdir "$D/missing"
	[[ "$output" == *"No such file or directory"* ]]
	run mkdir "$D/missing/sub"
	[[ "$output" == *"No such file or directory"* ]]
	rm "$X/new/f"
	rmdir "$D/new"
	[ ! -e "$X/new" ]
	mkdir -p "$D/p/q/r"
	[ -d "$X/p/q/r" ]
}

@test "rmdir, then mkdir given the removed folder's inode number, while its dentry is held" {
	virtio_slow "~25 s"
	# servers hand a removed folder's inode number to the next file made;
	# the kernel can't give the old folder's inode (still held here by a
	# process whose working folder it was) a second name, so the new
	# folder must get an inode of its own, or mkdir(2) fails with EEXIST
	reused=0
	for i in $(seq 20); do
		mkdir "$D/k$i"
		old=$(stat -c %i "$X/k$i")
		(cd "$D/k$i" && exec sleep 30) &
		holder=$!
		sleep 0.1
		rmdir "$D/k$i"
		mkdir "$D/n$i"			# must not fail
		[ -d "$X/n$i" ]
		[ "$(stat -c %i "$X/n$i")" != "$old" ] || reused=$((reused + 1))
		mkdir "$D/n$i/inside"		# and the new folder works
		[ -d "$X/n$i/inside" ]
		kill "$holder"
		wait "$holder" 2>/dev/null || true
	done
	echo "inode numbers reused: $reused of 20"
	[ "$reused" -gt 0 ] || skip "the export's file system never reused a folder's inode number"
}

@test "unlink removes the name on the export; a missing name is ENOENT" {
	printf x >"$X/f"
	rm "$D/f"
	[ ! -e "$X/f" ]
	run rm "$D/f"
	[[ "$output" == *"No such file or directory"* ]]
	run py 'print(e(os.unlink, sys.argv[1]))' "$D"
	[ "$output" = EISDIR ]
}

# ---- files -------------------------------------------------------------------

@test "create: mode on the export, O_EXCL gives EEXIST, O_TRUNC empties" {
	run py '
fd = os.open(sys.argv[1] + "/f", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o640)
os.write(fd, b"0123456789"); os.close(fd)
print(e(os.open, sys.argv[1] + "/f", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
fd = os.open(sys.argv[1] + "/f", os.O_CREAT | os.O_WRONLY); os.close(fd)
print(os.stat(sys.argv[1] + "/f").st_size)
fd = os.open(sys.argv[1] + "/f", os.O_WRONLY | os.O_TRUNC); os.close(fd)
print(os.stat(sys.argv[1] + "/f").st_size)
print(e(os.open, sys.argv[1] + "/missing", os.O_RDONLY))
print(e(os.open, sys.argv[1], os.O_WRONLY))
' "$D"
	[ "$output" = "$(printf 'EEXIST\n10\n0\nENOENT\nEISDIR')" ]
	[ "$(stat -c '%a %s' "$X/f")" = "640 0" ]
	# O_CREAT|O_TRUNC on an existing file through the shell
	printf 'long content' >"$X/g"
	printf 'new' >"$D/g"
	[ "$(cat "$X/g")" = new ]
}

@test "O_APPEND: two appenders interleave whole records, nothing lost" {
	run py '
p = sys.argv[1] + "/log"
a = os.open(p, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o644)
b = os.open(p, os.O_WRONLY | os.O_APPEND)
for i in range(500):
    os.write(a, b"A%04d\n" % i)
    os.write(b, b"B%04d\n" % i)
os.pwrite(a, b"Z\n", 0)
os.close(a); os.close(b)
print(os.stat(p).st_size)
' "$D"
	[ "$output" = 6002 ]
	[ "$(grep -c '^A' "$X/log")" = 500 ]
	[ "$(grep -c '^B' "$X/log")" = 500 ]
	# records are whole and in order; the pwrite went to the end too
	diff <(grep '^A' "$X/log") <(seq -f 'A%04g' 0 499)
	diff <(grep '^B' "$X/log") <(seq -f 'B%04g' 0 499)
	[ "$(tail -1 "$X/log")" = Z ]
	# two processes appending at once
	: >"$X/log2"
	for w in P Q; do
		py 'fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
for i in range(300): os.write(fd, (sys.argv[2] + "%04d\n" % i).encode())' "$D/log2" $w &
	done
	wait
	[ "$(wc -l <"$X/log2")" = 600 ]
	diff <(grep '^P' "$X/log2") <(seq -f 'P%04g' 0 299)
	diff <(grep '^Q' "$X/log2") <(seq -f 'Q%04g' 0 299)
}

@test "read and write at offsets, holes read as zeros, large transfers intact" {
	run py '
fd = os.open(sys.argv[1] + "/f", os.O_CREAT | os.O_RDWR, 0o644)
os.pwrite(fd, b"xyz", 100000)
os.pwrite(fd, b"abc", 5)
print(os.pread(fd, 3, 100000).hex(), os.pread(fd, 3, 5).hex(), os.pread(fd, 4, 0).hex())
print(os.pread(fd, 10, 100001).hex(), len(os.pread(fd, 10, 200000)))
os.close(fd)
' "$D"
	[ "$output" = "$(printf "%s\n" "78797a 616263 00000000" "797a 0")" ]
	[ "$(stat -c %s "$X/f")" = 100003 ]
	cmp <(head -c 5 /dev/zero; printf abc; head -c 99992 /dev/zero; printf xyz) "$X/f"
	# 5 MiB each way (many msize-sized 9P messages per FUSE request)
	head -c $((5 << 20)) /dev/urandom >"$BATS_TEST_TMPDIR/r"
	cp "$BATS_TEST_TMPDIR/r" "$D/r"
	cmp "$BATS_TEST_TMPDIR/r" "$X/r"
	head -c $((5 << 20)) /dev/urandom >"$X/s"
	cmp "$X/s" "$D/s"
	# an unaligned read across msize boundaries
	[ "$(tail -c +65530 "$D/s" | head -c 70000 | sha1sum)" = \
	    "$(tail -c +65530 "$X/s" | head -c 70000 | sha1sum)" ]
}

@test "fsync, fdatasync and fsync of a directory succeed" {
	run py '
fd = os.open(sys.argv[1] + "/f", os.O_CREAT | os.O_RDWR, 0o644)
os.write(fd, b"synced")
os.fsync(fd); os.fdatasync(fd); os.close(fd)
d = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
os.fsync(d); os.close(d)
print("done")
' "$D"
	[ "$output" = done ]
	[ "$(cat "$X/f")" = synced ]
}

@test "a file opened and then unlinked keeps working until it is closed" {
	run py '
p = sys.argv[1] + "/f"
fd = os.open(p, os.O_CREAT | os.O_RDWR, 0o644)
os.write(fd, b"hello")
os.unlink(p)
print(e(os.stat, p))
print(sorted(n for n in os.listdir(sys.argv[2]) if n == "f"))
os.pwrite(fd, b" world", 5)
print(os.pread(fd, 100, 0))
print(os.fstat(fd).st_size)
os.ftruncate(fd, 4)
print(os.pread(fd, 100, 0), os.fstat(fd).st_size)
os.close(fd)
' "$D" "$X"
	[ "$output" = "$(printf "%s\n" ENOENT "[]" "b'hello world'" 11 "b'hell' 4")" ]
	# the file is gone for good once closed: nothing is left in the export
	[ -z "$(listing "$X" "")" ]
	# the same for a name replaced by a rename while open
	printf old >"$X/g"
	printf new >"$X/h"
	run py '
fd = os.open(sys.argv[1] + "/g", os.O_RDWR)
os.rename(sys.argv[1] + "/h", sys.argv[1] + "/g")
print(os.pread(fd, 10, 0), os.fstat(fd).st_size)
os.pwrite(fd, b"OLD", 0)
os.close(fd)
print(open(sys.argv[1] + "/g").read())
' "$D"
	[ "$output" = "$(printf "%s\n" "b'old' 3" new)" ]
	[ "$(listing "$X" g)" = g ]
	[ "$(cat "$X/g")" = new ]
}

@test "an open, unlinked file whose folder is then renamed is removed at its last close" {
	mkdir "$D/dA"
	echo hi >"$D/dA/f"
	exec 7<"$D/dA/f"
	rm "$D/dA/f"
	mv "$D/dA" "$D/dB"
	[ "$(cat <&7)" = hi ]
	exec 7<&-
	[ -z "$(listing "$X/dB" "")" ]	# no .9pfuse-hidden.* left behind
}

@test "renaming a folder keeps descriptors and working folders below it working" {
	mkdir -p "$X/a/sub"
	printf hello >"$X/a/sub/f"
	run py '
d = sys.argv[1]
fd = os.open(d + "/a/sub/f", os.O_RDWR)
os.rename(d + "/a", d + "/b")
print(os.fstat(fd).st_size, os.pread(fd, 10, 0))
os.ftruncate(fd, 4)
dfd = os.open(d + "/b/sub", os.O_RDONLY)
os.rename(d + "/b", d + "/c")
print(os.listdir(dfd), os.fstat(fd).st_size)
os.chdir(d + "/c/sub")
os.rename(d + "/c", d + "/e")
print(os.listdir("."), open("f").read())
os.close(fd)
' "$D"
	[ "$output" = "$(printf "%s\n" "5 b'hello'" "['f'] 4" "['f'] hell")" ]
	[ "$(cat "$X/e/sub/f")" = hell ]
	[ "$(ls -A "$X")" = e ]
}

@test "mmap: a shared writable map reaches the export after msync" {
	printf 'on the server' >"$X/r"
	run py '
p = sys.argv[1]
fd = os.open(p + "/m", os.O_CREAT | os.O_RDWR, 0o644)
os.ftruncate(fd, 3 * 4096)
m = mmap.mmap(fd, 3 * 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
m[0:6] = b"mapped"
m[8192:8196] = b"page"
m.flush()
m.close(); os.close(fd)
fd = os.open(p + "/r", os.O_RDONLY)
m = mmap.mmap(fd, 0, mmap.MAP_SHARED, mmap.PROT_READ)
print(m[:])
m.close(); os.close(fd)
' "$D"
	[ "$output" = "b'on the server'" ]
	[ "$(head -c 6 "$X/m")" = mapped ]
	[ "$(tail -c +8193 "$X/m" | head -c 4)" = page ]
	[ "$(stat -c %s "$X/m")" = 12288 ]
}

# ---- names -------------------------------------------------------------------

@test "rename within and across folders, onto an existing file; errors, EXDEV" {
	mkdir "$X/a" "$X/b" "$X/full"
	printf one >"$X/a/f"
	printf two >"$X/a/g"
	touch "$X/full/x"
	mv "$D/a/f" "$D/a/f2"
	[ ! -e "$X/a/f" ] && [ "$(cat "$X/a/f2")" = one ]
	mv "$D/a/f2" "$D/b/f3"
	[ ! -e "$X/a/f2" ] && [ "$(cat "$X/b/f3")" = one ]
	# onto an existing file: replaced, the source's inode kept
	ino=$(stat -c %i "$X/b/f3")
	mv -f "$D/b/f3" "$D/a/g"
	[ "$(cat "$X/a/g")" = one ]
	[ "$(stat -c %i "$X/a/g")" = "$ino" ]
	[ ! -e "$X/b/f3" ]
	# a folder across folders, with its contents
	mkdir -p "$X/a/sub/deep"
	printf z >"$X/a/sub/deep/z"
	mv "$D/a/sub" "$D/b/"
	[ "$(cat "$X/b/sub/deep/z")" = z ]
	[ "$(cat "$D/b/sub/deep/z")" = z ]
	run py '
d = sys.argv[1]
print(e(os.rename, d + "/b/sub", d + "/full"))
print(e(os.rename, d + "/a/g", d + "/b"))
print(e(os.rename, d + "/b", d + "/a/g"))
print(e(os.rename, d + "/nope", d + "/a/x"))
print(e(os.rename, d + "/b", d + "/b/sub/inside"))
' "$D"
	[ "$output" = "$(printf "%s\n" ENOTEMPTY EISDIR ENOTDIR ENOENT EINVAL)" ]
	[ -d "$X/b/sub" ] && [ -f "$X/a/g" ]
	# another mount of the same export is another file system
	run py 'print(e(os.rename, sys.argv[1], sys.argv[2]))' "$D/a/g" "$PMNT/t$BATS_TEST_NUMBER/g"
	[ "$output" = EXDEV ]
}

@test "renameat2: RENAME_NOREPLACE is EEXIST, RENAME_EXCHANGE is EINVAL" {
	printf 1 >"$X/r1"
	printf 2 >"$X/r2"
	run py '
d = sys.argv[1]
print(e(renameat2, d + "/r1", d + "/r2", 1))
print(e(renameat2, d + "/r1", d + "/r2", 2))
print(e(renameat2, d + "/r1", d + "/r3", 1))
' "$D"
	[ "$output" = "$(printf "%s\n" EEXIST EINVAL ok)" ]
	[ "$(cat "$X/r2")" = 2 ]
	[ "$(cat "$X/r3")" = 1 ]
	[ ! -e "$X/r1" ]
}

@test "link: a hard link shares the inode, the link count is 2 on the export" {
	printf data >"$X/f"
	mkdir "$X/d"
	ln "$D/f" "$D/d/hard"
	[ "$(stat -c %h "$X/f")" = 2 ]
	[ "$(stat -c %i "$X/d/hard")" = "$(stat -c %i "$X/f")" ]
	[ "$(stat -c '%h %i' "$D/f")" = "$(stat -c %h "$X/f") $(xino "$X/f")" ]
	[ "$(stat -c '%h %i' "$D/d/hard")" = "$(stat -c %h "$X/f") $(xino "$X/f")" ]
	printf more >>"$D/d/hard"
	[ "$(cat "$X/f")" = datamore ]
	run ln "$D/f" "$D/d/hard"
	[[ "$output" == *"File exists"* ]]
	run py 'print(e(os.link, sys.argv[1] + "/d", sys.argv[1] + "/dlink"))' "$D"
	[ "$output" = EPERM ]
	rm "$D/f"
	[ "$(stat -c %h "$X/d/hard")" = 1 ]
	[ "$(stat -c %h "$D/d/hard")" = 1 ]
}

@test "symlink and readlink, dangling and through folders" {
	mkdir "$X/dir"
	printf in >"$X/dir/f"
	ln -s dir "$D/l"
	[ "$(readlink "$X/l")" = dir ]
	[ "$(readlink "$D/l")" = dir ]
	[ "$(cat "$D/l/f")" = in ]
	ln -s /nowhere/at/all "$D/dangling"
	[ "$(readlink "$X/dangling")" = /nowhere/at/all ]
	run cat "$D/dangling"
	[[ "$output" == *"No such file or directory"* ]]
	run ln -s x "$D/dangling"
	[[ "$output" == *"File exists"* ]]
	run py 'print(e(os.readlink, sys.argv[1] + "/dir/f"))' "$D"
	[ "$output" = EINVAL ]
	long=$(printf 'p%.0s' $(seq 1000))
	ln -s "$long" "$D/longlink"
	[ "$(readlink "$X/longlink")" = "$long" ]
}

@test "mknod and mkfifo make a fifo and a device on the export" {
	specials || skip "virtio ($P9_VIRTIO): QEMU's 9p server fails Tmknod of FIFOs and devices (ENXIO)"
	mkfifo -m 0640 "$D/fifo"
	[ "$(stat -c '%F %a' "$X/fifo")" = "fifo 640" ]
	mknod "$D/null" c 1 3
	[ "$(stat -c '%F %t %T' "$X/null")" = "character special file 1 3" ]
	mknod "$D/blk" b 7 0
	[ "$(stat -c '%F %t %T' "$X/blk")" = "block special file 7 0" ]
	py 'os.mknod(sys.argv[1], 0o600 | stat.S_IFREG)' "$D/reg"
	[ "$(stat -c '%F %a %s' "$X/reg")" = "regular empty file 600 0" ]
	run mkfifo "$D/fifo"
	[[ "$output" == *"File exists"* ]]
	# the fifo works through the mount
	(echo through >"$D/fifo") &
	[ "$(timeout 10 cat "$D/fifo")" = through ]
	wait
	# a FUSE mount is nodev: the device node itself does not open
	run cat "$D/null"
	[[ "$output" == *"Permission denied"* ]]
}

@test "statfs: df of the mount equals df of the export" {
	read -r size files < <(df -k --output=size,itotal "$X" | tail -1)
	read -r msize mfiles < <(df -k --output=size,itotal "$D" | tail -1)
	[ "$msize" = "$size" ]
	[ "$mfiles" = "$files" ]
	# free space moves between the two calls (other writers): within 1%
	a=$(df -k --output=avail "$X" | tail -1)
	b=$(df -k --output=avail "$D" | tail -1)
	[ $((a > b ? a - b : b - a)) -le $((size / 100)) ]
	[ "$(stat -f -c '%S %l' "$D")" = "$(stat -f -c '%S %l' "$X")" ]
}

@test "xattrs: set, get, list and remove user.* and trusted.*; errors" {
	command -v setfattr >/dev/null || skip "attr (setfattr) is not installed"
	touch "$X/f"
	setfattr -n user.probe -v 1 "$X/f" 2>/dev/null ||
		skip "the export's file system has no user xattrs"
	setfattr -n user.color -v blue "$D/f"
	[ "$(getfattr --only-values -n user.color "$X/f")" = blue ]
	setfattr -n user.from-server -v "$(printf 'x%.0s' $(seq 3000))" "$X/f"
	[ "$(getfattr --only-values -n user.from-server "$D/f" | wc -c)" = 3000 ]
	# 9P2000.L has no empty values (a zero-length Txattrcreate removes):
	# refused, and the attribute is left as it was
	setfattr -n user.empty -v 1 "$D/f"
	run setfattr -n user.empty "$D/f"
	[[ "$output" == *"Operation not supported"* ]]
	[ "$(getfattr --only-values -n user.empty "$X/f")" = 1 ]
	diff <(getfattr -d -m - "$X/f" | tail -n +2) <(getfattr -d -m - "$D/f" | tail -n +2)
	# QEMU's 9p server passes user.* and system.posix_acl_* only (its
	# xattr ops for security_model none and passthrough): the rest is
	# EOPNOTSUPP there
	if [ -z "${P9_VIRTIO:-}" ]; then
		setfattr -n trusted.t -v root-only "$D/f"
		[ "$(getfattr --only-values -n trusted.t "$X/f")" = root-only ]
	fi
	setfattr -x user.color "$D/f"
	run getfattr -n user.color "$X/f"
	[[ "$output" == *"No such attribute"* ]]
	run getfattr -n user.color "$D/f"
	[[ "$output" == *"No such attribute"* ]]
	run setfattr -x user.color "$D/f"
	[[ "$output" == *"No such attribute"* ]]
	run py '
f = sys.argv[1]
print(e(os.setxattr, f, "user.once", b"1", os.XATTR_CREATE))
print(e(os.setxattr, f, "user.once", b"2", os.XATTR_CREATE))
print(e(os.setxattr, f, "user.absent", b"2", os.XATTR_REPLACE))
print(e(os.setxattr, f, "bogus.ns", b"1"))
print(e(os.getxattr, f, "bogus.ns"))
print(os.getxattr(f, "user.once"))
' "$D/f"
	[ "$output" = "$(printf "%s\n" ok EEXIST ENODATA ENOTSUP ENOTSUP "b'1'")" ]
	# on a folder too
	setfattr -n user.dir -v d "$D"
	[ "$(getfattr --only-values -n user.dir "$X")" = d ]
}

@test "xattrs, cache=loose: absent names are remembered, a set through the mount is seen at once" {
	command -v setfattr >/dev/null || skip "attr (setfattr) is not installed"
	m=$BATS_TEST_TMPDIR/m
	mount_9pfuse "$TCP_ADDR" "$EXPORT" "$m" "cache=loose,trace=$BATS_TEST_TMPDIR/t.pcapng"
	# the kernel asks for security.capability before every write(2):
	# the server is asked once, not 200 times
	dd if=/dev/zero of="$m/t$BATS_TEST_NUMBER/w" bs=4096 count=200 2>/dev/null
	# an absent name, asked twice, then set through the mount: seen at once
	run getfattr -n user.late "$m/t$BATS_TEST_NUMBER/w"
	[[ "$output" == *"No such attribute"* ]]
	run getfattr -n user.late "$m/t$BATS_TEST_NUMBER/w"
	[[ "$output" == *"No such attribute"* ]]
	setfattr -n user.late -v here "$m/t$BATS_TEST_NUMBER/w"
	[ "$(getfattr --only-values -n user.late "$m/t$BATS_TEST_NUMBER/w")" = here ]
	setfattr -x user.late "$m/t$BATS_TEST_NUMBER/w"
	run getfattr -n user.late "$m/t$BATS_TEST_NUMBER/w"
	[[ "$output" == *"No such attribute"* ]]
	umount_9pfuse "$m"
	run "$TRACE9P" -r "$BATS_TEST_TMPDIR/t.pcapng"
	caps=$(grep -c "Txattrwalk .*name security.capability" <<<"$output")
	late=$(grep -c "Txattrwalk .*name user.late" <<<"$output")
	echo "security.capability asked $caps times, user.late $late times"
	[ "$caps" -ge 1 ] && [ "$caps" -le 3 ]
	# the first ask; not the second; getfattr --only-values after the set
	# (its size, then the value); after the remove
	[ "$late" -eq 4 ]
}

# ---- locks -------------------------------------------------------------------

@test "POSIX locks: a conflicting F_SETLK is EAGAIN, F_GETLK sees the holder" {
	touch "$X/f"
	run py '
p = sys.argv[1]
fd = os.open(p, os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX, 0, 0)
up_r, up_w = os.pipe()
down_r, down_w = os.pipe()
pid = os.fork()
if pid == 0:
    fd2 = os.open(p, os.O_RDWR)
    out = [e(fcntl.lockf, fd2, fcntl.LOCK_EX | fcntl.LOCK_NB, 0, 0),
           e(fcntl.lockf, fd2, fcntl.LOCK_SH | fcntl.LOCK_NB, 0, 0)]
    got = fcntl.fcntl(fd2, fcntl.F_GETLK, struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0))
    out.append("F_WRLCK" if struct.unpack("hhqqi", got)[0] == fcntl.F_WRLCK else "other")
    os.write(up_w, (" ".join(out) + "\n").encode())
    os.read(down_r, 1)   # wait for the unlock
    os.write(up_w, (e(fcntl.lockf, fd2, fcntl.LOCK_EX | fcntl.LOCK_NB, 0, 0) + "\n").encode())
    os._exit(0)
up = os.fdopen(up_r)
print(up.readline().strip())
fcntl.lockf(fd, fcntl.LOCK_UN, 0, 0)
os.write(down_w, b"u")
print(up.readline().strip())
os.waitpid(pid, 0)
' "$D/f"
	[ "$output" = "$(printf "%s\n" "EAGAIN EAGAIN F_WRLCK" ok)" ]
}

@test "POSIX locks: a blocking F_SETLKW waits for the holder, a signal interrupts it" {
	touch "$X/f"
	run py '
p = sys.argv[1]
fd = os.open(p, os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX, 0, 0)
r, w = os.pipe()
sys.stdout.flush()
pid = os.fork()
if pid == 0:
    class Alarm(Exception): pass
    def ring(*a): raise Alarm()
    signal.signal(signal.SIGALRM, ring)
    fd2 = os.open(p, os.O_RDWR)
    t = time.time()
    signal.alarm(1)
    try:
        fcntl.lockf(fd2, fcntl.LOCK_EX, 0, 0)
        print("got the lock while held", flush=True)
    except Alarm:
        waited = time.time() - t
        print("interrupted" if 0.8 < waited < 2.5 else "interrupted after %.1f s" % waited, flush=True)
    fcntl.lockf(fd2, fcntl.LOCK_EX, 0, 0)
    granted = time.time()
    unlocked = float(os.read(r, 100))
    print("granted after the unlock" if granted >= unlocked else "granted %.3f s early" % (unlocked - granted), flush=True)
    os._exit(0)
time.sleep(3)
t = time.time()
fcntl.lockf(fd, fcntl.LOCK_UN, 0, 0)
os.write(w, b"%f" % t)
os.waitpid(pid, 0)
' "$D/f"
	[ "$output" = "$(printf "%s\n" interrupted "granted after the unlock")" ]
}

@test "POSIX locks: byte ranges, an owner never conflicts with itself, close drops all" {
	touch "$X/f"
	run py '
p = sys.argv[1]
a = os.open(p, os.O_RDWR)
b = os.open(p, os.O_RDWR)
# one process: its locks through two descriptors do not conflict
print(e(fcntl.lockf, a, fcntl.LOCK_EX | fcntl.LOCK_NB, 0, 0),
      e(fcntl.lockf, b, fcntl.LOCK_EX | fcntl.LOCK_NB, 0, 0))
fcntl.lockf(a, fcntl.LOCK_UN, 0, 0)
fcntl.lockf(a, fcntl.LOCK_EX, 10, 100)   # bytes 100..109
fcntl.lockf(a, fcntl.LOCK_SH, 10, 200)   # bytes 200..209
fcntl.lockf(a, fcntl.LOCK_UN, 2, 104)    # split: 100..103, 106..109
up_r, up_w = os.pipe()
down_r, down_w = os.pipe()
sys.stdout.flush()
pid = os.fork()
if pid == 0:
    c = os.open(p, os.O_RDWR)
    r = [e(fcntl.lockf, c, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 110),
         e(fcntl.lockf, c, fcntl.LOCK_EX | fcntl.LOCK_NB, 2, 104),
         e(fcntl.lockf, c, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 109),
         e(fcntl.lockf, c, fcntl.LOCK_SH | fcntl.LOCK_NB, 5, 200),
         e(fcntl.lockf, c, fcntl.LOCK_EX | fcntl.LOCK_NB, 5, 200)]
    got = struct.unpack("hhqqi", fcntl.fcntl(c, fcntl.F_GETLK,
        struct.pack("hhqqi", fcntl.F_WRLCK, 0, 95, 10, 0)))
    r.append("getlk %d %d %d %s" % (got[0] == fcntl.F_WRLCK, got[2], got[3],
        "parent" if got[4] == os.getppid() else got[4]))
    os.write(up_w, (" ".join(r) + "\n").encode())
    os.read(down_r, 1)
    os.write(up_w, (e(fcntl.lockf, c, fcntl.LOCK_EX | fcntl.LOCK_NB, 0, 0) + "\n").encode())
    os._exit(0)
up = os.fdopen(up_r)
print(up.readline().strip())
os.close(b)     # closing any descriptor drops the process locks on the file
os.write(down_w, b"x")
print(up.readline().strip())
os.waitpid(pid, 0)
' "$D/f"
	[ "$output" = "$(printf "%s\n" "ok ok" "ok ok EAGAIN ok EAGAIN getlk 1 100 4 parent" ok)" ]
}

@test "POSIX and flock locks: four processes incrementing a counter lose no update" {
	virtio_slow "~50 s"
	count='
p, kind = sys.argv[1], sys.argv[2]
kids = []
for k in range(4):
    pid = os.fork()
    if pid == 0:
        for i in range(100):
            fd = os.open(p, os.O_RDWR)
            if kind == "posix":
                fcntl.lockf(fd, fcntl.LOCK_EX, 0, 0)
            else:
                fcntl.flock(fd, fcntl.LOCK_EX)
            n = int(os.pread(fd, 20, 0) or b"0")
            os.ftruncate(fd, 0)
            os.pwrite(fd, b"%d" % (n + 1), 0)
            os.close(fd)    # drops the lock
        os._exit(0)
    kids.append(pid)
for pid in kids:
    os.waitpid(pid, 0)
print(open(p).read())
'
	for kind in posix flock; do
		printf 0 >"$X/counter"
		run py "$count" "$D/counter" $kind
		[ "$output" = 400 ]
		[ "$(cat "$X/counter")" = 400 ]
	done
}

@test "locks between two mounts (two 9P clients) go through the server" {
	virtio_skip "QEMU's 9p server grants every Tlock and answers every Tgetlock with F_UNLCK: no lock is seen between clients"
	touch "$X/f"
	P=$PMNT/t$BATS_TEST_NUMBER
	run py '
a = os.open(sys.argv[1], os.O_RDWR)
b = os.open(sys.argv[2], os.O_RDWR)
fcntl.lockf(a, fcntl.LOCK_EX, 0, 0)
print(e(fcntl.lockf, b, fcntl.LOCK_SH | fcntl.LOCK_NB, 0, 0))
got = fcntl.fcntl(b, fcntl.F_GETLK, struct.pack("hhqqi", fcntl.F_RDLCK, 0, 0, 0, 0))
print("held elsewhere" if struct.unpack("hhqqi", got)[0] != fcntl.F_UNLCK else "free")
fcntl.lockf(a, fcntl.LOCK_UN, 0, 0)
print(e(fcntl.lockf, b, fcntl.LOCK_SH | fcntl.LOCK_NB, 0, 0))
fcntl.flock(b, fcntl.LOCK_EX)
print(e(fcntl.flock, a, fcntl.LOCK_EX | fcntl.LOCK_NB))
' "$D/f" "$P/f"
	[ "$output" = "$(printf "%s\n" EAGAIN "held elsewhere" ok EAGAIN)" ]
}

@test "flock: exclusive conflicts, shared locks coexist, -w times out" {
	touch "$X/f"
	flock -n "$D/f" -c "! flock -n '$D/f' -c true && ! flock -w 1 '$D/f' true && echo held" >"$BATS_TEST_TMPDIR/o"
	[ "$(cat "$BATS_TEST_TMPDIR/o")" = held ]
	run flock -s -n "$D/f" -c "flock -s -n '$D/f' -c 'echo both shared'"
	[ "$output" = "both shared" ]
	run flock -s -n "$D/f" -c "flock -x -n '$D/f' -c 'echo exclusive too'"
	[ "$status" -ne 0 ]
	# after release the exclusive lock is free
	flock -n "$D/f" true
}

@test "flock: a child closing an inherited descriptor keeps the parent's lock" {
	touch "$X/f"
	# flock -c runs the command with the locked descriptor inherited;
	# the first child exiting must not release the lock
	run flock -n "$D/f" -c "true; (exec 9>&-); sh -c 'exit 0'; flock -n '$D/f' -c 'echo stolen' || echo still-held"
	[ "$output" = still-held ]
}

# ---- permissions ---------------------------------------------------------------

@test "access(): R_OK W_OK X_OK follow the mode" {
	printf x >"$X/f"
	chmod 0644 "$X/f"
	printf '#!/bin/sh\necho ran\n' >"$X/x"
	chmod 0755 "$X/x"
	run py '
d = sys.argv[1]
print(os.access(d + "/f", os.R_OK | os.W_OK), os.access(d + "/f", os.X_OK))
print(os.access(d + "/x", os.X_OK), os.access(d + "/nope", os.F_OK))
' "$D"
	[ "$output" = "$(printf "%s\n" "True False" "True False")" ]
	[ "$("$D/x")" = ran ]
	run "$D/f"
	[[ "$output" == *"Permission denied"* ]]
}

@test "default_permissions: an unprivileged user gets EACCES and EPERM" {
	command -v setpriv >/dev/null || skip "setpriv is not installed"
	nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	P=$PMNT/t$BATS_TEST_NUMBER
	mkdir -m 0700 "$X/private"
	printf secret >"$X/private/f"
	printf secret >"$X/0600"
	chmod 0600 "$X/0600"
	printf public >"$X/0644"
	chmod 0644 "$X/0644"
	mkdir -m 0777 "$X/open"
	[ "$(nobody cat "$P/0644")" = public ]
	# access(2) as the user (a python3 nobody may run)
	py3=/usr/bin/python3
	[ -x "$py3" ] || py3=$(command -v python3)
	run nobody "$py3" -c '
import os, sys
p = sys.argv[1]
print(os.access(p + "/0644", os.R_OK), os.access(p + "/0644", os.W_OK),
      os.access(p + "/0600", os.R_OK), os.access(p + "/private", os.X_OK),
      os.access(p + "/open", os.W_OK | os.X_OK))
' "$P"
	[ "$output" = "True False False False True" ]
	run nobody ls "$P/private"
	[[ "$output" == *"Permission denied"* ]]
	run nobody cat "$P/private/f"
	[[ "$output" == *"Permission denied"* ]]
	run nobody cat "$P/0600"
	[[ "$output" == *"Permission denied"* ]]
	run nobody sh -c "echo x >>'$P/0644'"
	[[ "$output" == *"Permission denied"* ]]
	run nobody touch "$P/new"
	[[ "$output" == *"Permission denied"* ]]
	run nobody rm "$P/0644"
	[[ "$output" == *"Permission denied"* ]]
	run nobody chmod 0777 "$P/0644"
	[[ "$output" == *"Operation not permitted"* ]]
	run nobody mkdir "$P/private/sub"
	[[ "$output" == *"Permission denied"* ]]
	[ "$(cat "$X/0644")" = public ]
	[ ! -e "$X/new" ]
	# in a folder open to all, what the user makes is the user's
	nobody touch "$P/open/mine"
	nobody mkdir "$P/open/dir"
	nobody sh -c "echo mine >'$P/open/dir/f'"
	[ "$(stat -c %u:%g "$X/open/mine")" = 65534:65534 ]
	[ "$(stat -c %u:%g "$X/open/dir")" = 65534:65534 ]
	[ "$(stat -c %u:%g "$X/open/dir/f")" = 65534:65534 ]
	nobody touch -d '2001-01-01' "$P/open/mine"
	[ "$(stat -c %Y "$X/open/mine")" = 978307200 ]
	nobody chmod 0600 "$P/open/mine"
	[ "$(stat -c %a "$X/open/mine")" = 600 ]
	# root still may
	cat "$PMNT/t$BATS_TEST_NUMBER/0600" >/dev/null
}

# ---- the key subset over a Unix socket ---------------------------------------------

@test "unix socket: create, write, read, rename, link, symlink, readdir, remove" {
	UX=$UEXPORT/t$BATS_TEST_NUMBER
	UD=$UMNT/t$BATS_TEST_NUMBER
	mkdir -p "$UX"
	[ "$(stat -c %i "$UMNT")" = "$(xino "$UEXPORT")" ]
	mkdir "$UD/a"
	head -c $((3 << 20)) /dev/urandom >"$BATS_TEST_TMPDIR/r"
	cp "$BATS_TEST_TMPDIR/r" "$UD/a/f"
	cmp "$BATS_TEST_TMPDIR/r" "$UX/a/f"
	cmp "$UX/a/f" "$UD/a/f"
	mv "$UD/a/f" "$UD/g"
	[ -f "$UX/g" ] && [ ! -e "$UX/a/f" ]
	ln "$UD/g" "$UD/a/h"
	[ "$(stat -c %h "$UX/g")" = 2 ]
	ln -s g "$UD/s"
	[ "$(readlink "$UX/s")" = g ]
	if specials; then
		mkfifo "$UD/p"
		[ "$(stat -c %F "$UX/p")" = fifo ]
	fi
	chmod 0600 "$UD/g"
	truncate -s 10 "$UD/g"
	[ "$(stat -c '%a %s' "$UX/g")" = "600 10" ]
	diff <(ls -la --time-style=full-iso "$UX" | squeeze) \
	    <(ls -la --time-style=full-iso "$UD" | squeeze)
	run mkdir "$UD/a"
	[[ "$output" == *"File exists"* ]]
	run rmdir "$UD/a"
	[[ "$output" == *"Directory not empty"* ]]
	rm "$UD/a/h" "$UD/g" "$UD/s"
	! specials || rm "$UD/p"
	rmdir "$UD/a"
	[ -z "$(ls -A "$UX")" ]
	[ "$(df -k --output=size "$UD" | tail -1)" = "$(df -k --output=size "$UX" | tail -1)" ]
}

@test "unix socket: open-unlink, O_APPEND, xattrs and locks" {
	UD=$UMNT/t$BATS_TEST_NUMBER
	UX=$UEXPORT/t$BATS_TEST_NUMBER
	mkdir -p "$UX"
	touch "$UX/l"
	run py '
d = sys.argv[1]
fd = os.open(d + "/f", os.O_CREAT | os.O_RDWR | os.O_APPEND, 0o644)
os.write(fd, b"abc"); os.unlink(d + "/f"); os.write(fd, b"def")
print(os.pread(fd, 10, 0), os.fstat(fd).st_size)
os.close(fd)
sys.stdout.flush()
lk = os.open(d + "/l", os.O_RDWR)
fcntl.lockf(lk, fcntl.LOCK_EX, 0, 0)
if os.fork() == 0:
    fd2 = os.open(d + "/l", os.O_RDWR)
    print(e(fcntl.lockf, fd2, fcntl.LOCK_EX | fcntl.LOCK_NB, 0, 0), flush=True)
    os._exit(0)
os.wait()
os.setxattr(d + "/l", "user.k", b"v")
print(os.listxattr(d + "/l"))
' "$UD"
	[ "$output" = "$(printf "%s\n" "b'abcdef' 6" EAGAIN "['user.k']")" ]
	[ "$(ls -A "$UX")" = l ]
	[ "$(getfattr --only-values -n user.k "$UX/l")" = v ]
}

@test "unix socket: fsx, 10000 random operations, zero mismatches" {
	virtio_slow "~135 s"
	run timeout 600 "$FSX" -N 10000 "$UMNT/fsx"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[-1]}" == *", 10000 ops, 0 mismatches" ]]
	cmp "$UMNT/fsx" "$UEXPORT/fsx"
}
