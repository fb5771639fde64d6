"""Eligibility rules: each failure is reported with a reason; the index filter agrees."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np

from indexer.embedded import EmbeddedBackend
from indexer.protocol import Document, IndexSchema
from matcher.eligibility import JobFacts, WorkerFacts, add_months, check, filter_clauses

DEADLINE = dt.date(2027, 3, 31)


def worker(**kw) -> WorkerFacts:
    base = {"date_of_birth": dt.date(1995, 5, 1), "gender": "male",
            "passport_expiry": dt.date(2030, 1, 1), "medical_fit": True, "ntvqf_level": 2,
            "languages": ("Bangla", "Arabic"), "bmet_registered": True}
    base.update(kw)
    return WorkerFacts(**base)


def codes(w: WorkerFacts, j: JobFacts) -> list[str]:
    return [f.code for f in check(w, j)]


def test_an_eligible_worker_fails_no_rule():
    assert check(worker(), JobFacts(deadline=DEADLINE, required_ntvqf_level=2,
                                    languages=("Arabic",))) == []


def test_every_failed_rule_is_reported_at_once_with_reasons():
    w = worker(date_of_birth=dt.date(1970, 1, 1), passport_expiry=dt.date(2027, 6, 1),
               medical_fit=False, ntvqf_level=0, languages=("Bangla",), bmet_registered=False)
    fails = check(w, JobFacts(deadline=DEADLINE, required_ntvqf_level=3, languages=("Arabic",)))
    assert [f.code for f in fails] == ["age", "passport", "medical", "ntvqf_level", "language",
                                      "bmet_registration"]
    passport = next(f for f in fails if f.code == "passport")
    assert "2027-09-30" in passport.reason and "renew" in passport.fix
    assert all(f.reason and f.reason_bn for f in fails)


def test_women_in_domestic_work_must_be_25_to_45_but_men_18():
    job = JobFacts(deadline=DEADLINE, domestic_work=True)
    young = dt.date(2004, 1, 1)  # 23 at the deadline
    assert codes(worker(gender="female", date_of_birth=young), job) == ["age"]
    assert codes(worker(gender="male", date_of_birth=young), job) == []
    assert codes(worker(gender="female", date_of_birth=young),
                 JobFacts(deadline=DEADLINE)) == []


def test_passport_must_be_valid_six_months_after_the_deadline():
    job = JobFacts(deadline=DEADLINE)
    need = add_months(DEADLINE, 6)
    assert codes(worker(passport_expiry=need), job) == []
    assert codes(worker(passport_expiry=need - dt.timedelta(days=1)), job) == ["passport"]
    assert codes(worker(passport_expiry=None), job) == ["passport"]


def test_medical_only_where_required():
    assert codes(worker(medical_fit=False), JobFacts(deadline=DEADLINE,
                                                     medical_required=False)) == []


def test_legal_gender_rule():
    job = JobFacts(deadline=DEADLINE, gender_rule="female")
    assert codes(worker(gender="male"), job) == ["gender_rule"]


def _doc(i: int, w: WorkerFacts) -> Document:
    return Document(i, 1, "w", np.ones(4, dtype=np.float32) / 2, fields={
        "date_of_birth": w.date_of_birth.isoformat(),
        "female_dob_cap": (w.date_of_birth if w.gender == "female"
                           else dt.date(1900, 1, 1)).isoformat(),
        "gender": w.gender,
        "passport_expiry": w.passport_expiry.isoformat() if w.passport_expiry else None,
        "medical_fit": w.medical_fit, "ntvqf_level": w.ntvqf_level,
        "languages": list(w.languages), "bmet_registered": w.bmet_registered, "consent": True})


def test_index_filter_keeps_exactly_the_workers_the_rules_accept(tmp_path):
    from indexer.documents import WORKER_FIELDS

    rng = random.Random(11)
    workers = []
    for _ in range(400):
        workers.append(worker(
            date_of_birth=dt.date(1975, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 35)),
            gender=rng.choice(["male", "female"]),
            passport_expiry=rng.choice([None, DEADLINE + dt.timedelta(days=rng.randint(0, 600))]),
            medical_fit=rng.random() < 0.6, ntvqf_level=rng.randint(0, 4),
            languages=tuple(["Bangla"] + (["Arabic"] if rng.random() < 0.4 else [])),
            bmet_registered=rng.random() < 0.8))
    b = EmbeddedBackend(tmp_path)
    b.ensure_index(IndexSchema("w", WORKER_FIELDS, 4))
    b.upsert("w", [_doc(i, w) for i, w in enumerate(workers, 1)])
    jobs = [JobFacts(deadline=DEADLINE),
            JobFacts(deadline=DEADLINE, domestic_work=True, gender_rule="female"),
            JobFacts(deadline=DEADLINE, required_ntvqf_level=2, languages=("Arabic",),
                     medical_required=False, min_age=21, max_age=40)]
    for job in jobs:
        want = {i for i, w in enumerate(workers, 1) if not check(w, job)}
        hits = b.search("w", text=None, vector=np.ones(4, dtype=np.float32) / 2,
                        filters=[c.as_dict() for c in filter_clauses(job)], k=1000)
        assert {h.id for h in hits} == want
        assert 0 < len(want) < len(workers)
    b.close()
