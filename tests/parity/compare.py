"""Compares Easel's logits and gradients with PyTorch's golden values for one parity case.
Logits: max |Δ| / max |logit| <= 1e-4; every parameter's gradient: max |Δ| / max |g| <= 1e-3
(in f32; an f64 case must agree to 1e-9, as both engines then compute the same sums exactly).

usage: compare.py MODEL CASE_DIR [f32|f64]
"""
import sys
import numpy as np

model, d = sys.argv[1], sys.argv[2]
dtype = sys.argv[3] if len(sys.argv) > 3 else "f32"
logit_tol, grad_tol = (1e-4, 1e-3) if dtype == "f32" else (1e-9, 1e-9)
golden = np.load(f"{d}/golden.npz")
out = np.load(f"{d}/out.npz")
grads = np.load(f"{d}/grads.npz")

ok = True
ref = golden["logits"]
got = out["logits"]
if got.shape != ref.shape:
    print(f"FAIL {model}: logits shape {got.shape}, PyTorch {ref.shape}")
    sys.exit(1)
logit_err = np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-30)
if logit_err > logit_tol:
    ok = False
    print(f"FAIL {model}: logits relative error {logit_err:.3g} > {logit_tol}")

keys = [k[5:] for k in golden.files if k.startswith("grad.")]
missing = [k for k in keys if k not in grads.files]
extra = [k for k in grads.files if "grad." + k not in golden.files]
if missing or extra:
    print(f"FAIL {model}: gradient keys differ; missing {missing[:5]}, unexpected {extra[:5]}")
    sys.exit(1)
worst, worst_key = 0.0, ""
for k in keys:
    r, g = golden["grad." + k], grads[k]
    if r.shape != g.shape:
        print(f"FAIL {model}: gradient {k} shape {g.shape}, PyTorch {r.shape}")
        sys.exit(1)
    scale = np.abs(r).max()
    err = np.abs(g - r).max() / scale if scale > 0 else np.abs(g).max()
    if err > worst:
        worst, worst_key = err, k
    if err > grad_tol:
        ok = False
        print(f"FAIL {model}: gradient {k} relative error {err:.3g} > {grad_tol}")
print(f"{'PASS' if ok else 'FAIL'} {model} ({dtype}): logits rel err {logit_err:.2e} (max |logit| {np.abs(ref).max():.3g}); "
      f"{len(keys)} gradients, worst rel err {worst:.2e} ({worst_key})")
sys.exit(0 if ok else 1)
