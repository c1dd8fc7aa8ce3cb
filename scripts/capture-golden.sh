#!/usr/bin/env bash
# scripts/capture-golden.sh — owns regenerating tests/data/golden/*.txt, the
# codec's golden vectors, from real 9P2000.L traffic (a developer tool, not run
# in CI):
#   diod-diodls.txt, diod-diodcat.txt, diod-dioddate.txt
#       diod's own client tools against diod on the host's loopback;
#   linux-v9fs.txt
#       the Linux kernel's v9fs against diod inside a QEMU guest
#       (scripts/vm/, guest side in scripts/golden-v9fs-guest.sh).
# Each capture is tcpdump on lo, turned into one message per line by
# scripts/pcap2golden.py and cross-checked against tshark's 9P dissector.
#
# usage: scripts/capture-golden.sh [host|guest]...   (default: both)
#   KEEP=1 keeps the work folder (the pcaps, the guest initramfs) and names it.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/tests/data/golden
conv=$top/scripts/pcap2golden.py
vm=$top/scripts/vm
guest_port=5640 # fixed in scripts/golden-v9fs-guest.sh

log() { printf 'capture-golden: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

ensure_packages() {
	local missing=() cp
	for cp in diod:diod tcpdump:tcpdump tshark:tshark setfattr:attr python3:python3; do
		PATH=$PATH:/usr/sbin command -v "${cp%%:*}" >/dev/null || missing+=("${cp#*:}")
	done
	((${#missing[@]})) || return 0
	log "installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

listening() { # port: is something listening on 127.0.0.1:port?
	grep -q ":$(printf '%04X' "$1") 00000000:0000 0A" /proc/net/tcp
}

# to_golden PCAP PORT SOURCE OUT: convert, then compare the message types with
# tshark's reading of the same capture.
to_golden() {
	local pcap=$1 port=$2 source=$3 file=$4
	if ! "$conv" convert "$pcap" --port "$port" --source "$source" >"$file.tmp"; then
		rm -f "$file.tmp"
		die "$pcap: not converted"
	fi
	if ! diff -q <(tshark -r "$pcap" -d "tcp.port==$port,9p" -T fields -e 9p.msgtype 2>/dev/null |
		tr ',' '\n' | grep .) \
		<(grep -v '^#' "$file.tmp" | while read -r l; do echo $((16#${l:8:2})); done) >/dev/null; then
		rm -f "$file.tmp"
		die "$pcap: tshark's 9P dissector sees other messages than pcap2golden.py"
	fi
	mv "$file.tmp" "$file"
	log "wrote $file ($(wc -c <"$file") bytes)"
}

# capture_host NAME CMD...: one run of a diod client tool, captured.
capture_host() {
	local name=$1 tcpd
	shift
	tcpdump -i lo -s 0 -B 32768 -U --immediate-mode -w "$work/$name.pcap" "tcp port $port" 2>"$work/$name.tcpdump" &
	tcpd=$!
	until grep -qs 'listening on' "$work/$name.tcpdump"; do sleep 0.1; done
	"$@" >"$work/$name.stdout" 2>&1 || log "$name exited with status $? (kept: errors are traffic too)"
	sleep 0.5
	kill -INT "$tcpd"
	wait "$tcpd" || true
	to_golden "$work/$name.pcap" "$port" \
		"${*//$work\/export/EXPORT} (diod $diod_version) -> diod $diod_version -f -n -e ctl -e EXPORT, TCP 127.0.0.1, tcpdump -i lo" \
		"$out/diod-$name.txt"
}

host_part() {
	local diod
	mkdir -p "$work/export/sub"
	for i in 1 2 3 4 5; do echo "line $i: the quick brown fox jumps over the lazy dog"; done \
		>"$work/export/hello.txt"
	echo abc >"$work/export/sub/x"
	ln -s hello.txt "$work/export/link"
	port=$(free_port)
	diod -f -n -l "127.0.0.1:$port" -e ctl -e "$work/export" -L "$work/diod.log" &
	diod=$!
	until listening "$port"; do sleep 0.1; done
	local s=127.0.0.1:$port a=$work/export
	capture_host diodls diodls -s "$s" -a "$a" -l / sub link missing
	capture_host diodcat diodcat -s "$s" -a "$a" hello.txt sub/x
	capture_host dioddate dioddate -s "$s"
	kill "$diod"
	wait "$diod" || true
}

guest_part() {
	local b bins=()
	for b in /usr/sbin/diod /usr/bin/tcpdump /usr/bin/perl /usr/bin/setfattr /usr/bin/getfattr; do
		bins+=(--bin "$b")
	done
	mkdir -p "$work/guest"
	"$vm/mkinitramfs.sh" "$work/guest.cpio.gz" "${bins[@]}" \
		--modules "virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
		           netfs fscache 9pnet 9pnet_virtio 9pnet_fd 9p" \
		--init "$top/scripts/golden-v9fs-guest.sh"
	"$vm/run.sh" --timeout 900 --share "out=$work/guest" --initrd "$work/guest.cpio.gz" ||
		die "guest workload failed (status $?)"
	to_golden "$work/guest/v9fs.pcap" "$guest_port" \
		"Linux $(basename "$("$vm/kernel.sh")") v9fs (trans=tcp,access=user) -> diod $diod_version -f -n, guest 127.0.0.1 in QEMU TCG, tcpdump -i lo" \
		"$out/linux-v9fs.txt"
}

parts=("$@")
((${#parts[@]})) || parts=(host guest)
ensure_packages
diod_version=$(dpkg-query -W -f='${Version}' diod)
work=$(mktemp -d)
cleanup() {
	local pids
	pids=$(jobs -p) # diod and tcpdump still running after a failure
	# shellcheck disable=SC2086 # one pid per word
	[[ -z $pids ]] || kill $pids 2>/dev/null || true
	if [[ -n ${KEEP:-} ]]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
mkdir -p "$out"
for p in "${parts[@]}"; do
	case $p in
	host) host_part ;;
	guest) guest_part ;;
	*) die "unknown part $p (want host or guest)" ;;
	esac
done
"$conv" check "$out"/*.txt
