#!/usr/bin/env python3
"""tshark-compare.py - owns checking 9ptrace's decoder against an independent
one: Wireshark's 9P dissector (tshark), message by message, on a capture of
real traffic.  Used by tests/bats/9ptrace-tshark.bats.

usage: scripts/tshark-compare.py [-p PORT]... [--9ptrace PATH]
           [--min-types N] [--min-messages N] [--trace-ports] [-v] CAPTURE

  -p PORT        the server's TCP port (tshark is told to decode it as 9P
                 with -d tcp.port==PORT,9p; 9ptrace finds connections by
                 their Tversion).  Default 564, tshark's own.
  --9ptrace PATH the 9ptrace binary (default build/9ptrace beside this
                 script's repository, or $TRACE9P).
  --min-types N  fail unless at least N distinct message types were compared
  --min-messages N  likewise for messages (an empty capture never passes)
  --trace-ports  give 9ptrace the ports too (-p), for a capture that starts
                 mid-stream (tshark decodes by port; 9ptrace otherwise
                 waits for a Tversion); its "in step" notes are then fine
  -v             print the coverage table: per type, which 9ptrace fields
                 were checked against tshark, which against the bytes.

What is compared, for every 9P message (same number, same order):
  * 9ptrace -j -x -r CAPTURE  against  tshark -r CAPTURE -Y 9p -T json -x
    (TCP reassembly on, so one frame may carry several PDUs and one PDU
    may span frames; the 9p layers of each frame are taken in order).
  * size, type and tag; the TCP stream (one 9ptrace "conn" per stream,
    both ways) and the direction ("from": client when the destination
    port is a server port); the capture time of the frame that completes
    the PDU.
  * every field tshark decodes that 9ptrace carries, by the per-type
    table TSHARK below (tshark names -> 9ptrace names).  tshark's fields
    must appear in exactly the order the table says: an unmapped or
    missing field is a failure, so a tshark that decodes more (or
    differently) is noticed rather than silently ignored.
  * against the PDU's own bytes (tshark's reassembled 9p_raw, decoded
    here with struct, independently of both): where tshark is known
    wrong or silent -- BYTES below: Rlerror (tshark shows the 4 bytes
    undecoded as 9p.message_data, no errno), Tgetlock and Rgetlock
    (tshark decodes both with Tlock's layout: a 4-byte "flags" word that
    is not there shifts start, length, proc_id and client_id), Tauth's
    n_uname (not decoded) and Tfsync's datasync (left as message_data)
    -- plus, for every message with data (Rread, Twrite, Rreaddir), the
    data itself, and Rreaddir's entries.  Where tshark leaves bytes
    undecoded (9p.message_data) they must be the PDU's tail; Tflush's
    message_data is oldtag again (tshark does not step over it).
  * 9ptrace's JSON itself: a key twice in one object (as "size" once was:
    the message's and Rgetattr's; the message's is now "msglen") is a
    difference, reported once per type; the field is then compared as
    the second occurrence.
  * Rlerror's errname is checked against Python's errno table; a reply's
    "req" against the request this script pairs by tag.

Skipped, and why:
  * tshark's fid paths (9p.fid "(path)" text): they are in the display
    label only, not in the JSON value, and tshark does not rewind them on
    a failed walk; 9ptrace's *_path keys are not compared.
  * tshark's bit-field expansions (9p.getattr.*, 9p.setattr.*, 9p.lflags.*,
    9p.dm.*, 9p.qidtype.*) and 9p.paramsz: they restate the value compared.
  * latency_ns, dialect: tshark has no equivalent.
  * 9P2000 and 9P2000.u messages (Topen, Tcreate, Tstat, Twstat, Rerror):
    diod speaks 9P2000.L only, so they are not in the table; a capture
    holding one fails with "no mapping" rather than passing unchecked.

Exit status 0 when everything matched (and the minimums were met), 1 on
any difference (each printed with the message it is in), 2 on usage or
tool failure.
"""

import argparse
import calendar
import collections
import errno
import json
import os
import re
import struct
import subprocess
import sys
from decimal import Decimal

TYPES = {
    7: "Rlerror", 8: "Tstatfs", 9: "Rstatfs", 12: "Tlopen", 13: "Rlopen",
    14: "Tlcreate", 15: "Rlcreate", 16: "Tsymlink", 17: "Rsymlink",
    18: "Tmknod", 19: "Rmknod", 20: "Trename", 21: "Rrename",
    22: "Treadlink", 23: "Rreadlink", 24: "Tgetattr", 25: "Rgetattr",
    26: "Tsetattr", 27: "Rsetattr", 30: "Txattrwalk", 31: "Rxattrwalk",
    32: "Txattrcreate", 33: "Rxattrcreate", 40: "Treaddir", 41: "Rreaddir",
    50: "Tfsync", 51: "Rfsync", 52: "Tlock", 53: "Rlock", 54: "Tgetlock",
    55: "Rgetlock", 70: "Tlink", 71: "Rlink", 72: "Tmkdir", 73: "Rmkdir",
    74: "Trenameat", 75: "Rrenameat", 76: "Tunlinkat", 77: "Runlinkat",
    100: "Tversion", 101: "Rversion", 102: "Tauth", 103: "Rauth",
    104: "Tattach", 105: "Rattach", 106: "Terror", 107: "Rerror",
    108: "Tflush", 109: "Rflush", 110: "Twalk", 111: "Rwalk", 112: "Topen",
    113: "Ropen", 114: "Tcreate", 115: "Rcreate", 116: "Tread", 117: "Rread",
    118: "Twrite", 119: "Rwrite", 120: "Tclunk", 121: "Rclunk",
    122: "Tremove", 123: "Rremove", 124: "Tstat", 125: "Rstat",
    126: "Twstat", 127: "Rwstat",
}

# tshark field -> 9ptrace field, in tshark's order, per message type.
# Kinds: n number (decimal or 0x hex), s string, q qid, t time (9ptrace's
# NAME_sec and NAME_nsec), n[] / s[] / q[] a run of repeated fields (the
# 9ptrace key holds a list).  "qid" is tshark's "Qid type=.. vers=.. path=.."
# subtree, read as its 9p.qidtype, 9p.qidvers, 9p.qidpath.
F, S, Q, T = "n", "s", "q", "t"
QID = [("qid", "qid", Q)]
TSHARK = {
    "Tversion": [("9p.maxsize", "msize", F), ("9p.version", "version", S)],
    "Rversion": [("9p.maxsize", "msize", F), ("9p.version", "version", S)],
    # tshark leaves Tauth's n_uname undecoded (message_data; BYTES checks it)
    "Tauth": [("9p.afid", "afid", F), ("9p.uname", "uname", S),
              ("9p.aname", "aname", S), ("9p.message_data", None, "raw")],
    "Rauth": [("qid", "aqid", Q)],
    "Tattach": [("9p.fid", "fid", F), ("9p.afid", "afid", F),
                ("9p.uname", "uname", S), ("9p.aname", "aname", S),
                ("9p.uid", "n_uname", F)],
    "Rattach": QID,
    "Rlerror": [("9p.message_data", None, "raw")],
    # tshark does not step over oldtag: the same 2 bytes show again as
    # undecoded message_data (checked to be the PDU's tail)
    "Tflush": [("9p.oldtag", "oldtag", F), ("9p.message_data", None, "raw")],
    "Rflush": [],
    "Twalk": [("9p.fid", "fid", F), ("9p.newfid", "newfid", F),
              ("9p.nwalk", "nwname", F), ("9p.wname", "wname", "s[]")],
    "Rwalk": [("9p.nqid", "nwqid", F), ("qid", "wqid", "q[]")],
    "Tstatfs": [("9p.fid", "fid", F)],
    "Rstatfs": [("9p.fstype", "fstype", F), ("9p.blksize", "bsize", F),
                ("9p.blocks", "blocks", F), ("9p.bfree", "bfree", F),
                ("9p.bavail", "bavail", F), ("9p.files", "files", F),
                ("9p.ffree", "ffree", F), ("9p.fsid", "fsid", F),
                ("9p.namelen", "namelen", F)],
    "Tlopen": [("9p.fid", "fid", F), ("9p.statmode", "flags", F)],
    "Rlopen": QID + [("9p.iounit", "iounit", F)],
    "Tlcreate": [("9p.fid", "fid", F), ("9p.filename", "name", S),
                 ("9p.lcreate.flags", "flags", F),
                 ("9p.statmode", "mode", F), ("9p.gid", "gid", F)],
    "Rlcreate": QID + [("9p.iounit", "iounit", F)],
    "Tsymlink": [("9p.fid", "fid", F), ("9p.wname", "name", S),
                 ("9p.wname", "symtgt", S), ("9p.gid", "gid", F)],
    "Rsymlink": QID,
    "Tmknod": [("9p.fid", "dfid", F), ("9p.wname", "name", S),
               ("9p.statmode", "mode", F), ("9p.mknod.major", "major", F),
               ("9p.mknod.minor", "minor", F), ("9p.gid", "gid", F)],
    "Rmknod": QID,
    "Trename": [("9p.fid", "fid", F), ("9p.dfid", "dfid", F),
                ("9p.wname", "name", S)],
    "Rrename": [],
    "Treadlink": [("9p.fid", "fid", F)],
    "Rreadlink": [("9p.wname", "target", S)],
    "Tgetattr": [("9p.fid", "fid", F),
                 ("9p.getattr.flags", "request_mask", F)],
    "Rgetattr": [("9p.getattr.flags", "valid", F)] + QID +
                [("9p.statmode", "mode", F), ("9p.uid", "uid", F),
                 ("9p.gid", "gid", F), ("9p.nlink", "nlink", F),
                 ("9p.rdev", "rdev", F), ("9p.size", "size", F),
                 ("9p.blksize", "blksize", F), ("9p.blocks", "blocks", F),
                 ("9p.atime", "atime", T), ("9p.mtime", "mtime", T),
                 ("9p.ctime", "ctime", T), ("9p.btime", "btime", T),
                 ("9p.gen", "gen", F), ("9p.dataversion", "data_version", F)],
    "Tsetattr": [("9p.fid", "fid", F), ("9p.setattr.flags", "valid", F),
                 ("9p.statmode", "mode", F), ("9p.uid", "uid", F),
                 ("9p.gid", "gid", F), ("9p.size", "size", F),
                 ("9p.atime", "atime", T), ("9p.mtime", "mtime", T)],
    "Rsetattr": [],
    "Txattrwalk": [("9p.fid", "fid", F), ("9p.newfid", "newfid", F),
                   ("9p.wname", "name", S)],
    "Rxattrwalk": [("9p.size", "size", F)],
    "Txattrcreate": [("9p.fid", "fid", F), ("9p.wname", "name", S),
                     ("9p.size", "attr_size", F),
                     ("9p.xattr.flag", "flags", F)],
    "Rxattrcreate": [],
    "Treaddir": [("9p.fid", "fid", F), ("9p.offset", "offset", F),
                 ("9p.count", "count", F)],
    "Rreaddir": [("9p.count", "count", F)],
    "Tfsync": [("9p.fid", "fid", F), ("9p.message_data", None, "raw")],
    "Rfsync": [],
    "Tlock": [("9p.fid", "fid", F), ("9p.lock.type", "locktype", F),
              ("9p.lock.flag", "flags", F), ("9p.lock.start", "start", F),
              ("9p.lock.length", "length", F),
              ("9p.lock.procid", "proc_id", F),
              ("9p.wname", "client_id", S)],
    "Rlock": [("9p.lock.status", "status", F)],
    # Known wrong: tshark reads both with Tlock's layout (a 4-byte flags
    # word after the type), so everything after locktype is shifted.
    # Only what precedes the shift is compared; the rest is read from
    # the bytes (BYTES).
    "Tgetlock": [("9p.fid", "fid", F), ("9p.lock.type", "locktype", F)],
    "Rgetlock": [("9p.lock.type", "locktype", F)],
    "Tlink": [("9p.dfid", "dfid", F), ("9p.fid", "fid", F),
              ("9p.wname", "name", S)],
    "Rlink": [],
    "Tmkdir": [("9p.fid", "dfid", F), ("9p.wname", "name", S),
               ("9p.statmode", "mode", F), ("9p.gid", "gid", F)],
    "Rmkdir": QID,
    "Trenameat": [("9p.dfid", "olddirfid", F), ("9p.wname", "oldname", S),
                  ("9p.newfid", "newdirfid", F), ("9p.wname", "newname", S)],
    "Rrenameat": [],
    "Tunlinkat": [("9p.dfid", "dirfd", F), ("9p.wname", "name", S),
                  ("9p.unlinkat.flags", "flags", F)],
    "Runlinkat": [],
    "Tread": [("9p.fid", "fid", F), ("9p.offset", "offset", F),
              ("9p.count", "count", F)],
    "Rread": [("9p.count", "count", F)],
    "Twrite": [("9p.fid", "fid", F), ("9p.offset", "offset", F),
               ("9p.count", "count", F)],
    "Rwrite": [("9p.count", "count", F)],
    "Tclunk": [("9p.fid", "fid", F)],
    "Rclunk": [],
    "Tremove": [("9p.fid", "fid", F)],
    "Rremove": [],
}
# Types tshark is known to get wrong: the rest of its fields (and any
# malformed-packet marker it adds) are not held against 9ptrace.
TSHARK_WRONG = {"Tgetlock", "Rgetlock"}

# Fields read from the PDU's bytes (after size[4] type[1] tag[2]), in wire
# order, for what tshark gets wrong or does not decode.  The whole body
# must be consumed.  u8/u16/u32/u64 little-endian, s a 2-byte-length
# string, "-" a field skipped (already compared with tshark).
BYTES = {
    "Rlerror": [("ecode", "u32")],
    "Tgetlock": [("fid", "u32"), ("locktype", "u8"), ("start", "u64"),
                 ("length", "u64"), ("proc_id", "u32"),
                 ("client_id", "s")],
    "Rgetlock": [("locktype", "u8"), ("start", "u64"), ("length", "u64"),
                 ("proc_id", "u32"), ("client_id", "s")],
    "Tauth": [("afid", "u32"), ("uname", "s"), ("aname", "s"),
              ("n_uname", "u32")],
    "Tfsync": [("fid", "u32"), ("datasync", "u32")],
}
# Messages whose last field is data[count]: the offset of count.
DATA_AT = {"Rread": 7, "Rreaddir": 7, "Twrite": 7 + 4 + 8}

# 9ptrace's key for the message's own size (the PDU's length)
SIZE_KEY = "msglen"

# 9ptrace keys that are not fields of the message or that no decoder
# here reproduces (see the docstring).
META = {"time", "conn", "from", SIZE_KEY, "dialect", "type", "tag", "req",
        "latency_ns", "path", "errtext", "data_truncated"}

MONTHS = {m: i + 1 for i, m in enumerate(
    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())}
TIME_RE = re.compile(r"^(\w{3})\s+(\d+), (\d+) (\d\d):(\d\d):(\d\d)"
                     r"(?:\.(\d+))? UTC$")


def die(msg):
    print("tshark-compare: " + msg, file=sys.stderr)
    sys.exit(2)


def num(v):
    v = str(v)
    return int(v, 16) if v.lower().startswith("0x") else int(v, 10)


def ts_time(v):
    """tshark's absolute time (TZ=UTC) -> (sec, nsec)."""
    m = TIME_RE.match(v)
    if not m:
        raise ValueError("unparsed tshark time %r" % v)
    mon, day, year, hh, mm, ss, frac = m.groups()
    sec = calendar.timegm((int(year), MONTHS[mon], int(day), int(hh),
                           int(mm), int(ss)))
    nsec = int((frac or "0").ljust(9, "0")[:9])
    return sec, nsec


def pstr(s):
    """9ptrace's JSON string (bytes >= 0x7f as \\u00XX) -> bytes."""
    return s.encode("latin-1")


def tstr(s):
    """tshark's string (UTF-8 decoded) -> bytes, as best it can."""
    return s.encode("utf-8")


# ---- tshark -------------------------------------------------------------------

def pairs(o):
    return o  # keep duplicate keys, in order


def flatten(layer):
    """A 9p layer's pairs -> [(key, value)], qid subtrees as dicts."""
    out = []
    for k, v in layer:
        if k.endswith("_raw") or k.endswith("_tree"):
            continue
        if k.startswith("Qid "):
            d = {kk: vv for kk, vv in v if not kk.endswith("_raw")}
            out.append(("qid", {"type": num(d["9p.qidtype"]),
                                "version": num(d["9p.qidvers"]),
                                "path": num(d["9p.qidpath"])}))
        else:   # a field, or tshark's _ws.expert/_ws.malformed notes
            out.append((k, v))
    return out


STATS = collections.Counter()


def run_tshark(cap, ports):
    cmd = ["tshark", "-n", "-r", cap, "-o", "tcp.desegment_tcp_streams:TRUE",
           "-Y", "9p", "-T", "json", "-x"]
    for p in ports:
        cmd += ["-d", "tcp.port==%d,9p" % p]
    env = dict(os.environ, TZ="UTC", LC_ALL="C")
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env)
    if r.returncode != 0:
        die("%s failed (%d): %s" % (" ".join(cmd), r.returncode,
                                    r.stderr.decode(errors="replace")))
    pkts = json.loads(r.stdout or b"[]", object_pairs_hook=pairs)
    msgs = []
    for pkt in pkts:
        layers = dict(dict(pkt)["_source"])["layers"]
        frame = tcp = None
        raw = None
        spans = False
        if sum(1 for k, _ in layers if k == "9p") > 1:
            STATS["frames with several PDUs"] += 1
        for k, v in layers:
            if k == "frame":
                frame = dict(v)
            elif k == "tcp":
                tcp = dict(v)
            elif k == "tcp.segments":
                spans = True    # the next PDU was reassembled from frames
            elif k == "9p_raw":
                raw = bytes.fromhex(v[0]) if isinstance(v[0], str) else None
            elif k == "9p":
                fl = flatten(v)
                m = {"frame": int(frame["frame.number"]),
                     "time": Decimal(frame["frame.time_epoch"]),
                     "stream": int(tcp["tcp.stream"]),
                     "sport": int(tcp["tcp.srcport"]),
                     "dport": int(tcp["tcp.dstport"]),
                     "raw": raw, "fields": fl, "extra": []}
                msgs.append(m)
                if spans:
                    STATS["PDUs spanning frames"] += 1
                raw = None
                spans = False
            elif k in ("data", "_ws.malformed", "_ws.expert", "_ws.short",
                       "_ws.lua"):
                if msgs:
                    msgs[-1]["extra"].append((k, v))
    return msgs


# ---- 9ptrace ------------------------------------------------------------------

def keep_dups(kv):
    """A JSON object -> dict; a key seen twice is a defect (most readers
    keep only the last): the first value stays under the key, the later
    ones go to key + "#2"..., and "__dups__" names the keys."""
    o, dups = {}, []
    for k, v in kv:
        if k in o:
            n = 2
            while "%s#%d" % (k, n) in o:
                n += 1
            o["%s#%d" % (k, n)] = v
            dups.append(k)
        else:
            o[k] = v
    if dups:
        o["__dups__"] = dups
    return o


def run_9ptrace(trace, cap, ports):
    cmd = [trace, "-j", "-x", "-r", cap]
    if ports:
        cmd += ["-p", ",".join(str(p) for p in ports)]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        die("%s failed (%d): %s" % (" ".join(cmd), r.returncode,
                                    r.stderr.decode(errors="replace")))
    msgs, notes = [], []
    for line in r.stdout.decode("utf-8", errors="strict").splitlines():
        o = json.loads(line, parse_float=Decimal, object_pairs_hook=keep_dups)
        if "note" in o:
            notes.append(o)
        else:
            msgs.append(o)
    if r.stderr:
        sys.stderr.write(r.stderr.decode(errors="replace"))
    return msgs, notes


# ---- the bytes ----------------------------------------------------------------

def bytes_fields(raw, spec, start=7):
    """Decode raw from start by spec -> (dict, error or None)."""
    out, off = {}, start
    try:
        for name, kind in spec:
            if kind == "s":
                (n,) = struct.unpack_from("<H", raw, off)
                if off + 2 + n > len(raw):
                    return out, "string %s runs past the end" % name
                out[name] = raw[off + 2:off + 2 + n]
                off += 2 + n
            else:
                fmt, w = {"u8": ("<B", 1), "u16": ("<H", 2),
                          "u32": ("<I", 4), "u64": ("<Q", 8)}[kind]
                (out[name],) = struct.unpack_from(fmt, raw, off)
                off += w
    except struct.error:
        return out, "message too short for %s" % [n for n, _ in spec]
    if off != len(raw):
        return out, "%d trailing bytes after %s" % (len(raw) - off,
                                                    [n for n, _ in spec])
    return out, None


def dirents(data):
    """Rreaddir data -> [entry dict] as 9ptrace's JSON has them."""
    out, off = [], 0
    while off < len(data):
        qt, qv, qp, eoff, etype, nlen = struct.unpack_from("<BIQQBH", data,
                                                           off)
        off += 13 + 8 + 1 + 2
        name = data[off:off + nlen]
        off += nlen
        out.append({"qid": {"type": qt, "version": qv, "path": qp},
                    "offset": eoff, "type": etype, "name": name})
    return out


# ---- comparing ----------------------------------------------------------------

class Checker:
    def __init__(self, ports):
        self.ports = set(ports)
        self.problems = []          # (index, text)
        self.cov_ts = collections.defaultdict(set)  # type -> fields vs tshark
        self.cov_b = collections.defaultdict(set)   # type -> fields vs bytes
        self.unchecked = collections.defaultdict(set)
        self.types = collections.Counter()
        self.stream_conn = {}
        self.conn_stream = {}
        self.pending = collections.defaultdict(dict)  # conn -> tag -> type
        self.wrong_seen = collections.Counter()
        self.dups = collections.Counter()    # (type, key) -> messages

    def bad(self, i, text):
        self.problems.append((i, text))

    def compare(self, i, t, p):
        name = p.get("type")
        want = TYPES.get(num(dict(t["fields"]).get("9p.msgtype", -1)))
        fields = list(t["fields"])
        head = dict(fields[:3])
        if [k for k, _ in fields[:3]] != ["9p.msglen", "9p.msgtype",
                                           "9p.tag"]:
            self.bad(i, "tshark's 9p layer does not start with msglen, "
                     "msgtype, tag: %s" % fields[:3])
            return
        if name != want:
            self.bad(i, "type: tshark %s, 9ptrace %s" % (want, name))
            return
        self.types[name] += 1
        for k in p.get("__dups__", []):
            if (name, k) not in self.dups:
                self.bad(i, "9ptrace's JSON object for %s has the key %r "
                         "twice (%r, then %r): a JSON reader keeps only one"
                         " (reported once per type; the field is compared "
                         "as the second)" % (name, k, p[k], p.get(k + "#2")))
            self.dups[(name, k)] += 1
        if "malformed" in p:
            self.bad(i, "9ptrace calls it malformed: %s" % p["malformed"])
            return
        raw = t["raw"]
        # the header, three ways
        size = num(head["9p.msglen"])
        if p.get(SIZE_KEY) != size:
            self.bad(i, "size: tshark %d, 9ptrace %s %s" %
                     (size, SIZE_KEY, p.get(SIZE_KEY)))
        if raw is None or len(raw) != size:
            self.bad(i, "the PDU's bytes: %s bytes, msglen %d" %
                     (None if raw is None else len(raw), size))
            raw = None
        elif struct.unpack_from("<IBH", raw) != (size, num(
                head["9p.msgtype"]), num(head["9p.tag"])):
            self.bad(i, "the PDU's header bytes disagree with tshark")
        if p.get("tag") != num(head["9p.tag"]):
            self.bad(i, "tag: tshark %s, 9ptrace %s" % (head["9p.tag"],
                                                        p.get("tag")))
        # connection, direction, time
        s, c = t["stream"], p.get("conn")
        if self.stream_conn.setdefault(s, c) != c or \
                self.conn_stream.setdefault(c, s) != s:
            self.bad(i, "connection: tshark tcp.stream %d, 9ptrace conn %s "
                     "(earlier paired with %s / %s)" %
                     (s, c, self.stream_conn[s], self.conn_stream.get(c)))
        frm = "client" if t["dport"] in self.ports else "server"
        if p.get("from") != frm:
            self.bad(i, "from: tshark %s (port %d > %d), 9ptrace %s" %
                     (frm, t["sport"], t["dport"], p.get("from")))
        if p.get("time") != t["time"]:
            self.bad(i, "time: tshark frame %d at %s, 9ptrace %s" %
                     (t["frame"], t["time"], p.get("time")))
        # tshark's fields
        self.tail = None
        self.compare_fields(i, name, fields[3:], t["extra"], p)
        if self.tail is not None and (raw is None or
                                      not raw.endswith(self.tail)):
            self.bad(i, "%s: tshark's undecoded bytes %s are not the end "
                     "of the PDU %s" % (name, self.tail.hex(),
                                        raw.hex() if raw else None))
        # the bytes
        if raw is not None:
            self.compare_bytes(i, name, raw, t, p)
        self.check_req(i, name, p)
        for k in p:
            if k in META or k.endswith("_path") or "#" in k or \
                    k == "__dups__":
                continue
            if k not in self.cov_ts[name] and k not in self.cov_b[name]:
                self.unchecked[name].add(k)

    def compare_fields(self, i, name, fields, extra, p):
        spec = TSHARK.get(name)
        if spec is None:
            self.bad(i, "%s: no mapping of tshark's fields for this type "
                     "(tshark: %s)" % (name, fields))
            return
        k = 0
        for tkey, pkey, kind in spec:
            if kind.endswith("[]"):
                vals = []
                while k < len(fields) and fields[k][0] == tkey:
                    vals.append(fields[k][1])
                    k += 1
                got = p.get(pkey)
                if not isinstance(got, list) or len(got) != len(vals):
                    self.bad(i, "%s %s: tshark %d x %s, 9ptrace %r" %
                             (name, pkey, len(vals), tkey, got))
                    continue
                for j, (a, b) in enumerate(zip(vals, got)):
                    self.same(i, name, "%s[%d]" % (pkey, j), kind[0], a, b,
                              p, tkey)
                self.cov_ts[name].add(pkey)
                continue
            if k >= len(fields) or fields[k][0] != tkey:
                self.bad(i, "%s: tshark has %s where the table expects %s" %
                         (name, fields[k][0] if k < len(fields) else
                          "nothing", tkey))
                return
            v = fields[k][1]
            k += 1
            if kind == "raw":
                # bytes tshark leaves undecoded: they must be the PDU's
                # tail; the fields in them are checked by BYTES
                self.tail = bytes.fromhex(v.replace(":", ""))
                continue
            self.same(i, name, pkey, kind, v, None, p, tkey)
        rest = fields[k:]
        if name in TSHARK_WRONG:
            self.wrong_seen[name] += 1
            return
        if rest:
            self.bad(i, "%s: tshark fields the table does not map: %s" %
                     (name, rest))
        for ek, ev in extra:
            if ek == "data":
                self.compare_data_layer(i, name, dict(ev), p)
            elif ek.startswith("_ws."):
                self.bad(i, "%s: tshark marks it %s: %s" % (name, ek, ev))

    def same(self, i, name, pkey, kind, tval, pval, p, tkey):
        base = pkey.split("[")[0]
        if pval is None:
            if kind == "t":
                pval = (p.get(pkey + "_sec"), p.get(pkey + "_nsec"))
            else:
                pval = field(p, pkey)
        try:
            if kind == "n":
                ok = num(tval) == pval
            elif kind == "s":
                ok = pval is not None and tstr(tval) == pstr(pval)
            elif kind == "q":
                ok = tval == pval
            elif kind == "t":
                ok = ts_time(tval) == pval
                tval = "%s = %s" % (tval, ts_time(tval))
            else:
                raise ValueError("kind " + kind)
        except (ValueError, TypeError, UnicodeError) as e:
            self.bad(i, "%s %s: %s (tshark %s %r, 9ptrace %r)" %
                     (name, pkey, e, tkey, tval, pval))
            return
        if kind == "t":
            self.cov_ts[name].update((pkey + "_sec", pkey + "_nsec"))
        else:
            self.cov_ts[name].add(base)
        if not ok:
            self.bad(i, "%s %s: tshark %s %r, 9ptrace %r" %
                     (name, pkey, tkey, tval, pval))

    def compare_data_layer(self, i, name, d, p):
        """tshark hands Rread/Rreaddir/Twrite data to its data dissector,
        which shows count & 0xffff bytes: compare that much."""
        tdata = bytes.fromhex(d.get("data.data", "").replace(":", ""))
        pdata = bytes.fromhex(p.get("data", ""))
        if not pdata.startswith(tdata) or (p.get("count", 0) <= 0xffff and
                                           tdata != pdata):
            self.bad(i, "%s data: tshark %d bytes %s..., 9ptrace %d bytes "
                     "%s..." % (name, len(tdata), tdata[:16].hex(),
                                len(pdata), pdata[:16].hex()))
        self.cov_ts[name].add("data")

    def compare_bytes(self, i, name, raw, t, p):
        spec = BYTES.get(name)
        if spec:
            got, err = bytes_fields(raw, spec)
            if err:
                self.bad(i, "%s bytes: %s" % (name, err))
            for k, v in got.items():
                pv = p.get(k)
                if isinstance(v, bytes):
                    ok = pv is not None and pstr(pv) == v
                else:
                    ok = pv == v
                if not ok:
                    self.bad(i, "%s %s: bytes say %r, 9ptrace %r" %
                             (name, k, v, pv))
                self.cov_b[name].add(k)
        if name == "Rlerror":
            ecode = struct.unpack_from("<I", raw, 7)[0]
            # Linux names, aliases allowed (ENOTSUP is EOPNOTSUPP)
            want = [n for n in dir(errno) if n.startswith("E") and
                    getattr(errno, n) == ecode]
            if p.get("errname") not in want:
                self.bad(i, "Rlerror errname: errno %d is %s, 9ptrace %r" %
                         (ecode, "/".join(want) or "unnamed",
                          p.get("errname")))
            self.cov_b[name].add("errname")
        if name in DATA_AT:
            off = DATA_AT[name]
            (count,) = struct.unpack_from("<I", raw, off)
            data = raw[off + 4:]
            if len(data) != count:
                self.bad(i, "%s: count %d but %d data bytes" %
                         (name, count, len(data)))
            if bytes.fromhex(p.get("data", "")) != data:
                self.bad(i, "%s data: bytes %s..., 9ptrace %s..." %
                         (name, data[:16].hex(), p.get("data", "")[:32]))
            self.cov_b[name].add("data")
            if name == "Rreaddir":
                try:
                    want = dirents(data)
                except struct.error:
                    want = None
                got = p.get("entries")
                if got is not None:
                    got = [dict(e, name=pstr(e["name"])) for e in got]
                if want != got:
                    self.bad(i, "Rreaddir entries: bytes %r, 9ptrace %r" %
                             (want, got))
                self.cov_b[name].add("entries")

    def check_req(self, i, name, p):
        conn = p.get("conn")
        if name[0] == "T":
            self.pending[conn][p["tag"]] = name
            return
        want = self.pending[conn].pop(p["tag"], None)
        if p.get("req") != want:
            self.bad(i, "%s tag %d: answers %s by its tag, 9ptrace says "
                     "req %r" % (name, p["tag"], want, p.get("req")))


def field(p, key):
    """A message field of 9ptrace's object: when the key also names one of
    the per-message keys (size), the field is the second occurrence."""
    if key in META and key + "#2" in p:
        return p[key + "#2"]
    return p.get(key)


def describe(t, p):
    return "tshark frame %d stream %d %s | 9ptrace %s" % (
        t["frame"], t["stream"],
        TYPES.get(num(dict(t["fields"]).get("9p.msgtype", -1)), "?"),
        json.dumps({k: (str(v) if isinstance(v, Decimal) else v)
                    for k, v in p.items() if k not in ("data",)})[:400])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-p", "--port", type=int, action="append", default=[])
    ap.add_argument("--9ptrace", dest="trace")
    ap.add_argument("--min-types", type=int, default=1)
    ap.add_argument("--min-messages", type=int, default=1)
    ap.add_argument("--trace-ports", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("capture")
    a = ap.parse_args()
    ports = a.port or [564]
    here = os.path.dirname(os.path.abspath(__file__))
    trace = a.trace or os.environ.get("TRACE9P") or \
        os.path.join(here, "..", "build", "9ptrace")
    if not os.access(trace, os.X_OK):
        die("no 9ptrace at %s (--9ptrace PATH)" % trace)
    if not os.path.exists(a.capture):
        die("no capture %s" % a.capture)

    tmsgs = run_tshark(a.capture, ports)
    pmsgs, notes = run_9ptrace(trace, a.capture,
                               ports if a.trace_ports else [])
    ck = Checker(ports)
    if len(tmsgs) != len(pmsgs):
        ck.bad(-1, "message count: tshark %d, 9ptrace %d" %
               (len(tmsgs), len(pmsgs)))
    for note in notes:
        txt = note["note"]
        if txt.startswith("9P connection ") or (
                a.trace_ports and ": in step with the stream (" in txt):
            continue
        ck.bad(-1, "9ptrace note: %s" % txt)
    n = min(len(tmsgs), len(pmsgs))
    for i, (t, p) in enumerate(zip(tmsgs, pmsgs)):
        tf = dict(t["fields"])
        if TYPES.get(num(tf.get("9p.msgtype", -1))) != p.get("type") or \
                num(tf.get("9p.tag", -1)) != p.get("tag"):
            # out of step: what follows would only repeat it
            ck.bad(i, "the two part ways here (type/tag), nothing after "
                   "is compared:\n" + "\n".join(
                       "      #%d %s" % (j, describe(tmsgs[j], pmsgs[j]))
                       for j in range(max(0, i - 2), min(n, i + 3))))
            n = i
            break
        before = len(ck.problems)
        ck.compare(i, t, p)
        ck.problems[before:] = [(j, "%s\n      in %s" % (txt, describe(
            t, p))) for j, txt in ck.problems[before:]]
        if len(ck.problems) > 200:
            ck.bad(i, "too many differences, stopped")
            break

    types = sorted(ck.types, key=lambda x: (x[1:], x[0]))
    print("tshark-compare: %d messages (tshark %d, 9ptrace %d) on %d "
          "connection(s), %d message types: %s" %
          (n, len(tmsgs), len(pmsgs), len(ck.conn_stream), len(types),
           " ".join("%s:%d" % (x, ck.types[x]) for x in types)))
    print("tshark-compare: reassembly: %d frames with several PDUs, %d PDUs "
          "spanning frames" % (STATS["frames with several PDUs"],
                               STATS["PDUs spanning frames"]))
    if ck.wrong_seen:
        print("tshark-compare: tshark known wrong, checked against the "
              "bytes instead: %s" % ", ".join("%s:%d" % kv for kv in
                                              sorted(ck.wrong_seen.items())))
    if a.verbose:
        print("coverage (9ptrace fields: = tshark, # bytes, ? unchecked):")
        for x in types:
            print("  %-13s =%s #%s ?%s" % (
                x, ",".join(sorted(ck.cov_ts[x])) or "-",
                ",".join(sorted(ck.cov_b[x])) or "-",
                ",".join(sorted(ck.unchecked[x])) or "-"))
    if len(types) < a.min_types:
        ck.bad(-1, "only %d message types compared, want at least %d" %
               (len(types), a.min_types))
    if n < a.min_messages:
        ck.bad(-1, "only %d messages compared, want at least %d" %
               (n, a.min_messages))
    for i, txt in ck.problems:
        print("DIFF %s: %s" % ("msg #%d" % i if i >= 0 else "overall", txt))
    if ck.problems:
        print("tshark-compare: %d difference(s)" % len(ck.problems))
        return 1
    print("tshark-compare: every compared field matches")
    return 0


if __name__ == "__main__":
    sys.exit(main())
