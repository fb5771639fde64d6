"""Evaluation harness: metrics, the task registry, the results table in docs/quality.md."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from matcher.encoder import HashingEncoder
from matcher.normalise import Concept, ConceptRanker
from training import eval_tasks
from training.eval_context import score_systems
from training.eval_tasks import TASKS, EvalContext, read_bangla_set
from training.evaluate import format_primary, format_table, write_docs


def test_score_systems_compares_systems_on_the_same_queries() -> None:
    good = np.eye(4)
    bad = np.eye(4)[::-1]
    rows = score_systems({"shetu": lambda a, b: good[a:b], "minilm": lambda a, b: bad[a:b]},
                         [[0], [1], [2], [3]], ("MRR", "R@1"), "toy")
    mrr = next(r for r in rows if r["metric"] == "MRR")
    assert mrr["n"] == 4 and mrr["systems"]["shetu"] == 1.0 and mrr["systems"]["minilm"] < 1.0


def test_registry_has_the_issue_tasks_and_accepts_new_ones() -> None:
    assert {"talentclef-a", "skillspan", "job2skill", "esco-altlabels", "bangla"} <= set(TASKS)
    assert all(callable(f) for f in TASKS.values())


def test_bangla_set_is_large_enough_and_covers_the_common_trades() -> None:
    rows = read_bangla_set()
    assert len(rows) >= 60
    trades = {t for _, _, t in rows}
    assert {"mason", "electrician", "welder", "cleaner", "driver", "caregiver", "garment"} <= trades
    assert all(u.startswith("http://data.europa.eu/esco/occupation/") for _, us, _ in rows
               for u in us)


def test_esco_altlabels_is_leave_one_out(tmp_path: Path) -> None:
    """A label that exists only on its own occupation cannot be found by its label entry."""
    concepts = [Concept("u:a", "alpha worker", ("zebra keeper",), "alpha worker"),
                Concept("u:b", "beta worker", ("zebra handler",), "beta worker")]
    ranker = ConceptRanker("occupations", concepts, HashingEncoder(), cache_dir=tmp_path,
                           show_progress=False)
    ctx = EvalContext(data_dir=tmp_path, esco_dir=tmp_path, cache_dir=tmp_path,
                      model="hashing", baseline_model="hashing", log=lambda _m: None)
    ctx._memo.update({"occupations": ranker,
                      "pref-occupations": HashingEncoder().encode(["alpha worker",
                                                                   "beta worker"])})
    res = eval_tasks.esco_altlabels(ctx)
    shetu = {r["metric"]: r["systems"]["shetu"] for r in res["rows"]}
    # "zebra keeper" left out of u:a → the only lexical match left is u:b's "zebra handler"
    assert shetu["R@1"] == 0.0
    # the task names its primary figure, and the CLI output carries it
    assert res["primary"]["metric"] == "MRR@10"
    assert res["primary"]["value"] == shetu["MRR@10"]
    line = format_primary({"esco-altlabels": res})
    assert line.startswith("esco-altlabels: MRR@10 = ") and "ESCO 1.1.1 alt labels" in line


def test_docs_table_is_regenerated_in_place(tmp_path: Path) -> None:
    doc = tmp_path / "quality.md"
    doc.write_text("# Quality\n\nintro kept\n", encoding="utf-8")
    results = {"esco-altlabels": {"rows": [{"dataset": "ESCO 1.1.1 alt labels (LOO)", "n": 5,
                                            "metric": "MRR@10", "systems": {
                                                "shetu": 0.8, "bm25": 0.6, "minilm": 0.5}}],
                                  "notes": "x", "seconds": 1.0}}
    write_docs(results, "m", doc)
    write_docs(results, "m", doc)
    text = doc.read_text(encoding="utf-8")
    assert "intro kept" in text and text.count("results:start") == 1
    assert "**0.800**" in text and "≥ 0.75 met" in text and "`shetu eval esco-altlabels`" in text
    assert "0.800" in format_table(results)


def test_candidates_relevance_is_graded_from_the_true_profile_only() -> None:
    from training.candidates_population import relevance

    job = {"occupation_uri": "o:tile", "required_skills": ["a", "b", "c", "d"]}
    truth = {"occupation_uri": "o:tile", "isco_group": "7122", "skills": {"a", "b"}}
    assert relevance(truth, job, "7122") == 3
    assert relevance({**truth, "skills": {"a"}}, job, "7122") == 2
    assert relevance({**truth, "occupation_uri": "o:mosaic"}, job, "7122") == 2  # sibling
    assert relevance({**truth, "occupation_uri": "o:x", "isco_group": "7123"}, job, "7122") == 1
    assert relevance({**truth, "occupation_uri": "o:x", "isco_group": "9112",
                      "other_groups": {"7122"}}, job, "7122") == 1
    assert relevance({**truth, "occupation_uri": "o:x", "isco_group": "9112"}, job, "7122") == 0


def test_hard_candidates_treat_siblings_as_distractors_and_record_more_as_text(taxonomy) -> None:
    import datetime as dt

    from support import DATA_DIR

    from training.candidates_population import RECORDED, build, relevance

    job = {"occupation_uri": "o:tile", "required_skills": ["a", "b", "c", "d"]}
    truth = {"occupation_uri": "o:tile", "isco_group": "7122", "skills": {"a", "b"}}
    assert relevance(truth, job, "7122", hard=True) == 3
    assert relevance({**truth, "skills": {"a"}}, job, "7122", hard=True) == 2
    assert relevance({**truth, "occupation_uri": "o:mosaic"}, job, "7122", hard=True) == 1
    assert relevance({**truth, "occupation_uri": "o:x", "isco_group": "7123"}, job, "7122",
                     hard=True) == 0  # a related minor group is not what the job asks for
    assert relevance({**truth, "occupation_uri": "o:x", "isco_group": "9112",
                      "other_groups": {"7122"}}, job, "7122", hard=True) == 1
    text_only, occupation_only = RECORDED["hard"]
    workers, _, _ = build(taxonomy, DATA_DIR, seed=3, n_jobs=4, per_job=10,
                          siblings=6, related=2, background=40, today=dt.date(2026, 1, 1),
                          text_only=text_only, occupation_only=occupation_only)
    share = sum(not w["skills"] and not w["experience"] for w in workers) / len(workers)
    assert 0.6 < share < 0.8


def test_candidates_workers_are_realistic_and_the_build_repeats(taxonomy) -> None:
    import datetime as dt

    from support import DATA_DIR

    from training.candidates_population import build

    def run() -> tuple[list, list, list]:
        return build(taxonomy, DATA_DIR, seed=3, n_jobs=4, per_job=5, siblings=3, related=2,
                     background=40, today=dt.date(2026, 1, 1))

    workers, truths, jobs = run()
    again, _, _ = run()
    assert [w["self_description"] for w in workers] == [w["self_description"] for w in again]
    text_only = [(w, t) for w, t in zip(workers, truths, strict=True)
                 if not w["skills"] and not w["experience"]]
    assert 0.3 * len(workers) < len(text_only) < 0.7 * len(workers)
    # own words rarely quote the ESCO preferred label; skills stay known to the generator
    quoted = sum(taxonomy.occupations[t["occupation_uri"]].label in w["self_description"]
                 for w, t in text_only)
    assert quoted < 0.4 * len(text_only)
    assert all(t["skills"] for _, t in text_only)
    assert all(j["required_skills"] and j["title"] for j in jobs)
