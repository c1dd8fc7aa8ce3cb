#!/usr/bin/env bash
# scripts/vm/vfio-noiommu.sh — owns the guest's VFIO modules rebuilt with
# no-IOMMU mode (CONFIG_VFIO_NOIOMMU, which Debian's kernel leaves unset, so
# /dev/vfio/noiommu-N and vfio.enable_unsafe_noiommu_mode exist).  Once per
# release kernel.sh caches, it installs linux-headers-RELEASE, make, xz-utils
# and kmod if missing, downloads linux-source-X.Y of the image's exact Debian
# version, builds its drivers/vfio as an external module tree against the
# headers with the option forced on, checks every module against the stock
# one (vermagic, symbol versions) and keeps the .ko files, flat, in
# KERNEL-CACHE/RELEASE/vfio-noiommu/.  Prints that directory, for
# `mkinitramfs.sh --module-dir`.  The modules are unsigned and out of tree:
# loading them taints the guest kernel.
#
# usage: scripts/vm/vfio-noiommu.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# What the guest loads (mkinitramfs.sh's default list); the build makes
# every module Debian's config enables under drivers/vfio, these included.
wanted=(vfio vfio_iommu_type1 vfio_virqfd vfio-pci-core vfio-pci)

log() { printf 'vfio-noiommu.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

(($# == 0)) || { echo "usage: $0" >&2; exit 2; }

kdir=$("$here/kernel.sh")
release=${kdir##*/}
out=$kdir/vfio-noiommu
if [[ -e $out/.complete ]]; then
	printf '%s\n' "$out"
	exit 0
fi

# The Debian version of the cached image, from its banner ("... #1 SMP
# PREEMPT_DYNAMIC Debian 6.1.192-3 (2026-11-26)"), which the bzImage header
# carries uncompressed; apt's idea of linux-image-RELEASE if it does not.
version=$(tr -c '[:print:]' '\n' <"$kdir/vmlinuz" | awk -v r="$release (" '
	v == "" && index($0, r) == 1 && match($0, / Debian [^ ]+ \(/) {
		v = substr($0, RSTART + 8, RLENGTH - 10) }
	END { print v }')
if [[ -z $version ]]; then
	version=$(apt-cache show --no-all-versions "linux-image-$release" 2>/dev/null |
		sed -n 's/^Version: //p')
fi
[[ -n $version ]] || die "cannot tell the Debian version of linux-image-$release"
series=$(cut -d. -f1,2 <<<"$version")
headers=/usr/src/linux-headers-$release
stock=$kdir/modules/kernel/drivers/vfio

# Headers (with linux-kbuild and the kernel's own gcc) of exactly $version.
ensure_packages() {
	local missing=() p
	[[ $(dpkg-query -W -f='${Status} ${Version}' "linux-headers-$release" 2>/dev/null) == *'ok installed '"$version" ]] ||
		missing+=("linux-headers-$release=$version")
	for p in make xz-utils kmod; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	log "installing ${missing[*]}"
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}
ensure_packages
[[ -f $headers/Module.symvers ]] || die "no $headers/Module.symvers"

tmp=$(mktemp -d "$kdir/.vfio-noiommu.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# drivers/vfio out of linux-source-X.Y's tarball; the rest of the tree (and
# the .deb, 130-odd MB) is not kept.  Everything else comes from the headers.
log "fetching linux-source-$series=$version for drivers/vfio"
mkdir "$tmp/dl"
if ! (cd "$tmp/dl" && apt-get download -qq -o APT::Sandbox::User=root "linux-source-$series=$version" >&2); then
	apt-get update -qq >&2
	(cd "$tmp/dl" && apt-get download -qq -o APT::Sandbox::User=root "linux-source-$series=$version" >&2)
fi
deb=$(find "$tmp/dl" -maxdepth 1 -name "linux-source-${series}_*.deb" | head -n 1)
[[ -n $deb ]] || die "apt-get download linux-source-$series=$version produced no .deb"
mkdir "$tmp/src"
dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/linux-source-$series.tar.xz" |
	tar -xJ -C "$tmp/src" --strip-components=3 "linux-source-$series/drivers/vfio"
rm -rf "$tmp/dl"
[[ -f $tmp/src/Makefile && -f $tmp/src/container.c ]] || die "no drivers/vfio in linux-source-$series"

# The headers' auto.conf and autoconf.h leave CONFIG_VFIO_NOIOMMU unset: set
# it for the Makefiles (command-line variables beat auto.conf) and the C code
# (-D...=1, so #ifdef and IS_ENABLED() both see it).  In 6.1 only vfio.ko
# (container.c, vfio.h) tests it and include/ does not; the whole directory
# is rebuilt anyway so that the modules always agree with one another.
# __FILE__ and the debug info name drivers/vfio/..., not the temporary
# directory, so that a rebuild gives the same bytes.
log "building drivers/vfio for $release with CONFIG_VFIO_NOIOMMU=y"
if ! make -C "$headers" M="$tmp/src" -j"$(nproc)" CONFIG_VFIO_NOIOMMU=y \
	KCFLAGS="-DCONFIG_VFIO_NOIOMMU=1 -ffile-prefix-map=$tmp/src/=drivers/vfio/" \
	modules >"$tmp/build.log" 2>&1; then
	tail -n 30 "$tmp/build.log" >&2
	die "build failed"
fi

# Checks, against the stock modules and the headers.
mkdir "$tmp/out"
mapfile -t built < <(find "$tmp/src" -name '*.ko' -printf '%P\n' | sort)
mapfile -t want < <(find -L "$stock" -name '*.ko' -printf '%P\n' | sort)
[[ ${built[*]} == "${want[*]}" ]] ||
	die "built ${built[*]:-nothing}, but $stock holds ${want[*]}"
for m in "${wanted[@]}"; do
	[[ " ${built[*]##*/} " == *" $m.ko "* ]] || die "$m.ko is not among the modules built"
done
for ko in "${built[@]}"; do
	name=${ko##*/}
	# Without the debug info, as Debian installs its modules (INSTALL_MOD_STRIP).
	strip --strip-debug -o "$tmp/out/$name" "$tmp/src/$ko"
	vm=$(modinfo -F vermagic "$tmp/out/$name")
	sm=$(modinfo -F vermagic "$stock/$ko")
	[[ $vm == "$sm" ]] || die "$name: vermagic '$vm', the stock module's is '$sm'"
	# Symbols taken from vmlinux or other stock modules must carry the CRCs
	# the stock module has; those exported by the rebuilt set may differ.
	bad=$(awk 'FILENAME == ARGV[1] { own[$2] = 1; next }
		FILENAME == ARGV[2] { crc[$2] = $1; next }
		!($2 in own) && ($2 in crc) && crc[$2] != $1 { print $2 }' \
		"$tmp/src/Module.symvers" \
		<(modprobe --dump-modversions "$stock/$ko") \
		<(modprobe --dump-modversions "$tmp/out/$name"))
	[[ -z $bad ]] || die "$name: symbol versions differ from the stock module's: $bad"
done
modinfo -p "$tmp/out/vfio.ko" | grep -q '^enable_unsafe_noiommu_mode:' ||
	die "vfio.ko has no enable_unsafe_noiommu_mode parameter"

rm -rf "$out"
mv -T "$tmp/out" "$out"
touch "$out/.complete"
printf '%s\n' "$out"
