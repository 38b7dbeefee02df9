#!/usr/bin/python3
"""Tunes the ALN label model of @fedaln/phantom (src/label-model.ts) to the study's figures.

Reproduces the cohort feature model of src/features.ts (COHORT_MIX) with numpy and solves for
three numbers so that, in the population:
  * prevalence of ALN metastasis = 126/324 = 0.389 (Oncoradiology 34(3):216, 2025),
  * AUC of the four radiologist features (size, non-parallel, halo, spiculation) = 0.80
    (the study's four-feature logistic model: 0.805),
  * AUC of the true risk (features + the image-only heterogeneity factor) = 0.90.
The unknowns: a common scale of the four feature log-odds (their ratios are fixed below), the
heterogeneity log-odds per SD, and the intercept. AUCs are computed exactly in expectation over
the Bernoulli labels (weights p and 1 − p), so the solve is smooth and deterministic. Because the
heterogeneity factor is independent of the features, E[risk | features] is monotone in the linear
feature score, so the feature AUC is what a large-sample four-feature logistic fit reaches.

Run: /usr/bin/python3 libs/phantom/tools/tune.py   (prints the coefficients to paste into
src/label-model.ts, then checks them with sklearn on 2,000 draws and on 200,000 draws.)
"""
import numpy as np
from scipy.optimize import fsolve
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

# --- src/features.ts COHORT_MIX ---
SIZE_MEDIAN_MM, SIZE_LOG_SD, SIZE_MIN, SIZE_MAX = 19.0, 0.42, 5.0, 50.0
P_NON_PARALLEL, P_HALO = 0.30, 0.28
MARGIN_P = [0.30, 0.25, 0.12, 0.13, 0.20]  # circumscribed, indistinct, angular, microlobulated, spiculated
# --- src/label-model.ts: fixed ratios of the four feature log-odds, size centred at 20 mm per 10 mm ---
RATIO = dict(size=0.9, non_parallel=1.3, halo=1.1, spiculation=1.4)
SIZE_CENTRE_MM = 20.0
TARGET_PREV, TARGET_AUC4, TARGET_AUC_RISK = 126 / 324, 0.80, 0.90


def draw(n, rng):
    size = np.clip(np.round(SIZE_MEDIAN_MM * np.exp(SIZE_LOG_SD * rng.standard_normal(n)) * 10) / 10,
                   SIZE_MIN, SIZE_MAX)
    npar = (rng.random(n) < P_NON_PARALLEL).astype(float)
    halo = (rng.random(n) < P_HALO).astype(float)
    margin = rng.choice(5, size=n, p=MARGIN_P)
    spic = (margin == 4).astype(float)
    het = rng.standard_normal(n)
    return np.column_stack([(size - SIZE_CENTRE_MM) / 10, npar, halo, spic]), het


def expected_auc(score, p):
    """P(score_pos > score_neg) + ½ P(tie), with case i positive w.p. p_i (exact in expectation)."""
    order = np.argsort(score, kind="stable")
    s, pos, neg = score[order], p[order], 1 - p[order]
    _, start, counts = np.unique(s, return_index=True, return_counts=True)
    pos_g = np.add.reduceat(pos, start)
    neg_g = np.add.reduceat(neg, start)
    neg_below = np.cumsum(neg_g) - neg_g
    return float(np.sum(pos_g * (neg_below + 0.5 * neg_g)) / (pos.sum() * neg.sum()))


def risk(x, het, scale, b_het, b0):
    w = scale * np.array([RATIO["size"], RATIO["non_parallel"], RATIO["halo"], RATIO["spiculation"]])
    return 1 / (1 + np.exp(-(b0 + x @ w + b_het * het))), x @ w


def solve():
    x, het = draw(400_000, np.random.default_rng(20250216))

    def eqs(v):
        p, lin = risk(x, het, *v)
        return [p.mean() - TARGET_PREV, expected_auc(lin, p) - TARGET_AUC4, expected_auc(p, p) - TARGET_AUC_RISK]

    return fsolve(eqs, [1.0, 1.5, -1.0], xtol=1e-10)


def check(v, n, seed):
    rng = np.random.default_rng(seed)
    x, het = draw(n, rng)
    p, _ = risk(x, het, *v)
    y = (rng.random(n) < p).astype(int)
    fit = LogisticRegression(C=1e9, max_iter=1000).fit(x, y)
    return y.mean(), roc_auc_score(y, fit.decision_function(x)), roc_auc_score(y, p)


if __name__ == "__main__":
    scale, b_het, b0 = solve()
    w = {k: round(scale * r, 4) for k, r in RATIO.items()}
    print(f"intercept: {b0:.4f}, sizePer10Mm: {w['size']}, nonParallel: {w['non_parallel']}, "
          f"echogenicHalo: {w['halo']}, spiculation: {w['spiculation']}, heterogeneity: {b_het:.4f}")
    for n, seed in [(2000, 1), (2000, 2), (200_000, 3)]:
        prev, auc4, aucr = check((scale, b_het, b0), n, seed)
        print(f"n={n}: prevalence {prev:.3f}, four-feature logistic AUC {auc4:.3f}, true-risk AUC {aucr:.3f}")
