"""Taxonomy look-ups: text → ranked ESCO occupations or skills."""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import SettingsDep, UserDep

router = APIRouter(prefix="/api/v1/taxonomy", tags=["taxonomy"])


@router.get("/occupations")
def occupations(settings: SettingsDep, _user: UserDep, q: str = Query(..., max_length=20_000),
                top: int = Query(10, ge=1, le=50), lang: str | None = Query(None)) -> dict:
    """Rank ESCO occupations for a job title, job ad or self-description."""
    from training.rankers import get_occupation_ranker

    return {"query": q, "results": get_occupation_ranker(settings).rank(q, top_k=top, lang=lang)}


@router.get("/skills")
def skills(settings: SettingsDep, _user: UserDep, q: str = Query(..., max_length=20_000),
           top: int = Query(10, ge=1, le=50)) -> dict:
    """Rank ESCO skills for a text."""
    from training.rankers import get_skill_ranker

    return {"query": q, "results": get_skill_ranker(settings).rank(q, top_k=top)}
