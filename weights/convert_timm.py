"""Converts timm's legacy_xception ImageNet weights (the Keras Xception port) to an Easel .npz.
Easel's xception has timm's module names, so the keys pass through unchanged.

usage: python3 convert_timm.py OUT.npz      (needs timm and network access to its weights)
"""
import sys

from npz_writer import save_npz, to_numpy


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    import timm  # not packaged in Debian: install where you convert
    net = timm.create_model("legacy_xception", pretrained=True)
    sd = to_numpy(net.state_dict())
    digest = save_npz(sys.argv[1], sd)
    print(f"{sys.argv[1]}: {len(sd)} arrays from timm legacy_xception; sha256 {digest}")


if __name__ == "__main__":
    main()
