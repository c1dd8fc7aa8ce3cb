#!/usr/bin/env bats
# 9pctl's shell against diod (9P2000.L) and p9srv (9P2000, 9P2000.u):
# driven through a pseudo-terminal (tmux) for completion, history, Ctrl-C
# and progress, and as a script on standard input for the raw messages,
# whose effects are checked on the exported folder itself.

load helpers

setup_file() {
	export EXPORT=$BATS_FILE_TMPDIR/export
	mkdir -p "$EXPORT/subdir"
	printf 'first line\nsecond line\n' >"$EXPORT/subdir/file.txt"
	head -c 40 /dev/urandom >"$EXPORT/bin.dat"
	start_diod "$EXPORT" tcp
}

teardown_file() {
	stop_pid "$DIOD_PID"
}

setup() {
	T=$BATS_TEST_TMPDIR
	export XDG_STATE_HOME=$T/state
	ctl() { "$CTL" -a "$ADDR" -A "$EXPORT" "$@"; }
	sh9() { "$CTL" -a "$ADDR" -A "$EXPORT" "$@" shell; }
}

teardown() {
	[ -S "$(tm_sock)" ] && tm kill-server 2>/dev/null
	stop_pid "${SRV_PID:-}"
	# sanitizer reports of programs run in the terminal land here
	if ls "$BATS_TEST_TMPDIR"/asan.* >/dev/null 2>&1; then
		cat "$BATS_TEST_TMPDIR"/asan.*
		return 1
	fi
}

# ---- the pseudo-terminal: one tmux server per test ---------------------------

# Each terminal has a tmux server of its own: a new server on the socket
# of one just killed can fail ("server exited unexpectedly") while the
# old one is still going away.
TM_N=0
tm_sock() { echo "$BATS_TEST_TMPDIR/tmux.$TM_N.sock"; }
tm() { tmux -S "$(tm_sock)" -f /dev/null "$@"; }
tm_kill() { tm kill-server; TM_N=$((TM_N + 1)); }

# tm_run CMD: run CMD in a 200x50 terminal; its exit status goes to
# $T/status when it ends, its sanitizer reports (if any) to $T/asan.*
tm_run() {
	command -v tmux >/dev/null || skip "tmux is not installed"
	local asan="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$T/asan"
	tm new-session -d -x 200 -y 50 \
	    "cd '$T' && env ASAN_OPTIONS='$asan' XDG_STATE_HOME='$XDG_STATE_HOME' $1; echo \$? >'$T/status'; sleep 600"
}

# what the terminal shows, blanks at the ends of lines dropped
screen() { tm capture-pane -p -J -S -1000 | sed 's/ *$//'; }

# tm_wait ERE: until the terminal shows a line matching ERE (10 s)
tm_wait() {
	for _ in $(seq 200); do
		screen | grep -qE -- "$1" && return 0
		sleep 0.05
	done
	echo "the terminal never showed: $1"
	screen
	return 1
}

# tm_exit: wait for the program to end; its status
tm_exit() {
	for _ in $(seq 200); do
		[ -s "$T/status" ] && { cat "$T/status"; return 0; }
		sleep 0.05
	done
	echo "the program did not end" >&2
	screen >&2
	return 1
}

keys() { tm send-keys "$@"; }
type_line() { tm send-keys -l "$1"; tm send-keys Enter; }

qid() { printf '%016x' "$(stat -c %i "$1")"; }

# ---- in a terminal -----------------------------------------------------------

@test "9pctl -a ADDR alone on a terminal opens the shell; Tab completes commands, paths, walk names" {
	tm_run "$CTL -a $ADDR -A $EXPORT"
	tm_wait "^9pctl:/>$"
	screen | grep -q "9P2000.L, msize 65536; help lists the commands"
	keys -l "ca"; keys Tab; keys -l "sub"; keys Tab; keys -l "fi"; keys Tab
	tm_wait "^9pctl:/> cat subdir/file.txt$"
	keys Enter
	tm_wait "^second line$"
	[ "$(screen | grep -A2 '^9pctl:/> cat subdir/file.txt' | tail -2)" = \
	    "$(cat "$EXPORT/subdir/file.txt")" ]
	# two Tabs list what a prefix may become
	keys -l "c"; keys Tab Tab
	tm_wait "^cat +cd +clunk +create$"
	keys C-u
	# walk completes a name in the directory its fid leads to
	keys -l "walk 0 1 sub"; keys Tab; keys -l "fi"; keys Tab
	tm_wait "^9pctl:/> walk 0 1 subdir file.txt"
	keys Enter
	tm_wait "^Rwalk tag [0-9]+ nwqid 2 0:\($(qid "$EXPORT/subdir") 0 d\) 1:\($(qid "$EXPORT/subdir/file.txt") 0 \)$"
	type_line "quit"
	[ "$(tm_exit)" = 0 ]
}

@test "history is kept across runs in XDG_STATE_HOME and recalled with the up arrow" {
	tm_run "$CTL -a $ADDR -A $EXPORT shell"
	tm_wait "^9pctl:/>$"
	type_line "pwd"
	type_line " ls"		# a leading blank keeps a line out
	type_line "cd subdir"
	type_line "pwd"
	type_line "pwd"		# a repeat is kept once
	tm_wait "^9pctl:/subdir> "
	type_line "exit"
	[ "$(tm_exit)" = 0 ]
	[ "$(cat "$XDG_STATE_HOME/9pctl/history")" = "$(printf 'pwd\ncd subdir\npwd\nexit')" ]
	tm_kill
	rm -f "$T/status"
	tm_run "$CTL -a $ADDR -A $EXPORT shell"
	tm_wait "^9pctl:/>$"
	keys Up Up Up
	tm_wait "^9pctl:/> cd subdir$"
	keys Enter
	tm_wait "^9pctl:/subdir>$"
	type_line "ls"
	tm_wait "^file.txt$"
	type_line "quit 7"
	[ "$(tm_exit)" = 7 ]
}

@test "raw walk, lopen and read in a terminal: qids are the inodes, the bytes are the file's" {
	f=$EXPORT/subdir/file.txt
	tm_run "$CTL -a $ADDR -A $EXPORT"
	tm_wait "^9pctl:/>$"
	type_line "walk 0 1 subdir file.txt"
	tm_wait "^Rwalk tag [0-9]+ nwqid 2 0:\($(qid "$EXPORT/subdir") 0 d\) 1:\($(qid "$f") 0 \)$"
	type_line "lopen 1 O_RDONLY"
	tm_wait "^Rlopen tag [0-9]+ qid \($(qid "$f") 0 \) iounit 0$"
	type_line "read 1 0 100"
	tm_wait "^Rread tag [0-9]+ count $(stat -c %s "$f")$"
	[ "$(screen | grep -A2 '^Rread tag' | tail -2)" = "$(cat "$f")" ]
	type_line "read 1 6 5"
	tm_wait "^Rread tag [0-9]+ count 5$"
	screen | grep -A1 'count 5$' | tail -1 | grep -qx "line"
	# binary data is shown as hexdump -C shows it
	type_line "walk 0 2 bin.dat"
	type_line "lopen 2"
	type_line "read 2 0 40"
	tm_wait "^Rread tag [0-9]+ count 40$"
	diff <(screen | grep -A3 'count 40$' | tail -3) \
	    <(hexdump -C "$EXPORT/bin.dat" | head -3)
	type_line "fids"
	tm_wait "^2 .*O_RDONLY +/bin.dat$"
	screen | grep -qE "^1 +\($(qid "$f") 0 \) +O_RDONLY +/subdir/file.txt$"
	screen | grep -qE "^0 +\($(qid "$EXPORT") 0 d\) +- +/ \(root\)$"
	type_line "quit"
	[ "$(tm_exit)" = 0 ]
}

@test "errors are shown as errno names, in a terminal" {
	tm_run "$CTL -a $ADDR -A $EXPORT"
	tm_wait "^9pctl:/>$"
	type_line "walk 0 3 nosuch"
	tm_wait "^Rlerror tag [0-9]+ ecode 2 \(ENOENT\)$"
	type_line "lopen 0 O_WRONLY"
	tm_wait "^Rlerror tag [0-9]+ ecode 21 \(EISDIR\)$"
	type_line "mkdir 0 subdir"
	tm_wait "^Rlerror tag [0-9]+ ecode 17 \(EEXIST\)$"
	type_line "stat 0"
	tm_wait "^9pctl: stat: Tstat is not a 9P2000.L message$"
	type_line "fids"
	tm_wait "^0 "
	! screen | grep -qE "^3 "
	type_line "quit"
	[ "$(tm_exit)" = 0 ]
}

@test "Ctrl-C clears the line at the prompt, and flushes a read the server holds" {
	mkdir -p "$T/p9"
	printf 'held data\n' >"$T/p9/held.txt"
	port=$(free_port)
	"$P9SRV" -S held -l "127.0.0.1:$port" "$T/p9" 2>/dev/null &
	SRV_PID=$!
	wait_tcp "$port"
	tm_run "$CTL -a tcp:127.0.0.1:$port"
	tm_wait "^9pctl:/>$"
	keys -l "no such command"
	# (a ^C discards what the terminal has not handed over yet)
	tm_wait "^9pctl:/> no such command$"
	keys C-c
	tm_wait "^9pctl:/> no such command\^C$"
	type_line "pwd"
	tm_wait "^/$"
	! screen | grep -q "unknown command"
	type_line "walk 0 1 held.txt"
	type_line "open 1"
	tm_wait "^Ropen tag"
	type_line "read 1 0 4"
	sleep 0.5
	! screen | grep -q "^Rread"
	keys C-c
	tm_wait "^tag [0-9]+: flushed, no reply$"
	tm_wait "^\^C$"
	tm_wait "^9pctl:/>$"
	type_line "fids"
	tm_wait "^1 .*OREAD.* /held.txt$"
	type_line "read 1 0 4"
	sleep 0.5
	keys C-c
	for _ in $(seq 100); do
		[ "$(screen | grep -c '^tag [0-9]*: flushed, no reply$')" -eq 2 ] &&
			break
		sleep 0.05
	done
	[ "$(screen | grep -c '^tag [0-9]*: flushed, no reply$')" -eq 2 ]
	tm_wait "^9pctl:/>$"
	type_line "quit"
	[ "$(tm_exit)" = 1 ]	# the flushed read was the last command
}

@test "get and put show bytes, rate and ETA on a terminal, nothing otherwise" {
	head -c $((160 << 20)) /dev/urandom >"$EXPORT/big"
	tm_run "sleep 0.5; $CTL -a $ADDR -A $EXPORT -m 4096 get big got"
	tm pipe-pane -o "cat >>'$T/pane.log'"
	[ "$(tm_exit)" = 0 ]
	cmp "$EXPORT/big" "$T/got"
	tr '\r' '\n' <"$T/pane.log" | grep -aE "^big +[0-9]+%  [0-9.]+ MiB / 160.0 MiB  [0-9.]+ MiB/s  ETA [0-9]+:[0-9]{2}"
	tr '\r' '\n' <"$T/pane.log" | grep -aE "^big  100%  160.0 MiB / 160.0 MiB  [0-9.]+ MiB/s  in [0-9]+:[0-9]{2}"
	# in the shell, put too
	tm_kill
	rm -f "$T/status" "$T/pane.log"
	tm_run "$CTL -a $ADDR -A $EXPORT -m 4096"
	tm pipe-pane -o "cat >>'$T/pane.log'"
	tm_wait "^9pctl:/>$"
	type_line "put got big.up"
	tm_wait "^got  100%  160.0 MiB / 160.0 MiB  [0-9.]+ MiB/s  in [0-9]+:[0-9]{2}"
	tr '\r' '\n' <"$T/pane.log" | grep -aE "^got +[0-9]+%.*ETA [0-9]+:[0-9]{2}"
	cmp "$EXPORT/big" "$EXPORT/big.up"
	type_line "quit"
	[ "$(tm_exit)" = 0 ]
	# not a terminal: not a byte on stderr
	ctl -m 4096 get big "$T/got2" 2>"$T/err"
	cmp "$EXPORT/big" "$T/got2"
	[ ! -s "$T/err" ]
	ctl -m 4096 put "$T/got2" big.up2 2>"$T/err"
	[ ! -s "$T/err" ]
	rm -f "$EXPORT/big" "$EXPORT/big.up" "$EXPORT/big.up2"
}

# ---- as a script -------------------------------------------------------------

@test "script: raw walk, lopen and read give the file's exact bytes; read -x is hexdump -C" {
	f=$EXPORT/subdir/file.txt
	run sh9 <<-'EOF'
		walk 0 1 subdir file.txt
		lopen 1 O_RDONLY
		read 1 0 1000
		walk 0 2 bin.dat
		lopen 2
		read -x 2 0 40
		read -x 2 8 20
		clunk 1
		fids
	EOF
	echo "$output"
	[ "$status" -eq 0 ]
	diff <(echo "$output" | sed -n '4,5p') "$f"
	[[ "${lines[2]}" =~ ^Rread\ tag\ [0-9]+\ count\ 23$ ]]
	diff <(echo "$output" | sed -n '9,11p') <(hexdump -C "$EXPORT/bin.dat" | head -3)
	diff <(echo "$output" | sed -n '13,14p') \
	    <(hexdump -C -s 8 -n 20 "$EXPORT/bin.dat" | head -2)
	[[ "${lines[14]}" =~ ^Rclunk\ tag\ [0-9]+$ ]]
	# the clunked fid left the table
	[ "$(echo "$output" | tail -3 | awk '{ print $1 }' | tr '\n' ' ')" = "FID 0 2 " ]
}

@test "script: what raw messages make, rename and remove is seen in the exported folder" {
	mkdir -p "$EXPORT/raw"
	printf 'old' >"$EXPORT/raw/victim"
	printf 'mv' >"$EXPORT/raw/tomove"
	run sh9 <<-'EOF'
		walk 0 1 raw
		lcreate 1 new.txt O_WRONLY|O_CREAT|O_TRUNC 0640
		write 1 0 "hello,\tworld\n"
		write 1 14 two words
		write -x 1 23 000aff
		fsync 1
		clunk 1
		walk 0 2 raw
		mkdir 2 dir 0750
		symlink 2 link new.txt
		mknod 2 fifo p600
		walk 2 3 new.txt
		link 2 3 hard
		walk 2 4 link
		readlink 4
		setattr 3 mode=0604 mtime=1000000000
		getattr 3 basic
		walk 2 5 dir
		walk 2 6 tomove
		rename 6 5 moved
		renameat 2 victim 5 victim
		unlinkat 2 victim
		walk 2 7 victim
		remove 7
		statfs 2
	EOF
	echo "$output"
	cmp "$EXPORT/raw/new.txt" <(printf 'hello,\tworld\n\0two words\0\n\377')
	[ "$(stat -c %a "$EXPORT/raw/new.txt")" = 604 ]
	[ "$(stat -c %Y "$EXPORT/raw/new.txt")" = 1000000000 ]
	[ "$(stat -c %a "$EXPORT/raw/dir")" = 750 ]
	[ "$(readlink "$EXPORT/raw/link")" = new.txt ]
	[ -p "$EXPORT/raw/fifo" ] && [ "$(stat -c %a "$EXPORT/raw/fifo")" = 600 ]
	[ "$(stat -c %i "$EXPORT/raw/hard")" = "$(stat -c %i "$EXPORT/raw/new.txt")" ]
	[ "$(cat "$EXPORT/raw/dir/moved")" = mv ] && [ ! -e "$EXPORT/raw/tomove" ]
	[ ! -e "$EXPORT/raw/victim" ]
	echo "$output" | grep -qx "Rreadlink tag [0-9]* target new.txt"
	size=$(stat -c %s "$EXPORT/raw/new.txt")
	echo "$output" | grep -qE "^Rgetattr tag [0-9]+ valid 0x[0-9a-f]+ qid \($(qid "$EXPORT/raw/new.txt") 0 \) mode 0100604 .* nlink 2 .* size $size "
	# diod 1.0.24 has neither Trenameat nor Tunlinkat
	echo "$output" | grep -A1 "^Rrename tag" | tail -1 | grep -qE "^Rlerror tag [0-9]+ ecode 95 \(EOPNOTSUPP\)$"
	echo "$output" | grep -qE "^Rremove tag [0-9]+$"
	bsize=$(stat -f -c %s "$EXPORT")
	echo "$output" | grep -qE "^Rstatfs tag [0-9]+ fstype 0x[0-9a-f]+ bsize $bsize blocks $(stat -f -c %b "$EXPORT") "
	[ "$status" -eq 0 ]	# the last command's
}

@test "script: readdir, xattrs and locks" {
	mkdir -p "$EXPORT/rd"
	touch "$EXPORT/rd/a" "$EXPORT/rd/bb"
	printf 'x' >"$EXPORT/rd/locked"
	run sh9 <<-'EOF'
		walk 0 1 rd
		lopen 1 O_RDONLY|O_DIRECTORY
		readdir 1
		walk 0 2 rd locked
		xattrcreate 2 user.color 4
		write 2 0 blue
		clunk 2
		walk 0 3 rd locked
		xattrwalk 3 4 user.color
		read 4
		xattrwalk 3 5
		read 5
		lopen 3 O_RDWR
		walk 0 6 rd locked
		lopen 6 O_RDWR
		lock 3 wr 0 0 0 1 one
		lock 6 wr 0 0 0 2 two
		getlock 6 wr 0 0 2 two
		lock 3 un
		lock 6 wr 0 0 0 2 two
	EOF
	echo "$output"
	[ "$status" -eq 0 ]
	for n in . .. a bb locked; do
		echo "$output" | grep -qE "^  \([0-9a-f]{16} 0 d?\) offset [0-9]+ type [0-9]+ $n$"
	done
	echo "$output" | grep -qE "^  \($(qid "$EXPORT/rd/bb") 0 \) offset [0-9]+ type 8 bb$"
	[ "$(getfattr --only-values -n user.color "$EXPORT/rd/locked")" = blue ]
	echo "$output" | grep -A1 "^Rxattrwalk tag [0-9]* size 4$" | tail -1 | grep -q Rread
	echo "$output" | grep -qx blue
	echo "$output" | grep -qE '^00000000  75 73 65 72 2e 63 6f 6c  6f 72 00 .*\|user.color.\|$'
	# the first lock is granted, the second (another owner) waits until
	# the first is let go
	[ "$(echo "$output" | grep -E '^R(get)?lock ' | sed 's/tag [0-9]* //' | tr '\n' ';')" = \
	    "Rlock status 0;Rlock status 1;Rgetlock locktype 1 start 0 length 0 proc_id 2 client_id two;Rlock status 0;Rlock status 0;" ]
}

@test "script: -e stops at the first failure with its status; without it every line runs" {
	run sh9 -e <<-'EOF'
		walk 0 1
		walk 0 2 no-such-file
		mkdir 0 after-e
	EOF
	[ "$status" -eq 1 ]
	[[ "$output" == *"Rlerror tag "*" ecode 2 (ENOENT)"* ]]
	[ ! -e "$EXPORT/after-e" ]
	run sh9 -e <<-'EOF'
		walk 0 1
		walk bogus
		mkdir 0 after-e
	EOF
	[ "$status" -eq 2 ]
	[[ "$output" == *"usage: walk FID NEWFID [NAME ...]"* ]]
	[ ! -e "$EXPORT/after-e" ]
	run sh9 <<-'EOF'
		walk 0 2 no-such-file
		mkdir 0 no-e
		# a comment, and an empty line

		walk 0 1 no-such-file
	EOF
	[ "$status" -eq 1 ]
	[ -d "$EXPORT/no-e" ]
	run sh9 <<<"nosuchcommand"
	[ "$status" -eq 2 ]
	[[ "$output" == *"nosuchcommand: unknown command (help lists them)"* ]]
	rmdir "$EXPORT/no-e"
}

@test "-t records the session's traffic in a file, for the shell and the commands" {
	ctl -t "$T/ls.trace" ls /
	[ -s "$T/ls.trace" ]
	sh9 -t "$T/sh.trace" <<<"walk 0 1 subdir"
	[ -s "$T/sh.trace" ]
	run ctl -t "$T/no/such/dir/t" ls /
	[ "$status" -eq 1 ]
}

@test "script: the everyday commands work relative to the current directory" {
	mkdir -p "$EXPORT/every/deep"
	printf 'payload\n' >"$EXPORT/every/deep/p.txt"
	printf 'local\n' >"$T/l.txt"
	cd "$T"
	run sh9 <<-EOF
		cd every
		pwd
		cd deep
		ls
		cat p.txt
		get p.txt got.txt
		put l.txt up.txt
		mkdir sub
		mv up.txt sub
		cd ..
		ls -R
		stat deep/p.txt
		rm -r deep/sub
		cd /
		pwd
		lcd $T/l.txt
		lpwd
	EOF
	echo "$output"
	[ "${lines[0]}" = "/every" ]
	[ "${lines[1]}" = "p.txt" ]
	[ "${lines[2]}" = "payload" ]
	cmp "$T/got.txt" "$EXPORT/every/deep/p.txt"
	[[ "$output" == *"deep/sub:"*"up.txt"* ]]
	[[ "$output" == *"  File: deep/p.txt"* ]]
	[ ! -e "$EXPORT/every/deep/sub" ]
	[[ "$output" == *$'\n/\n'* ]]
	[[ "$output" == *"9pctl: $T/l.txt: Not a directory"* ]]
	[ "${lines[-1]}" = "$T" ]
}

@test "fids the user picks are never handed to the everyday commands" {
	mkdir -p "$EXPORT/manyf"
	for i in $(seq 1 60); do echo "file $i" >"$EXPORT/manyf/f$i"; done
	script=
	for i in $(seq 1 8); do
		script+="walk 0 $i manyf f$i"$'\n'"lopen $i"$'\n'
	done
	script+="ls -l manyf"$'\n'"ls -l manyf"$'\n'
	for i in $(seq 1 8); do script+="read $i"$'\n'; done
	run sh9 -e <<<"$script"
	echo "$output"
	[ "$status" -eq 0 ]
	for i in $(seq 1 8); do
		echo "$output" | grep -qx "file $i"
	done
	[ "$(echo "$output" | grep -c '^-rw')" -eq 120 ]
}

@test "version: the fid table empties, fid 0 is attached again; diod will not raise a lowered msize" {
	run sh9 <<-'EOF'
		walk 0 1 subdir
		version
		fids
		ls
	EOF
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" =~ ^Rversion\ tag\ 65535\ msize\ 65536\ version\ 9P2000.L$ ]]
	[[ "${lines[2]}" =~ ^Rattach\ tag\ [0-9]+\ qid\ \($(qid "$EXPORT")\ 0\ d\)$ ]]
	[ "$(echo "$output" | grep -c '^[0-9] ')" -eq 1 ]
	[ "${lines[-1]}" = subdir ]
	run sh9 <<-'EOF'
		version 8192
		ls
	EOF
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" =~ ^Rversion\ tag\ 65535\ msize\ 8192\ version\ 9P2000.L$ ]]
	[[ "$output" == *"no longer grants 9P2000.L msize 65536"* ]]
	[[ "$output" != *"subdir"* ]]
}

@test "raw 9P2000.u: Rerror with text and errno, create, wstat, directory reads; flush of held reads" {
	mkdir -p "$T/p9"
	printf 'held data\n' >"$T/p9/held.txt"
	port=$(free_port)
	"$P9SRV" -S held -l "127.0.0.1:$port" "$T/p9" 2>/dev/null &
	SRV_PID=$!
	wait_tcp "$port"
	run "$CTL" -a "tcp:127.0.0.1:$port" shell <<-'EOF'
		walk 0 1 nosuch
		walk 0 1
		create 1 new.txt 0640 ORDWR
		write 1 0 "abc\n"
		wstat 1 name=renamed.txt
		fids
		lopen 1
		stat 1
		walk 0 2
		open 2
		read 2
		walk 0 3 held.txt
		open 3
		read 3 0 4 &
		read 3 4 4 &
		fids
		flush 4000
	EOF
	echo "$output"
	[ "$(cat "$T/p9/renamed.txt")" = abc ]
	[ "$(stat -c %a "$T/p9/renamed.txt")" = 640 ]
	[[ "${lines[0]}" =~ ^Rerror\ tag\ [0-9]+\ ename\ \'No\ such\ file\ or\ directory\'\ errno\ 2\ \(ENOENT\)$ ]]
	[[ "$output" == *"1 "*"ORDWR iounit "*" /renamed.txt"* ]]
	[[ "$output" == *"9pctl: lopen: Tlopen is not a 9P2000.u message"* ]]
	echo "$output" | grep -qE "^Rstat tag [0-9]+ stat renamed.txt root root root q \($(qid "$T/p9/renamed.txt") [0-9]+ \) m 0640 .* l 4 "
	echo "$output" | grep -qE "^  renamed.txt \($(qid "$T/p9/renamed.txt") [0-9]+ \) mode 0640 length 4 uid root gid root$"
	echo "$output" | grep -qE "^  held.txt .* length 10 "
	echo "$output" | grep -qE "^Tread tag [0-9]+ fid 3 offset 4 count 4$"
	echo "$output" | grep -qE "^tag [0-9]+ in flight: Tread$"
	echo "$output" | grep -qE "^Rflush tag [0-9]+$"
	# the held reads are flushed when the script ends
	[ "$(echo "$output" | grep -cE '^tag [0-9]+: flushed, no reply$')" -eq 2 ]
	# flushed by flush; with -F the server answers them first
	stop_pid "$SRV_PID"
	"$P9SRV" -F -S held -l "127.0.0.1:$port" "$T/p9" 2>/dev/null &
	SRV_PID=$!
	wait_tcp "$port"
	run "$CTL" -a "tcp:127.0.0.1:$port" -V 9P2000 shell <<-'EOF'
		walk 0 3 held.txt
		open 3
		read 3 0 4 &
		read 3 5 4 &
		flush
		fids
	EOF
	echo "$output"
	[ "$status" -eq 0 ]
	t1=$(echo "$output" | awk '/^Tread/ { print $3; exit }')
	t2=$(echo "$output" | awk '/^Tread/ { t = $3 } END { print t }')
	[ "$t1" != "$t2" ]
	[ "$(echo "$output" | grep -A1 "^Rread tag $t1 count 4$" | tail -1)" = held ]
	[ "$(echo "$output" | grep -A1 "^Rread tag $t2 count 4$" | tail -1)" = data ]
	[[ "$output" != *"in flight"* ]]
}
