#!/usr/bin/env python3
"""Peer of bench/aggregation.bench.ts: the sample-weighted average as Flower computes it.

usage: numpy_fedavg.py ELEMENTS UPDATES REPS
Builds UPDATES seeded float32 updates of ELEMENTS values (one layer each) and times two numpy
formulations of FedAvg over all of them, best of REPS after one warm-up:
  flower: Flower's `aggregate` (flwr/server/strategy/aggregate.py): weighted_weights =
          [[layer * n for layer in w] for w, n in results]; reduce(np.add, layer_updates) / total
  np_sum: the older Flower form, np.sum(layer_updates, axis=0) / total
Prints one JSON line: {"flower_ms": ..., "np_sum_ms": ..., "numpy": version} (totals for all updates).
Generating the data is not timed.
"""
import json
import sys
import time
from functools import reduce

import numpy as np


def flower_aggregate(results):
    num_examples_total = sum(num_examples for (_, num_examples) in results)
    weighted_weights = [[layer * num_examples for layer in weights] for weights, num_examples in results]
    return [reduce(np.add, layer_updates) / num_examples_total for layer_updates in zip(*weighted_weights)]


def np_sum_aggregate(results):
    num_examples_total = sum(num_examples for (_, num_examples) in results)
    weighted_weights = [[layer * num_examples for layer in weights] for weights, num_examples in results]
    return [np.sum(layer_updates, axis=0) / num_examples_total for layer_updates in zip(*weighted_weights)]


def best_ms(reps, f):
    f()  # warm-up
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def main():
    elements, updates, reps = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    rng = np.random.default_rng(20261127)
    results = [
        ([(rng.random(elements, dtype=np.float32) - np.float32(0.5)) * np.float32(2e-3)], int(n))
        for n in rng.integers(20, 200, updates)
    ]
    print(
        json.dumps(
            {
                "flower_ms": best_ms(reps, lambda: flower_aggregate(results)),
                "np_sum_ms": best_ms(reps, lambda: np_sum_aggregate(results)),
                "numpy": np.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
