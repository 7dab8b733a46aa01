"""Which application protocol a file declares, from the names in FILE_SCHEMA.

The product-structure entities are common to AP203, AP214 and AP242, so those are the
protocols the mapping accepts, in every spelling CAD systems write:

- AP203: ``CONFIG_CONTROL_DESIGN`` (edition 1), its conformance-class combinations
  (``CCD_CLA_GVP_AST``, ``CCD_CLA_GVP_AST_ASD``: configuration control design with classes,
  validation properties, associative text), and the edition 2 long form
  ``AP203_CONFIGURATION_CONTROLLED_3D_DESIGN_OF_MECHANICAL_PARTS_AND_ASSEMBLIES`` with or
  without ``_MIM`` / ``_MIM_LF``;
- AP214: ``AUTOMOTIVE_DESIGN``, its conformance-class variants (``_CC1`` ... ``_CC6``,
  ``_CC02``, ``_CC04``) and ``AP214_AUTOMOTIVE_DESIGN`` with or without ``_MIM`` / ``_MIM_LF``;
- AP242: ``AP242_MANAGED_MODEL_BASED_3D_ENGINEERING`` (and without the ``AP242_`` prefix),
  with or without ``_MIM`` / ``_MIM_LF``.

Names are compared in upper case, without the object identifier. A file may list
secondary schemas beside its protocol (``GEOMETRIC_VALIDATION_PROPERTIES_MIM``,
``SHAPE_APPEARANCE_LAYER_MIM``); the first name of a known family decides. The edition
comes from the object identifier (``{ 1 0 10303 442 <version> 1 4 }``: AP242 version 1 is
edition 1, 2 and 3 edition 2, 4 edition 3).
"""

from __future__ import annotations

import re

from kgthread.ingest.step.values import Schema

_OBJECT_ID = re.compile(r"\{([^}]*)\}")
_MIM = r"(?:_MIM(?:_LF)?)?"
_FAMILIES: tuple[tuple[re.Pattern[str], str, int | None], ...] = (
    (re.compile(r"CONFIG_CONTROL_DESIGN"), "AP203", 1),
    (re.compile(r"CCD(?:_[A-Z0-9]+)+"), "AP203", 1),
    (
        re.compile(
            r"AP203_CONFIGURATION_CONTROLLED_3D_DESIGN_OF_MECHANICAL_PARTS_AND_ASSEMBLIES" + _MIM
        ),
        "AP203",
        2,
    ),
    (re.compile(r"(?:AP214_)?AUTOMOTIVE_DESIGN(?:_CC\d{1,2})?" + _MIM), "AP214", None),
    (re.compile(r"(?:AP242_)?MANAGED_MODEL_BASED_3D_ENGINEERING" + _MIM), "AP242", None),
)
_AP242_EDITIONS = {"1": 1, "2": 2, "3": 2, "4": 3}

PROTOCOLS = ("AP203", "AP214", "AP242")


def family(name: str) -> tuple[str, int | None] | None:
    """(protocol, edition implied by the name) of a schema name, or ``None``."""
    for pattern, protocol, edition in _FAMILIES:
        if pattern.fullmatch(name):
            return protocol, edition
    return None


def detect(declared: tuple[str, ...]) -> Schema | None:
    """The first schema in ``declared`` that kgthread maps, or ``None``."""
    for text in declared:
        name = _OBJECT_ID.sub("", text).strip().upper()
        known = family(name)
        if known is None:
            continue
        protocol, edition = known
        object_id = _OBJECT_ID.search(text)
        digits = object_id.group(1).split() if object_id else []
        if protocol == "AP242" and len(digits) >= 5 and digits[3] == "442":
            edition = _AP242_EDITIONS.get(digits[4])
        elif protocol == "AP242":
            edition = None
        elif protocol == "AP214" and len(digits) >= 5 and digits[3] == "214":
            edition = int(digits[4]) if digits[4].isdigit() else None
        return Schema(name, protocol, edition)
    return None
