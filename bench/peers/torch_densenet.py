#!/usr/bin/env python3
"""Peer of bench/model.bench.ts and bench/train.bench.ts: torchvision's DenseNet on the CPU.

usage: torch_densenet.py ARCH SIZE BATCH REPS BUDGET_S [THREADS]
ARCH is densenet121|densenet169|densenet201 (torchvision.models) or densenet-tiny (torchvision's
DenseNet class with our tiny preset: growth 12, blocks (2, 2, 2), 24 stem filters, bn_size 4,
compression 0.5, as libs/model/src/densenet/architectures.ts). The classifier is one logit (the
FedALN binary head); random weights (speed does not depend on their values).

Times, best of REPS after one warm-up, stopping early once BUDGET_S seconds are spent:
  forward: model.eval() under torch.no_grad() on a [BATCH, 3, SIZE, SIZE] batch (inference);
  train:   model.train(), forward + BCE-with-logits + backward + Adam step (one optimizer step).
torch.set_num_threads(THREADS) (default 2, the tfjs side runs on the same 2-core machine).
Prints one JSON line: {"forward_img_per_s", "train_img_per_s", "torch", "threads"}.
"""
import json
import sys
import time

import torch
import torchvision


def build(arch):
    if arch == "densenet-tiny":
        model = torchvision.models.DenseNet(growth_rate=12, block_config=(2, 2, 2), num_init_features=24)
    else:
        model = getattr(torchvision.models, arch)(weights=None)
    model.classifier = torch.nn.Linear(model.classifier.in_features, 1)
    return model


def best_seconds(reps, budget, f):
    t0 = time.perf_counter()
    f()  # warm-up (allocator, oneDNN primitive cache)
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
        if time.perf_counter() - t0 > budget:
            break
    return best


def main():
    arch, size, batch, reps, budget = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    threads = int(sys.argv[6]) if len(sys.argv) > 6 else 2
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = build(arch)
    x = torch.randn(batch, 3, size, size)
    y = (torch.arange(batch) % 2).float().unsqueeze(1)

    def forward():
        model.eval()
        with torch.no_grad():
            model(x)

    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def train_step():
        model.train()
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    fwd = best_seconds(reps, budget, forward)
    step = best_seconds(reps, budget, train_step)
    print(
        json.dumps(
            {
                "forward_img_per_s": batch / fwd,
                "train_img_per_s": batch / step,
                "torch": torch.__version__,
                "threads": threads,
            }
        )
    )


if __name__ == "__main__":
    main()
