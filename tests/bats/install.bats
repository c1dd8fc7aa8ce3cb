#!/usr/bin/env bats
# make install puts libp9 (shared and static), p9.h, libp9.pc, 9pctl and
# the man pages in place, and a program builds against them with
# pkg-config and talks to a real server.

load helpers

PLAIN=${P9_PLAIN_BUILD:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build}

setup_file() {
	export DEST=$BATS_FILE_TMPDIR/dest
	make -C "$PLAIN" install DESTDIR="$DEST" prefix=/usr/local >"$BATS_FILE_TMPDIR/install.log" 2>&1
}

@test "install lays out the library, header, pkg-config file, program and man pages" {
	p=$DEST/usr/local
	for f in lib/libp9.a lib/libp9.so include/p9.h lib/pkgconfig/libp9.pc \
	    bin/9pctl share/man/man1/9pctl.1 share/man/man3/libp9.3; do
		[ -e "$p/$f" ] || { echo "missing $f"; false; }
	done
	readelf -d "$p/lib/libp9.so" | grep -q 'SONAME.*libp9.so.0'
}

@test "a program built with pkg-config against the installed libp9 talks to diod" {
	p=$DEST/usr/local
	cat >"$BATS_TEST_TMPDIR/v.c" <<'C'
#include <stdio.h>
#include <p9.h>
int
main(int argc, char **argv)
{
	struct p9_opts o;
	struct p9_session *s;

	p9_opts_init(&o);
	o.aname = argv[2];
	if (argc != 3 || p9_dial(argv[1], &o, &s) != 0) {
		fprintf(stderr, "dial: %s\n", p9_errstr());
		return 1;
	}
	printf("%s %u\n", p9_dialect_name(p9_session_dialect(s)),
	    p9_session_msize(s));
	p9_session_close(s);
	return 0;
}
C
	flags=$(PKG_CONFIG_PATH=$p/lib/pkgconfig pkg-config --define-variable=prefix="$p" --cflags --libs --static libp9)
	cc -o "$BATS_TEST_TMPDIR/v" "$BATS_TEST_TMPDIR/v.c" $flags -Wl,-rpath,"$p/lib"
	mkdir -p "$BATS_TEST_TMPDIR/exp"
	start_diod "$BATS_TEST_TMPDIR/exp" tcp
	run "$BATS_TEST_TMPDIR/v" "$ADDR" "$BATS_TEST_TMPDIR/exp"
	stop_pid "$DIOD_PID"
	[ "$status" -eq 0 ]
	[ "$output" = "9P2000.L 65536" ]
}

@test "libp9(3) documents every function p9.h declares" {
	top=$BATS_TEST_DIRNAME/../..
	missing=
	for f in $(grep -oE '\bp9_[a-z_0-9]+\(' "$top/lib/p9.h" | tr -d '(' | sort -u); do
		grep -q "Fn $f\b" "$top/man/libp9.3" || missing="$missing $f"
	done
	[ -z "$missing" ] || { echo "undocumented:$missing"; false; }
}
