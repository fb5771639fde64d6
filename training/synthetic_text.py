"""Realistic profile text for synthetic workers: what workers and officers actually type.

Used by ``training.synthetic`` (demo data) and the candidates benchmark
(``training.candidates_population``).
"""

from __future__ import annotations

import csv
import random
import re
from dataclasses import dataclass
from pathlib import Path

from matcher.taxonomy import Occupation, Taxonomy

# --------------------------------------------------------------------------------------------
# Realistic profile text (what workers and officers actually type)
# --------------------------------------------------------------------------------------------
# Self-descriptions are first person, name the trade the way the worker says it (an ESCO
# alternative label, a title US incumbents reported to O*NET, or the preferred label), describe
# the work as activities (O*NET task statements, ESCO skill labels/alt labels) rather than as a
# skill list, often add words that say nothing about the trade, and are typed on a phone:
# lower case, abbreviations, one-letter typos. Sources: O*NET 27.0 "Sample of Reported Titles"
# (titles incumbents gave for their own job) and "Task Statements" (core tasks), joined to ESCO
# through the Nesta crosswalk. Neither file is used to train Shetu's encoder (that uses O*NET
# *alternate* titles), so they are an independent vocabulary.
ABBREVIATIONS = {  # common in job-board titles and classified ads
    "assistant": "asst", "helper": "hlpr", "electrical": "elec", "electrician": "elect",
    "technician": "tech", "operator": "opr", "mechanic": "mech", "supervisor": "supvr",
    "maintenance": "maint", "construction": "const", "engineer": "engr", "manager": "mgr",
    "driver": "drvr", "heavy": "hvy", "equipment": "equip", "general": "gen", "senior": "sr",
    "machine": "m/c", "department": "dept", "administrative": "admin", "service": "svc",
}
FIRST_PERSON = [
    "I worked as {a} {title} in {place} for {years} years.",
    "{title}, {years} yrs exp ({place}).",
    "I am {a} {title}. {years} years work in {place}. I can {act1}.",
    "Experienced {title}. I {act1} and {act2}.",
    "{title}",
    "I have {years} years experience in {place}. My work was to {act1}, {act2}.",
    "Job: {title}. {act1}. {years} years.",
    "I want work abroad as {title}. Before I worked {years} years in {place}, I {act1}.",
]
FILLER = [
    "I am honest and hard working.", "I have a valid passport.", "I can speak a little Arabic.",
    "I want to work in Saudi Arabia or Malaysia.", "I finished class 8.",
    "I am ready to go any country.", "Salary negotiable.", "I can work night shift.",
]
PLACES = ["Dhaka", "Chattogram", "Riyadh", "Dubai", "Kuala Lumpur", "my village", "Doha",
          "Muscat", "Narayanganj", "Jeddah"]


@dataclass
class ProfileVocab:
    """Words real profiles use for an ESCO occupation, from outside ESCO where possible."""

    reported_titles: dict[str, list[str]]  # ESCO occupation URI → O*NET reported titles
    tasks: dict[str, list[str]]  # ESCO occupation URI → O*NET core task statements (shortened)


def _short_task(task: str, words: int = 12) -> str:
    first = re.split(r"[,;:(]| such as | to ensure | in order to ", task, maxsplit=1)[0]
    first = " ".join(first.split()[:words]).rstrip(". ")
    return first[:1].lower() + first[1:]


def load_profile_vocab(tax: Taxonomy, data_dir: Path) -> ProfileVocab:
    """Return O*NET reported titles and task statements per ESCO occupation (via the crosswalk)."""
    tdir = Path(data_dir) / "taxonomy"
    codes: dict[str, list[str]] = {}
    with open(tdir / "esco-onet-crosswalk" / "esco_onet_crosswalk_Nov2020.csv",
              encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["concept_uri"] in tax.occupations:
                codes.setdefault(r["onet_code"], []).append(r["concept_uri"])
    titles: dict[str, list[str]] = {}
    tasks: dict[str, list[str]] = {}
    onet = tdir / "onet-27.0"
    with open(onet / "Sample of Reported Titles.txt", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            for uri in codes.get(r["O*NET-SOC Code"], ()):
                titles.setdefault(uri, []).append(r["Reported Job Title"].strip())
    with open(onet / "Task Statements.txt", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            if r["Task Type"] != "Core":
                continue
            for uri in codes.get(r["O*NET-SOC Code"], ()):
                tasks.setdefault(uri, []).append(_short_task(r["Task"]))
    return ProfileVocab(titles, tasks)


def typo(rng: random.Random, text: str, p: float = 0.25) -> str:
    """With probability ``p``, put one phone-keyboard slip into one word of 5+ letters."""
    words = text.split()
    long_ = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long_ or rng.random() >= p:
        return text
    i = rng.choice(long_)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    kind = rng.randrange(4)
    if kind == 0:  # transposed letters
        w = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    elif kind == 1:  # dropped letter
        w = w[:j] + w[j + 1:]
    elif kind == 2:  # doubled letter
        w = w[:j] + w[j] + w[j:]
    else:  # vowel confusion (electrician → electrecian)
        vowels = [k for k in range(1, len(w)) if w[k] in "aeiou"]
        if vowels:
            k = rng.choice(vowels)
            w = w[:k] + rng.choice([v for v in "aeiou" if v != w[k]]) + w[k + 1:]
    words[i] = w
    return " ".join(words)


def abbreviate(rng: random.Random, text: str, p: float = 0.3) -> str:
    """With probability ``p``, abbreviate the words of ``text`` that have a usual short form."""
    if rng.random() >= p:
        return text
    return " ".join(ABBREVIATIONS.get(w.lower(), w) for w in text.split())


def spoken_title(rng: random.Random, occ: Occupation, vocab: ProfileVocab | None) -> str:
    """Return what a worker in ``occ`` calls their job: noisy, usually not the ESCO label."""
    reported = vocab.reported_titles.get(occ.uri, []) if vocab else []
    roll = rng.random()
    if roll < 0.4 and reported:
        title = rng.choice(reported)
    elif roll < 0.8 and occ.alt_labels:
        title = rng.choice(occ.alt_labels)
    else:
        title = occ.label
    title = re.sub(r"\s*\([^)]*\)", "", title).lower()  # "(CDO)", "(general)" are rarely typed
    return typo(rng, abbreviate(rng, title))


def _activity(rng: random.Random, tax: Taxonomy, occ: Occupation, skills: list[str],
              vocab: ProfileVocab | None) -> str:
    tasks = vocab.tasks.get(occ.uri, []) if vocab else []
    if tasks and (not skills or rng.random() < 0.5):
        return rng.choice(tasks)
    if not skills:
        return "do any work"
    s = tax.skills.get(rng.choice(skills))
    if s is None:
        return "do any work"
    return (rng.choice(s.alt_labels) if s.alt_labels and rng.random() < 0.6 else s.label).lower()


def first_person_text(rng: random.Random, tax: Taxonomy, occ: Occupation, skills: list[str],
                      years: float, vocab: ProfileVocab | None) -> str:
    """Return a realistic first-person self-description of a worker in ``occ``."""
    title = spoken_title(rng, occ, vocab)
    text = rng.choice(FIRST_PERSON).format(
        title=title, a="an" if title[:1] in "aeiou" else "a", place=rng.choice(PLACES),
        years=int(years) or 1, act1=_activity(rng, tax, occ, skills, vocab),
        act2=_activity(rng, tax, occ, skills, vocab))
    while rng.random() < 0.35:
        text += " " + rng.choice(FILLER)
    return text
