#!/usr/bin/env bash
#
# bench/virtio.sh - 9pfuse over virtio (VFIO, userspace) against the guest
# kernel's own 9p client (v9fs, 9pnet_virtio), in ONE QEMU guest (TCG, q35 +
# intel-iommu, the scripts/vm harness), on the same host folder, at the same
# msize.  Runs as root (scripts/vm installs packages and caches the guest
# kernel); inside, the guest runs everything as root.  About 9 minutes with
# the defaults on a 2-CPU host (4.5 with RUNS=1); QEMU under TCG is slow.
#
# What it does, in one run:
#   1. builds 9ptools for the guest into $BUILD (libp9 linked in, as
#      scripts/vm/virtio-test.sh does) and compiles a small C helper, vbench
#      (CLOCK_MONOTONIC timing of a command; create + stat + unlink loops).
#   2. makes a share folder (under $TMPDIR, default /var/tmp) holding
#      big.bin (SIZE_MB MiB of random bytes), small.bin (TRACE_MB MiB, for
#      the traced pass) and ls/ (NFILES files of 1 KiB), all in the host's
#      page cache.
#   3. boots one guest with two virtio-9p-pci devices exporting that same
#      folder (-fsdev local,security_model=none):
#        fuse9p  FUSE_DEV (default disable-legacy=on,iommu_platform=on: modern
#                only, VIRTIO_F_ACCESS_PLATFORM, so 9pfuse's DMA goes through
#                the vIOMMU with translated IOVAs) - for 9pfuse over VFIO
#        kern9p  KERN_DEV (default disable-legacy=on: modern only, no
#                ACCESS_PLATFORM, so the kernel's virtio ring uses guest
#                physical addresses and pays no IOMMU map/unmap per request,
#                its usual and fastest setup) - for the kernel's v9fs
#      and runs bench/virtio-guest.sh inside, which times, RUNS rounds, the
#      configurations interleaved within each round, each operation on a
#      fresh mount after `sync; echo 3 > /proc/sys/vm/drop_caches`:
#        fn  9pfuse -o trans=virtio,msize=MSIZE,cache=none fuse9p /mnt/f
#        fm  9pfuse -o trans=virtio,msize=MSIZE fuse9p /mnt/f   (cache=mmap, its default)
#        fl  9pfuse -o trans=virtio,msize=MSIZE,cache=loose fuse9p /mnt/f
#        kn  mount -t 9p -o trans=virtio,version=9p2000.L,msize=MSIZE,cache=none kern9p /mnt/k
#        kl  mount -t 9p -o trans=virtio,version=9p2000.L,msize=MSIZE,cache=loose kern9p /mnt/k
#        (fp, 9pfuse cache=mmap with -o poll, and km, v9fs cache=mmap, can
#        be added with CONFIGS)
#      the operations:
#        rdd     dd if=MNT/big.bin of=/dev/null bs=1M
#        rcat    cat MNT/big.bin > /dev/null
#        wr      dd if=/dev/zero of=MNT/w.bin bs=1M count=SIZE_MB conv=fsync
#                (size checked, removed after, untimed)
#        create  vbench: NFILES x open(O_CREAT|O_EXCL) + write 1 KiB + close
#        stat    vbench: lstat of each of those files (size checked)
#                (then unlink of each, timed and shown, no target)
#        ls      ls -l MNT/ls > FILE (NFILES entries, line count checked)
#      Times come from CLOCK_MONOTONIC in vbench (busybox date has no %N;
#      /proc/uptime has 10 ms steps), around the command's fork and exit;
#      the guest's CPU time (busy and idle, /proc/stat) is recorded around
#      each too.  Before the rounds, one in-guest copy of 128 MiB from tmpfs
#      (dd to /dev/null) measures what a guest memory copy costs under TCG.
#   4. then, untimed, a traced pass on fresh mounts: each configuration
#      reads small.bin (dd bs=1M and cat; sha256 checked), writes TRACE_MB
#      MiB, creates, stats and unlinks TRACE_NFILES files and runs ls -l,
#      and the 9P requests of each are counted by type and timed (mean time
#      to the reply, most in flight, Tread/Twrite sizes): 9pfuse from its
#      own trace (-o trace=FILE, one line per message), v9fs from the
#      9p:9p_client_req and 9p_client_res trace events (tracefs).  The
#      msize 9pfuse negotiated is read from its Rversion, the kernel's from
#      /proc/mounts.
#   5. prints the tables and replaces the section
#      "## 9pfuse over virtio vs the guest kernel's v9fs (QEMU TCG guest)" of
#      bench/RESULTS.md (other sections are kept).  Targets: 9pfuse at least
#      1.0x the kernel's sequential read (dd and cat) at the same cache mode
#      (fn vs kn, fl vs kl), and within 1.5x of the kernel's time on
#      metadata (create, stat, ls -l) at the same cache mode.  The defaults
#      (fm, 9pfuse's cache=mmap, vs kn, v9fs's cache=none) are shown too,
#      with no target: the two do different work.  For each miss it writes
#      what the figures show (requests, their timing, guest CPU time).
#
# Environment:
#   SIZE_MB   sequential read/write size in MiB (default 256)
#   NFILES    files for create+stat and entries for ls -l (default 1000)
#   RUNS      timed rounds, median taken (default 3)
#   MSIZE     msize for both clients (default 512000, Linux virtio's cap)
#   CONFIGS   configurations timed, in order (default "fn kn fl kl fm"; also
#             fp and km, see step 3)
#   TRACE     1 (default): the traced pass of step 4; 0 skips it
#   TRACE_MB  size read and written in the traced pass (default 16)
#   TRACE_NFILES  files created, stated and unlinked in the traced pass
#             (default 100; the counts per file are what matter)
#   FUSE_DEV, KERN_DEV  -device virtio-9p-pci options of the two devices
#   MEM       guest memory in MiB (default 2048)
#   TIMEOUT   seconds before QEMU is killed (default 1800)
#   BUILD     build directory (default build-benchvm)
#   RESULTS   results file (default bench/RESULTS.md); RESULTS=/dev/null skips
#   KEEP      a directory: keep the guest's console log there
#   REPLAY    a console log kept with KEEP: skip the build and the guest and
#             only make the report from it (RESULTS defaults to /dev/null;
#             set RESULTS_REPLAY=FILE to write one)
#
# Exit status: 0 when the guest ran every operation and every check passed,
# whether the targets were met or not (a benchmark is not a test); non-zero
# if the build, the guest or an operation failed.

set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

SIZE_MB=${SIZE_MB:-256}
NFILES=${NFILES:-1000}
RUNS=${RUNS:-3}
MSIZE=${MSIZE:-512000}
CONFIGS=${CONFIGS:-fn kn fl kl fm}
TRACE=${TRACE:-1}
TRACE_MB=${TRACE_MB:-16}
TRACE_NFILES=${TRACE_NFILES:-100}
FUSE_DEV=${FUSE_DEV:-disable-legacy=on,iommu_platform=on}
KERN_DEV=${KERN_DEV:-disable-legacy=on}
MEM=${MEM:-2048}
TIMEOUT=${TIMEOUT:-1800}
BUILD=${BUILD:-build-benchvm}
RESULTS=${RESULTS:-$here/RESULTS.md}
KEEP=${KEEP:-}
REPLAY=${REPLAY:-}
[[ -n $REPLAY && -z ${RESULTS_SET:-} ]] && RESULTS=${RESULTS_REPLAY:-/dev/null}
SECTION="## 9pfuse over virtio vs the guest kernel's v9fs (QEMU TCG guest)"

die() { echo "virtio.sh: $*" >&2; exit 1; }
note() { echo "virtio.sh: $*" >&2; }

for v in SIZE_MB NFILES RUNS MSIZE TRACE_MB TRACE_NFILES MEM TIMEOUT; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[[ $TRACE == [01] ]] || die "TRACE must be 0 or 1"
for c in $CONFIGS; do
	[[ $c == @(fn|fm|fp|fl|kn|km|kl) ]] || die "CONFIGS: $c is not one of fn fm fp fl kn km kl"
done

cmdline="SIZE_MB=$SIZE_MB NFILES=$NFILES RUNS=$RUNS MSIZE=$MSIZE"
[[ $CONFIGS != "fn kn fl kl fm" ]] && cmdline+=" CONFIGS='$CONFIGS'"
[[ $TRACE != 1 ]] && cmdline+=" TRACE=$TRACE"
[[ $TRACE_MB != 16 ]] && cmdline+=" TRACE_MB=$TRACE_MB"
[[ $TRACE_NFILES != 100 ]] && cmdline+=" TRACE_NFILES=$TRACE_NFILES"
[[ $FUSE_DEV != disable-legacy=on,iommu_platform=on ]] && cmdline+=" FUSE_DEV=$FUSE_DEV"
[[ $KERN_DEV != disable-legacy=on ]] && cmdline+=" KERN_DEV=$KERN_DEV"
cmdline+=" bench/virtio.sh"

if [[ -n $REPLAY ]]; then
	# only the report, from a console log kept earlier (KEEP=DIR)
	[[ -r $REPLAY ]] || die "REPLAY=$REPLAY: cannot read it"
	work=$(mktemp -d "${TMPDIR:-/var/tmp}/9pvbench.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	cp "$REPLAY" "$work/console.log"
	bin=$repo/$BUILD rc=0 t0=0 t1=0 rev="(replayed from $REPLAY)" p9sum="?"
	load_start="?" load_end="?"
else
# --- build --------------------------------------------------------------------
echo "building 9ptools for the guest in $BUILD ..."
"$repo/scripts/build.sh" "$BUILD" --enable-werror --disable-shared >&2
bin=$repo/$BUILD
for b in 9pfuse 9pctl; do
	[[ -x $bin/$b ]] || die "no $bin/$b after the build"
done

base=${TMPDIR:-/var/tmp}
[[ $base == /* ]] || base=$(cd "$base" && pwd)
avail_mb=$(df -Pm "$base" | awk 'NR==2 {print $4}')
((avail_mb > 2 * SIZE_MB + 2 * TRACE_MB + 256)) ||
	die "need $((2 * SIZE_MB + 2 * TRACE_MB + 256)) MiB free in $base, have $avail_mb"
work=$(mktemp -d "$base/9pvbench.XXXXXX")
cleanup() {
	if [[ -n $KEEP ]]; then
		mkdir -p "$KEEP"
		cp "$work/console.log" "$KEEP/" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the helper ---------------------------------------------------------------
cat >"$work/vbench.c" <<'EOF'
/* vbench: timing for bench/virtio-guest.sh (busybox has no sub-second clock).
 *   vbench time [-o FILE] CMD ARG...  run CMD, its stdout to FILE (default
 *                                     /dev/null); print the seconds it took;
 *                                     exit with its status
 *   vbench create DIR N BYTES         mkdir DIR; N x open(O_CREAT|O_EXCL),
 *                                     write BYTES, close
 *   vbench stat DIR N BYTES           lstat each file (size checked)
 *   vbench unlink DIR N               unlink each file; rmdir DIR
 * create, stat and unlink print the seconds their loop took. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void
fail(const char *what, const char *path)
{
	fprintf(stderr, "vbench: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

int
main(int argc, char **argv)
{
	static char buf[65536], p[4096];
	const char *out = "/dev/null", *cmd = argc > 1 ? argv[1] : "";
	struct stat st;
	double t0, t1;
	long i, n, bytes;
	int fd, status;
	pid_t pid;

	if (argc >= 3 && strcmp(cmd, "time") == 0) {
		argv += 2;
		if (strcmp(argv[0], "-o") == 0 && argv[1] && argv[2]) {
			out = argv[1];
			argv += 2;
		}
		t0 = now();
		if ((pid = fork()) == 0) {
			if ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
				fail("open", out);
			dup2(fd, 1);
			execvp(argv[0], argv);
			fail("exec", argv[0]);
		}
		if (pid < 0 || waitpid(pid, &status, 0) < 0)
			fail("fork", argv[0]);
		t1 = now();
		printf("%.4f\n", t1 - t0);
		return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	}
	if (argc < 4 || argc > 5)
		return 2;
	n = atol(argv[3]);
	bytes = argc == 5 ? atol(argv[4]) : 0;
	if (n <= 0 || bytes < 0 || bytes > (long)sizeof buf)
		return 2;
	memset(buf, 'x', sizeof buf);
	if (strcmp(cmd, "create") == 0 && mkdir(argv[2], 0755) < 0)
		fail("mkdir", argv[2]);
	t0 = now();
	for (i = 0; i < n; i++) {
		snprintf(p, sizeof p, "%s/f%06ld", argv[2], i);
		if (strcmp(cmd, "create") == 0) {
			if ((fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644)) < 0)
				fail("create", p);
			if (bytes > 0 && write(fd, buf, bytes) != bytes)
				fail("write", p);
			if (close(fd) < 0)
				fail("close", p);
		} else if (strcmp(cmd, "stat") == 0) {
			if (lstat(p, &st) < 0)
				fail("lstat", p);
			if (st.st_size != bytes || !S_ISREG(st.st_mode)) {
				fprintf(stderr, "vbench: %s: size %lld, want %ld\n",
				    p, (long long)st.st_size, bytes);
				return 1;
			}
		} else if (strcmp(cmd, "unlink") == 0) {
			if (unlink(p) < 0)
				fail("unlink", p);
		} else
			return 2;
	}
	t1 = now();
	if (strcmp(cmd, "unlink") == 0 && rmdir(argv[2]) < 0)
		fail("rmdir", argv[2]);
	printf("%.4f\n", t1 - t0);
	return 0;
}
EOF
cc -O2 -Wall -o "$work/vbench" "$work/vbench.c" || die "cannot compile the helper"

# --- the share ------------------------------------------------------------------
share=$work/share
mkdir -p "$share/ls" "$work/etc"
echo "creating the share in $share: big.bin ($SIZE_MB MiB), small.bin ($TRACE_MB MiB), ls/ ($NFILES files) ..."
head -c "$((SIZE_MB * 1048576))" /dev/urandom >"$share/big.bin"
head -c "$((TRACE_MB * 1048576))" /dev/urandom >"$share/small.bin"
sha256sum <"$share/small.bin" | cut -d' ' -f1 >"$work/etc/small.sha256"
head -c 1024 /dev/urandom >"$work/kib"
for i in $(seq -f '%06g' 1 "$NFILES"); do cp "$work/kib" "$share/ls/f$i"; done
chmod -R a+rwX "$share"

# --- the guest ------------------------------------------------------------------
{
	echo "PATH=$bin:\$PATH"
	echo "VB=$work/vbench SIZE_MB=$SIZE_MB NFILES=$NFILES RUNS=$RUNS MSIZE=$MSIZE"
	echo "CONFIGS='$CONFIGS' TRACE=$TRACE TRACE_MB=$TRACE_MB TRACE_NFILES=$TRACE_NFILES"
	cat "$here/virtio-guest.sh"
} >"$work/guest.sh"
"$repo/scripts/vm/mkinitramfs.sh" "$work/initrd.gz" \
	--bin "$bin/9pctl" --bin "$bin/9pfuse" --bin "$bin/9ptrace" --bin "$work/vbench" \
	--file "$(gcc -print-file-name=libgcc_s.so.1):/lib/x86_64-linux-gnu/libgcc_s.so.1" \
	--file "$work/etc/small.sha256:/etc/bench/small.sha256" \
	--init "$work/guest.sh" >&2

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
rev=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ $rev != unknown ]] && ! git -C "$repo" diff --quiet HEAD -- lib src 2>/dev/null; then
	rev+=" + uncommitted changes in lib/ src/"
fi
p9sum=$(sha256sum "$bin/9pfuse" | cut -c1-12)
echo "booting the guest (TCG; this takes minutes) ..."
t0=$(date +%s)
rc=0
"$repo/scripts/vm/run.sh" --timeout "$TIMEOUT" --mem "$MEM" --initrd "$work/initrd.gz" \
	--share "fuse9p=$share:$FUSE_DEV" --share "kern9p=$share:$KERN_DEV" \
	>"$work/console.log" 2>&1 || rc=$?
t1=$(date +%s)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
fi
grep -a -E '^[IRNEB] ' "$work/console.log" || true
echo "guest: status $rc after $((t1 - t0)) s"
log=$work/console.log
if grep -a -q '^E ' "$log" || ! grep -a -q '^B done' "$log" || ((rc != 0)); then
	tail -40 "$log" >&2
	[[ -n $KEEP ]] || KEEP=$base/9pvbench-failed.$$
	note "the guest failed (status $rc); console log kept in $KEEP"
	exit 1
fi

# --- figures ------------------------------------------------------------------------
median() { tr ' ' '\n' <<<"$*" | grep . | sort -g |
	awk '{v[NR] = $1} END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A runs=() med=()
while read -r _ c op _ s; do
	runs[$c.$op]="${runs[$c.$op]:-} $s"
done < <(grep -a '^R ' "$log")
ops=(rdd rcat wr create stat unlink ls)
for c in $CONFIGS; do
	for op in "${ops[@]}"; do
		[[ -n ${runs[$c.$op]:-} ]] || die "no timing for $c $op in the console log"
		med[$c.$op]=$(median "${runs[$c.$op]}")
	done
done
info() { grep -a -o "I $1 .*" "$log" | head -n 1 | cut -d' ' -f3- || true; }
msize_fuse=$(info msize-9pfuse)
msize_kern=$(info mount-kernel | grep -o 'msize=[0-9]*' | cut -d= -f2)
declare -A label=(
	[fn]="9pfuse cache=none" [fm]="9pfuse cache=mmap" [fp]="9pfuse cache=mmap,poll" [fl]="9pfuse cache=loose"
	[kn]="v9fs cache=none" [km]="v9fs cache=mmap" [kl]="v9fs cache=loose"
)
declare -A opname=(
	[rdd]="read, dd bs=1M" [rcat]="read, cat" [wr]="write, dd bs=1M conv=fsync"
	[create]="create $NFILES x 1 KiB" [stat]="stat $NFILES" [unlink]="unlink $NFILES"
	[ls]="ls -l, $NFILES entries"
)
mb=$(awk -v m="$SIZE_MB" 'BEGIN { print m * 1048576 / 1e6 }')
fig() {	# fig CFG OP: "seconds (MB/s)" or "seconds"
	case $2 in
	rdd | rcat | wr) awk -v s="${med[$1.$2]}" -v mb="$mb" 'BEGIN { printf "%.2f s (%.0f MB/s)", s, mb / s }' ;;
	*) awk -v s="${med[$1.$2]}" 'BEGIN { printf "%.3f s", s }' ;;
	esac
}
# the pairs: the same cache mode on both sides (targets), then 9pfuse's
# default against the kernel's (shown, no target: mmap keeps a page cache)
pairs=()
has() { [[ " $CONFIGS " == *" $1 "* ]]; }
has fn && has kn && pairs+=("fn:kn")
has fl && has kl && pairs+=("fl:kl")
has fm && has km && pairs+=("fm:km")
has fm && has kn && pairs+=("fm:kn")
has fp && has kn && pairs+=("fp:kn")
targeted() { [[ $1 == @(fn:kn|fl:kl|fm:km) ]]; }
((${#pairs[@]})) || die "CONFIGS has no 9pfuse/v9fs pair to compare"

verdicts=() misses=()
table=$(
	printf '| operation |'
	for p in "${pairs[@]}"; do printf ' %s | %s | ratio |' "${label[${p%:*}]}" "${label[${p#*:}]}"; done
	printf '\n|---|'
	for p in "${pairs[@]}"; do printf -- '---:|---:|---:|'; done
	printf '\n'
	for op in "${ops[@]}"; do
		printf '| %s |' "${opname[$op]}"
		for p in "${pairs[@]}"; do
			f=${p%:*} k=${p#*:}
			printf ' %s | %s | %s |' "$(fig "$f" "$op")" "$(fig "$k" "$op")" \
				"$(awk -v f="${med[$f.$op]}" -v k="${med[$k.$op]}" 'BEGIN { printf "%.2fx", k / f }')"
		done
		printf '\n'
	done
)
# targets
for p in "${pairs[@]}"; do
	targeted "$p" || continue
	f=${p%:*} k=${p#*:}
	for op in rdd rcat; do
		r=$(awk -v f="${med[$f.$op]}" -v k="${med[$k.$op]}" 'BEGIN { printf "%.2f", k / f }')
		if awk -v r="$r" 'BEGIN { exit !(r >= 1.0) }'; then v=PASS; else v=MISS; misses+=("$f $op"); fi
		verdicts+=("- sequential read (${opname[$op]}), ${label[$f]} vs ${label[$k]}: ${r}x the kernel's speed (target >= 1.0x) — $v")
	done
	for op in create stat ls; do
		r=$(awk -v f="${med[$f.$op]}" -v k="${med[$k.$op]}" 'BEGIN { printf "%.2f", f / k }')
		if awk -v r="$r" 'BEGIN { exit !(r <= 1.5) }'; then v=PASS; else v=MISS; misses+=("$f $op"); fi
		verdicts+=("- ${opname[$op]}, ${label[$f]} vs ${label[$k]}: ${r}x the kernel's time (target <= 1.5x) — $v")
	done
done
nmiss=${#misses[@]}
if ((nmiss == 0)); then overall=PASS; else overall="MISS ($nmiss of ${#verdicts[@]})"; fi

# request counts of the traced pass: a table, per file for create/stat/unlink
declare -A ncount=()
while read -r _ c op total rest; do
	ncount[$c.$op]="$total $rest"
done < <(grep -a -o 'N [a-z]* [a-z]* [0-9].*' "$log")
cell() {	# cell CFG OP: "total (type n, ...)", per file for the metadata phases
	local v=${ncount[$1.$2]:-}
	[[ -n $v ]] || { printf '—'; return; }
	awk -v v="$v" -v per="$3" 'BEGIN {
		n = split(v, a, " "); t = a[1]
		if (per > 1) printf "%.2f/file (", t / per; else printf "%d (", t
		for (i = 2; i <= n; i++) {
			split(a[i], kv, "=")
			sep = i > 2 ? ", " : ""
			if (per > 1) printf "%s%s %.2f", sep, kv[1], kv[2] / per
			else printf "%s%s %d", sep, kv[1], kv[2]
		}
		printf ")"
	}'
}
declare -A tname=(
	[rdd]="read $TRACE_MB MiB (dd bs=1M)" [rcat]="read $TRACE_MB MiB (cat)" [wr]="write $TRACE_MB MiB (dd bs=1M conv=fsync)"
	[create]="create" [stat]="stat" [unlink]="unlink" [ls]="ls -l, $NFILES entries"
)
counts=$(
	printf '| operation |'
	for c in $CONFIGS; do printf ' %s |' "${label[$c]}"; done
	printf '\n|---|'
	for c in $CONFIGS; do printf -- '---|'; done
	printf '\n'
	for op in rdd rcat wr create stat unlink ls; do
		printf '| %s |' "${tname[$op]}"
		per=1
		[[ $op == @(create|stat|unlink) ]] && per=$TRACE_NFILES
		for c in $CONFIGS; do printf ' %s |' "$(cell "$c" "$op" "$per")"; done
		printf '\n'
	done
)
# their timing (L lines) and the guest CPU time of the timed runs (C lines)
declare -A ltime=() cpub=() cpui=()
while read -r _ c op n fl ms span sizes; do
	ltime[$c.$op]="$n $fl $ms $span $sizes"
done < <(grep -a -o 'L [a-z]* [a-z]* [0-9].*' "$log")
while read -r _ c op _ b i; do
	cpub[$c.$op]="${cpub[$c.$op]:-} $b"
	cpui[$c.$op]="${cpui[$c.$op]:-} $i"
done < <(grep -a -o 'C [a-z]* [a-z]* [0-9]* [0-9]* [0-9]*' "$log")
lcell() {	# lcell CFG OP: "mean reply X ms, N in flight at most, span S s"
	local v=${ltime[$1.$2]:-}
	[[ -n $v ]] || { printf '—'; return; }
	awk -v v="$v" 'BEGIN {
		split(v, a, " ")
		printf "%.2f ms; <= %d; %.2f s", a[3], a[2], a[4]
		if (a[5] != "-") {
			n = split(a[5], z, ","); s = ""
			for (i = 1; i <= n; i++) { split(z[i], p, "x"); if (p[1] > best) { best = p[1]; bsz = p[2] } }
			printf "; mostly %d B", bsz
		}
	}'
}
timing_table=$(
	printf '| operation |'
	for c in $CONFIGS; do printf ' %s |' "${label[$c]}"; done
	printf '\n|---|'
	for c in $CONFIGS; do printf -- '---|'; done
	printf '\n'
	for op in rdd rcat wr create stat unlink ls; do
		printf '| %s |' "${tname[$op]}"
		for c in $CONFIGS; do printf ' %s |' "$(lcell "$c" "$op")"; done
		printf '\n'
	done
)
cpu_table=$(
	printf '| operation |'
	for c in $CONFIGS; do printf ' %s |' "${label[$c]}"; done
	printf '\n|---|'
	for c in $CONFIGS; do printf -- '---:|'; done
	printf '\n'
	for op in "${ops[@]}"; do
		printf '| %s |' "${opname[$op]}"
		for c in $CONFIGS; do
			b=$(median "${cpub[$c.$op]:-0}") i=$(median "${cpui[$c.$op]:-0}")
			awk -v b="$b" -v i="$i" 'BEGIN { printf " %.2f s busy, %.2f s idle |", b / 100, i / 100 }'
		done
		printf '\n'
	done
)
copy=$(info guest-copy)
copy_rate=$(awk -v s="${copy:-0}" 'BEGIN { if (s > 0) printf "%.0f MB/s", 134.217728 / s; else print "?" }')
runs_list=$(
	for c in $CONFIGS; do
		printf -- '- %s:' "${label[$c]}"
		for op in "${ops[@]}"; do printf ' %s %s;' "$op" "$(sed 's/^ //; s/ /, /g' <<<"${runs[$c.$op]}")"; done
		printf '\n'
	done
)

# --- what the figures say, when a target is missed ---------------------------
nreq() {	# nreq CFG OP [TYPE]: requests of the traced pass (all, or of TYPE)
	local v=${ncount[$1.$2]:-}
	[[ -n $v ]] || { echo 0; return; }
	awk -v v="$v" -v t="${3:-}" 'BEGIN {
		n = split(v, a, " "); if (t == "") { print a[1]; exit }
		for (i = 2; i <= n; i++) { split(a[i], kv, "="); if (kv[1] == t) { print kv[2]; exit } }
		print 0
	}'
}
busy() { awk -v b="$(median "${cpub[$1.$2]:-0}")" 'BEGIN { printf "%.2f", b / 100 }'; }
lfield() { local v=${ltime[$1.$2]:-}; [[ -n $v ]] && awk -v v="$v" -v i="$3" 'BEGIN { split(v, a, " "); print a[i] }' || echo 0; }
commonest() {	# the commonest Tread/Twrite size of the traced pass
	awk -v v="$(lfield "$1" "$2" 5)" 'BEGIN {
		n = split(v, z, ","); for (i = 1; i <= n; i++) { split(z[i], p, "x"); if (p[1] > b) { b = p[1]; s = p[2] } }
		print s + 0
	}'
}
why=()
copy_s=$(awk -v s="${copy:-0}" -v m="$SIZE_MB" 'BEGIN { printf "%.2f", s * m / 128 }')
for p in "${pairs[@]}"; do
	f=${p%:*} k=${p#*:}
	[[ " ${misses[*]:-} " == *" $f rdd "* || " ${misses[*]:-} " == *" $f rcat "* ]] || continue
	nf=$(nreq "$f" rdd Tread) nk=$(nreq "$k" rdd Tread)
	why+=("- **read, ${label[$f]} vs ${label[$k]}**: for $TRACE_MB MiB (dd bs=1M) 9pfuse sent $nf Treads of mostly $(commonest "$f" rdd) bytes, at most $(lfield "$f" rdd 2) in flight; v9fs sent $nk (each 1 MiB read() split at msize), one at a time.  Guest CPU busy during the timed $SIZE_MB MiB dd: 9pfuse $(busy "$f" rdd) s, v9fs $(busy "$k" rdd) s.  One in-guest copy of $SIZE_MB MiB takes about $copy_s s here ($copy_rate).")
done
for p in "${pairs[@]}"; do
	f=${p%:*} k=${p#*:}
	for op in create stat ls; do
		[[ " ${misses[*]:-} " == *" $f $op "* ]] || continue
		case $op in
		ls) per=$NFILES unit=entry tr=ls ;;
		*) per=$TRACE_NFILES unit=file tr=$op ;;
		esac
		why+=("- **${opname[$op]}, ${label[$f]} vs ${label[$k]}**: $(awk -v a="$(nreq "$f" "$tr")" -v b="$(nreq "$k" "$tr")" -v n="$per" 'BEGIN { printf "%.2f vs %.2f", a / n, b / n }') 9P requests per $unit, mean reply $(lfield "$f" "$tr" 3) vs $(lfield "$k" "$tr" 3) ms (traced pass); guest CPU busy $(busy "$f" "$op") vs $(busy "$k" "$op") s.")
	done
done
missed() { [[ " ${misses[*]:-} " == *" $1 "* ]]; }
notes=()
if missed "fn rdd" || missed "fn rcat" || missed "fl rdd" || missed "fl rcat"; then
	notes+=("Reads: 9pfuse hands the device's DMA buffer straight to /dev/fuse (no copy in user space), and the kernel's FUSE copies it from there: into the reader's buffer with cache=none (direct I/O: one copy), into the page cache with cache=loose, from which the reader copies again (two).  v9fs copies nothing inside the guest with cache=none (QEMU writes straight into the reader's pinned pages) and once with cache=loose (page cache to reader).  So FUSE's path does one guest copy more than v9fs at either cache mode; under TCG every guest copy is emulated (see the guest copy speed above) while QEMU's 9p server runs as native code, so these reads are bound by guest CPU (see the guest CPU table below), not by the device.")
fi
if missed "fn stat" || missed "fn create" || missed "fl create"; then
	notes+=("Metadata: where both send the same requests per file, the difference is the cost of each request on the user-space path: a FUSE round trip per system call, and 9pfuse's completion (the MSI-X interrupt, VFIO's eventfd, the completion thread, then the waiting thread), each a guest context switch, all emulated under TCG.")
fi
if missed "fn ls"; then
	notes+=("ls -l with cache=none: with entry and attribute timeouts of 0 (no READDIRPLUS then) each lstat is a LOOKUP (a Twalk and a Tgetattr) and a GETATTR (a Tgetattr), and the kernel revalidates the listed folder for each lstat too (a Twalk, and a Tclunk of the fid it replaces); v9fs never revalidates a folder dentry in use, so it sends one request per entry fewer.  cache=mmap trusts a folder's name for a second, which saves that Twalk and Tclunk; with cache=loose (60 s timeouts) the READDIRPLUS answers are used and ls sends one walk and one getattr per entry.")
fi
if missed "fl stat"; then
	notes+=("stat with cache=loose: v9fs serves the lstat of a file it just created from the attributes it keeps, sending nothing; through 9pfuse the kernel asks once per file (one Tgetattr each): with FUSE's writeback cache, which cache=loose turns on, the kernel sends the file's times at close (a Tsetattr) and drops its cached block count, so the next lstat has to ask.")
fi
if ((${#why[@]})); then
	whytext=$(printf '%s\n' "What the figures show for the misses (9pfuse vs v9fs):" "" "${why[@]}" "" "${notes[@]/#/- }")
else
	whytext="All targets met."
fi

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
machine="$(nproc) CPUs, ${cpu:-unknown CPU}, $(uname -sr), $(awk '/^MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
qemu_ver=$(qemu-system-x86_64 --version | head -n 1)
guest=$(info guest)
devs=$(grep -a '^I devices ' "$log" | cut -d' ' -f3- | sed 's/^/    /')
up_start=$(info uptime-start) up_end=$(info uptime-end)

section=$(cat <<EOF
$SECTION

- date: $(date -u '+%Y-%m-%d %H:%M UTC')
- machine (host): $machine; load average $load_start at start, $load_end at end
  (other work on the machine shows up as spread between rounds)
- guest: $qemu_ver, TCG (no KVM), \`-machine q35,kernel-irqchip=split -device
  intel-iommu,intremap=on,caching-mode=on\`, kernel option \`intel_iommu=on\`, $MEM MiB, guest
  kernel $guest; busybox initramfs (scripts/vm); guest run $up_start s to $up_end s of uptime
- command: \`$cmdline\` ($((t1 - t0)) s from QEMU start to power-off)
- share: one host folder, exported twice with \`-fsdev local,security_model=none\`:
  \`virtio-9p-pci,mount_tag=fuse9p,$FUSE_DEV\` for 9pfuse (modern only, ACCESS_PLATFORM:
  9pfuse's DMA through the vIOMMU, translated IOVAs) and
  \`virtio-9p-pci,mount_tag=kern9p,$KERN_DEV\` for v9fs (modern only, no
  ACCESS_PLATFORM: the kernel's ring uses guest-physical addresses, no IOMMU
  mapping per request).  \`9pctl devices\` in the guest:
$devs
- 9pfuse: built in $BUILD from $rev (binary sha256 $p9sum...),
  \`9pfuse -o trans=virtio,msize=${MSIZE}[,cache=none|loose] fuse9p /mnt/f\`; msize negotiated $msize_fuse
  (its Rversion); v9fs: \`mount -t 9p -o trans=virtio,version=9p2000.L,msize=$MSIZE,cache=none|loose kern9p /mnt/k\`,
  msize $msize_kern (/proc/mounts)
- each operation on a fresh mount after \`sync; echo 3 > /proc/sys/vm/drop_caches\` in the
  guest; the host's page cache holds the share (QEMU's 9p server reads from memory);
  configurations interleaved within each round; median of $RUNS round(s); times from
  CLOCK_MONOTONIC around the command (a helper; busybox \`date\` has no %N)
- SIZE_MB=$SIZE_MB: read of big.bin with \`dd if=F of=/dev/null bs=1M\` and \`cat F > /dev/null\`;
  write \`dd if=/dev/zero of=F bs=1M count=$SIZE_MB conv=fsync\`; create = open(O_CREAT|O_EXCL)
  + write 1 KiB + close of $NFILES new files, stat = lstat of each, unlink = unlink of each (no
  target); \`ls -l\` of a directory of $NFILES 1 KiB files (made on the host)
- ratio = v9fs time / 9pfuse time (above 1: 9pfuse faster)

$table

Targets: $overall
$(printf '%s\n' "${verdicts[@]}")

$whytext

9P requests per operation, from an untimed traced pass on fresh mounts
(create, stat and unlink of $TRACE_NFILES files, shown per file; 9pfuse from its
\`-o trace=FILE\`, v9fs from the guest kernel's 9p:9p_client_req trace event):

$counts

Timing of those requests (same pass; mean time from a request to its reply;
most requests in flight at once; first request to last reply; for reads
and writes the commonest size).  9pfuse's figures include its tracing, which
writes every message as hex (a 128 KiB Rread is a 256 KiB line), so they
are upper bounds; each is one run, so they also move with the host's other
load (the timed rounds above are the figures to compare):

$timing_table

Guest CPU time during the timed runs (from /proc/stat, both vCPUs together,
so busy + idle = 2 x elapsed; median of the rounds).  Under TCG every guest
instruction is emulated: one in-guest copy of 128 MiB from tmpfs to user
space (\`dd bs=1M\` to /dev/null) runs at $copy_rate, while QEMU's 9p server
and its DMA into guest memory run as native host code:

$cpu_table

Runs (s):
$runs_list
EOF
)

echo
echo "$table"
echo
echo "Targets: $overall"
printf '%s\n' "${verdicts[@]}"
echo
echo "$whytext"
echo
echo "$counts"

# --- RESULTS.md: replace only our section ----------------------------------
. "$(dirname "${BASH_SOURCE[0]}")/results.sh"
write_section "$RESULTS" "$SECTION" "$section"
