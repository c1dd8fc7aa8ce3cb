#!/usr/bin/env bash
# scripts/vm/kernel.sh — owns the guest kernel cache and the host packages the
# VM harness needs.  Installs qemu-system-x86, busybox-static, cpio and gzip if
# missing, downloads Debian's current linux-image-6.1.0-N-amd64 (the one
# linux-image-amd64 depends on) and unpacks it, once, into
# ${P9_VM_CACHE:-/var/cache/9ptools-vm}/RELEASE/.  Prints that directory; it
# holds vmlinuz and modules/ (symlinks into the unpacked package) beside the
# package's own boot/ and lib/modules/RELEASE/.
#
# usage: scripts/vm/kernel.sh
set -euo pipefail

cache=${P9_VM_CACHE:-/var/cache/9ptools-vm}
packages=(qemu-system-x86 busybox-static cpio gzip)

log() { printf 'kernel.sh: %s\n' "$*" >&2; }

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'
}

ensure_packages() {
	local missing=() p
	for p in "${packages[@]}"; do
		installed "$p" || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	log "installing ${missing[*]}"
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# The versioned image package that the linux-image-amd64 metapackage names.
image_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9].*-amd64$/ { print $2; exit }'
}

# Newest release already unpacked, for when apt knows nothing (offline).
cached_release() {
	local d
	d=$(find "$cache" -mindepth 2 -maxdepth 2 -name .complete -printf '%h\n' 2>/dev/null |
		sort -V | tail -n 1)
	[[ -n $d ]] && printf '%s\n' "${d##*/}"
}

ensure_kernel() {
	local pkg release dir tmp deb
	pkg=$(image_package)
	if [[ -z $pkg ]]; then
		apt-get update -qq >&2 || true
		pkg=$(image_package)
	fi
	if [[ -z $pkg ]]; then
		release=$(cached_release) || { log "no linux-image-amd64 in apt and nothing cached"; exit 1; }
		log "apt names no kernel; using cached $release"
		printf '%s\n' "$cache/$release"
		return
	fi
	release=${pkg#linux-image-}
	dir=$cache/$release
	if [[ ! -e $dir/.complete ]]; then
		log "fetching $pkg into $dir"
		mkdir -p "$cache"
		tmp=$(mktemp -d "$cache/.dl.XXXXXX")
		(cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" >&2)
		deb=$(find "$tmp" -maxdepth 1 -name "${pkg}_*.deb" | head -n 1)
		[[ -n $deb ]] || { log "apt-get download $pkg produced no .deb"; exit 1; }
		rm -rf "$dir"
		dpkg-deb -x "$deb" "$dir"
		rm -rf "$tmp"
		[[ -f $dir/boot/vmlinuz-$release ]] || { log "no boot/vmlinuz-$release in $pkg"; exit 1; }
		ln -sfn "boot/vmlinuz-$release" "$dir/vmlinuz"
		ln -sfn "lib/modules/$release" "$dir/modules"
		touch "$dir/.complete"
	fi
	printf '%s\n' "$dir"
}

ensure_packages
ensure_kernel
