"""Taxonomy look-ups: text → ranked ESCO occupations or skills (the same functions as the CLI).

The rankers' label embeddings are built in the background at start-up (cached on disk); until
they are ready these routes answer 503 with Retry-After and how far the build is.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from pydantic import Field

from api.deps import IndexerDep, SettingsDep, UserDep
from api.schemas import ConceptResults, Suggestions
from matcher.rankers import (
    get_occupation_ranker,
    get_skill_ranker,
    get_vacancy_skills,
    suggest_concepts,
)
from registry.schemas import InModel

router = APIRouter(prefix="/api/v1/taxonomy", tags=["taxonomy"])
Lang = Literal["en", "bn"] | None


@router.get("/occupations", response_model_exclude_unset=True)
def occupations(settings: SettingsDep, _user: UserDep, q: str = Query(..., max_length=20_000),
                top: int = Query(10, ge=1, le=50), lang: Lang = None) -> ConceptResults:
    """Rank ESCO occupations for a job title, job ad or self-description (en or bn)."""
    ranker = get_occupation_ranker(settings, wait=False)
    return ConceptResults.model_validate({"query": q,
                                          "results": ranker.rank(q, top_k=top, lang=lang)})


@router.get("/skills", response_model_exclude_unset=True)
def skills(settings: SettingsDep, _user: UserDep, q: str = Query(..., max_length=20_000),
           top: int = Query(10, ge=1, le=50), lang: Lang = None) -> ConceptResults:
    """Rank ESCO skills for a text."""
    ranker = get_skill_ranker(settings, wait=False)
    return ConceptResults.model_validate({"query": q,
                                          "results": ranker.rank(q, top_k=top, lang=lang)})


class SuggestIn(InModel):
    """Free text of a job order or a worker profile."""

    text: str = Field(min_length=1, max_length=20_000)
    lang: Lang = None


@router.post("/suggest", response_model_exclude_unset=True)
def suggest(body: SuggestIn, settings: SettingsDep, ix: IndexerDep,
            _user: UserDep) -> Suggestions:
    """Suggest ESCO occupations and skills, with scores, for a record given only as text.

    Skills come from the text itself, from the suggested occupations' essential skills and,
    once ``shetu train vacancy-skills`` has run, from what vacancies with similar titles ask for.
    """
    skills = get_skill_ranker(settings, wait=False)
    return Suggestions.model_validate(suggest_concepts(
        body.text, get_occupation_ranker(settings, wait=False), skills, ix.taxonomy,
        lang=body.lang, vacancies=get_vacancy_skills(settings, skills.encoder.name)))
