"""``/api/admin``: what an administrator may see of the running server (admin role only).

``GET /api/admin/settings`` shows the settings in force, without secrets (fields that are
never printed: passwords and tokens), how callers are authenticated, and the query slots in
use, including queries that passed their deadline but are still inside the engine.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request

from kgthread.api.auth import authenticator, require_role
from kgthread.api.deps import ServicesDep
from kgthread.api.limits import slots

router = APIRouter(
    prefix="/api/admin", tags=["admin"], dependencies=[Depends(require_role("admin"))]
)


@router.get("/settings", summary="The settings in force (no secrets), auth mode, query slots")
async def settings(request: Request, services: ServicesDep) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for f in fields(services.settings):
        if not f.repr:
            continue
        value = getattr(services.settings, f.name)
        shown[f.name] = str(value) if isinstance(value, Path) else value
    auth = authenticator(request)
    return {
        "settings": shown,
        "authentication": {
            "open": auth.open,
            "api_keys": len(auth.keys),
            "bearer_tokens": auth.tokens is not None,
        },
        "queries": slots(request).snapshot(),
    }
