#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the capture fixtures in testdata/capture/ (used by tests/unit/test_capture.c).

Only the standard library (struct), fixed timestamps and documentation
addresses (192.0.2.0/24, 2001:db8::/32), so the output is byte-for-byte the
same on every run:  python3 tests/make-capture-fixtures.py [OUTDIR]
"""
import os
import socket
import struct
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "capture")

TS = 1700000000          # 2023-11-14T22:13:20Z
A1, A2 = "192.0.2.1", "192.0.2.2"
B1, B2 = "2001:db8::1", "2001:db8::2"
MAC1, MAC2 = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")

LT_NULL, LT_EN10MB, LT_RAW, LT_LOOP, LT_SLL = 0, 1, 101, 108, 113
LT_USER0, LT_IPV4, LT_IPV6, LT_SLL2 = 147, 228, 229, 276


# ---------------------------------------------------------------- payloads

def ike(seed, body=40):
    """A fake IKE message: 28-octet header (SPIi from seed, IKE_SA_INIT) + body."""
    spi = bytes((seed + i) & 0xff for i in range(1, 9))
    hdr = spi + bytes(8) + struct.pack("!BBBBII", 33, 0x20, 34, 0x08, 0, 28 + body)
    return hdr + bytes((seed * 31 + i * 7) & 0xff for i in range(body))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def udp(src, dst, sport, dport, payload, length=None):
    """UDP header + payload, checksummed over the pseudo-header of src/dst."""
    ulen = 8 + len(payload) if length is None else length
    if ":" in src:
        ph = socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) \
            + struct.pack("!IxxxB", 8 + len(payload), 17)
    else:
        ph = socket.inet_pton(socket.AF_INET, src) + socket.inet_pton(socket.AF_INET, dst) \
            + struct.pack("!xBH", 17, 8 + len(payload))
    hdr = struct.pack("!HHHH", sport, dport, ulen, 0)
    c = csum(ph + hdr + payload) or 0xffff
    return struct.pack("!HHHH", sport, dport, ulen, c) + payload


def ip4(src, dst, proto, payload, ident=0x1234, frag=0, ihl=5, version=4, total=None):
    tot = 20 + len(payload) if total is None else total
    hdr = struct.pack("!BBHHHBBH4s4s", version << 4 | ihl, 0, tot, ident, frag, 64, proto, 0,
                      socket.inet_pton(socket.AF_INET, src), socket.inet_pton(socket.AF_INET, dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def ip6(src, dst, nh, payload, plen=None):
    return struct.pack("!IHBB", 6 << 28, len(payload) if plen is None else plen, nh, 64) \
        + socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) + payload


def ext6(nh, body6=b"\x01\x04\0\0\0\0"):
    """A hop-by-hop/destination-options header: next header, length 0, PadN."""
    return struct.pack("!BB", nh, 0) + body6


def frag6(nh, off, more, ident, data):
    return struct.pack("!BxHI", nh, off | (1 if more else 0), ident) + data


def eth(etype, payload, vlans=()):
    hdr = MAC2 + MAC1
    for tpid, vid in vlans:
        hdr += struct.pack("!HH", tpid, vid)
    frame = hdr + struct.pack("!H", etype) + payload
    return frame + bytes(max(0, 60 - len(frame)))      # Ethernet minimum, as on the wire


def udp4(sport, dport, payload, src=A1, dst=A2):
    return ip4(src, dst, 17, udp(src, dst, sport, dport, payload))


def udp6(sport, dport, payload, src=B1, dst=B2):
    return ip6(src, dst, 17, udp(src, dst, sport, dport, payload))


def eth4(sport, dport, payload, **kw):
    return eth(0x0800, udp4(sport, dport, payload, **kw))


def eth6(sport, dport, payload):
    return eth(0x86dd, udp6(sport, dport, payload))


ARP = eth(0x0806, struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + MAC1
          + socket.inet_pton(socket.AF_INET, A1) + bytes(6) + socket.inet_pton(socket.AF_INET, A2))


# ---------------------------------------------------------------- file formats

def pcap(linktype, frames, snaplen=65535, nsec=False, times=None):
    """frames: list of bytes, or (bytes, orig_len) for a record cut by the snaplen;
    record i is stamped TS + i seconds unless times gives the offsets."""
    magic = 0xa1b23c4d if nsec else 0xa1b2c3d4
    out = [struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)]
    for i, f in enumerate(frames):
        data, orig = f if isinstance(f, tuple) else (f, len(f))
        data = data[:snaplen]
        frac = 123456789 + i if nsec else 123456 + i
        sec = TS + (times[i] if times else i)
        out.append(struct.pack("<IIII", sec, frac, len(data), orig) + data)
    return b"".join(out)


def pcapng(linktype, frames):
    def block(btype, body):
        body += bytes(-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

    out = block(0x0a0d0d0a, struct.pack("<IHHq", 0x1a2b3c4d, 1, 0, -1))
    out += block(0x00000001, struct.pack("<HHI", linktype, 0, 0))     # default tsresol: us
    for i, data in enumerate(frames):
        t = (TS + i) * 1000000 + 654321
        out += block(0x00000006, struct.pack("<IIIII", 0, t >> 32, t & 0xffffffff,
                                             len(data), len(data)) + data)
    return out


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- the fixtures

def main():
    os.makedirs(OUT, exist_ok=True)

    # Ethernet: the mix of things to skip around two IKE datagrams.
    write("eth.pcap", pcap(LT_EN10MB, [
        ARP,                                                    # 1 other
        eth4(500, 500, ike(1)),                                 # 2 IKE
        eth4(33333, 53, b"\x12\x34\x01\x00" + bytes(8)),        # 3 other (DNS)
        eth(0x0800, ip4(A1, A2, 17, udp(A1, A2, 500, 500, ike(9)), ihl=3)),  # 4 bad: IHL 3
        eth(0x0800, ip4(A1, A2, 50, struct.pack("!II", 0x11223344, 1) + bytes(24))),  # 5 esp
        eth(0x0800, udp4(500, 500, ike(2)), vlans=((0x88a8, 100), (0x8100, 200))),  # 6 IKE
        eth(0x86dd, ip6(B1, B2, 60, ext6(17) + udp(B1, B2, 500, 500, ike(3)))),  # 7 IKE
        eth(0x0800, ip4(A1, A2, 17, udp(A1, A2, 500, 500, ike(9), length=500))),  # 8 bad UDP len
        eth4(500, 500, b"\xde\xad\xbe\xef"),                    # 9 IKE, 4 octets + padding
        eth(0x0800, ip4(A1, A2, 17, udp(A1, A2, 500, 500, ike(9)), version=5)),  # 10 bad
        eth(0x0800, ip4(A1, A2, 17, udp(A1, A2, 500, 500, ike(9)), total=1400)),  # 11 bad
        eth(0x86dd, ip6(B1, B2, 17, udp(B1, B2, 500, 500, b""), plen=1000)),  # 12 bad: length
    ]))

    # Linux cooked captures: SLL (protocol at 14) and SLL2 (protocol at 0).
    sll = struct.pack("!HHH8sH", 0, 1, 6, MAC1 + b"\0\0", 0x0800)
    write("sll.pcap", pcap(LT_SLL, [sll + udp4(500, 500, ike(4))]))
    sll2 = struct.pack("!HHIHBB8s", 0x86dd, 0, 2, 1, 4, 6, MAC1 + b"\0\0")
    write("sll2.pcap", pcap(LT_SLL2, [sll2 + udp6(500, 500, ike(5))]))

    # BSD loopback: NULL in the writer's host order (one little-, one big-endian
    # writer), LOOP in network order; IPv6 family numbers from three OSes.
    write("null.pcap", pcap(LT_NULL, [
        struct.pack("<I", 2) + udp4(500, 500, ike(6)),
        struct.pack(">I", 30) + udp6(500, 500, ike(7)),
        struct.pack("<I", 7) + udp4(500, 500, ike(8)),          # other: AF 7
    ]))
    write("loop.pcap", pcap(LT_LOOP, [
        struct.pack(">I", 2) + udp4(500, 500, ike(6)),
        struct.pack(">I", 24) + udp6(500, 500, ike(7)),
        struct.pack(">I", 28) + udp6(500, 500, ike(8)),
    ]))

    # Raw IP: LINKTYPE_RAW with both versions, and the two single-version types.
    write("raw.pcap", pcap(LT_RAW, [
        udp4(500, 500, ike(10)),
        udp6(500, 500, ike(11)),
        b"\x50" + bytes(40),                                    # bad: version 5
    ]))
    write("ipv4.pcap", pcap(LT_IPV4, [udp4(500, 500, ike(12))]))
    write("ipv6.pcap", pcap(LT_IPV6, [udp6(500, 500, ike(13))]))

    # NAT traversal and the other ports.
    esp = struct.pack("!II", 0x11223344, 7) + bytes(32)
    write("natt.pcap", pcap(LT_EN10MB, [
        eth4(4500, 4500, bytes(4) + ike(20)),                   # 1 IKE, marker stripped
        eth4(4500, 4500, esp),                                  # 2 esp
        eth4(4500, 4500, b"\xff"),                              # 3 keepalive
        eth4(50500, 50500, ike(21)),                            # 4 IKE (RKMP)
        eth4(40000, 7000, bytes(4) + ike(22)),                  # 5 extra port, marker
        eth4(7000, 40000, ike(23)),                             # 6 extra port, no marker
        eth6(4500, 4500, bytes(4) + ike(24)),                   # 7 IKE over IPv6, marker
    ]))

    # IPv4 fragments: one UDP datagram in three, out of order, a duplicate,
    # and an unrelated datagram in between.
    msg = ike(30, body=1200)
    dgram = udp(A1, A2, 500, 500, msg)
    write("frag4-payload.bin", msg)
    p1, p2, p3 = dgram[:512], dgram[512:1024], dgram[1024:]
    MF = 0x2000
    write("frag4.pcap", pcap(LT_EN10MB, [
        eth(0x0800, ip4(A1, A2, 17, p2, ident=0x4242, frag=MF | 64)),      # 1
        eth(0x0800, ip4(A1, A2, 17, p3, ident=0x4242, frag=128)),          # 2 last
        eth4(500, 500, ike(31)),                                           # 3 IKE
        eth(0x0800, ip4(A1, A2, 17, p2, ident=0x4242, frag=MF | 64)),      # 4 duplicate
        eth(0x0800, ip4(A1, A2, 17, p1, ident=0x4242, frag=MF | 0)),       # 5 completes
    ]))

    # Fragments that must not reassemble: an overlap with different octets
    # (RFC 5722), and a fragment reaching past 65535.
    d = udp(A1, A2, 500, 500, ike(32, body=60))
    bad = bytearray(d[8:24])
    bad[3] ^= 0x55
    write("frag4-bad.pcap", pcap(LT_EN10MB, [
        eth(0x0800, ip4(A1, A2, 17, d[:16], ident=0x77, frag=MF | 0)),
        eth(0x0800, ip4(A1, A2, 17, bytes(bad), ident=0x77, frag=MF | 1)),  # overlap, differs
        eth(0x0800, ip4(A1, A2, 17, d[24:], ident=0x77, frag=3)),           # last: never whole
        eth(0x0800, ip4(A1, A2, 17, bytes(40), ident=0x78, frag=8189)),     # 65512 + 40 > 65535
    ]))

    # Reassembly ages by capture time: 0x10 waits 61 s for its second half
    # (expired), 0x11 waits 59 s (reassembled at record 4).
    d = udp(A1, A2, 500, 500, ike(33))
    write("frag4-timeout.pcap", pcap(LT_EN10MB, [
        eth(0x0800, ip4(A1, A2, 17, d[:16], ident=0x10, frag=MF)),
        eth(0x0800, ip4(A1, A2, 17, d[:16], ident=0x11, frag=MF)),
        eth(0x0800, ip4(A1, A2, 17, d[16:], ident=0x10, frag=2)),
        eth(0x0800, ip4(A1, A2, 17, d[16:], ident=0x11, frag=2)),
    ], times=[0, 2, 61, 61]))

    # A full table: 65 datagrams start, so the first (ident 1) is dropped
    # and its last fragment never completes it; ident 65's does.  All in the
    # same second, so nothing times out.
    first = [eth(0x0800, ip4(A1, A2, 17, d[:16], ident=i, frag=MF)) for i in range(1, 66)]
    write("frag4-evict.pcap", pcap(LT_EN10MB, first + [
        eth(0x0800, ip4(A1, A2, 17, d[16:], ident=1, frag=2)),
        eth(0x0800, ip4(A1, A2, 17, d[16:], ident=65, frag=2)),
    ], times=[0] * 67))

    # IPv6 fragments: a plain datagram in three (last first), and one with a
    # hop-by-hop header before and a destination-options header after the
    # fragment header, in two (reverse order).
    m6 = ike(40, body=900)
    u6 = udp(B1, B2, 500, 500, m6)
    write("frag6-payload.bin", m6)
    f1, f2, f3 = u6[:400], u6[400:800], u6[800:]
    m6b = ike(41, body=500)
    u6b = ext6(17) + udp(B1, B2, 500, 500, m6b)
    g1, g2 = u6b[:304], u6b[304:]
    write("frag6.pcap", pcap(LT_EN10MB, [
        eth(0x86dd, ip6(B1, B2, 44, frag6(17, 800, False, 0x12345678, f3))),   # 1
        eth(0x86dd, ip6(B1, B2, 44, frag6(17, 0, True, 0x12345678, f1))),      # 2
        eth(0x86dd, ip6(B1, B2, 44, frag6(17, 400, True, 0x12345678, f2))),    # 3 completes
        eth(0x86dd, ip6(B1, B2, 0, ext6(44) + frag6(60, 304, False, 0x9abc, g2))),  # 4
        eth(0x86dd, ip6(B1, B2, 0, ext6(44) + frag6(60, 0, True, 0x9abc, g1))),     # 5 completes
    ]))

    # Cut by the snaplen: 128 octets of a 342-octet frame.
    big = ike(50, body=272)
    f_500 = eth4(500, 500, big)
    f_4500 = eth4(4500, 4500, bytes(4) + big)
    write("snaplen.pcap", pcap(LT_EN10MB,
                               [(f_500, len(f_500)), (f_4500, len(f_4500))], snaplen=128))

    write("ike.pcapng", pcapng(LT_EN10MB, [eth4(500, 500, ike(60)), eth6(4500, 4500, bytes(4) + ike(61))]))
    write("nsec.pcap", pcap(LT_EN10MB, [eth4(500, 500, ike(62))], nsec=True))
    write("unknown-link.pcap", pcap(LT_USER0, [b"\x45" + bytes(40), b"hello"]))

    # Files that end inside a record: in its data, and in its header.
    whole = pcap(LT_EN10MB, [eth4(500, 500, ike(70)), eth4(500, 500, ike(71)),
                                         eth4(500, 500, ike(72))])
    write("cut.pcap", whole[:-40])
    two = pcap(LT_EN10MB, [eth4(500, 500, ike(70)), eth4(500, 500, ike(71))])
    write("cut-header.pcap", two + whole[len(two):len(two) + 7])

    write("not-a-capture.txt", b"This is a text file, not a packet capture.\n")
    write("empty.pcap", b"")


if __name__ == "__main__":
    main()
