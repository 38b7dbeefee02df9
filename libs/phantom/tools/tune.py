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
the Bernoulli labels (weights p and 1 - p), so the solve is smooth and deterministic.

--version 1 (LABEL_MODEL): the feature columns are the generating values. The heterogeneity factor is
independent of the features, so E[risk | features] is monotone in the linear feature score and the
feature AUC is what a large-sample four-feature logistic fit reaches.

--version 2 (LABEL_MODEL_V2, the default): the columns are a radiologist's READ (src/reads.ts:
caliper size x e^N(0, 0.12^2); orientation, halo and margin kept with probability sqrt(kappa) and
otherwise guessed from the base rates). The label model still acts on the true lesion; the feature
AUC is that of a logistic model fitted on the reads (a weighted fit with both outcomes of every
case, weights p and 1 - p: the large-sample fit).

Run: /usr/bin/python3 libs/phantom/tools/tune.py [--version 1|2]   (prints the coefficients to paste
into src/label-model.ts, then checks them with sklearn: in-sample on 2,000 draws and 200,000 draws,
and for v2 at the seed's scale, 324 cases split 8:2, fit on 259 and scored on 65, over 200 seeds.)
"""
import argparse

import numpy as np
from scipy.optimize import fsolve
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

# --- src/features.ts COHORT_MIX ---
SIZE_MEDIAN_MM, SIZE_LOG_SD, SIZE_MIN, SIZE_MAX = 19.0, 0.42, 5.0, 50.0
P_NON_PARALLEL, P_HALO = 0.30, 0.28
MARGIN_P = [0.30, 0.25, 0.12, 0.13, 0.20]  # circumscribed, indistinct, angular, microlobulated, spiculated
# --- src/label-model.ts: fixed ratios of the four feature log-odds, size centred at 20 mm per 10 mm ---
# v1: as always. v2 (issue 15): size weighs more and the other three less, so that with the reads at
# AUC 0.80 and the true risk at 0.90 the image-only heterogeneity factor carries more of the gap (the
# reads' misclassification alone no longer uses it up): a model that sees size and heterogeneity in
# the image reaches 0.85, the reads 0.80 (--ceilings).
RATIOS = {1: dict(size=0.9, non_parallel=1.3, halo=1.1, spiculation=1.4),
          2: dict(size=1.5, non_parallel=1.0, halo=1.0, spiculation=1.0)}
RATIO = dict(RATIOS[2])  # the version being solved (solve sets it)
SIZE_CENTRE_MM = 20.0
TARGET_PREV, TARGET_AUC4, TARGET_AUC_RISK = 126 / 324, 0.80, 0.90
# --- src/reads.ts READER_AGREEMENT (v2) ---
KAPPA = dict(orientation=0.655, margin=0.34, halo=0.515)
SIZE_READ_LOG_SD, READ_SIZE_MIN, READ_SIZE_MAX = 0.12, 3.0, 60.0


def draw(n, rng):
    """Covariates of the true lesion, of the radiologist's read, and the heterogeneity latent."""
    size = np.clip(np.round(SIZE_MEDIAN_MM * np.exp(SIZE_LOG_SD * rng.standard_normal(n)) * 10) / 10,
                   SIZE_MIN, SIZE_MAX)
    npar = rng.random(n) < P_NON_PARALLEL
    halo = rng.random(n) < P_HALO
    margin = rng.choice(5, size=n, p=MARGIN_P)
    het = rng.standard_normal(n)
    read_size = np.clip(np.round(size * np.exp(SIZE_READ_LOG_SD * rng.standard_normal(n)) * 10) / 10,
                        READ_SIZE_MIN, READ_SIZE_MAX)

    def reread(true, kappa, guess):
        return np.where(rng.random(n) < np.sqrt(kappa), true, guess)

    read_npar = reread(npar, KAPPA["orientation"], rng.random(n) < P_NON_PARALLEL)
    read_halo = reread(halo, KAPPA["halo"], rng.random(n) < P_HALO)
    read_margin = reread(margin, KAPPA["margin"], rng.choice(5, size=n, p=MARGIN_P))
    x = np.column_stack([(size - SIZE_CENTRE_MM) / 10, npar, halo, margin == 4]).astype(float)
    xr = np.column_stack([(read_size - SIZE_CENTRE_MM) / 10, read_npar, read_halo, read_margin == 4]).astype(float)
    return x, xr, het


def expected_auc(score, p):
    """P(score_pos > score_neg) + 1/2 P(tie), with case i positive w.p. p_i (exact in expectation)."""
    order = np.argsort(score, kind="stable")
    s, pos, neg = score[order], p[order], 1 - p[order]
    _, start = np.unique(s, return_index=True)
    pos_g = np.add.reduceat(pos, start)
    neg_g = np.add.reduceat(neg, start)
    neg_below = np.cumsum(neg_g) - neg_g
    return float(np.sum(pos_g * (neg_below + 0.5 * neg_g)) / (pos.sum() * neg.sum()))


def risk(x, het, scale, b_het, b0):
    w = scale * np.array([RATIO["size"], RATIO["non_parallel"], RATIO["halo"], RATIO["spiculation"]])
    return 1 / (1 + np.exp(-(b0 + x @ w + b_het * het))), x @ w


def read_auc(xr, p):
    """AUC of the large-sample logistic fit on the reads: every case once as positive (weight p), once negative."""
    fit = LogisticRegression(C=1e9, max_iter=1000).fit(
        np.vstack([xr, xr]), np.r_[np.ones(len(p)), np.zeros(len(p))], sample_weight=np.r_[p, 1 - p])
    return expected_auc(fit.decision_function(xr), p)


def solve(version):
    RATIO.clear()
    RATIO.update(RATIOS[version])
    x, xr, het = draw(400_000 if version == 1 else 100_000, np.random.default_rng(20250216))

    def eqs(v):
        p, lin = risk(x, het, *v)
        auc4 = expected_auc(lin, p) if version == 1 else read_auc(xr, p)
        return [p.mean() - TARGET_PREV, auc4 - TARGET_AUC4, expected_auc(p, p) - TARGET_AUC_RISK]

    return fsolve(eqs, [1.0, 1.5, -1.0] if version == 1 else [1.5, 1.0, -1.5], xtol=1e-8)


def check(v, n, seed, version):
    rng = np.random.default_rng(seed)
    x, xr, het = draw(n, rng)
    p, _ = risk(x, het, *v)
    y = (rng.random(n) < p).astype(int)
    cols = x if version == 1 else xr
    fit = LogisticRegression(C=1e9, max_iter=1000).fit(cols, y)
    return y.mean(), roc_auc_score(y, fit.decision_function(cols)), roc_auc_score(y, p)


def seed_scale(v, seeds=200):
    """The seed's regime: 324 cases, stratified 8:2 split, logistic on the reads fitted on train, AUC on test."""
    aucs = []
    for seed in range(seeds):
        rng = np.random.default_rng(1000 + seed)
        x, xr, het = draw(324, rng)
        p, _ = risk(x, het, *v)
        y = (rng.random(324) < p).astype(int)
        tr, te = train_test_split(np.arange(324), test_size=0.2, stratify=y, random_state=seed)
        fit = LogisticRegression(C=1e9, max_iter=1000).fit(xr[tr], y[tr])
        aucs.append(roc_auc_score(y[te], fit.decision_function(xr[te])))
    return np.array(aucs)


def ceilings(v, n=200_000, seed=5):
    """What a model that sees some of the true lesion reaches (logistic fit, AUC on n draws): the reads,
    the true four features, size alone and size with the image-only heterogeneity factor (what the
    image shows most plainly), and the true risk."""
    rng = np.random.default_rng(seed)
    x, xr, het = draw(n, rng)
    p, _ = risk(x, het, *v)
    y = (rng.random(n) < p).astype(int)

    def fit_auc(cols):
        return roc_auc_score(y, LogisticRegression(C=1e9, max_iter=1000).fit(cols, y).decision_function(cols))

    return {"reads": fit_auc(xr), "reads + heterogeneity": fit_auc(np.column_stack([xr, het])),
            "true four": fit_auc(x), "size": fit_auc(x[:, :1]), "heterogeneity": roc_auc_score(y, het),
            "size + heterogeneity": fit_auc(np.column_stack([x[:, :1], het])),
            "size + halo + heterogeneity": fit_auc(np.column_stack([x[:, [0, 2]], het])),
            "true risk": roc_auc_score(y, p)}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--version", type=int, choices=[1, 2], default=2)
    version = ap.parse_args().version
    scale, b_het, b0 = solve(version)
    w = {k: round(scale * r, 4) for k, r in RATIO.items()}
    print(f"v{version}: intercept: {b0:.4f}, sizePer10Mm: {w['size']}, nonParallel: {w['non_parallel']}, "
          f"echogenicHalo: {w['halo']}, spiculation: {w['spiculation']}, heterogeneity: {b_het:.4f}")
    what = "four-feature logistic AUC" if version == 1 else "four-feature logistic AUC on reads"
    for n, seed in [(2000, 1), (2000, 2), (200_000, 3)]:
        prev, auc4, aucr = check((scale, b_het, b0), n, seed, version)
        print(f"n={n}: prevalence {prev:.3f}, {what} {auc4:.3f}, true-risk AUC {aucr:.3f}")
    if version == 2:
        a = seed_scale((scale, b_het, b0))
        print(f"324 cases, 8:2 split, 200 seeds: reads' test AUC mean {a.mean():.3f}, SD {a.std():.3f}, "
              f"5-95% {np.percentile(a, 5):.3f}-{np.percentile(a, 95):.3f}")
        print("ceilings on 200,000 draws (logistic fit on what the model sees):",
              ", ".join(f"{k} {auc:.3f}" for k, auc in ceilings((scale, b_het, b0)).items()))
