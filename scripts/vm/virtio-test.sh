#!/usr/bin/env bash
# scripts/vm/virtio-test.sh - the virtio transport under test: builds
# 9ptools for the guest (libp9 linked in statically), boots a QEMU guest
# (TCG, q35 + intel-iommu) with three virtio-9p devices, each exporting
# its own folder:
#   m1  modern, iommu_platform=on, disable-legacy=on  (translated IOVAs)
#   m2  modern, disable-legacy=on                     (IOVA = physical)
#   l1  legacy only, disable-modern=on (like bhyve)   (IOVA = physical)
# and runs scripts/vm/virtio-guest.sh inside, then boots it again without
# the IOMMU for the no-IOMMU checks: once with Debian's VFIO modules (no
# no-IOMMU mode), once with them rebuilt with it (vfio-noiommu.sh).
# Prints the guest's "T ..." lines, then checks on the host side what the
# guest wrote (as "T ..." lines too).  Usage: scripts/vm/virtio-test.sh [OUTDIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${P9_VM_BUILD:-build-vm}
"$top/scripts/build.sh" "$build" --enable-werror --disable-shared --enable-fault-injection >&2

work=${1:-$(mktemp -d)}
mkdir -p "$work"
for tag in m1 m2 l1; do
	rm -rf "${work:?}/$tag"
	mkdir -p "$work/$tag"
	head -c 4000000 /dev/urandom >"$work/$tag/from-host.bin"
	mkdir -p "$work/shares"
	sha256sum <"$work/$tag/from-host.bin" >"$work/shares/$tag.sha256"
done

# the binaries go to /usr/local/bin (their host paths may be under /tmp,
# which the guest's init covers with a tmpfs); --bin brings their libraries
{ echo "PATH=/usr/local/bin:\$PATH"; cat "$top/scripts/vm/virtio-guest.sh"; } >"$work/guest.sh"
"$top/scripts/vm/mkinitramfs.sh" "$work/initrd.gz" \
	--bin "$top/$build/9pctl" --bin "$top/$build/9pfuse" --bin /usr/bin/setpriv \
	--bin "$top/$build/9ptrace" \
	--file "$top/$build/9pctl:/usr/local/bin/9pctl" \
	--file "$top/$build/9pfuse:/usr/local/bin/9pfuse" \
	--file "$top/$build/9ptrace:/usr/local/bin/9ptrace" \
	--bin /usr/bin/mount --bin /usr/bin/umount --bin /sbin/mount.fuse3 \
	--file "$(gcc -print-file-name=libgcc_s.so.1):/lib/x86_64-linux-gnu/libgcc_s.so.1" \
	--file "$work/shares/m1.sha256:/etc/shares/m1.sha256" \
	--file "$work/shares/m2.sha256:/etc/shares/m2.sha256" \
	--file "$work/shares/l1.sha256:/etc/shares/l1.sha256" \
	--init "$work/guest.sh" >&2

"$top/scripts/vm/run.sh" --timeout 400 --mem 1024 --initrd "$work/initrd.gz" \
	--share "m1=$work/m1:disable-legacy=on,iommu_platform=on" \
	--share "m2=$work/m2:disable-legacy=on" \
	--share "l1=$work/l1:disable-modern=on" | tee "$work/console.log" |
	grep -E '^T |^guest:|^PCI|^0000' || true

# the same guest booted without an IOMMU: the no-IOMMU checks of
# virtio-guest.sh (it looks at the kernel command line)
"$top/scripts/vm/run.sh" --timeout 120 --mem 512 --no-iommu --initrd "$work/initrd.gz" \
	--share "m2=$work/m2:disable-legacy=on" | tee "$work/console-noiommu.log" |
	grep -E '^T ' || true

# and a third time, without an IOMMU but with VFIO rebuilt with its no-IOMMU
# mode (scripts/vm/vfio-noiommu.sh: Debian's modules lack it), all three
# devices: the bhyve case, and the modern ones driven the same way
if noiommu=$("$top/scripts/vm/vfio-noiommu.sh" 2>"$work/vfio-noiommu.log"); then
	"$top/scripts/vm/mkinitramfs.sh" "$work/initrd-noiommu.gz" \
		--bin "$top/$build/9pctl" --bin "$top/$build/9pfuse" \
		--file "$top/$build/9pctl:/usr/local/bin/9pctl" \
		--file "$top/$build/9pfuse:/usr/local/bin/9pfuse" \
		--file "$(gcc -print-file-name=libgcc_s.so.1):/lib/x86_64-linux-gnu/libgcc_s.so.1" \
		--file "$work/shares/m1.sha256:/etc/shares/m1.sha256" \
		--file "$work/shares/m2.sha256:/etc/shares/m2.sha256" \
		--file "$work/shares/l1.sha256:/etc/shares/l1.sha256" \
		--module-dir "$noiommu" --init "$work/guest.sh" >&2
	"$top/scripts/vm/run.sh" --timeout 300 --mem 1024 --no-iommu --initrd "$work/initrd-noiommu.gz" \
		--share "m1=$work/m1:disable-legacy=on,iommu_platform=on" \
		--share "m2=$work/m2:disable-legacy=on" \
		--share "l1=$work/l1:disable-modern=on" | tee "$work/console-vfio-noiommu.log" |
		grep -E '^T ' || true
else
	echo "T not ok noiommu-modules: $(tail -3 "$work/vfio-noiommu.log" | tr '\n' ' ')"
fi

# what the guest wrote must be on the host, byte for byte
for tag in m1 m2 l1; do
	if [ -s "$work/$tag/from-guest.bin" ] &&
		[ "$(wc -c <"$work/$tag/from-guest.bin")" = 3000000 ]; then
		echo "T ok $tag put-seen-on-host"
	else
		echo "T not ok $tag put-seen-on-host"
	fi
	if [ "$(cat "$work/$tag/from-fuse.txt" 2>/dev/null)" = written-by-9pfuse ] &&
		[ -d "$work/$tag/dir/sub" ]; then
		echo "T ok $tag fuse-write-seen-on-host"
	else
		echo "T not ok $tag fuse-write-seen-on-host"
	fi
	# the guest's 9pfuse wrote the sha256 of what its 9pctl put
	if [ -s "$work/$tag/from-guest-noiommu.bin" ] &&
		[ "$(sha256sum <"$work/$tag/from-guest-noiommu.bin" | cut -d' ' -f1)" = \
			"$(cat "$work/$tag/from-fuse-noiommu.txt" 2>/dev/null)" ]; then
		echo "T ok noiommu $tag seen-on-host"
	else
		echo "T not ok noiommu $tag seen-on-host"
	fi
done
