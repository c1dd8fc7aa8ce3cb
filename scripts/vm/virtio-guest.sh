# virtio-guest.sh - runs inside the test guest (busybox sh, as /init's
# script): the virtio transport's checks against the guest's virtio-9p
# devices, one "T ok NAME" / "T not ok NAME: WHY" line per check, read by
# tests/bats/virtio.bats.  The host exported one folder per tag (see
# scripts/vm/virtio-test.sh) holding from-host.bin and its sha256.

t() { # t NAME COMMAND...: run a check
	name=$1
	shift
	if out=$("$@" 2>&1); then
		echo "T ok $name"
	else
		echo "T not ok $name: $(echo "$out" | tail -3 | tr '\n' ' ')"
	fi
}

bdf_of() { # the PCI function of a tag, from 9pctl devices
	9pctl devices | awk -v t="$1" '$3 == t { print $1 }'
}

# a 9pfuse daemon gives its device back as it exits, after the umount
wait_fuse_gone() {
	for i in $(seq 100); do pidof 9pfuse >/dev/null || return 0; sleep 0.1; done
}

driver_of() {
	d=$(readlink "/sys/bus/pci/devices/$1/driver")
	echo "${d##*/}"
}

echo 64 >/proc/sys/vm/nr_hugepages
mkdir -p /mnt/fuse /mnt/kernel

# virtio-test.sh's second and third guests, booted without an IOMMU (as
# a bhyve guest is; run.sh --no-iommu).  Debian's own VFIO has no no-IOMMU
# mode: the device cannot be used, and every way in says what to do.
noiommu_param=/sys/module/vfio/parameters/enable_unsafe_noiommu_mode
if ! grep -q intel_iommu=on /proc/cmdline && [ ! -e $noiommu_param ]; then
	echo	# the console's escape sequences end on this line, not on a T line
	why="no IOMMU group: boot with intel_iommu=on (or amd_iommu=on), or enable VFIO's no-IOMMU mode"
	t "noiommu-devices-says-why" sh -c "9pctl devices | tee /dev/stderr | grep ' m2 ' | grep -F \"no: $why\""
	t "noiommu-9pctl" sh -c "! 9pctl -a virtio:m2 version 2>/tmp/e; cat /tmp/e; grep -qF \"(m2): $why\" /tmp/e"
	t "noiommu-9pfuse" sh -c "! 9pfuse m2 /mnt/fuse 2>/tmp/e; cat /tmp/e; grep -qF \"$why\" /tmp/e &&
	    ! grep -q ' /mnt/fuse ' /proc/mounts"
	t "noiommu-driver-kept" test "$(driver_of "$(bdf_of m2)")" = virtio-pci
	t "noiommu-kernel-mounts" sh -c "mount -t 9p -o trans=virtio,version=9p2000.L m2 /mnt/kernel &&
	    ls /mnt/kernel | grep -q from-host.bin; r=\$?; umount /mnt/kernel; exit \$r"
	exit 0
fi
# The third: VFIO rebuilt with CONFIG_VFIO_NOIOMMU (scripts/vm/vfio-noiommu.sh).
# Off, the mode is named with the switch that turns it on; on, every kind
# of device is driven with physical addresses (the device translates
# nothing, iommu_platform or not), through a noiommu-N group.
if ! grep -q intel_iommu=on /proc/cmdline; then
	echo
	off="no IOMMU group and VFIO's no-IOMMU mode is off (echo Y > $noiommu_param)"
	t "noiommu-off-says-how" sh -c "9pctl devices | tee /dev/stderr | grep ' m2 ' | grep -qF \"no: $off\" &&
	    ! 9pctl -a virtio:m2 version 2>/tmp/e; cat /tmp/e; grep -qF \"(m2): $off\" /tmp/e"
	echo Y >$noiommu_param
	for tag in m1 m2 l1; do
		bdf=$(bdf_of $tag)
		want=$(cut -d' ' -f1 /etc/shares/$tag.sha256)
		t "noiommu $tag usable" sh -c "9pctl devices | grep '^$bdf .* - *yes\$'"
		t "noiommu $tag get" sh -c "9pctl -a virtio:$tag get /from-host.bin /tmp/got &&
		    [ \"\$(sha256sum </tmp/got | cut -d' ' -f1)\" = $want ]"
		head -c 3000000 /dev/urandom >/tmp/up
		t "noiommu $tag put" 9pctl -a virtio:$tag put /tmp/up /from-guest-noiommu.bin
		# mounted: the device is on vfio-pci, in a noiommu-N group
		t "noiommu $tag 9pfuse" sh -c "9pfuse $tag /mnt/fuse &&
		    9pctl devices | grep '^$bdf .* vfio-pci *noiommu-[0-9]* ' &&
		    ls /dev/vfio | grep -q '^noiommu-[0-9]' &&
		    [ \"\$(sha256sum </mnt/fuse/from-host.bin | cut -d' ' -f1)\" = $want ] &&
		    cmp /tmp/up /mnt/fuse/from-guest-noiommu.bin &&
		    sha256sum </tmp/up | cut -d' ' -f1 >/mnt/fuse/from-fuse-noiommu.txt; r=\$?;
		    umount /mnt/fuse; exit \$r"
		wait_fuse_gone
		t "noiommu $tag driver-restored" test "$(driver_of "$bdf")" = virtio-pci
	done
	t "noiommu poll-mode" sh -c "9pfuse -o poll l1 /mnt/fuse &&
	    [ \"\$(sha256sum </mnt/fuse/from-host.bin | cut -d' ' -f1)\" = $(cut -d' ' -f1 /etc/shares/l1.sha256) ];
	    r=\$?; umount /mnt/fuse; exit \$r"
	wait_fuse_gone
	t "noiommu tainted" sh -c "dmesg | grep -i 'noiommu\\|no-IOMMU' | tail -3; dmesg | grep -qi 'Adding kernel taint for vfio-noiommu'"
	exit 0
fi
echo "guest: $(9pctl devices | wc -l) lines of 9pctl devices:"
9pctl devices

# the kernel's own client holds m1 for a moment
mount -t 9p -o trans=virtio,version=9p2000.L m1 /mnt/kernel
t "in-use-by-kernel" sh -c "! 9pctl -a virtio:m1 version 2>/tmp/e; grep -q \"mounted by the kernel's 9p\" /tmp/e && cat /tmp/e"
t "devices-says-why" sh -c "9pctl devices | grep \"m1 .*no: mounted by the kernel's 9p\""
umount /mnt/kernel

for tag in m1 m2 l1; do
	bdf=$(bdf_of $tag)
	before=$(driver_of "$bdf")
	want=$(cut -d' ' -f1 /etc/shares/$tag.sha256)
	t "$tag devices-lists-it" test -n "$bdf"
	t "$tag usable" sh -c "9pctl devices | grep '^$bdf .* yes'"
	t "$tag version" sh -c "9pctl -a virtio:$tag version | grep '^9P2000.L msize'"
	t "$tag ls" sh -c "9pctl -a virtio:$tag ls / | grep -x from-host.bin"
	t "$tag get" sh -c "9pctl -a virtio:$tag get /from-host.bin /tmp/got &&
	    [ \"\$(sha256sum </tmp/got | cut -d' ' -f1)\" = $want ]"
	head -c 3000000 /dev/urandom >/tmp/up
	sha256sum </tmp/up | cut -d' ' -f1 >/tmp/up.sha
	t "$tag put" 9pctl -a virtio:$tag put /tmp/up /from-guest.bin
	cp /tmp/up.sha /tmp/up-$tag.sha
	t "$tag pci-address" sh -c "9pctl -a pci:$bdf version | grep -q 9P2000.L"
	t "$tag poll-mode" sh -c "9pfuse -o poll virtio:$tag /mnt/fuse &&
	    cat /mnt/fuse/from-host.bin | sha256sum | grep -q $want; r=\$?;
	    umount /mnt/fuse; exit \$r"
	wait_fuse_gone
	t "$tag 9pfuse" sh -c "9pfuse $tag /mnt/fuse && ls -l /mnt/fuse &&
	    [ \"\$(sha256sum </mnt/fuse/from-host.bin | cut -d' ' -f1)\" = $want ] &&
	    echo written-by-9pfuse >/mnt/fuse/from-fuse.txt &&
	    mkdir -p /mnt/fuse/dir/sub && umount /mnt/fuse"
	wait_fuse_gone
	after=$(driver_of "$bdf")
	t "$tag driver-restored" sh -c "echo 'before $before after $after';
	    test -n '$before' -a '$after' = '$before'"
done

# trace files over virtio: 9ptrace reads them like a capture; messages
# above 65000 bytes (msize 1 MiB) span several TCP segments of the file
t "trace-over-virtio" sh -c "9pctl -m 1048576 -t /tmp/v.pcapng -a virtio:m2 get /from-host.bin /tmp/got2 &&
    9ptrace -r /tmp/v.pcapng >/tmp/v.txt && grep -q ' Rversion tag 65535 msize 1048576 version 9P2000.L' /tmp/v.txt &&
    grep -q ' Tread tag [0-9]* fid [0-9]*</from-host.bin> offset 0 count ' /tmp/v.txt &&
    9ptrace -s -r /tmp/v.pcapng >/tmp/v.sum && cat /tmp/v.sum && grep -q ', 0 malformed, ' /tmp/v.sum &&
    [ \"\$(9ptrace -j -e type=Rread -r /tmp/v.pcapng | sed 's/.*\"count\":\([0-9]*\).*/\1/' | awk '{ s += \$1 } END { print s }')\" = 4000000 ]"

# errors
t "no-such-tag" sh -c "! 9pctl -a virtio:nope version 2>/tmp/e; grep -q 'no virtio-9p device with tag nope (found: ' /tmp/e && cat /tmp/e"
t "not-root" sh -c "! /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups 9pctl -a virtio:m2 version >/tmp/e 2>&1; cat /tmp/e; grep -q 'needs root' /tmp/e"
# an fstab line carried over from v9fs: mount(8) -> mount.fuse3 -> 9pfuse
ln -sf "$(command -v 9pfuse)" /usr/bin/9pfuse
ln -sf /sbin/mount.fuse3 /sbin/mount.fuse
echo "m2 /mnt/fuse fuse.9pfuse trans=virtio,msize=512000 0 0" >/etc/fstab.9p
t "fstab-line" sh -c "/usr/bin/mount -T /etc/fstab.9p /mnt/fuse &&
    grep -q ' /mnt/fuse fuse.9pfuse ' /proc/mounts &&
    [ \"\$(sha256sum </mnt/fuse/from-host.bin | cut -d' ' -f1)\" = $(cut -d' ' -f1 /etc/shares/m2.sha256) ];
    r=\$?; /usr/bin/umount /mnt/fuse; exit \$r"
wait_fuse_gone

# more than Linux's 512000 where the host allows it
t "msize-above-512000" sh -c "9pctl -m 2097152 -a virtio:m1 version | tee /dev/stderr | grep -q 'msize 2097152'"

# a 9pfuse killed while it holds the device: the next run takes it over
# (the device is still on vfio-pci) and gives it back afterwards
bdf=$(bdf_of l1)
9pfuse l1 /mnt/fuse && kill -9 "$(pidof 9pfuse)"
sleep 0.5
umount -l /mnt/fuse 2>/dev/null
t "crash-left-on-vfio" test "$(driver_of "$bdf")" = vfio-pci
t "crash-recovered" sh -c "9pctl -a virtio:l1 ls / | grep -qx from-host.bin"
t "crash-restored" test "$(driver_of "$bdf")" = virtio-pci

# a host that resets the device.  QEMU marks a modern device NEEDS_RESET
# and stops serving it when handed a request whose header is cut short;
# the guest build's P9_VIRTIO_FAULT=N (configure --enable-fault-injection)
# sends the Nth request so.  The caller gets the reason, not a hang; the
# device goes back to its driver, and the kernel mounts it again below.
bdf=$(bdf_of m2)
t "reset-9pctl" sh -c "! P9_VIRTIO_FAULT=3 timeout 60 9pctl -a virtio:m2 ls / 2>/tmp/e;
    cat /tmp/e; grep -q 'the host reset the virtio-9p device' /tmp/e"
t "reset-9pctl-restored" test "$(driver_of "$bdf")" = virtio-pci
# 9pfuse: request 12 comes once the mount is up, within the first reads
t "reset-9pfuse" sh -c "P9_VIRTIO_FAULT=12 9pfuse -f m2 /mnt/fuse 2>/tmp/fe &
    for i in \$(seq 100); do grep -q ' /mnt/fuse ' /proc/mounts && break; sleep 0.1; done
    n=0; while [ \$n -lt 20 ] && timeout 60 cat /mnt/fuse/from-host.bin >/dev/null 2>/tmp/ce; do n=\$((n + 1)); done
    cat /tmp/ce /tmp/fe; grep -qiE 'I/O error|Input/output error' /tmp/ce &&
    grep -q 'the host reset the virtio-9p device' /tmp/fe; r=\$?; umount /mnt/fuse; exit \$r"
wait_fuse_gone
t "reset-9pfuse-restored" test "$(driver_of "$bdf")" = virtio-pci

# vfio-pci missing
rmmod vfio-pci 2>/dev/null
t "no-vfio-pci" sh -c "! 9pctl -a virtio:m2 version 2>/tmp/e; cat /tmp/e; grep -q 'vfio-pci is not loaded' /tmp/e"
insmod /lib/modules/vfio-pci.ko

# after all that, the kernel's client can have each device again
for tag in m1 m2 l1; do
	t "$tag kernel-mounts-after" sh -c "mount -t 9p -o trans=virtio,version=9p2000.L $tag /mnt/kernel &&
	    ls /mnt/kernel | grep -q from-host.bin; r=\$?; umount /mnt/kernel; exit \$r"
done
for tag in m1 m2 l1; do
	cp /tmp/up-$tag.sha /tmp/shares-out-$tag.sha 2>/dev/null
done
echo "T done"
