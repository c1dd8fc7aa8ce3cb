#!/usr/bin/env bash
# demo.sh - the main job on a fresh Debian machine: install what is needed,
# build, serve a demo folder with diod on a local port, mount it with
# 9pfuse on a temporary mountpoint, show it, write through it, and take
# everything down again (also on failure or Control-C).
#
#   DEMO_DIR    the folder diod serves (default /tmp/9ptools-demo)
#   DEMO_BUILD  the build directory (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
scripts/setup.sh
build=${DEMO_BUILD:-build}
scripts/build.sh "$build" --enable-werror
bin=$top/$build

if [ ! -c /dev/fuse ]; then
	modprobe fuse 2>/dev/null || true
	[ -c /dev/fuse ] || {
		echo "demo: /dev/fuse is missing: this kernel or container has no FUSE" >&2
		exit 1
	}
fi

demo=${DEMO_DIR:-/tmp/9ptools-demo}
mkdir -p "$demo/docs"
echo "Hello from a 9P share." >"$demo/hello.txt"
printf '9P2000.L over TCP, served by diod, mounted with 9pfuse\n' >"$demo/docs/about.txt"
head -c 1048576 /dev/urandom >"$demo/random.bin"
rm -f "$demo/written.txt"

# a local port nothing listens on
port=
for p in $(seq 5640 5700); do
	(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { port=$p; break; }
done
[ -n "$port" ] || { echo "demo: no free port in 5640-5700" >&2; exit 1; }
addr=tcp:127.0.0.1:$port

mnt=$(mktemp -d /tmp/9pfuse-demo.XXXXXX)
diodlog=$mnt.diod.log
diod_pid=
cleanup() {
	set +e
	if awk -v m="$mnt" '$2 == m { f = 1 } END { exit !f }' /proc/mounts; then
		fusermount3 -u "$mnt" 2>/dev/null || umount -l "$mnt"
	fi
	if [ -n "$diod_pid" ]; then
		kill "$diod_pid" 2>/dev/null
		wait "$diod_pid" 2>/dev/null
	fi
	rmdir "$mnt" 2>/dev/null
	rm -f "$diodlog" /tmp/9ptools-demo-random.bin
}
trap cleanup EXIT
trap 'exit 130' INT TERM

diod -f -n -l "127.0.0.1:$port" -e "$demo" -L "$diodlog" &
diod_pid=$!
for _ in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done

say() { printf '\n$ %s\n' "$*"; }

say "9pctl -a $addr -A $demo version"
"$bin/9pctl" -a "$addr" -A "$demo" version

# 9pfuse goes to the background once the mount is in place: the next
# command can use it at once
say "9pfuse -o aname=$demo $addr $mnt"
"$bin/9pfuse" -o "aname=$demo" "$addr" "$mnt"
say "findmnt $mnt"
findmnt "$mnt"

say "ls -l $mnt"
ls -l "$mnt"
say "ls -l $mnt/docs"
ls -l "$mnt/docs"
say "cat $mnt/hello.txt"
cat "$mnt/hello.txt"
say "cat $mnt/docs/about.txt"
cat "$mnt/docs/about.txt"

say "echo 'Written through 9pfuse.' >$mnt/written.txt"
echo 'Written through 9pfuse.' >"$mnt/written.txt"
say "ls -l $demo    # the folder diod serves"
ls -l "$demo"
say "cat $demo/written.txt"
cat "$demo/written.txt"

say "cp $mnt/random.bin /tmp/9ptools-demo-random.bin && cmp $demo/random.bin /tmp/9ptools-demo-random.bin"
cp "$mnt/random.bin" /tmp/9ptools-demo-random.bin
cmp "$demo/random.bin" /tmp/9ptools-demo-random.bin && echo "1 MiB read through the mount, byte-exact"

say "df -h $mnt"
df -h "$mnt"

say "fusermount3 -u $mnt"
fusermount3 -u "$mnt"
for _ in $(seq 50); do
	awk -v m="$mnt" '$2 == m { f = 1 } END { exit !f }' /proc/mounts || break
	sleep 0.1
done
echo "unmounted; stopping diod"
