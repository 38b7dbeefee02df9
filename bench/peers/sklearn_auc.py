#!/usr/bin/env python3
"""Peer of bench/metrics.bench.ts: scikit-learn roc_auc_score on the benchmark's data.

usage: sklearn_auc.py LABELS_FILE SCORES_FILE N REPS
  LABELS_FILE  N labels as uint8 (0/1), SCORES_FILE  N scores as little-endian float64
Prints one JSON line: {"sklearn_ms": best of REPS after one warm-up, "auc": ..., "sklearn": version}.
Only the roc_auc_score call is timed (reading the files is not).
"""
import json
import sys
import time

import numpy as np
import sklearn
from sklearn.metrics import roc_auc_score


def main():
    labels_file, scores_file, n, reps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    y = np.fromfile(labels_file, dtype=np.uint8)
    s = np.fromfile(scores_file, dtype="<f8")
    if y.size != n or s.size != n:
        raise SystemExit(f"expected {n} labels and scores, read {y.size} and {s.size}")
    value = roc_auc_score(y, s)  # warm-up
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        value = roc_auc_score(y, s)
        best = min(best, time.perf_counter() - t0)
    print(json.dumps({"sklearn_ms": best * 1000, "auc": float(value), "sklearn": sklearn.__version__}))


if __name__ == "__main__":
    main()
