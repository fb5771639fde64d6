"""ESCO v1.1.1 taxonomy: occupations (with ISCO-08 group), skills and occupation→skill relations.

Source: ESCO v1.1.1, European Commission (CC BY 4.0). Loaded from the CSV files shipped in
``shared/data/taxonomy/esco-1.1.1`` and cached as a pickle keyed on the files' sizes and times.
"""

from __future__ import annotations

import csv
import hashlib
import pickle
from dataclasses import dataclass, field
from pathlib import Path

ATTRIBUTION = "ESCO v1.1.1, European Commission (CC BY 4.0)"


@dataclass(frozen=True, slots=True)
class Occupation:
    """One ESCO occupation."""

    uri: str
    code: str
    isco_group: str
    label: str
    alt_labels: tuple[str, ...]
    description: str

    @property
    def isco_major(self) -> str:
        """Return the ISCO-08 major group (first digit)."""
        return self.isco_group[:1]


@dataclass(frozen=True, slots=True)
class Skill:
    """One ESCO skill or knowledge concept."""

    uri: str
    label: str
    alt_labels: tuple[str, ...]
    skill_type: str
    reuse_level: str
    description: str


@dataclass(slots=True)
class Taxonomy:
    """The loaded ESCO taxonomy with look-ups the matcher needs."""

    occupations: dict[str, Occupation]
    skills: dict[str, Skill]
    essential: dict[str, tuple[str, ...]]
    optional: dict[str, tuple[str, ...]]
    isco_labels: dict[str, str]
    _by_code: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_code = {o.code: o.uri for o in self.occupations.values()}

    def occupation(self, uri_or_code: str) -> Occupation:
        """Return an occupation by URI or ESCO code; raise KeyError if unknown."""
        if uri_or_code in self.occupations:
            return self.occupations[uri_or_code]
        return self.occupations[self._by_code[uri_or_code]]

    def skill_label(self, uri: str) -> str:
        """Return a skill's preferred label, or the URI if unknown."""
        s = self.skills.get(uri)
        return s.label if s else uri

    def occupation_text(self, uri: str, *, with_alt: bool = True, with_skills: int = 0) -> str:
        """Return a text describing an occupation: labels, description, top essential skills."""
        o = self.occupations[uri]
        parts = [o.label]
        if with_alt and o.alt_labels:
            parts.append("; ".join(o.alt_labels))
        if o.description:
            parts.append(o.description)
        if with_skills:
            top = self.essential.get(uri, ())[:with_skills]
            parts.append(", ".join(self.skill_label(s) for s in top))
        return ". ".join(parts)


def _split_labels(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in value.split("\n") if v.strip()))


def _fingerprint(files: list[Path]) -> str:
    h = hashlib.sha1()
    for f in files:
        st = f.stat()
        h.update(f"{f.name}:{st.st_size}:{int(st.st_mtime)}".encode())
    return h.hexdigest()[:16]


def _parse(esco_dir: Path) -> Taxonomy:
    occupations: dict[str, Occupation] = {}
    with open(esco_dir / "occupations_en.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            occupations[r["conceptUri"]] = Occupation(
                uri=r["conceptUri"],
                code=r["code"],
                isco_group=r["iscoGroup"],
                label=r["preferredLabel"].strip(),
                alt_labels=_split_labels(r["altLabels"]),
                description=" ".join(r["description"].split()),
            )
    skills: dict[str, Skill] = {}
    with open(esco_dir / "skills_en.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            skills[r["conceptUri"]] = Skill(
                uri=r["conceptUri"],
                label=r["preferredLabel"].strip(),
                alt_labels=_split_labels(r["altLabels"]),
                skill_type=r["skillType"],
                reuse_level=r["reuseLevel"],
                description=" ".join(r["description"].split()),
            )
    essential: dict[str, list[str]] = {}
    optional: dict[str, list[str]] = {}
    with open(esco_dir / "occupationSkillRelations.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            target = essential if r["relationType"] == "essential" else optional
            if r["skillUri"] in skills:
                target.setdefault(r["occupationUri"], []).append(r["skillUri"])
    isco: dict[str, str] = {}
    with open(esco_dir / "ISCOGroups_en.csv", encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            isco[r["code"]] = r["preferredLabel"]
    return Taxonomy(
        occupations=occupations,
        skills=skills,
        essential={k: tuple(v) for k, v in essential.items()},
        optional={k: tuple(v) for k, v in optional.items()},
        isco_labels=isco,
    )


_CACHE: dict[str, Taxonomy] = {}


def load_taxonomy(esco_dir: Path, cache_dir: Path | None = None) -> Taxonomy:
    """Load ESCO from ``esco_dir``, using a pickle in ``cache_dir`` when it is current."""
    esco_dir = Path(esco_dir)
    if not (esco_dir / "occupations_en.csv").exists():
        raise FileNotFoundError(
            f"ESCO data not found in {esco_dir} (set SHETU_DATA_DIR to the shared data folder)"
        )
    files = [esco_dir / n for n in ("occupations_en.csv", "skills_en.csv",
                                    "occupationSkillRelations.csv", "ISCOGroups_en.csv")]
    key = _fingerprint(files)
    if key in _CACHE:
        return _CACHE[key]
    pkl = Path(cache_dir) / f"esco-{key}.pkl" if cache_dir else None
    if pkl and pkl.exists():
        with open(pkl, "rb") as fh:
            tax = pickle.load(fh)
    else:
        tax = _parse(esco_dir)
        if pkl:
            pkl.parent.mkdir(parents=True, exist_ok=True)
            tmp = pkl.with_suffix(".tmp")
            with open(tmp, "wb") as fh:
                pickle.dump(tax, fh, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(pkl)
    _CACHE[key] = tax
    return tax
