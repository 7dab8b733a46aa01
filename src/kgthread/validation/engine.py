"""``validate``: one entry point over both engines, chosen per call."""

from __future__ import annotations

from typing import Literal

from pyoxigraph import NamedNode, Store

from kgthread.errors import BadRequest
from kgthread.validation.native import validate_native
from kgthread.validation.pyshacl_adapter import validate_pyshacl
from kgthread.validation.report import Report
from kgthread.validation.shapes import ShapesGraph


def validate(
    data: Store,
    shapes: ShapesGraph,
    *,
    focus_graph: NamedNode | None = None,
    engine: Literal["native", "pyshacl"] = "native",
) -> Report:
    """Validate the union of ``data``'s graphs against ``shapes``.

    With ``focus_graph``, only nodes the batch in that graph touches are focus nodes (see
    ``focus``); without it every target node is. The native engine raises ``BadRequest``
    when the shapes use a feature outside its subset; data never makes either engine raise.
    """
    if engine == "native":
        return validate_native(data, shapes, focus_graph)
    if engine == "pyshacl":
        return validate_pyshacl(data, shapes, focus_graph)
    raise BadRequest(f"unknown validation engine {engine!r}; use 'native' or 'pyshacl'")
