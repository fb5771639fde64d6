"""Re-ranker: learns a known preference, falls back when outcomes are few, never sees
protected attributes, and changes ranking only when activated."""

from __future__ import annotations

import numpy as np

from indexer.ranking import outcome_hits, rank_workers_for_job
from matcher.models import write_pointer
from matcher.scoring import DEFAULT_WEIGHTS, combine
from registry.compliance import job_is_matchable
from registry.db import session_scope
from registry.models import JobOrder, Worker
from training.metrics import grouped_ndcg
from training.reranker import (
    FEATURES,
    PROTECTED,
    OutcomeTable,
    hand_set_scores,
    outcome_table,
    save_reranker,
    synthetic_outcomes,
    train_reranker,
)


def _split(t: OutcomeTable, test_jobs: set[int]) -> tuple[OutcomeTable, OutcomeTable]:
    m = np.isin(t.groups, list(test_jobs))
    return (OutcomeTable(t.X[~m], t.y[~m], t.groups[~m]),
            OutcomeTable(t.X[m], t.y[m], t.groups[m]))


def test_learns_a_known_preference_and_beats_the_hand_set_weights_on_held_out_jobs() -> None:
    table = synthetic_outcomes(jobs=80, per_job=25, seed=3)
    train, test = _split(table, set(range(60, 80)))
    result = train_reranker(train)
    assert not result.fallback and result.recommended
    # officers here value skills and experience; keyword overlap not at all
    w = result.weights
    assert w["skills"] > DEFAULT_WEIGHTS["skills"] and w["experience"] > w["keyword"]
    learned = grouped_ndcg(hand_set_scores(test.X, w), test.y, test.groups)
    hand = grouped_ndcg(hand_set_scores(test.X), test.y, test.groups)
    assert learned > hand + 0.03
    p = result.model.predict_proba(test.X)[:, 1]
    assert grouped_ndcg(p, test.y, test.groups) > hand
    # calibrated: the mean predicted probability is close to the held-out positive rate
    assert abs(p.mean() - test.y.mean()) < 0.08
    assert result.metrics["weights_ndcg@10"] > result.metrics["hand_set_ndcg@10"]


def test_too_few_outcomes_keep_the_hand_set_weights_and_say_so() -> None:
    result = train_reranker(synthetic_outcomes(jobs=4, per_job=10))
    assert result.fallback and result.weights == DEFAULT_WEIGHTS
    assert "too few outcomes" in result.message and "hand-set" in result.message


def test_features_never_include_protected_attributes(seeded) -> None:
    """Religion and district change no feature; gender changes none for a job order whose
    eligibility does not depend on it. (Where a legal rule makes eligibility depend on gender —
    a gender rule, the domestic-work age rule for women — who is eligible changes, and with it
    the best keyword score of the eligible pool that serving divides the keyword part by.)"""
    assert not set(FEATURES) & PROTECTED
    s = seeded["settings"]
    ix = seeded["indexer"]
    before = outcome_table(s, outcome_hits(ix), ix.taxonomy)
    assert len(before) > 0 and before.X.shape[1] == len(FEATURES)

    def flip(genders: bool) -> OutcomeTable:
        with session_scope(s.database_url) as db:
            for w in db.query(Worker):
                if genders:
                    w.gender = "female" if w.gender == "male" else "male"
                else:
                    w.religion, w.district = "Other", "Elsewhere"
        ix.reindex()  # the features are read from the index: it must hold the changed records
        return outcome_table(s, outcome_hits(ix), ix.taxonomy)

    try:
        other = flip(genders=False)
        flipped = flip(genders=True)
    finally:
        with session_scope(s.database_url) as db:
            for w in db.query(Worker):
                w.gender = "female" if w.gender == "male" else "male"
        ix.reindex()
    diff = np.flatnonzero((before.X != other.X).any(axis=0))
    assert np.array_equal(before.X, other.X), [FEATURES[i] for i in diff]
    with session_scope(s.database_url) as db:
        neutral = {j.id for j in db.query(JobOrder) if not j.gender_rule and not j.domestic_work}
    rows = np.isin(before.groups, list(neutral))
    assert rows.sum() >= 20
    assert np.array_equal(before.groups, flipped.groups)
    assert np.array_equal(before.X[rows], flipped.X[rows])


def test_ranking_uses_an_activated_reranker_and_is_unchanged_without_one(seeded):
    ix, s = seeded["indexer"], seeded["settings"]
    with session_scope(s.database_url) as db:
        import datetime as dt

        job = next(j for j in db.query(JobOrder).order_by(JobOrder.id)
                   if job_is_matchable(j, dt.date.today()))
        plain = rank_workers_for_job(ix, job, limit=10)
        for m in plain.items:
            assert m.score == round(combine(m.parts, DEFAULT_WEIGHTS), 4)
        result = train_reranker(synthetic_outcomes(seed=5))
        out = save_reranker(result, s.var_dir / "models", source="synthetic")
        write_pointer(s.var_dir, "reranker", out.name)
        try:
            learned = rank_workers_for_job(ix, job, limit=10)
        finally:
            write_pointer(s.var_dir, "reranker", None)
        for m in learned.items:
            assert m.score == round(combine(m.parts, result.weights), 4)
        again = rank_workers_for_job(ix, job, limit=10)
        assert [(m.id, m.score) for m in again.items] == [(m.id, m.score) for m in plain.items]


def test_demo_outcomes_follow_their_documented_preference_and_the_reranker_learns_it(
        tmp_path, taxonomy) -> None:
    """The seeded history is not random: a re-ranker trained on it finds skills, occupation and
    experience, not keyword overlap, and separates decisions on held-out job orders."""
    import datetime as dt

    from support import make_settings

    from registry.migrate import upgrade
    from registry.seed import insert_dataset
    from training.synthetic import generate

    s = make_settings(tmp_path)
    upgrade(s.database_url)
    data = generate(taxonomy, s.data_dir, seed=7, workers=600, job_orders=100,
                    today=dt.date.today())
    again = generate(taxonomy, s.data_dir, seed=7, workers=600, job_orders=100,
                     today=dt.date.today())
    assert [a["status"] for a in data.applications] == [a["status"] for a in again.applications]
    with session_scope(s.database_url) as session:
        insert_dataset(session, data)
    from indexer.service import Indexer

    ix = Indexer(s, taxonomy=taxonomy)
    ix.drain_outbox()
    try:
        result = train_reranker(outcome_table(s, outcome_hits(ix), ix.taxonomy))
    finally:
        ix.backend.close()
    assert not result.fallback
    w = result.weights
    assert w["skills"] + w["occupation"] + w["experience"] > 0.7
    assert w["keyword"] < w["skills"]
    assert result.metrics["learned_auc"] > 0.75


def test_training_features_are_the_ones_serving_computes_from_the_index(seeded) -> None:
    """The outcome re-ranker learns what serving sees: for the same job and worker, the feature
    row built at training time equals the one built from serving's ranking of that job (score
    parts from the indexed payload, missing skills, indexed level, years and languages)."""
    from indexer.documents import WORKERS
    from matcher.inputs import required_skills
    from training.outcomes import load_outcomes
    from training.reranker import feature_row

    ix, s = seeded["indexer"], seeded["settings"]
    table = outcome_table(s, outcome_hits(ix), ix.taxonomy)
    assert table.workers is not None and len(table) > 0
    row_of = {(int(g), int(w)): r for r, (g, w) in enumerate(zip(table.groups, table.workers,
                                                                   strict=True))}
    jobs = sorted({o.job_order_id for o in load_outcomes(s.database_url)})
    compared, inferred = 0, 0
    with session_scope(s.database_url) as db:
        for job_id in jobs:
            job = db.get(JobOrder, job_id)
            served = {m.id: m for m in rank_workers_for_job(ix, job, limit=300).items}
            req, _ = required_skills(job, ix.taxonomy.essential)
            for (g, wid), r in row_of.items():
                if g != job_id or wid not in served:
                    continue
                m, doc = served[wid], ix.backend.get(WORKERS, wid)
                exp = doc.payload.get("experience", [])
                inferred += any(e.get("confidence", 1.0) < 1.0 for e in exp)
                years = max((e["years"] for e in exp
                             if e["occupation_uri"] == job.occupation_uri), default=0.0)
                expected = feature_row(
                    m.parts, required=req, missing=m.missing_skills,
                    worker_level=doc.fields["ntvqf_level"], job_level=job.required_ntvqf_level,
                    years=years, worker_languages=doc.fields["languages"],
                    job_languages=job.languages or [])
                assert table.X[r].tolist() == expected, (job_id, wid)
                compared += 1
    assert compared >= 10
    # workers whose experience was inferred from their own words (only the index holds it)
    assert inferred > 0


def test_training_features_use_the_experience_inferred_at_indexing(seeded) -> None:
    """A text-only worker's occupation part comes from the experience inferred when the
    document was indexed; the registry record alone (no experience) would give it nothing."""
    from indexer.documents import WORKERS

    ix, s = seeded["indexer"], seeded["settings"]
    table = outcome_table(s, outcome_hits(ix), ix.taxonomy)
    occ = FEATURES.index("occupation")
    with session_scope(s.database_url) as db:
        text_only = [r for r, w in enumerate(table.workers) if not db.get(Worker, int(w)).experience
                     and ix.backend.get(WORKERS, int(w)).payload.get("experience")]
    assert text_only
    assert max(table.X[r, occ] for r in text_only) > 0
