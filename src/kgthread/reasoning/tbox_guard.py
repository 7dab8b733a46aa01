"""The TBox gate: a batch that states class or property axioms (an OPC UA model's
ObjectTypes as classes, a vendor's subtype) is classified with HermiT together with the
shipped ontology and the axioms already committed, before it is committed; an inconsistent
or unsatisfiable result refuses the batch with HermiT's explanation, and nothing changes.

HermiT runs in a Java process (seconds), so an accepted axiom set is remembered by digest
and not classified again; batches without axioms never start it. Without a Java runtime the
check is skipped with a warning (the reasoner still applies the axioms).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from pyoxigraph import NamedNode, RdfFormat, Triple, serialize

from kgthread import vocab
from kgthread.reasoning.hierarchy import RDFS_SUBPROPERTY_OF, ontology_files
from kgthread.store.base import INFERRED_GRAPH, GraphStore

_log = logging.getLogger(__name__)
_OWL = vocab.OWL_NS
AXIOM_PREDICATES = frozenset(
    {
        vocab.RDFS_SUBCLASS_OF,
        RDFS_SUBPROPERTY_OF,
        NamedNode(_OWL + "equivalentClass"),
        NamedNode(_OWL + "disjointWith"),
        NamedNode(_OWL + "inverseOf"),
        NamedNode(_OWL + "equivalentProperty"),
    }
)
DECLARATIONS = frozenset(
    NamedNode(_OWL + name) for name in ("Class", "ObjectProperty", "DatatypeProperty")
)


def axioms(triples: Iterable[Triple]) -> list[Triple]:
    """The class and property axioms (and declarations) among ``triples``."""
    return [
        t
        for t in triples
        if t.predicate in AXIOM_PREDICATES
        or (t.predicate == vocab.RDF_TYPE and t.object in DECLARATIONS)
    ]


class TBoxCheck:
    """HermiT over ontology + committed axioms + a batch's axioms, remembered by digest."""

    def __init__(self) -> None:
        self._accepted: set[str] = set()

    def check(self, store: GraphStore, triples: Iterable[Triple]) -> None:
        """Raise ``OntologyRejected`` (with HermiT's report) unless the axioms classify."""
        new = axioms(triples)
        if not new:
            return
        stated = [
            q.triple
            for predicate in AXIOM_PREDICATES
            for q in store.quads(None, predicate, None)
            if q.graph_name != INFERRED_GRAPH
        ]
        combined = sorted({str(t) for t in (*stated, *new)})
        digest = hashlib.sha256("\n".join(combined).encode()).hexdigest()
        if digest in self._accepted:
            return
        if shutil.which("java") is None:
            _log.warning("no java on PATH: the batch's class axioms are not checked by HermiT")
            return
        from kgthread.reasoning.tbox import check_change

        with tempfile.TemporaryDirectory(prefix="kgthread-axioms-") as folder:
            path = Path(folder) / "axioms.nt"
            path.write_bytes(serialize([*stated, *new], format=RdfFormat.N_TRIPLES) or b"")
            check_change([*ontology_files(), path])
        self._accepted.add(digest)
