#!/usr/bin/env bash
#
# bench/trace.sh - decoding speed: 9ptrace vs tshark's 9P dissector on one
# real capture of at least MESSAGES 9P messages, in the same run.
#
# What it does, in one run:
#   1. makes a temp dir (under $TMPDIR, default /var/tmp) holding THREADS
#      files t0.. of 4 KiB, starts `diod -f -n` exporting it on a free
#      loopback port, and starts `tcpdump -i lo -s 0` on that port (the
#      capture is taken off the wire: loopback TCP, kernel timestamps).
#   2. runs tests/stress/p9stress -t THREADS -n N check against diod: each
#      thread alternates Tgetattr and a 1 KiB Tread on its own file, many
#      RPCs in flight on one connection; N is chosen so that T- and
#      R-messages together reach MESSAGES.  tcpdump is stopped with SIGINT;
#      the packets the kernel dropped are reported (none is the normal case).
#   3. checks, untimed, that 9ptrace (-s) and tshark (-T fields) count the
#      same number of 9P messages, and that 9ptrace found none malformed.
#   4. times RUNS rounds, interleaved, of each pair, output to /dev/null:
#        one line per message  9ptrace -r CAP
#                              tshark -n -r CAP -d tcp.port==P,9p -Y 9p
#        JSON per message      9ptrace -j -r CAP
#                              tshark ... -Y 9p -T json -j 9p   (the 9p
#                              layer's fields only, as 9ptrace -j has)
#        every field           9ptrace -v -r CAP
#                              tshark ... -Y 9p -O 9p           (9p in
#                              detail, the other layers one line each)
#        statistics only       9ptrace -s -r CAP
#                              tshark ... -Y 9p -q              (dissect and
#                              filter, print nothing: tshark has no 9P
#                              statistics, so this is its floor)
#      The best (least) time of the RUNS is reported, with each run.
#   5. prints a table and replaces the section "## 9ptrace vs tshark
#      (decoding a capture)" of bench/RESULTS.md (other sections are kept).
#      Target: 9ptrace at least 10x faster than tshark on every pair.
#
# Environment:
#   MESSAGES  9P messages wanted in the capture (default 1000000)
#   THREADS   p9stress threads (default 8)
#   RUNS      timed rounds, best taken (default 3)
#   CAP, PORT use this capture instead of making one (PORT: the server's)
#   KEEP=1    keep the capture (its path is printed); else it is removed
#   TRACE9P   9ptrace binary (default build/9ptrace of this repository)
#   P9STRESS  p9stress binary (default build/tests/stress/p9stress)
#   RESULTS   results file (default bench/RESULTS.md); /dev/null skips
#
# Exit status: 0 when every tool succeeded and the counts agree, whether
# the target was met or not (a benchmark is not a test); non-zero if a tool
# failed, diod or tcpdump did not come up, or the message counts differ.

set -euo pipefail

export LC_ALL=C TZ=UTC

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

MESSAGES=${MESSAGES:-1000000}
THREADS=${THREADS:-8}
RUNS=${RUNS:-3}
CAP=${CAP:-}
PORT=${PORT:-}
KEEP=${KEEP:-}
TRACE9P=${TRACE9P:-$repo/build/9ptrace}
P9STRESS=${P9STRESS:-$repo/build/tests/stress/p9stress}
RESULTS=${RESULTS:-$here/RESULTS.md}
PATH=$PATH:/usr/sbin:/sbin
SECTION='## 9ptrace vs tshark (decoding a capture)'

die() { echo "trace.sh: $*" >&2; exit 1; }

[[ $MESSAGES =~ ^[1-9][0-9]*$ ]] || die "MESSAGES must be a positive integer"
[[ $THREADS =~ ^[1-9][0-9]*$ ]] || die "THREADS must be a positive integer"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
[[ -x $TRACE9P ]] || die "no 9ptrace at $TRACE9P (build it: scripts/build.sh build)"
command -v tshark >/dev/null || die "tshark not found (apt-get install tshark)"
if [[ -n $CAP ]]; then
	[[ -r $CAP && $PORT =~ ^[0-9]+$ ]] || die "CAP=$CAP needs a readable file and PORT"
else
	[[ -x $P9STRESS ]] || die "no p9stress at $P9STRESS (make tests/stress/p9stress)"
	command -v diod >/dev/null || die "diod not found (apt-get install diod)"
	command -v tcpdump >/dev/null || die "tcpdump not found (apt-get install tcpdump)"
fi

cmdline="MESSAGES=$MESSAGES THREADS=$THREADS RUNS=$RUNS"
[[ -n $CAP ]] && cmdline="CAP=$CAP PORT=$PORT RUNS=$RUNS"
[[ $TRACE9P == "$repo/build/9ptrace" ]] || cmdline+=" TRACE9P=$TRACE9P"
[[ -n ${CAP_GIVEN:-$CAP} || $P9STRESS == "$repo/build/tests/stress/p9stress" ]] ||
	cmdline+=" P9STRESS=$P9STRESS"
cmdline+=" bench/trace.sh"

base=${TMPDIR:-/var/tmp}
[[ $base == /* ]] || base=$(cd "$base" && pwd)
work=$(mktemp -d "$base/9ptrace-bench.XXXXXX")
diod_pid='' tcpdump_pid=''
cleanup() {
	local p
	for p in $tcpdump_pid $diod_pid; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if [[ -n $KEEP && -z ${CAP_GIVEN:-} ]]; then
		echo "kept the capture: $work/cap.pcap (PORT=$PORT)"
		rm -rf "$work/export"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

can_connect() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
drops=n/a
gen=''

# --- 1, 2: the capture -------------------------------------------------------
if [[ -n $CAP ]]; then
	CAP_GIVEN=1
	echo "using $CAP (server port $PORT)"
else
	mkdir "$work/export"
	for ((i = 0; i < THREADS; i++)); do
		{ yes "thread $i" || true; } | head -c 4096 >"$work/export/t$i"
	done
	for _ in $(seq 20); do
		p=$((20000 + RANDOM % 40000))
		can_connect "$p" && continue
		diod -f -n -l "127.0.0.1:$p" -e "$work/export" -L "$work/diod.log" &
		diod_pid=$!
		for _ in $(seq 100); do
			kill -0 "$diod_pid" 2>/dev/null || break
			if can_connect "$p"; then PORT=$p; break; fi
			sleep 0.1
		done
		[[ -n $PORT ]] && break
		kill "$diod_pid" 2>/dev/null || true
		wait "$diod_pid" 2>/dev/null || true
		diod_pid=
	done
	[[ -n $PORT ]] || die "could not start diod on a free port"
	CAP=$work/cap.pcap
	tcpdump -i lo -s 0 -B 524288 -w "$CAP" "tcp port $PORT" 2>"$work/tcpdump.log" &
	tcpdump_pid=$!
	for _ in $(seq 100); do
		grep -qs 'listening on' "$work/tcpdump.log" && break
		kill -0 "$tcpdump_pid" 2>/dev/null || break
		sleep 0.1
	done
	grep -qs 'listening on' "$work/tcpdump.log" || {
		cat "$work/tcpdump.log" >&2
		die "tcpdump did not start"
	}
	# Tversion, Tattach, per thread a Twalk and Tlopen, then n RPCs each,
	# a Tclunk each, and the end: about 2 * THREADS * (n + 3) + 4 messages
	n=$(((MESSAGES / 2 + THREADS - 1) / THREADS))
	gen="p9stress -t $THREADS -n $n -A EXPORT tcp:127.0.0.1:PORT check (diod $(dpkg-query -W -f '${Version}' diod 2>/dev/null || echo '?') -f -n)"
	echo "capturing: $gen"
	s=$(date +%s.%N)
	"$P9STRESS" -t "$THREADS" -n "$n" -A "$work/export" "tcp:127.0.0.1:$PORT" check ||
		die "p9stress failed"
	e=$(date +%s.%N)
	sleep 1
	kill -INT "$tcpdump_pid"
	wait "$tcpdump_pid" || true
	tcpdump_pid=
	cat "$work/tcpdump.log"
	drops=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel$/\1/p' "$work/tcpdump.log")
	drops=${drops:-?}
	[[ $drops == 0 ]] || echo "WARNING: tcpdump reports $drops packets dropped by the kernel" >&2
	gen+=", $(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.1f s", e - s }')"
	kill "$diod_pid" 2>/dev/null || true
	wait "$diod_pid" 2>/dev/null || true
	diod_pid=
fi
capbytes=$(stat -L -c %s "$CAP")
if command -v capinfos >/dev/null; then
	frames=$(capinfos -M -c -T -r "$CAP" | cut -f2)
else
	frames=$(tcpdump -r "$CAP" -n 2>/dev/null | wc -l)
fi

# --- 3: the same messages, both ways -------------------------------------------
ts=(tshark -n -r "$CAP" -d "tcp.port==$PORT,9p" -Y 9p)
echo "counting messages (untimed) ..."
summary=$("$TRACE9P" -s -r "$CAP" | head -n 1)
echo "  9ptrace -s: $summary"
read -r p_msgs _ <<<"$summary"
p_bad=$(sed -n 's/.*, \([0-9]*\) malformed.*/\1/p' <<<"$summary")
t_msgs=$("${ts[@]}" -T fields -e 9p.msgtype 2>/dev/null | tr ',' '\n' | grep -c .)
echo "  tshark: $t_msgs messages"
[[ $p_msgs == "$t_msgs" ]] || die "9ptrace counts $p_msgs messages, tshark $t_msgs"
[[ ${p_bad:-0} == 0 ]] || die "9ptrace finds $p_bad malformed messages"
((p_msgs >= MESSAGES)) || echo "WARNING: only $p_msgs messages (wanted $MESSAGES)" >&2

# --- 4: the timings --------------------------------------------------------------
tools=(p_line t_line p_json t_json p_verb t_verb p_sum t_sum)
declare -A cmd=(
	[p_line]="9ptrace -r CAP"
	[t_line]="tshark -n -r CAP -d tcp.port==P,9p -Y 9p"
	[p_json]="9ptrace -j -r CAP"
	[t_json]="tshark -n -r CAP -d tcp.port==P,9p -Y 9p -T json -j 9p"
	[p_verb]="9ptrace -v -r CAP"
	[t_verb]="tshark -n -r CAP -d tcp.port==P,9p -Y 9p -O 9p"
	[p_sum]="9ptrace -s -r CAP"
	[t_sum]="tshark -n -r CAP -d tcp.port==P,9p -Y 9p -q"
)
argv_of() { # argv_of NAME: the command, into A
	case $1 in
	p_line) A=("$TRACE9P" -r "$CAP") ;;
	p_json) A=("$TRACE9P" -j -r "$CAP") ;;
	p_verb) A=("$TRACE9P" -v -r "$CAP") ;;
	p_sum) A=("$TRACE9P" -s -r "$CAP") ;;
	t_line) A=("${ts[@]}") ;;
	t_json) A=("${ts[@]}" -T json -j 9p) ;;
	t_verb) A=("${ts[@]}" -O 9p) ;;
	t_sum) A=("${ts[@]}" -q) ;;
	esac
}
declare -A times=() rss=()

timeit() { # timeit NAME: seconds on stdout; max RSS (KiB) into $work/rss
	local s e A
	argv_of "$1"
	s=$(date +%s.%N)
	/usr/bin/time -f %M -o "$work/rss" "${A[@]}" >/dev/null 2>"$work/err" || {
		cat "$work/err" >&2
		return 1
	}
	e=$(date +%s.%N)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }'
}

load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "timing $RUNS rounds of ${tools[*]} on $p_msgs messages ..."
for r in $(seq 1 "$RUNS"); do
	for t in "${tools[@]}"; do
		secs=$(timeit "$t") || die "${cmd[$t]} failed (round $r)"
		times[$t]="${times[$t]:-} $secs"
		k=$(tail -n 1 "$work/rss")
		((k > ${rss[$t]:-0})) && rss[$t]=$k
		printf '  round %d  %-58s %9.3f s\n' "$r" "${cmd[$t]}" "$secs"
	done
done

best() { tr ' ' '\n' <<<"$*" | grep . | sort -g | head -n 1; }
declare -A b=()
for t in "${tools[@]}"; do b[$t]=$(best "${times[$t]}"); done

row() { # row TOOL PEER: one table line; PEER's time / TOOL's time
	awk -v c="${cmd[$1]}" -v s="${b[$1]}" -v n="$p_msgs" -v m="${rss[$1]}" \
	    -v peer="${b[$2]}" -v runs="${times[$1]# }" -v me="$1" 'BEGIN {
		gsub(/ /, ", ", runs)
		r = me ~ /^p_/ ? sprintf("**%.1fx**", peer / s) : "1x"
		printf "| `%s` | %.3f | %.0f | %.0f | %s | %s |\n", c, s, n / s, m / 1024, r, runs
	}'
}
table=$(
	printf '| command (output to /dev/null) | best s of %d | messages/s | max RSS MiB | vs tshark | runs (s) |\n' "$RUNS"
	printf '|---|---:|---:|---:|---:|---|\n'
	row p_line t_line; row t_line t_line
	row p_json t_json; row t_json t_json
	row p_verb t_verb; row t_verb t_verb
	row p_sum t_sum; row t_sum t_sum
)
ratio() { awk -v a="${b[$2]}" -v b="${b[$1]}" 'BEGIN { printf "%.1f", a / b }'; }
r_line=$(ratio p_line t_line) r_json=$(ratio p_json t_json)
r_verb=$(ratio p_verb t_verb) r_sum=$(ratio p_sum t_sum)
if awk -v a="$r_line" -v b="$r_json" -v c="$r_verb" -v d="$r_sum" \
    'BEGIN { exit !(a >= 10 && b >= 10 && c >= 10 && d >= 10) }'; then
	verdict=PASS
else
	verdict=MISS
fi
target="Target: 9ptrace at least 10x faster than tshark — $verdict (one line ${r_line}x, JSON ${r_json}x, every field ${r_verb}x, statistics ${r_sum}x)."

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
machine="$(nproc) CPUs, ${cpu:-unknown CPU}, $(uname -sr), $(awk '/^MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
rev=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ $rev != unknown ]] && [[ -n $(git -C "$repo" status --porcelain -- lib src 2>/dev/null) ]]; then
	rev+=" (+ uncommitted changes in lib/ src/)"
fi
tsv=$(tshark --version 2>/dev/null | head -n 1)

section=$(cat <<EOF
$SECTION

- date: $(date -u '+%Y-%m-%d %H:%M UTC')
- machine: $machine; load average at start $load
  (other work on the machine shows up as spread in the "runs" column)
- command: \`$cmdline\`
- capture: ${gen:-given}; tcpdump -i lo -s 0, packets dropped by the kernel:
  $drops; $((capbytes / 1048576)) MiB, $frames frames, $p_msgs 9P messages
  (9ptrace and tshark count the same), $p_msgs / 2 RPCs of Tgetattr and
  1 KiB Tread on one connection with $THREADS threads
- 9ptrace: \`$(basename "$TRACE9P")\` built from $rev; $tsv
- each command reads the capture and writes to /dev/null; tshark with -n
  (no name resolution) and -d tcp.port==P,9p (the server's port is not 564);
  "vs tshark" = tshark's time / 9ptrace's time for the same kind of output

$table

$target
EOF
)

echo
echo "$table"
echo
echo "$target"

# shellcheck source=bench/results.sh
. "$here/results.sh"
write_section "$RESULTS" "$SECTION" "$section"
