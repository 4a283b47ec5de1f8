"""Deterministic .npz writer shared by the converters: stored (uncompressed) entries with a fixed
timestamp, so that converting the same checkpoint twice gives byte-identical files (and the same
SHA-256). np.savez stamps the current time into the zip, which would change the hash each run."""
import hashlib
import io
import zipfile

import numpy as np


def save_npz(path, arrays):
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED, allowZip64=True) as z:
        for name, value in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(value, order="C"), allow_pickle=False)  # keeps 0-d arrays 0-d
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            z.writestr(info, buf.getvalue())
    import os
    os.replace(tmp, path)  # atomic: never a half-written weights file
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def to_numpy(state_dict):
    """A PyTorch state_dict as float32 / int64 numpy arrays, keys unchanged."""
    out = {}
    for k, v in state_dict.items():
        a = v.detach().cpu().numpy()
        out[k] = a.astype(np.float32) if a.dtype.kind == "f" else a.astype(np.int64)
    return out
