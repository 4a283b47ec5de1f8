"""The C API (apps/capi/easel.h) from C, from Python's ctypes and through easel-infer, against
`easel predict`. Python's standard library only: a Python user classifies without PyTorch or numpy.

    test_capi.py EASEL LIBEASEL_SO TEST_CAPI EASEL_INFER WORK_DIR
"""
import ctypes
import json
import os
import struct
import subprocess
import sys
import threading
import zlib

easel, libeasel, test_capi, easel_infer, work = sys.argv[1:6]
# One thread count for every process here: predict, the C test (easel_set_threads(2)) and ctypes
# compute with 2, so no reduction order differs between the answers compared.
os.environ["OMP_NUM_THREADS"] = "2"
os.makedirs(work, exist_ok=True)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def close(a, b, tol=1e-6):
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


# ---- a model file and an image -------------------------------------------------------------------
classes = ["abstract", "figurative", "still life"]
model = os.path.join(work, "model.npz")
subprocess.run([easel, "export", "--model", "resnet18", "--classes", ",".join(classes), "--size", "48",
                "--out", model], check=True, stdout=subprocess.DEVNULL)

W, H = 61, 40  # not square, not the input size: the model's resize and crop matter
pixels = bytes((x * 4 + y * 3 + c * 80) % 256 for y in range(H) for x in range(W) for c in range(3))


def png(width, height, rgb):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + rgb[y * width * 3:(y + 1) * width * 3] for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


image = os.path.join(work, "image.png")
raw = os.path.join(work, "image.rgb")
with open(image, "wb") as f:
    f.write(png(W, H, pixels))
with open(raw, "wb") as f:
    f.write(pixels)

# ---- the reference: easel predict ------------------------------------------------------------------
out = subprocess.run([easel, "predict", "--model", model, "--json", "--top", "3", image], check=True,
                     capture_output=True, text=True).stdout
ref = json.loads(out)
ref_p = {t["class"]: t["probability"] for t in ref["top"]}
expected = [ref_p[c] for c in classes]
print("predict:", ref["class"], expected)

# ---- C --------------------------------------------------------------------------------------------
r = subprocess.run([test_capi, model, image, raw, str(W), str(H)], capture_output=True, text=True)
print(r.stdout, r.stderr, end="")
check(r.returncode == 0, f"test_capi exited {r.returncode}")
rows = {line.split()[0]: line.split()[1:] for line in r.stdout.splitlines() if line.split() and line.split()[0] in ("file", "rgb8")}
for tag in ("file", "rgb8"):
    check(tag in rows, f"test_capi printed no '{tag}' row")
    if tag in rows:
        best, probs = int(rows[tag][0]), [float(v) for v in rows[tag][1:]]
        check(classes[best] == ref["class"], f"C {tag}: class {classes[best]}, predict says {ref['class']}")
        check(len(probs) == 3 and all(close(a, b) for a, b in zip(probs, expected)),
              f"C {tag}: {probs} != predict's {expected}")

# ---- Python through ctypes ---------------------------------------------------------------------------
lib = ctypes.CDLL(libeasel)
lib.easel_version.restype = ctypes.c_char_p
lib.easel_last_error.restype = ctypes.c_char_p
lib.easel_model_load.restype = ctypes.c_void_p
lib.easel_model_load.argtypes = [ctypes.c_char_p]
lib.easel_model_free.argtypes = [ctypes.c_void_p]
lib.easel_model_num_classes.argtypes = [ctypes.c_void_p]
lib.easel_model_class_name.restype = ctypes.c_char_p
lib.easel_model_class_name.argtypes = [ctypes.c_void_p, ctypes.c_int]
lib.easel_model_metadata.restype = ctypes.c_char_p
lib.easel_model_metadata.argtypes = [ctypes.c_void_p]
lib.easel_classify_file.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_float), ctypes.c_int]
lib.easel_classify_rgb8.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                    ctypes.POINTER(ctypes.c_float), ctypes.c_int]

check(lib.easel_version().decode() != "", "no version")
check(lib.easel_model_load(b"/no/such/model.npz") is None, "a missing model loaded")
check("/no/such/model.npz" in lib.easel_last_error().decode(), "the error does not name the missing file")
m = lib.easel_model_load(model.encode())
check(m is not None, "ctypes load: " + lib.easel_last_error().decode())
n = lib.easel_model_num_classes(m)
names = [lib.easel_model_class_name(m, i).decode() for i in range(n)]
check(names == classes, f"class names {names}")
meta = json.loads(lib.easel_model_metadata(m).decode())
check(meta["classes"] == classes and meta["input"]["size"] == 48, f"metadata {meta}")

probs = (ctypes.c_float * n)()
best = lib.easel_classify_file(m, image.encode(), probs, n)
check(best >= 0 and names[best] == ref["class"], f"ctypes file: {best} {lib.easel_last_error().decode()}")
check(all(close(a, b) for a, b in zip(list(probs), expected)), f"ctypes file: {list(probs)} != {expected}")
check(lib.easel_classify_file(m, b"/no/such/image.png", probs, n) == -1
      and "/no/such/image.png" in lib.easel_last_error().decode(), "a missing image did not fail by name")

# Four threads classify at once (ctypes lets go of the GIL): each gets the single-thread answer.
answers = [None] * 4


def worker(i):
    p = (ctypes.c_float * n)()
    b = lib.easel_classify_rgb8(m, pixels, W, H, 3 * W, p, n)
    answers[i] = (b, list(p))


threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for b, p in answers:
    check(b == best and p == list(probs), f"a thread got {b} {p}, alone {best} {list(probs)}")
lib.easel_model_free(m)

# ---- easel-infer ------------------------------------------------------------------------------------
r = subprocess.run([easel_infer, model, image, "--top", "3"], capture_output=True, text=True)
check(r.returncode == 0, f"easel-infer exited {r.returncode}: {r.stderr}")
if r.returncode == 0:
    got = json.loads(r.stdout)
    check(got["class"] == ref["class"], f"easel-infer: {got['class']} != {ref['class']}")
    check([t["class"] for t in got["top"]] == [t["class"] for t in ref["top"]], "easel-infer: another order")
    check(all(close(a["probability"], b["probability"], 1e-5) for a, b in zip(got["top"], ref["top"])),
          f"easel-infer: {got['top']} != {ref['top']}")
    check(got["model"] == meta["id"], "easel-infer: another model id")
r = subprocess.run([easel_infer, model, "/no/such.jpg"], capture_output=True, text=True)
check(r.returncode == 1 and "/no/such.jpg" in r.stderr, f"easel-infer on a missing image: {r.returncode} {r.stderr}")
r = subprocess.run([easel_infer, model, image, "--top", "zero"], capture_output=True, text=True)
check(r.returncode == 2 and "--top" in r.stderr, f"easel-infer --top zero: {r.returncode} {r.stderr}")
r = subprocess.run([easel_infer, model, "--info"], capture_output=True, text=True)
check(r.returncode == 0 and json.loads(r.stdout)["id"] == meta["id"], "easel-infer --info")

print(f"{len(failures)} failures" if failures else "C, ctypes and easel-infer equal easel predict")
sys.exit(1 if failures else 0)
