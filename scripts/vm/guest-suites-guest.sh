# guest-suites-guest.sh - runs inside the test guest (busybox sh, as /init's
# script; scripts/vm/guest-suites.sh builds the guest and reads what this
# prints).  Runs the bats suites over the virtio-9p transport, a kind of
# device at a time, as /etc/guest-suites.plan lists them ("KIND SUITE
# [BATS-FILTER-REGEX]" a line), with P9_VIRTIO=KIND (tests/bats/helpers.bash,
# virtio mode; the devices are in /etc/9p-virtio.conf).  Every result is
# one line starting "GS ": "GS ok DESC", "GS not ok DESC", "GS plan
# KIND: SUITE: N" (the number of tests bats announced), "GS sha KIND SLOT
# FILE SHA256" (a file written here, for the host to check), "GS # ..."
# (diagnostics).  Console noise has no "GS " prefix.

export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C
export P9_BUILD=/opt/9ptools/build P9_VIRTIO_CONF=/etc/9p-virtio.conf
conf=$P9_VIRTIO_CONF
suites=/opt/9ptools/tests/bats

# bash's process substitution (diff <(...) <(...)) needs /dev/fd
ln -sfn /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
ln -sf python3.11 /usr/bin/python3
# DMA memory: 17 huge pages a 9pfuse at msize 512000; 9pfuse-posix has up
# to four mounts at once, 9pctl a session beside them
echo 96 >/proc/sys/vm/nr_hugepages

res() { # res ok|fail DESC
	if [ "$1" = ok ]; then echo "GS ok $2"; else echo "GS not ok $2"; fi
}

bdf_of() { # the PCI function of a tag (bound to virtio-pci)
	for f in /sys/bus/pci/devices/*/virtio*/mount_tag; do
		[ "$(tr -d '\0' <"$f")" = "$1" ] && { f=${f%/virtio*}; echo "${f##*/}"; return; }
	done
}

driver_of() {
	d=$(readlink "/sys/bus/pci/devices/$1/driver")
	echo "${d##*/}"
}

wait_fuse_gone() { # a 9pfuse gives its device back as it exits
	for _ in $(seq 100); do pidof 9pfuse >/dev/null || return 0; sleep 0.1; done
	return 1
}

slot_tag() { # slot_tag KIND SLOT: the first device of the slot
	awk -v k="$1" -v n="$2" '$1 == k && $2 == n { print $4 }' "$conf"
}

# every device's driver now, to check at the end that each is back on it
: >/tmp/drivers
for tag in $(awk '{ for (i = 3; i <= NF; i++) print $i }' "$conf"); do
	bdf=$(bdf_of "$tag")
	echo "$tag $bdf $(driver_of "$bdf")" >>/tmp/drivers
done
echo "GS # $(wc -l </tmp/drivers) virtio-9p devices: $(awk '{ printf "%s=%s ", $1, $3 }' /tmp/drivers)"

mkdir -p /mnt/gs
lastkind=

# The guest's clock, set from the RTC at boot, lags the host's by up to a
# second, and under TCG drifts by more within a suite: files the host
# stamps are then "in the future" here (GNU ls -l shows the year, not the
# time), while a guest clock ahead breaks "stamped no earlier than date
# +%s".  So the guest takes the host's time, to the nanosecond, from a
# file the host has just made on the clock device (tag clk, its own host
# folder), every second, for the whole run.
mkdir -p /mnt/clock
if mount -t 9p -o trans=virtio,version=9p2000.L,cache=none clk /mnt/clock; then
	(
		while :; do
			: >/mnt/clock/now
			date -s "@$(stat -c %.9Y /mnt/clock/now)" >/dev/null
			sleep 1
		done
	) </dev/null >/dev/null 2>&1 &
else
	echo "GS # no clock device: the guest's clock is the RTC's"
fi
post() { # post KIND: files written here, checked byte-exact on the host
	k=$1
	t1=$(slot_tag "$k" 1) t2=$(slot_tag "$k" 2)
	head -c 3000000 /dev/urandom >/tmp/up
	echo "GS sha $k 1 from-guest-9pctl.bin $(sha256sum </tmp/up | cut -d' ' -f1)"
	if 9pctl -a "virtio:$t1" put /tmp/up /from-guest-9pctl.bin; then
		res ok "$k: 9pctl put of a 3 MB file"
	else
		res fail "$k: 9pctl put of a 3 MB file"
	fi
	head -c 2500000 /dev/urandom >/tmp/up
	echo "GS sha $k 2 from-guest-9pfuse.bin $(sha256sum </tmp/up | cut -d' ' -f1)"
	if 9pfuse "virtio:$t2" /mnt/gs && cp /tmp/up /mnt/gs/from-guest-9pfuse.bin &&
		umount /mnt/gs && wait_fuse_gone; then
		res ok "$k: 9pfuse write of a 2.5 MB file"
	else
		res fail "$k: 9pfuse write of a 2.5 MB file"
		umount -l /mnt/gs 2>/dev/null
		wait_fuse_gone
	fi
}
pre() { # pre KIND: the host's file, read byte-exact both ways
	k=$1
	t1=$(slot_tag "$k" 1)
	want=$(cut -d' ' -f1 "/etc/gs/$k.sha256")
	if 9pctl -a "virtio:$t1" get /from-host.bin /tmp/got &&
		[ "$(sha256sum </tmp/got | cut -d' ' -f1)" = "$want" ]; then
		res ok "$k: the host's file, byte-exact through 9pctl get"
	else
		res fail "$k: the host's file, byte-exact through 9pctl get"
	fi
	rm -f /tmp/got
	if 9pfuse "virtio:$t1" /mnt/gs &&
		[ "$(sha256sum </mnt/gs/from-host.bin | cut -d' ' -f1)" = "$want" ] &&
		umount /mnt/gs && wait_fuse_gone; then
		res ok "$k: the host's file, byte-exact through 9pfuse"
	else
		res fail "$k: the host's file, byte-exact through 9pfuse"
		umount -l /mnt/gs 2>/dev/null
		wait_fuse_gone
	fi
}

while read -r kind suite filter; do
	case $kind in '' | '#'*) continue ;; esac
	if [ "$kind" != "$lastkind" ]; then
		[ -z "$lastkind" ] || post "$lastkind"
		pre "$kind"
		lastkind=$kind
	fi
	start=$(date +%s)
	# a suite that hangs must not take the later ones down with it
	if [ -n "$filter" ]; then
		set -- -f "$filter"
	else
		set --
	fi
	P9_VIRTIO=$kind timeout -k 10 "${GS_SUITE_TIMEOUT:-600}" \
	    bats --tap -T "$@" "$suites/$suite.bats" 2>&1 </dev/null |
	    awk -v p="$kind: $suite: " '
		/^ok [0-9]+ /     { sub(/^ok [0-9]+ /, ""); print "GS ok " p $0; fflush(); next }
		/^not ok [0-9]+ / { sub(/^not ok [0-9]+ /, ""); print "GS not ok " p $0; fflush(); next }
		/^1\.\.[0-9]+$/   { print "GS plan " p substr($0, 4); fflush(); next }
		                  { print "GS # " $0; fflush() }'
	echo "GS # $kind: $suite: $(($(date +%s) - start)) s"
	# what a killed suite left: its mounts (9pfuse, the twins)
	awk '($3 == "9p" && $2 != "/mnt/clock") || $3 ~ /^fuse/ { print $2 }' /proc/mounts |
	    while read -r m; do
		echo "GS # $kind: $suite: left mounted: $m"
		umount -l "$m"
	done
	wait_fuse_gone
done </etc/guest-suites.plan
[ -z "$lastkind" ] || post "$lastkind"

while read -r tag bdf drv; do
	now=$(driver_of "$bdf")
	if [ -n "$bdf" ] && [ "$now" = "$drv" ]; then
		res ok "$tag ($bdf): back on its driver $drv at the end"
	else
		res fail "$tag ($bdf): back on its driver $drv at the end (now ${now:-none})"
	fi
done </tmp/drivers
echo "GS done"
