#!/usr/bin/env bash
#
# bench/fuse.sh - 9pfuse against the local folder (the ceiling), sshfs on
# loopback and diodcat, on a diod this script starts itself on 127.0.0.1
# (TCP, no auth).  Must run as root (drop_caches, sshd, mounts).
#
# What it does, in one run:
#   1. installs sshfs, openssh-server and fio with apt-get if missing; builds
#      a small C helper (metadata loops) into the temp dir with cc.
#   2. makes a temp dir (under $TMPDIR, default /var/tmp) with the export:
#      a SIZE_MB MiB file of random bytes, a FIO_MB MiB file for random
#      reads, a directory of NFILES 1 KiB files (for ls -l) and a tree of
#      TREE = DIRSxFILES 1 KiB files (for du and find), all made locally.
#   3. starts diod on a free loopback port exporting it, and its own sshd on
#      another free loopback port (config, host key, authorized key and
#      privilege-separation dir all temporary; the system sshd config and
#      ~/.ssh are not touched), then mounts:
#        9pfuse  -o aname=EXPORT                 (default cache=mmap)
#        9pfuse  -o aname=EXPORT,cache=loose     (second 9pfuse column)
#        sshfs   root@127.0.0.1:EXPORT -p PORT -F /dev/null
#                -o IdentityFile=KEY,StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null,
#                   BatchMode=yes,Ciphers=aes128-gcm@openssh.com,Compression=no
#      (sshfs otherwise with its defaults).  Each mount is started with -f in
#      the background so that its pid is known and it can be remounted.
#   4. checks each reader once, untimed (cmp against the file), records the
#      9P requests of that check through a traced 9pfuse (-o trace=FILE) and
#      reports the negotiated msize and the Tread sizes and concurrency.
#   5. times RUNS rounds of every workload, the tools interleaved within each
#      round, and reports medians:
#        read (cat, dd)  cat F >/dev/null; dd if=F of=/dev/null bs=1M
#                        (+ diodcat F >/dev/null for cat)
#                        a. server warm: before each timed read the local
#                           file is read once (cat F >/dev/null), so diod,
#                           sshd and the local ceiling read from the page
#                           cache, and the FUSE mount being timed is
#                           remounted, so its own page cache is empty: the
#                           9P / SFTP path itself is measured;
#                        b. cold: sync; echo 3 > drop_caches before each
#                           timed read (FUSE mounts remounted too): every tool
#                           reads the disk, through the server for remote ones.
#        write           dd if=/dev/zero of=F bs=1M count=SIZE_MB conv=fsync
#                        (sync before; F removed through the same mount after)
#        randread        fio --rw=randread --bs=4k --size=FIO_MB M
#                        --runtime=FIO_RUNTIME --direct=0 --ioengine=psync
#                        --invalidate=0 --readonly (server warm, mount
#                        remounted, as in a.); IOPS reported
#        create/stat/unlink  the helper creates NFILES 1 KiB files in a new
#                        directory (open O_CREAT|O_EXCL, write, close), then
#                        stats each (lstat), then unlinks each; each phase
#                        timed in the helper with CLOCK_MONOTONIC
#        ls -l           ls -l DIR (NFILES entries), line count checked
#        du -s           du -s TREE
#        find            find TREE -type f | wc -l, count checked
#      the metadata reads (ls, du, find) as in a.: local run first (server
#      dentries, inodes and directory blocks warm), mount remounted.
#   6. prints a table per workload (median, vs sshfs, fraction of local, the
#      runs) and replaces the section
#      "## 9pfuse vs local, sshfs and diodcat (diod over TCP)" of
#      bench/RESULTS.md (other sections are kept).  Targets, for 9pfuse with
#      its default cache=mmap: sequential read >= 50% of local cat and
#      >= 2x sshfs; every metadata workload at least as fast as sshfs.
#   Everything is unmounted, diod and sshd killed and the temp dir removed on
#   exit (trap).
#
# Environment:
#   SIZE_MB      sequential read/write size in MiB (default 1024)
#   NFILES       files for create/stat/unlink and for ls -l (default 10000)
#   TREE         DIRSxFILES for du and find (default 200x100)
#   RUNS         timed rounds, median taken (default 3)
#   FIO_MB       random-read file size in MiB (default 256)
#   FIO_RUNTIME  fio runtime cap in seconds (default 20)
#   COLD         1 (default) also times the cold-cache sequential reads; 0 skips
#   NINEPFUSE    9pfuse to run (default: build/.libs/9pfuse and libp9 copied
#                from the build tree at start, so a rebuild during the run
#                does not change the binary under test)
#   NINEPTRACE   9ptrace that decodes the traced mount's requests (default
#                build/9ptrace)
#   DIOD, DIODCAT, SSHFS, SSHD, FIO  paths (default: from PATH, /usr/sbin)
#   RESULTS      results file (default bench/RESULTS.md); RESULTS=/dev/null skips
#
# Exit status: 0 when every tool succeeded and every check passed, whether
# the targets were met or not (a benchmark is not a test); non-zero if a
# tool failed, a server or a mount did not come up, or a check failed.

set -euo pipefail

export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

SIZE_MB=${SIZE_MB:-1024}
NFILES=${NFILES:-10000}
TREE=${TREE:-200x100}
RUNS=${RUNS:-3}
FIO_MB=${FIO_MB:-256}
FIO_RUNTIME=${FIO_RUNTIME:-20}
COLD=${COLD:-1}
PATH=$PATH:/usr/sbin:/sbin
RESULTS=${RESULTS:-$here/RESULTS.md}
SECTION='## 9pfuse vs local, sshfs and diodcat (diod over TCP)'
SFTP_SERVER=/usr/lib/openssh/sftp-server

die() { echo "fuse.sh: $*" >&2; exit 1; }
note() { echo "fuse.sh: $*" >&2; }

for v in SIZE_MB NFILES RUNS FIO_MB FIO_RUNTIME; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[[ $TREE =~ ^([1-9][0-9]*)x([1-9][0-9]*)$ ]] || die "TREE must be DIRSxFILES, e.g. 200x100"
TDIRS=${BASH_REMATCH[1]}
TFILES=${BASH_REMATCH[2]}
[[ $COLD == 0 || $COLD == 1 ]] || die "COLD must be 0 or 1"
(( EUID == 0 )) || die "must run as root (drop_caches, its own sshd, root login over ssh)"
[[ -w /proc/sys/vm/drop_caches ]] || die "/proc/sys/vm/drop_caches is not writable"

# The exact command line, for RESULTS.md.
cmdline="SIZE_MB=$SIZE_MB NFILES=$NFILES TREE=$TREE RUNS=$RUNS"
[[ $FIO_MB != 256 ]] && cmdline+=" FIO_MB=$FIO_MB"
[[ $FIO_RUNTIME != 20 ]] && cmdline+=" FIO_RUNTIME=$FIO_RUNTIME"
[[ $COLD != 1 ]] && cmdline+=" COLD=$COLD"
cmdline+=" bench/fuse.sh"

# --- packages ------------------------------------------------------------------
need=()
command -v sshfs >/dev/null || need+=(sshfs)
{ command -v sshd >/dev/null && [[ -x $SFTP_SERVER ]]; } || need+=(openssh-server)
command -v fio >/dev/null || need+=(fio)
command -v cc >/dev/null || need+=(gcc)
if (( ${#need[@]} )); then
	echo "installing ${need[*]} (apt-get) ..."
	# policy-rc.d or no init: the package's own sshd is not needed and may not start
	apt-get update -qq || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" ||
		die "apt-get install ${need[*]} failed"
fi
DIOD=${DIOD:-$(command -v diod || true)}
DIODCAT=${DIODCAT:-$(command -v diodcat || true)}
SSHFS=${SSHFS:-$(command -v sshfs || true)}
SSHD=${SSHD:-$(command -v sshd || true)}
FIO=${FIO:-$(command -v fio || true)}
[[ -n $DIOD && -x $DIOD ]] || die "diod not found (apt-get install diod)"
[[ -n $DIODCAT && -x $DIODCAT ]] || die "diodcat not found (apt-get install diod)"
[[ -n $SSHFS && -x $SSHFS ]] || die "sshfs not found"
[[ -n $SSHD && -x $SSHD ]] || die "sshd not found"
[[ -n $FIO && -x $FIO ]] || die "fio not found"
command -v fusermount3 >/dev/null || die "fusermount3 not found (apt-get install fuse3)"
[[ -e /dev/fuse ]] || die "no /dev/fuse"

# --- temp dir --------------------------------------------------------------------
base=${TMPDIR:-/var/tmp}
[[ $base == /* ]] || base=$(cd "$base" && pwd)
need_mb=$(( 2 * SIZE_MB + FIO_MB + (NFILES + TDIRS * TFILES) * 8 / 1024 + 256 ))
avail_mb=$(df -Pm "$base" | awk 'NR==2 {print $4}')
(( avail_mb > need_mb )) || die "need $need_mb MiB free in $base, have $avail_mb"
work=$(mktemp -d "$base/9pfbench.XXXXXX")
export_dir=$work/export
bin=$work/bin
sshdir=$work/ssh
mkdir "$export_dir" "$bin" "$sshdir"
diod_pid=
sshd_pid=
made_run_sshd=
declare -A fpid=()	# mount name -> pid of its 9pfuse/sshfs (run with -f)

cleanup() {
	local t
	set +e
	for t in "${!fpid[@]}"; do
		if mountpoint -q "$work/m.$t" 2>/dev/null; then
			fusermount3 -u "$work/m.$t" 2>/dev/null ||
				{ sleep 1; fusermount3 -u "$work/m.$t" 2>/dev/null; } ||
				fusermount3 -uz "$work/m.$t" 2>/dev/null
		fi
		if [[ -n ${fpid[$t]} ]] && kill -0 "${fpid[$t]}" 2>/dev/null; then
			for _ in 1 2 3 4 5 6 7 8 9 10; do
				kill -0 "${fpid[$t]}" 2>/dev/null || break
				sleep 0.2
			done
			kill "${fpid[$t]}" 2>/dev/null
		fi
		wait "${fpid[$t]}" 2>/dev/null
	done
	for p in "$sshd_pid" "$diod_pid"; do
		if [[ -n $p ]] && kill -0 "$p" 2>/dev/null; then
			kill "$p" 2>/dev/null
			wait "$p" 2>/dev/null
		fi
	done
	[[ -n $made_run_sshd ]] && rmdir /run/sshd 2>/dev/null
	# --one-file-system: never descend into a mount that failed to go away
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the 9pfuse under test -----------------------------------------------------
if [[ -n ${NINEPFUSE:-} ]]; then
	[[ -x $NINEPFUSE ]] || die "NINEPFUSE=$NINEPFUSE is not executable"
	p9fuse=$NINEPFUSE
	p9src=$NINEPFUSE
else
	# Copy the real binary and libp9 out of the build tree, so that someone
	# rebuilding it during the run does not change (or break) what is timed.
	p9fuse=$bin/9pfuse
	p9src=$repo/build/9pfuse
	for try in $(seq 1 60); do
		if [[ -x $repo/build/.libs/9pfuse ]] && compgen -G "$repo/build/lib/.libs/libp9.so*" >/dev/null &&
		   cp "$repo/build/.libs/9pfuse" "$bin/9pfuse" 2>/dev/null &&
		   cp -P "$repo"/build/lib/.libs/libp9.so* "$bin/" 2>/dev/null &&
		   LD_LIBRARY_PATH=$bin "$bin/9pfuse" -h >/dev/null 2>&1; then
			break
		fi
		(( try == 60 )) && die "no working 9pfuse in $repo/build after 5 minutes (build it: cd build && make)"
		note "build/9pfuse missing or not working (being rebuilt?), retrying in 5 s"
		sleep 5
	done
	export LD_LIBRARY_PATH=$bin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
p9sum=$(sha256sum "${p9fuse}" | cut -c1-12)
trace_bin=${NINEPTRACE:-$repo/build/9ptrace}

# --- helper: metadata loops in C ------------------------------------------------
cat > "$bin/mdbench.c" <<'EOF'
/* mdbench: metadata loops for bench/fuse.sh.
 *   mdbench csu DIR N BYTES   mkdir DIR; create N files of BYTES bytes, lstat
 *                             each (size checked), unlink each; rmdir DIR.
 *                             Prints "create S stat S unlink S" (seconds).
 *   mdbench mk DIR D F BYTES  D == 0: F files in DIR; else D dirs of F files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char buf[65536];

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
	fprintf(stderr, "mdbench: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static void
mkfile(const char *p, long bytes)
{
	int fd;

	if ((fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644)) < 0)
		fail("create", p);
	if (bytes > 0 && write(fd, buf, bytes) != bytes)
		fail("write", p);
	if (close(fd) < 0)
		fail("close", p);
}

int
main(int argc, char **argv)
{
	char p[4096];
	struct stat st;
	double t0, t1, t2, t3;
	long i, j, n, d, f, bytes;

	memset(buf, 'x', sizeof buf);
	if (argc == 5 && strcmp(argv[1], "csu") == 0) {
		n = atol(argv[3]);
		bytes = atol(argv[4]);
		if (n <= 0 || bytes < 0 || bytes > (long)sizeof buf)
			return 2;
		if (mkdir(argv[2], 0755) < 0)
			fail("mkdir", argv[2]);
		t0 = now();
		for (i = 0; i < n; i++) {
			snprintf(p, sizeof p, "%s/f%06ld", argv[2], i);
			mkfile(p, bytes);
		}
		t1 = now();
		for (i = 0; i < n; i++) {
			snprintf(p, sizeof p, "%s/f%06ld", argv[2], i);
			if (lstat(p, &st) < 0)
				fail("lstat", p);
			if (st.st_size != bytes || !S_ISREG(st.st_mode)) {
				fprintf(stderr, "mdbench: %s: size %lld, want %ld\n",
				    p, (long long)st.st_size, bytes);
				return 1;
			}
		}
		t2 = now();
		for (i = 0; i < n; i++) {
			snprintf(p, sizeof p, "%s/f%06ld", argv[2], i);
			if (unlink(p) < 0)
				fail("unlink", p);
		}
		t3 = now();
		if (rmdir(argv[2]) < 0)
			fail("rmdir", argv[2]);
		printf("create %.4f stat %.4f unlink %.4f\n", t1 - t0, t2 - t1, t3 - t2);
		return 0;
	}
	if (argc == 6 && strcmp(argv[1], "mk") == 0) {
		d = atol(argv[3]);
		f = atol(argv[4]);
		bytes = atol(argv[5]);
		if (d < 0 || f <= 0 || bytes < 0 || bytes > (long)sizeof buf)
			return 2;
		if (mkdir(argv[2], 0755) < 0)
			fail("mkdir", argv[2]);
		for (i = 0; i < (d ? d : 1); i++) {
			for (j = 0; j < f; j++) {
				if (d)
					snprintf(p, sizeof p, "%s/d%04ld", argv[2], i);
				if (d && j == 0 && mkdir(p, 0755) < 0)
					fail("mkdir", p);
				if (d)
					snprintf(p, sizeof p, "%s/d%04ld/f%05ld", argv[2], i, j);
				else
					snprintf(p, sizeof p, "%s/f%06ld", argv[2], j);
				mkfile(p, bytes);
			}
		}
		return 0;
	}
	fprintf(stderr, "usage: mdbench csu DIR N BYTES | mk DIR D F BYTES\n");
	return 2;
}
EOF
cc -O2 -Wall -o "$bin/mdbench" "$bin/mdbench.c" || die "could not build the metadata helper"
md=$bin/mdbench
SMALL=1024	# bytes per small file

# --- the data --------------------------------------------------------------------
name=data.bin
file=$export_dir/$name
bytes=$((SIZE_MB * 1024 * 1024))
echo "creating the export in $export_dir: $SIZE_MB MiB file, $FIO_MB MiB file, $NFILES files, ${TDIRS}x$TFILES tree ..."
head -c "$bytes" /dev/urandom > "$file"
head -c "$((FIO_MB * 1024 * 1024))" /dev/urandom > "$export_dir/rand.bin"
"$md" mk "$export_dir/lsdir" 0 "$NFILES" "$SMALL"
"$md" mk "$export_dir/tree" "$TDIRS" "$TFILES" "$SMALL"
sync

# --- free ports, diod, sshd ------------------------------------------------------
port_busy() { ss -Htan 2>/dev/null | awk '{print $4}' | grep -q "[:.]$1\$"; }
can_connect() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$(( 20000 + RANDOM % 40000 ))
		if command -v ss >/dev/null; then port_busy "$p" && continue; fi
		can_connect "$p" && continue
		echo "$p"
		return 0
	done
	return 1
}
wait_port() {	# wait_port PORT PID: up to 10 s
	for _ in $(seq 1 100); do
		kill -0 "$2" 2>/dev/null || return 1
		can_connect "$1" && return 0
		sleep 0.1
	done
	return 1
}

port=
for _ in 1 2 3 4 5; do
	p=$(free_port) || break
	"$DIOD" -f -n -l "127.0.0.1:$p" -e "$export_dir" -L "$work/diod.log" &
	diod_pid=$!
	if wait_port "$p" "$diod_pid"; then port=$p; break; fi
	kill "$diod_pid" 2>/dev/null || true
	wait "$diod_pid" 2>/dev/null || true
	diod_pid=
done
if [[ -z $port ]]; then
	cat "$work/diod.log" >&2 2>/dev/null || true
	die "could not start diod on a free port"
fi
echo "diod (pid $diod_pid) exports $export_dir on 127.0.0.1:$port"

ssh-keygen -q -t ed25519 -N '' -C 9pfbench-host -f "$sshdir/host_key" || die "ssh-keygen failed"
ssh-keygen -q -t ed25519 -N '' -C 9pfbench-user -f "$sshdir/id" || die "ssh-keygen failed"
cp "$sshdir/id.pub" "$sshdir/authorized_keys"
if [[ ! -d /run/sshd ]]; then	# sshd's privilege separation directory
	mkdir -m 755 /run/sshd
	made_run_sshd=1
fi
sshport=
for _ in 1 2 3 4 5; do
	p=$(free_port) || break
	cat > "$sshdir/sshd_config" <<EOF
Port $p
ListenAddress 127.0.0.1
HostKey $sshdir/host_key
AuthorizedKeysFile $sshdir/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile none
LogLevel ERROR
Subsystem sftp $SFTP_SERVER
EOF
	"$SSHD" -D -e -f "$sshdir/sshd_config" 2>>"$sshdir/sshd.log" &
	sshd_pid=$!
	if wait_port "$p" "$sshd_pid"; then sshport=$p; break; fi
	kill "$sshd_pid" 2>/dev/null || true
	wait "$sshd_pid" 2>/dev/null || true
	sshd_pid=
done
if [[ -z $sshport ]]; then
	cat "$sshdir/sshd.log" >&2 2>/dev/null || true
	die "could not start sshd on a free port"
fi
sshopts="IdentityFile=$sshdir/id,StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null,BatchMode=yes,LogLevel=ERROR"
sshfair="Ciphers=aes128-gcm@openssh.com,Compression=no"
ssh -F /dev/null -p "$sshport" -o IdentityFile="$sshdir/id" -o StrictHostKeyChecking=no \
	-o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR root@127.0.0.1 true ||
	{ cat "$sshdir/sshd.log" >&2; die "ssh to the temporary sshd failed"; }
echo "sshd (pid $sshd_pid) on 127.0.0.1:$sshport, temporary host key and authorized key in $sshdir"

# --- mounts --------------------------------------------------------------------
tools_fs=(local p9 p9l ssh)
declare -A label=(
	[local]="local folder"
	[p9]="9pfuse (cache=mmap)"
	[p9l]="9pfuse (cache=loose)"
	[ssh]="sshfs"
	[dc]="diodcat"
)
declare -A dir=([local]=$export_dir [p9]=$work/m.p9 [p9l]=$work/m.p9l [ssh]=$work/m.ssh)
mkdir "$work/m.p9" "$work/m.p9l" "$work/m.ssh" "$work/m.tr"
addr=tcp:127.0.0.1:$port

start_mount() {	# start_mount NAME: mounts, waits until mounted; fails if it can't
	local t=$1 m=$work/m.$1 i
	case $t in
	p9)  "$p9fuse" -f -o "aname=$export_dir" "$addr" "$m" 2>>"$work/p9.log" & ;;
	p9l) "$p9fuse" -f -o "aname=$export_dir,cache=loose" "$addr" "$m" 2>>"$work/p9l.log" & ;;
	tr)  "$p9fuse" -f -o "aname=$export_dir,trace=$work/trace" "$addr" "$m" 2>>"$work/tr.log" & ;;
	ssh) "$SSHFS" -f -F /dev/null -p "$sshport" "root@127.0.0.1:$export_dir" "$m" \
		-o "$sshopts,$sshfair" 2>>"$work/ssh.log" & ;;
	esac
	fpid[$t]=$!
	for i in $(seq 1 200); do	# up to 20 s
		mountpoint -q "$m" && return 0
		kill -0 "${fpid[$t]}" 2>/dev/null || break
		sleep 0.1
	done
	note "mount $t at $m failed:"
	tail -5 "$work/$t.log" >&2 2>/dev/null || true
	return 1
}
stop_mount() {	# stop_mount NAME: unmounts, waits for the daemon to exit
	local t=$1 m=$work/m.$1 i
	for i in $(seq 1 50); do
		mountpoint -q "$m" || break
		fusermount3 -u "$m" 2>/dev/null && break
		sleep 0.2
	done
	mountpoint -q "$m" && { note "cannot unmount $m"; return 1; }
	for i in $(seq 1 100); do
		kill -0 "${fpid[$t]}" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "${fpid[$t]}" 2>/dev/null; then
		note "$t (pid ${fpid[$t]}) still running after unmount; killing it"
		kill "${fpid[$t]}" 2>/dev/null || true
	fi
	wait "${fpid[$t]}" 2>/dev/null || true
	fpid[$t]=
}
remount() {	# remount NAME: nothing for local; empties the mount's caches
	[[ $1 == local || $1 == dc ]] && return 0
	stop_mount "$1" || die "unmount of $1 failed"
	start_mount "$1" || die "remount of $1 failed"
}
for t in p9 p9l ssh; do
	start_mount "$t" || die "could not mount ${label[$t]}"
done
echo "mounted: ${dir[p9]} (9pfuse), ${dir[p9l]} (9pfuse cache=loose), ${dir[ssh]} (sshfs)"

# --- checks, untimed; 9P request sizes from a traced 9pfuse -----------------
echo "checking each reader once (untimed, cmp against the file) ..."
for t in p9 p9l ssh; do
	cmp "${dir[$t]}/$name" "$file" || die "${label[$t]}: $name differs from the file"
done
"$DIODCAT" -s "127.0.0.1:$port" -a "$export_dir" "$name" | cmp - "$file" ||
	die "diodcat output differs from the file (or diodcat failed)"
start_mount tr || die "could not mount a traced 9pfuse"
cat "$file" > /dev/null
cmp "$work/m.tr/$name" "$file" || die "traced 9pfuse: $name differs from the file"
stop_mount tr || die "unmount of the traced 9pfuse failed"
# The trace is a pcapng capture (9ptrace(1), TRACE FILES): decoded by
# 9ptrace, a line per message, "TIME #CONN TYPE tag T field value ...".
[[ -x $trace_bin ]] || die "no 9ptrace at $trace_bin to decode the trace"
trace_summary=$("$trace_bin" -r "$work/trace" | awk '
	function field(name,   i) { for (i = 4; i < NF; i++) if ($i == name) return $(i + 1); return "" }
	$3 == "Rversion" && !msize { msize = field("msize") }
	$3 == "Tread" { n++; cnt[field("count")]++; busy[field("tag")] = 1; fl++; if (fl > maxfl) maxfl = fl }
	($3 == "Rread" || $3 == "Rlerror" || $3 == "Rerror") && (field("tag") in busy) { delete busy[field("tag")]; fl-- }
	END {
		printf "msize %d; %d Treads", msize, n
		for (c in cnt) printf "; %d x count %d", cnt[c], c
		printf "; at most %d Treads in flight\n", maxfl
	}')
[[ $trace_summary == "msize 0;"* ]] && die "9ptrace found no Rversion in the trace"
msize=$(awk '{print $2}' <<<"$trace_summary" | tr -d ';')
echo "9pfuse cache=mmap, cat of the file: $trace_summary"
rm -f "$work/trace"

# --- timing machinery -------------------------------------------------------------
declare -A times=()	# "workload tool" -> " t1 t2 ..." (seconds; IOPS for randread)
elapsed=
timeit() {	# timeit CMD...: sets $elapsed; output to $work/op.out; fails if CMD fails
	local s e
	s=$EPOCHREALTIME
	"$@" > "$work/op.out" || return 1
	e=$EPOCHREALTIME
	elapsed=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.4f", e - s }')
}
record() { times["$1 $2"]="${times["$1 $2"]:-} $3"; printf '  round %d  %-10s %-22s %10s\n' "$r" "$1" "${label[$2]}" "$3"; }
fail_op() {
	note "${label[$2]}: $1 failed (round $r)"
	for f in "$work"/*.log "$sshdir/sshd.log"; do
		[[ -s $f ]] && { echo "--- $f" >&2; tail -5 "$f" >&2; }
	done
	exit 1
}
warm_file() { cat "$1" > /dev/null; }
drop_all() { sync; echo 3 > /proc/sys/vm/drop_caches; }

op_cat() { cat "$1/$name" > /dev/null; }
op_dd() { dd if="$1/$name" of=/dev/null bs=1M status=none; }
op_dc() { "$DIODCAT" -s "127.0.0.1:$port" -a "$export_dir" "$name" > /dev/null; }
op_write() { dd if=/dev/zero of="$1/w.bin" bs=1M count="$SIZE_MB" conv=fsync status=none; }
op_ls() { ls -l "$1/lsdir" | wc -l; }
op_du() { du -s "$1/tree"; }
op_find() { find "$1/tree" -type f | wc -l; }

loads=()
mark_load() { loads+=("$1: $(cut -d' ' -f1-3 /proc/loadavg)"); }
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# read: server warm (a) and cold (b)
for mode in warm cold; do
	[[ $mode == cold && $COLD == 0 ]] && continue
	mark_load "read, $mode"
	echo "sequential read ($mode), $RUNS rounds ..."
	for r in $(seq 1 "$RUNS"); do
		for w in cat dd; do
			for t in "${tools_fs[@]}" dc; do
				[[ $t == dc && $w == dd ]] && continue
				remount "$t"
				if [[ $mode == warm ]]; then warm_file "$file"; else drop_all; fi
				if [[ $t == dc ]]; then timeit op_dc || fail_op "diodcat" "$t"
				else timeit "op_$w" "${dir[$t]}" || fail_op "$w" "$t"; fi
				record "$w-$mode" "$t" "$elapsed"
			done
		done
	done
done

mark_load write
echo "sequential write, $RUNS rounds ..."
for r in $(seq 1 "$RUNS"); do
	for t in "${tools_fs[@]}"; do
		sync
		timeit op_write "${dir[$t]}" || fail_op write "$t"
		got=$(stat -c %s "$export_dir/w.bin")
		[[ $got == "$bytes" ]] || die "${label[$t]}: wrote $got bytes, want $bytes"
		rm -f "${dir[$t]}/w.bin"
		[[ -e $export_dir/w.bin ]] && die "${label[$t]}: w.bin still there after rm"
		record write "$t" "$elapsed"
	done
done
sync

mark_load randread
echo "4 KiB random reads (fio), $RUNS rounds ..."
for r in $(seq 1 "$RUNS"); do
	for t in "${tools_fs[@]}"; do
		remount "$t"
		warm_file "$export_dir/rand.bin"
		"$FIO" --name=randread --filename="${dir[$t]}/rand.bin" --rw=randread --bs=4k \
			--size="${FIO_MB}M" --runtime="$FIO_RUNTIME" --direct=0 --ioengine=psync \
			--invalidate=0 --readonly --minimal > "$work/fio.out" 2>"$work/fio.err" ||
			{ cat "$work/fio.err" >&2; fail_op fio "$t"; }
		# terse v3: 5 error, 6 read KiB, 8 read IOPS
		iops=$(awk -F';' 'NR == 1 && $5 == 0 && $6 > 0 { print $8 }' "$work/fio.out")
		[[ -n $iops ]] || { cat "$work/fio.out" "$work/fio.err" >&2; fail_op fio "$t"; }
		record randread "$t" "$iops"
	done
done

mark_load "create/stat/unlink"
echo "create + stat + unlink of $NFILES files, $RUNS rounds ..."
for r in $(seq 1 "$RUNS"); do
	for t in "${tools_fs[@]}"; do
		"$md" csu "${dir[$t]}/csu.$t.$r" "$NFILES" "$SMALL" > "$work/md.out" || fail_op "create/stat/unlink" "$t"
		read -r _ c _ s _ u < "$work/md.out"
		record create "$t" "$c"
		record stat "$t" "$s"
		record unlink "$t" "$u"
		record csu "$t" "$(awk -v c="$c" -v s="$s" -v u="$u" 'BEGIN { printf "%.4f", c + s + u }')"
	done
done

for w in ls du find; do
	mark_load "$w"
	echo "$w, $RUNS rounds ..."
	for r in $(seq 1 "$RUNS"); do
		for t in "${tools_fs[@]}"; do
			remount "$t"
			"op_$w" "$export_dir" > /dev/null	# server side warm
			timeit "op_$w" "${dir[$t]}" || fail_op "$w" "$t"
			case $w in
			ls) want=$((NFILES + 1)) ;;
			find) want=$((TDIRS * TFILES)) ;;
			du) want= ;;
			esac
			got=$(awk '{print $1}' "$work/op.out")
			if [[ -n $want && $got != "$want" ]]; then
				die "${label[$t]}: $w printed $got lines/files, want $want"
			fi
			[[ -n $got ]] || die "${label[$t]}: $w printed nothing"
			record "$w" "$t" "$elapsed"
		done
	done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# --- tables ----------------------------------------------------------------------
median() { tr ' ' '\n' <<<"$*" | grep . | sort -g |
	awk '{v[NR] = $1} END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A med=()
for k in "${!times[@]}"; do med[$k]=$(median ${times[$k]}); done

mb=$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')
# table WORKLOAD KIND TOOLS...: KIND mbs (time -> MB/s), time, iops
table() {
	local w=$1 kind=$2 t
	shift 2
	case $kind in
	mbs)  printf '| tool | MB/s (median of %d) | seconds | vs sshfs | of local | runs (s) |\n|---|---:|---:|---:|---:|---|\n' "$RUNS" ;;
	time) printf '| tool | seconds (median of %d) | vs sshfs | of local | runs (s) |\n|---|---:|---:|---:|---|\n' "$RUNS" ;;
	iops) printf '| tool | IOPS (median of %d) | vs sshfs | of local | runs (IOPS) |\n|---|---:|---:|---:|---|\n' "$RUNS" ;;
	esac
	for t in "$@"; do
		awk -v n="${label[$t]}" -v v="${med["$w $t"]}" -v s="${med["$w ssh"]}" \
		    -v l="${med["$w local"]}" -v kind="$kind" -v mb="$mb" -v runs="${times["$w $t"]# }" 'BEGIN {
			gsub(/ /, ", ", runs)
			if (kind == "iops") { vs = v / s; of = v / l } else { vs = s / v; of = l / v }
			if (kind == "mbs")  printf "| %s | %.0f | %.3f | %.2fx | %.3f | %s |\n", n, mb / v, v, vs, of, runs
			if (kind == "time") printf "| %s | %.3f | %.2fx | %.3f | %s |\n", n, v, vs, of, runs
			if (kind == "iops") printf "| %s | %.0f | %.2fx | %.3f | %s |\n", n, v, vs, of, runs
		}'
	done
}
# ratio A B: med[A] / med[B]
ratio() { awk -v a="${med[$1]}" -v b="${med[$2]}" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v x="$1" -v min="$2" 'BEGIN { print (x >= min) ? "PASS" : "MISS" }'; }

targets=()
check_read() {	# check_read MODE CMD: like for like, cat vs cat, dd vs dd
	local m=$1 w=$2 fl fs ll ls
	fl=$(ratio "$w-$m local" "$w-$m p9"); fs=$(ratio "$w-$m ssh" "$w-$m p9")
	ll=$(ratio "$w-$m local" "$w-$m p9l"); ls=$(ratio "$w-$m ssh" "$w-$m p9l")
	targets+=("- read, $m, \`$w\`: 9pfuse $fl of local \`$w\` — $(verdict "$fl" 0.5); $fs x sshfs — $(verdict "$fs" 2) (cache=loose: $ll of local, $ls x sshfs)")
}
check_read warm cat
check_read warm dd
if [[ $COLD == 1 ]]; then
	check_read cold cat
	check_read cold dd
fi
declare -A wname=([csu]="create + stat + unlink" [ls]="ls -l" [du]="du -s" [find]="find -type f")
for w in csu ls du find; do
	x=$(ratio "$w ssh" "$w p9"); y=$(ratio "$w ssh" "$w p9l")
	targets+=("- ${wname[$w]}: 9pfuse $x x sshfs — $(verdict "$x" 1) (cache=loose: $y x sshfs)")
done
nmiss=$(printf '%s\n' "${targets[@]}" | grep -c 'MISS' || true)
summary="$nmiss of ${#targets[@]} target lines have a MISS for 9pfuse (cache=mmap)"

tables=$(
	echo "### Sequential read, server warm (\`cat F > /dev/null\`), $SIZE_MB MiB"
	echo; table cat-warm mbs local p9 p9l ssh dc; echo
	echo "### Sequential read, server warm (\`dd if=F of=/dev/null bs=1M\`), $SIZE_MB MiB"
	echo; table dd-warm mbs local p9 p9l ssh; echo
	if [[ $COLD == 1 ]]; then
		echo "### Sequential read, cold (drop_caches; from disk) (\`cat F > /dev/null\`), $SIZE_MB MiB"
		echo; table cat-cold mbs local p9 p9l ssh dc; echo
		echo "### Sequential read, cold (drop_caches; from disk) (\`dd if=F of=/dev/null bs=1M\`), $SIZE_MB MiB"
		echo; table dd-cold mbs local p9 p9l ssh; echo
	fi
	echo "### Sequential write (\`dd if=/dev/zero of=F bs=1M count=$SIZE_MB conv=fsync\`)"
	echo; table write mbs local p9 p9l ssh; echo
	echo "### 4 KiB random reads (fio psync, one job, $FIO_MB MiB file, runtime cap $FIO_RUNTIME s)"
	echo; table randread iops local p9 p9l ssh; echo
	echo "### Create + stat + unlink of $NFILES files of $SMALL bytes (sum of the three phases)"
	echo; table csu time local p9 p9l ssh; echo
	for ph in create stat unlink; do
		echo "Phase \`$ph\` alone:"
		echo; table "$ph" time local p9 p9l ssh; echo
	done
	echo "### \`ls -l\` of a $NFILES-entry directory"
	echo; table ls time local p9 p9l ssh; echo
	echo "### \`du -s\` over a $((TDIRS * TFILES))-file tree ($TDIRS dirs x $TFILES files)"
	echo; table du time local p9 p9l ssh; echo
	echo "### \`find . -type f | wc -l\` over the same tree"
	echo; table find time local p9 p9l ssh
)

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
machine="$(nproc) CPUs, ${cpu:-unknown CPU}, $(uname -sr), $(awk '/^MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
diod_ver=$(dpkg-query -W -f '${Version}' diod 2>/dev/null || echo unknown)
sshfs_ver=$("$SSHFS" --version 2>&1 | awk '/SSHFS version/ { print $3 }')
ssh_ver=$(ssh -V 2>&1 | awk '{ print $1 }' | tr -d ,)
fio_ver=$("$FIO" --version)
rev=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ $rev != unknown ]] && ! git -C "$repo" diff --quiet HEAD -- lib src 2>/dev/null; then
	rev+=" + uncommitted changes in lib/ src/"
fi
loadlines=$(printf '  - %s\n' "${loads[@]}")

section=$(cat <<EOF
$SECTION

- date: $(date -u '+%Y-%m-%d %H:%M UTC')
- machine: $machine; load average at start $load_start, at end $load_end;
  at the start of each workload:
$loadlines
  (other work runs on this machine: it shows as spread in the "runs" columns;
  the tools are interleaved within each round and medians are reported)
- command: \`$cmdline\` (as root)
- server: diod $diod_ver on 127.0.0.1 (TCP), \`diod -f -n -l 127.0.0.1:PORT -e EXPORT\`;
  the export is in $base on the local disk; msize negotiated by 9pfuse:
  $msize (9pfuse asks 524288; diod caps at 65536)
- 9pfuse: built from $rev (binary sha256 $p9sum...),
  \`9pfuse -f -o aname=EXPORT tcp:127.0.0.1:PORT MNT\` (default cache=mmap: page
  cache, close-to-open, attr/entry timeouts 0) and the same with
  \`-o aname=EXPORT,cache=loose\` (60 s timeouts, writeback cache).  In an untimed
  \`cat\` of the file through a traced 9pfuse (\`-o trace=FILE\`): $trace_summary
- sshfs $sshfs_ver over $ssh_ver to a private sshd on 127.0.0.1 (temporary config,
  host key and authorized key; sftp-server subsystem): \`sshfs -f -F /dev/null -p PORT
  root@127.0.0.1:EXPORT MNT -o IdentityFile=KEY,StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null,BatchMode=yes,$sshfair\`;
  otherwise sshfs's defaults (one SSH connection, readahead, its 20 s
  attribute/directory cache, FUSE page cache dropped on open).  Added for fairness:
  \`Ciphers=aes128-gcm@openssh.com\` (the cheapest cipher with AES-NI, so
  encryption, which 9P over TCP does not pay, costs sshfs as little as possible)
  and \`Compression=no\` (ssh's default, stated)
- diodcat: \`diodcat -s 127.0.0.1:PORT -a EXPORT data.bin > /dev/null\` (msize 65536,
  one Tread in flight), for sequential read only
- fio $fio_ver: \`fio --name=randread --filename=MNT/rand.bin --rw=randread --bs=4k
  --size=${FIO_MB}M --runtime=$FIO_RUNTIME --direct=0 --ioengine=psync --invalidate=0 --readonly\`
- create/stat/unlink: a C helper compiled by the script (\`mdbench\`, in the
  script): open(O_CREAT|O_EXCL) + write $SMALL bytes + close of each file, then
  lstat of each (size checked), then unlink of each, each phase timed with
  CLOCK_MONOTONIC, in a new directory per round; the ls directory and the tree
  are made locally by the same helper ($SMALL-byte files)
- caches: one machine holds both sides' page caches, so neither side can be
  dropped alone.  "Server warm": before every timed read (sequential, fio,
  ls, du, find) the local file or tree is read once untimed (the local
  ceiling is thus measured warm), and the FUSE mount about to be timed is
  unmounted and mounted again, which empties its own page, attribute and
  dentry caches: this measures the client + loopback TCP/SSH + server path
  with the server reading from memory.  "Cold": \`sync; echo 3 >
  /proc/sys/vm/drop_caches\` (and a remount) before every timed read, so
  every tool, local included, reads the disk.  Writes: \`sync\` before each,
  the file removed through the same mount after.  Create/stat/unlink runs
  without remount (the files are new).
- "vs sshfs" = how many times faster than sshfs (sshfs time / tool time,
  tool IOPS / sshfs IOPS); "of local" = fraction of the local folder's speed.
  Every remote reader's data was compared with \`cmp\` once; ls and find counts
  and written sizes are checked every round.

$tables

Targets, for 9pfuse with its default cache=mmap: sequential read >= 50% of
local cat and >= 2x sshfs; every metadata workload at least as fast as sshfs.
$summary.

$(printf '%s\n' "${targets[@]}")
EOF
)

echo
echo "$tables"
echo
echo "msize: $msize"
echo "Targets:"
printf '%s\n' "${targets[@]}"
echo "$summary"

# --- RESULTS.md: replace only our section ----------------------------------
. "$(dirname "${BASH_SOURCE[0]}")/results.sh"
write_section "$RESULTS" "$SECTION" "$section"
