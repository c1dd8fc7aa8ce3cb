# helpers.bash - shared by the bats suites: where the binaries are, and
# starting real servers (diod, our 9P2000/.u test server) on free ports.

P9_BUILD=${P9_BUILD:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build}
CTL=$P9_BUILD/9pctl
P9SRV=$P9_BUILD/tests/srv/p9srv
P9STRESS=$P9_BUILD/tests/stress/p9stress
export LC_ALL=C

# a TCP port nobody listens on
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

wait_tcp() { # wait_tcp PORT
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.05
	done
	echo "nothing listens on port $1" >&2
	return 1
}

wait_unix() { # wait_unix PATH
	for _ in $(seq 100); do
		[ -S "$1" ] && return 0
		sleep 0.05
	done
	echo "no socket at $1" >&2
	return 1
}

# start_diod DIR [tcp|unix]: sets ADDR, DIOD_PID
start_diod() {
	local dir=$1 how=${2:-tcp}
	command -v diod >/dev/null || skip "diod is not installed"
	if [ "$how" = unix ]; then
		SOCK=$BATS_FILE_TMPDIR/diod.sock
		diod -f -n -l "$SOCK" -e "$dir" -L "$BATS_FILE_TMPDIR/diod.log" &
		DIOD_PID=$!
		wait_unix "$SOCK"
		ADDR=unix:$SOCK
	else
		local port
		port=$(free_port)
		diod -f -n -l "127.0.0.1:$port" -e "$dir" -L "$BATS_FILE_TMPDIR/diod.log" &
		DIOD_PID=$!
		wait_tcp "$port"
		ADDR=tcp:127.0.0.1:$port
	fi
	export ADDR DIOD_PID
}

stop_pid() {
	[ -n "${1:-}" ] || return 0
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# usage_is_synopsis PROGRAM PAGE: what PROGRAM prints as usage (run with
# no arguments: exit 2) is, word for word, man/PAGE's SYNOPSIS
usage_is_synopsis() {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	run "$1"
	[ "$status" -eq 2 ]
	local usage man
	usage=$(echo "$output" | sed 's/^usage: //' | tr -s ' \t\n' ' ' | sed 's/ $//')
	man=$(mandoc -Tascii "$BATS_TEST_DIRNAME/../../man/$2" | col -b |
		sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' |
		tr -s ' \t\n' ' ' | sed 's/^ //; s/ $//')
	echo "usage:    $usage"
	echo "SYNOPSIS: $man"
	[ "$usage" = "$man" ]
}

# ls -l with runs of blanks squeezed (column widths are cosmetic)
squeeze() { tr -s ' '; }

# ---- 9pfuse mounts ------------------------------------------------------------
FUSE=$P9_BUILD/9pfuse
FSX=$P9_BUILD/tests/fsx/fsx
TRACE9P=$P9_BUILD/9ptrace

# fids_open TRACE: the fids a traced session holds on the server now, as
# 9ptrace's summary counts them (-l: the summary itself, listing them)
fids_open() {
	if [ "$1" = -l ]; then
		"$TRACE9P" -s -r "$2"
		return
	fi
	"$TRACE9P" -s -r "$1" | sed -n 's/^#1 .*: \([0-9]*\) fids\{0,1\} open at the end.*/\1/p'
}

# mount_9pfuse ADDR EXPORT MNT [OPTS]: mount EXPORT of the server at ADDR
# on MNT and wait until the mount is in place.  9pfuse runs in the
# foreground (-f) in a background job, so that its exit status and its
# stderr (sanitizer reports included) are kept: MNT.log and MNT.status.
mount_9pfuse() {
	local addr=$1 dir=$2 mnt=$3 opts=${4:-}
	mkdir -p "$mnt"
	rm -f "$mnt.status"
	(
		"$FUSE" -f -o "aname=$dir${opts:+,$opts}" "$addr" "$mnt" \
		    2>>"$mnt.log"
		echo $? >"$mnt.status"
	) 3>&- &
	for _ in $(seq 200); do
		mountpoint -q "$mnt" && return 0
		[ -e "$mnt.status" ] && break
		sleep 0.05
	done
	echo "9pfuse did not mount $mnt:" >&2
	cat "$mnt.log" >&2
	return 1
}

# umount_9pfuse MNT: unmount (lazily if it stays busy), wait for 9pfuse to
# exit; fails if it exited non-zero or a sanitizer reported anything.  Safe
# to call on something that is not mounted (teardown).
umount_9pfuse() {
	local mnt=$1
	# not [ -d ]: see below
	grep -q " $mnt fuse" /proc/mounts || [ -e "$mnt.log" ] || return 0
	# /proc/mounts, not mountpoint(1): a stat of a mount whose server is
	# away waits (reconnect) or fails
	if grep -q " $mnt fuse" /proc/mounts; then
		for _ in $(seq 50); do
			fusermount3 -u "$mnt" 2>/dev/null && break
			sleep 0.1
		done
		! grep -q " $mnt fuse" /proc/mounts || fusermount3 -uz "$mnt"
	fi
	[ -e "$mnt.log" ] || return 0
	for _ in $(seq 300); do
		[ -e "$mnt.status" ] && break
		sleep 0.1
	done
	if [ ! -e "$mnt.status" ]; then
		echo "9pfuse on $mnt did not exit" >&2
		return 1
	fi
	if grep -E 'Sanitizer|runtime error' "$mnt.log" >&2; then
		return 1
	fi
	[ "$(cat "$mnt.status")" = 0 ] || {
		echo "9pfuse on $mnt exited with $(cat "$mnt.status")" >&2
		cat "$mnt.log" >&2
		return 1
	}
}
