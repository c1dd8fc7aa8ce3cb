#!/usr/bin/env bash
# scripts/vm/run.sh — owns booting the test guest: QEMU (TCG, q35 with a
# virtual intel-iommu, no network device) on the kernel kernel.sh caches and
# an initramfs from mkinitramfs.sh, one virtio-9p-pci device per --share.
# Streams the serial console to stdout and exits with the status the guest
# printed on its "VM-EXIT <status>" line; 124 if the timeout struck first,
# otherwise QEMU's own status (1 if QEMU ended cleanly without the line).
#
# usage: scripts/vm/run.sh [--timeout SECS] [--share TAG=DIR[:OPTS]]...
#            --initrd FILE [--mem MB] [-- EXTRA-QEMU-ARGS...]
#   OPTS are appended to the -device virtio-9p-pci line, e.g.
#   disable-legacy=on,iommu_platform=on  or  disable-modern=on
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

usage() {
	echo "usage: $0 [--timeout SECS] [--share TAG=DIR[:OPTS]]... --initrd FILE [--mem MB] [-- QEMU-ARGS...]" >&2
	exit 2
}
die() { printf 'run.sh: %s\n' "$*" >&2; exit 2; }

timeout_s=300 mem=1024 initrd='' shares=() extra=()
while (($#)); do
	case $1 in
	--timeout) (($# >= 2)) || usage; timeout_s=$2; shift 2 ;;
	--share) (($# >= 2)) || usage; shares+=("$2"); shift 2 ;;
	--initrd) (($# >= 2)) || usage; initrd=$2; shift 2 ;;
	--mem) (($# >= 2)) || usage; mem=$2; shift 2 ;;
	--) shift; extra=("$@"); break ;;
	*) usage ;;
	esac
done
[[ -n $initrd ]] || usage
[[ -r $initrd ]] || die "cannot read $initrd"
[[ $timeout_s =~ ^[0-9]+$ && $mem =~ ^[0-9]+$ ]] || die "--timeout and --mem take whole numbers"

kdir=$("$here/kernel.sh")

# shellcheck disable=SC2054 # commas separate QEMU suboptions, not elements
args=(
	-accel tcg -cpu max -machine q35,kernel-irqchip=split
	-device intel-iommu,intremap=on,caching-mode=on
	-m "$mem" -smp 2 -nographic -no-reboot -nic none
	-kernel "$kdir/vmlinuz" -initrd "$initrd"
	-append "console=ttyS0 intel_iommu=on quiet panic=-1"
)
n=0
for s in "${shares[@]}"; do
	tag=${s%%=*} rest=${s#*=}
	dir=${rest%%:*} opts=
	[[ $rest == *:* ]] && opts=,${rest#*:}
	[[ $s == *=* && -n $tag && -d $dir ]] || die "--share $s: want TAG=DIR[:OPTS] with an existing DIR"
	args+=(-fsdev "local,path=$dir,security_model=none,id=fs$n"
		-device "virtio-9p-pci,fsdev=fs$n,mount_tag=$tag$opts")
	n=$((n + 1))
done

log=$(mktemp)
trap 'rm -f "$log"' EXIT

set +e
timeout -k 10 "$timeout_s" qemu-system-x86_64 "${args[@]}" "${extra[@]}" </dev/null 2>&1 |
	sed -u 's/\r$//' | tee "$log"
qemu_rc=${PIPESTATUS[0]}
set -e

status=$(grep -a -E '^VM-EXIT [0-9]+$' "$log" | tail -n 1 | cut -d' ' -f2 || true)
if [[ -n $status ]]; then
	exit "$status"
elif ((qemu_rc == 124)); then
	echo "run.sh: guest did not finish within ${timeout_s}s" >&2
	exit 124
fi
echo "run.sh: guest ended without a VM-EXIT line (qemu status $qemu_rc)" >&2
exit $((qemu_rc ? qemu_rc : 1))
