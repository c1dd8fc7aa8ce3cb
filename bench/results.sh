# bench/results.sh - sourced by the bench scripts: write_section RESULTS
# HEADING TEXT replaces the section of RESULTS that starts with the line
# HEADING (up to the next "## " heading) with TEXT, in place, or appends
# it; RESULTS=/dev/null writes nothing.
write_section() {
	local results=$1 head=$2 text=$3 tmp
	[[ $results != /dev/null ]] || return 0
	tmp=$(mktemp "$results.XXXXXX")
	if [[ -s $results ]]; then
		awk -v head="$head" -v new_file=/dev/stdin '
			function emit() { while ((getline l < new_file) > 0) print l; done = 1 }
			$0 == head { if (!done) emit(); skip = 1; next }
			skip && /^## / { skip = 0; print ""; }
			!skip { print }
			END { if (!done) { print ""; emit() } }
		' "$results" <<<"$text" >"$tmp"
	else
		printf '# 9ptools benchmark results\n\nWritten by the scripts in bench/ (see bench/README.md).\n\n%s\n' \
			"$text" >"$tmp"
	fi
	chmod 644 "$tmp"
	mv "$tmp" "$results"
	echo "updated $results"
}
