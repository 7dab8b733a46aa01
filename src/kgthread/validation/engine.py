"""``validate``: one entry point over both engines, chosen per call."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pyoxigraph import NamedNode, Quad, Store

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
    hierarchy: Sequence[Quad] = (),
) -> Report:
    """Validate the union of ``data``'s graphs against ``shapes``.

    With ``focus_graph``, only nodes the batch in that graph touches are focus nodes (see
    ``focus``); without it every target node is. The native engine raises ``BadRequest``
    when the shapes use a feature outside its subset; data never makes either engine raise.
    ``hierarchy`` adds ``rdfs:subClassOf`` statements that are not in ``data`` (native
    engine), so a batch can be checked where it was loaded without copying the ontology in.
    """
    if engine == "native":
        return validate_native(data, shapes, focus_graph, hierarchy)
    if engine == "pyshacl":
        return validate_pyshacl(data, shapes, focus_graph)
    raise BadRequest(f"unknown validation engine {engine!r}; use 'native' or 'pyshacl'")
