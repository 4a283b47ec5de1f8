"""compare_runs.py RUN_A RUN_B BOUND: the model state in two runs' last.npz, max |a - b| / max |b| over
every floating value (per tensor it would be ill-posed: a bias whose gradient is analytically ~0 is
rounding noise in both runs). Prints it; exits 1 above BOUND."""
import sys

import numpy as np

a, b = np.load(sys.argv[1] + "/last.npz"), np.load(sys.argv[2] + "/last.npz")
keys = sorted(k for k in a.files if k.startswith("model.") and a[k].dtype.kind == "f")
assert keys and keys == sorted(k for k in b.files if k.startswith("model.") and b[k].dtype.kind == "f")
diff = max(np.abs(a[k].astype(np.float64) - b[k]).max() for k in keys)
scale = max(np.abs(b[k]).max() for k in keys)
print(f"max |difference| / max |weight| = {diff / scale:.3g} over {len(keys)} tensors")
sys.exit(0 if diff / scale <= float(sys.argv[3]) else 1)
