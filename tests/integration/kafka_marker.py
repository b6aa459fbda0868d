#!/usr/bin/env python3
#
# kafka_marker.py — append a transaction marker (a control record batch, as
# a broker writes when a transactional producer commits or aborts) to one
# partition of tools/kafka-mock's cluster, for the kafka tests:
#
#   kafka_marker.py HOST:PORT TOPIC PARTITION commit|abort
#
# librdkafka's mock cluster (2.0.2) takes part in transactions but writes
# no markers itself, so a topic written by a transactional producer cannot
# be made with it otherwise. The marker takes one offset that no consumer
# ever sees as a record: the partition's end then lies one past the last
# record, as it does on a real broker after a commit. It is sent as a
# Produce request (version 3) over a plain socket: a record batch (magic 2)
# with the control and transactional attributes, producer id -1, one
# control record (key: version 0, type 0 abort / 1 commit; value: version
# 0, coordinator epoch 0). Prints the marker's offset; exit 1 on an error.
import socket
import struct
import sys
import time


def crc32c(data):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    crc = 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def varint(v):
    z = (v << 1) ^ (v >> 63)  # zigzag
    out = bytearray()
    while True:
        b = z & 0x7F
        z >>= 7
        if z:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def string(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def marker_batch(commit):
    key = struct.pack(">hh", 0, 1 if commit else 0)
    value = struct.pack(">hi", 0, 0)
    body = (b"\x00" + varint(0) + varint(0) + varint(len(key)) + key + varint(len(value)) +
            value + varint(0))
    record = varint(len(body)) + body
    now = int(time.time() * 1000)
    # from the attributes on: what the CRC covers
    tail = struct.pack(">hiqqqhii", 0x30, 0, now, now, -1, -1, -1, 1) + record
    head = struct.pack(">ibI", -1, 2, crc32c(tail))  # leader epoch, magic, crc
    return struct.pack(">qi", 0, len(head) + len(tail)) + head + tail


def main():
    if len(sys.argv) != 5 or sys.argv[4] not in ("commit", "abort"):
        sys.exit("usage: kafka_marker.py HOST:PORT TOPIC PARTITION commit|abort")
    host, port = sys.argv[1].split(",")[0].rsplit(":", 1)
    topic, part = sys.argv[2], int(sys.argv[3])
    batch = marker_batch(sys.argv[4] == "commit")
    req = (struct.pack(">hhi", 0, 3, 1) + string("kafka_marker") + struct.pack(">hhi", -1, -1, 5000) +
           struct.pack(">i", 1) + string(topic) + struct.pack(">ii", 1, part) +
           struct.pack(">i", len(batch)) + batch)
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(struct.pack(">i", len(req)) + req)
        want = struct.unpack(">i", recv(s, 4))[0]
        resp = recv(s, want)
    # correlation id, topics (1), name, partitions (1), index, error, base offset
    at = 4 + 4
    n = struct.unpack_from(">h", resp, at)[0]
    at += 2 + n + 4
    _, err, base = struct.unpack_from(">ihq", resp, at)
    if err != 0:
        sys.exit("kafka_marker.py: the broker answered error %d for %s/%d" % (err, topic, part))
    print(base)


def recv(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            sys.exit("kafka_marker.py: the broker closed the connection")
        buf += chunk
    return buf


if __name__ == "__main__":
    main()
