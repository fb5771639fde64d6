"""The worker's profile page: what is theirs to say (edited through the same rules as
``PATCH /api/v1/workers/{id}``), attested facts read-only, completeness, and for each almost
eligible job the step that would make them eligible.

Skills are found by a search that submits the form (no JavaScript needed); with JavaScript,
``/static/worker-skills.js`` shows the same suggestions as the worker types.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select

from api.deps import IndexerDep, SessionDep, SettingsDep
from api.i18n.problems import FormProblem, problem_of
from api.skill_search import suggest_skills
from api.web.worker_base import jobs_for, signed_in_worker, worker_render
from api.writes import WritesDep
from registry import portal, service
from registry.models import Attestation, Worker
from registry.permissions import check_worker_patch
from registry.schemas import WorkerPatch
from registry.service import ForbiddenError, InvalidRecordError
from registry.vocab import LANGUAGES

router = APIRouter(include_in_schema=False)
ATTESTED_SHOWN = ("passport_expiry", "medical_fit", "bmet_registration", "ntvqf_level",
                  "certificates")


def _context(session, ix, settings, w: Worker, form: dict | None = None,  # type: ignore[no-untyped-def]
             error: str | FormProblem | None = None, skill_q: str = "") -> dict:
    attested = set(session.scalars(select(Attestation.field).where(
        Attestation.worker_id == w.id)))
    percent, missing = portal.completeness(w)
    values = form or {"phone": w.phone or "", "district": w.district or "",
                      "self_description": w.self_description or "",
                      "languages": list(w.languages or []), "skills": list(w.skills or []),
                      "consent": w.consent}
    found = [s for s in suggest_skills(ix.taxonomy, skill_q, 12)
             if s[0] not in values["skills"]] if skill_q else []
    return {"w": w, "v": values, "error": error, "skill_q": skill_q, "found": found,
            "skill_label": lambda uri: ix.taxonomy.skill_label(uri),
            "languages": LANGUAGES, "attested": attested, "attested_shown": ATTESTED_SHOWN,
            "percent": percent, "missing": missing,
            "not_eligible": jobs_for(session, ix, settings, w)["not_eligible"][:8]}


@router.get("/worker/profile", response_class=HTMLResponse)
def profile_page(request: Request, settings: SettingsDep, session: SessionDep, ix: IndexerDep,
                 skill_q: str = ""):  # type: ignore[no-untyped-def]
    """The worker's profile: view and edit what is theirs to say."""
    user, w = signed_in_worker(request, settings, session)
    ctx = _context(session, ix, settings, w, skill_q=skill_q[:100])
    ctx["done"] = request.query_params.get("done")
    return worker_render(request, session, user, "worker_profile.html", ctx)


@router.post("/worker/profile", response_class=HTMLResponse, response_model=None)
def save_profile(request: Request, settings: SettingsDep, writes: WritesDep, ix: IndexerDep,
                 phone: Annotated[str, Form(max_length=30)] = "",
                 district: Annotated[str, Form(max_length=60)] = "",
                 self_description: Annotated[str, Form(max_length=20_000)] = "",
                 languages: Annotated[list[str], Form()] = [],  # noqa: B006 — FastAPI's default
                 skills: Annotated[list[str], Form()] = [],  # noqa: B006
                 consent: Annotated[str, Form(max_length=5)] = "",
                 skill_q: Annotated[str, Form(max_length=100)] = "",
                 action: Annotated[str, Form(max_length=10)] = "save",
                 form_name: Annotated[str, Form(alias="form", max_length=10)] = ""):  # type: ignore[no-untyped-def]
    """Save the profile (or, with ``action=search``, show skills matching ``skill_q``)."""
    session = writes.session
    user, w = signed_in_worker(request, settings, session)
    form = {"phone": phone.strip(), "district": district.strip(),
            "self_description": self_description.strip(), "languages": languages[:20],
            "skills": list(dict.fromkeys(skills))[:200], "consent": consent == "yes"}
    if form_name != "profile":  # not this page's form (an empty post would wipe the profile)
        return worker_render(request, session, user, "worker_profile.html",
                             _context(session, ix, settings, w, error="form: send the profile "
                                      "form from this page"), status_code=422)
    if action == "search":
        return worker_render(request, session, user, "worker_profile.html",
                             _context(session, ix, settings, w, form, skill_q=skill_q))
    try:
        body = WorkerPatch(phone=phone.strip() or None, district=district.strip() or None,
                           self_description=self_description.strip(),
                           languages=languages[:20], skills=list(dict.fromkeys(skills))[:200],
                           consent=consent == "yes")
        check_worker_patch(user.role, user.worker_id, w.id, body)
    except ValidationError as exc:
        return worker_render(request, session, user, "worker_profile.html",
                             _context(session, ix, settings, w, form,
                                      error=problem_of(exc)),
                             status_code=422)
    except (ForbiddenError, InvalidRecordError) as exc:
        return worker_render(request, session, user, "worker_profile.html",
                             _context(session, ix, settings, w, form, error=str(exc)),
                             status_code=403 if isinstance(exc, ForbiddenError) else 422)
    writes.run(lambda: service.update(session, Worker, w.id, body))
    return RedirectResponse("/worker/profile?done=saved", status_code=303)
