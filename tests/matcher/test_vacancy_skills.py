"""matcher.vacancy_skills: the skills that vacancies with a similar title ask for."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from matcher.encoder import HashingEncoder
from matcher.vacancy_skills import VacancySkills, VacancySkillsError, read_labelled_titles

SKILLS = ["u:shifts", "u:lift", "u:care", "u:drive", "u:excel"]
VACANCIES = [
    ("warehouse picker night shift", ["u:shifts", "u:lift"]),
    ("warehouse operative nights", ["u:shifts", "u:lift"]),
    ("night warehouse loader", ["u:lift", "u:shifts"]),
    ("staff nurse ward", ["u:care", "u:shifts"]),
    ("registered nurse icu", ["u:care"]),
    ("delivery driver van", ["u:drive"]),
    ("office administrator", ["u:excel"]),
]


@pytest.fixture
def fitted() -> VacancySkills:
    return VacancySkills.fit([t for t, _ in VACANCIES], [s for _, s in VACANCIES],
                             HashingEncoder(), SKILLS, source="test", k=3, temp=0.1)


def _top(v: VacancySkills, title: str, n: int = 2) -> list[str]:
    s = v.scores(HashingEncoder().encode([title]))[0]
    return [v.skill_uris[j] for j in np.argsort(-s)[:n]]


def test_a_title_gets_the_skills_that_similar_vacancies_ask_for(fitted: VacancySkills) -> None:
    assert set(_top(fitted, "warehouse picker nights")) == {"u:shifts", "u:lift"}
    assert _top(fitted, "van driver", 1) == ["u:drive"]
    s = fitted.scores(HashingEncoder().encode(["warehouse picker nights"]))[0]
    # a share of similar vacancies: 0..1 (plus a small prior); unasked skills stay near 0
    assert 0.9 < s[SKILLS.index("u:lift")] <= 1.01
    assert s[SKILLS.index("u:drive")] < 0.01


def test_nearest_says_how_like_a_fitted_title_a_text_is(fitted: VacancySkills) -> None:
    enc = HashingEncoder()
    near = fitted.nearest(enc.encode(["delivery driver van", "quantum chromodynamics"]))
    assert near[0] == pytest.approx(1.0, abs=1e-5) and near[1] < 0.2
    with pytest.raises(VacancySkillsError, match="do not match"):
        fitted.nearest(np.ones((1, 5), dtype=np.float32))


def test_uris_outside_the_skill_list_and_titles_without_skills_are_dropped() -> None:
    v = VacancySkills.fit(["welder", "cook", ""], [["u:weld", "x:unknown"], ["x:none"],
                                                   ["u:weld"]],
                          HashingEncoder(), ["u:weld"], k=5)
    assert v.size == 1 and v.k == 1
    with pytest.raises(VacancySkillsError, match="no title has a known skill"):
        VacancySkills.fit(["cook"], [["x:none"]], HashingEncoder(), ["u:weld"])


def test_saved_evidence_loads_with_the_same_scores(fitted: VacancySkills, tmp_path: Path
                                                   ) -> None:
    d = fitted.save(tmp_path / "vacancy-skills")
    again = VacancySkills.load(d)
    q = HashingEncoder().encode(["night shift nurse"])
    assert np.allclose(again.scores(q), fitted.scores(q))
    assert again.model == "hashing-384" and again.k == 3 and again.source == "test"
    fitted.save(d)  # writing again replaces it whole
    assert not (tmp_path / "vacancy-skills.partial").exists()
    assert not (tmp_path / "vacancy-skills.old").exists()
    meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
    assert meta["kind"] == "vacancy-skills" and meta["summary"]["titles"] == len(VACANCIES)


def test_a_broken_artefact_or_wrong_vectors_are_refused_with_a_reason(
        fitted: VacancySkills, tmp_path: Path) -> None:
    d = fitted.save(tmp_path / "vacancy-skills")
    (d / "labels.npz").write_bytes(b"not a matrix")
    with pytest.raises(VacancySkillsError, match="not a usable vacancy-skills artefact"):
        VacancySkills.load(d)
    with pytest.raises(VacancySkillsError, match="do not match"):
        fitted.scores(np.ones((1, 7), dtype=np.float32))


def test_scores_aligned_follow_a_rankers_concept_order(fitted: VacancySkills) -> None:
    order = {u: i for i, u in enumerate(reversed(SKILLS))}
    q = HashingEncoder().encode(["delivery van driver"])
    aligned, nearest = fitted.scores_aligned(q, order, len(SKILLS))
    a = aligned[0]
    assert nearest[0] == pytest.approx(fitted.nearest(q)[0])
    assert a[order["u:drive"]] == pytest.approx(fitted.scores(q)[0][SKILLS.index("u:drive")])


def test_labelled_titles_file_maps_labels_and_names_a_bad_line(tmp_path: Path) -> None:
    p = tmp_path / "v.jsonl.gz"
    with gzip.open(p, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"title": "Night picker", "skills": ["Work in Shifts", "x"]}) + "\n")
        fh.write("\n")
        fh.write(json.dumps({"title": "Cook", "skills": []}) + "\n")
    rows = read_labelled_titles(p, {"work in shifts": ["u:shifts"]})
    assert rows == [("Night picker", ["u:shifts"]), ("Cook", [])]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"title": "ok", "skills": []}) + "\n{\"title\": 3, \"skills\": []}\n",
                   encoding="utf-8")
    with pytest.raises(VacancySkillsError, match=r"bad\.jsonl:2: title must be text"):
        read_labelled_titles(bad, {})


@pytest.mark.parametrize("broken", ["empty vectors", "truncated labels", "vectors of text"])
def test_any_damaged_file_is_refused_not_raised_as_something_else(
        fitted: VacancySkills, tmp_path: Path, broken: str) -> None:
    d = fitted.save(tmp_path / "vacancy-skills")
    if broken == "empty vectors":
        (d / "vectors.npy").write_bytes(b"")
    elif broken == "truncated labels":
        data = (d / "labels.npz").read_bytes()
        (d / "labels.npz").write_bytes(data[: len(data) // 2])
    else:
        np.save(d / "vectors.npy", np.array(["a", "b"]))
    with pytest.raises(VacancySkillsError, match="not a usable vacancy-skills artefact"):
        VacancySkills.load(d)


def test_a_file_that_is_not_utf8_is_named_with_its_line(tmp_path: Path) -> None:
    p = tmp_path / "latin1.jsonl"
    p.write_bytes(b'{"title": "ok", "skills": []}\n{"title": "caf\xe9", "skills": []}\n')
    with pytest.raises(VacancySkillsError, match=r"latin1\.jsonl:\d+: cannot be read"):
        read_labelled_titles(p, {})


def test_a_save_leaves_no_temporary_directory_and_list_skips_hidden_ones(
        fitted: VacancySkills, tmp_path: Path) -> None:
    from matcher.models import list_models

    models = tmp_path / "models"
    fitted.save(models / "vacancy-skills")
    fitted.save(models / "vacancy-skills")
    assert [p.name for p in models.iterdir()] == ["vacancy-skills"]
    (models / ".vacancy-skills-x.partial").mkdir()
    (models / ".vacancy-skills-x.partial" / "meta.json").write_text("{}", encoding="utf-8")
    assert [i.name for i in list_models(tmp_path)] == ["vacancy-skills"]
