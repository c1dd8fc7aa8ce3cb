# scripts/golden-v9fs-guest.sh — owns the guest side of capture-golden.sh (runs
# inside the QEMU guest as its test script, under busybox sh).  Starts diod on
# the guest's own 127.0.0.1, captures lo with tcpdump while the kernel's v9fs
# mounts diod over TCP and runs a workload touching as many 9P2000.L messages
# as the kernel sends, then copies the pcap to the virtio-9p share "out".
# Exits with the number of workload steps that did not behave as expected.
# shellcheck shell=sh

port=5640 exp=/tmp/export mnt=/mnt/v9fs failed=0
mkdir -p /out "$exp" "$mnt"
mount -t 9p -o trans=virtio,version=9p2000.L out /out || exit 100

# ok CMD...: a step that must succeed; no CMD...: one that must fail.
ok() { "$@" >/tmp/step.out 2>&1 || report "FAILED: $*"; }
no() { ! "$@" >/tmp/step.out 2>&1 || report "UNEXPECTED SUCCESS: $*"; }
report() { echo "golden: $1"; sed 's/^/golden:   /' /tmp/step.out; failed=$((failed + 1)); }

# lock.pl FILE CMD TYPE: one fcntl(2) record lock call on FILE (CMD 5 F_GETLK,
# 6 F_SETLK; TYPE 0 RDLCK, 1 WRLCK, 2 UNLCK); with TYPE "hold", flock(2) it
# exclusively and sleep.
cat >/tmp/lock.pl <<'EOF'
my ($file, $cmd, $type) = @ARGV;
open(my $fh, "+<", $file) or die "open $file: $!";
if ($type eq "hold") { flock($fh, 2) or die "flock: $!"; sleep 60; exit 0; }
my $fl = pack("ssx4qqix4", $type, 0, 0, 0, 0);
fcntl($fh, $cmd, $fl) or die "fcntl: $!";
EOF

i=0
while [ $i -lt 6 ]; do
	echo "line $i: the quick brown fox jumps over the lazy dog"
	i=$((i + 1))
done >"$exp/hello.txt"
: >"$exp/locked"
mkdir "$exp/dir"

diod -f -n -l "127.0.0.1:$port" -e "$exp" -L /tmp/diod.log &
diod=$!
hexport=$(printf '%04X' "$port")
until grep -q ":$hexport 00000000:0000 0A" /proc/net/tcp; do sleep 0.2; done
tcpdump -i lo -s 0 -B 32768 -U --immediate-mode -Z root -w /tmp/v9fs.pcap "tcp port $port" 2>/tmp/tcpdump.log &
tcpdump=$!
until grep -qs 'listening on' /tmp/tcpdump.log; do sleep 0.2; done

mount -t 9p -o "trans=tcp,port=$port,version=9p2000.L,aname=$exp,uname=root,access=user" \
	127.0.0.1 "$mnt" || exit 101
m=$mnt
echo "golden: mounted, running the workload"

ok ls -la "$m" "$m/dir"                       # lopen, readdir, getattr
ok cat "$m/hello.txt"                         # walk, lopen, read
no cat "$m/missing"                           # Rlerror ENOENT
ok sh -c "head -c 300 $m/hello.txt >$m/new.txt"  # lcreate, write
ok sh -c "echo appended >>$m/new.txt"         # lopen O_APPEND, write
ok mkdir "$m/d1" "$m/d2"                      # mkdir
ok ln -s hello.txt "$m/sym"                   # symlink
ok readlink "$m/sym"                          # readlink
ok ln "$m/new.txt" "$m/d1/hard"               # link
ok mv "$m/d1/hard" "$m/d2/moved"              # renameat (or rename)
ok mv "$m/d2/moved" "$m/d2/renamed"
ok chmod 640 "$m/new.txt"                     # setattr mode
ok chown 0:0 "$m/new.txt"                     # setattr uid, gid
ok truncate -s 100 "$m/new.txt"               # setattr size
ok touch -d '2001-02-03 04:05:06' "$m/new.txt"  # setattr atime/mtime set
ok touch "$m/new.txt"                         # setattr times now
ok stat "$m/new.txt"                          # getattr
ok df "$m"                                    # statfs
ok mkfifo "$m/fifo"                           # mknod (fifo)
ok mknod "$m/null" c 1 3                      # mknod (char device 1,3)
ok setfattr -n trusted.golden -v hello "$m/new.txt"  # xattrcreate + write
ok getfattr -n trusted.golden "$m/new.txt"    # xattrwalk + read
ok getfattr -d -m - "$m/new.txt"              # xattrwalk "" (list)
no getfattr -n trusted.missing "$m/new.txt"   # Rlerror ENODATA
ok sync "$m/new.txt"                          # fsync
ok sync -d "$m/new.txt"                       # fsync (datasync)
ok perl /tmp/lock.pl "$m/new.txt" 6 1         # lock WRLCK
# Linux sends Tgetlock with type UNLCK; diod accepts only RDLCK/WRLCK: Rlerror.
no perl /tmp/lock.pl "$m/new.txt" 5 1         # getlock
perl /tmp/lock.pl "$exp/locked" 6 hold &      # held on the server side
holder=$!
sleep 2
no perl /tmp/lock.pl "$m/locked" 6 0          # lock RDLCK -> Rlock BLOCKED
kill "$holder"
wait "$holder"
ok rm "$m/d2/renamed" "$m/sym"                # unlinkat (or remove)
ok rmdir "$m/d1"                              # unlinkat AT_REMOVEDIR

# Tflush: stop diod, let a walk go out, kill its caller (the kernel sends
# Tflush for the request in flight), then let diod answer both.
kill -STOP "$diod"
stat "$m/hello.txt" >/dev/null 2>&1 &
victim=$!
sleep 2
kill -KILL "$victim"
sleep 1
kill -CONT "$diod"
wait "$victim"

ok umount "$mnt"                              # clunk
sleep 1
kill -INT "$tcpdump"
wait "$tcpdump"
cat /tmp/tcpdump.log
kill "$diod"
cp /tmp/v9fs.pcap /out/ || exit 102
echo "golden: $failed unexpected results"
exit "$failed"
