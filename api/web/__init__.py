"""Server-rendered pages (same services as the API), one module per audience.

``common`` (the signed-in user, assets), ``session`` (sign-in/out, home), ``officer``,
``worker``, ``auditor``; each module has its own ``router``, assembled here.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.web import (
    admin,
    admin_records,
    admin_reference,
    auditor,
    common,
    demand,
    officer,
    session,
    worker,
)

router = APIRouter(include_in_schema=False)
for _module in (common, session, officer, worker, auditor, admin, admin_records, admin_reference,
                demand):
    router.include_router(_module.router)

__all__ = ["router"]
