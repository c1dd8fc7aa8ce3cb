#!/usr/bin/env bats
# 9pfuse's command line and mounting: usage and option errors, going to
# the background only once mounted, -f, SIGINT/SIGTERM, a normal user
# through fusermount3, fstab-style mounts through mount.fuse3, and v9fs's
# option spellings (version, msize, cache, ro, noxattr, trans=unix|fd,
# trace) against a real diod.

load helpers

NINEPFUSE=$P9_BUILD/9pfuse

setup_file() {
	# Everything lives in a world-readable folder: the normal-user test
	# needs the export and its mountpoint reachable for uid 65534.
	WORK=$(mktemp -d /tmp/9pfuse-bats.XXXXXX)
	chmod 755 "$WORK"
	EXPORT=$WORK/export
	mkdir -p "$EXPORT/docs"
	echo "Hello from a 9P share." >"$EXPORT/hello.txt"
	echo "about" >"$EXPORT/docs/about.txt"
	chmod -R a+rX "$EXPORT"
	export WORK EXPORT
	start_diod "$EXPORT"
	PORT=${ADDR##*:}
	export PORT
}

teardown_file() {
	stop_pid "${DIOD_PID:-}"
	# never rm -rf through a mount that is still there
	if [ -n "${WORK:-}" ] && ! awk -v w="$WORK/" 'index($2, w) == 1 { f = 1 }
	    END { exit !f }' /proc/mounts; then
		rm -rf "$WORK"
	fi
}

setup() {
	T=$WORK/$BATS_TEST_NUMBER
	M=$T/mnt
	mkdir -p "$M"
}

teardown() {
	local m pid
	# whatever a failed test left mounted or running under $T
	for m in $(awk -v t="$T/" 'index($2, t) == 1 { print $2 }' /proc/mounts); do
		fusermount3 -u "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	for pid in $(daemon_pids "$M"); do
		kill "$pid" 2>/dev/null || true
	done
	stop_pid "${UDIOD:-}"
	if [ -n "${FUSE_MODE:-}" ]; then
		chmod "$FUSE_MODE" /dev/fuse
	fi
	if [ -n "${LINKED:-}" ] && [ "$(readlink "$LINKED")" = "$NINEPFUSE" ]; then
		rm -f "$LINKED"
	fi
}

# is DIR a mountpoint (by the kernel's table, which needs no live server)?
mounted() {
	awk -v m="$1" '$2 == m { f = 1 } END { exit !f }' /proc/mounts
}

# the options /proc/mounts shows for DIR
mount_opts() {
	awk -v m="$1" '$2 == m { print $4 }' /proc/mounts
}

# The pids of the 9pfuse processes that have DIR as an argument, from
# /proc (procps may not be installed).
daemon_pids() {
	local f pid a args
	for f in /proc/[0-9]*/cmdline; do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		{ mapfile -d '' -t args <"$f"; } 2>/dev/null || continue
		[ "${#args[@]}" -gt 1 ] && [[ "${args[0]##*/}" == *9pfuse* ]] || continue
		for a in "${args[@]:1}"; do
			if [ "$a" = "$1" ]; then
				echo "$pid"
				break
			fi
		done
	done
}

# the pid of the 9pfuse serving DIR (there must be exactly one)
daemon_pid() {
	local p
	p=$(daemon_pids "$1")
	[ "$(echo "$p" | wc -w)" -eq 1 ] || { echo "9pfuse pids for $1: '$p'" >&2; return 1; }
	echo "$p"
}

no_daemon() {
	[ -z "$(daemon_pids "$1")" ]
}

# field N of /proc/PID/stat counting from the state (1 state, 2 ppid,
# 3 pgrp, 4 session)
proc_stat() {
	local line
	line=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	line=${line##*) }
	echo "$line" | cut -d' ' -f"$2"
}

# wait until process PID has exited (it need not be our child: a zombie
# that its new parent has not reaped yet counts as gone)
gone() {
	local st
	for _ in $(seq 200); do
		st=$(proc_stat "$1" 1) || return 0
		[ "$st" = Z ] && return 0
		sleep 0.05
	done
	echo "process $1 is still there" >&2
	return 1
}

wait_mounted() {
	for _ in $(seq 200); do
		mounted "$1" && return 0
		sleep 0.05
	done
	echo "$1 was not mounted" >&2
	return 1
}

# unmount DIR and wait for its 9pfuse to exit
unmount_and_wait() {
	local pid
	pid=$(daemon_pid "$1")
	fusermount3 -u "$1"
	gone "$pid"
	! mounted "$1"
}

# mount EXPORT of the TCP diod on $M in the background, with options OPTS
mount_bg() {
	"$NINEPFUSE" -o "aname=$EXPORT${1:+,$1}" "$ADDR" "$M" 3>&-
}

@test "usage text equals the man page SYNOPSIS" {
	usage_is_synopsis "$NINEPFUSE" 9pfuse.1
}

@test "-h prints the usage on the standard output and exits 0" {
	out=$("$NINEPFUSE" -h 2>/dev/null)
	[ "$out" = "usage: 9pfuse [-df] [-o options] source mountpoint" ]
	[ -z "$("$NINEPFUSE" -h 2>&1 >/dev/null)" ]
	run "$NINEPFUSE" --help
	[ "$status" -eq 0 ]
}

@test "bad flags, operands and options exit 2 with a clear message, mounting nothing" {
	check() { # check EXPECTED-MESSAGE ARGS...
		local want=$1
		shift
		run "$NINEPFUSE" "$@"
		echo "9pfuse $*: status $status: $output"
		[ "$status" -eq 2 ]
		[[ "$output" == *"$want"* ]]
		! mounted "$M"
	}
	check "9pfuse: -o bogus: unknown option" -o bogus "$ADDR" "$M"
	check "9pfuse: -o cache=bogus: unknown value" -o cache=bogus "$ADDR" "$M"
	check "9pfuse: -o trans=bogus: unknown value" -o trans=bogus "$ADDR" "$M"
	check "9pfuse: -o msize=100: below the minimum 4096" -o msize=100 "$ADDR" "$M"
	check "9pfuse: -o msize=lots: expected a number" -o msize=lots "$ADDR" "$M"
	check "9pfuse: -o version=9P1999: expected 9p2000, 9p2000.u or 9p2000.L" \
		-o version=9P1999 "$ADDR" "$M"
	check "9pfuse: -o port=99999: expected a number up to 65535" \
		-o port=99999 "$ADDR" "$M"
	check "9pfuse: -o access=abc:" -o access=abc "$ADDR" "$M"
	check "9pfuse: -o dfltuid=me: expected a number" -o dfltuid=me "$ADDR" "$M"
	check "9pfuse: -o ro=1: unknown option" -o ro=1 "$ADDR" "$M"
	check "9pfuse: -o trans=fd needs rfdno= and wfdno=" -o trans=fd x "$M"
	# options are checked before anything is dialled: a bad one after a
	# good one still stops it
	check "9pfuse: -o nosuchthing: unknown option" \
		-o "aname=$EXPORT" -o nosuchthing "$ADDR" "$M"
	check "9pfuse: -x: unknown flag" -x "$ADDR" "$M"
	check "usage: 9pfuse [-df] [-o options] source mountpoint" "$ADDR"
	check "usage: 9pfuse [-df] [-o options] source mountpoint" "$ADDR" "$M" extra
	check "usage: 9pfuse [-df] [-o options] source mountpoint" "$ADDR" "$M" -o
	no_daemon "$M"
}

@test "a missing mountpoint is a clear error, exit 1, nothing left behind" {
	run "$NINEPFUSE" -o "aname=$EXPORT" "$ADDR" "$T/nonexistent" 3>&-
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/nonexistent: cannot mount"* ]]
	[[ "$output" == *"No such file or directory"* ]]
	! mounted "$T/nonexistent"
	no_daemon "$T/nonexistent"
	# the same in the foreground
	run "$NINEPFUSE" -f -o "aname=$EXPORT" "$ADDR" "$T/nonexistent" 3>&-
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/nonexistent: cannot mount"* ]]
}

@test "an unreachable server, a refused attach or transport: exit 1, nothing mounted" {
	port=$(free_port)
	run "$NINEPFUSE" "tcp:127.0.0.1:$port" "$M" 3>&-
	[ "$status" -eq 1 ]
	[ "$output" = "9pfuse: tcp:127.0.0.1:$port: Connection refused" ]
	! mounted "$M"
	no_daemon "$M"
	# v9fs's spelling of the same address
	run "$NINEPFUSE" -o "trans=tcp,port=$port" 127.0.0.1 "$M" 3>&-
	[ "$status" -eq 1 ]
	[ "$output" = "9pfuse: tcp:127.0.0.1:$port: Connection refused" ]
	run "$NINEPFUSE" -f "tcp:127.0.0.1:$port" "$M" 3>&-
	[ "$status" -eq 1 ]
	[ "$output" = "9pfuse: tcp:127.0.0.1:$port: Connection refused" ]
	# diod refuses a tree it does not export
	run "$NINEPFUSE" -o aname=/no/such/export "$ADDR" "$M" 3>&-
	[ "$status" -eq 1 ]
	[[ "$output" == "9pfuse: $ADDR: "* ]]
	# a virtio tag this machine has no device for: the tags found are listed
	run "$NINEPFUSE" -o trans=virtio,msize=512000 music "$M" 3>&-
	[ "$status" -eq 1 ]
	[[ "$output" == "9pfuse: music: no virtio-9p device with tag music (found: "* ]]
	run "$NINEPFUSE" music "$M" 3>&-
	[ "$status" -eq 1 ]
	[[ "$output" == "9pfuse: music: no virtio-9p device with tag music (found: "* ]]
	! mounted "$M"
	no_daemon "$M"
}

@test "in the background, 9pfuse returns only once the file system is mounted" {
	# options after the operands, as mount.fuse3 passes them
	"$NINEPFUSE" "$ADDR" "$M" -o "aname=$EXPORT" 3>&-
	# no waiting: the mount must be there now
	mounted "$M"
	[[ "$(awk -v m="$M" '$2 == m { print $1, $3 }' /proc/mounts)" == "$ADDR fuse.9pfuse" ]]
	[ "$(cat "$M/hello.txt")" = "Hello from a 9P share." ]
	[ "$(ls "$M")" = "$(printf 'docs\nhello.txt')" ]
	pid=$(daemon_pid "$M")
	# it detached: not our child, in its own session
	[ "$(proc_stat "$pid" 4)" = "$pid" ]
	unmount_and_wait "$M"
}

@test "-f stays in the foreground until unmounted, then exits 0" {
	"$NINEPFUSE" -f -o "aname=$EXPORT" "$ADDR" "$M" 3>&- 2>"$T/log" &
	pid=$!
	wait_mounted "$M"
	[ "$(cat "$M/docs/about.txt")" = about ]
	sleep 0.2
	kill -0 "$pid"		# still running, and still our child:
	[ "$(proc_stat "$pid" 2)" = "$BASHPID" ]
	fusermount3 -u "$M"
	wait "$pid"		# its exit status
	! mounted "$M"
}

@test "SIGTERM to the background 9pfuse unmounts cleanly" {
	mount_bg
	pid=$(daemon_pid "$M")
	kill -TERM "$pid"
	gone "$pid"
	! mounted "$M"
	# and the folder is an ordinary empty directory again
	[ -z "$(ls -A "$M")" ]
}

@test "SIGINT to the background 9pfuse unmounts cleanly" {
	# a non-interactive shell starts background jobs with SIGINT ignored,
	# and an ignored signal stays ignored: start with its default action
	env --default-signal=INT "$NINEPFUSE" -o "aname=$EXPORT" "$ADDR" "$M" 3>&-
	mounted "$M"
	pid=$(daemon_pid "$M")
	kill -INT "$pid"
	gone "$pid"
	! mounted "$M"
	[ -z "$(ls -A "$M")" ]
}

@test "SIGINT and SIGTERM to 9pfuse -f unmount it and it exits 0" {
	for sig in INT TERM; do
		env --default-signal=INT "$NINEPFUSE" -f -o "aname=$EXPORT" \
			"$ADDR" "$M" 3>&- 2>"$T/log" &
		pid=$!
		wait_mounted "$M"
		ls "$M" >/dev/null
		kill -"$sig" "$pid"
		wait "$pid" || { cat "$T/log"; false; }
		! mounted "$M"
	done
	no_daemon "$M"
}

@test "a normal user mounts through fusermount3 and unmounts with fusermount3 -u" {
	command -v setpriv >/dev/null || skip "setpriv is not installed"
	[ -u "$(command -v fusermount3)" ] || skip "fusermount3 is not set-user-ID"
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	as_nobody test -x "$NINEPFUSE" || skip "uid 65534 cannot run $NINEPFUSE"
	# Debian's udev makes /dev/fuse 0666; a container may leave it 0600,
	# and then libfuse fails before it ever calls fusermount3
	if ! as_nobody test -r /dev/fuse -a -w /dev/fuse; then
		FUSE_MODE=$(stat -c %a /dev/fuse)
		chmod 0666 /dev/fuse
	fi
	chmod 755 "$T"
	chown 65534:65534 "$M"
	run as_nobody "$NINEPFUSE" -o "aname=$EXPORT" "$ADDR" "$M" 3>&-
	echo "$output"
	[ "$status" -eq 0 ]
	mounted "$M"
	[[ ",$(mount_opts "$M")," == *",user_id=65534,"* ]]
	run as_nobody ls "$M"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'docs\nhello.txt')" ]
	run as_nobody cat "$M/hello.txt"
	[ "$output" = "Hello from a 9P share." ]
	# the server checks as the attaching user: nobody cannot write there
	run as_nobody sh -c "echo x >'$M/intruder'"
	[ "$status" -ne 0 ]
	[ ! -e "$EXPORT/intruder" ]
	# without allow_other, not even root gets in
	run ls "$M"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Permission denied"* ]]
	pid=$(daemon_pid "$M")
	[ "$(awk '$1 == "Uid:" { print $2 }' "/proc/$pid/status")" = 65534 ]
	run as_nobody fusermount3 -u "$M"
	[ "$status" -eq 0 ]
	gone "$pid"
	! mounted "$M"
}

# mount(8) runs mount.fuse3, which runs "9pfuse" through /bin/sh without
# the caller's PATH: the program must be in a default directory.
link_into_path() {
	LINKED=/usr/local/sbin/9pfuse
	if [ -e "$LINKED" ] || [ -L "$LINKED" ]; then
		[ "$(readlink "$LINKED")" = "$NINEPFUSE" ] ||
			skip "$LINKED exists and is not this build's 9pfuse"
	fi
	command -v mount.fuse3 >/dev/null || [ -x /sbin/mount.fuse3 ] ||
		skip "mount.fuse3 is not installed"
	mkdir -p /usr/local/sbin
	ln -sfn "$NINEPFUSE" "$LINKED"
}

@test "mount -t fuse.9pfuse with v9fs options mounts through mount.fuse3" {
	link_into_path
	run mount -t fuse.9pfuse -o "trans=tcp,port=$PORT,aname=$EXPORT" 127.0.0.1 "$M"
	echo "$output"
	[ "$status" -eq 0 ]
	mounted "$M"
	[[ "$(awk -v m="$M" '$2 == m { print $1, $3 }' /proc/mounts)" == "127.0.0.1 fuse.9pfuse" ]]
	[ "$(cat "$M/hello.txt")" = "Hello from a 9P share." ]
	[ "$(cat "$M/docs/about.txt")" = about ]
	pid=$(daemon_pid "$M")
	umount "$M"
	gone "$pid"
	! mounted "$M"
}

@test "an fstab entry mounts with mount -T FILE MOUNTPOINT, fstab-only words ignored" {
	link_into_path
	printf '# a test fstab\n127.0.0.1  %s  fuse.9pfuse  %s  0 0\n' "$M" \
		"trans=tcp,port=$PORT,aname=$EXPORT,msize=262144,defaults,nofail,_netdev,nodevmap,x-systemd.automount,comment=9ptools" \
		>"$T/fstab"
	run mount -T "$T/fstab" "$M"
	echo "$output"
	[ "$status" -eq 0 ]
	mounted "$M"
	[ "$(ls "$M")" = "$(printf 'docs\nhello.txt')" ]
	[ "$(cat "$M/hello.txt")" = "Hello from a 9P share." ]
	pid=$(daemon_pid "$M")
	umount "$M"
	gone "$pid"
	! mounted "$M"
}

@test "version=9p2000.L and msize=262144: the traced Tversion asks for them" {
	mount_bg "version=9p2000.L,msize=262144,trace=$T/trace"
	[ "$(cat "$M/hello.txt")" = "Hello from a 9P share." ]
	unmount_and_wait "$M"
	# a pcapng file (its Section Header Block's type and byte order)
	[ "$(od -An -tx1 -N4 "$T/trace" | tr -d ' ')" = 0a0d0d0a ]
	run "$TRACE9P" -j -r "$T/trace"
	[ "$status" -eq 0 ]
	tv=$(echo "$output" | grep -m1 '"type":"Tversion"')
	[[ "$tv" == *'"tag":65535,"msize":262144,"version":"9P2000.L"'* ]]
	rv=$(echo "$output" | grep -m1 '"type":"Rversion"')
	m=$(echo "$rv" | sed 's/.*"msize":\([0-9]*\).*/\1/')
	[ "$m" -le 262144 ]
	[[ "$rv" == *'"req":"Tversion"'* ]]
}

@test "v9fs's address spelling: trans=tcp,port=N and a bare host" {
	"$NINEPFUSE" -o "trans=tcp,port=$PORT,aname=$EXPORT" 127.0.0.1 "$M" 3>&-
	mounted "$M"
	[ "$(cat "$M/hello.txt")" = "Hello from a 9P share." ]
	unmount_and_wait "$M"
	# port= alone makes a bare host a TCP address
	"$NINEPFUSE" -o "port=$PORT,aname=$EXPORT" localhost "$M" 3>&-
	[ "$(cat "$M/hello.txt")" = "Hello from a 9P share." ]
	unmount_and_wait "$M"
}

@test "cache=none and the default (mmap) see the server's changes at once" {
	for c in none ""; do
		echo one >"$EXPORT/c$c"
		mount_bg "${c:+cache=$c}"
		[ "$(cat "$M/c$c")" = one ]
		echo "two, longer" >"$EXPORT/c$c"
		[ "$(cat "$M/c$c")" = "two, longer" ]
		echo 3 >"$EXPORT/c$c"
		[ "$(cat "$M/c$c")" = 3 ]
		# and writes through the mount reach the server
		echo "from the client" >"$M/w$c"
		[ "$(cat "$EXPORT/w$c")" = "from the client" ]
		unmount_and_wait "$M"
		rm -f "$EXPORT/c$c" "$EXPORT/w$c"
	done
}

# $T/trace (a 9pfuse -o trace= file, once unmounted) decoded to $T/trace.txt;
# traced PATTERN: how many of its messages match
decode_trace() { "$TRACE9P" -r "$T/trace" >"$T/trace.txt"; }
traced() { grep -c "$1" "$T/trace.txt" || true; }

@test "cache=none: a folder on the path is looked up again with one walk, no getattr; mmap trusts its name for a second; its attributes stay fresh" {
	mkdir -p "$EXPORT/lsd/sub"
	for i in $(seq 100); do echo "$i" >"$EXPORT/lsd/f$i"; done
	for c in none ""; do
		rm -f "$T/trace"
		mount_bg "${c:+cache=$c,}trace=$T/trace"
		[ "$(ls -l "$M/lsd" | grep -c ' f[0-9]*$')" = 100 ]
		# every ls -l lstat walks lsd again (entry timeout 0) ...
		stat -c %a "$M/lsd/sub" >/dev/null
		chmod 0700 "$EXPORT/lsd/sub"
		[ "$(stat -c %a "$M/lsd/sub")" = 700 ]
		chmod 0755 "$EXPORT/lsd/sub"
		[ "$(stat -c %a "$M/lsd/sub")" = 755 ]
		# a folder renamed on the server: the new name works at once, the
		# old one within a second (cache=mmap) or at once
		mv "$EXPORT/lsd/sub" "$EXPORT/lsd/sub2"
		[ -d "$M/lsd/sub2" ]
		sleep 1.1
		[ ! -e "$M/lsd/sub" ]
		mv "$EXPORT/lsd/sub2" "$EXPORT/lsd/sub"
		unmount_and_wait "$M"
		decode_trace
		walks=$(traced ' Twalk .*newfid [0-9]*</lsd> nwname 1 ')
		getattrs=$(traced ' Tgetattr tag [0-9]* fid [0-9]*</lsd> ')
		echo "cache=${c:-mmap}: lsd walked $walks times, its attributes asked $getattrs times"
		if [ "$c" = none ]; then
			[ "$walks" -ge 100 ]
		else	# ... but with cache=mmap only once a second
			[ "$walks" -le 40 ]
		fi
		# ... and its attributes only for ls's own stat and readdir's open
		[ "$getattrs" -le 3 ]
	done
	rm -rf "$EXPORT/lsd"
}

@test "default cache=mmap: reads ask for no attributes; a reopen or a size change shows the server's data" {
	head -c 4194304 /dev/urandom >"$EXPORT/ra.bin"
	mount_bg "trace=$T/trace"
	# 4 MiB read 64 KiB at a time: 64 read(2) calls
	dd if="$M/ra.bin" of="$T/got" bs=64k 2>/dev/null
	cmp "$EXPORT/ra.bin" "$T/got"
	# changed in place on the server (same size): the next open sees it
	# (close-to-open: pages are dropped at each open)
	printf 'AAAA' >"$EXPORT/co.txt"
	exec 4<"$M/co.txt"
	[ "$(head -c 4 <&4)" = AAAA ]
	printf 'BBBB' >"$EXPORT/co.txt"
	[ "$(cat "$M/co.txt")" = BBBB ]
	# grown on the server: reading past the old end asks and finds the rest
	printf 'BBBBCCCC' >"$EXPORT/co.txt"
	[ "$(tail -c 4 <&4)" = CCCC ]
	exec 4<&-
	unmount_and_wait "$M"
	decode_trace
	reads=$(traced ' Tread tag [0-9]* fid [0-9]*</ra.bin> ')
	getattrs=$(traced ' Tgetattr tag [0-9]* fid [0-9]*</ra.bin> ')
	echo "ra.bin: $reads Treads, $getattrs Tgetattrs"
	[ "$reads" -ge 4 ]
	[ "$getattrs" -le 4 ]
	rm -f "$EXPORT/ra.bin" "$EXPORT/co.txt"
}

@test "cache=loose: writes through the mount reach the server by close" {
	mount_bg cache=loose
	seq 1 20000 >"$M/loose.txt"
	cmp "$M/loose.txt" "$EXPORT/loose.txt"
	echo appended >>"$M/loose.txt"
	[ "$(tail -n 1 "$EXPORT/loose.txt")" = appended ]
	[ "$(wc -l <"$M/loose.txt")" -eq 20001 ]
	unmount_and_wait "$M"
	rm -f "$EXPORT/loose.txt"
}

@test "cache=loose: a listing read once is kept across opens; a change through the mount shows at once" {
	mkdir -p "$EXPORT/kl"
	for i in $(seq 300); do echo "$i" >"$EXPORT/kl/f$i"; done
	rm -f "$T/trace"
	mount_bg "cache=loose,trace=$T/trace"
	for i in 1 2 3; do
		[ "$(ls -l "$M/kl" | grep -c ' f[0-9]*$')" = 300 ]
	done
	touch "$M/kl/new"
	ls "$M/kl" | grep -qx new
	rm "$M/kl/new"
	! ls "$M/kl" | grep -qx new
	[ "$(ls "$M/kl" | wc -l)" = 300 ]
	unmount_and_wait "$M"
	decode_trace
	opens=$(traced ' Tlopen tag [0-9]* fid [0-9]*</kl> ')
	walks=$(traced ' Twalk .*newfid [0-9]*</kl/f[0-9]*> ')
	echo "kl listed $opens times, its files walked $walks times"
	# three ls -l, one listing (and one READDIRPLUS walk per file); then
	# one listing after each change (five, one per ls, before)
	[ "$opens" -eq 3 ]
	[ "$walks" -le 950 ]
	rm -rf "$EXPORT/kl"
}

@test "cache=loose: find asks nothing per file; ls -l gets the files' attributes and security.selinux with the listing, pipelined" {
	mkdir -p "$EXPORT/fl/sub"
	for i in $(seq 3000); do printf '%s' "$i" >"$EXPORT/fl/f$i"; done
	rm -f "$T/trace"
	mount_bg "cache=loose,trace=$T/trace"
	[ "$(find "$M/fl" -type f | wc -l)" = 3000 ]
	[ "$(find "$M/fl" -type d | wc -l)" = 2 ]
	unmount_and_wait "$M"
	decode_trace
	walks=$(traced ' Twalk .*newfid [0-9]*</fl/f[0-9]*> ')
	echo "find: files walked $walks times"
	[ "$walks" -eq 0 ]
	# ls -l stats every file and asks each for security.selinux: after
	# the first entries, both come with the listing, many in flight
	rm -f "$T/trace"
	mount_bg "cache=loose,trace=$T/trace"
	ls -l "$M/fl" >"$T/ls"
	[ "$(grep -c ' f[0-9]*$' "$T/ls")" = 3000 ]
	[ "$(awk '$NF == "f2999" { print $5 }' "$T/ls")" = 4 ]
	[ "$(awk '$NF == "f7" { print $5 }' "$T/ls")" = 1 ]
	unmount_and_wait "$M"
	decode_trace
	walks=$(traced ' Twalk .*newfid [0-9]*</fl/f[0-9]*> ')
	xwalks=$(traced ' Txattrwalk .*</fl/f[0-9]* (xattr security.selinux)> ')
	inflight=$(awk '/ Txattrwalk .*<\/fl\/f/ { if (++n > m) m = n }
	    /\[Txattrwalk \/fl\/f/ { n-- } END { print m + 0 }' "$T/trace.txt")
	echo "ls -l: files walked $walks times, asked for security.selinux $xwalks times, at most $inflight at once"
	[ "$walks" -le 3010 ]
	[ "$xwalks" -le 3010 ]
	[ "$inflight" -ge 8 ]
	rm -rf "$EXPORT/fl"
}

@test "the other cache modes are accepted: readahead, fscache" {
	for c in readahead fscache; do
		mount_bg "cache=$c"
		[ "$(cat "$M/hello.txt")" = "Hello from a 9P share." ]
		unmount_and_wait "$M"
	done
}

# the mount's readahead (KiB), from its backing device in sysfs
readahead_kb() { cat "/sys/class/bdi/$(mountpoint -d "$1")/read_ahead_kb"; }

@test "page-cache modes read ahead one FUSE read (1 MiB at diod's msize), as v9fs sizes it from msize; cache=none leaves it" {
	head -c 3000000 /dev/urandom >"$EXPORT/big.bin"
	for c in "" loose readahead; do
		mount_bg "${c:+cache=$c}"
		for _ in $(seq 50); do
			[ "$(readahead_kb "$M")" = 1024 ] && break
			sleep 0.1
		done
		echo "cache=${c:-mmap}: $(readahead_kb "$M") KiB"
		[ "$(readahead_kb "$M")" = 1024 ]
		# a large sequential read comes back whole
		cmp "$M/big.bin" "$EXPORT/big.bin"
		unmount_and_wait "$M"
	done
	mount_bg cache=none
	sleep 0.5
	echo "cache=none: $(readahead_kb "$M") KiB"
	[ "$(readahead_kb "$M")" = 128 ]
	cmp "$M/big.bin" "$EXPORT/big.bin"
	unmount_and_wait "$M"
	rm -f "$EXPORT/big.bin"
}

@test "ro: the mount is read-only and writes fail with EROFS" {
	mount_bg ro
	[[ "$(mount_opts "$M")" == ro,* ]]
	[ "$(cat "$M/hello.txt")" = "Hello from a 9P share." ]
	run sh -c "echo x >'$M/new'"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	run mkdir "$M/newdir"
	[[ "$output" == *"Read-only file system"* ]]
	run touch "$M/hello.txt"
	[[ "$output" == *"Read-only file system"* ]]
	[ ! -e "$EXPORT/new" ] && [ ! -e "$EXPORT/newdir" ]
	unmount_and_wait "$M"
}

@test "noxattr: extended attributes fail with Operation not supported" {
	command -v getfattr >/dev/null || skip "getfattr (package attr) is not installed"
	setfattr -n user.color -v blue "$EXPORT/hello.txt" 2>/dev/null ||
		skip "the export's file system has no user xattrs"
	mount_bg
	[ "$(getfattr --only-values -n user.color "$M/hello.txt")" = blue ]
	unmount_and_wait "$M"
	mount_bg noxattr
	run getfattr -n user.color "$M/hello.txt"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not supported"* ]]
	run setfattr -n user.size -v big "$M/hello.txt"
	[[ "$output" == *"Operation not supported"* ]]
	unmount_and_wait "$M"
	setfattr -x user.color "$EXPORT/hello.txt"
}

@test "trans=unix with diod on a Unix-domain socket" {
	start_diod "$EXPORT" unix
	UDIOD=$DIOD_PID
	"$NINEPFUSE" -o "trans=unix,aname=$EXPORT" "$SOCK" "$M" 3>&-
	mounted "$M"
	[ "$(cat "$M/hello.txt")" = "Hello from a 9P share." ]
	unmount_and_wait "$M"
	# the dial-string spelling
	"$NINEPFUSE" -o "aname=$EXPORT" "unix:$SOCK" "$M" 3>&-
	[ "$(cat "$M/docs/about.txt")" = about ]
	unmount_and_wait "$M"
}

@test "trans=fd,rfdno=N,wfdno=N with a connection the shell opened" {
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	"$NINEPFUSE" -o "trans=fd,rfdno=$fd,wfdno=$fd,aname=$EXPORT" share "$M" 3>&-
	exec {fd}<&-
	mounted "$M"
	[[ "$(awk -v m="$M" '$2 == m { print $1 }' /proc/mounts)" == share ]]
	[ "$(cat "$M/hello.txt")" = "Hello from a 9P share." ]
	unmount_and_wait "$M"
	# a descriptor that is not open
	run "$NINEPFUSE" -o trans=fd,rfdno=200,wfdno=200 share "$M" 3>&-
	[ "$status" -eq 1 ]
	[[ "$output" == *"descriptor not open"* ]]
	! mounted "$M"
}
