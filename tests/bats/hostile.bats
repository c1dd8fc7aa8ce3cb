#!/usr/bin/env bats
# Hostile servers (issue #7): tests/srv/hostile answers like a correct
# 9P2000.L server but for one misbehaviour (-m MODE; `hostile -m list`):
# each malformed reply of the decoder's bad-input list, replies to tags
# nobody used or to flushed ones, requests never answered, a connection
# closed or stalled in the middle of a message, odd Rversion answers.
# 9pctl and 9pfuse (the ASan build in CI) must say what went wrong, go on
# where the connection survives and fail cleanly where it can't, and never
# crash, hang or leak (a sanitizer report fails the test).  Most modes hit
# only requests about files named slow*, so that the rest of the tree
# shows whether the session is still usable:
#   /hello.txt "hello, world"  /slow.txt "slow data"  /big (256 KiB)
#   /sub/deep.txt  /link -> hello.txt

load helpers

HOSTILE=$P9_BUILD/tests/srv/hostile
RDINTR=$P9_BUILD/tests/stress/rdintr
BIGSUM="453016240 262144"	# cksum of /big: byte i is i * 7 mod 251

setup() {
	[ -x "$HOSTILE" ] || skip "tests/srv/hostile is not built"
	MNT=$BATS_TEST_TMPDIR/mnt
	ERR=$BATS_TEST_TMPDIR/err
	SLOG=$BATS_TEST_TMPDIR/hostile.log
}

teardown() {
	if mountpoint -q "$MNT" 2>/dev/null; then
		fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -uz "$MNT" || true
	fi
	stop_pid "${HPID:-}"
}

# hostile MODE [ARGS...]: start the server with -m MODE ARGS on a port
# the system picks (no race with other tests for a free one); sets ADDR
hostile() {
	local port=
	"$HOSTILE" -m "$@" -l 127.0.0.1:0 2>"$SLOG" &
	HPID=$!
	for _ in $(seq 100); do
		port=$(sed -n 's/^hostile: listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$SLOG")
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || { cat "$SLOG"; return 1; }
	ADDR=tcp:127.0.0.1:$port
}

# ctl ARGS...: 9pctl against ADDR under a hang guard: $out, $st, $ERR
ctl() {
	st=0
	out=$(timeout 60 "$CTL" -a "$ADDR" "$@" 2>"$ERR") || st=$?
	echo "9pctl $* -> $st, stdout: $out"
	cat "$ERR"
	[ "$st" -ne 124 ]	# the guard fired: a hang
}

# no sanitizer report in FILE
clean() {
	! grep -E 'Sanitizer|runtime error|LeakSanitizer' "$1"
}

# hit: the server really misbehaved (so a pass is not for nothing)
hit() {
	grep -q "^hostile: $1 on" "$SLOG"
}

mnt() { # mnt [OPTS]: mount ADDR on MNT with 9pfuse -f (no page cache)
	mount_9pfuse "$ADDR" / "$MNT" "cache=none${1:+,$1}"
}

# ---- 9pctl: one bad reply, the session goes on ------------------------------

# ctl_bad MODE TYPE REASON CMD: the request of type TYPE about slow.txt
# gets MODE's reply; CMD (9pctl's, on /slow.txt then /hello.txt) reports
# REASON for slow.txt, exits 1 and still does hello.txt.
ctl_bad() {
	local mode=$1 type=$2 reason=$3 cmd=$4
	hostile "$mode" -t "$type" -f slow
	ctl "$cmd" /slow.txt /hello.txt
	hit "$mode"
	[ "$st" -eq 1 ]
	grep -q "^9pctl: /slow.txt: .*$reason" "$ERR"
	[ "$(grep -c '^9pctl:' "$ERR")" -eq 1 ]
	[ "$cmd" != cat ] || [ "$out" = "hello, world" ]
	[ "$cmd" != stat ] || [[ "$out" == *hello.txt* ]]
	clean "$ERR"
}

@test "9pctl: Rread ending inside a field" {
	ctl_bad trunc Tread "bad message (type 117" cat
}

@test "9pctl: Rgetattr ending inside a field" {
	ctl_bad trunc Tgetattr "message ends inside a field" stat
}

@test "9pctl: trailing bytes inside size" {
	ctl_bad trailing Tread "trailing bytes" cat
}

@test "9pctl: unknown message type" {
	ctl_bad badtype Tread "unknown message type" cat
}

@test "9pctl: a T-message as reply" {
	ctl_bad ttype Tread "bad message (type 116" cat
}

@test "9pctl: a reply of another type" {
	ctl_bad wrongtype Tread "reply type does not match" cat
}

@test "9pctl: Rflush answering a read" {
	ctl_bad rflush Tread "reply type does not match" cat
}

@test "9pctl: a 9P2000 Rerror in 9P2000.L" {
	ctl_bad rerror Tread "not in the negotiated dialect" cat
}

@test "9pctl: Ropen in 9P2000.L" {
	ctl_bad ropen Tlopen "not in the negotiated dialect" cat
}

@test "9pctl: Rlerror with an errno nobody knows is EIO" {
	ctl_bad lerror Tread "Input/output error" cat
}

@test "9pctl: Rread count beyond the message" {
	ctl_bad count Tread "count runs past the end" cat
}

@test "9pctl: Rread count above the requested" {
	ctl_bad overcount Tread "count above the requested" cat
}

@test "9pctl: Rwalk nwqid above nwname" {
	ctl_bad nwqid Twalk "nwqid above nwname" cat
}

@test "9pctl: Rwalk nwqid 17" {
	ctl_bad nwqid17 Twalk "nwqid above 16" cat
}

@test "9pctl: Rwalk ending inside a field" {
	ctl_bad trunc Twalk "message ends inside a field" cat
}

@test "9pctl: a directory entry running past Rreaddir's data" {
	hostile dirent
	ctl ls /sub
	hit dirent
	[ "$st" -eq 1 ]
	grep -q "^9pctl: /sub: bad directory entry: string runs past" "$ERR"
	clean "$ERR"
}

@test "9pctl: Rreaddir count beyond the message" {
	hostile count -t Treaddir
	ctl ls /
	hit count
	[ "$st" -eq 1 ]
	grep -q "count runs past the end" "$ERR"
	clean "$ERR"
}

# ---- 9pctl: the connection cannot go on -------------------------------------

# ctl_dead MODE REASON: the read of slow.txt ends the connection; both
# files fail with "connection lost: REASON".
ctl_dead() {
	hostile "$1" -f slow
	ctl cat /slow.txt /hello.txt
	hit "$1"
	[ "$st" -eq 1 ]
	[ -z "$out" ]
	grep -q "^9pctl: /slow.txt: connection lost: $2" "$ERR"
	grep -q "^9pctl: /hello.txt: connection lost: $2" "$ERR"
	clean "$ERR"
}

@test "9pctl: a size field below 7 ends the connection" {
	ctl_dead short "reply size 5 outside 7..msize"
}

@test "9pctl: a size field of 2 GiB ends the connection" {
	ctl_dead huge "reply size 2147483647 outside 7..msize"
}

@test "9pctl: a message of msize+1 bytes ends the connection" {
	ctl_dead overmsize "reply size [0-9]* outside 7..msize"
}

@test "9pctl: a connection closed in the middle of a reply" {
	ctl_dead midclose "\(connection closed by the server\|Connection reset\)"
}

@test "9pctl: a connection closed instead of a reply" {
	ctl_dead close "\(connection closed by the server\|Connection reset\)"
}

# ---- 9pctl: tags -----------------------------------------------------------

# ctl_fine MODE: the misbehaviour does not disturb anything
ctl_fine() {
	hostile "$1" -f slow
	ctl cat /slow.txt /hello.txt /slow.txt
	hit "$1"
	[ "$st" -eq 0 ]
	[ "$out" = "$(printf 'slow data\nhello, world\nslow data')" ]
	clean "$ERR"
}

@test "9pctl: replies to tags nobody used are dropped" {
	ctl_fine stray
}

@test "9pctl: a reply sent twice in a row answers one request" {
	ctl_fine twicenow
}

@test "9pctl: a reply sent again later does not answer the next request" {
	ctl_fine twice
}

# ---- 9pctl: silence --------------------------------------------------------

@test "9pctl: Control-C on a read the server holds: Tflush, Rflush, exit" {
	hostile stall -f slow
	"$CTL" -a "$ADDR" cat /slow.txt 2>"$ERR" &
	pid=$!
	sleep 1
	kill -INT "$pid"
	st=0
	timeout 20 tail --pid="$pid" -f /dev/null || st=$?
	[ "$st" -eq 0 ]		# it ended
	wait "$pid" || st=$?
	cat "$ERR"
	[ "$st" -ne 0 ]
	hit stall
	grep -q "Interrupted" "$ERR"
	clean "$ERR"
}

# ctl_silent MODE: a server that answers nothing (not even Tflush) from the
# read of slow.txt on: Control-C ends 9pctl once the Tflush goes unanswered
ctl_silent() {
	hostile "$1" -f slow
	"$CTL" -a "$ADDR" cat /slow.txt 2>"$ERR" &
	pid=$!
	sleep 1
	kill -INT "$pid"
	st=0
	timeout 30 tail --pid="$pid" -f /dev/null || st=$?
	[ "$st" -eq 0 ]
	wait "$pid" || st=$?
	cat "$ERR"
	[ "$st" -ne 0 ]
	hit "$1"
	grep -q "^9pctl: /slow.txt: .*did not answer Tflush" "$ERR"
	clean "$ERR"
}

@test "9pctl: Control-C on a server that answers nothing, Tflush included" {
	ctl_silent deaf
}

@test "9pctl: Control-C on a server that stops in the middle of a reply" {
	ctl_silent partial
}

# ---- 9pctl: version and attach ---------------------------------------------

# ctl_refused MODE [ARGS] -- TEXT: 9pctl does not get a session
ctl_refused() {
	local args=()
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	hostile "${args[@]}"
	ctl ls /
	hit "${args[0]}"
	[ "$st" -eq 1 ]
	grep -q "^9pctl: $ADDR: .*$2" "$ERR"
	clean "$ERR"
}

@test "9pctl: Rversion msize above the request" {
	ctl_refused vmsize -- "Rversion msize above the requested"
}

@test "9pctl: Rversion \"unknown\"" {
	ctl_refused vunknown -- "server answered version 'unknown'"
}

@test "9pctl: Rversion with a version nobody speaks" {
	ctl_refused vjunk -- "server answered version '9P2000.X'"
}

@test "9pctl: Rversion msize below the minimum" {
	ctl_refused vtiny -- "server answered version '9P2000.L' msize 256"
}

@test "9pctl: Rversion with a string running past the end" {
	ctl_refused badstr -t Tversion -- "string runs past"
}

@test "9pctl: the connection closed instead of Rversion" {
	ctl_refused close -t Tversion -- "connection lost: "
}

@test "9pctl: Rattach refused" {
	ctl_refused lerror -t Tattach -e 13 -- "Permission denied"
}

@test "9pctl: Rattach ending inside a field" {
	ctl_refused trunc -t Tattach -- "message ends inside a field"
}

@test "9pctl: Control-C while the server never answers Tversion" {
	hostile deaf -t Tversion
	"$CTL" -a "$ADDR" ls / 2>"$ERR" &
	pid=$!
	sleep 1
	kill -INT "$pid"
	st=0
	timeout 10 tail --pid="$pid" -f /dev/null || st=$?
	[ "$st" -eq 0 ]
	wait "$pid" || st=$?
	[ "$st" -ne 0 ]
	hit deaf
	clean "$ERR"
}

# ---- 9pfuse: one bad reply, the mount goes on --------------------------------

# fuse_bad MODE TYPE REASON OP: OP on slow.txt (cat, stat, readlink on
# link, ls on sub) gets EIO, 9pfuse logs REASON, the rest of the mount
# works, and it unmounts cleanly.
fuse_bad() {
	local mode=$1 type=$2 reason=$3 op=$4 what=slow.txt
	case $op in
	readlink) what=link; op="readlink -v" ;;
	ls) what=sub ;;
	esac
	hostile "$mode" -t "$type" -f "${what%.txt}"
	mnt
	run $op "$MNT/$what"
	echo "$op $what -> $status: $output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Input/output error"* ]]
	hit "$mode"
	[ "$(cat "$MNT/hello.txt")" = "hello, world" ]
	[ "$(cat "$MNT/sub/deep.txt")" = deep ]
	[ "$(cksum <"$MNT/big")" = "$BIGSUM" ]
	umount_9pfuse "$MNT"
	cat "$MNT.log"
	grep -q "^9pfuse: $MNT: .*$reason" "$MNT.log"
}

@test "9pfuse: Rread ending inside a field" {
	fuse_bad trunc Tread "count runs past the end" cat
}

@test "9pfuse: Rgetattr ending inside a field" {
	fuse_bad trunc Tgetattr "message ends inside a field" stat
}

@test "9pfuse: trailing bytes inside size" {
	fuse_bad trailing Tread "trailing bytes" cat
}

@test "9pfuse: unknown message type" {
	fuse_bad badtype Tread "unknown message type" cat
}

@test "9pfuse: a T-message as reply" {
	fuse_bad ttype Tread "bad message (type 116" cat
}

@test "9pfuse: a reply of another type" {
	fuse_bad wrongtype Tread "reply type does not match" cat
}

@test "9pfuse: a 9P2000 Rerror in 9P2000.L" {
	fuse_bad rerror Tread "not in the negotiated dialect" cat
}

@test "9pfuse: Ropen in 9P2000.L" {
	fuse_bad ropen Tlopen "not in the negotiated dialect" cat
}

@test "9pfuse: Rread count beyond the message" {
	fuse_bad count Tread "count runs past the end" cat
}

@test "9pfuse: Rread count above the requested" {
	fuse_bad overcount Tread "count above the requested" cat
}

@test "9pfuse: Rwalk nwqid above nwname; the fid is not reused" {
	fuse_bad nwqid Twalk "nwqid above nwname" cat
	# the walk's newfid may exist on the server: it was clunked, not
	# handed out again ("fid already in use" would fail other lookups)
	! grep -q "bad request\|EBADF" "$SLOG"
}

@test "9pfuse: Rwalk nwqid 17" {
	fuse_bad nwqid17 Twalk "nwqid above 16" cat
}

@test "9pfuse: Rreaddir entry running past the data" {
	fuse_bad dirent Treaddir "bad directory entry" ls
}

@test "9pfuse: Rreadlink target running past the end" {
	fuse_bad badstr Treadlink "string runs past" readlink
}

@test "9pfuse: Rlerror with an errno nobody knows is EIO" {
	hostile lerror -f slow
	mnt
	run cat "$MNT/slow.txt"
	[[ "$output" == *"Input/output error"* ]]
	hit lerror
	[ "$(cat "$MNT/hello.txt")" = "hello, world" ]
	umount_9pfuse "$MNT"
}

# ---- 9pfuse: the connection cannot go on -------------------------------------

# fuse_dead MODE REASON: the read of slow.txt ends the connection: it and
# everything after fail with EIO at once, 9pfuse says why, unmount works
fuse_dead() {
	hostile "$1" -f slow
	mnt
	run timeout 20 cat "$MNT/slow.txt"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Input/output error"* ]]
	hit "$1"
	for op in "cat $MNT/hello.txt" "ls $MNT/sub" "stat $MNT/big" \
	    "touch $MNT/new"; do
		run timeout 20 $op
		echo "$op -> $status: $output"
		[ "$status" -ne 0 ] && [ "$status" -ne 124 ]
		[[ "$output" == *"Input/output error"* ]]
	done
	fusermount3 -u "$MNT"
	umount_9pfuse "$MNT"
	cat "$MNT.log"
	grep -q "^9pfuse: $MNT: connection lost: $2" "$MNT.log"
}

@test "9pfuse: a size field below 7 ends the connection" {
	fuse_dead short "reply size 5 outside"
}

@test "9pfuse: a size field of 2 GiB ends the connection" {
	fuse_dead huge "reply size 2147483647 outside"
}

@test "9pfuse: a message of msize+1 bytes ends the connection" {
	fuse_dead overmsize "reply size [0-9]* outside"
}

@test "9pfuse: a connection closed in the middle of a reply" {
	fuse_dead midclose "\(connection closed by the server\|Connection reset\)"
}

@test "9pfuse: a connection closed instead of a reply" {
	fuse_dead close "\(connection closed by the server\|Connection reset\)"
}

# ---- 9pfuse: tags ----------------------------------------------------------

# fuse_fine MODE: reads are right, nothing else is disturbed
fuse_fine() {
	hostile "$1" -f slow
	mnt
	for _ in 1 2 3; do
		[ "$(cat "$MNT/slow.txt")" = "slow data" ]
		[ "$(cat "$MNT/hello.txt")" = "hello, world" ]
	done
	hit "$1"
	umount_9pfuse "$MNT"
}

@test "9pfuse: replies to tags nobody used are dropped" {
	fuse_fine stray
}

@test "9pfuse: a reply sent twice in a row answers one request" {
	fuse_fine twicenow
}

@test "9pfuse: a reply sent again later is not taken for the next one's" {
	# the duplicate comes just before the next reply: were the tag
	# reused at once, the next read would get slow.txt's data again
	fuse_fine twice
}

@test "9pfuse: an interrupted read the server holds: EINTR after Rflush" {
	hostile stall -f slow
	mnt
	run timeout 30 "$RDINTR" "$MNT/slow.txt" 1
	[ "$output" = EINTR ]
	hit stall
	[ "$(cat "$MNT/hello.txt")" = "hello, world" ]
	umount_9pfuse "$MNT"
}

@test "9pfuse: a reply after its Rflush does not answer the next request" {
	hostile flushlate -f slow
	mnt
	run timeout 30 "$RDINTR" "$MNT/slow.txt" 1
	[ "$output" = EINTR ]
	grep -q "Rflush now, the reply to tag .* later" "$SLOG"
	# the stale Rread comes just before this lookup's replies
	[ "$(cat "$MNT/hello.txt")" = "hello, world" ]
	[ "$(cat "$MNT/sub/deep.txt")" = deep ]
	umount_9pfuse "$MNT"
}

@test "9pfuse: a reply before Rflush is honoured" {
	hostile flushreply -f slow
	mnt
	run timeout 30 "$RDINTR" "$MNT/slow.txt" 1
	[ "${lines[0]}" = "read 10" ]
	[ "${lines[1]}" = "slow data" ]
	hit flushreply
	[ "$(cat "$MNT/hello.txt")" = "hello, world" ]
	umount_9pfuse "$MNT"
}

# ---- 9pfuse: silence --------------------------------------------------------

# is PID still running (not gone, not a zombie waiting to be reaped)?
alive() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# fuse_silent MODE: the server stops answering at the read of slow.txt
# (Tflush included).  A reader killed with SIGKILL sleeps uninterruptibly
# until its FUSE request is answered: that must happen once the Tflush
# goes unanswered (5 s), then the mount fails with EIO and unmounts.
fuse_silent() {
	hostile "$1" -f slow
	mnt
	cat "$MNT/slow.txt" >/dev/null 2>&1 &
	pid=$!
	sleep 1
	alive "$pid"		# held by the server
	kill -KILL "$pid"
	for _ in $(seq 200); do
		alive "$pid" || break
		sleep 0.1
	done
	! alive "$pid"		# gone within 20 s, not stuck in D
	hit "$1"
	run timeout 10 cat "$MNT/hello.txt"
	[[ "$output" == *"Input/output error"* ]]
	fusermount3 -u "$MNT"
	umount_9pfuse "$MNT"
	grep -q "^9pfuse: $MNT: connection lost: the server did not answer Tflush" "$MNT.log"
}

@test "9pfuse: a reader killed on a server that answers nothing is not left in D state" {
	fuse_silent deaf
}

@test "9pfuse: a reader killed on a server stopped mid-reply is not left in D state" {
	fuse_silent partial
}

# ---- 9pfuse: version and attach ----------------------------------------------

# fuse_refused MODE [ARGS] -- TEXT: no mount, exit 1, TEXT on stderr
fuse_refused() {
	local args=()
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	hostile "${args[@]}"
	mkdir -p "$MNT"
	st=0
	timeout 60 "$FUSE" -f "$ADDR" "$MNT" 2>"$ERR" || st=$?
	cat "$ERR"
	[ "$st" -eq 1 ]
	! mountpoint -q "$MNT"
	hit "${args[0]}"
	grep -q "^9pfuse: $ADDR: .*$2" "$ERR"
	clean "$ERR"
}

@test "9pfuse: Rversion msize above the request fails the mount" {
	fuse_refused vmsize -- "Rversion msize above the requested"
}

@test "9pfuse: Rversion \"unknown\" fails the mount" {
	fuse_refused vunknown -- "server answered version 'unknown'"
}

@test "9pfuse: Rversion msize below the minimum fails the mount" {
	fuse_refused vtiny -- "msize 256"
}

@test "9pfuse: a size field below 7 in Rversion fails the mount" {
	fuse_refused short -t Tversion -- "reply size 5 outside"
}

@test "9pfuse: an attach refused fails the mount" {
	fuse_refused lerror -t Tattach -e 13 -- "Permission denied"
}

@test "9pfuse: SIGTERM while the server never answers Tversion leaves no process" {
	hostile deaf -t Tversion
	mkdir -p "$MNT"
	# in the background as mount(8) runs it: the child dials
	"$FUSE" "$ADDR" "$MNT" 2>"$ERR" &
	pid=$!
	sleep 1
	hit deaf
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	[ "$st" -ne 0 ]
	for _ in $(seq 50); do
		pgrep -f "9pfuse $ADDR $MNT" >/dev/null || break
		sleep 0.1
	done
	! pgrep -af "9pfuse $ADDR $MNT"
	! mountpoint -q "$MNT"
}
