#!/usr/bin/env bash
#
# bench/get.sh - whole-file read throughput: 9pctl (get, cat) vs diodcat,
# against a diod this script starts itself on 127.0.0.1 (TCP, no auth).
#
# What it does, in one run:
#   1. creates a SIZE_MB MiB file of /dev/urandom bytes in a temp dir
#      (under $TMPDIR, default /var/tmp), starts `diod -f -n` exporting that
#      dir on a free loopback port, waits until the port accepts connections;
#      diod is killed and the temp dir removed on exit (trap).
#   2. warms the page cache once (`cat FILE > /dev/null`): every reader, local
#      or diod, then reads from the page cache, so this measures the 9P
#      path (client + TCP loopback + diod), not the disk.
#   3. checks each remote reader once, untimed (output piped to cmp), then
#      times RUNS rounds, interleaved, of:
#        cat FILE > /dev/null                  local ceiling
#        cat FILE > OUT                        local ceiling for a reader that writes a file
#        diodcat -s ... -a DIR FILE > /dev/null   peer client, one Tread in flight
#        diodcat -s ... -a DIR FILE > OUT      the same writing a file (like-for-like with get)
#        9pctl ... cat FILE > /dev/null        several Treads in flight
#        9pctl ... get FILE OUT                several Treads in flight, writes OUT
#      OUT from the first timed get is cmp'd against FILE; OUT is removed
#      after every get.  The median of the RUNS timings is reported.
#   4. prints a table and replaces the section
#      "## 9pctl get vs diodcat (diod over TCP)" of bench/RESULTS.md
#      (other sections are kept).  Target: 9pctl >= 2x diodcat, like for like
#      (get vs diodcat > OUT, cat vs diodcat > /dev/null).
#
# Environment:
#   SIZE_MB  file size in MiB (default 1024)
#   RUNS     timed rounds, median taken (default 3)
#   MSIZE    msize asked for by both 9pctl (-m) and diodcat (-m); default:
#            each client's default.  diod 1.0.24 caps msize at 65536 in code
#            (diod_register_ops: srv->msize = 65536), there is no option or
#            diod.conf key to raise it; the negotiated value is reported.
#   NINEPCTL path of 9pctl (default: build/9pctl next to this script's repo)
#   DIOD, DIODCAT  paths of diod and diodcat (default: from PATH, /usr/sbin)
#   RESULTS  results file (default bench/RESULTS.md); RESULTS=/dev/null skips
#
# Exit status: 0 when every tool succeeded and the copies compared equal,
# whether the target was met or not (a benchmark is not a test); non-zero if
# a tool failed, diod did not come up, or cmp found a difference.

set -euo pipefail

export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-3}
MSIZE=${MSIZE:-}
NINEPCTL=${NINEPCTL:-$repo/build/9pctl}
PATH=$PATH:/usr/sbin:/sbin
DIOD=${DIOD:-$(command -v diod || true)}
DIODCAT=${DIODCAT:-$(command -v diodcat || true)}
RESULTS=${RESULTS:-$here/RESULTS.md}
SECTION='## 9pctl get vs diodcat (diod over TCP)'

die() { echo "get.sh: $*" >&2; exit 1; }

[[ $SIZE_MB =~ ^[1-9][0-9]*$ ]] || die "SIZE_MB must be a positive integer"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
[[ -z $MSIZE || $MSIZE =~ ^[1-9][0-9]*$ ]] || die "MSIZE must be a positive integer"
[[ -x $NINEPCTL ]] || die "no 9pctl at $NINEPCTL (build it: cd build && make 9pctl)"
[[ -n $DIOD && -x $DIOD ]] || die "diod not found (apt-get install diod)"
[[ -n $DIODCAT && -x $DIODCAT ]] || die "diodcat not found (apt-get install diod)"

# The exact command line, for RESULTS.md.
cmdline="SIZE_MB=$SIZE_MB RUNS=$RUNS"
[[ -n $MSIZE ]] && cmdline+=" MSIZE=$MSIZE"
cmdline+=" bench/get.sh"

# --- temp dir, test file ---------------------------------------------------
base=${TMPDIR:-/var/tmp}
[[ $base == /* ]] || base=$(cd "$base" && pwd)
avail_mb=$(df -Pm "$base" | awk 'NR==2 {print $4}')
(( avail_mb > 2 * SIZE_MB + 64 )) ||
	die "need $((2 * SIZE_MB + 64)) MiB free in $base, have $avail_mb"
work=$(mktemp -d "$base/9pbench.XXXXXX")
export_dir=$work/export
mkdir "$export_dir"
name=data.bin
file=$export_dir/$name
out=$work/out.bin
diod_pid=

cleanup() {
	if [[ -n $diod_pid ]] && kill -0 "$diod_pid" 2>/dev/null; then
		kill "$diod_pid" 2>/dev/null || true
		wait "$diod_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "creating $SIZE_MB MiB of /dev/urandom in $file ..."
head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom > "$file"
bytes=$(stat -c %s "$file")

# --- diod on a free port -----------------------------------------------------
port_busy() { ss -Htan 2>/dev/null | awk '{print $4}' | grep -q "[:.]$1\$"; }
can_connect() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

port=
for attempt in $(seq 1 20); do
	p=$(( 20000 + RANDOM % 40000 ))
	if command -v ss >/dev/null; then
		port_busy "$p" && continue
	else
		can_connect "$p" && continue
	fi
	"$DIOD" -f -n -l "127.0.0.1:$p" -e "$export_dir" -L "$work/diod.log" &
	diod_pid=$!
	for _ in $(seq 1 100); do	# up to 10 s
		kill -0 "$diod_pid" 2>/dev/null || break
		if can_connect "$p"; then port=$p; break; fi
		sleep 0.1
	done
	[[ -n $port ]] && break
	kill "$diod_pid" 2>/dev/null || true
	wait "$diod_pid" 2>/dev/null || true
	diod_pid=
done
if [[ -z $port ]]; then
	cat "$work/diod.log" >&2 2>/dev/null || true
	die "could not start diod on a free port"
fi
echo "diod (pid $diod_pid) exports $export_dir on 127.0.0.1:$port"

addr=tcp:127.0.0.1:$port
mopt=()
[[ -n $MSIZE ]] && mopt=(-m "$MSIZE")
ctl() { "$NINEPCTL" -a "$addr" -A "$export_dir" "${mopt[@]}" "$@"; }

version=$(ctl version) || die "9pctl version failed"
msize=$(awk '{for (i = 1; i < NF; i++) if ($i == "msize") print $(i + 1)}' <<<"$version")
[[ -n $msize ]] || msize="? ($version)"
echo "9pctl version: $version"
dc_msize=${MSIZE:-65536}	# diodcat's default, see diodcat --help

# --- the readers -------------------------------------------------------------
t_cat()     { cat "$file" > /dev/null; }
t_catout()  { cat "$file" > "$out"; }
t_diodcat() { "$DIODCAT" -s "127.0.0.1:$port" -a "$export_dir" "${mopt[@]}" "$name" > /dev/null; }
t_dcout()   { "$DIODCAT" -s "127.0.0.1:$port" -a "$export_dir" "${mopt[@]}" "$name" > "$out"; }
t_ctlcat()  { ctl cat "$name" > /dev/null; }
t_ctlget()  { ctl get "$name" "$out"; }

tools=(cat catout diodcat dcout ctlcat ctlget)
declare -A label=(
	[cat]="cat FILE (local)"
	[catout]="cat FILE > OUT (local)"
	[diodcat]="diodcat > /dev/null"
	[dcout]="diodcat > OUT"
	[ctlcat]="9pctl cat > /dev/null"
	[ctlget]="9pctl get FILE OUT"
)
declare -A times=()

now() { date +%s.%N; }
timeit() {	# timeit FUNC: prints elapsed seconds, fails if FUNC fails
	local s e
	s=$(now)
	"$1" || return 1
	e=$(now)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.4f", e - s }'
}

echo "warming the page cache: cat FILE > /dev/null (all readers then read from page cache)"
cat "$file" > /dev/null

echo "checking each remote reader once (untimed, output compared with cmp) ..."
"$DIODCAT" -s "127.0.0.1:$port" -a "$export_dir" "${mopt[@]}" "$name" | cmp - "$file" ||
	die "diodcat output differs from FILE (or diodcat failed)"
ctl cat "$name" | cmp - "$file" ||
	die "9pctl cat output differs from FILE (or 9pctl failed)"

load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "timing $RUNS rounds of ${tools[*]} on $SIZE_MB MiB ..."
for r in $(seq 1 "$RUNS"); do
	for t in "${tools[@]}"; do
		rm -f "$out"
		if ! secs=$(timeit "t_$t"); then
			[[ -s $work/diod.log ]] && tail -20 "$work/diod.log" >&2
			die "${label[$t]} failed (round $r)"
		fi
		if [[ $t == ctlget && $r == 1 ]]; then
			cmp "$out" "$file" || die "9pctl get: OUT differs from FILE"
			echo "  9pctl get output matches FILE (cmp)"
		fi
		rm -f "$out"
		times[$t]="${times[$t]:-} $secs"
		printf '  round %d  %-22s %8.3f s\n' "$r" "${label[$t]}" "$secs"
	done
done

median() { tr ' ' '\n' <<<"$*" | grep . | sort -g |
	awk '{v[NR] = $1} END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A med=()
for t in "${tools[@]}"; do med[$t]=$(median ${times[$t]}); done

mb=$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')
table=$(
	printf '| tool | seconds (median of %d) | MB/s | vs diodcat | vs local cat | runs (s) |\n' "$RUNS"
	printf '|---|---:|---:|---:|---:|---|\n'
	for t in "${tools[@]}"; do
		awk -v n="${label[$t]}" -v s="${med[$t]}" -v mb="$mb" -v d="${med[diodcat]}" \
		    -v c="${med[cat]}" -v runs="${times[$t]# }" 'BEGIN {
			gsub(/ /, ", ", runs)
			printf "| %s | %.3f | %.0f | %.2fx | %.2f | %s |\n", n, s, mb / s, d / s, c / s, runs
		}'
	done
)
ratio=$(awk -v d="${med[diodcat]}" -v g="${med[ctlget]}" 'BEGIN { printf "%.2f", d / g }')
ratio_cat=$(awk -v d="${med[diodcat]}" -v g="${med[ctlcat]}" 'BEGIN { printf "%.2f", d / g }')
ratio_out=$(awk -v d="${med[dcout]}" -v g="${med[ctlget]}" 'BEGIN { printf "%.2f", d / g }')
# like for like: get and diodcat both writing OUT, cat and diodcat both to /dev/null
if awk -v a="$ratio_out" -v b="$ratio_cat" 'BEGIN { exit !(a >= 2 && b >= 2) }'; then
	verdict=PASS
else
	verdict=MISS
fi
target="Target: 9pctl at least 2x diodcat, like for like — $verdict (9pctl get ${ratio_out}x diodcat > OUT; 9pctl cat ${ratio_cat}x diodcat > /dev/null). Unlike for like, get writing a file vs diodcat to /dev/null: ${ratio}x, bounded by the page-cache write that local \`cat FILE > OUT\` pays too."

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
machine="$(nproc) CPUs, ${cpu:-unknown CPU}, $(uname -sr), $(awk '/^MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
diod_ver=$(dpkg-query -W -f '${Version}' diod 2>/dev/null || echo unknown)
rev=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ $rev != unknown ]] && ! git -C "$repo" diff --quiet HEAD -- lib src 2>/dev/null; then
	rev+=" (+ uncommitted changes in lib/ src/)"
fi

section=$(cat <<EOF
$SECTION

- date: $(date -u '+%Y-%m-%d %H:%M UTC')
- machine: $machine; load average at start $load
  (other work on the machine shows up as spread in the "runs" column)
- command: \`$cmdline\`
- file: $SIZE_MB MiB ($bytes bytes) of random data, page cache warmed once
  (\`cat FILE > /dev/null\`), so every reader reads from page cache; diod and
  the clients talk over TCP on 127.0.0.1
- msize negotiated: 9pctl $msize (9pctl \`version\`); diodcat asks $dc_msize;
  diod $diod_ver caps msize at 65536 in its code (no option or diod.conf key
  raises it)
- 9pctl: \`$(basename "$NINEPCTL")\` built from $rev; \`cat\`/\`get\` keep several
  Treads in flight, diodcat keeps one
- "vs diodcat" = diodcat time / tool time (speed-up over diodcat);
  "vs local cat" = local cat time / tool time (fraction of the local ceiling)

$table

$target
EOF
)

echo
echo "$table"
echo
echo "msize: 9pctl negotiated $msize, diodcat asks $dc_msize (diod caps at 65536)"
echo "$target"

# --- RESULTS.md: replace only our section ----------------------------------
. "$(dirname "${BASH_SOURCE[0]}")/results.sh"
write_section "$RESULTS" "$SECTION" "$section"
