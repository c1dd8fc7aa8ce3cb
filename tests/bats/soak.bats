#!/usr/bin/env bats
# The soak, short: scripts/soak.sh for 2 minutes of mixed load (writers,
# readers, renames, folder churn, interrupted and killed calls) on 9pfuse
# mounts of diod, with the binaries of P9_BUILD (the sanitized build in
# CI).  Its verdict must be PASS, and its sample lines, read again here,
# must show no growth: the script's own arithmetic is not taken on trust.

load helpers

setup() {
	command -v diod >/dev/null || skip "diod is not installed"
	[ -x "$FUSE" ] || skip "9pfuse is not built in $P9_BUILD"
	[ -c /dev/fuse ] || skip "no /dev/fuse"
}

# the sample lines: "soak: SECONDS RSS_MIB FIDS TAGS NODES OPEN ..."
samples() { grep -E '^soak: +[0-9]+ +[0-9.]+ ' <<<"$output" | sed 's/^soak: *//'; }

@test "soak: 2 minutes of mixed load: no errors, no wrong data, no growth, clean exit" {
	run timeout 900 env DURATION=120 SAMPLE=5 WARMUP=60 RESULTS= \
	    P9_BUILD="$P9_BUILD" "$BATS_TEST_DIRNAME/../../scripts/soak.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[-1]} == "soak: PASS: "* ]]
	! grep -q '^soak: problem:' <<<"$output"

	# every sample taken, the load busy all along, no failed operation
	[ "$(samples | wc -l)" -eq 24 ]
	samples | awk '{ if ($9 <= last) exit 1; last = $9 }'
	[ "$(samples | awk 'END { print $10 }')" -eq 0 ]
	# some calls really were interrupted
	grep -Eq '^soak: operations: .*eintr [1-9]' <<<"$output"

	# no growth: after the warm-up, RSS and fids stay within the
	# warm-up's largest x 1.2 plus 2 MiB and 16 fids.  The warm-up is
	# 60 s: under AddressSanitizer (CI) RSS climbs for the first minute
	# as the 16 MiB quarantine of freed memory fills, then levels off
	samples | awk '
		$1 <= 60 { if ($2 > rss) rss = $2; if ($3 > fids) fids = $3; next }
		{ n++; r[n] = $2; f[n] = $3 }
		END {
			if (n < 3) exit 1
			for (i = n - 2; i <= n; i++) {
				if (r[i] > rss * 1.2 + 2.1) bad = 1	# MiB, rounded
				if (f[i] > fids * 1.2 + 16) bad = 1
			}
			exit bad
		}'

	# nothing held once the load is gone, and after drop_caches the
	# fids and nodes of both mounts are back at the baseline
	grep -Eq '^soak: main 9pfuse idle: .*tags 0 in flight, .*open files 0,' <<<"$output"
	grep -Eq '^soak: direct 9pfuse idle: .*tags 0 in flight, .*open files 0,' <<<"$output"
	base=$(sed -n 's/^soak: baseline.* main: [^:]*: fids \([0-9]*\),[^;]* nodes \([0-9]*\),.*/\1 \2/p' <<<"$output")
	after=$(sed -n 's/^soak: after drop_caches: main: [^:]*: fids \([0-9]*\),[^;]* nodes \([0-9]*\),.*/\1 \2/p' <<<"$output")
	[ -n "$base" ]
	[ "$after" = "$base" ]
}
