"""Which application protocol a file declares, from the names in FILE_SCHEMA.

The product-structure entities are common to AP203, AP214 and AP242, so those are the schemas
the mapping accepts; the AP242 edition comes from the object identifier
(``{ 1 0 10303 442 <version> 1 4 }``: version 1 is edition 1, 2 and 3 edition 2, 4 edition 3).
"""

from __future__ import annotations

import re

from kgthread.ingest.step.values import Schema

_OBJECT_ID = re.compile(r"\{([^}]*)\}")
_KNOWN: dict[str, tuple[str, int | None]] = {
    "CONFIG_CONTROL_DESIGN": ("AP203", 1),
    "AP203_CONFIGURATION_CONTROLLED_3D_DESIGN_OF_MECHANICAL_PARTS_AND_ASSEMBLIES_MIM_LF": (
        "AP203",
        2,
    ),
    "AP203_CONFIGURATION_CONTROLLED_3D_DESIGN_OF_MECHANICAL_PARTS_AND_ASSEMBLIES_MIM": (
        "AP203",
        2,
    ),
    "AUTOMOTIVE_DESIGN": ("AP214", None),
    "AUTOMOTIVE_DESIGN_CC2": ("AP214", None),
    "AP214_AUTOMOTIVE_DESIGN_MIM_LF": ("AP214", None),
    "AP242_MANAGED_MODEL_BASED_3D_ENGINEERING_MIM_LF": ("AP242", None),
    "AP242_MANAGED_MODEL_BASED_3D_ENGINEERING_MIM": ("AP242", None),
}
_AP242_EDITIONS = {"1": 1, "2": 2, "3": 2, "4": 3}


def detect(declared: tuple[str, ...]) -> Schema | None:
    """The first schema in ``declared`` that kgthread maps, or ``None``."""
    for text in declared:
        name = _OBJECT_ID.sub("", text).strip().upper()
        known = _KNOWN.get(name)
        if known is None:
            continue
        protocol, edition = known
        object_id = _OBJECT_ID.search(text)
        digits = object_id.group(1).split() if object_id else []
        if protocol == "AP242" and len(digits) >= 5 and digits[3] == "442":
            edition = _AP242_EDITIONS.get(digits[4])
        elif protocol == "AP242" and not digits:
            edition = None
        elif protocol == "AP214" and len(digits) >= 5 and digits[3] == "214":
            edition = int(digits[4]) if digits[4].isdigit() else None
        return Schema(name, protocol, edition)
    return None
