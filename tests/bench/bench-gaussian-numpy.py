#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The peer that tests/bench/bench-gaussian.c races: the blog post's formulas
in numpy on the same data (raw float32 files written by the C side).

Prints one JSON line of the best-of-N seconds for:
  add        mean and np.cov of the new class, class-averaged covariance
             of all classes, + 1e-6 I, np.linalg.inv (the post's way)
  score_mahalanobis  per-class squared Mahalanobis distances through the
             inverse, then Bayes' rule with count priors (Lee et al.'s
             confidence as the post computes it)
  score_linear       the same decision as one GEMM, X P M^T (the efficient
             numpy a careful person writes)
and the predictions' checksum, so both sides are known to agree.
"""
import json
import sys
import time

import numpy as np

new_path, test_path, stats_path, d, n_new, n_test, n_old, repeats = sys.argv[1:9]
d, n_new, n_test, n_old, repeats = int(d), int(n_new), int(n_test), int(n_old), int(repeats)
X_new = np.fromfile(new_path, dtype=np.float32).reshape(n_new, d)
X_test = np.fromfile(test_path, dtype=np.float32).reshape(n_test, d)
# The old classes' state, as the post keeps it: a mean, a covariance, a count.
stats = np.fromfile(stats_path, dtype=np.float64).reshape(n_old, 1 + d + d * d)
old_counts = stats[:, 0]
old_means = stats[:, 1:1 + d]
old_covs = stats[:, 1 + d:].reshape(n_old, d, d)


def best(fn):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def add():
    m = X_new.mean(axis=0, dtype=np.float64)
    cov = np.cov(X_new.T, bias=True)
    means = np.vstack([old_means, m])
    covs = np.concatenate([old_covs, cov[None]], axis=0)
    sigma = covs.mean(axis=0) + 1e-6 * np.eye(d)
    precision = np.linalg.inv(sigma)
    counts = np.append(old_counts, n_new)
    return means, precision, np.log(counts / counts.sum())


t_add, (means, precision, log_prior) = best(add)


def score_mahalanobis():
    x = X_test.astype(np.float64)
    dist = np.empty((len(x), len(means)))
    for c, m in enumerate(means):
        diff = x - m
        dist[:, c] = np.sum((diff @ precision) * diff, axis=1)
    g = -0.5 * dist + log_prior
    g -= g.max(axis=1, keepdims=True)
    post = np.exp(g)
    post /= post.sum(axis=1, keepdims=True)
    return post.argmax(axis=1)


def score_linear():
    x = X_test.astype(np.float64)
    w = precision @ means.T
    g = x @ w - 0.5 * np.sum(means * w.T, axis=1) + log_prior
    g -= g.max(axis=1, keepdims=True)
    post = np.exp(g)
    post /= post.sum(axis=1, keepdims=True)
    return post.argmax(axis=1)


t_maha, pred_maha = best(score_mahalanobis)
t_lin, pred_lin = best(score_linear)
print(json.dumps({
    "add": t_add,
    "score_mahalanobis": t_maha,
    "score_linear": t_lin,
    "predicted": pred_lin.tolist(),
    "agree": bool(np.array_equal(pred_maha, pred_lin)),
}))
