#!/usr/bin/env bats
# The virtio-9p transport in a QEMU guest (TCG, q35 + intel-iommu, Debian's
# kernel, busybox initramfs): scripts/vm/virtio-test.sh boots one guest with
# three devices (modern with iommu_platform, modern without it, legacy-only
# as bhyve has it), runs scripts/vm/virtio-guest.sh inside, and checks on
# the host what the guest wrote.  Each check is one "T ok NAME" line.

load helpers

setup_file() {
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86 is not installed"
	export VT=$BATS_FILE_TMPDIR/vt
	"$BATS_TEST_DIRNAME/../../scripts/vm/virtio-test.sh" "$VT" >"$BATS_FILE_TMPDIR/out" 2>"$BATS_FILE_TMPDIR/err" || true
	export OUT=$BATS_FILE_TMPDIR/out
}

check() { # check NAME...: each must have passed in the guest
	for n in "$@"; do
		grep -qx "T ok $n" "$OUT" || {
			grep "$n" "$OUT" || echo "no result for $n (guest console: $VT/console.log)"
			return 1
		}
	done
}

@test "9pctl devices lists every virtio-9p device, its interface, tag, driver and group" {
	check "m1 devices-lists-it" "m2 devices-lists-it" "l1 devices-lists-it" \
	    "m1 usable" "m2 usable" "l1 usable"
	grep -q "^0000:.* modern .* m1 .*virtio-pci" "$OUT"
	grep -q "^0000:.* legacy .* l1 .*virtio-pci" "$OUT"
}

@test "modern + iommu_platform (translated IOVAs): version, ls, get, put, pci: address" {
	check "m1 version" "m1 ls" "m1 get" "m1 put" "m1 put-seen-on-host" "m1 pci-address"
}

@test "modern without iommu_platform (IOVA = physical): version, ls, get, put, pci: address" {
	check "m2 version" "m2 ls" "m2 get" "m2 put" "m2 put-seen-on-host" "m2 pci-address"
}

@test "legacy only, as bhyve (IOVA = physical, I/O BAR): version, ls, get, put, pci: address" {
	check "l1 version" "l1 ls" "l1 get" "l1 put" "l1 put-seen-on-host" "l1 pci-address"
}

@test "9pfuse TAG /mnt on every device kind, byte-exact both ways; -o poll too" {
	check "m1 9pfuse" "m2 9pfuse" "l1 9pfuse" "m1 poll-mode" "m2 poll-mode" \
	    "l1 poll-mode" "m1 fuse-write-seen-on-host" "m2 fuse-write-seen-on-host" \
	    "l1 fuse-write-seen-on-host"
}

@test "every device goes back to its driver, and the kernel's 9p can mount it again" {
	check "m1 driver-restored" "m2 driver-restored" "l1 driver-restored" \
	    "m1 kernel-mounts-after" "m2 kernel-mounts-after" "l1 kernel-mounts-after"
}

@test "a trace file over virtio (9pctl -t, msize 1 MiB) decodes with 9ptrace: every byte of the file in its Rreads" {
	check "trace-over-virtio"
}

@test "clear errors: no such tag, held by the kernel's 9p, not root" {
	check "no-such-tag" "in-use-by-kernel" "devices-says-why" "not-root"
}

@test "an fstab line: m2 /mnt fuse.9pfuse trans=virtio,msize=512000 0 0 mounts through mount(8)" {
	check "fstab-line"
}

@test "msize above Linux's 512000; a crashed user's device is recovered; no vfio-pci is a clear error" {
	check "msize-above-512000" "crash-left-on-vfio" "crash-recovered" \
	    "crash-restored" "no-vfio-pci"
}

@test "a host that resets the device (QEMU, on a malformed request): a clear error, no hang, the device given back" {
	check "reset-9pctl" "reset-9pctl-restored" "reset-9pfuse" "reset-9pfuse-restored" \
	    "m2 kernel-mounts-after"
}

@test "a guest without an IOMMU: devices, 9pctl and 9pfuse say what to do; the device stays with its driver" {
	check "noiommu-devices-says-why" "noiommu-9pctl" "noiommu-9pfuse" \
	    "noiommu-driver-kept" "noiommu-kernel-mounts"
}

@test "VFIO's no-IOMMU mode (a bhyve-like guest): off, the switch is named; on, every device kind is driven with physical addresses, byte-exact both ways" {
	check "noiommu-off-says-how" "noiommu poll-mode" "noiommu tainted"
	for tag in m1 m2 l1; do
		check "noiommu $tag usable" "noiommu $tag get" "noiommu $tag put" \
		    "noiommu $tag 9pfuse" "noiommu $tag driver-restored" \
		    "noiommu $tag seen-on-host"
	done
}
