#!/usr/bin/env bash
# scripts/vm/smoke.sh — owns the harness self-check: boots a guest with one
# virtio-9p share, mounts it with the kernel's v9fs, lists it, and passes only
# if the guest sees the file the host wrote (and the host sees the guest's
# answer written back through the share).  Prints the boot and total times.
#
# usage: scripts/vm/smoke.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/share"

token=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
echo "$token" >"$work/share/from-host"
cat >"$work/test.sh" <<EOF
read -r up _ </proc/uptime
echo "smoke: guest up \$up s"
mount -t 9p -o trans=virtio,version=9p2000.L smoke /mnt || exit 10
ls -l /mnt
grep -qx '$token' /mnt/from-host || exit 11
echo "seen $token" >/mnt/from-guest || exit 12
umount /mnt
EOF

"$here/mkinitramfs.sh" "$work/initrd.gz" --init "$work/test.sh"
start=$(date +%s.%N)
rc=0
"$here/run.sh" --timeout 180 --share "smoke=$work/share" --initrd "$work/initrd.gz" || rc=$?
end=$(date +%s.%N)
if ((rc == 0)) && grep -qx "seen $token" "$work/share/from-guest" 2>/dev/null; then
	printf 'smoke: ok (QEMU start to power-off %.1f s)\n' "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')"
	exit 0
fi
echo "smoke: FAILED (guest status $rc)" >&2
exit 1
