# scripts/vm/v9fs-tcp-guest.sh — owns the guest side of the v9fs test in
# tests/bats/9ptrace-tshark.bats (runs inside the QEMU guest as its test
# script, under busybox sh).  The guest kernel's v9fs mounts the HOST's diod
# over TCP, through QEMU's user network (the host's 127.0.0.1 is 10.0.2.2
# here), and runs a short workload touching as many 9P2000.L messages as the
# kernel sends; the host captures the traffic on its lo.  Parameters come
# from /etc/v9fs-tcp.conf (PORT, the diod port; EXPORT, the host folder to
# attach).  For Tflush the host stops diod when the file "stop-diod" appears
# in the export and lets it go on a few seconds later.  A host process holds
# an flock on "locked" throughout (for Rlock BLOCKED and Rgetlock).
# Prints "v9fs: ..." lines; exits with the number of steps that did not
# behave as expected.
# shellcheck shell=sh

# shellcheck disable=SC1091 # written by the bats test into the initramfs
. /etc/v9fs-tcp.conf
m=/mnt/v9fs failed=0
mkdir -p "$m"

ok() { "$@" >/tmp/step.out 2>&1 || report "FAILED: $*"; }
no() { ! "$@" >/tmp/step.out 2>&1 || report "UNEXPECTED SUCCESS: $*"; }
report() { echo "v9fs: $1"; sed 's/^/v9fs:   /' /tmp/step.out; failed=$((failed + 1)); }

# lock.pl FILE CMD TYPE: one fcntl(2) record lock call on FILE (CMD 5
# F_GETLK, 6 F_SETLK; TYPE 0 RDLCK, 1 WRLCK, 2 UNLCK).
cat >/tmp/lock.pl <<'EOF'
my ($file, $cmd, $type) = @ARGV;
open(my $fh, "+<", $file) or die "open $file: $!";
my $fl = pack("ssx4qqix4", $type, 0, 0, 0, 0);
fcntl($fh, $cmd, $fl) or die "fcntl: $!";
EOF

ip link set lo up
ip link set eth0 up || { echo "v9fs: no eth0"; exit 100; }
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
mount -t 9p -o "trans=tcp,port=$PORT,version=9p2000.L,msize=65536,aname=$EXPORT,uname=root,access=user" \
	10.0.2.2 "$m" || { echo "v9fs: mount failed"; exit 101; }
echo "v9fs: mounted 10.0.2.2:$PORT $EXPORT, running the workload"

ok ls -la "$m" "$m/dir"                          # lopen, readdir, getattr
ok cat "$m/hello.txt"                            # walk, lopen, read
no cat "$m/missing"                              # Rlerror ENOENT
ok sh -c "head -c 150000 /dev/urandom >$m/big"    # write, PDUs spanning frames
ok sh -c "cat $m/big >/dev/null"                 # read
ok sh -c "head -c 300 $m/hello.txt >$m/new.txt"  # lcreate, write
ok sh -c "echo appended >>$m/new.txt"            # lopen O_APPEND, write
ok mkdir "$m/d1" "$m/d2"                         # mkdir
ok ln -s hello.txt "$m/sym"                      # symlink
ok readlink "$m/sym"                             # readlink
ok ln "$m/new.txt" "$m/d1/hard"                  # link
ok mv "$m/d1/hard" "$m/d2/moved"                 # renameat (or rename)
ok chmod 640 "$m/new.txt"                        # setattr mode
ok chown 1:1 "$m/new.txt"                        # setattr uid, gid
ok truncate -s 100 "$m/new.txt"                  # setattr size
ok touch -d '2001-02-03 04:05:06' "$m/new.txt"   # setattr atime/mtime set
ok stat "$m/new.txt"                             # getattr
ok df "$m"                                       # statfs
ok mkfifo "$m/fifo"                              # mknod (fifo)
ok mknod "$m/null" c 1 3                         # mknod (char device)
if command -v setfattr >/dev/null; then
	ok setfattr -n user.guest -v hello "$m/new.txt"  # xattrcreate + write
	ok getfattr -n user.guest "$m/new.txt"           # xattrwalk + read
	no getfattr -n user.missing "$m/new.txt"         # Rlerror ENODATA
fi
ok sync "$m/new.txt"                             # fsync
if command -v perl >/dev/null; then
	ok perl /tmp/lock.pl "$m/new.txt" 6 1        # lock WRLCK
	perl /tmp/lock.pl "$m/locked" 5 1 >/dev/null 2>&1  # getlock (answer varies)
	no perl /tmp/lock.pl "$m/locked" 6 0         # lock RDLCK -> BLOCKED
fi
ok rm "$m/d2/moved" "$m/sym" "$m/fifo" "$m/null" # unlinkat (or remove)
ok rmdir "$m/d1"                                 # unlinkat AT_REMOVEDIR

# Tflush: the host stops diod once stop-diod exists; a walk goes out, its
# caller is killed (the kernel sends Tflush), then diod answers both.
: >"$m/stop-diod"
sleep 2
stat "$m/hello-flushed" >/dev/null 2>&1 &
victim=$!
sleep 2
kill -KILL "$victim"
wait "$victim"
ok rm "$m/stop-diod"

ok umount "$m"                                   # clunk
echo "v9fs: $failed unexpected results"
exit "$failed"
