"""Realistic synthetic records built from the shared data (demo seed, benchmarks, evaluation).

- Occupations come from ESCO, drawn by BMET skill level with the 2024 shares in
  ``bangladesh/bmet_skill_levels.csv`` (professional → ISCO 2–3, skilled → 7 and cooks/drivers,
  semi-skilled → 6/8, less-skilled → 9 and personal services), common migrant trades weighted up.
- Skills are sampled from ESCO occupation→skill relations (essential first, some optional).
- Destinations are weighted by the UN DESA 2019 stock of Bangladesh-born migrants; cost ceilings
  come from ``bangladesh/migration_cost_ceilings.csv`` (see registry.compliance).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from matcher.scoring import Experience, best_experience, skill_coverage
from matcher.taxonomy import Occupation, Taxonomy
from registry.vocab import JobStatus, LicenceStatus, OutcomeStatus
from training.synthetic_text import (
    ProfileVocab,
    first_person_text,
)

# Statuses are typed against registry.vocab's vocabularies (mypy checks every literal here).
ApplicationStatus = Literal["applied"] | OutcomeStatus
LAPSED: Final[tuple[LicenceStatus, ...]] = ("suspended", "cancelled")

DESTINATIONS = ["Saudi Arabia", "United Arab Emirates", "Malaysia", "Kuwait", "Oman", "Qatar",
                "Italy", "Bahrain", "Singapore", "Jordan", "Brunei"]
UNDESA_NAMES = {"Brunei": "Brunei Darussalam"}
GCC = {"Saudi Arabia", "United Arab Emirates", "Kuwait", "Oman", "Qatar", "Bahrain"}
CURRENCY = {"Saudi Arabia": ("SAR", 1000, 2500), "United Arab Emirates": ("AED", 1000, 2600),
            "Malaysia": ("MYR", 1500, 2600), "Kuwait": ("KWD", 75, 200),
            "Oman": ("OMR", 90, 250), "Qatar": ("QAR", 1000, 2600), "Italy": ("EUR", 1100, 1700),
            "Bahrain": ("BHD", 100, 260), "Singapore": ("SGD", 900, 2200),
            "Jordan": ("JOD", 200, 400), "Brunei": ("BND", 400, 900)}
LANG_BY_DEST = {"Malaysia": "Malay", "Italy": "Italian", "Singapore": "English"}
COMMON_TRADES = (
    "builder", "bricklayer", "mason", "construction", "concrete", "tile", "plaster", "carpenter",
    "electrician", "welder", "plumber", "pipe", "painter", "scaffold", "steel fixer", "driver",
    "cleaner", "housekeeper", "domestic", "caregiver", "care", "cook", "kitchen", "waiter",
    "sewing", "garment", "tailor", "farm", "agricultural", "gardener", "labourer", "mechanic",
    "machine operator", "warehouse", "packer", "security", "fisher", "nurse", "shop",
)
SKILL_LEVELS = {  # BMET class → ISCO major groups (shares from bmet_skill_levels.csv)
    "professional": ("2", "3"),
    "skilled": ("7", "5"),
    "semi-skilled": ("8", "6"),
    "less-skilled (unskilled)": ("9", "5"),
}
MALE_NAMES = ["Rahim", "Karim", "Abdul", "Mohammad", "Rafiq", "Shahid", "Jamal", "Kamal", "Habib",
              "Nazrul", "Sohel", "Rubel", "Alamgir", "Mizanur", "Faruk", "Anwar", "Belal", "Jahid"]
FEMALE_NAMES = ["Rahima", "Fatema", "Nasrin", "Shirin", "Rokeya", "Salma", "Jesmin", "Ayesha",
                "Sumaiya", "Taslima", "Parvin", "Momena"]
SURNAMES = ["Hossain", "Islam", "Rahman", "Uddin", "Ahmed", "Miah", "Sarkar", "Khan", "Begum",
            "Akter", "Chowdhury", "Sheikh", "Mollah", "Das", "Roy"]
DISTRICTS = ["Cumilla", "Chattogram", "Brahmanbaria", "Tangail", "Dhaka", "Noakhali", "Chandpur",
             "Kishoreganj", "Narsingdi", "Sylhet", "Munshiganj", "Feni", "Mymensingh", "Gazipur",
             "Manikganj", "Lakshmipur", "Jashore", "Bogura", "Rajshahi", "Khulna"]
AGENCY_WORDS = ["Overseas", "Manpower", "International", "Recruiting", "Global", "HR"]
AGENCY_NAMES = ["Al-Amin", "Bengal", "Padma", "Meghna", "Jamuna", "Sonar Bangla", "Green Land",
                "Dhaka", "Chittagong", "Sylhet", "Rupsha", "Karnaphuli", "Teesta", "Surma",
                "Crescent", "Star", "Unity", "Prime", "Royal", "Golden"]
FREE_TEXT = [
    "I worked as a {label} for {years} years in {place}. I can {skill1} and {skill2}.",
    "{years} years experience as {label} in {place}, good at {skill1}.",
    "My work: {label}. I know {skill1}, {skill2}. Worked {years} years.",
    "Looking for a {label} job abroad. Experience {years} years in {place}; I {skill1}.",
]

# Known preference behind the demo's recorded outcomes (documented in docs/quality.md): an
# officer's decision follows the worker's coverage of the job's required skills, how close the
# worker's recorded occupations are to the job's (ESCO/ISCO, as in matcher.scoring) and years in
# that occupation (saturating at 5), plus noise. Nothing else (no gender, age, district, ...).
OUTCOME_PREFERENCE = {"skills": 3.0, "occupation": 2.0, "experience": 1.5}
OUTCOME_BIAS = -2.5
OUTCOME_NOISE = 0.75  # sd of the logistic-scale noise added to each decision's utility


def outcome_status(rng: random.Random, tax: Taxonomy, job: dict[str, Any],
                   worker: dict[str, Any]) -> ApplicationStatus:
    """Return a recorded status for an application, drawn from :data:`OUTCOME_PREFERENCE`.

    30 % stay ``applied`` (no decision yet). Otherwise the officer decides for the worker with
    probability sigmoid(bias + Σ weight·feature + noise); a positive decision is ``shortlisted``,
    and the stronger candidates among them go on to ``selected`` or ``deployed``.
    """
    if rng.random() < 0.3:
        return "applied"
    occ = tax.occupations.get(job["occupation_uri"])
    isco = occ.isco_group if occ else ""
    exp = [Experience(e["occupation_uri"], tax.occupations[e["occupation_uri"]].isco_group,
                      float(e["years"])) for e in worker["experience"]
           if e["occupation_uri"] in tax.occupations]
    cov, _, _ = skill_coverage(job["required_skills"], job.get("optional_skills", []),
                               worker["skills"])
    occ_part, exp_part = best_experience(job["occupation_uri"], isco, exp)
    feats = {"skills": cov, "occupation": occ_part, "experience": exp_part}
    u = OUTCOME_BIAS + sum(OUTCOME_PREFERENCE[k] * v for k, v in feats.items())
    u += rng.gauss(0, OUTCOME_NOISE)
    if rng.random() >= 1 / (1 + math.exp(-u)):
        return "rejected"
    roll = rng.random() + 0.15 * u
    return "deployed" if roll > 1.0 else ("selected" if roll > 0.7 else "shortlisted")


@dataclass
class SyntheticData:
    """Rows ready for the registry, as plain dicts keyed by table."""

    agencies: list[dict[str, Any]]
    employers: list[dict[str, Any]]
    workers: list[dict[str, Any]]
    job_orders: list[dict[str, Any]]
    applications: list[dict[str, Any]]
    complaints: list[dict[str, Any]]


def destination_weights(data_dir: Path) -> dict[str, float]:
    """Return destination weights from the UN DESA 2019 stock of Bangladesh-born migrants."""
    stock: dict[str, int] = {}
    name = "bangladesh_origin_migrant_stock_by_destination_UNDESA2019.csv"
    path = Path(data_dir) / "bangladesh" / name
    with open(path, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["year"] == "2019":
                stock[r["destination"]] = int(r["migrant_stock_born_in_bangladesh"])
    return {d: float(stock.get(UNDESA_NAMES.get(d, d), 1000)) for d in DESTINATIONS}


def skill_level_shares(data_dir: Path) -> dict[str, float]:
    """Return the BMET 2024 skill-level shares (percent)."""
    with open(Path(data_dir) / "bangladesh" / "bmet_skill_levels.csv", encoding="utf-8") as fh:
        return {r["bmet_skill_level"]: float(r["share_2024_pct"]) for r in csv.DictReader(fh)}


def occupation_pool(tax: Taxonomy, data_dir: Path) -> tuple[list[Occupation], list[float]]:
    """Return ESCO occupations with draw weights (BMET level shares × common-trade boost)."""
    shares = skill_level_shares(data_dir)
    by_major: dict[str, list[Occupation]] = {}
    for o in tax.occupations.values():
        if tax.essential.get(o.uri):
            by_major.setdefault(o.isco_major, []).append(o)
    occs, weights = [], []
    for level, majors in SKILL_LEVELS.items():
        share = shares.get(level, 10.0) / len(majors)
        for major in majors:
            group = by_major.get(major, [])
            boosts = [25.0 if any(t in o.label for t in COMMON_TRADES) else 1.0 for o in group]
            total = sum(boosts) or 1.0
            for o, b in zip(group, boosts, strict=True):
                occs.append(o)
                weights.append(share * b / total)
    return occs, weights


def _related_occupation(rng: random.Random, tax: Taxonomy, occ: Occupation) -> Occupation:
    same_group = [o for o in tax.occupations.values()
                  if o.isco_group == occ.isco_group and o.uri != occ.uri
                  and tax.essential.get(o.uri)]
    return rng.choice(same_group) if same_group else occ


def make_worker(rng: random.Random, tax: Taxonomy, occ: Occupation, today: dt.date,
                free_text_only: bool = False, vocab: ProfileVocab | None = None
                ) -> dict[str, Any]:
    """Return one worker profile experienced in ``occ``.

    With ``vocab`` (:func:`load_profile_vocab`) the self-description is a realistic first-person
    text (:func:`first_person_text`); without it, a template around an ESCO label (fast, for
    bulk benchmarks).
    """
    female = rng.random() < (0.6 if occ.isco_group.startswith(("91", "53", "51")) else 0.08)
    first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
    surname = rng.choice(["Begum", "Akter", "Khatun"] if female else SURNAMES)
    age = int(min(max(rng.gauss(31, 7), 17), 55))
    dob = today - dt.timedelta(days=int(age * 365.25 + rng.randint(0, 364)))
    years = round(min(max(rng.expovariate(1 / 4), 0), age - 16), 1)
    experience = [{"occupation_uri": occ.uri, "years": years, "country": None}]
    if rng.random() < 0.25:
        other = _related_occupation(rng, tax, occ)
        experience.append({"occupation_uri": other.uri, "years": round(rng.uniform(0.5, 4), 1),
                           "country": None})
    essential = list(tax.essential.get(occ.uri, ()))
    optional = list(tax.optional.get(occ.uri, ()))
    k = max(1, int(len(essential) * rng.uniform(0.3, 0.9)))
    skills = rng.sample(essential, min(k, len(essential)))
    skills += rng.sample(optional, min(len(optional), rng.randint(0, 3)))
    place = rng.choice(["Dhaka", "Chattogram", "Riyadh", "Dubai", "Kuala Lumpur", "my village"])
    s1 = tax.skill_label(skills[0]) if skills else "work hard"
    s2 = tax.skill_label(skills[-1]) if skills else "learn fast"
    label = rng.choice((occ.label, *occ.alt_labels[:3]))
    desc = rng.choice(FREE_TEXT).format(label=label, years=int(years) or 1, place=place,
                                        skill1=s1, skill2=s2)
    if vocab is not None:
        desc = first_person_text(rng, tax, occ, skills, years, vocab)
    has_passport = rng.random() < 0.8
    langs = ["Bangla"]
    for lang, p in (("English", 0.3), ("Arabic", 0.2), ("Malay", 0.05), ("Italian", 0.02)):
        if rng.random() < p:
            langs.append(lang)
    return {
        "full_name": f"{first} {surname}",
        "phone": f"01{rng.randint(3, 9)}{rng.randint(10_000_000, 99_999_999)}",
        "nid_number": str(rng.randint(10**9, 10**10 - 1)),
        "date_of_birth": dob,
        "gender": "female" if female else "male",
        "district": rng.choice(DISTRICTS),
        "religion": rng.choice(["Islam"] * 9 + ["Hinduism"]),
        "passport_number": f"A{rng.randint(10**7, 10**8 - 1)}" if has_passport else None,
        "passport_expiry": (today + dt.timedelta(days=rng.randint(-400, 3000)))
        if has_passport else None,
        "medical_fit": rng.random() < 0.65,
        "medical_date": today - dt.timedelta(days=rng.randint(0, 300)),
        "ntvqf_level": rng.choices([0, 1, 2, 3, 4, 5], [35, 20, 20, 15, 7, 3])[0],
        "certificates": [],
        "languages": langs,
        "experience": [] if free_text_only else experience,
        "skills": [] if free_text_only else skills,
        "self_description": desc,
        "bmet_registration": (f"BMET-{rng.randint(10**8, 10**9 - 1)}"
                              if rng.random() < 0.85 else None),
        "consent": rng.random() < 0.96,
    }


def generate(tax: Taxonomy, data_dir: Path, *, seed: int = 7, workers: int = 2000,
             job_orders: int = 320, agencies: int = 45, employers: int = 90,
             today: dt.date | None = None) -> SyntheticData:
    """Generate a deterministic, realistic demo data set."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    dests = destination_weights(data_dir)
    occs, occ_w = occupation_pool(tax, data_dir)

    agency_rows = []
    for i in range(agencies):
        roll = rng.random()
        licence: LicenceStatus = "valid"
        until = today + dt.timedelta(days=rng.randint(60, 900))
        if roll < 0.10:
            until = today - dt.timedelta(days=rng.randint(1, 400))  # expired licence
        elif roll < 0.15:
            licence = rng.choice(LAPSED)
        agency_rows.append({
            "name": f"{AGENCY_NAMES[i % len(AGENCY_NAMES)]} {rng.choice(AGENCY_WORDS)} "
                    f"{'Ltd' if i < len(AGENCY_NAMES) else f'Services {i}'}",
            "licence_number": f"RL-{1000 + i * 7}",
            "licence_status": licence, "licence_valid_until": until,
            "district": rng.choice(DISTRICTS[:8]),
            "phone": f"02-{rng.randint(1_000_000, 9_999_999)}",
        })
    # A few agencies overcharge habitually (fees above the ceiling, more complaints).
    risky = set(rng.sample(range(agencies), max(1, agencies // 8)))

    employer_rows = []
    dest_names, dest_w = list(dests), list(dests.values())
    for i in range(employers):
        country = dest_names[i % len(dest_names)] if i < len(dest_names) else \
            rng.choices(dest_names, dest_w)[0]
        employer_rows.append({"name": f"Employer {i + 1} Co. ({country})", "country": country,
                              "sector": rng.choice(["construction", "services", "manufacturing",
                                                    "agriculture", "households", "hospitality"])})

    job_rows: list[dict[str, Any]] = []
    for _ in range(job_orders):
        emp_idx = rng.randrange(employers)
        dest = employer_rows[emp_idx]["country"]
        occ = rng.choices(occs, occ_w)[0]
        essential = list(tax.essential.get(occ.uri, ()))
        req = rng.sample(essential, min(len(essential), rng.randint(4, 9)))
        optional = list(tax.optional.get(occ.uri, ()))
        opt = rng.sample(optional, min(len(optional), rng.randint(0, 3)))
        domestic = occ.isco_group.startswith("911") and "domestic" in (occ.label + " ".join(
            occ.alt_labels)).lower()
        roll = rng.random()
        job_status: JobStatus = "verified" if roll < 0.75 else ("draft" if roll < 0.9 else "closed")
        attested = job_status != "draft" or rng.random() < 0.3
        cur, lo, hi = CURRENCY[dest]
        expired = rng.random() < 0.12
        deadline = today + (dt.timedelta(days=-rng.randint(1, 120)) if expired
                            else dt.timedelta(days=rng.randint(14, 200)))
        langs = []
        if rng.random() < 0.25:
            langs.append(LANG_BY_DEST.get(dest, "Arabic" if dest in GCC else "English"))
        title = occ.label if rng.random() < 0.6 else rng.choice((occ.label, *occ.alt_labels[:5]))
        # Valid agencies carry most demand; a few orders sit with unlicensed agencies.
        agency_idx = rng.randrange(agencies)
        job_rows.append({
            "employer_id": emp_idx + 1, "agency_id": agency_idx + 1, "destination": dest,
            "occupation_uri": occ.uri, "title": title.capitalize(),
            "description": f"{title.capitalize()} needed in {dest}. {occ.description[:300]}",
            "required_skills": req, "optional_skills": opt,
            "headcount": rng.choice([2, 5, 10, 20, 25, 50, 100]),
            "wage_amount": float(rng.randint(lo, hi)), "wage_currency": cur,
            "contract_months": rng.choice([24, 24, 36]),
            "min_age": 18, "max_age": 45,
            "gender_rule": "female" if domestic else None, "domestic_work": domestic,
            "required_ntvqf_level": rng.choices([0, 1, 2, 3], [50, 20, 20, 10])[0],
            "languages": langs, "medical_required": dest in GCC or rng.random() < 0.5,
            "demand_letter_attested": attested,
            "recruitment_permission": f"BMET-RP-{rng.randint(10**5, 10**6 - 1)}"
            if job_status == "verified" or rng.random() < 0.2 else None,
            "deadline": deadline, "status": job_status,
        })

    worker_rows = []
    # Workers mostly follow demand: draw a third of occupations from job orders' occupations.
    job_occs = [tax.occupations[j["occupation_uri"]] for j in job_rows]
    for _ in range(workers):
        occ = rng.choice(job_occs) if rng.random() < 0.35 else rng.choices(occs, occ_w)[0]
        worker_rows.append(make_worker(rng, tax, occ, today, free_text_only=rng.random() < 0.1))

    app_rows, seen = [], set()
    from registry.compliance import cost_ceilings

    ceilings = cost_ceilings(Path(data_dir))
    # Workers mostly apply within their trade: 60 % of applications come from a worker whose
    # main occupation is in the job's ISCO unit group (when there is one), the rest at random.
    by_group: dict[str, list[int]] = {}
    for wi, wr in enumerate(worker_rows):
        if wr["experience"]:
            isco = tax.occupations[wr["experience"][0]["occupation_uri"]].isco_group
            by_group.setdefault(isco, []).append(wi)
    for _ in range(min(workers, job_orders * 5)):
        j = rng.randrange(job_orders)
        job = job_rows[j]
        same_trade = by_group.get(tax.occupations[job["occupation_uri"]].isco_group, [])
        w = rng.choice(same_trade) if same_trade and rng.random() < 0.6 else rng.randrange(workers)
        if (j, w) in seen:
            continue
        seen.add((j, w))
        ceiling = ceilings.get(job["destination"])
        base = ceiling.amount_bdt if ceiling else 150_000
        overcharge = job["agency_id"] - 1 in risky
        fee = base * (rng.uniform(1.2, 3.5) if overcharge else rng.uniform(0.3, 1.05))
        status = outcome_status(rng, tax, job, worker_rows[w])
        app_rows.append({"job_order_id": j + 1, "worker_id": w + 1, "status": status,
                         "fee_paid_bdt": round(fee, -2) if rng.random() < 0.8 else None,
                         "contract_substituted": overcharge and rng.random() < 0.2})

    complaint_rows = []
    for _ in range(max(10, agencies * 3)):
        a = rng.choice(sorted(risky)) if rng.random() < 0.5 else rng.randrange(agencies)
        complaint_rows.append({
            "agency_id": a + 1, "worker_id": rng.randrange(workers) + 1,
            "category": rng.choice(["excess_fee", "contract_substitution", "fake_demand",
                                    "passport_retention", "wage_theft", "delay"]),
            "text": "Reported through the Shetu complaint form.",
            "status": rng.choice(["open", "open", "investigating", "resolved"]),
        })
    return SyntheticData(agency_rows, employer_rows, worker_rows, job_rows, app_rows,
                         complaint_rows)
