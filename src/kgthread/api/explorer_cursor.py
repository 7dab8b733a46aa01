"""Opaque keyset cursors for the explorer's link pages.

A cursor says "the page after this IRI" or "the page before this IRI" (links are in IRI
order), base64url-encoded so clients treat it as a token. Unlike an offset it stays right
while links are added: a page never repeats or skips a link because others came in.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Literal

from kgthread.errors import BadRequest

Way = Literal["after", "before"]


def encode(way: Way, key: str) -> str:
    raw = json.dumps({way: key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None) -> tuple[Way, str]:
    """``("after", "")`` (the first page) for no cursor; BadRequest for a malformed one."""
    if not cursor:
        return "after", ""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        doc = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("cursor is not one this server issued", parameter="cursor") from exc
    if isinstance(doc, dict) and len(doc) == 1:
        ((way, key),) = doc.items()
        if way in ("after", "before") and isinstance(key, str):
            return ("after" if way == "after" else "before"), key
    raise BadRequest("cursor is not one this server issued", parameter="cursor")
