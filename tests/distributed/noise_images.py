"""noise_images.py DIR N: a two-class ImageFolder of N noisy 16x16 PPMs per class (dark, light), every
channel varying. (A constant channel would make its first-layer weights' gradient pure rounding
noise: batch norm removes a constant, so that gradient is analytically 0 and two ways of summing
it disagree in every bit.)"""
import os
import random
import sys

root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
for name, base in (("dark", 40), ("light", 150)):
    os.makedirs(os.path.join(root, name), exist_ok=True)
    for i in range(n):
        pixels = bytes(min(255, base + rng.randrange(90)) for _ in range(16 * 16 * 3))
        with open(os.path.join(root, name, f"{i}.ppm"), "wb") as f:
            f.write(b"P6\n16 16\n255\n" + pixels)
