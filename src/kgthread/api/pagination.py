"""Cursors, ``Link: rel="next"`` and ETags for REST answers.

A cursor is opaque to clients: base64url of the offset and the store state it was issued
under. Rows are in a stable order (``kgthread.lineage``), so an offset is a safe position
while the store is unchanged; a cursor from an earlier state is refused (410) rather than
silently skipping or repeating rows. The state is a digest of the catalog (one entry per
committed batch), so every commit, replace or drop changes it, and the ETag of an answer is
that state plus the request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request

from kgthread.errors import BadRequest, KgthreadError
from kgthread.store.base import GraphStore

DEFAULT_PAGE = 100
MAX_PAGE = 1000

T = TypeVar("T")


class CursorExpired(KgthreadError):
    status = 410
    code = "cursor-expired"
    title = "Cursor no longer valid"


def store_state(store: GraphStore) -> str:
    """The store's change token (see ``GraphStore.state``): cheap, so every request may ask."""
    return store.state()


def etag(state: str, request: Request, variant: str) -> str:
    """A weak ETag for this request's answer under ``state`` (``variant``: the media type)."""
    key = f"{state} {request.url.path}?{request.url.query} {variant}"
    return 'W/"' + hashlib.sha256(key.encode()).hexdigest()[:24] + '"'


def not_modified(request: Request, tag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    wanted = {t.strip() for t in header.split(",")}
    return "*" in wanted or tag in wanted or tag.removeprefix("W/") in wanted


@dataclass(frozen=True)
class Page:
    offset: int
    size: int
    total: int
    next_cursor: str | None


def encode_cursor(offset: int, state: str) -> str:
    raw = json.dumps({"o": offset, "s": state}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, state: str) -> int:
    """The offset a cursor points at; 400 if it is not one of ours, 410 if stale."""
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        offset, issued = int(data["o"]), str(data["s"])
    except (ValueError, KeyError, TypeError, UnicodeError, binascii.Error) as exc:
        raise BadRequest(
            "cursor is not valid; use the Link header's URL", parameter="cursor"
        ) from exc
    if offset < 0:
        raise BadRequest("cursor is not valid; use the Link header's URL", parameter="cursor")
    if issued != state:
        raise CursorExpired("the store changed since this cursor was issued; start again")
    return offset


def page(items: Sequence[T], cursor: str | None, size: int, state: str) -> tuple[list[T], Page]:
    offset = decode_cursor(cursor, state)
    chunk = list(items[offset : offset + size])
    following = offset + size
    next_cursor = encode_cursor(following, state) if following < len(items) else None
    return chunk, Page(offset, size, len(items), next_cursor)


def next_url(request: Request, cursor: str) -> str:
    return str(request.url.include_query_params(cursor=cursor))


def link_header(request: Request, info: Page) -> dict[str, str]:
    if info.next_cursor is None:
        return {}
    return {"Link": f'<{next_url(request, info.next_cursor)}>; rel="next"'}
