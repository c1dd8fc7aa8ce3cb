#!/usr/bin/env bash
# scripts/vm/guest-suites.sh - owns running the real bats suites over the
# virtio-9p transport inside one QEMU guest (TCG, q35 + intel-iommu, see
# run.sh), for three kinds of device:
#   m1  modern, iommu_platform=on, disable-legacy=on  (translated IOVAs)
#   m2  modern, disable-legacy=on                     (IOVA = physical)
#   l1  legacy only, disable-modern=on (like bhyve)   (IOVA = physical)
# Inside, scripts/vm/guest-suites-guest.sh runs, per kind,
# P9_VIRTIO=KIND bats --tap SUITE (tests/bats/helpers.bash has the virtio
# mode: start_diod hands out a host folder, mount_9pfuse a device of it).
# What runs where (PLAN below): the 9pctl and 9pfuse-posix suites on m1,
# the most complex path, but for four slow tests (see below); subsets of
# both on m2 and l1, to keep the guest within ~7 minutes under TCG.
#
# Each kind has two host folders ("slots"): slot 1 exported through three
# devices (9pfuse-posix mounts it three times at once: MNT, PMNT and one
# more in some tests; one device serves one process) and slot 2 through
# one; each slot also through a twin (modern, no iommu_platform) that the
# guest mounts with its own v9fs where the suite looks at the export.
#
# Prints one TAP line per result, numbered here: every guest test as
# "ok N KIND: SUITE: NAME" (skips keep bats' "# skip REASON"), the host's
# file read byte-exact in the guest, the guest's files checked byte-exact
# on the host, and each device back on its driver at the end; then "1..N".
# A guest that does not boot or finish, or a suite that reports fewer
# tests than it planned, is a "not ok" line, never silence.  Exit status
# 0 if all passed, 1 if something failed, 2 if the run could not be set up.
#
# usage: scripts/vm/guest-suites.sh [WORKDIR]   (console: WORKDIR/console.log)
#   GS_PLAN="KIND SUITE [BATS-FILTER]..." (lines) runs those instead of PLAN,
#   e.g. GS_PLAN='m1 9pfuse-posix ^link' to look into one test
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${P9_VM_BUILD:-build-vm}
work=${1:-$(mktemp -d)}
mkdir -p "$work"
work=$(cd "$work" && pwd)

# Measured under TCG (2 cores): 9pctl takes ~90 s a kind, 9pfuse-posix
# ~15 min, of which four tests take ~8 min: the 10000-entry readdir
# (~270 s), fsx (~135 s), four processes counting under locks (~50 s),
# inode reuse (~25 s).  Those four skip themselves over virtio (they run
# against diod on the host); the rest of both suites runs on m1.  m2 and
# l1 run the 9pctl and 9pfuse-posix tests of the data path, names,
# attributes and the second server (SUBSET_*, bats -f regexes).
SUBSET_CTL='^(version|ls -l|cat |get to stdout|put into|mkdir, mkdir -p|errors name|16 threads)'
SUBSET_POSIX='^(lookup|setattr: truncate|read and write|rename within|link:|statfs|unix socket: create)'
PLAN=${GS_PLAN:-"m1 9pctl
m1 9pfuse-posix
m2 9pctl $SUBSET_CTL
m2 9pfuse-posix $SUBSET_POSIX
l1 9pctl $SUBSET_CTL
l1 9pfuse-posix $SUBSET_POSIX"}
# shellcheck disable=SC2054 # commas separate QEMU suboptions
declare -A OPTS=([m1]=disable-legacy=on,iommu_platform=on [m2]=disable-legacy=on
	[l1]=disable-modern=on)
KINDS=(m1 m2 l1)

n=0 failed=0
tap() { # tap ok|fail DESC (bats -T's " in Nms" goes to WORKDIR/timings)
	n=$((n + 1))
	local d=$2 re=' in ([0-9]+)ms( # skip.*)?$'
	if [[ $d =~ $re ]]; then
		d=${d%"${BASH_REMATCH[0]}"}${BASH_REMATCH[2]}
		printf '%8d ms  %s\n' "${BASH_REMATCH[1]}" "$d" >>"$work/timings"
		set -- "$1" "$d"
	fi
	if [ "$1" = ok ]; then
		echo "ok $n $2"
	else
		failed=1
		echo "not ok $n $2"
	fi
}

if ! "$top/scripts/build.sh" "$build" --enable-werror --disable-shared --enable-fault-injection >&2; then
	tap fail "guest: build $build"
	echo "1..$n"
	exit 1
fi
B=$top/$build

# ---- the host folders, the devices, the guest's configuration ----------------
mkdir -p "$work/etc/gs"
: >"$work/etc/9p-virtio.conf"
shares=()
for k in "${KINDS[@]}"; do
	rm -rf "${work:?}/$k"
	mkdir -p "$work/$k/s1" "$work/$k/s2"
	head -c 4000000 /dev/urandom >"$work/$k/s1/from-host.bin"
	sha256sum <"$work/$k/s1/from-host.bin" >"$work/etc/gs/$k.sha256"
	# KIND SLOT TWIN TAG...
	echo "$k 1 ${k}t1 ${k}a ${k}b ${k}c" >>"$work/etc/9p-virtio.conf"
	echo "$k 2 ${k}t2 ${k}d" >>"$work/etc/9p-virtio.conf"
	for t in a b c; do shares+=(--share "$k$t=$work/$k/s1:${OPTS[$k]}"); done
	shares+=(--share "${k}d=$work/$k/s2:${OPTS[$k]}")
	shares+=(--share "${k}t1=$work/$k/s1:disable-legacy=on")
	shares+=(--share "${k}t2=$work/$k/s2:disable-legacy=on")
done
printf '%s\n' "$PLAN" >"$work/etc/guest-suites.plan"
# the host's clock, for the guest's (see guest-suites-guest.sh)
mkdir -p "$work/clock"
shares+=(--share "clk=$work/clock:disable-legacy=on")

# ---- the initramfs -----------------------------------------------------------
files=()
# what the suites run: bash and bats, GNU coreutils (stat -c, ls
# --time-style, touch -d with nanoseconds, df --output: busybox differs),
# diff and cmp, find, util-linux's flock/setpriv/mountpoint, fusermount3,
# setfattr, and python3 with just the modules 9pfuse-posix imports
bins=(/usr/bin/bash /usr/bin/diff /usr/bin/cmp /usr/bin/find /usr/bin/xargs
	/usr/bin/flock /usr/bin/setpriv /usr/bin/mountpoint /usr/bin/fusermount3
	/usr/bin/setfattr /usr/bin/getfattr /usr/bin/python3.11 /usr/bin/mount
	/usr/bin/umount)
while read -r f; do
	[[ -f /usr/bin/${f##*/} && -x /usr/bin/${f##*/} ]] && bins+=("/usr/bin/${f##*/}")
done < <(dpkg -L coreutils | grep -E '^(/usr)?/bin/')
for f in /usr/bin/bats /usr/lib/bats-core /usr/libexec/bats-core; do
	files+=(--file "$f:$f")
done
# the modules python3 loads for 9pfuse-posix's helpers, and their libraries
# (lib-dynload's are not executables, so not --bin)
while read -r f; do
	files+=(--file "$f:$f")
	case $f in
	*.so) while read -r lib; do files+=(--file "$lib:$lib"); done < <(
		ldd "$f" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }') ;;
	esac
done < <(/usr/bin/python3.11 -S -c '
import ctypes, errno, fcntl, mmap, os, signal, stat, struct, sys, time
import encodings.utf_8, encodings.ascii, encodings.latin_1, encodings.aliases
import site, sitecustomize, _sitebuiltins
for m in list(sys.modules.values()):
    f = getattr(m, "__file__", None)
    if f and f.startswith("/usr/lib/python3"):
        print(f)' | sort -u)
# the suites and what they run, where helpers.bash looks (P9_BUILD)
files+=(--file "$top/tests/bats/helpers.bash:/opt/9ptools/tests/bats/helpers.bash")
for s in 9pctl 9pfuse-posix; do
	files+=(--file "$top/tests/bats/$s.bats:/opt/9ptools/tests/bats/$s.bats")
done
for b in 9pctl 9pfuse 9ptrace tests/stress/p9stress tests/fsx/fsx; do
	bins+=("$B/$b")
	files+=(--file "$B/$b:/opt/9ptools/build/$b")
done
# as in virtio-test.sh: the binaries on PATH too, /usr/local/bin (their
# host paths may be under /tmp, which the guest covers with a tmpfs)
for b in 9pctl 9pfuse; do files+=(--file "$B/$b:/usr/local/bin/$b"); done
files+=(--file "$work/etc/9p-virtio.conf:/etc/9p-virtio.conf"
	--file "$work/etc/guest-suites.plan:/etc/guest-suites.plan"
	--file "$work/etc/gs:/etc/gs"
	--file "$(gcc -print-file-name=libgcc_s.so.1):/lib/x86_64-linux-gnu/libgcc_s.so.1")
binargs=()
for b in "${bins[@]}"; do binargs+=(--bin "$b"); done
if ! "$top/scripts/vm/mkinitramfs.sh" "$work/initrd.gz" "${binargs[@]}" "${files[@]}" \
	--init "$top/scripts/vm/guest-suites-guest.sh" >&2; then
	tap fail "guest: build the initramfs"
	echo "1..$n"
	exit 1
fi

# ---- the run -----------------------------------------------------------------
: >"$work/timings"
start=$(date +%s)
set +e
"$top/scripts/vm/run.sh" --timeout "${GS_TIMEOUT:-900}" --mem 2048 \
	--initrd "$work/initrd.gz" "${shares[@]}" >"$work/console.log" 2>&1
rc=$?
set -e
echo "# guest: $(($(date +%s) - start)) s, run.sh status $rc (console: $work/console.log)"

declare -A plan=() seen=()
while IFS= read -r line; do
	case $line in
	"GS ok "*) d=${line#GS ok }; tap ok "$d" ;;
	"GS not ok "*) d=${line#GS not ok }; tap fail "$d" ;;
	"GS plan "*) d=${line#GS plan }; plan[${d% *}]=${d##* }; continue ;;
	"GS sha "*)
		read -r _ _ k slot f sum <<<"$line"
		got=$(sha256sum <"$work/$k/s$slot/$f" 2>/dev/null | cut -d' ' -f1)
		if [ -n "$got" ] && [ "$got" = "$sum" ]; then
			tap ok "$k: $f, written in the guest, byte-exact on the host"
		else
			tap fail "$k: $f, written in the guest, byte-exact on the host"
		fi
		continue ;;
	"GS # "*) echo "${line#GS }"; continue ;;
	*) continue ;;
	esac
	# count results per "KIND: SUITE: " (bats names never hold ": " here)
	case $d in
	*": "*": "*) rest=${d#*: }; key="${d%%: *}: ${rest%%: *}:"
		seen[$key]=$((${seen[$key]:-0} + 1)) ;;
	esac
done <"$work/console.log"
for key in "${!plan[@]}"; do
	if [ "${seen[$key]:-0}" != "${plan[$key]}" ]; then
		tap fail "$key reported ${seen[$key]:-0} of the ${plan[$key]} tests it planned (suite killed or hung?)"
	fi
done
if ! grep -qx 'GS done' "$work/console.log"; then
	tap fail "guest: booted and ran to the end (run.sh status $rc; see $work/console.log)"
elif [ "$rc" != 0 ]; then
	tap fail "guest: exit status 0 (run.sh status $rc)"
fi
# a kind whose suites never started is missing, not passing
while read -r k s _; do
	[ -n "${plan["$k: $s:"]:-}" ] || tap fail "$k: $s: never ran (no plan line from bats)"
done <<<"$PLAN"
echo "1..$n"
exit "$failed"
