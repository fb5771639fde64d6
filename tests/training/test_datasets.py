"""Training data: taxonomy pairs, recorded outcomes, and evaluation data kept out of training."""

from __future__ import annotations

import random

import pytest
from support import DATA_DIR

from training import eval_tasks
from training.datasets import (
    Example,
    batches,
    build_pairs,
    esco_altlabel_eval_queries,
    eval_texts,
    norm,
    outcome_pairs,
    talentclef_texts,
)
from training.eval_tasks import EvalContext, read_bangla_set

ALL_TAXONOMY = ("esco-alt", "onet-title", "esco-skill", "esco-skillset")


@pytest.fixture(scope="module")
def pairs(taxonomy):
    return build_pairs(taxonomy, DATA_DIR, seed=0, sources=ALL_TAXONOMY)


def _texts(examples):
    return {norm(t) for e in examples for t in (e.anchor, e.positive, e.negative)}


def test_pairs_come_from_every_taxonomy_source(pairs) -> None:
    assert {"esco-alt", "onet-title", "onet-reported", "esco-skill", "esco-skillset"} <= \
        set(pairs.counts)
    assert len(pairs.train) > 20_000 and len(pairs.dev) > 500
    e = next(x for x in pairs.train if x.source == "esco-alt")
    assert e.anchor and e.positive and e.negative and norm(e.positive) != norm(e.negative)


def test_no_evaluation_query_appears_in_training_data(pairs, taxonomy) -> None:
    train = _texts(pairs.train) | _texts(pairs.dev)
    tc_queries, _ = talentclef_texts(DATA_DIR)
    assert tc_queries and not tc_queries & train
    bangla = {norm(q) for q, _, _ in read_bangla_set()}
    assert not bangla & train
    held, _ = eval_texts(DATA_DIR, taxonomy)
    assert not held & train
    assert pairs.dropped_eval > 0  # the taxonomy does hold some of them: they were removed


def test_the_esco_altlabels_task_queries_only_held_out_labels(tmp_path, taxonomy, pairs,
                                                                monkeypatch) -> None:
    # Run the real evaluation task (hashing encoder, small sample) and record what it queries.
    ctx = EvalContext(data_dir=DATA_DIR, esco_dir=DATA_DIR / "taxonomy" / "esco-1.1.1",
                      cache_dir=tmp_path, model="hashing", baseline_model="hashing", limit=150,
                      log=lambda _m: None)
    monkeypatch.setitem(ctx._memo, "taxonomy", taxonomy)
    seen: list[str] = []
    occ = ctx.occupations
    real = occ.prepare
    monkeypatch.setattr(occ, "prepare", lambda q, lang=None: seen.append(q) or real(q, lang))
    eval_tasks.esco_altlabels(ctx)
    assert len(seen) == 150
    assert set(seen) <= set(esco_altlabel_eval_queries(taxonomy))
    assert not {norm(q) for q in seen} & (_texts(pairs.train) | _texts(pairs.dev))


def test_dev_split_shares_no_occupation_with_train(pairs) -> None:
    dev_keys = {e.key for e in pairs.dev}
    assert dev_keys and not dev_keys & {e.key for e in pairs.train}


def test_a_batch_never_holds_one_concept_twice() -> None:
    ex = [Example(f"a{i}", f"p{i % 40}", "n", f"k{i % 9}", "t") for i in range(400)]
    got = list(batches(ex, 8, random.Random(1)))
    assert sum(map(len, got)) >= 396  # only lone leftovers are skipped
    for b in got:
        assert len(b) >= 2 and len({e.key for e in b}) == len(b)
        assert len({e.positive for e in b}) == len(b)


def test_recorded_outcomes_become_job_to_worker_pairs(seeded, taxonomy) -> None:
    ex = list(outcome_pairs(seeded["settings"].database_url, taxonomy, random.Random(0)))
    assert ex and all(e.source == "outcome" for e in ex)
    assert all(e.positive != e.negative for e in ex)


def test_reported_titles_and_skill_sets_are_what_they_claim(pairs, taxonomy) -> None:
    import csv

    path = DATA_DIR / "taxonomy" / "onet-27.0" / "Sample of Reported Titles.txt"
    with open(path, encoding="utf-8", newline="") as fh:
        reported = {norm(r["Reported Job Title"]) for r in csv.DictReader(fh, delimiter="\t")}
    rep = [e for e in pairs.train if e.source == "onet-reported"]
    assert len(rep) > 3000 and all(norm(e.anchor) in reported for e in rep)
    sets = [e for e in pairs.train if e.source == "esco-skillset"][:200]
    assert sets
    for e in sets:
        mine = {taxonomy.skill_label(s) for s in taxonomy.essential[e.key]}
        assert sum(label in e.positive for label in mine) >= min(6, len(mine))
        assert norm(e.anchor) in {norm(x) for x in (taxonomy.occupations[e.key].label,
                                                      *taxonomy.occupations[e.key].alt_labels)}


def test_a_mined_negative_that_is_an_evaluation_text_is_dropped(taxonomy) -> None:
    from dataclasses import replace

    tc_query = sorted(talentclef_texts(DATA_DIR)[0])[0]
    plain = build_pairs(taxonomy, DATA_DIR, seed=0, sources=("esco-alt",))
    poisoned = build_pairs(taxonomy, DATA_DIR, seed=0, sources=("esco-alt",),
                           miner=lambda ex: [replace(e, negative=tc_query) for e in ex[:50]]
                           + ex[50:])
    assert poisoned.dropped_eval >= plain.dropped_eval + 40
    assert tc_query not in _texts(poisoned.train) | _texts(poisoned.dev)
