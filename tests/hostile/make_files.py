#!/usr/bin/python3
"""Writes hostile and broken inputs for tests/hostile/run.sh (and seeds for the fuzzers): zip
entries whose fields lie, decompression bombs, overflowing shapes, duplicate keys, non-finite
weights, a 1 x 100000 PNG, JSON nested 100000 deep, CSV cells with braces."""
import io, os, struct, sys, zlib

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def npy(arr):
    b = io.BytesIO()
    np.save(b, arr)
    return b.getvalue()


def npy_header(shape_text, data=b""):
    h = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % shape_text
    h += " " * ((64 - (10 + len(h) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + data


def zip_bytes(entries, lie=None):
    """entries: [(name, payload bytes, method)]; lie(field dict) may rewrite the central fields."""
    body, cd = b"", b""
    for name, payload, method in entries:
        data = zlib.compress(payload)[2:-4] if method == 8 else payload
        f = dict(crc=zlib.crc32(payload), csize=len(data), usize=len(payload), local_extra=b"", cd_extra=b"",
                 offset=len(body), nlen=len(name), local_xlen=None, cd_xlen=None)
        if lie:
            lie(f)
        local_xlen = len(f["local_extra"]) if f["local_xlen"] is None else f["local_xlen"]
        cd_xlen = len(f["cd_extra"]) if f["cd_xlen"] is None else f["cd_xlen"]
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, method, 0, 0, f["crc"], min(f["csize"], 0xFFFFFFFF),
                            min(f["usize"], 0xFFFFFFFF), len(name), local_xlen) + name.encode() + f["local_extra"] + data
        cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, method, 0, 0, f["crc"], min(f["csize"], 0xFFFFFFFF),
                          min(f["usize"], 0xFFFFFFFF), f["nlen"], cd_xlen, 0, 0, 0, 0, min(f["offset"], 0xFFFFFFFF)) \
              + name.encode() + f["cd_extra"]
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(cd), len(body), 0)
    return body + cd + eocd


def write(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


small = npy(np.arange(6, dtype=np.float32).reshape(2, 3))

# The local header's extra field runs past the end of the file.
write("npz_local_extra_past_end.npz", zip_bytes([("a.npy", small, 0)], lambda f: f.update(local_xlen=0xFFFF)))
# The central directory entry's extra field runs past the file.
write("npz_central_extra_past_end.npz", zip_bytes([("a.npy", small, 0)], lambda f: f.update(cd_xlen=0xFFFF)))
# A deflated entry claiming 4 GiB unpacked from a few bytes.
write("npz_claims_4gib.npz", zip_bytes([("a.npy", small, 8)], lambda f: f.update(usize=0xFFFFFFF0)))
# ZIP64: 1 TiB unpacked, and a compressed size near 2^64 (the offset sums wrap around).
def zip64(usize, csize):
    def lie(f):
        f["cd_extra"] = struct.pack("<HHQQ", 1, 16, usize, csize)
        f["usize"], f["csize"] = 0xFFFFFFFF, 0xFFFFFFFF
    return lie
write("npz_claims_1tib.npz", zip_bytes([("a.npy", small, 8)], zip64(1 << 40, 40)))
write("npz_csize_wraps.npz", zip_bytes([("a.npy", small, 0)], zip64(len(small), (1 << 64) - 16)))
# A shape whose element count overflows int64, with almost no data behind it.
write("npz_shape_overflow.npz", zip_bytes([("a.npy", npy_header("(4294967296, 4294967296, 16)", b"\0" * 16), 0)]))
write("npz_shape_huge_dim.npz", zip_bytes([("a.npy", npy_header("(99999999999999999999999,)"), 0)]))
# Two entries with one name (NumPy keeps the last; Easel refuses).
write("npz_duplicate_keys.npz", zip_bytes([("conv1.weight.npy", small, 0), ("conv1.weight.npy", small, 0)]))
# Half of a good file.
good = zip_bytes([("a.npy", small, 0)])
write("npz_truncated.npz", good[: len(good) // 2])
write("npz_tiny.npz", b"PK\x05\x06")
# Weights that hold NaN and Inf.
bad = np.ones((64, 3, 7, 7), dtype=np.float32)
bad[0, 0, 0, 0], bad[1, 1, 1, 1] = np.nan, np.inf
write("npz_nan_weights.npz", zip_bytes([("conv1.weight.npy", npy(bad), 0)]))
# An input batch holding a NaN.
x = np.zeros((1, 3, 32, 32), dtype=np.float32)
x[0, 0, 5, 5] = np.nan
write("npz_nan_input.npz", zip_bytes([("input.npy", npy(x), 0)]))

# A valid 1 x 100000 PNG (370 bytes or so): resizing its short side to 224 would need ~20 GB.
def png(w, h):
    raw = b"".join(b"\0" + b"\x80" * (3 * w) for _ in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
write("png_1x100000.png", png(100000, 1))
write("png_too_many_pixels.png", png(12000, 12000))

# A study file nested 100000 deep.
write("json_deep.json", b"[" * 100000 + b"]" * 100000)
write("json_deep_objects.json", b'{"a":' * 100000 + b"1" + b"}" * 100000)

# CSV manifests: a cell with '{' and no '}', a cell that expands to itself, an unclosed template.
write("csv_braces.csv", b"file,label\nx{y.png,a\n{file}.png,b\n")
