# The same cases as bench_ops.cpp, in PyTorch (the speed peer). Prints "name milliseconds".
import sys, time
import torch
import torch.nn.functional as F

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
torch.manual_seed(0)


def median_ms(f, reps):
    f()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        t.append((time.perf_counter() - t0) * 1000)
    t.sort()
    return t[len(t) // 2]


def conv_case(name, x, w, stride=1, padding=0, groups=1, reps=5):
    X = torch.randn(*x)
    W = torch.randn(*w) * 0.05
    with torch.no_grad():
        print(f"{name}_fwd {median_ms(lambda: F.conv2d(X, W, None, stride, padding, 1, groups), reps):.3f}", flush=True)
    Xg = X.clone().requires_grad_()
    Wg = W.clone().requires_grad_()

    def fb():
        Xg.grad = None
        Wg.grad = None
        F.conv2d(Xg, Wg, None, stride, padding, 1, groups).sum().backward()

    print(f"{name}_fwdbwd {median_ms(fb, reps):.3f}", flush=True)


A = torch.randn(1024, 1024)
B = torch.randn(1024, 1024)
print(f"gemm1024 {median_ms(lambda: torch.mm(A, B), 10):.3f}")
X = torch.randn(64, 2048)
Wl = (torch.randn(1000, 2048) * 0.02).requires_grad_()


def lin():
    Wl.grad = None
    F.linear(X, Wl).sum().backward()


print(f"linear64x2048x1000_fwdbwd {median_ms(lin, 10):.3f}")
conv_case("conv3x3_64_56_b8", (8, 64, 56, 56), (64, 64, 3, 3), 1, 1)
conv_case("conv1x1_256to64_56_b8", (8, 256, 56, 56), (64, 256, 1, 1))
conv_case("conv7x7s2_3to64_224_b4", (4, 3, 224, 224), (64, 3, 7, 7), 2, 3)
conv_case("dwconv3x3_96_56_b8", (8, 96, 56, 56), (96, 1, 3, 3), 1, 1, 96)
conv_case("conv3x3_64_56_b1", (1, 64, 56, 56), (64, 64, 3, 3), 1, 1, reps=10)
