#!/usr/bin/python3
"""PyTorch reference (issue 15): is phantom v2's image signal learnable by a plain CNN at the demo's 32 px?

Writes phantom sites with the project's own CLI (`fedaln-phantom`, built: `npx tsc -b libs/phantom`):
training sites of --seed (3 x 324 cases: the demo's federation, the seed study's size per site) and
external sites of --seed + 1000 that never train (3 x 300 = 900 cases: the issue's new-seed set). Then
  * trains a small CNN from scratch (4 conv stages of 8, 16, 32, 32 channels (--width 8), BatchNorm,
    global average pooling; AdamW, horizontal flips and +-4 px shifts) on the pooled training rows (the
    `split` column) of the training sites;
  * fits the four-feature logistic model on the radiologist's READS in labels.csv (size, non-parallel
    orientation, echogenic halo, spiculation; IRLS) on the same rows;
  * fits the combined logistic model [CNN logit, four reads] on the training sites' test rows, which
    the CNN did not train on;
and prints, on the external set, each model's AUC with its DeLong 95 % CI, and the paired DeLong
difference of the CNN and of the combined model from the reads (DeLong, DeLong & Clarke-Pearson,
Biometrics 1988; the fast midrank form of Sun & Xu, IEEE SPL 2014).

Run (Debian: apt-get install python3-torch python3-numpy python3-pil; under a minute on one core at
32 px, a few minutes at 64 px):
  /usr/bin/python3 libs/phantom/tools/cnn_reference.py [--version 2] [--size 32] [--width 8] [--epochs 30]
      [--seed 1] [--json]
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
from PIL import Image
from torch import nn

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PHANTOM = os.path.join(ROOT, "libs", "phantom", "bin", "fedaln-phantom.js")
EXTERNAL_SEED_OFFSET = 1000  # libs/sim/src/phantom-cohort.ts, as npm start's new-seed check


def phantom(out, sites, cases, size, seed, version, bin_path=PHANTOM):
    subprocess.run(["node", bin_path, "--out", out, "--sites", str(sites), "--cases", str(cases),
                    "--size", str(size), "--seed", str(seed), "--version", str(version)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def read_sites(root):
    """Images (n, 1, H, W) in [0, 1], labels, split, and the four read covariates of every site folder."""
    images, labels, split, feats = [], [], [], []
    for site in sorted(os.listdir(root)):
        with open(os.path.join(root, site, "labels.csv"), newline="") as f:
            for row in csv.DictReader(f):
                img = Image.open(os.path.join(root, site, row["image"])).convert("L")
                images.append(np.asarray(img, dtype=np.float32) / 255)
                labels.append(int(row["aln_metastasis"]))
                split.append(row["split"])
                feats.append([(float(row["size_mm"]) - 20) / 10, row["orientation"] == "non-parallel",
                              row["echogenic_halo"] == "1", row["spiculation"] == "1"])
    return (np.stack(images)[:, None], np.array(labels), np.array(split),
            np.array(feats, dtype=np.float64))


def fit_logistic(x, y, iters=50):
    """Logistic regression by IRLS (Newton), intercept first."""
    X = np.column_stack([np.ones(len(x)), x])
    beta = np.zeros(X.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-X @ beta))
        w = p * (1 - p)
        step = np.linalg.solve(X.T @ (X * w[:, None]) + 1e-9 * np.eye(X.shape[1]), X.T @ (y - p))
        beta += step
        if np.abs(step).max() < 1e-10:
            break
    return beta


def logistic_score(x, beta):
    return np.column_stack([np.ones(len(x)), x]) @ beta


def midrank(x):
    order = np.argsort(x, kind="mergesort")
    z = x[order]
    n = len(x)
    t = np.zeros(n)
    i = 0
    while i < n:
        j = i
        while j < n and z[j] == z[i]:
            j += 1
        t[i:j] = 0.5 * (i + j - 1) + 1
        i = j
    out = np.empty(n)
    out[order] = t
    return out


def delong(y, scores):
    """AUCs of each score row and their DeLong covariance (Sun & Xu 2014)."""
    pos, neg = scores[:, y == 1], scores[:, y == 0]
    m, n = pos.shape[1], neg.shape[1]
    k = scores.shape[0]
    tx = np.array([midrank(r) for r in pos])
    ty = np.array([midrank(r) for r in neg])
    tz = np.array([midrank(r) for r in np.hstack([pos, neg])])
    aucs = tz[:, :m].sum(axis=1) / (m * n) - (m + 1) / (2 * n)
    v01 = (tz[:, :m] - tx) / n
    v10 = 1 - (tz[:, m:] - ty) / m
    cov = np.cov(v01).reshape(k, k) / m + np.cov(v10).reshape(k, k) / n
    return aucs, cov


def auc_ci(y, s):
    aucs, cov = delong(y, s[None])
    se = math.sqrt(cov[0, 0])
    return float(aucs[0]), [float(aucs[0] - 1.96 * se), float(aucs[0] + 1.96 * se)]


def paired(y, a, b):
    """AUC(a) - AUC(b) and its two-sided DeLong p."""
    aucs, cov = delong(y, np.vstack([a, b]))
    d = aucs[0] - aucs[1]
    var = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    z = d / math.sqrt(var) if var > 0 else float("inf")
    return float(d), float(math.erfc(abs(z) / math.sqrt(2)))


class SmallCnn(nn.Module):
    def __init__(self, width=16):
        super().__init__()

        def block(cin, cout, convs):
            layers = []
            for i in range(convs):
                layers += [nn.Conv2d(cin if i == 0 else cout, cout, 3, padding=1, bias=False),
                           nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
            return layers

        w = width
        self.features = nn.Sequential(
            *block(1, w, 1), nn.MaxPool2d(2),
            *block(w, 2 * w, 2), nn.MaxPool2d(2),
            *block(2 * w, 4 * w, 2), nn.MaxPool2d(2),
            *block(4 * w, 4 * w, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(4 * w, 1))

    def forward(self, x):
        return self.head(self.features(x)).squeeze(1)


def augment(x, g):
    flip = torch.rand(x.shape[0], generator=g) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    dx, dz = (int(v) for v in torch.randint(-4, 5, (2,), generator=g))
    return torch.roll(x, shifts=(dz, dx), dims=(2, 3))


def train_cnn(x, y, epochs, seed, batch=32, lr=2e-3, width=8):
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = SmallCnn(width)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * math.ceil(len(x) / batch))
    xt, yt = torch.from_numpy(x), torch.from_numpy(y.astype(np.float32))
    loss_fn = nn.BCEWithLogitsLoss()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(xt), generator=g)
        total = 0.0
        for i in range(0, len(xt), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = loss_fn(model(augment(xt[idx], g)), yt[idx])
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
        print(f"cnn_reference: epoch {epoch + 1}/{epochs} loss {total / len(xt):.4f}", file=sys.stderr)
    return model


def logits(model, x):
    model.eval()
    with torch.no_grad():
        return torch.cat([model(torch.from_numpy(x[i:i + 256])) for i in range(0, len(x), 256)]).numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--version", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sites", type=int, default=3)
    ap.add_argument("--cases", type=int, default=324)
    ap.add_argument("--external-cases", type=int, default=300)
    ap.add_argument("--size", type=int, default=32, help="input px (npm start's default input size)")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--width", type=int, default=8, help="channels of the first stage (then 2x, 4x, 4x)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--phantom", default=PHANTOM, help="fedaln-phantom.js to run (default: this checkout's)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="fedaln-cnn-reference-") as tmp:
        phantom(os.path.join(tmp, "train"), a.sites, a.cases, a.size, a.seed, a.version, a.phantom)
        phantom(os.path.join(tmp, "external"), a.sites, a.external_cases, a.size,
                a.seed + EXTERNAL_SEED_OFFSET, a.version, a.phantom)
        x, y, split, f = read_sites(os.path.join(tmp, "train"))
        xe, ye, _, fe = read_sites(os.path.join(tmp, "external"))
    tr, te = split == "train", split == "test"
    mean, sd = x[tr].mean(), x[tr].std()
    norm = lambda v: ((v - mean) / sd).astype(np.float32)  # noqa: E731
    model = train_cnn(norm(x[tr]), y[tr], a.epochs, a.seed, width=a.width)
    cnn_test, cnn_ext = logits(model, norm(x[te])), logits(model, norm(xe))
    reads = fit_logistic(f[tr], y[tr])
    reads_test, reads_ext = logistic_score(f[te], reads), logistic_score(fe, reads)
    combined = fit_logistic(np.column_stack([cnn_test, f[te]]), y[te])
    comb_ext = logistic_score(np.column_stack([cnn_ext, fe]), combined)
    out = {
        "name": "cnn_reference",
        "phantom_version": a.version,
        "seed": a.seed,
        "train_cases": int(tr.sum()),
        "external_cases": int(len(ye)),
        "size": a.size,
        "width": a.width,
        "epochs": a.epochs,
        "torch": torch.__version__,
        "test_auc": {"cnn": auc_ci(y[te], cnn_test)[0], "reads": auc_ci(y[te], reads_test)[0]},
        "external": {k: dict(zip(["auc", "ci"], auc_ci(ye, s)))
                     for k, s in [("cnn", cnn_ext), ("reads", reads_ext), ("combined", comb_ext)]},
        "cnn_minus_reads": dict(zip(["difference", "p"], paired(ye, cnn_ext, reads_ext))),
        "combined_minus_reads": dict(zip(["difference", "p"], paired(ye, comb_ext, reads_ext))),
        "seconds": round(time.time() - started, 1),
    }
    if a.json:
        print(json.dumps(out))
        return
    e = out["external"]
    print(f"phantom v{a.version}, seed {a.seed}: {out['train_cases']} training cases, {out['external_cases']} "
          f"external (seed {a.seed + EXTERNAL_SEED_OFFSET}), {a.epochs} epochs, {out['seconds']} s")
    for k in ["cnn", "reads", "combined"]:
        print(f"  external AUC {k:9s} {e[k]['auc']:.3f} [{e[k]['ci'][0]:.3f}-{e[k]['ci'][1]:.3f}]")
    for k in ["cnn_minus_reads", "combined_minus_reads"]:
        print(f"  {k}: {out[k]['difference']:+.3f}, paired DeLong p = {out[k]['p']:.2g}")


if __name__ == "__main__":
    main()
