#!/usr/bin/env python3
"""scripts/pcap2golden.py — owns turning a 9P capture into a golden vector file
and checking golden files.

  pcap2golden.py convert PCAP --port PORT --source TEXT [--conn N]
      Reassembles the TCP connection to PORT (the Nth one seen, counted from 1;
      by default there must be exactly one), splits each direction's byte
      stream into 9P messages by their size field, and prints them one hex
      line each in the order they completed on the wire, under the header the
      unit tests read (# source, # dialect, # msize from Rversion).
  pcap2golden.py check FILE...
      Re-reads golden files: every line a whole message (size field equal to
      its length) of a known type, T from the client and R from the server
      pairing up by tag.  Prints a count per message type for each file.

Reads classic pcap (what tcpdump -w writes), Ethernet or Linux cooked
link layers, IPv4 or IPv6.  Standard library only.
"""
import argparse
import collections
import struct
import sys

NAMES = {
    6: "Tlerror", 7: "Rlerror", 8: "Tstatfs", 9: "Rstatfs", 12: "Tlopen",
    13: "Rlopen", 14: "Tlcreate", 15: "Rlcreate", 16: "Tsymlink",
    17: "Rsymlink", 18: "Tmknod", 19: "Rmknod", 20: "Trename", 21: "Rrename",
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
RLERROR, TFLUSH, RFLUSH, RVERSION = 7, 108, 109, 101


class Bad(Exception):
    pass


def packets(path):
    """Yield (src, sport, dst, dport, seq, syn, payload) for each TCP packet."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise Bad(f"{path}: not a pcap file")
    for end in "<>":
        magic, = struct.unpack(end + "I", data[:4])
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            break
    else:
        raise Bad(f"{path}: not a classic pcap file (pcapng is not read)")
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0xFFFF
    if linktype not in (1, 113):
        raise Bad(f"{path}: link type {linktype} not handled")
    pos = 24
    while pos + 16 <= len(data):
        incl, orig = struct.unpack(end + "II", data[pos + 8:pos + 16])
        frame = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        if incl < orig:
            raise Bad(f"{path}: truncated frame (capture with -s 0)")
        if linktype == 1:
            proto, l3 = struct.unpack(">H", frame[12:14])[0], frame[14:]
        else:
            proto, l3 = struct.unpack(">H", frame[14:16])[0], frame[16:]
        if proto == 0x0800 and l3[9] == 6:
            ihl, total = (l3[0] & 15) * 4, struct.unpack(">H", l3[2:4])[0]
            src, dst, l4 = l3[12:16], l3[16:20], l3[ihl:total]
        elif proto == 0x86DD and l3[6] == 6:
            plen = struct.unpack(">H", l3[4:6])[0]
            src, dst, l4 = l3[8:24], l3[24:40], l3[40:40 + plen]
        else:
            continue
        sport, dport, seq = struct.unpack(">HHI", l4[:8])
        off, flags = (l4[12] >> 4) * 4, l4[13]
        yield src, sport, dst, dport, seq, bool(flags & 2), l4[off:]


def connections(path, port):
    """Map each connection to PORT (by client address) to its events in frame
    order: (is_client_to_server, seq, syn, payload)."""
    conns = collections.OrderedDict()
    for src, sport, dst, dport, seq, syn, payload in packets(path):
        if dport == port:
            conns.setdefault((src, sport), []).append((True, seq, syn, payload))
        elif sport == port:
            conns.setdefault((dst, dport), []).append((False, seq, syn, payload))
    return conns


def messages(events):
    """Split both directions of one connection into whole 9P messages, in the
    order each message's last byte was seen."""
    nxt, buf = {True: None, False: None}, {True: b"", False: b""}
    for c2s, seq, syn, payload in events:
        if syn:
            nxt[c2s] = (seq + 1) & 0xFFFFFFFF
        if not payload:
            continue
        if nxt[c2s] is None:
            nxt[c2s] = seq
        ahead = (seq - nxt[c2s] + 2**31) % 2**32 - 2**31
        if ahead > 0:
            raise Bad("bytes missing from the capture (tcpdump dropped packets?)")
        payload = payload[-ahead:] if ahead else payload
        nxt[c2s] = (nxt[c2s] + len(payload)) & 0xFFFFFFFF
        buf[c2s] += payload
        while len(buf[c2s]) >= 4:
            size, = struct.unpack("<I", buf[c2s][:4])
            if size < 7:
                raise Bad(f"message size {size} < 7: not 9P?")
            if len(buf[c2s]) < size:
                break
            yield c2s, buf[c2s][:size]
            buf[c2s] = buf[c2s][size:]
    for c2s in (True, False):
        if buf[c2s]:
            print(f"pcap2golden: {len(buf[c2s])} trailing bytes "
                  f"({'client' if c2s else 'server'}) dropped", file=sys.stderr)


class Checker:
    """Checks message order: T from the client, R from the server answering
    an outstanding tag with the matching type (or Rlerror)."""

    def __init__(self):
        self.pending, self.counts, self.msize = {}, collections.Counter(), None

    def add(self, msg, from_client=None):
        size, mtype, tag = struct.unpack("<IBH", msg[:7])
        if size != len(msg):
            raise Bad(f"size field {size} != length {len(msg)}")
        if mtype not in NAMES or mtype in (6, 106):
            raise Bad(f"unknown or invalid type {mtype}")
        is_t = mtype % 2 == 0
        if from_client is not None and from_client != is_t:
            raise Bad(f"{NAMES[mtype]} sent by the {'client' if from_client else 'server'}")
        if is_t:
            if tag in self.pending:
                raise Bad(f"{NAMES[mtype]} reuses outstanding tag {tag}")
            self.pending[tag] = (mtype, msg)
        else:
            if tag not in self.pending:
                raise Bad(f"{NAMES[mtype]} answers unknown tag {tag}")
            ttype, tmsg = self.pending.pop(tag)
            if mtype not in (ttype + 1, RLERROR):
                raise Bad(f"{NAMES[mtype]} answers {NAMES[ttype]}")
            if mtype == RFLUSH:
                self.pending.pop(struct.unpack("<H", tmsg[7:9])[0], None)
            if mtype == RVERSION:
                self.msize, = struct.unpack("<I", msg[7:11])
        self.counts[NAMES[mtype]] += 1


def convert(args):
    conns = connections(args.pcap, args.port)
    if not conns:
        raise Bad(f"no TCP connection to port {args.port} in {args.pcap}")
    if args.conn is None and len(conns) != 1:
        raise Bad(f"{len(conns)} connections to port {args.port}: pick one with --conn")
    index = (args.conn or 1) - 1
    if not 0 <= index < len(conns):
        raise Bad(f"--conn {args.conn}: only {len(conns)} connections")
    check, lines = Checker(), []
    for c2s, msg in messages(list(conns.values())[index]):
        check.add(msg, c2s)
        lines.append(msg.hex())
    if check.msize is None:
        raise Bad("no Rversion in the connection")
    sys.stdout.write(f"# source: {args.source}\n# dialect: 9P2000.L\n"
                     f"# msize: {check.msize}\n" + "\n".join(lines) + "\n")


def check_files(args):
    for path in args.files:
        check = Checker()
        with open(path) as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                try:
                    if line != line.lower() or len(line) % 2:
                        raise Bad("not lowercase hex of whole bytes")
                    check.add(bytes.fromhex(line))
                except (Bad, ValueError) as e:
                    raise Bad(f"{path}:{n}: {e}")
        total = sum(check.counts.values())
        print(f"{path}: {total} messages, msize {check.msize}")
        for name, count in sorted(check.counts.items(),
                                  key=lambda kv: (kv[0][1:], kv[0][0] == "R")):
            print(f"  {name:13} {count}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    cv = sub.add_parser("convert")
    cv.add_argument("pcap")
    cv.add_argument("--port", type=int, required=True)
    cv.add_argument("--source", required=True)
    cv.add_argument("--conn", type=int)
    ck = sub.add_parser("check")
    ck.add_argument("files", nargs="+")
    args = ap.parse_args()
    try:
        convert(args) if args.cmd == "convert" else check_files(args)
    except (Bad, OSError) as e:
        sys.exit(f"pcap2golden: {e}")


if __name__ == "__main__":
    main()
