"""Converts torchvision's ImageNet weights to an Easel .npz (keys are PyTorch's state_dict keys).

usage: python3 convert_torchvision.py MODEL OUT.npz [--random]

MODEL: vgg16 vgg16_bn vgg19 vgg19_bn resnet18 resnet34 resnet50 resnet101 efficientnet_b0
       efficientnet_v2_s, or a seed net whose backbone comes from torchvision:
       effnet_lstm (EfficientNet-B0 features as cnn.*), two_branch_resnet50 and
       two_branch_resnet50_fusion (ResNet-50 trunk as global_branch.* and patch_branch.*).
For the seed nets the file holds only the backbone; the LSTM / head start from scratch.
Run it where torchvision can download its weights (torch hub verifies the checkpoint's hash).
--random writes randomly initialised weights instead (no download; used by the tests).
"""
import sys

import torchvision

from npz_writer import save_npz, to_numpy

BACKBONE = {"effnet_lstm": "efficientnet_b0", "two_branch_resnet50": "resnet50",
            "two_branch_resnet50_fusion": "resnet50"}


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        sys.exit(__doc__)
    model, out = args
    random = "--random" in sys.argv
    source = BACKBONE.get(model, model)
    if not hasattr(torchvision.models, source):
        sys.exit(f"unknown model '{model}'")
    net = getattr(torchvision.models, source)(weights=None if random else "DEFAULT")
    sd = to_numpy(net.state_dict())
    if model == "effnet_lstm":
        sd = {"cnn." + k[len("features."):]: v for k, v in sd.items() if k.startswith("features.")}
    elif model.startswith("two_branch"):
        trunk = {k: v for k, v in sd.items() if not k.startswith("fc.")}
        sd = {f"{b}.{k}": v for b in ("global_branch", "patch_branch") for k, v in trunk.items()}
    digest = save_npz(out, sd)
    print(f"{out}: {len(sd)} arrays from torchvision {source} ({'random init' if random else 'ImageNet'}); "
          f"sha256 {digest}")


if __name__ == "__main__":
    main()
