"""matcher.inputs: records become the same matcher inputs for search, indexing and training."""

from __future__ import annotations

import datetime as dt

from indexer.documents import worker_document
from matcher.eligibility import JobFacts, WorkerFacts
from matcher.inputs import (
    MAX_REQUIRED_FROM_ESCO,
    experience_payload,
    job_facts,
    job_isco,
    language_share,
    payload_experience,
    record_experience,
    required_skills,
    worker_facts,
)
from matcher.scoring import Experience
from registry.models import JobOrder, Worker

TODAY = dt.date(2025, 6, 1)


def _job(**kw):
    base = {"title": "Welder", "description": "", "occupation_uri": None,
            "required_skills": [], "optional_skills": [], "deadline": TODAY, "min_age": 21,
            "max_age": 40, "gender_rule": None, "domestic_work": False,
            "medical_required": True, "required_ntvqf_level": 2, "languages": ["Arabic"]}
    return JobOrder(**{**base, **kw})


def _worker(**kw):
    base = {"full_name": "x", "date_of_birth": dt.date(1995, 1, 1), "gender": "male",
            "passport_expiry": None, "medical_fit": True, "ntvqf_level": 3,
            "languages": ["Bangla"], "bmet_registration": "BMET-1", "skills": [],
            "experience": [], "certificates": [], "self_description": ""}
    return Worker(**{**base, **kw})


def test_facts_carry_what_the_rules_read():
    assert job_facts(_job()) == JobFacts(deadline=TODAY, min_age=21, max_age=40,
                                         required_ntvqf_level=2, languages=("Arabic",))
    wf = worker_facts(_worker(bmet_registration=None))
    assert wf == WorkerFacts(date_of_birth=dt.date(1995, 1, 1), gender="male",
                             passport_expiry=None, medical_fit=True, ntvqf_level=3,
                             languages=("Bangla",), bmet_registered=False)


def test_required_skills_fall_back_to_the_occupations_essential_ones():
    essential = {"occ:weld": tuple(f"s{i}" for i in range(20))}
    recorded = _job(occupation_uri="occ:weld", required_skills=["a"], optional_skills=["b"])
    assert required_skills(recorded, essential) == (["a"], ["b"])
    fallback = required_skills(_job(occupation_uri="occ:weld"), essential)
    assert fallback == ([f"s{i}" for i in range(MAX_REQUIRED_FROM_ESCO)], [])
    assert required_skills(_job(), essential) == ([], [])  # no occupation, nothing to fall to


def test_experience_from_a_record_and_from_the_index_payload_agree(taxonomy):
    uri, occ = next(iter(taxonomy.occupations.items()))
    w = _worker(experience=[{"occupation_uri": uri, "years": 4}, {"occupation_uri": "occ:?",
                                                                  "years": None}])
    exp = record_experience(w, taxonomy)
    assert exp == [Experience(uri, occ.isco_group, 4.0), Experience("occ:?", "", 0.0)]
    # what the index stores is read back as the same entries
    payload = worker_document(w, taxonomy, None).payload["experience"]
    assert payload == experience_payload(exp)
    assert payload_experience(payload) == exp
    inferred = [{"occupation_uri": uri, "isco_group": "7212", "years": 2, "confidence": 0.6}]
    assert payload_experience(inferred) == [Experience(uri, "7212", 2.0, 0.6)]
    assert job_isco(_job(occupation_uri=uri), taxonomy) == occ.isco_group
    assert job_isco(_job(), taxonomy) == ""


def test_language_share():
    assert language_share(["bangla", "Arabic"], ["Arabic", "English"]) == 0.5
    assert language_share([], []) == 1.0
