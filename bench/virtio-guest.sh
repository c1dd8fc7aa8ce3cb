# bench/virtio-guest.sh - the guest half of bench/virtio.sh: runs inside the
# QEMU guest (busybox sh, as /init's script), after a prelude that
# bench/virtio.sh puts in front of it, setting
#   PATH      with the directory of our 9pfuse and 9pctl (host paths)
#   VB        the timing helper (vbench, compiled by bench/virtio.sh)
#   SIZE_MB   size of big.bin in the share, and of each write
#   NFILES    files for create+stat, entries of the directory ls/
#   RUNS      timed rounds
#   MSIZE     msize asked for by both clients
#   CONFIGS   which of fn fm fp fl kn km kl to time, in this order
#   TRACE     1: also the untimed traced pass (request counts)
#   TRACE_MB  size of small.bin, read and written in the traced pass
#   TRACE_NFILES  files created, stated and unlinked in the traced pass
# Both virtio-9p devices (tags fuse9p and kern9p) export the same host
# folder, which holds big.bin (SIZE_MB MiB), small.bin (TRACE_MB MiB) and
# ls/ (NFILES files of 1 KiB).  Output, one line each, read by the host:
#   I KEY VALUE...                  facts (devices, msize, mounts)
#   R CFG OP ROUND SECONDS          one timing
#   N CFG OP TOTAL TYPE=COUNT...    9P requests of one operation (traced pass;
#                                   OP create, stat, unlink for cs)
#   L CFG OP N MAXFLIGHT REPLY_MS SPAN_S SIZES   the same requests' timing:
#                                   most in flight, mean time to the reply,
#                                   first request to last reply, and (9pfuse)
#                                   the sizes of Treads/Twrites, COUNTxBYTES
#   C CFG OP ROUND BUSY IDLE        guest CPU jiffies (1/100 s, all vCPUs)
#                                   during one timed operation
#   E MESSAGE                       an error: the host fails the run
#   B done                          the end
# CFG: fn 9pfuse cache=none, fm 9pfuse (cache=mmap, its default),
#      fl 9pfuse cache=loose,
#      kn v9fs cache=none, kl v9fs cache=loose; optional: fp 9pfuse
#      cache=mmap with -o poll, km v9fs cache=mmap
# OP:  rdd (dd bs=1M read), rcat (cat read), wr (dd bs=1M conv=fsync
#      write), create, stat (of NFILES 1 KiB files), ls (ls -l of ls/)

err() { echo "E $*"; }

fpid=
mnt_of() { case $1 in f*) echo /mnt/f ;; *) echo /mnt/k ;; esac; }

# mount CFG [TRACEFILE]: the share on /mnt/f (9pfuse) or /mnt/k (v9fs)
mount_cfg() {
	case $1 in
	fn) o=,cache=none ;;
	fm) o= ;;
	fp) o=,poll ;;
	fl) o=,cache=loose ;;
	kn) o=,cache=none ;;
	km) o=,cache=mmap ;;
	kl) o=,cache=loose ;;
	esac
	case $1 in
	f*)
		[ -n "$2" ] && o="$o,trace=$2"
		9pfuse -o "trans=virtio,msize=$MSIZE$o" fuse9p /mnt/f 2>/tmp/fuse.err ||
			{ err "9pfuse $1: $(tr '\n' ' ' </tmp/fuse.err)"; return 1; }
		fpid=$(pidof 9pfuse)
		;;
	k*)
		mount -t 9p -o "trans=virtio,version=9p2000.L,msize=$MSIZE$o" kern9p /mnt/k ||
			{ err "mount -t 9p $1 failed"; return 1; }
		;;
	esac
}

# umount CFG: and, for 9pfuse, wait until it has given the device back
umount_cfg() {
	m=$(mnt_of "$1")
	umount "$m" || { err "umount $m ($1) failed"; return 1; }
	case $1 in
	f*)
		i=0
		while [ -n "$fpid" ] && kill -0 "$fpid" 2>/dev/null; do
			i=$((i + 1))
			[ $i -gt 300 ] && { err "9pfuse $fpid still running 30 s after umount"; return 1; }
			sleep 0.1
		done
		fpid=
		;;
	esac
}

drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }

# A fresh mount with empty guest caches.  The host's page cache is not
# touched: QEMU's 9p server reads big.bin from it for every client.
fresh() { mount_cfg "$@" && drop; }

# jiffies (USER_HZ, 1/100 s) of all CPUs: "busy idle"
cpu() {
	read -r _ u n sy id io irq sirq st _ </proc/stat
	echo $((u + n + sy + irq + sirq + st)) $((id + io))
}

# timed CFG OP ROUND CMD...: run CMD (which prints its seconds), print
# "R CFG OP ROUND SECONDS" and "C CFG OP ROUND BUSY IDLE" (guest CPU
# jiffies, all vCPUs)
timed() {
	tc=$1 top=$2 tr=$3
	shift 3
	# shellcheck disable=SC2046 # two numbers
	set -- $(cpu) "$@"
	b0=$1 i0=$2
	shift 2
	if ! ts=$("$@" 2>/tmp/op.err); then
		err "$tc $top round $tr failed: $ts $(tail -3 /tmp/op.err | tr '\n' ' ')"
		return 1
	fi
	# shellcheck disable=SC2046 # two numbers
	set -- $(cpu)
	echo "R $tc $top $tr $ts"
	echo "C $tc $top $tr $(($1 - b0)) $(($2 - i0))"
}

# run CFG OP ROUND: one timed operation on a fresh mount
# (OP cs: create, then stat, then unlink, each timed, in one mount)
run() {
	c=$1 op=$2 r=$3 m=$(mnt_of "$1")
	fresh "$c" || return 1
	if ! case $op in
	rdd) timed "$c" rdd "$r" "$VB" time dd if="$m/big.bin" of=/dev/null bs=1M ;;
	rcat) timed "$c" rcat "$r" "$VB" time cat "$m/big.bin" ;;
	wr) timed "$c" wr "$r" "$VB" time dd if=/dev/zero of="$m/w-$c.bin" bs=1M count="$SIZE_MB" conv=fsync ;;
	cs)
		timed "$c" create "$r" "$VB" create "$m/cs-$c" "$NFILES" 1024 &&
			timed "$c" stat "$r" "$VB" stat "$m/cs-$c" "$NFILES" 1024 &&
			timed "$c" unlink "$r" "$VB" unlink "$m/cs-$c" "$NFILES"
		;;
	ls) timed "$c" ls "$r" "$VB" time -o /tmp/ls.out ls -l "$m/ls" ;;
	esac; then
		umount_cfg "$c"
		return 1
	fi
	# checks, untimed, through the same mount
	case $op in
	wr)
		sz=$(stat -c %s "$m/w-$c.bin")
		[ "$sz" = $((SIZE_MB * 1048576)) ] || err "$c wr: file has $sz bytes"
		rm -f "$m/w-$c.bin"
		;;
	ls)
		n=$(grep -c '^-' /tmp/ls.out)
		[ "$n" = "$NFILES" ] || err "$c ls: $n files listed, want $NFILES"
		;;
	esac
	umount_cfg "$c"
}

# --- the 9P request count of one operation ---------------------------------
# 9pfuse: its trace file (pcapng), decoded by 9ptrace -j.
# v9fs: the 9p:9p_client_req trace event ("... request P9_TWALK tag ...").
# counts from stdin lines "TYPE": "TOTAL T1=n1 T2=n2 ..." (most first)
tally() {
	sort | uniq -c | sort -rn |
		awk '{ t += $1; s = s " " $2 "=" $1 } END { print t + 0 s }'
}

# the messages of 9pfuse's trace file, one JSON object per line
fuse_json() { # fuse_json FILE
	9ptrace -j -r "$1" 2>/dev/null | grep '"type":'
}

# The 9P messages of an operation as "TIME T|R TAG TYPE SIZE" lines (SIZE:
# the count of a Tread or Twrite, else 0), from 9pfuse's trace after SKIP
# messages, or from the kernel's trace buffer
fuse_ev() { # fuse_ev FILE SKIP
	fuse_json "$1" | tail -n +$(($2 + 1)) | awk '
		function num(k) {
			if (match($0, "\"" k "\":[0-9.]+"))
				return substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 3)
			return 0
		}
		function name(k) {
			if (match($0, "\"" k "\":\"[A-Za-z]+\""))
				return substr($0, RSTART + length(k) + 4, RLENGTH - length(k) - 5)
			return "?"
		}
		{
			t = name("type")
			sz = (t == "Tread" || t == "Twrite") ? num("count") : 0
			print num("time"), substr(t, 1, 1), num("tag"), t, sz
		}'
}
kern_ev() {
	awk '{
		for (i = 2; i < NF; i++) {
			if ($i == "9p_client_req:" || $i == "9p_client_res:") {
				ts = $(i - 1); sub(/:$/, "", ts); d = $i == "9p_client_req:" ? "T" : "R"
			}
			if ($i == "tag") tag = $(i + 1)
			if ($i == "request" || $i == "response") ty = $(i + 1)
		}
		if (d != "") print ts, d, tag, ty, 0
		d = ""
	}' $TR/trace
}
# timing of those messages: "N MAXFLIGHT REPLY_MS SPAN_S SIZES"
timing() {
	awk '
		$2 == "T" {
			n++; sent[$3] = $1; fl++; if (fl > maxfl) maxfl = fl
			if (first == "") first = $1
			if ($5 > 0) size[$5]++
		}
		$2 == "R" && ($3 in sent) { lat += $1 - sent[$3]; nr++; delete sent[$3]; fl--; last = $1 }
		END {
			s = ""
			for (z in size) s = s (s == "" ? "" : ",") size[z] "x" z
			printf "%d %d %.3f %.3f %s\n", n, maxfl, nr ? 1000 * lat / nr : 0,
				last == "" ? 0 : last - first, s == "" ? "-" : s
		}'
}

TR=/sys/kernel/tracing
kern_trace_ok=0
if [ "$TRACE" = 1 ]; then
	mount -t tracefs nodev $TR 2>/dev/null
	if [ -e $TR/events/9p/9p_client_req/enable ] && [ -e $TR/events/9p/9p_client_res/enable ]; then
		echo 8192 >$TR/buffer_size_kb
		kern_trace_ok=1
	else
		echo "I trace-kernel no 9p:9p_client_req event: v9fs requests not counted"
	fi
fi

# traced CFG OP: the untimed count of 9P requests for one operation,
# "N CFG OP TOTAL TYPE=COUNT..." (OP cs: create, stat and unlink of
# TRACE_NFILES files, counted apart)
traced() {
	c=$1 op=$2 m=$(mnt_of "$1") tf=/tmp/trace-$1-$2
	case $c in
	f*) fresh "$c" "$tf" || return 1 ;;
	k*)
		[ $kern_trace_ok = 1 ] || return 0
		fresh "$c" || return 1
		echo 1 >$TR/events/9p/9p_client_req/enable
		echo 1 >$TR/events/9p/9p_client_res/enable
		;;
	esac
	mark
	case $op in
	rdd)
		dd if="$m/small.bin" of=/dev/null bs=1M 2>/dev/null || err "traced $c rdd failed"
		count "$c" rdd "$tf"
		;;
	rcat)
		cat "$m/small.bin" >/dev/null || err "traced $c rcat failed"
		count "$c" rcat "$tf"
		;;
	wr)
		dd if=/dev/zero of="$m/tw-$c.bin" bs=1M count="$TRACE_MB" conv=fsync 2>/dev/null ||
			err "traced $c wr failed"
		count "$c" wr "$tf"
		rm -f "$m/tw-$c.bin"
		;;
	cs)
		for ph in create stat unlink; do
			$VB $ph "$m/tcs-$c" "$TRACE_NFILES" 1024 >/dev/null || err "traced $c $ph failed"
			count "$c" $ph "$tf"
			mark
		done
		;;
	ls)
		ls -l "$m/ls" >/dev/null || err "traced $c ls failed"
		count "$c" ls "$tf"
		;;
	esac
	[ "$op" = rdd ] && sha=$(sha256sum <"$m/small.bin" | cut -d' ' -f1)
	case $c in
	k*)
		echo 0 >$TR/events/9p/9p_client_req/enable
		echo 0 >$TR/events/9p/9p_client_res/enable
		;;
	esac
	umount_cfg "$c" || return 1
	if [ "$op" = rdd ]; then
		[ "$sha" = "$(cat /etc/bench/small.sha256)" ] ||
			err "$c: small.bin read back with sha256 $sha"
		case $c in f*) msize_line "$tf" ;; esac
	fi
	rm -f "$tf"
}

# mark: start counting here (9pfuse: the trace's line count; v9fs: an
# empty trace buffer)
mark() {
	case $c in
	f*) skip=$(fuse_json "$tf" | wc -l) ;;
	k*) echo >$TR/trace ;;
	esac
}

# count CFG OP TRACEFILE: the requests since mark, after a moment for the
# asynchronous ones (FUSE's release, the kernel's clunks): "N CFG OP TOTAL
# TYPE=COUNT..." and "L CFG OP N MAXFLIGHT REPLY_MS SPAN_S SIZES"
count() {
	sleep 1
	case $1 in
	f*) fuse_ev "$3" "$skip" >/tmp/ev ;;
	k*) kern_ev >/tmp/ev ;;
	esac
	echo "N $1 $2 $(awk '
		BEGIN {
			split("8 statfs 12 lopen 14 lcreate 16 symlink 18 mknod 20 rename 22 readlink " \
			    "24 getattr 26 setattr 30 xattrwalk 32 xattrcreate 40 readdir 50 fsync " \
			    "52 lock 54 getlock 70 link 72 mkdir 74 renameat 76 unlinkat 100 version " \
			    "102 auth 104 attach 108 flush 110 walk 112 open 114 create 116 read " \
			    "118 write 120 clunk 122 remove 124 stat 126 wstat", a, " ")
			for (i = 1; i < 60; i += 2) name[a[i]] = "T" a[i + 1]
		}
		$2 == "T" {
			if ($4 ~ /^P9_T/) print "T" tolower(substr($4, 5))
			else if ($4 ~ /^T/) print "T" tolower(substr($4, 2))
			else if ($4 in name) print name[$4]
			else print "T" $4
		}' /tmp/ev | tally)"
	echo "L $1 $2 $(timing </tmp/ev)"
}

# the msize 9pfuse negotiated: the first Rversion in its trace
msize_line() {
	9ptrace -j -e type=Rversion -r "$1" 2>/dev/null | grep -m1 "\"type\":\"Rversion\"" |
		sed -n 's/.*"msize":\([0-9]*\).*/I msize-9pfuse \1/p'
}

# --- the run ----------------------------------------------------------------
echo	# the console's escape sequences end on this line, not on ours
echo 64 >/proc/sys/vm/nr_hugepages
mkdir -p /mnt/f /mnt/k
echo "I guest $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, $(awk '/MemTotal/ { printf "%d MiB", $2 / 1024 }' /proc/meminfo)"
9pctl devices | sed 's/^/I devices /'
echo "I uptime-start $(cut -d' ' -f1 /proc/uptime)"

# once, untimed: both see the same share; the negotiated sizes
for c in fm kn; do
	mount_cfg $c || exit 1
	m=$(mnt_of $c)
	[ "$(stat -c %s "$m/big.bin")" = $((SIZE_MB * 1048576)) ] || err "$c: big.bin has the wrong size"
	[ $c = kn ] && echo "I mount-kernel $(grep ' /mnt/k ' /proc/mounts)"
	[ $c = fm ] && echo "I mount-9pfuse $(grep ' /mnt/f ' /proc/mounts)"
	umount_cfg $c || exit 1
done
echo "I version-9pctl $(9pctl -m "$MSIZE" -a virtio:fuse9p version)"

# the guest's own copy speed: one copy of 128 MiB from tmpfs to user space
head -c 134217728 /dev/zero >/tmp/copy.bin
cat /tmp/copy.bin >/dev/null
echo "I guest-copy $($VB time dd if=/tmp/copy.bin of=/dev/null bs=1M 2>/dev/null)"
rm -f /tmp/copy.bin

for r in $(seq 1 "$RUNS"); do
	for op in rdd rcat wr cs ls; do
		for c in $CONFIGS; do
			run "$c" "$op" "$r" || exit 1
		done
	done
	echo "I uptime-round$r $(cut -d' ' -f1 /proc/uptime)"
done

if [ "$TRACE" = 1 ]; then
	for op in rdd rcat wr cs ls; do
		for c in $CONFIGS; do
			traced "$c" "$op" || exit 1
		done
	done
fi
echo "I uptime-end $(cut -d' ' -f1 /proc/uptime)"
echo "I driver-after $(9pctl devices | awk '$3 == "fuse9p" { print $4 }')"
echo "B done"
