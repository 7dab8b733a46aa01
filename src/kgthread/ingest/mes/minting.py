"""The IRIs of :mod:`kgthread.ids`, minted faster for the keys MES exports are made of.

A genealogy table of a million events mints a unit and a consumption event per row, and
the general minting (Unicode normalisation, a control-character check per character,
``urllib.parse.quote``) was half of the mapping time. Keys made only of ASCII letters,
digits and ``_.~-:/%`` need none of that: NFC and stripping leave them unchanged, and
percent-encoding only turns ``%``, ``:`` and ``/`` into ``%25``, ``%3A`` and ``%2F``.
Any other key, and any key :mod:`kgthread.ids` would refuse, takes the general path, so
the IRIs (and the errors) are exactly those of :func:`kgthread.ids.mint`.
"""

from __future__ import annotations

import re

from pyoxigraph import NamedNode

from kgthread import ids

_SIMPLE = re.compile(r"[A-Za-z0-9_.~\-:/%]+")
_PREFIX = {kind: ids.DATA_BASE + kind.segment + "/" for kind in ids.Kind}


def _encoded(key: str) -> str | None:
    if len(key) > ids.MAX_KEY_LENGTH or _SIMPLE.fullmatch(key) is None:
        return None
    return key.replace("%", "%25").replace(":", "%3A").replace("/", "%2F")


def mint(kind: ids.Kind, *keys: str) -> NamedNode:
    """``ids.mint(kind, *keys)``."""
    if len(keys) != kind.value[1]:
        return ids.mint(kind, *keys)
    encoded = []
    for key in keys:
        done = _encoded(key)
        if done is None:
            return ids.mint(kind, *keys)
        encoded.append(done)
    return NamedNode(_PREFIX[kind] + "/".join(encoded))


def unit(part_number: str, serial: str) -> NamedNode:
    """``ids.unit``."""
    return mint(ids.Kind.UNIT, part_number, serial)


def consumption(parent: NamedNode, child: NamedNode) -> NamedNode:
    """``ids.consumption``."""
    return mint(ids.Kind.CONSUMPTION, parent.value, child.value)


def operation(work_order: str, operation_id: str) -> NamedNode:
    """``ids.operation``."""
    return mint(ids.Kind.OPERATION, work_order, operation_id)
