#!/usr/bin/env bats
# 9ptrace against real traffic: diod serving, 9pfuse and 9pctl as clients;
# the same conversation read from our own trace file, from a tcpdump
# capture, live from lo, and through the proxy; filters, JSON, the
# summary; and inputs that are broken on purpose.

load helpers

setup_file() {
	export EXPORT=$BATS_FILE_TMPDIR/export
	mkdir -p "$EXPORT/dir"
	printf 'hello\n' >"$EXPORT/hello.txt"
	printf 'inside\n' >"$EXPORT/dir/in.txt"
	start_diod "$EXPORT" tcp
	export PORT=${ADDR##*:}
	command -v tcpdump >/dev/null || PATH=$PATH:/usr/sbin
	export PATH
}

teardown_file() {
	stop_pid "$DIOD_PID"
}

setup() {
	T=$BATS_TEST_TMPDIR
	MNT=$T/mnt
}

teardown() {
	umount_9pfuse "$MNT" || true
	[ -z "${BG:-}" ] || stop_pid "$BG"
}

ctl() { "$CTL" -a "$ADDR" -A "$EXPORT" "$@"; }

# the messages of a decoded trace without the time and the latency
msgs() { "$TRACE9P" "$@" | grep -v ' -- ' | cut -d' ' -f3- | sed 's/ [0-9.]* ms\]$/]/'; }

# capture lo on diod's port while running a command: CAP is the pcap
capture() { # capture FILE CMD...
	local cap=$1
	shift
	command -v tcpdump >/dev/null || skip "tcpdump is not installed"
	tcpdump -i lo -U --immediate-mode -s 0 -w "$cap" "tcp port $PORT" 2>"$cap.log" &
	local pid=$!
	for _ in $(seq 100); do grep -q listening "$cap.log" && break; sleep 0.05; done
	"$@"
	sleep 0.3
	kill -INT "$pid"
	wait "$pid" || true
}

@test "usage is the man page's SYNOPSIS; -h prints it; bad options are usage errors" {
	usage_is_synopsis "$TRACE9P" 9ptrace.1
	run "$TRACE9P" -h
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: 9ptrace "* ]]
	run "$TRACE9P" -r a -i b
	[ "$status" -eq 2 ]
	[[ "$output" == *"exclude each other"* ]]
	run "$TRACE9P" -l 1234
	[ "$status" -eq 2 ]
	[[ "$output" == *"-l and -c go together"* ]]
	run "$TRACE9P" -e type=Tnothing -r x
	[ "$status" -eq 2 ]
	[[ "$output" == *"type=Tnothing: no such message type"* ]]
	run "$TRACE9P" -e bogus -r x
	[ "$status" -eq 2 ]
	run "$TRACE9P" -p 70000 -r x
	[ "$status" -eq 2 ]
	[[ "$output" == *"ports are numbers"* ]]
}

@test "a 9pfuse trace file: messages, paths, pairing, errno texts, directory entries" {
	mount_9pfuse "$ADDR" "$EXPORT" "$MNT" "cache=none,trace=$T/t.pcapng"
	[ "$(cat "$MNT/dir/in.txt")" = inside ]
	ls "$MNT/dir" >/dev/null
	! cat "$MNT/nonexistent" 2>/dev/null
	umount_9pfuse "$MNT"
	run "$TRACE9P" -r "$T/t.pcapng"
	[ "$status" -eq 0 ]
	echo "$output" | head -40
	[[ "$output" == *" #1 -- 9P connection 10.9.0.1:40001 > 10.9.0.2:564 (port)"* ]]
	[[ "$output" == *" #1 Tversion tag 65535 msize "*" version 9P2000.L"* ]]
	[[ "$output" == *" #1 Tattach tag "*" fid 0</> afid 4294967295 "*"aname $EXPORT"* ]]
	[[ "$output" == *"Twalk tag "*" fid "*"</dir> newfid "*"</dir/in.txt> nwname 1 0:in.txt"* ]]
	[[ "$output" == *"Rread tag "*" count 7 'inside\\n' [Tread /dir/in.txt "*" ms]"* ]]
	[[ "$output" == *"Rlerror tag "*" ecode 2 (ENOENT: No such file or directory) [Twalk /nonexistent "*]* ]]
	[[ "$output" == *"Rreaddir tag "*" [3 entries: "*"in.txt"*"] [Treaddir /dir "* ]]
	# every request of this serial workload has its reply
	nt=$(echo "$output" | grep -c ' #1 T')
	nr=$(echo "$output" | grep -c ' #1 R')
	[ "$nt" -eq "$nr" ]
	[ "$(echo "$output" | grep -c '\[T')" -eq "$nr" ]
}

@test "tcpdump's capture of the same traffic decodes to the same messages" {
	capture "$T/wire.pcap" mount_9pfuse "$ADDR" "$EXPORT" "$MNT" "cache=none,trace=$T/t.pcapng"
	capture "$T/wire2.pcap" sh -c "cat '$MNT/hello.txt' '$MNT/dir/in.txt' >/dev/null; ls -l '$MNT' >/dev/null; mkdir '$MNT/new'; echo data >'$MNT/new/f'; mv '$MNT/new/f' '$MNT/new/g'; rm -r '$MNT/new'"
	umount_9pfuse "$MNT"
	# the workload alone, from the wire and from the trace file: the
	# capture joined the connection after Tattach, so its paths are
	# relative to fids it never saw made ("?/hello.txt")
	msgs -r "$T/wire2.pcap" -p "$PORT" >"$T/a"
	grep -q '^Twalk tag [0-9]* fid 0 newfid [0-9]*<?/hello.txt> nwname 1 0:hello.txt$' "$T/a"
	msgs -r "$T/t.pcapng" >"$T/b"
	[ "$(wc -l <"$T/a")" -gt 40 ]
	nopaths() { sed -E 's/<[^>]*>//g; s/ \[(T[a-z]+) [^]]*\]$/ [\1]/' "$1" | sort; }
	# every message on the wire is in the trace file (which also holds
	# the mount and the unmount; and records a message when libp9 hands it
	# over, the wire when the kernel sends it: parallel reads may swap)
	comm -23 <(nopaths "$T/a") <(nopaths "$T/b") >"$T/missing"
	cat "$T/missing"
	[ ! -s "$T/missing" ]
	# the mount's own capture taken off the wire shows the version
	msgs -r "$T/wire.pcap" -p "$PORT" | grep -q '^Tversion tag 65535'
}

@test "the JSON holds every field, a type, tag, conn and time on each line" {
	mount_9pfuse "$ADDR" "$EXPORT" "$MNT" "cache=none,trace=$T/t.pcapng"
	cat "$MNT/hello.txt" >/dev/null
	setfattr -n user.color -v blue "$MNT/hello.txt" 2>/dev/null || true
	umount_9pfuse "$MNT"
	"$TRACE9P" -j -r "$T/t.pcapng" >"$T/j"
	python3 - "$T/j" <<'EOF'
import json, sys
n = hello = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    if "note" in o:
        continue
    for k in ("type", "tag", "conn", "time", "from", "msglen", "dialect"):
        assert k in o, (k, line)
    if o["type"] == "Twalk":
        assert "fid" in o and "newfid" in o and "wname" in o and "fid_path" in o, line
    if o["type"] == "Rread" and o.get("path") == "/hello.txt":
        assert o["req"] == "Tread" and o["latency_ns"] > 0, line
        hello += o["data"] == "68656c6c6f0a"
    if o["type"] == "Rgetattr":
        for k in ("valid", "qid", "mode", "uid", "size", "mtime_sec"):
            assert k in o, (k, line)
    n += 1
assert n > 10, n
assert hello == 1, hello
print(n, "messages")
EOF
}

@test "-v shows one field per line with size, dialect, request and latency" {
	mount_9pfuse "$ADDR" "$EXPORT" "$MNT" "cache=none,trace=$T/t.pcapng"
	cat "$MNT/hello.txt" >/dev/null
	umount_9pfuse "$MNT"
	run "$TRACE9P" -v -e type=Rread -r "$T/t.pcapng"
	[ "$status" -eq 0 ]
	echo "$output"
	[[ "$output" == *" #1 Rread tag "* ]]
	[[ "$output" == *$'\n\tcount 6\n\tdata \'hello\\n\''* ]]
	[[ "$output" == *$'\n\tsize 17\n\tdialect 9P2000.L\n\trequest Tread /hello.txt\n\tlatency '*" ms"* ]]
}

@test "filters: type, fid, tag, path, errors; -x shows all the data" {
	head -c 3000 /dev/zero | tr '\0' 'z' >"$EXPORT/zz.txt"
	mount_9pfuse "$ADDR" "$EXPORT" "$MNT" "cache=none,trace=$T/t.pcapng"
	cat "$MNT/dir/in.txt" "$MNT/zz.txt" >/dev/null
	! ls "$MNT/dir/missing" 2>/dev/null
	umount_9pfuse "$MNT"
	msgs -r "$T/t.pcapng" -e type=walk >"$T/walks"
	[ -s "$T/walks" ]
	! grep -v '^[TR]walk ' "$T/walks"
	msgs -r "$T/t.pcapng" -e errors >"$T/errs"
	grep -q '^Rlerror .*(ENOENT: .*\[Twalk /dir/missing' "$T/errs"
	! grep -v '^Rlerror ' "$T/errs"
	msgs -r "$T/t.pcapng" -e path=/dir >"$T/dir"
	grep -q 'in.txt' "$T/dir"
	! grep -q 'zz.txt' "$T/dir"
	! grep -E '^T' "$T/dir" | grep -v '</dir'
	# a fid: the requests naming it and their replies
	fid=$(grep -m1 -o 'newfid [0-9]*</zz.txt>' "$T/walks" | cut -d' ' -f2 | cut -d'<' -f1)
	msgs -r "$T/t.pcapng" -e fid="$fid" -e type=Tclunk,Rclunk,Tread >"$T/fid"
	grep -q "^Tclunk tag [0-9]* fid $fid<" "$T/fid"
	grep -q "^Rclunk " "$T/fid"
	# the data preview and all of it
	"$TRACE9P" -r "$T/t.pcapng" -e type=Rread -e path=/zz.txt | grep -q "count 3000 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz'\.\.\."
	n=$("$TRACE9P" -x -r "$T/t.pcapng" -e type=Rread -e path=/zz.txt | grep -o "count 3000 z*" | head -1 | wc -c)
	[ "$n" -eq $((11 + 3000 + 1)) ]
	tag=$(grep -m1 -o '^Twalk tag [0-9]*' "$T/walks" | cut -d' ' -f3)
	msgs -r "$T/t.pcapng" -e tag="$tag" | grep -q "^T"
	! msgs -r "$T/t.pcapng" -e tag="$tag" | grep -v " tag $tag "
}

@test "-s: counts, latencies, errors by errno, and fids left open" {
	mount_9pfuse "$ADDR" "$EXPORT" "$MNT" "cache=none,trace=$T/t.pcapng"
	cat "$MNT/hello.txt" >/dev/null
	! cat "$MNT/nope1" 2>/dev/null
	! cat "$MNT/nope2" 2>/dev/null
	run "$TRACE9P" -s -r "$T/t.pcapng"
	echo "$output"
	# still mounted: the root fid at least is open
	[[ "$output" =~ \#1\ 10.9.0.1:40001\ \>\ 10.9.0.2:564:\ [1-9][0-9]*\ fids?\ open\ at\ the\ end:\ 0\</\> ]]
	umount_9pfuse "$MNT"
	run "$TRACE9P" -s -r "$T/t.pcapng"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"#1 10.9.0.1:40001 > 10.9.0.2:564: 0 fids open at the end"* ]]
	[[ "$output" =~ Twalk\ .*ENOENT\ [2-9] ]]
	# the counts agree with the messages themselves
	nwalk=$(msgs -r "$T/t.pcapng" -e type=Twalk | wc -l)
	echo "$output" | grep -Eq "^Twalk +$nwalk +[0-9]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+$"
	total=$(msgs -r "$T/t.pcapng" | wc -l)
	[[ "${lines[0]}" == "$total messages on 1 connection, 0 malformed,"* ]]
}

@test "live on lo: two 9pctl sessions at once are two connections" {
	"$TRACE9P" -i lo -p "$PORT" >"$T/live" 2>"$T/live.err" &
	BG=$!
	for _ in $(seq 100); do grep -q listening "$T/live.err" && break; sleep 0.05; done
	ctl cat /hello.txt >/dev/null &
	ctl ls /dir >/dev/null
	wait %2 2>/dev/null || true
	sleep 0.5
	kill -INT "$BG"
	wait "$BG"
	BG=
	cat "$T/live"
	grep -q ' #1 -- 9P connection 127.0.0.1:[0-9]* > 127.0.0.1:'"$PORT"' (port)' "$T/live"
	grep -q ' #2 -- 9P connection' "$T/live"
	grep -q "Rread tag [0-9]* count 6 'hello\\\\n'" "$T/live"
	grep -q "Rreaddir .*in.txt" "$T/live"
}

@test "live: a 9P connection on another port is found by its Tversion" {
	run "$TRACE9P" -i nosuchif0
	[ "$status" -eq 1 ]
	[[ "$output" == *"nosuchif0: "* ]]
	"$TRACE9P" -i lo "tcp port $PORT" >"$T/live" 2>"$T/live.err" &
	BG=$!
	for _ in $(seq 100); do grep -q listening "$T/live.err" && break; sleep 0.05; done
	ctl cat /hello.txt >/dev/null
	# until the read's reply is decoded (a loaded machine may run the
	# capture late), then Ctrl-C
	for _ in $(seq 200); do grep -q ' Rread tag ' "$T/live" && break; sleep 0.05; done
	kill -INT "$BG"
	wait "$BG"
	BG=
	grep -q '(recognised by its Tversion)' "$T/live"
	grep -q "Rread tag [0-9]* count 6 'hello\\\\n'" "$T/live"
	run "$TRACE9P" -i lo "not a filter ("
	[ "$status" -eq 2 ]
	[[ "$output" == *"filter 'not a filter (':"* ]]
}

@test "live: Ctrl-C decodes what was captured before it, even if 9ptrace had not read it yet" {
	"$TRACE9P" -i lo "tcp port $PORT" >"$T/live" 2>"$T/live.err" &
	BG=$!
	for _ in $(seq 100); do grep -q listening "$T/live.err" && break; sleep 0.05; done
	# 9ptrace stopped while the traffic goes by: the kernel holds it
	kill -STOP "$BG"
	ctl cat /dir/in.txt >/dev/null
	sleep 0.2
	kill -INT "$BG"
	kill -CONT "$BG"
	wait "$BG"
	BG=
	cat "$T/live"
	grep -q "Rread tag [0-9]* count 7 'inside\\\\n'" "$T/live"
	grep -q ' Tclunk ' "$T/live"
}

@test "a reader that goes away (9ptrace ... | head) ends it quietly, as SIGPIPE ends tcpdump" {
	mount_9pfuse "$ADDR" "$EXPORT" "$MNT" "cache=none,trace=$T/t.pcapng"
	for i in $(seq 300); do cat "$MNT/hello.txt" >/dev/null; done
	umount_9pfuse "$MNT"
	[ "$("$TRACE9P" -r "$T/t.pcapng" | wc -l)" -gt 1000 ]
	# the pipe's buffer is filled before head has gone: -x, and a slow head
	set +o pipefail
	"$TRACE9P" -x -r "$T/t.pcapng" 2>"$T/err" | { head -n 1; sleep 0.3; } >"$T/first"
	rc=${PIPESTATUS[0]}
	cat "$T/err"
	[ "$rc" -eq 141 ]		# killed by SIGPIPE
	[ ! -s "$T/err" ]		# and said nothing
	grep -q ' #1 -- 9P connection ' "$T/first"
	# -s prints once at the end: the same
	"$TRACE9P" -s -r "$T/t.pcapng" 2>"$T/err" | true
	[ ! -s "$T/err" ]
	# the proxy relays on, printing nothing more
	lp=$(free_port)
	"$TRACE9P" -l "$lp" -c "tcp:127.0.0.1:$PORT" 2>"$T/px.err" | head -c 1 >/dev/null &
	wait_tcp "$lp"
	for i in 1 2 3; do
		[ "$("$CTL" -a "tcp:127.0.0.1:$lp" -A "$EXPORT" cat /dir/in.txt)" = inside ]
	done
	grep -q 'the standard output was closed: relaying on' "$T/px.err"
	pkill -INT -f "9ptrace -l $lp " || true
}

@test "the proxy over TCP: decodes both ways live and writes a capture -r reads back" {
	lp=$(free_port)
	"$TRACE9P" -l "$lp" -c "tcp:127.0.0.1:$PORT" -w "$T/p.pcapng" >"$T/px" 2>"$T/px.err" &
	BG=$!
	wait_tcp "$lp"
	run "$CTL" -a "tcp:127.0.0.1:$lp" -A "$EXPORT" cat /dir/in.txt
	[ "$output" = inside ]
	mount_9pfuse "tcp:127.0.0.1:$lp" "$EXPORT" "$MNT" cache=none
	[ "$(cat "$MNT/hello.txt")" = hello ]
	umount_9pfuse "$MNT"
	sleep 0.3
	kill -TERM "$BG"
	wait "$BG"
	BG=
	cat "$T/px" "$T/px.err"
	# #1 is wait_tcp's probe, which sends nothing
	grep -q "#2 Rread tag [0-9]* count 7 'inside\\\\n'" "$T/px"
	grep -q "#3 Rread tag [0-9]* count 6 'hello\\\\n'" "$T/px"
	! grep -q 'never answered' "$T/px"
	# the capture holds the same conversation
	cut -d' ' -f3- "$T/px" | grep -v '^-- ' | sed 's/ [0-9.]* ms\]$/]/' >"$T/a"
	msgs -r "$T/p.pcapng" >"$T/b"
	diff "$T/a" "$T/b"
	# tshark opens it as 9P over TCP
	if command -v tshark >/dev/null; then
		tshark -r "$T/p.pcapng" -Y 9p 2>/dev/null | grep -q 'Rread'
	fi
}

@test "the proxy between Unix sockets" {
	start_diod "$EXPORT" unix
	"$TRACE9P" -l "unix:$T/px.sock" -c "$ADDR" >"$T/px" 2>"$T/px.err" &
	BG=$!
	wait_unix "$T/px.sock"
	run "$CTL" -a "unix:$T/px.sock" -A "$EXPORT" cat /hello.txt
	[ "$output" = hello ]
	kill -INT "$BG"
	wait "$BG"
	BG=
	stop_pid "$DIOD_PID"
	grep -q "Rread tag [0-9]* count 6 'hello\\\\n'" "$T/px"
	[ ! -e "$T/px.sock" ]
}

@test "9P2000.u through p9srv: Rerror with errno, directory Rread entries, Twstat rename" {
	mkdir -p "$T/e/sub"
	echo hi >"$T/e/sub/a"
	port=$(free_port)
	"$P9SRV" -l "127.0.0.1:$port" "$T/e" 2>"$T/srv.log" &
	BG=$!
	wait_tcp "$port"
	"$CTL" -V 9P2000.u -a "tcp:127.0.0.1:$port" -t "$T/u.pcapng" ls /sub >/dev/null
	"$CTL" -V 9P2000.u -a "tcp:127.0.0.1:$port" -t "$T/u2.pcapng" cat /nope 2>/dev/null || true
	"$CTL" -V 9P2000 -a "tcp:127.0.0.1:$port" -t "$T/u3.pcapng" mv /sub/a /sub/b
	run "$TRACE9P" -r "$T/u.pcapng"
	echo "$output"
	[[ "$output" == *"Rversion tag 65535 msize "*" version 9P2000.u"* ]]
	[[ "$output" =~ Rread\ tag\ [0-9]+\ count\ [0-9]+\ \[1\ entry:\ a\]\ \[Tread\ /sub ]]
	run "$TRACE9P" -r "$T/u2.pcapng" -e errors
	echo "$output"
	[[ "$output" == *"Rerror tag "*" ename "*" errno 2 (ENOENT: No such file or directory) [Twalk /nope"* ]]
	run "$TRACE9P" -v -r "$T/u3.pcapng" -e type=Twstat
	echo "$output"
	[[ "$output" == *"Twstat tag "* ]]
	[[ "$output" == *"fid "*"</sub/a>"* ]]
	[ -e "$T/e/sub/b" ]
}

@test "broken inputs: a missing file, not a capture, a truncated capture, mid-stream, garbage" {
	run "$TRACE9P" -r "$T/none.pcap"
	[ "$status" -eq 1 ]
	[[ "$output" == *"none.pcap: "*"No such file"* ]]
	head -c 5000 /dev/urandom >"$T/junk"
	run "$TRACE9P" -r "$T/junk"
	[ "$status" -eq 1 ]
	[[ "$output" == *"junk: "* ]]
	# a real capture cut in the middle of a packet
	mount_9pfuse "$ADDR" "$EXPORT" "$MNT" "cache=none,trace=$T/t.pcapng"
	cat "$MNT/hello.txt" "$MNT/dir/in.txt" >/dev/null
	umount_9pfuse "$MNT"
	size=$(stat -c %s "$T/t.pcapng")
	head -c $((size * 2 / 3)) "$T/t.pcapng" >"$T/cut.pcapng"
	run "$TRACE9P" -r "$T/cut.pcapng"
	echo "$output" | tail -5
	[ "$status" -eq 0 ]
	[[ "$output" == *"Tversion tag 65535"* ]]
	[[ "$output" == *"truncated"* ]]
	# mid-stream: the first 40 packets dropped (editcap, from Wireshark)
	if command -v editcap >/dev/null; then
		editcap -r "$T/t.pcapng" "$T/mid.pcapng" 40-100000 >/dev/null
		run "$TRACE9P" -r "$T/mid.pcapng"
		echo "$output" | head -5
		[ "$status" -eq 0 ]
		[[ "$output" == *"(the capture starts mid-stream)"* ]]
		[[ "$output" != *"Tversion"* ]]
		[[ "$output" == *"Rread tag "*"count 7 'inside\\n'"* ]]
	fi
	# garbage, impossible sizes and unknown types on port 564
	python3 - "$T/bad.pcap" <<'EOF'
import struct, sys, random
random.seed(7)
def pkt(seq, payload, sport=40000, dport=564, flags=0x18):
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq, 0, 0x50, flags, 65535, 0, 0)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), 0, 0x4000, 64, 6, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return ip + tcp + payload
msgs = [bytes(random.getrandbits(8) for _ in range(300)),      # garbage
        struct.pack("<IBH", 0x7fffffff, 110, 1),                # absurd size
        struct.pack("<IBH", 10, 200, 2) + b"abc",               # unknown type
        struct.pack("<IBHIH", 13, 120, 3, 7, 0),                # Tclunk that is too long
        struct.pack("<IBHI", 11, 120, 4, 7)]                    # a good Tclunk
out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101)]
seq = 1000
pk = [pkt(999, b"", flags=0x02)]
for m in msgs:
    pk.append(pkt(seq, m)); seq += len(m)
for i, p in enumerate(pk):
    out.append(struct.pack("<IIII", 1, i, len(p), len(p)) + p)
open(sys.argv[1], "wb").write(b"".join(out))
EOF
	run "$TRACE9P" -r "$T/bad.pcap"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"!malformed"* || "$output" == *"skipped"* ]]
	[[ "$output" == *"Tclunk tag 4 fid 7"* ]]
	run "$TRACE9P" -j -r "$T/bad.pcap"
	echo "$output" | python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]'
}
