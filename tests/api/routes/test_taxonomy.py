"""api/routes/taxonomy.py: text → ranked ESCO occupations and skills."""

from __future__ import annotations

import time


def _when_ready(call, timeout_s: float = 300.0):
    """Call until the taxonomy index is built (503 with Retry-After meanwhile)."""
    deadline = time.monotonic() + timeout_s
    while True:
        r = call()
        if r.status_code != 503 or time.monotonic() > deadline:
            return r
        assert "being built" in r.json()["detail"] and r.headers["Retry-After"]
        time.sleep(0.5)


def test_taxonomy_lookups_rank_esco_concepts(client, tokens):
    assert client.get("/api/v1/taxonomy/occupations?q=welder").status_code == 401
    r = _when_ready(lambda: client.get("/api/v1/taxonomy/occupations?q=welder&top=5",
                                       headers=tokens["officer"]))
    assert r.status_code == 200
    results = r.json()["results"]
    assert 0 < len(results) <= 5
    assert {"uri", "code", "label", "score"} <= set(results[0])
    assert any("weld" in x["label"] for x in results)
    r = _when_ready(lambda: client.get("/api/v1/taxonomy/skills?q=lay bricks",
                                       headers=tokens["worker"]))
    assert r.status_code == 200 and r.json()["results"]
    r = client.post("/api/v1/taxonomy/suggest", headers=tokens["admin"],
                    json={"text": "I laid tiles and bricks on building sites in Riyadh"})
    body = r.json()
    assert r.status_code == 200 and body["occupations"] and body["skills"]
    assert client.post("/api/v1/taxonomy/suggest", headers=tokens["admin"],
                       json={"text": ""}).status_code == 422


def test_skills_have_no_code_and_occupations_do(client, tokens):
    occ = _when_ready(lambda: client.get("/api/v1/taxonomy/occupations?q=mason&top=3",
                                         headers=tokens["officer"])).json()["results"]
    assert all("code" in o for o in occ)
    sk = _when_ready(lambda: client.get("/api/v1/taxonomy/skills?q=mason&top=3",
                                        headers=tokens["officer"])).json()["results"]
    assert sk and all("code" not in s for s in sk)


def test_suggest_adds_skills_that_vacancies_with_similar_titles_ask_for(client, tokens, seeded):
    from matcher.models import models_dir
    from matcher.rankers import get_skill_ranker
    from matcher.vacancy_skills import ARTEFACT, VacancySkills

    text = "Order picker in a warehouse, nights. Pick and pack customer orders."
    unlike = "Welder. MIG welding of steel pipes."  # like none of the fitted vacancy titles

    def suggested(t: str = text) -> set[str]:
        r = _when_ready(lambda: client.post("/api/v1/taxonomy/suggest", headers=tokens["admin"],
                                            json={"text": t}))
        assert r.status_code == 200, r.text
        return {s["label"] for s in r.json()["skills"]}

    asked = ["lift heavy weights", "work in shifts"]
    assert not set(asked) & suggested()  # neither the text nor its occupations name them
    welder_before = suggested(unlike)
    sk = get_skill_ranker(seeded["settings"])
    uri = {c.label: c.uri for c in sk.concepts}
    titles = ["warehouse order picker nights", "order picker", "night picker packer",
              "warehouse picker"]
    VacancySkills.fit(titles, [[uri[a] for a in asked]] * len(titles), sk.encoder,
                      [c.uri for c in sk.concepts]).save(
        models_dir(seeded["settings"].var_dir) / ARTEFACT)
    assert set(asked) <= suggested()
    assert suggested(unlike) == welder_before  # no similar vacancy: the evidence stays out


def test_suggested_skills_are_ranked_relative_to_the_best_and_no_words_get_none(client, tokens):
    r = _when_ready(lambda: client.post("/api/v1/taxonomy/suggest", headers=tokens["officer"],
                                        json={"text": "Welder. MIG welding of steel pipes."}))
    skills = r.json()["skills"]
    assert r.status_code == 200 and len(skills) == 10
    assert skills[0]["score"] == 1.0
    assert all(a["score"] >= b["score"] for a, b in zip(skills, skills[1:], strict=False))
    assert any("weld" in s["label"] for s in skills[:5])
    r = client.post("/api/v1/taxonomy/suggest", headers=tokens["officer"],
                    json={"text": "!!! ... ???"})
    assert r.status_code == 200 and r.json() == {"occupations": [], "skills": []}
