"""Reasoning: ABox entailments in the inferred named graph, explanations, and TBox checks.

See docs/reasoning.md. The inferred graph is ``kgthread.store.base.INFERRED_GRAPH``.
"""

from __future__ import annotations

from kgthread.reasoning.abox import infer_for_batch, materialise
from kgthread.reasoning.explain import Explanation, explain
from kgthread.reasoning.maintain import Reasoned, Reasoner
from kgthread.store.base import INFERRED_GRAPH

__all__ = [
    "INFERRED_GRAPH",
    "Explanation",
    "Reasoned",
    "Reasoner",
    "explain",
    "infer_for_batch",
    "materialise",
]
