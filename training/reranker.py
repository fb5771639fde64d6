"""A re-ranker learned from recorded outcomes (scikit-learn), with a documented fallback.

Features (per job order × worker; never gender, religion, district, age or any identity field):
the five score parts of ``matcher.scoring`` (keyword, embedding, skills, occupation, experience)
plus the share of the job's required skills the worker lacks, the worker's NTVQF level minus
the job's required level (clipped to ±3, divided by 3), years in the best-matching occupation
(saturating at 15) and the share of the job's languages the worker speaks. They are computed
from the workers index as serving reads it — the legs' scores and the indexed payload, with the
experience inferred from a worker's own words — by serving's own scoring function
(``matcher.inputs.score_indexed_workers``; :func:`outcome_table`, :func:`serving_features`).

Labels: shortlisted, selected, deployed = 1; rejected = 0 (``applied`` is not a decision).

Two models are fitted, both evaluated with grouped cross-validation by job order (a job order's
candidates never sit on both sides of a split):

- ``model.pkl``: a standardised logistic regression over every feature, wrapped in
  ``CalibratedClassifierCV`` (sigmoid, grouped folds), giving calibrated probabilities that an
  officer decides for the worker (``predict_proba``).
- ``weights.json``: a logistic regression over the five score parts only, its coefficients
  clipped at zero and normalised to sum to one, so that ``indexer.ranking`` can use them in place
  of ``DEFAULT_WEIGHTS`` (the score stays in 0..1 and its parts stay explainable).

With too few outcomes (fewer than :data:`MIN_OUTCOMES` decisions, :data:`MIN_JOBS` job orders
with both a positive and a negative decision, or one class only), nothing is fitted: the
hand-set ``DEFAULT_WEIGHTS`` stay in force and the result says why. A trained re-ranker that
does not clearly beat the hand-set weights on held-out job orders (:data:`MIN_GAIN`,
:data:`MIN_AUC`) is saved but marked not recommended, and ``--activate`` skips it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import pickle
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matcher.inputs import language_share
from matcher.scoring import DEFAULT_WEIGHTS, combine
from training.metrics import grouped_ndcg

PARTS = tuple(DEFAULT_WEIGHTS)  # keyword, embedding, skills, occupation, experience
EXTRA = ("missing_required", "level_gap", "years", "language_share")
FEATURES = (*PARTS, *EXTRA)
PROTECTED = frozenset({"gender", "religion", "district", "date_of_birth", "age", "full_name",
                       "phone", "nid_number", "passport_number"})
MIN_OUTCOMES = 200
MIN_JOBS = 10
# Recommended only when held-out nDCG@10 gains at least this much over the hand-set weights and
# the calibrated model separates decisions (AUC) better than chance by a margin: on outcomes that
# are noise (e.g. a random demo history) tiny "gains" are common and mean nothing.
MIN_GAIN = 0.01
MIN_AUC = 0.55
FOLDS = 5


@dataclass
class OutcomeTable:
    """Feature rows with labels and the job order each row belongs to."""

    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    features: tuple[str, ...] = FEATURES
    workers: np.ndarray | None = None  # worker id of each row (outcome_table)

    def __len__(self) -> int:
        return len(self.y)


@dataclass
class RerankerResult:
    """What training produced: weights for ranking, a calibrated model, and the evidence."""

    weights: dict[str, float]
    fallback: bool
    message: str
    metrics: dict[str, Any] = field(default_factory=dict)
    model: Any = None
    recommended: bool = False


# --------------------------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------------------------


def feature_row(parts: dict[str, float], *, required: Sequence[str], missing: Sequence[str],
                worker_level: int, job_level: int, years: float,
                worker_languages: Sequence[str], job_languages: Sequence[str]) -> list[float]:
    """Return one feature row (order :data:`FEATURES`) from score parts and record facts."""
    miss = len(missing) / len(required) if required else 0.0
    gap = max(-3, min(3, int(worker_level) - int(job_level))) / 3.0
    lang = language_share(worker_languages, job_languages)
    return [float(parts.get(p, 0.0)) for p in PARTS] + [miss, gap, min(years, 15.0) / 15.0, lang]


def serving_features(hit: Any, parts: dict[str, float], *, required: Sequence[str],
                     optional: Sequence[str], job_uri: str | None, job_level: int,
                     job_languages: Sequence[str]) -> list[float]:
    """One feature row from a workers-index hit as serving scores it: the score parts of
    ``matcher.inputs.score_indexed_workers``, the missing required skills of the indexed skills,
    and level, years and languages from the indexed fields and payload (experience declared
    or inferred from the worker's own words)."""
    from matcher.scoring import skill_coverage

    _, _, missing = skill_coverage(required, optional, hit.payload.get("skills", []))
    years = max((float(e.get("years", 0) or 0) for e in hit.payload.get("experience", [])
                 if e.get("occupation_uri") == job_uri), default=0.0)
    return feature_row(parts, required=required, missing=missing,
                       worker_level=int(hit.fields.get("ntvqf_level") or 0), job_level=job_level,
                       years=years, worker_languages=hit.fields.get("languages") or [],
                       job_languages=job_languages)


HitsFor = Callable[[Any, Iterable[int]], tuple[dict[int, Any], float]]


def outcome_table(settings: Any, hits_for: HitsFor, taxonomy: Any) -> OutcomeTable:
    """Compute features for every recorded outcome, from the index as serving reads it.

    ``hits_for(job, worker_ids)`` (``indexer.ranking.outcome_hits``) gives the workers-index
    hits serving scores them from and serving's keyword normaliser (the best keyword score of
    its eligible pool); every hit is scored by serving's own function
    (``matcher.inputs.score_indexed_workers``) on the indexed payload, experience inferred
    from a worker's own words included. An outcome whose worker is not indexed is skipped.
    """
    from matcher.inputs import required_skills, score_indexed_workers
    from registry.db import session_scope
    from registry.models import JobOrder
    from training.outcomes import load_outcomes

    by_job: dict[int, list] = {}
    for o in load_outcomes(settings.database_url):
        by_job.setdefault(o.job_order_id, []).append(o)
    X, y, groups, workers = [], [], [], []
    with session_scope(settings.database_url) as s:
        for job_id, outs in sorted(by_job.items()):
            job = s.get(JobOrder, job_id)
            if job is None:
                continue
            found, bm25_max = hits_for(job, [o.worker_id for o in outs])
            outs = [o for o in outs if o.worker_id in found]
            if not outs:
                continue
            hits = [found[o.worker_id] for o in outs]
            _, parts = score_indexed_workers(hits, bm25_max, job, taxonomy)
            req, opt = required_skills(job, taxonomy.essential)
            for o, h, p in zip(outs, hits, parts, strict=True):
                X.append(serving_features(h, p, required=req, optional=opt,
                                          job_uri=job.occupation_uri,
                                          job_level=job.required_ntvqf_level,
                                          job_languages=job.languages or []))
                y.append(1 if o.positive else 0)
                groups.append(job_id)
                workers.append(o.worker_id)
    return OutcomeTable(np.asarray(X, dtype=np.float64).reshape(-1, len(FEATURES)),
                        np.asarray(y, dtype=np.int64), np.asarray(groups, dtype=np.int64),
                        workers=np.asarray(workers, dtype=np.int64))


def synthetic_outcomes(*, jobs: int = 80, per_job: int = 25, seed: int = 0,
                       true_weights: dict[str, float] | None = None,
                       noise: float = 0.08) -> OutcomeTable:
    """Generate outcomes with a known preference (tests, demos): officers value skills and
    experience far more than the hand-set weights assume, and keyword overlap not at all.

    Per job order, the candidates whose true utility (plus noise) is above the job's median
    are decided for (1), the others rejected (0).
    """
    rng = np.random.default_rng(seed)
    tw = true_weights or {"keyword": 0.0, "embedding": 0.05, "skills": 0.5, "occupation": 0.05,
                          "experience": 0.4}
    X, y, groups = [], [], []
    for j in range(jobs):
        parts = {
            "keyword": rng.beta(2, 2, per_job), "embedding": rng.beta(3, 2, per_job),
            "skills": rng.beta(2, 3, per_job), "occupation": rng.choice(
                [0.0, 0.15, 0.4, 0.75, 1.0], per_job, p=[.2, .1, .2, .2, .3]),
        }
        parts["experience"] = parts["occupation"] * rng.uniform(0, 1, per_job)
        # keyword overlap correlates with occupation (same words), as it does in real data
        parts["keyword"] = 0.5 * parts["keyword"] + 0.5 * parts["occupation"]
        u = sum(tw[k] * parts[k] for k in PARTS) + rng.normal(0, noise, per_job)
        label = (u > np.median(u)).astype(int)
        for i in range(per_job):
            p = {k: float(parts[k][i]) for k in PARTS}
            X.append(feature_row(p, required=["x"] * 5, missing=["x"] * int(round(5 * (1 - p[
                "skills"]))), worker_level=int(rng.integers(0, 4)), job_level=1,
                years=5 * p["experience"], worker_languages=["Bangla"], job_languages=[]))
            y.append(int(label[i]))
            groups.append(j)
    return OutcomeTable(np.asarray(X), np.asarray(y), np.asarray(groups))


def hand_set_scores(X: np.ndarray, weights: dict[str, float] | None = None) -> np.ndarray:
    """Return the hybrid score of each row under ``weights`` (default: the hand-set ones)."""
    return np.asarray([combine({p: float(r[i]) for i, p in enumerate(PARTS)}, weights)
                       for r in X])


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------


def _usable(t: OutcomeTable) -> str | None:
    if len(t) < MIN_OUTCOMES:
        return f"too few outcomes ({len(t)} decisions; at least {MIN_OUTCOMES} needed)"
    if len(set(t.y.tolist())) < 2:
        return "outcomes hold only one kind of decision"
    both = sum(1 for g in np.unique(t.groups) if len(set(t.y[t.groups == g].tolist())) == 2)
    if both < MIN_JOBS:
        return (f"too few job orders with both a positive and a rejected decision ({both}; at "
                f"least {MIN_JOBS} needed)")
    return None


def part_weights(X: np.ndarray, y: np.ndarray) -> dict[str, float] | None:
    """Fit a logistic regression on the five score parts; return non-negative weights (sum 1)."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1.0, max_iter=2000).fit(X[:, :len(PARTS)], y)
    coef = np.clip(lr.coef_[0], 0, None)
    if coef.sum() <= 0:
        return None
    return {p: round(float(c / coef.sum()), 4) for p, c in zip(PARTS, coef, strict=True)}


def _full_model(splits: list | int):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return CalibratedClassifierCV(make_pipeline(StandardScaler(), LogisticRegression(
        C=1.0, max_iter=2000)), method="sigmoid", cv=splits)


def train_reranker(table: OutcomeTable, *, folds: int = FOLDS) -> RerankerResult:
    """Train on ``table`` with grouped CV by job order; fall back to the hand-set weights."""
    assert not (set(table.features) & PROTECTED), "protected attributes are never features"
    why = _usable(table)
    if why:
        return RerankerResult(dict(DEFAULT_WEIGHTS), True,
                              f"{why}: using the documented hand-set weights {DEFAULT_WEIGHTS}",
                              {"n": len(table)})
    from sklearn.metrics import brier_score_loss, roc_auc_score
    from sklearn.model_selection import GroupKFold

    X, y, g = table.X, table.y, table.groups
    k = min(folds, len(np.unique(g)))
    cv: dict[str, list[float]] = {
        "learned_ndcg@10": [], "weights_ndcg@10": [], "hand_set_ndcg@10": [], "learned_auc": [],
        "hand_set_auc": [], "brier": []}
    for tr, te in GroupKFold(n_splits=k).split(X, y, g):
        if len(set(y[tr].tolist())) < 2 or len(set(y[te].tolist())) < 2:
            continue
        inner = list(GroupKFold(n_splits=min(3, len(np.unique(g[tr])))).split(
            X[tr], y[tr], g[tr]))
        model = _full_model(inner).fit(X[tr], y[tr])
        p = model.predict_proba(X[te])[:, 1]
        w = part_weights(X[tr], y[tr]) or dict(DEFAULT_WEIGHTS)
        hand = hand_set_scores(X[te])
        cv["learned_ndcg@10"].append(grouped_ndcg(p, y[te], g[te]))
        cv["weights_ndcg@10"].append(grouped_ndcg(hand_set_scores(X[te], w), y[te], g[te]))
        cv["hand_set_ndcg@10"].append(grouped_ndcg(hand, y[te], g[te]))
        cv["learned_auc"].append(roc_auc_score(y[te], p))
        cv["hand_set_auc"].append(roc_auc_score(y[te], hand))
        cv["brier"].append(brier_score_loss(y[te], p))
    metrics: dict[str, Any] = {k_: round(float(np.mean(v)), 4) for k_, v in cv.items() if v}
    metrics.update({"n": len(table), "positives": int(y.sum()), "job_orders":
                    int(len(np.unique(g))), "folds": k})
    splits = list(GroupKFold(n_splits=min(3, len(np.unique(g)))).split(X, y, g))
    model = _full_model(splits).fit(X, y)
    weights = part_weights(X, y)
    if weights is None:
        return RerankerResult(dict(DEFAULT_WEIGHTS), True, "the learned weights are all zero "
                              "(no score part predicts the outcomes): using the hand-set "
                              "weights", metrics, model)
    better = (metrics.get("weights_ndcg@10", -1) >= metrics.get("hand_set_ndcg@10", math.inf)
              + MIN_GAIN and metrics.get("learned_auc", 0) >= MIN_AUC)
    msg = (f"learned from {len(table)} outcomes over {metrics['job_orders']} job orders; held-out "
           f"nDCG@10 learned weights {metrics.get('weights_ndcg@10')} vs hand-set "
           f"{metrics.get('hand_set_ndcg@10')} (calibrated model "
           f"{metrics.get('learned_ndcg@10')})")
    if not better:
        msg += (f"; NOT clearly better than the hand-set weights on held-out job orders (needs "
                f"+{MIN_GAIN} nDCG@10 and AUC ≥ {MIN_AUC}; AUC {metrics.get('learned_auc')}): "
                "not recommended")
    return RerankerResult(weights, False, msg, metrics, model, recommended=better)


def save_reranker(result: RerankerResult, models_dir: Path, *, name: str = "reranker",
                  source: str = "registry", manifest: dict | None = None) -> Path:
    """Save a re-ranker artefact (weights.json, model.pkl, metrics.json, meta.json)."""
    from training.finetune import git_commit

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(models_dir) / f"{name}-{stamp}"
    while out.exists():
        out = out.with_name(out.name + "-" + str(random.randint(0, 999)))
    out.mkdir(parents=True)
    (out / "weights.json").write_text(json.dumps({"weights": result.weights,
                                                  "features": list(PARTS)}, indent=1))
    if result.model is not None:
        with open(out / "model.pkl", "wb") as fh:
            pickle.dump({"model": result.model, "features": list(FEATURES)}, fh)
    created = dt.datetime.now().isoformat(timespec="seconds")
    (out / "metrics.json").write_text(json.dumps(result.metrics, indent=1))
    (out / "manifest.json").write_text(json.dumps(
        {"name": out.name, "created": created, "git": git_commit(), "source": source,
         "features": list(FEATURES), **(manifest or {})}, indent=1))
    (out / "meta.json").write_text(json.dumps(
        {"kind": "reranker", "name": out.name, "created": created, "fallback": result.fallback,
         "recommended": result.recommended, "summary": {"message": result.message}}, indent=1))
    return out


def load_reranker(path: Path) -> tuple[Any, list[str]]:
    """Load a saved calibrated model; return ``(model, feature names)``."""
    with open(Path(path) / "model.pkl", "rb") as fh:
        data = pickle.load(fh)
    return data["model"], data["features"]
