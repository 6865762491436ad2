#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The peer of bench-backbone: torchvision's EfficientNet doing the same
work (uint8 images -> float / 255 -> ImageNet normalisation -> channels-last
forward in inference mode -> pooled penultimate features).

Usage: bench-torchvision.py VARIANT BATCH THREADS SIZE:BATCHES...
Prints one line per size: "SIZE IMAGES_PER_SECOND".
       bench-torchvision.py --save-weights VARIANT PATH
Writes the network it benchmarks (seed 0) as a state dict.
"""
import sys
import time

import torch
import torchvision


def main():
    if sys.argv[1] == "--save-weights":
        # The same seeded network, for the C side to load: both then compute
        # on identical weights, so that neither meets more denormal
        # activations (slow on x86) than the other.
        torch.manual_seed(0)
        model = getattr(torchvision.models, f"efficientnet_{sys.argv[2]}")()
        torch.save(model.state_dict(), sys.argv[3])
        return
    variant, batch, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = getattr(torchvision.models, f"efficientnet_{variant}")().eval()
    model = model.to(memory_format=torch.channels_last)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    for spec in sys.argv[4:]:
        size, batches = (int(v) for v in spec.split(":"))
        pixels = torch.randint(0, 256, (batch, size, size, 3), dtype=torch.uint8)

        def run():
            with torch.inference_mode():
                x = pixels.permute(0, 3, 1, 2).float().div_(255)
                x = ((x - mean) / std).contiguous(memory_format=torch.channels_last)
                f = model.features(x)
                return torch.nn.functional.adaptive_avg_pool2d(f, 1).flatten(1)

        run()
        start = time.perf_counter()
        for _ in range(batches):
            run()
        elapsed = time.perf_counter() - start
        print(size, batch * batches / elapsed, flush=True)


if __name__ == "__main__":
    main()
