#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_frame_decoder into tests/rpc/fuzz_corpus/.

The frame encoder here is written from docs/rpc_protocol.md alone (its own CRC32C, no
LTS code), so rpc_test's SeedCorpus tests double as a check that the C++ codec matches
the specification. valid_*.bin are streams of well-formed frames; invalid_*.bin are
streams a decoder must refuse. Run it again after a format change; the output is
deterministic.
"""

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fuzz_corpus")

REQUEST, RESPONSE, ONEWAY = 0x01, 0x02, 0x04
JSON, CBOR, MSGPACK = 0, 1, 2


def _crc32c_table():
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def mask(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame(flags, fmt, command, status, request_id, body=b"", version=1):
    head = b"LTS1" + struct.pack("<BBBBHHQI", version, flags, fmt, 0, command, status,
                                 request_id, len(body))
    return head + struct.pack("<II", mask(crc32c(head)), mask(crc32c(body))) + body


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    # PING request, empty body (null).
    write("valid_ping.bin", frame(REQUEST, JSON, 1, 0, 1))
    # ECHO request and its response, JSON.
    body = b'{"hello":"world","n":[1,2.5,-3,true,null]}'
    write("valid_echo.bin", frame(REQUEST, JSON, 2, 0, 7, body) +
          frame(RESPONSE, JSON, 2, 0, 7, body))
    # An error response: INVALID_ARGUMENT (2) with a message.
    write("valid_error_response.bin",
          frame(RESPONSE, JSON, 11, 2, 42, b'{"message":"taskId: empty"}'))
    # CBOR {"a": [1, 2.5, "x"], "b": h'0102'} and an indefinite-length array [_ 1, "y"].
    cbor = (bytes([0xA2, 0x61, 0x61, 0x83, 0x01, 0xFB]) + struct.pack(">d", 2.5) +
            bytes([0x61, 0x78, 0x61, 0x62, 0x42, 0x01, 0x02]))
    write("valid_cbor.bin", frame(REQUEST, CBOR, 10, 0, 3, cbor) +
          frame(REQUEST, CBOR, 10, 0, 4, bytes([0x9F, 0x01, 0x61, 0x79, 0xFF])))
    # MessagePack {"a": 1, "b": true, "c": [nil, "z"]}.
    msgpack = bytes([0x83, 0xA1, 0x61, 0x01, 0xA1, 0x62, 0xC3, 0xA1, 0x63, 0x92, 0xC0, 0xA1,
                     0x7A])
    write("valid_msgpack.bin", frame(REQUEST | ONEWAY, MSGPACK, 17, 0, 5, msgpack))
    # Several frames in one stream: HEART_BEAT, SUBMIT_JOB, GO_AWAY.
    write("valid_multi.bin",
          frame(REQUEST, JSON, 10, 0, 100, b'{"identity":"tt-1","nodeGroup":"g"}') +
          frame(REQUEST, JSON, 11, 0, 101,
                b'{"jobs":[{"taskId":"t1","taskTrackerNodeGroup":"g"}]}') +
          frame(REQUEST | ONEWAY, JSON, 5, 0, 0,
                b'{"status":9,"message":"shutting down","max_version":1}'))
    # AUTH_CHALLENGE as a server sends it.
    write("valid_auth_challenge.bin",
          frame(REQUEST | ONEWAY, JSON, 3, 0, 0,
                b'{"scheme":"lts-auth-v1","nonce":"' + b"ab" * 32 + b'"}'))
    # Streams a decoder must refuse.
    write("invalid_http.bin", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    write("invalid_version2.bin", frame(REQUEST, JSON, 1, 0, 1, version=2))
    bad = bytearray(frame(REQUEST, JSON, 2, 0, 9, b'{"x":1}'))
    bad[-1] ^= 0x01
    write("invalid_body_crc.bin", bytes(bad))


if __name__ == "__main__":
    main()
