"""Converts Keras Applications .h5 weights (Xception, VGG16, ResNet50) to Easel .npz keys.

usage: python3 convert_keras.py xception|vgg16|resnet50 WEIGHTS.h5 OUT.npz    (needs python3-h5py)

Layouts: Keras conv kernels are (kh, kw, in, out) -> (out, in, kh, kw); depthwise (kh, kw, in, 1) ->
(in, 1, kh, kw); dense (in, out) -> (out, in); BN gamma/beta/moving_mean/moving_variance ->
weight/bias/running_mean/running_var. Caveats, printed again at run time:
- Keras BN uses eps 1e-3, Easel's BatchNorm2d 1e-5; Keras pools with TF "same" padding (extra pad at
  the bottom/right only). Converted Xception / ResNet50 weights are therefore close to, not
  identical with, the Keras model. Feed them the preprocessing they were trained with
  (xception: --preprocess tf; vgg16 / resnet50: --preprocess caffe).
- Keras ResNet50 is v1 (stride in the first 1×1 conv) with conv biases; Easel's resnet50 is
  torchvision's v1.5. The biases are folded into the following batch norm (exact); the stride
  placement differs, so expect some loss of accuracy: fine-tune after converting.
- VGG16's fc1 kernel rows are in Keras' (h, w, c) flatten order; they are reordered to PyTorch's
  (c, h, w).
"""
import re
import sys

import numpy as np

from npz_writer import save_npz


class KerasFile:
    def __init__(self, path):
        import h5py
        self.f = h5py.File(path, "r")
        self.root = self.f["model_weights"] if "model_weights" in self.f else self.f

    def numbered(self, base):
        """Auto-named layers base, base_1, base_2, ... in creation order (their names vary by Keras version)."""
        names = [n for n in self.root.keys() if re.fullmatch(base + r"(_\d+)?", n)]
        return sorted(names, key=lambda n: int(n.rsplit("_", 1)[1]) if re.search(r"_\d+$", n) else 0)

    def get(self, layer, weight):
        g = self.root[layer]
        for name in g.attrs["weight_names"]:
            name = name.decode() if isinstance(name, bytes) else name
            if name.split("/")[-1].startswith(weight):
                return np.array(g[name])
        raise KeyError(f"{layer}: no weight '{weight}'")


def conv(k):
    return k.transpose(3, 2, 0, 1)


def depthwise(k):
    return k.transpose(2, 3, 0, 1)


def bn(f, layer, prefix, out, conv_bias=None):
    out[prefix + "weight"] = f.get(layer, "gamma")
    out[prefix + "bias"] = f.get(layer, "beta")
    mean = f.get(layer, "moving_mean")
    out[prefix + "running_mean"] = mean - conv_bias if conv_bias is not None else mean  # fold the conv bias
    out[prefix + "running_var"] = f.get(layer, "moving_variance")
    out[prefix + "num_batches_tracked"] = np.zeros((), np.int64)


def xception(f):
    o = {}
    o["conv1.weight"] = conv(f.get("block1_conv1", "kernel"))
    bn(f, "block1_conv1_bn", "bn1.", o)
    o["conv2.weight"] = conv(f.get("block1_conv2", "kernel"))
    bn(f, "block1_conv2_bn", "bn2.", o)
    skip_convs, skip_bns = f.numbered("conv2d"), f.numbered("batch_normalization")  # the 4 unnamed shortcuts
    if len(skip_convs) != 4 or len(skip_bns) != 4:
        sys.exit(f"expected 4 shortcut convs and batch norms, found {skip_convs} and {skip_bns}")
    residual = 0
    for ours in range(1, 13):
        keras_block = ours + 1
        reps = 3 if 4 <= ours <= 11 else 2
        first = 0 if ours == 1 else 1  # rep index of the first separable conv (block1 has no leading ReLU)
        for r in range(reps):
            sep, norm = first + 3 * r, first + 3 * r + 1
            layer = f"block{keras_block}_sepconv{r + 1}"
            o[f"block{ours}.rep.{sep}.conv1.weight"] = depthwise(f.get(layer, "depthwise_kernel"))
            o[f"block{ours}.rep.{sep}.pointwise.weight"] = conv(f.get(layer, "pointwise_kernel"))
            bn(f, layer + "_bn", f"block{ours}.rep.{norm}.", o)
        if ours in (1, 2, 3, 12):
            o[f"block{ours}.skip.weight"] = conv(f.get(skip_convs[residual], "kernel"))
            bn(f, skip_bns[residual], f"block{ours}.skipbn.", o)
            residual += 1
    for i, (ours, bn_name) in enumerate([("conv3", "bn3"), ("conv4", "bn4")]):
        layer = f"block14_sepconv{i + 1}"
        o[f"{ours}.conv1.weight"] = depthwise(f.get(layer, "depthwise_kernel"))
        o[f"{ours}.pointwise.weight"] = conv(f.get(layer, "pointwise_kernel"))
        bn(f, layer + "_bn", bn_name + ".", o)
    o["fc.weight"] = f.get("predictions", "kernel").T
    o["fc.bias"] = f.get("predictions", "bias")
    return o


def vgg16(f):
    o = {}
    convs = [(1, 2), (2, 2), (3, 3), (4, 3), (5, 3)]
    idx = 0
    for block, n in convs:
        for i in range(1, n + 1):
            layer = f"block{block}_conv{i}"
            o[f"features.{idx}.weight"] = conv(f.get(layer, "kernel"))
            o[f"features.{idx}.bias"] = f.get(layer, "bias")
            idx += 2
        idx += 1  # the max-pool
    fc1 = f.get("fc1", "kernel")  # (7·7·512, 4096) in (h, w, c) order
    o["classifier.0.weight"] = fc1.reshape(7, 7, 512, -1).transpose(2, 0, 1, 3).reshape(25088, -1).T
    o["classifier.0.bias"] = f.get("fc1", "bias")
    o["classifier.3.weight"] = f.get("fc2", "kernel").T
    o["classifier.3.bias"] = f.get("fc2", "bias")
    o["classifier.6.weight"] = f.get("predictions", "kernel").T
    o["classifier.6.bias"] = f.get("predictions", "bias")
    return o


def resnet50(f):
    o = {}
    o["conv1.weight"] = conv(f.get("conv1_conv", "kernel"))
    bn(f, "conv1_bn", "bn1.", o, f.get("conv1_conv", "bias"))
    for stage, blocks in zip(range(2, 6), [3, 4, 6, 3]):
        for b in range(1, blocks + 1):
            ours = f"layer{stage - 1}.{b - 1}."
            for i in (1, 2, 3):
                layer = f"conv{stage}_block{b}_{i}_conv"
                o[ours + f"conv{i}.weight"] = conv(f.get(layer, "kernel"))
                bn(f, f"conv{stage}_block{b}_{i}_bn", ours + f"bn{i}.", o, f.get(layer, "bias"))
            if b == 1:
                layer = f"conv{stage}_block1_0_conv"
                o[ours + "downsample.0.weight"] = conv(f.get(layer, "kernel"))
                bn(f, f"conv{stage}_block1_0_bn", ours + "downsample.1.", o, f.get(layer, "bias"))
    o["fc.weight"] = f.get("predictions", "kernel").T
    o["fc.bias"] = f.get("predictions", "bias")
    return o


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("xception", "vgg16", "resnet50"):
        sys.exit(__doc__)
    model, src, out = sys.argv[1:]
    arrays = {"xception": xception, "vgg16": vgg16, "resnet50": resnet50}[model](KerasFile(src))
    arrays = {k: (v.astype(np.float32) if v.dtype.kind == "f" else v) for k, v in arrays.items()}
    digest = save_npz(out, arrays)
    print(f"{out}: {len(arrays)} arrays from Keras {model}; sha256 {digest}")
    if model != "vgg16":
        print("note: Keras BN eps / 'same' pooling" + (" / v1 strides" if model == "resnet50" else "") +
              " differ from Easel's structure; see this script's header")


if __name__ == "__main__":
    main()
