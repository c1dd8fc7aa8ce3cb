# helpers.bash - shared by the bats suites: where the binaries are, and
# starting real servers (diod, our 9P2000/.u test server) on free ports.

P9_BUILD=${P9_BUILD:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build}
CTL=$P9_BUILD/9pctl
P9SRV=$P9_BUILD/tests/srv/p9srv
P9STRESS=$P9_BUILD/tests/stress/p9stress
export LC_ALL=C

# a TCP port nobody listens on, below the kernel's ephemeral range
# (net.ipv4.ip_local_port_range, 32768 up by default) so that no client
# socket of another test can be holding it by the time a server binds it
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

# wait_tcp PORT [PID]: up to 20 s (a loaded 2-core CI machine), and no
# longer than the server PID lives
wait_tcp() {
	for _ in $(seq 400); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then
			echo "the server (pid $2) exited before listening on port $1" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "nothing listens on port $1" >&2
	return 1
}

wait_unix() { # wait_unix PATH
	for _ in $(seq 400); do
		[ -S "$1" ] && return 0
		sleep 0.05
	done
	echo "no socket at $1" >&2
	return 1
}

# ---- virtio mode ---------------------------------------------------------------
# In the QEMU test guest (scripts/vm/guest-suites.sh) P9_VIRTIO names the
# kind of virtio-9p device under test (m1, m2, l1) and P9_VIRTIO_CONF
# (default /etc/9p-virtio.conf) lists, a line per host folder ("slot"):
#   KIND SLOT TWIN TAG...
# every TAG (of that kind) and TWIN (modern, no iommu_platform) export the
# same host folder.  QEMU's 9p server ignores aname, so a suite's export
# folder, which it reads and writes directly to check effects server-side,
# is made the guest kernel's own v9fs mount of TWIN: the same host folder
# seen another way.  One device serves one process (VFIO), hence several
# TAGs per slot: one per 9pfuse mounted at once.

# virtio_slow WHAT: skip a test too slow for the guest's time budget under
# TCG (scripts/vm/guest-suites.sh); it runs against diod on the host
virtio_slow() {
	virtio_skip "$* under TCG: over the guest's time budget (runs against diod on the host)"
}

# QEMU scales statfs's block size (and so the block counts) by the msize
# of the session: the twin and the 9pfuse mounts use the same one, the
# kernel's largest over virtio, so that df agrees between them
P9_VIRTIO_MSIZE=512000

# virtio_skip WHY: skip a test that cannot work over virtio-9p
virtio_skip() {
	[ -z "${P9_VIRTIO:-}" ] || skip "virtio ($P9_VIRTIO): $*"
}

# virtio_slot N: the conf line of slot N of the kind under test
virtio_slot() {
	awk -v k="$P9_VIRTIO" -v n="$1" '$1 == k && $2 == n' \
	    "${P9_VIRTIO_CONF:-/etc/9p-virtio.conf}"
}

# virtio_free_tag ADDR: a device of ADDR's slot that no process holds now
# (still on virtio-pci: 9pfuse binds its device to vfio-pci until it exits)
virtio_free_tag() {
	local tag=${1#virtio:} line t d
	line=$(awk -v k="$P9_VIRTIO" -v t="$tag" '$1 == k {
		for (i = 4; i <= NF; i++) if ($i == t) print }' \
	    "${P9_VIRTIO_CONF:-/etc/9p-virtio.conf}")
	for t in ${line#* * * }; do
		for d in /sys/bus/pci/devices/*/virtio*/mount_tag; do
			[ "$(tr -d '\0' <"$d")" = "$t" ] && { echo "$t"; return 0; }
		done
	done
	echo "no free virtio-9p device left for $tag's folder: give the slot more devices" >&2
	return 1
}

# virtio_export DIR: hand out the next slot; DIR becomes the kernel's v9fs
# mount of its twin, holding what DIR held (emptied first: a fresh folder,
# as each diod's is).  DIOD_PID is a stand-in whose end (stop_pid, in
# teardown_file) unmounts it again.
virtio_export() {
	local dir=$1 stage mode line
	P9_VIRTIO_NEXT=$((${P9_VIRTIO_NEXT:-0} + 1))
	line=$(virtio_slot "$P9_VIRTIO_NEXT")
	[ -n "$line" ] || { echo "no slot $P9_VIRTIO_NEXT of kind $P9_VIRTIO" >&2; return 1; }
	# shellcheck disable=SC2086 # KIND SLOT TWIN TAG...: split on purpose
	set -- $line
	# cache=none: every stat and read goes to the host, so what a 9pfuse
	# device changed is seen at once; access=client: the guest's uid
	# creates, so root's files are root's on the host as well
	local opts=trans=virtio,version=9p2000.L,cache=none,access=client,msize=$P9_VIRTIO_MSIZE
	stage=$(mktemp -d)
	mount -t 9p -o "$opts" "$3" "$stage"
	find "$stage" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
	cp -a "$dir/." "$stage/"
	mode=$(stat -c %a "$dir")
	umount "$stage"
	rmdir "$stage"
	mount -t 9p -o "$opts" "$3" "$dir"
	chmod "$mode" "$dir"
	ADDR=virtio:$4
	# the kernel's v9fs shows inode numbers as qid.path + 2 (Linux 6.1's
	# v9fs_qid2ino): measured here on the root, taken off by xino
	local q
	q=$("$CTL" -a "$ADDR" stat / | sed -n 's/.*Qid: path \(0x[0-9a-f]*\) .*/\1/p')
	[ -n "$q" ] || { echo "9pctl -a $ADDR stat / gave no qid" >&2; return 1; }
	P9_XINO=$(($(stat -c %i "$dir") - q))
	P9_VIRTIO_SPECIALS=no
	! { mkfifo "$dir/.probe-fifo" && mknod "$dir/.probe-chr" c 1 3; } 2>/dev/null ||
		P9_VIRTIO_SPECIALS=yes
	rm -f "$dir/.probe-fifo" "$dir/.probe-chr"
	export P9_XINO P9_VIRTIO_SPECIALS
	(
		trap 'umount "$dir" || umount -l "$dir"; exit 0' TERM
		while :; do sleep 0.2; done
	) 3>&- &
	DIOD_PID=$!
	export ADDR DIOD_PID P9_VIRTIO_NEXT
}

# xino PATH: the inode number the server has for PATH in an export
# folder (P9_XINO: what the export's view adds, in virtio mode)
xino() {
	echo $(($(stat -c %i "$1") - ${P9_XINO:-0}))
}

# inos [OFFSET]: ls -ai lines with OFFSET taken off each inode number
inos() {
	awk -v o="${1:-0}" '{ $1 -= o; print }'
}

# specials: whether the server makes FIFOs and device nodes (virtio_export
# tries).  QEMU's 9p server (7.2, local backend, security_model none and
# passthrough alike) fails Tmknod of a FIFO or a character device with
# ENXIO, from either client (v9fs or 9pfuse): most likely its fix for
# CVE-2023-2861, which refuses to open special files, also hitting the
# chmod after the mknod (the node is then removed)
specials() {
	[ -z "${P9_VIRTIO:-}" ] || [ "${P9_VIRTIO_SPECIALS:-}" = yes ]
}

# start_diod DIR [tcp|unix]: sets ADDR, DIOD_PID
start_diod() {
	local dir=$1 how=${2:-tcp}
	if [ -n "${P9_VIRTIO:-}" ]; then
		virtio_export "$dir"
		return
	fi
	command -v diod >/dev/null || skip "diod is not installed"
	if [ "$how" = unix ]; then
		SOCK=$BATS_FILE_TMPDIR/diod.sock
		diod -f -n -l "$SOCK" -e "$dir" -L "$BATS_FILE_TMPDIR/diod.log" &
		DIOD_PID=$!
		wait_unix "$SOCK"
		ADDR=unix:$SOCK
	else
		# another process may take the port between free_port and
		# diod's bind: then diod exits, and another port is tried
		local port try
		for try in 1 2 3; do
			port=$(free_port)
			diod -f -n -l "127.0.0.1:$port" -e "$dir" -L "$BATS_FILE_TMPDIR/diod.log" &
			DIOD_PID=$!
			wait_tcp "$port" "$DIOD_PID" && break
			stop_pid "$DIOD_PID"
			tail -5 "$BATS_FILE_TMPDIR/diod.log" >&2
			[ "$try" -lt 3 ] || return 1
		done
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
	if [ -n "${P9_VIRTIO:-}" ]; then
		addr=virtio:$(virtio_free_tag "$addr") || return 1
		[[ ,$opts, == *,msize=* ]] || opts=msize=$P9_VIRTIO_MSIZE${opts:+,$opts}
	fi
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
