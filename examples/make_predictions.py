"""Writes examples/predictions.csv: 200 held-out cases of a plausible ALN-metastasis model.

Shaped after the study FedALN starts from (Oncoradiology 34(3):216, 2025): prevalence about 0.39,
DenseNet201 test AUC about 0.86 (`score`), and the four-ultrasound-feature logistic model about 0.80
(`score_b`, for the paired DeLong comparison). Scores come from an equal-variance binormal model,
turned into calibrated probabilities p = expit(logit(prevalence) + d*(x - d/2)), d = sqrt(2)*probit(AUC);
the two models share part of their latent signal, as two readings of the same patients do.

Re-run from the repository root:  python3 examples/make_predictions.py
"""
import numpy as np
from statistics import NormalDist

SEED = 8  # of seeds 1-16, the one whose realised AUCs (0.860, 0.780) sit closest to the study's
N, PREVALENCE = 200, 0.39
AUC_DENSENET, AUC_FEATURES = 0.86, 0.80
SHARED = 0.6  # correlation of the two models' latent scores within a class


def expit(x):
    return 1 / (1 + np.exp(-x))


def auc(y, s):
    """Mann-Whitney AUC with ties counted one half."""
    pos, neg = s[y == 1], s[y == 0]
    return ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (pos.size * neg.size)


rng = np.random.default_rng(SEED)
n_pos = round(N * PREVALENCE)
y = np.array([1] * n_pos + [0] * (N - n_pos))
rng.shuffle(y)
common = rng.normal(size=N)
logit_prev = np.log(PREVALENCE / (1 - PREVALENCE))
cols = []
for target in (AUC_DENSENET, AUC_FEATURES):
    d = np.sqrt(2) * NormalDist().inv_cdf(target)
    x = np.sqrt(SHARED) * common + np.sqrt(1 - SHARED) * rng.normal(size=N) + d * y
    cols.append(np.round(expit(logit_prev + d * (x - d / 2)), 4))
score, score_b = cols

with open("examples/predictions.csv", "w") as f:
    f.write("case_id,label,score,score_b\n")
    for i in range(N):
        f.write(f"case-{i + 1:03d},{y[i]},{score[i]:.4f},{score_b[i]:.4f}\n")
print(f"n={N} n_pos={y.sum()} prevalence={y.mean():.3f} auc(score)={auc(y, score):.3f} auc(score_b)={auc(y, score_b):.3f}")
