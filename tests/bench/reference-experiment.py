#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The blog post's experiment in Python, the peer that bench-experiment races.

Fashion-MNIST (IDX files, read with numpy and gzip), torchvision's
efficientnet_b0 trained from scratch (torch.manual_seed) on the training
images of the initial classes with a head of as many outputs: images resized
28 -> SIZE px (bilinear, antialiased), grey repeated to three channels,
pixels in [0, 1] without ImageNet normalisation, Adam, cross-entropy. Then
the post's Gaussian classifier in numpy on the pooled features (float64):
per-class mean, a shared covariance averaged over the classes (np.cov with
bias=True), + 1e-6 I, priors by counts, prediction by the largest log
posterior. The initial classes are fitted first, then the others added one
at a time; after every step the whole test set is scored, giving the
accuracy over all test images and over those of the classes learned.

Two code paths (--mode):
  post       the post's code as written: default memory format, batch 64
             under torch.no_grad(); each class's training images extracted
             twice (a pass for the mean, another for the covariance); the
             test set extracted again after every step; np.linalg.inv and a
             Mahalanobis distance per class.
  efficient  channels-last, torch.inference_mode(), batch 512; every image
             extracted exactly once and its features reused; the covariance
             solved by Cholesky and the scores computed as one GEMM.

Prints one JSON object on stdout: per-phase wall times (training,
extraction, fitting and scoring, total), the images trained on and
extracted, and the accuracies after every step.
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=["post", "efficient"], required=True)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist",
                        help="folder of the four Fashion-MNIST IDX files (.gz or not)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="torch and OpenBLAS threads (default: every core)")
    parser.add_argument("--per-class", type=int, default=0,
                        help="keep the first N images of each class in each split (0: all)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--batch", type=int, default=0,
                        help="images per forward pass (default: 64 post, 512 efficient)")
    parser.add_argument("--train-batch", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--layers", choices=["penultimate", "concat"], default="penultimate")
    parser.add_argument("--initial", default="0,1,2,3,4")
    parser.add_argument("--order", default="5,6,7,8,9")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


args = parse_arguments()
# Before numpy loads OpenBLAS, which reads it once.
os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
os.environ["OMP_NUM_THREADS"] = str(args.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torchvision  # noqa: E402

# torchvision's features[1,2,3,5,7]: the five resolution drops.
CONCAT_STAGES = (1, 2, 3, 5, 7)


def read_idx(folder, name):
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        path += ".gz"
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        sys.exit(f"{path}: not an IDX file of unsigned bytes")
    shape = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_split(prefix, per_class):
    images = read_idx(args.data, f"{prefix}-images-idx3-ubyte")
    labels = read_idx(args.data, f"{prefix}-labels-idx1-ubyte").astype(np.int64)
    if per_class > 0:
        keep = np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(10)])
        keep.sort()
        images, labels = images[keep], labels[keep]
    return torch.from_numpy(images.copy()), labels


def prepare(pixels, channels_last):
    """uint8 N x H x W -> float N x 3 x SIZE x SIZE in [0, 1]."""
    x = pixels.unsqueeze(1).float().div_(255)
    x = F.interpolate(x, size=(args.size, args.size), mode="bilinear",
                      align_corners=False, antialias=True)
    x = x.expand(-1, 3, -1, -1)
    return x.contiguous(memory_format=torch.channels_last if channels_last
                        else torch.contiguous_format)


def train(images, labels, n_classes, channels_last):
    torch.manual_seed(args.seed)
    model = torchvision.models.efficientnet_b0(num_classes=n_classes)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.learning_rate)
    targets = torch.from_numpy(labels)
    n = len(images)
    model.train()
    for _ in range(args.epochs):
        order = torch.randperm(n)
        for start in range(0, n, args.train_batch):
            index = order[start:start + args.train_batch]
            if len(index) < 2:
                continue  # batch norm cannot train on one image
            loss = F.cross_entropy(model(prepare(images[index], channels_last)), targets[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()


class Extractor:
    def __init__(self, model, batch, channels_last, inference):
        self.model = model
        self.batch = batch
        self.channels_last = channels_last
        self.guard = torch.inference_mode if inference else torch.no_grad
        self.n_images = 0
        self.seconds = 0.0

    def forward(self, x):
        if args.layers == "penultimate":
            return F.adaptive_avg_pool2d(self.model.features(x), 1).flatten(1)
        pooled = []
        for i, stage in enumerate(self.model.features):
            x = stage(x)
            if i in CONCAT_STAGES:
                pooled.append(F.adaptive_avg_pool2d(x, 1).flatten(1))
            if i == CONCAT_STAGES[-1]:
                break
        return torch.cat(pooled, dim=1)

    def __call__(self, images):
        start = time.perf_counter()
        out = []
        with self.guard():
            for first in range(0, len(images), self.batch):
                x = prepare(images[first:first + self.batch], self.channels_last)
                out.append(self.forward(x).numpy().astype(np.float64))
        self.n_images += len(images)
        self.seconds += time.perf_counter() - start
        return np.concatenate(out) if out else np.zeros((0, 0))


class Timer:
    def __init__(self):
        self.seconds = 0.0

    def __enter__(self):
        self.start = time.perf_counter()

    def __exit__(self, *exc):
        self.seconds += time.perf_counter() - self.start


def accuracies(predicted, test_y, learned):
    seen = np.isin(test_y, learned)
    correct = predicted == test_y
    return float(correct.mean()), float(correct[seen].mean())


def run_post(extract, train_x, train_y, test_x, test_y, steps, fitting):
    """The post's loop: per class a pass for the mean and another for the
    covariance; the test set extracted again after every step."""
    means, covariances, counts, learned = [], [], [], []
    results = []
    for added in steps:
        for c in added:
            images = train_x[torch.from_numpy(np.flatnonzero(train_y == c))]
            features = extract(images)
            with fitting:
                means.append(features.mean(axis=0))
            features = extract(images)
            with fitting:
                covariances.append(np.cov(features.T, bias=True))
            counts.append(len(images))
            learned.append(c)
        with fitting:
            d = len(means[0])
            precision = np.linalg.inv(np.mean(covariances, axis=0) + 1e-6 * np.eye(d))
            log_prior = np.log(np.array(counts, dtype=np.float64) / sum(counts))
        features = extract(test_x)
        with fitting:
            distances = np.empty((len(features), len(means)))
            for k, m in enumerate(means):
                diff = features - m
                distances[:, k] = np.sum((diff @ precision) * diff, axis=1)
            predicted = np.array(learned)[np.argmax(-0.5 * distances + log_prior, axis=1)]
            results.append((list(learned), list(added), accuracies(predicted, test_y, learned)))
    return results


def run_efficient(extract, train_x, train_y, test_x, test_y, steps, fitting):
    """Every image through the network once; the statistics kept per class."""
    train_f = extract(train_x)
    test_f = extract(test_x)
    means, scaled_scatter, counts, learned = [], [], [], []
    results = []
    for added in steps:
        with fitting:
            for c in added:
                features = train_f[train_y == c]
                m = features.mean(axis=0)
                centred = features - m
                means.append(m)
                scaled_scatter.append(centred.T @ centred / len(features))
                counts.append(len(features))
                learned.append(c)
            d = len(means[0])
            sigma = np.mean(scaled_scatter, axis=0) + 1e-6 * np.eye(d)
            M = np.array(means)
            lower = np.linalg.cholesky(sigma)
            W = np.linalg.solve(lower.T, np.linalg.solve(lower, M.T))  # Sigma^-1 M^T
            log_prior = np.log(np.array(counts, dtype=np.float64) / sum(counts))
            g = test_f @ W - 0.5 * np.sum(M * W.T, axis=1) + log_prior
            predicted = np.array(learned)[np.argmax(g, axis=1)]
            results.append((list(learned), list(added), accuracies(predicted, test_y, learned)))
    return results


def main():
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    initial = [int(c) for c in args.initial.split(",")]
    order = [int(c) for c in args.order.split(",") if c]
    post = args.mode == "post"
    batch = args.batch or (64 if post else 512)

    reading = Timer()
    with reading:
        train_x, train_y = load_split("train", args.per_class)
        test_x, test_y = load_split("t10k", args.per_class)

    training = Timer()
    with training:
        head = {c: k for k, c in enumerate(initial)}
        chosen = np.flatnonzero(np.isin(train_y, initial))
        model = train(train_x[torch.from_numpy(chosen)],
                      np.array([head[c] for c in train_y[chosen]]), len(initial),
                      channels_last=not post)

    extract = Extractor(model, batch, channels_last=not post, inference=not post)
    fitting = Timer()
    steps = [initial] + [[c] for c in order]
    run = run_post if post else run_efficient
    results = run(extract, train_x, train_y, test_x, test_y, steps, fitting)

    print(json.dumps({
        "mode": args.mode,
        "threads": args.threads,
        "batch": batch,
        "layers": args.layers,
        "image_size": args.size,
        "epochs": args.epochs,
        "timings": {
            "reading_seconds": reading.seconds,
            "training_seconds": training.seconds,
            "extraction_seconds": extract.seconds,
            "fitting_seconds": fitting.seconds,
            "total_seconds": time.perf_counter() - started,
        },
        "images": {
            "trained": int(len(chosen)),
            "train": int(len(train_x)),
            "test": int(len(test_x)),
            "extracted": extract.n_images,
        },
        "steps": [{"learned": learned, "added": added, "accuracy": acc, "accuracy_learned": acc_l}
                  for learned, added, (acc, acc_l) in results],
    }, indent=1))


if __name__ == "__main__":
    main()
