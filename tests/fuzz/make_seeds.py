#!/usr/bin/python3
"""Seed inputs for the fuzz targets, made fresh (nothing binary is committed): valid and hostile
.npz archives, JSON files from the repository, CSV manifests, small images in every format stb reads."""
import glob, io, os, shutil, struct, subprocess, sys, zlib

import numpy as np

src, out = sys.argv[1], sys.argv[2]
dirs = {t: os.path.join(out, t) for t in ("npz", "json", "csv", "image")}
for d in dirs.values():
    os.makedirs(d, exist_ok=True)


def put(target, name, data):
    with open(os.path.join(dirs[target], name), "wb") as f:
        f.write(data)


def savez(compressed, **arrays):
    b = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(b, **arrays)
    return b.getvalue()


put("npz", "plain.npz", savez(False, w=np.arange(6, dtype=np.float32).reshape(2, 3), b=np.ones(3), n=np.int64(4)))
put("npz", "deflated.npz", savez(True, w=np.zeros((4, 4), np.float16), l=np.array([1, 2], np.int32), u=np.array([1], np.uint8)))
put("npz", "scalar.npz", savez(False, s=np.float64(2.5), e=np.zeros((0, 3), np.float32)))
hostile = os.path.join(out, "hostile")
subprocess.run(["/usr/bin/python3", os.path.join(src, "tests/hostile/make_files.py"), hostile], check=True)
for p in glob.glob(os.path.join(hostile, "*")):
    if os.path.getsize(p) <= 65536:
        target = {"npz": "npz", "png": "image", "json": "json", "csv": "csv"}[p.rsplit(".", 1)[1]]
        shutil.copy(p, dirs[target])
for p in glob.glob(os.path.join(src, "experiments", "*.json")):
    shutil.copy(p, dirs["json"])
put("json", "values.json", b'{"a": [1, 2.5e-3, -0, true, false, null, "x\\"y\\n"], "b": {}, "c": [[]]} # comment\n')
put("csv", "manifest.csv", b"split,label,file\ndev,abstract,a.jpg\ndev,figurative,\"b, c.jpg\"\ntest,abstract,d.jpg\n")
put("csv", "bom_crlf.csv", b"\xef\xbb\xbfpath,label\r\nx.png,a\r\ny.png,b\r\n")


def png(w, h, color=2, depth=8):
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    row = b"\x00" + bytes((i * 37) % 256 for i in range(w * channels * depth // 8))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(row * h)) + chunk(b"IEND", b"")


put("image", "rgb.png", png(5, 4))
put("image", "gray16.png", png(3, 3, 0, 16))
put("image", "rgba.png", png(4, 2, 6))
put("image", "p6.ppm", b"P6\n3 2\n255\n" + bytes(range(18)))
put("image", "p5.pgm", b"P5\n2 2\n255\n\x00\x40\x80\xff")
bmp_pixels = bytes(range(2 * 2 * 3)) + b"\x00\x00" * 2
put("image", "small.bmp", b"BM" + struct.pack("<IHHI", 54 + len(bmp_pixels), 0, 0, 54) +
    struct.pack("<IiiHHIIiiII", 40, 2, 2, 1, 24, 0, len(bmp_pixels), 2835, 2835, 0, 0) + bmp_pixels)
for p in sorted(glob.glob(os.path.join(src, "..", "shared", "data", "**", "*.jpg"), recursive=True)):
    if os.path.getsize(p) <= 65536:  # a few real JPEGs when the shared paintings are there
        shutil.copy(p, dirs["image"])
        if len(os.listdir(dirs["image"])) > 10:
            break
