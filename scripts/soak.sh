#!/usr/bin/env bash
#
# soak.sh - a long run of mixed load on a 9pfuse mount of a diod this
# script starts on 127.0.0.1 (TCP), watching 9pfuse for growth (memory,
# fids, tags) and every operation for errors and wrong data.
#
# Two 9pfuse mounts of the one diod: the main one, with the default cache
# (MOUNTOPTS adds options), takes the whole load; a second one of the
# folder big/ with cache=none (direct I/O) takes half of the interrupted
# calls, since only there, or with O_DIRECT, does every read reach 9pfuse
# (through the page cache, reads are readahead, which signals do not
# interrupt).
#
# The load, all at once for DURATION seconds (WORKERS = K):
#   K writers       write files of random content and size (0 to 4 MiB)
#                   in a folder of their own with dd (odd block sizes),
#                   cp, cat, appends, patches in place (dd conv=notrunc)
#                   and truncates, keeping a local copy that gets the same
#                   changes; compare (cmp) the file with it; record its
#                   sha256 in the model; move it into pool/ (a random one
#                   of its folders).  Some names have spaces, some are
#                   200 bytes long, some are not ASCII.
#   K readers       pick a random pool file and check its sha256 against
#                   the model: read whole, or slowly (soak-io -p), keeping
#                   it open while the renamer moves or deletes it.
#   1 renamer       moves pool files between folders (preferring files a
#                   reader holds open), renames pool folders (with open
#                   files below them), and deletes files (preferring open
#                   ones) to keep the pool at POOL_MAX files.
#   K/2+1 churners  in a folder of their own: mkdir -p, create, list,
#                   symlink, readlink, hard link, chmod, truncate, rename
#                   a folder with a file open below it and read through
#                   the open descriptor, unlink the open file and open it
#                   again through /proc/PID/fd, rename over a file, mkdir
#                   and rmdir loops, rm -r; each result checked.
#   1 interrupter   reads BIG_MB files and writes them under SIGALRM every
#                   0.5-3.5 ms (soak-io -i; calls fail with EINTR or come
#                   back short and are redone: the data, read back through
#                   the mount and on the server's disk, must be right),
#                   and kills readers and writers with SIGINT or SIGKILL
#                   after a random 0.01-0.5 s (what was read must be a
#                   prefix of the file); on both mounts, with O_DIRECT on
#                   the main one if it works there (ODIRECT=auto, 1 or 0).
# Choosing a pool file and opening it happen under a shared lock (flock
# on a local file), the renamer's changes under the exclusive one: so no
# open ever races a move, and every failure is an error, none excused as
# a race.  Readers that keep a file open let the lock go once it is open.
#
# Every SAMPLE seconds a line: seconds, the main 9pfuse's RSS (VmRSS), and
# from its status line (SIGUSR1, see 9pfuse(1)) the fids, tags in flight,
# nodes and open files, the second 9pfuse's fids, diod's open
# descriptors, operations done, errors.  At the end the workers stop, and:
#   - every pool file, read through the mount and straight from the export
#     (the server's disk), matches the model, and the set of files is the
#     model's (written less deleted); no .9pfuse-hidden file is left, the
#     writers', churners' and interrupter's folders are empty;
#   - no growth: RSS, median of the last three samples under load, at most
#     the largest RSS of the warm-up (the first WARMUP s) x 1.2 + 2 MiB
#     (malloc arenas and fragmentation settle after the warm-up has seen
#     the largest requests and the most threads; a leak of even 100 bytes
#     per operation is well past it in 30 minutes); fids likewise, at most
#     the warm-up's largest x 1.2 + 16 (fids follow the nodes the kernel
#     keeps, one per pool file and folder, plus one per open file: the
#     readers' open files and the churners' trees come and go); with the
#     load gone, tags and open files 0; after drop_caches (as root) the
#     kernel forgets every inode, and both mounts' fids and nodes and
#     diod's descriptors must be back exactly at the baseline taken the
#     same way before the load;
#   - no errors: every operation succeeded (interrupted calls only ever
#     saw EINTR or short counts, or were killed), and some calls were
#     interrupted; during the load 9pfuse replied no errno but ENOENT
#     (names looked up before they are made), ENODATA (security.capability,
#     asked for on writes) and EINTR (the interrupted calls);
#   - the unmounts are clean, both 9pfuse exit 0, and their standard error
#     holds nothing but status lines (no error, no sanitizer report).
# The last line is the verdict, "soak: PASS ..." or "soak: FAIL: ...", and
# the exit status 0 or 1.
#
# Environment: DURATION (s, default 1800), WORKERS (default 2), SAMPLE (s
# between samples, default DURATION/60 within 5..60), WARMUP (s, default
# DURATION/4 up to 300), POOL_MAX (default 120), BIG_MB (default 32),
# P9_BUILD (build folder, default build), MOUNTOPTS (more -o options for
# the main 9pfuse), ODIRECT, TMPDIR (default /var/tmp), KEEP=1 keeps the
# temp folder, RESULTS (file whose "## Soak" section is replaced with the
# figures via bench/results.sh; default bench/RESULTS.md when DURATION >=
# 1800, else none).  An AddressSanitizer build gets a small quarantine (16
# MiB), so that the quarantine filling up is not taken for growth.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/results.sh"

DURATION=${DURATION:-1800}
WORKERS=${WORKERS:-2}
SAMPLE=${SAMPLE:-$((DURATION / 60 < 5 ? 5 : DURATION / 60 > 60 ? 60 : DURATION / 60))}
WARMUP=${WARMUP:-$((DURATION / 4 > 300 ? 300 : DURATION / 4))}
POOL_MAX=${POOL_MAX:-120}
BIG_MB=${BIG_MB:-32}
P9_BUILD=${P9_BUILD:-$top/build}
# the source the run is of, taken now (a long run outlives commits)
rev=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=
if git -C "$top" status --porcelain -- lib src 2>/dev/null | grep -q .; then
	dirty=" + uncommitted changes in lib/ src/"
fi
MOUNTOPTS=${MOUNTOPTS:-}
ODIRECT=${ODIRECT:-auto}
KEEP=${KEEP:-0}
if [[ -z ${RESULTS+set} ]]; then
	RESULTS=
	((DURATION < 1800)) || RESULTS=$top/bench/RESULTS.md
fi
FUSE=$P9_BUILD/9pfuse
NCHURN=$((WORKERS / 2 + 1))
HEAD="## Soak: 9pfuse under mixed load (diod over TCP)"
export LC_ALL=C

for c in diod fusermount3 flock timeout cc sha256sum; do
	command -v "$c" >/dev/null || { echo "soak: FAIL: $c is not installed"; exit 1; }
done
[[ -x $FUSE ]] || { echo "soak: FAIL: no 9pfuse in $P9_BUILD (scripts/build.sh first)"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/var/tmp}/soak.XXXXXX")
EXPORT=$T/export MNT=$T/mnt DMNT=$T/mnt-direct ST=$T/state MODEL=$T/model
IO=$T/soak-io
mkdir -p "$EXPORT/big" "$MNT" "$DMNT" "$ST" "$MODEL"
DIOD_PID='' WPIDS=()
MOUNTS=(main direct)
declare -A MPID=() MLOG=() MDIR=()

cleanup() {
	local p m
	touch "$ST/stop" 2>/dev/null || true
	for p in "${WPIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for m in "${MOUNTS[@]}"; do
		[[ -n ${MDIR[$m]:-} ]] || continue
		if mountpoint -q "${MDIR[$m]}"; then
			fusermount3 -u "${MDIR[$m]}" 2>/dev/null ||
			    fusermount3 -uz "${MDIR[$m]}" 2>/dev/null || true
		fi
		p=${MPID[$m]:-}
		[[ -z $p ]] || kill "$p" 2>/dev/null || true
	done
	[[ -z $DIOD_PID ]] || kill "$DIOD_PID" 2>/dev/null || true
	wait 2>/dev/null || true
	if [[ $KEEP = 1 ]]; then
		echo "soak: kept $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT

die() { echo "soak: FAIL: $*"; exit 1; }

# ---- server, helper, mounts --------------------------------------------------

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
}

cc -O2 -Wall -Wextra -o "$IO" "$top/scripts/soak-io.c" || die "cannot build soak-io"

PORT=$(free_port)
diod -f -n -l "127.0.0.1:$PORT" -e "$EXPORT" -L "$T/diod.log" &
DIOD_PID=$!
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
	sleep 0.05
done
ADDR=tcp:127.0.0.1:$PORT

# the quarantine would otherwise grow to 256 MiB: growth that is not ours
asan=0
if ldd "$P9_BUILD/.libs/9pfuse" 2>/dev/null | grep -q libasan; then
	asan=1
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16
fi

# mount9p NAME DIR ANAME [OPTS]: 9pfuse in the foreground, in the
# background, its standard error in $T/9pfuse-NAME.log
mount9p() {
	local m=$1 dir=$2 aname=$3 opts=${4:-}
	MDIR[$m]=$dir
	MLOG[$m]=$T/9pfuse-$m.log
	"$FUSE" -f -o "aname=$aname${opts:+,$opts}" "$ADDR" "$dir" 2>>"${MLOG[$m]}" &
	MPID[$m]=$!
	for _ in $(seq 200); do
		mountpoint -q "$dir" && return 0
		kill -0 "${MPID[$m]}" 2>/dev/null || break
		sleep 0.05
	done
	cat "${MLOG[$m]}"
	die "9pfuse did not mount $dir"
}
mount9p main "$MNT" "$EXPORT" "$MOUNTOPTS"
mount9p direct "$DMNT" "$EXPORT/big" cache=none

# ---- sampling ----------------------------------------------------------------

STATUS_RE=': fids [0-9]*, tags [0-9]* in flight'
# status NAME: ask that 9pfuse for its status line; sets S_LINE, S_FIDS,
# S_TAGS, S_NODES, S_OPEN and S_ERRS (its "ENOENT 3, EINTR 1" list)
status() {
	local m=$1 n0 n line
	n0=$(grep -c "$STATUS_RE" "${MLOG[$m]}" || true)
	kill -USR1 "${MPID[$m]}" 2>/dev/null || return 1
	for _ in $(seq 100); do
		n=$(grep -c "$STATUS_RE" "${MLOG[$m]}" || true)
		((n > n0)) && break
		sleep 0.1
	done
	((n > n0)) || return 1
	line=$(grep "$STATUS_RE" "${MLOG[$m]}" | tail -1)
	S_LINE=${line#9pfuse: }
	S_FIDS=$(sed -n 's/.*: fids \([0-9]*\),.*/\1/p' <<<"$line")
	S_TAGS=$(sed -n 's/.* tags \([0-9]*\) in flight.*/\1/p' <<<"$line")
	S_NODES=$(sed -n 's/.* nodes \([0-9]*\),.*/\1/p' <<<"$line")
	S_OPEN=$(sed -n 's/.* open files \([0-9]*\),.*/\1/p' <<<"$line")
	S_ERRS=$(sed -n 's/.* errors [0-9]* (\([^)]*\)).*/\1/p' <<<"$line")
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/${MPID[$1]}/status"; }
srvfds() { find "/proc/$DIOD_PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }
ops_done() { cat "$ST"/ops.* 2>/dev/null | awk '$1 != "eintr" { n += $2 } END { print n + 0 }'; }
nerrors() { if [[ -e $ST/errors ]]; then wc -l <"$ST/errors"; else echo 0; fi; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# unexpected BEFORE AFTER: the errnos (and how many) 9pfuse replied between
# two status lines' lists, but for those the load makes (see the top)
unexpected() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		n = split(a, x, ", ")
		for (i = 1; i <= n; i++) { k = split(x[i], y, " "); was[y[1]] = y[k] }
		n = split(b, x, ", ")
		for (i = 1; i <= n; i++) {
			k = split(x[i], y, " "); d = y[k] - was[y[1]]
			if (d > 0 && y[1] !~ /^(ENOENT|ENODATA|EINTR)$/) {
				printf "%s%s %d", sep, y[1], d; sep = ", "
			}
		}
	}'
}

# drop: the kernel forgets every inode it does not use and sends FUSE its
# forgets; until every mount's fids are at WANT_FIDS[mount] (or 10 s).
# Sets D_LINE[mount], D_FIDS[mount], D_NODES[mount].
declare -A WANT_FIDS=() D_LINE=() D_FIDS=() D_NODES=()
drop() {
	local m ok
	[[ -w /proc/sys/vm/drop_caches ]] || return 1
	for _ in $(seq 20); do
		sync
		echo 2 >/proc/sys/vm/drop_caches
		sleep 0.5
		ok=1
		for m in "${MOUNTS[@]}"; do
			status "$m" || return 1
			D_LINE[$m]=$S_LINE D_FIDS[$m]=$S_FIDS D_NODES[$m]=$S_NODES
			[[ $S_FIDS = "${WANT_FIDS[$m]:-1}" ]] || ok=0
		done
		((ok)) && return 0
	done
	return 0
}

# ---- the tree ----------------------------------------------------------------

POOL=$MNT/pool
for d in 0 1 2 3 4 5 6 7; do mkdir -p "$POOL/d$d"; done
for k in $(seq "$WORKERS"); do mkdir -p "$MNT/tmp/w$k"; done
for k in $(seq "$NCHURN"); do mkdir -p "$MNT/churn/c$k"; done
mkdir -p "$MNT/scratch"
declare -a BIGSUM
for i in 0 1; do
	head -c "$((BIG_MB << 20))" /dev/urandom >"$T/big$i"
	cp "$T/big$i" "$MNT/big/b$i"
	BIGSUM[i]=$(sha256sum <"$T/big$i" | cut -d' ' -f1)
done

# the pool starts full (written on the server's side: quick), so that
# the load is steady from the start and the warm-up sees the full pool
size_of() {
	case $((RANDOM % 10)) in
	0) echo 0 ;;
	1|2|3) echo $((RANDOM % 4096)) ;;
	4|5|6|7) echo $((RANDOM * 8 + RANDOM % 8)) ;;
	*) echo $(((RANDOM * 128 + RANDOM % 128) % (4 << 20))) ;;
	esac
}
for i in $(seq "$POOL_MAX"); do
	f=$EXPORT/pool/d$((i % 8))/p$i
	head -c "$(size_of)" /dev/urandom >"$f"
	printf '%s %s\n' "$(sha256sum <"$f" | cut -d' ' -f1)" "$(stat -c %s "$f")" >"$MODEL/p$i"
done

# O_DIRECT on the main mount, if it works there
if [[ $ODIRECT = auto ]]; then
	if dd if="$MNT/big/b0" of=/dev/null bs=1M count=1 iflag=direct status=none 2>"$T/odirect"; then
		ODIRECT=1
	else
		ODIRECT=0
		ODIRECT_WHY=$(tr '\n' ' ' <"$T/odirect" | sed "s|$MNT/||g; s/ *$//")
		echo "soak: note: O_DIRECT fails on the main mount ($ODIRECT_WHY): not used there"
	fi
fi

# each worker: its name, counts of its operations (written to
# $ST/ops.NAME as "kind count" lines), its lock descriptor, its own seed
declare -A OPS
W=
init_worker() {
	W=$1
	RANDOM=$((BASHPID ^ $(date +%N | sed 's/^0*//;s/^$/1/')))
	exec {LFD}>>"$ST/lock"
	OPS=()
	# a worker counts each failure and goes on
	set +e
}
stopping() { [[ -e $ST/stop ]]; }
count() { OPS[$1]=$((${OPS[$1]:-0} + ${2:-1})); }
flush_counts() {
	local k
	# the temporary name must not match ops.* (ops_done would count a
	# worker twice while it is there)
	for k in "${!OPS[@]}"; do printf '%s %s\n' "$k" "${OPS[$k]}"; done >"$ST/.tmp-ops.$W"
	mv "$ST/.tmp-ops.$W" "$ST/ops.$W"
}
fail() {
	printf '%s %s: %s\n' "$(date +%T)" "$W" "$*" >>"$ST/errors"
}
# run KIND CMD...: one operation; a failure is recorded with its message
run() {
	local kind=$1
	shift
	if "$@" 2>"$ST/err.$W"; then
		count "$kind"
		return 0
	fi
	fail "$kind failed: $* ($(tr '\n' ' ' <"$ST/err.$W" | head -c 300))"
	return 1
}
sha() { sha256sum | cut -d' ' -f1; }
cat_to() { cat "$1" >"$2"; }
append_to() { # append_to N SRC DST: the first N bytes, then the rest appended
	head -c "$1" "$2" >"$3" && tail -c +"$(($1 + 1))" "$2" >>"$3"
}
same() { # same WHAT GOT WANT
	[[ $2 = "$3" ]] || { echo "$1: got '$2', want '$3'" >&2; return 1; }
}

BS=(512 4096 4097 65536 131072 1048576)
writer() {
	local k=$1 seq=0 id size m lf=$T/w$1.data pf=$T/w$1.patch bs n off plen
	local dirs sum
	init_worker "writer$k"
	while ! stopping; do
		seq=$((seq + 1))
		id=f$k-$seq
		case $((RANDOM % 16)) in
		0|1) id="$id with spaces" ;;
		2) id="$id-$(printf '%0190d' 0)" ;;
		3) id="$id-été" ;;
		esac
		size=$(size_of)
		head -c "$size" /dev/urandom >"$lf"
		m=$MNT/tmp/w$k/$id
		case $((RANDOM % 4)) in
		0)
			bs=${BS[RANDOM % ${#BS[@]}]}
			run write dd if="$lf" of="$m" bs="$bs" status=none ;;
		1) run write cp "$lf" "$m" ;;
		2) run write cat_to "$lf" "$m" ;;
		3) run write append_to "$((size ? RANDOM % size : 0))" "$lf" "$m" ;;
		esac || { rm -f "$m"; continue; }
		if ((RANDOM % 2)); then
			plen=$((1 + RANDOM % 65536))
			off=$((size ? (RANDOM * 128) % size : 0))
			head -c "$plen" /dev/urandom >"$pf"
			dd if="$pf" of="$lf" bs="$plen" seek="$off" oflag=seek_bytes \
			    conv=notrunc status=none
			run patch dd if="$pf" of="$m" bs="$plen" seek="$off" \
			    oflag=seek_bytes conv=notrunc status=none ||
			    { rm -f "$m"; continue; }
		fi
		if ((RANDOM % 4 == 0)); then
			n=$(((RANDOM * 64) % (size + size / 2 + 1)))
			truncate -s "$n" "$lf"
			run truncate truncate -s "$n" "$m" || { rm -f "$m"; continue; }
		fi
		run verify-write cmp "$lf" "$m" || { rm -f "$m"; continue; }
		sum=$(sha <"$lf")
		printf '%s %s\n' "$sum" "$(stat -c %s "$lf")" >"$MODEL/$id"
		flock -s "$LFD"
		dirs=("$POOL"/*/)
		run publish mv "$m" "${dirs[RANDOM % ${#dirs[@]}]}" || rm -f "$MODEL/$id"
		flock -u "$LFD"
		flush_counts
	done
	flush_counts
}

reader() {
	local k=$1 files p id sum want note=$ST/hold.r$1
	init_worker "reader$k"
	shopt -s nullglob
	while ! stopping; do
		flock -s "$LFD"
		files=("$POOL"/*/*)
		if ((${#files[@]} == 0)); then
			flock -u "$LFD"
			sleep 0.2
			continue
		fi
		p=${files[RANDOM % ${#files[@]}]}
		id=${p##*/}
		if ((RANDOM % 3 == 0)); then
			# whole, under the lock
			if ! sum=$(sha <"$p" 2>"$ST/err.$W"); then
				fail "read $p: $(head -c 300 "$ST/err.$W")"
				flock -u "$LFD"
				continue
			fi
			flock -u "$LFD"
			count read
		else
			# slowly, the file open while the renamer may move or
			# delete it (soak-io unlocks once it has it open)
			if ! sum=$("$IO" -p $((100 + RANDOM % 200)) -u "$LFD" \
			    -n "$note" "$p" 2>"$ST/err.$W" | sha); then
				fail "slow read $p: $(head -c 300 "$ST/err.$W")"
				flock -u "$LFD"
				rm -f "$note"
				continue
			fi
			flock -u "$LFD"
			rm -f "$note"
			count slowread
		fi
		want=$(cut -d' ' -f1 "$MODEL/$id" 2>/dev/null) || want="(no model)"
		[[ $sum = "$want" ]] || fail "data mismatch: $p: sha256 $sum, model $want"
		flush_counts
	done
	flush_counts
}

renamer() {
	local gen=100 files dirs notes p q d r n
	init_worker renamer
	shopt -s nullglob
	while ! stopping; do
		flock -x "$LFD"
		files=("$POOL"/*/*)
		dirs=("$POOL"/*/)
		notes=("$ST"/hold.*)
		# an open file, if a reader says it holds one, half the time
		p=
		if ((${#notes[@]} && RANDOM % 2)); then
			p=$(cat "${notes[RANDOM % ${#notes[@]}]}" 2>/dev/null) || p=
			[[ -n $p && -e $p ]] || p=
		fi
		# down to POOL_MAX files (the writers add), the open one first
		n=${#files[@]}
		while ((n > POOL_MAX)); do
			q=${p:-${files[RANDOM % ${#files[@]}]}}
			p=
			if [[ -e $q ]] && run delete rm "$q"; then
				touch "$MODEL/${q##*/}.gone"
				n=$((n - 1))
			fi
		done
		files=("$POOL"/*/*)
		if ((${#files[@]})); then
			r=$((RANDOM % 10))
			if ((r == 0)); then
				d=${dirs[RANDOM % ${#dirs[@]}]}
				run rename-dir mv "${d%/}" "$POOL/d$gen"
				gen=$((gen + 1))
			else
				[[ -n $p ]] || p=${files[RANDOM % ${#files[@]}]}
				d=${dirs[RANDOM % ${#dirs[@]}]}
				[[ ${p%/*}/ = "$d" ]] || run move mv "$p" "$d"
			fi
		fi
		flock -u "$LFD"
		flush_counts
		sleep 0.05
	done
	flush_counts
}

# churn helpers: each is one checked operation
nfiles() { # nfiles DIR N: DIR lists N names
	local l
	l=$(ls -A "$1") || return 1
	same "entries of $1" "$(printf '%s' "$l" | grep -c .)" "$2"
}
content() { same "$1" "$(cat "$1")" "$2"; }
# (ls: the listing through the mount is what is checked)
# shellcheck disable=SC2010
no_hidden() { # no_hidden DIR: the silly-renamed file goes at the last close
	for _ in $(seq 50); do
		ls -A "$1" | grep -q '^\.9pfuse-hidden' || return 0
		sleep 0.1
	done
	echo "$1: $(ls -A "$1" | grep '^\.9pfuse-hidden' | head -3) left" >&2
	return 1
}
mkdirs() { # mkdirs DIR N, then rmdirs
	local j
	for j in $(seq "$2"); do mkdir "$1/d$j" || return 1; done
	for j in $(seq "$2"); do rmdir "$1/d$j" || return 1; done
}

churner() {
	local k=$1 n=0 b c fd line
	init_worker "churner$k"
	c=$MNT/churn/c$k
	while ! stopping; do
		n=$((n + 1))
		b=$c/t$n
		run mkdir mkdir -p "$b/a/b/c" || continue
		for i in 0 1 2 3 4; do
			printf '%s\n' "$n.$i" >"$b/a/b/c/f$i" || fail "create $b/a/b/c/f$i"
			count create
		done
		run readdir nfiles "$b/a/b/c" 5
		run symlink ln -s f0 "$b/a/b/c/l0"
		run readlink same readlink "$(readlink "$b/a/b/c/l0")" f0
		run link ln "$b/a/b/c/f1" "$b/a/b/h1"
		run nlink same nlink "$(stat -c %h "$b/a/b/h1")" 2
		run chmod chmod 640 "$b/a/b/c/f3"
		run stat same mode "$(stat -c %a "$b/a/b/c/f3")" 640
		run truncate truncate -s 100 "$b/a/b/c/f4"
		run stat same size "$(stat -c %s "$b/a/b/c/f4")" 100
		# a folder renamed with a file open below it
		if { exec {fd}<"$b/a/b/c/f2"; } 2>"$ST/err.$W"; then
			count open
			run rename-dir mv "$b/a" "$b/a2"
			run read-open read -r -u "$fd" line && run read-open same "read through the open descriptor" "$line" "$n.2"
			run fstat stat -L "/proc/$BASHPID/fd/$fd" >/dev/null
			# unlinked while open: readable through the descriptor,
			# hidden until the last close, then gone
			run unlink-open rm "$b/a2/b/c/f2"
			run open-unlinked content "/proc/$BASHPID/fd/$fd" "$n.2"
			exec {fd}<&-
			run close-unlinked no_hidden "$b/a2/b/c"
		else
			fail "open $b/a/b/c/f2: $(head -c 300 "$ST/err.$W")"
			mv "$b/a" "$b/a2" 2>/dev/null || true
		fi
		run content content "$b/a2/b/c/f1" "$n.1"
		# rename over an existing file
		printf 'x\n' >"$b/a2/b/c/g" || fail "create $b/a2/b/c/g"
		run rename-over mv "$b/a2/b/c/f0" "$b/a2/b/c/g"
		run content content "$b/a2/b/c/g" "$n.0"
		run mkdir-rmdir mkdirs "$b" 10
		run rm-r rm -r "$b"
		run gone same "$b exists" "$([[ -e $b ]] && echo yes || echo no)" no
		flush_counts
	done
	flush_counts
}

# intr_check STATUS OUT FILE: a reader killed by timeout (124, or 137 after
# SIGKILL) read a prefix of FILE; one that finished read all of it
intr_check() {
	local st=$1 out=$2 f=$3
	case $st in
	0) cmp "$out" "$f" ;;
	124|137) cmp -n "$(stat -c %s "$out")" "$out" "$f" ;;
	*) echo "exit status $st" >&2; return 1 ;;
	esac
}

# killed SIG T CMD...: CMD killed by SIG after T s (timeout), its exit
# status as timeout gives it; the shell's "Killed" note goes nowhere
killed() {
	local sig=$1 t=$2
	shift 2
	(timeout -s "$sig" "$t" "$@"; exit $?) 2>/dev/null
}

interrupter() {
	local k=$1 i f w sw out=$T/intr$1.out info=$T/intr$1.info sum t st e
	local d
	init_worker "interrupter$k"
	while ! stopping; do
		i=$((RANDOM % 2))
		d=()
		# on the direct mount, or on the main one (O_DIRECT half the
		# time if it works there)
		if ((RANDOM % 2)); then
			f=$DMNT/b$i w=$DMNT/w$k sw=$EXPORT/big/w$k
		else
			f=$MNT/big/b$i w=$MNT/scratch/i$k sw=$EXPORT/scratch/i$k
			((ODIRECT && RANDOM % 2)) && d=(-d)
		fi
		# 0.01 to 0.50 s (timeout 0 would mean none)
		t=$(printf '0.%02d' $((1 + RANDOM % 50)))
		case $((RANDOM % 6)) in
		0|1)
			# SIGALRM every 0.5-3.5 ms: calls fail with EINTR and
			# are redone; the data must come out whole
			if sum=$("$IO" "${d[@]}" -i $((500 + RANDOM % 3000)) "$f" 2>"$info" | sha); then
				run eintr-read same "$f sha256" "$sum" "${BIGSUM[i]}"
				e=$(tail -1 "$info" | cut -d' ' -f2)
				count eintr "${e:-0}"
			else
				fail "interrupted read $f: $(tr '\n' ' ' <"$info" | head -c 300)"
			fi ;;
		2|3)
			# the same for a write, read back through the mount and
			# on the server's disk
			if "$IO" -w "${d[@]}" -i $((500 + RANDOM % 3000)) "$w" <"$T/big$i" 2>"$info"; then
				count eintr-write
				e=$(tail -1 "$info" | cut -d' ' -f2)
				count eintr "${e:-0}"
				run eintr-write-check cmp "$w" "$T/big$i"
				run eintr-write-check cmp "$sw" "$T/big$i"
			else
				fail "interrupted write $w: $(tr '\n' ' ' <"$info" | head -c 300)"
			fi
			run rm rm -f "$w" ;;
		4)
			st=0
			if ((RANDOM % 2)); then
				killed INT "$t" "$IO" "${d[@]}" "$f" >"$out" || st=$?
			else
				killed KILL "$t" "$IO" "${d[@]}" "$f" >"$out" || st=$?
			fi
			run killed-read intr_check "$st" "$out" "$T/big$i"
			((st == 0)) || count killed ;;
		5)
			# a writer killed in the middle; its file then goes
			st=0
			killed INT "$t" "$IO" -w "${d[@]}" "$w" <"$T/big$i" || st=$?
			case $st in
			0|124) count killed-write ;;
			*) fail "killed write: exit status $st" ;;
			esac
			run rm rm -f "$w" ;;
		esac
		flush_counts
	done
	flush_counts
}

# ---- run ---------------------------------------------------------------------

started=$(date -u '+%Y-%m-%d %H:%M UTC')
load0=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A B_LINE=() B_FIDS=() B_NODES=() B_ERRS=()
can_drop=0
if drop 2>/dev/null; then can_drop=1; fi
for m in "${MOUNTS[@]}"; do
	status "$m" || die "9pfuse ($m) did not answer SIGUSR1"
	B_LINE[$m]=$S_LINE B_FIDS[$m]=$S_FIDS B_NODES[$m]=$S_NODES B_ERRS[$m]=$S_ERRS
	WANT_FIDS[$m]=$S_FIDS
done
B_SRV=$(srvfds)
echo "soak: $DURATION s, $WORKERS writers, $WORKERS readers, 1 renamer, $NCHURN churners, 1 interrupter; 9pfuse pids ${MPID[main]} (main${MOUNTOPTS:+, -o $MOUNTOPTS}) and ${MPID[direct]} (cache=none), diod pid $DIOD_PID; sample every $SAMPLE s, warm-up $WARMUP s"
echo "soak: baseline$( ((can_drop)) && echo " after drop_caches"): main: ${B_LINE[main]}; direct: fids ${B_FIDS[direct]}, nodes ${B_NODES[direct]}; diod fds $B_SRV; rss $(mib "$(rss_kb main)") MiB"

for k in $(seq "$WORKERS"); do
	writer "$k" &
	WPIDS+=($!)
	reader "$k" &
	WPIDS+=($!)
done
for k in $(seq "$NCHURN"); do
	churner "$k" &
	WPIDS+=($!)
done
renamer &
WPIDS+=($!)
interrupter 1 &
WPIDS+=($!)

SAMPLES=$T/samples
: >"$SAMPLES"
t0=$SECONDS
next=$SAMPLE
fatal=
printf 'soak: %6s %8s %6s %5s %6s %5s %6s %6s %9s %6s\n' seconds "rss MiB" fids tags nodes open d.fids srvfds ops errors
while ((next <= DURATION)); do
	sleep "$((t0 + next - SECONDS > 0 ? t0 + next - SECONDS : 0))"
	for m in "${MOUNTS[@]}"; do
		kill -0 "${MPID[$m]}" 2>/dev/null || fatal="9pfuse ($m) died at ${next}s"
	done
	kill -0 "$DIOD_PID" 2>/dev/null || fatal="diod died at ${next}s"
	[[ -z $fatal ]] || break
	status direct || { fatal="9pfuse (direct) did not answer SIGUSR1 at ${next}s"; break; }
	dfids=$S_FIDS
	rss=$(rss_kb main)
	status main || { fatal="9pfuse (main) did not answer SIGUSR1 at ${next}s"; break; }
	row="$next $rss $S_FIDS $S_TAGS $S_NODES $S_OPEN $dfids $(srvfds) $(ops_done) $(nerrors)"
	echo "$row" >>"$SAMPLES"
	read -r s r f g nd o df sv op er <<<"$row"
	printf 'soak: %6d %8s %6d %5d %6d %5d %6d %6d %9d %6d\n' "$s" "$(mib "$r")" "$f" "$g" "$nd" "$o" "$df" "$sv" "$op" "$er"
	next=$((next + SAMPLE))
done
LOADLINE=${S_LINE:-}

# ---- the end -----------------------------------------------------------------

touch "$ST/stop"
problems=()
bad() { problems+=("$*"); }
[[ -z $fatal ]] || bad "$fatal"
stuck=
for p in "${WPIDS[@]}"; do
	for _ in $(seq 1200); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$p" 2>/dev/null; then
		stuck="$stuck $p"
		kill "$p" 2>/dev/null || true
	fi
done
WPIDS=()
[[ -z $stuck ]] || bad "workers did not stop in 120 s (hung on the mount?):$stuck"

# what the load did, by kind
declare -A TOT=()
while read -r kind n; do
	TOT[$kind]=$((${TOT[$kind]:-0} + n))
done < <(cat "$ST"/ops.* 2>/dev/null)
OPSUM=$(ops_done)
EINTRS=${TOT[eintr]:-0}
kinds=$(for kind in "${!TOT[@]}"; do echo "$kind ${TOT[$kind]}"; done | sort | paste -sd, - | sed 's/,/, /g')
((EINTRS > 0)) || bad "no call was interrupted: the interrupt paths went untested"

# idle: no request in flight, nothing open (releases are asynchronous:
# give them a few seconds); no errno the load does not explain
W=check
declare -A I_LINE=()
for m in "${MOUNTS[@]}"; do
	ok=0
	for _ in $(seq 50); do
		status "$m" || break
		ok=1
		((S_TAGS == 0 && S_OPEN == 0)) && break
		sleep 0.1
	done
	if ((!ok)); then
		bad "9pfuse ($m) did not answer SIGUSR1 after the load"
		continue
	fi
	I_LINE[$m]=$S_LINE
	((S_TAGS == 0)) || bad "9pfuse ($m): $S_TAGS tags in flight with the load gone"
	((S_OPEN == 0)) || bad "9pfuse ($m): $S_OPEN files open with the load gone"
	u=$(unexpected "${B_ERRS[$m]}" "$S_ERRS")
	[[ -z $u ]] || bad "9pfuse ($m) replied $u during the load"
done

# the pool against the model, through the mount and on the server's disk
verify_pool() { # verify_pool ROOT WHERE: prints "files wrong"
	local root=$1 where=$2 p id want got nfound=0 nbad=0
	local -A seen=()
	while IFS= read -r -d '' p; do
		id=${p##*/}
		nfound=$((nfound + 1))
		seen[$id]=1
		if [[ ! -e $MODEL/$id || -e $MODEL/$id.gone ]]; then
			fail "$where: $p should not be there"
			nbad=$((nbad + 1))
			continue
		fi
		want=$(cut -d' ' -f1 "$MODEL/$id")
		if ! got=$(sha <"$p"); then
			fail "$where: cannot read $p"
			nbad=$((nbad + 1))
		elif [[ $got != "$want" ]]; then
			fail "$where: data mismatch: $p"
			nbad=$((nbad + 1))
		fi
	done < <(find "$root" -type f ! -name '.9pfuse-hidden*' -print0)
	for p in "$MODEL"/*; do
		id=${p##*/}
		[[ $id != *.gone && ! -e $MODEL/$id.gone ]] || continue
		[[ -n ${seen[$id]:-} ]] || { fail "$where: $id is missing"; nbad=$((nbad + 1)); }
	done
	echo "$nfound $nbad"
}
read -r POOLN badm < <(verify_pool "$POOL" mount)
read -r _ bads < <(verify_pool "$EXPORT/pool" export)
((badm == 0)) || bad "$badm pool files wrong through the mount"
((bads == 0)) || bad "$bads pool files wrong on the server's disk"
left=$(find "$EXPORT" -name '.9pfuse-hidden*' | sed "s|^$EXPORT/||" | head -5 | paste -sd' ' -)
[[ -z $left ]] || bad "hidden files left on the server: $left"
left=$( (find "$EXPORT/tmp" "$EXPORT/churn" -mindepth 2
	find "$EXPORT/scratch" -mindepth 1
	find "$EXPORT/big" -mindepth 1 ! -name b0 ! -name b1) | sed "s|^$EXPORT/||" | head -5 | paste -sd' ' -)
[[ -z $left ]] || bad "left in the workers' folders: $left"

# errors the workers met
NERR=$(nerrors)
((NERR == 0)) || bad "$NERR failed operations"

# growth
read -r WARM_RSS WARM_FIDS < <(awk -v w="$WARMUP" '$1 <= w { if ($2 > r) r = $2; if ($3 > f) f = $3 } END { print r + 0, f + 0 }' "$SAMPLES")
median3() { tail -3 "$SAMPLES" | awk -v c="$1" '{ print $c }' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] + 0 }'; }
END_RSS=$(median3 2)
END_FIDS=$(median3 3)
RSS_LIM=$((WARM_RSS * 12 / 10 + 2048))
FIDS_LIM=$((WARM_FIDS * 12 / 10 + 16))
if ! awk -v w="$WARMUP" '$1 > w { n++ } END { exit !(n >= 3) }' "$SAMPLES"; then
	bad "fewer than 3 samples after the warm-up: growth not judged"
fi
((END_RSS <= RSS_LIM)) || bad "RSS grew: $(mib "$END_RSS") MiB at the end, warm-up max $(mib "$WARM_RSS") MiB, limit $(mib "$RSS_LIM") MiB"
((END_FIDS <= FIDS_LIM)) || bad "fids grew: $END_FIDS at the end, warm-up max $WARM_FIDS, limit $FIDS_LIM"

# back to the baseline once the kernel forgets
D_SRV=
if ((can_drop)); then
	if drop; then
		D_SRV=$(srvfds)
		for m in "${MOUNTS[@]}"; do
			((D_FIDS[$m] == B_FIDS[$m])) || bad "9pfuse ($m): fids not back to the baseline after drop_caches: ${D_FIDS[$m]}, baseline ${B_FIDS[$m]}"
			((D_NODES[$m] == B_NODES[$m])) || bad "9pfuse ($m): nodes not back to the baseline after drop_caches: ${D_NODES[$m]}, baseline ${B_NODES[$m]}"
		done
		((D_SRV == B_SRV)) || bad "diod's descriptors not back to the baseline after drop_caches: $D_SRV, baseline $B_SRV"
	else
		bad "9pfuse did not answer SIGUSR1 after drop_caches"
	fi
fi
FINAL_RSS=$(rss_kb main)
DIRECT_RSS=$(rss_kb direct)

# unmount; each 9pfuse exits 0 and said nothing but status lines
declare -A FSTATUS=()
for m in "${MOUNTS[@]}"; do
	dir=${MDIR[$m]}
	for _ in $(seq 50); do
		fusermount3 -u "$dir" 2>/dev/null && break
		sleep 0.2
	done
	if mountpoint -q "$dir"; then
		bad "$dir stayed busy: unmounted lazily"
		fusermount3 -uz "$dir" || true
	fi
	for _ in $(seq 300); do
		kill -0 "${MPID[$m]}" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "${MPID[$m]}" 2>/dev/null; then
		bad "9pfuse ($m) did not exit after the unmount"
		continue
	fi
	st=0
	wait "${MPID[$m]}" || st=$?
	FSTATUS[$m]=$st
	MPID[$m]=
	((st == 0)) || bad "9pfuse ($m) exited with $st"
	other=$(grep -v "$STATUS_RE" "${MLOG[$m]}" | head -5 || true)
	[[ -z $other ]] || bad "9pfuse ($m) said: $(tr '\n' ' ' <<<"$other")"
done
ended=$(date -u '+%Y-%m-%d %H:%M UTC')
load1=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- verdict -----------------------------------------------------------------

if ((${#problems[@]})); then
	for p in "${problems[@]}"; do echo "soak: problem: $p"; done
	if [[ -s $ST/errors ]]; then
		echo "soak: failed operations ($(nerrors)), the first 20:"
		head -20 "$ST/errors" | sed 's/^/  /'
	fi
fi
echo "soak: operations: $kinds"
echo "soak: main 9pfuse at the end of the load: $LOADLINE"
echo "soak: main 9pfuse idle: ${I_LINE[main]:-?}"
echo "soak: direct 9pfuse idle: ${I_LINE[direct]:-?}"
if ((can_drop)); then
	echo "soak: after drop_caches: main: ${D_LINE[main]:-?}; direct: ${D_LINE[direct]:-?}; diod fds ${D_SRV:-?} (baseline $B_SRV)"
fi
echo "soak: pool: $POOLN files checked through the mount and on the server's disk"

summary="$OPSUM operations ($EINTRS calls interrupted), $NERR errors; rss $(mib "$WARM_RSS") MiB warm-up max, $(mib "$END_RSS") MiB at the end (limit $(mib "$RSS_LIM")); fids $WARM_FIDS warm-up max, $END_FIDS at the end (limit $FIDS_LIM)"
if ((can_drop)); then
	summary="$summary, ${D_FIDS[main]:-?} after drop_caches (baseline ${B_FIDS[main]})"
fi
if ((${#problems[@]})); then
	verdict="soak: FAIL: ${#problems[@]} problems; $summary"
else
	verdict="soak: PASS: $DURATION s, $summary"
fi

if [[ -n $RESULTS ]]; then
	diodv=$(dpkg-query -W -f '${Version}' diod 2>/dev/null || echo '?')
	fstype=$(df -T "$T" | awk 'NR == 2 { print $2 }')
	build="plain build"
	((asan)) && build="AddressSanitizer build (quarantine 16 MiB)"
	odirect="O_DIRECT used on the main mount"
	((ODIRECT)) || odirect="O_DIRECT not used: it fails on the main mount (${ODIRECT_WHY:-ODIRECT=0})"
	table=$(awk 'BEGIN {
		print "| s | RSS MiB | fids | tags | nodes | open files | fids (direct) | diod fds | ops | errors |"
		print "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	}
	{ n++; row[n] = $0 }
	END {
		step = n > 24 ? int((n + 23) / 24) : 1
		for (i = 1; i <= n; i++)
			if ((i - 1) % step == 0 || i == n) {
				split(row[i], v, " ")
				printf "| %d | %.1f | %d | %d | %d | %d | %d | %d | %d | %d |\n", v[1], v[2] / 1024, v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10]
			}
	}' "$SAMPLES")
	text="$HEAD

- date: $started to $ended
- machine: $(nproc) CPUs, $(uname -sr); load average at start $load0, at end $load1 (other work shares the machine)
- command: \`DURATION=$DURATION WORKERS=$WORKERS scripts/soak.sh\`${MOUNTOPTS:+ with MOUNTOPTS=$MOUNTOPTS} as $(id -un); 9pfuse: $build from $P9_BUILD, built from $rev$dirty
- server: diod $diodv on 127.0.0.1 (TCP), export on $fstype in ${TMPDIR:-/var/tmp}; mounts: main (default cache=mmap${MOUNTOPTS:+, $MOUNTOPTS}) and direct (cache=none, the folder big/ only)
- load: $WORKERS writers, $WORKERS readers, 1 renamer, $NCHURN churners, 1 interrupter (see the top of scripts/soak.sh); pool kept at $POOL_MAX files of 0-4 MiB, two $BIG_MB MiB files for the interrupted calls; $odirect
- operations: $kinds (eintr: calls that failed with EINTR and were redone)
- main 9pfuse at the end of the load: \`$LOADLINE\`
- main 9pfuse idle, after the load: \`${I_LINE[main]:-?}\`
- direct 9pfuse idle, after the load: \`${I_LINE[direct]:-?}\`
- after drop_caches: $(if ((can_drop)); then echo "main \`${D_LINE[main]:-?}\`, direct \`${D_LINE[direct]:-?}\`; baseline before the load: main fids ${B_FIDS[main]}, nodes ${B_NODES[main]}; direct fids ${B_FIDS[direct]}, nodes ${B_NODES[direct]}; diod descriptors $B_SRV before, ${D_SRV:-?} after"; else echo "not checked (needs root)"; fi)
- growth (main): RSS warm-up (first $WARMUP s) max $(mib "$WARM_RSS") MiB, median of the last 3 samples $(mib "$END_RSS") MiB, limit (x 1.2 + 2 MiB) $(mib "$RSS_LIM") MiB, $(mib "$FINAL_RSS") MiB after drop_caches; fids warm-up max $WARM_FIDS, end $END_FIDS, limit (x 1.2 + 16) $FIDS_LIM; direct 9pfuse RSS at the end $(mib "$DIRECT_RSS") MiB
- end: pool of $POOLN files checked against the model through the mount and on the export; 9pfuse exit status: main ${FSTATUS[main]:-?}, direct ${FSTATUS[direct]:-?}
$(if ((${#problems[@]})); then printf -- '- problems:\n'; for p in "${problems[@]}"; do printf '  - %s\n' "$p"; done; if [[ -s $ST/errors ]]; then printf -- '- failed operations (%s), the first 10:\n' "$NERR"; head -10 "$ST/errors" | sed "s|$T/||g; s/^/  - /"; fi; else printf -- '- problems: none'; fi)

Samples (every $SAMPLE s; at most 25 rows shown):

$table

Verdict: \`$verdict\`"
	write_section "$RESULTS" "$HEAD" "$text"
fi

echo "$verdict"
((${#problems[@]} == 0))
