"""``/api/admin/audit``: the audit log's entries and head, and verification on demand.

Admin only: the log names every principal and what each wrote. Verification holds the
writer lock, so it sees the store between writes, never in the middle of one.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query

from kgthread.api.deps import Services, ServicesDep
from kgthread.audit import AuditTrail, verify
from kgthread.errors import NotFound

router = APIRouter(prefix="/api/admin", tags=["admin"])


def _trail(services: Services) -> AuditTrail:
    trail = services.pipeline.audit
    if trail is None:
        raise NotFound("this server keeps no audit trail (its store was given, not opened)")
    return trail


@router.get("/audit", summary="Audit log entries after a sequence number, and the head")
async def entries(
    services: ServicesDep,
    after: Annotated[int, Query(ge=0, description="only entries with a greater seq")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="at most this many")] = 100,
) -> dict[str, Any]:
    trail = _trail(services)
    found = await anyio.to_thread.run_sync(partial(trail.entries, after, limit))
    seq, head = trail.log.head
    return {"head": {"seq": seq, "hash": head}, "entries": found}


@router.get("/audit/verify", summary="Verify the chain and the store against it")
async def verification(services: ServicesDep) -> dict[str, Any]:
    trail = _trail(services)
    async with services.writer:
        result = await anyio.to_thread.run_sync(partial(verify, trail, services.store))
    return result.to_json()
