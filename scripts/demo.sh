#!/usr/bin/env bash
# demo.sh - the main job on a fresh Debian machine: install what is needed,
# build, serve a demo folder with diod on a local port, and show it through
# 9ptools.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh build --enable-werror

demo=${DEMO_DIR:-/tmp/9ptools-demo}
mkdir -p "$demo/docs"
echo "Hello from a 9P share." >"$demo/hello.txt"
printf '9P2000.L over TCP, served by diod\n' >"$demo/docs/about.txt"
head -c 1048576 /dev/urandom >"$demo/random.bin"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
	echo 5640)
diod -f -n -l "127.0.0.1:$port" -e "$demo" -L stderr 2>/tmp/9ptools-demo-diod.log &
diod_pid=$!
trap 'kill $diod_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done

ctl() { echo "\$ 9pctl -a tcp:127.0.0.1:$port -A $demo $*"; build/9pctl -a "tcp:127.0.0.1:$port" -A "$demo" "$@"; }
ctl version
ctl ls -l /
ctl cat /hello.txt
ctl ls -R /docs
ctl get /random.bin /tmp/9ptools-demo-random.bin
cmp "$demo/random.bin" /tmp/9ptools-demo-random.bin && echo "get: 1 MiB copied byte-exact"
ctl df /
