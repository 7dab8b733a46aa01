"""``GraphStore`` over embedded Oxigraph (pyoxigraph) on disk: the default store.

One writer at a time (a lock), any number of readers: pyoxigraph releases the GIL while it
evaluates, so reads on a thread pool run in parallel. Graphs being bulk-loaded are hidden
from readers by naming the committed graphs as the query dataset until the load commits;
a crash mid-load leaves a graph with no catalog entry, which :meth:`open` removes.
"""

from __future__ import annotations

import io
import logging
import re
import threading
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    RdfFormat,
    Store,
    Triple,
    Variable,
    serialize,
)

from kgthread.errors import (
    BadRequest,
    KgthreadError,
    QuerySyntaxError,
    RdfSyntaxError,
    StorageFull,
    StoreLocked,
    StoreUnavailable,
    is_storage_full,
)
from kgthread.store import data_blocks
from kgthread.store.base import CATALOG_GRAPH, QueryResult, Subject, Term
from kgthread.store.current_view import (
    VIEW_GRAPH,
    VIEW_STATE_GRAPH,
    Change,
    CurrentView,
    GraphName,
    ViewDelta,
)
from kgthread.vocab import TARGET_GRAPH

_log = logging.getLogger(__name__)

_HIDDEN = frozenset({VIEW_GRAPH, VIEW_STATE_GRAPH})
"""The view's graphs: derived, never part of what a reader sees as a graph."""


class EmbeddedStore:
    """Oxigraph on disk (``path``) or in memory (``path=None``, for tests and scratch use)."""

    def __init__(self, store: Store, path: Path | None) -> None:
        self._store = store
        self.path = path
        self._write_lock = threading.Lock()
        self._pending: set[NamedNode] = set()
        self._stranded: set[NamedNode] = set()
        self._opened = uuid.uuid4().hex[:12]
        self._writes = 0
        self._named: tuple[int, list[NamedNode]] | None = None
        self.recovered_graphs: list[NamedNode] = self._recover()
        self._view = CurrentView(store)
        if self._view.needs_rebuild():
            _log.warning("building the current view of a store written without one")
            self._store.update(self._view.rebuild_statement())

    @classmethod
    def open(cls, path: Path | None) -> EmbeddedStore:
        """Open (creating if needed) the store folder; a folder in use elsewhere is refused."""
        if path is None:
            return cls(Store(), None)
        try:
            path.mkdir(parents=True, exist_ok=True)
            store = Store(str(path))
        except OSError as exc:
            if "lock" in str(exc).lower():
                raise StoreLocked(
                    f"store folder {path} is in use by another process "
                    "(stop the other kgthread process or choose another --data folder)",
                    path=str(path),
                ) from exc
            raise StoreUnavailable(f"cannot open store folder {path}: {exc}") from exc
        return cls(store, path)

    # -- recovery -------------------------------------------------------------------------

    def _catalogued_graphs(self) -> set[NamedNode]:
        graphs: set[NamedNode] = set()
        for quad in self._store.quads_for_pattern(None, TARGET_GRAPH, None, CATALOG_GRAPH):
            if isinstance(quad.object, NamedNode):
                graphs.add(quad.object)
        return graphs

    def _recover(self) -> list[NamedNode]:
        """Drop graphs that have no catalog entry: leftovers of a load that did not commit."""
        catalogued = self._catalogued_graphs()
        leftovers = [
            g
            for g in self._store.named_graphs()
            if isinstance(g, NamedNode)
            and g not in (CATALOG_GRAPH, *_HIDDEN)
            and g not in catalogued
        ]
        for graph in leftovers:
            self._store.remove_graph(graph)
        return leftovers

    # -- reads ----------------------------------------------------------------------------

    def _visible_graphs(self) -> list[NamedNode]:
        return [
            g
            for g in self._store.named_graphs()
            if isinstance(g, NamedNode) and g not in self._pending and g not in _HIDDEN
        ]

    def _named_graphs(self, pending: bool) -> list[NamedNode] | None:
        """The graphs ``GRAPH ?g`` ranges over: every committed named graph but the
        current view (which asserts nothing of its own). Listed once per write state;
        ``None`` (every graph) while there is no view to hide."""
        writes, known = self._writes, self._named
        if known is not None and known[0] == writes and not pending:
            return known[1]
        if not pending and not self._store.contains_named_graph(VIEW_GRAPH):
            return None
        listed = self._visible_graphs()
        if not pending and self._writes == writes:
            self._named = (writes, listed)
        return listed

    def current_quads(
        self,
        subject: Subject | None,
        predicate: NamedNode | None,
        obj: Term | None,
        ignore: Collection[NamedNode | DefaultGraph],
    ) -> Iterator[Quad] | None:
        """From the view's parts (the view, the graphs held directly, the catalog) rather
        than every batch graph: each current statement once. ``None`` when an ignored graph
        is read through the view (what it alone asserts cannot be told apart there)."""
        direct = self._view.direct
        if any(g not in direct for g in ignore if g not in self._view.history):
            return None
        parts = [g for g in self._view.dataset() if g not in ignore]
        return (
            quad
            for graph in parts
            for quad in self._store.quads_for_pattern(subject, predicate, obj, graph)
        )

    def view_findings(self) -> list[str]:
        """What is wrong with the current view against the graphs it is derived from."""
        return self._view.check()

    @property
    def history(self) -> frozenset[NamedNode]:
        """Graphs of superseded batches: kept, readable by name, not current."""
        return frozenset(self._view.history)

    def query(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, Term] | None = None,
        default_graph: Sequence[NamedNode] | None = None,
        named_graphs: Sequence[NamedNode] | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        subs: dict[Variable, NamedNode | BlankNode | Literal | Triple] = {
            Variable(k): v for k, v in (substitutions or {}).items()
        }
        pending = bool(self._pending)
        with _translated("query could not be evaluated", "store read failed"):
            # The default graph is the current view's disjoint parts: every fact once.
            dataset_default: list[NamedNode | BlankNode | DefaultGraph] = (
                [*default_graph] if default_graph is not None else [*self._view.dataset()]
            )
            named = (
                _graph_list(named_graphs)
                if named_graphs is not None
                else _graph_list(self._named_graphs(pending))
            )
            return self._store.query(
                sparql,
                base_iri=base_iri,
                default_graph=dataset_default,
                named_graphs=named,
                substitutions=subs or None,
            )

    def quads(
        self,
        subject: Subject | None = None,
        predicate: NamedNode | None = None,
        obj: Term | None = None,
        graph: NamedNode | DefaultGraph | None = None,
    ) -> Iterator[Quad]:
        hidden = self._pending | _HIDDEN | (self._view.history if graph is None else set())
        for quad in self._store.quads_for_pattern(subject, predicate, obj, graph):
            if quad.graph_name not in hidden:
                yield quad

    def graph_names(self) -> list[NamedNode]:
        return self._visible_graphs()

    def contains_graph(self, graph: NamedNode) -> bool:
        return (
            graph not in self._pending
            and graph not in _HIDDEN
            and self._store.contains_named_graph(graph)
        )

    def dump(self, graph: NamedNode | None, rdf_format: RdfFormat) -> bytes:
        if graph is None:
            hidden = self._pending | _HIDDEN
            quads = [q for q in self._store if q.graph_name not in hidden]
            return serialize(quads, format=rdf_format) or b""
        return self._store.dump(format=rdf_format, from_graph=graph) or b""

    def dump_graph_to(self, target: Path, graph: NamedNode) -> None:
        """Write one committed graph as N-Triples to ``target`` (the audit trail digests it
        from there: Oxigraph writes it far faster than Python formats it)."""
        with _translated("graph could not be written", "graph dump failed"):
            self._store.dump(str(target), format=RdfFormat.N_TRIPLES, from_graph=graph)

    def triple_count(self) -> int:
        """Statements stored in the graphs (the derived current view not counted)."""
        return len(self._store) - self._view.size()

    def state(self) -> str:
        # Only this process writes (the folder is locked), so a counter of its own writes,
        # tagged with this opening, changes exactly when committed content may have.
        return f"{self._opened}-{self._writes}"

    # -- writes ---------------------------------------------------------------------------

    def update(
        self,
        sparql: str,
        *,
        base_iri: str | None = None,
        changes: Mapping[GraphName, Change] | None = None,
        dropped: Sequence[NamedNode] = (),
    ) -> None:
        """Run an update; ``changes`` (what it adds and removes per graph, a ``dropped``
        graph's whole content among its removals) keeps the current view in step in the
        same transaction. Without them the view is not touched."""
        with (
            self._write_lock,
            _translated("update could not be evaluated, nothing written", "store write failed"),
        ):
            if changes is None:
                self._store.update(sparql, base_iri=base_iri)
            else:
                delta = self._view.delta(changes, dropped=dropped)
                self._store.update(self._with_view(sparql, delta), base_iri=base_iri)
                self._view.applied(delta)
                self._view.sync_blank(delta)
                for graph in dropped:
                    self._view.forget(graph)
            self._writes += 1

    def commit(
        self,
        graph: NamedNode,
        triples: Iterable[Triple],
        catalog: Iterable[Triple],
        *,
        replace: bool = False,
        retire: Sequence[NamedNode] = (),
    ) -> None:
        new = frozenset(triples)
        quads = [Quad(t.subject, t.predicate, t.object, graph) for t in new]
        quads.extend(Quad(t.subject, t.predicate, t.object, CATALOG_GRAPH) for t in catalog)
        with self._write_lock:
            try:
                old = (
                    frozenset(
                        q.triple for q in self._store.quads_for_pattern(None, None, None, graph)
                    )
                    if replace
                    else frozenset()
                )
                change = Change(added=new - old, removed=old - new)
                delta = self._view.delta({graph: change}, leaving=retire)
                view_quads = [Quad(t.subject, t.predicate, t.object, VIEW_GRAPH) for t in delta.add]
                if replace or delta.remove or delta.statements or delta.direct_removed:
                    head = data_blocks.transaction(
                        data_blocks.drop_graph(graph) if replace else "",
                        data_blocks.create_graph(graph),  # an empty batch's graph exists too
                    )
                    self._store.update(self._with_view(head, delta, quads))
                else:
                    blank = [
                        Quad(q.subject, q.predicate, q.object, VIEW_GRAPH)
                        for q in quads
                        if q.graph_name == graph
                        and graph in delta.blank_graphs
                        and (isinstance(q.subject, BlankNode) or isinstance(q.object, BlankNode))
                    ]
                    delta.blank_graphs.discard(graph)  # identities kept: copied in at once
                    self._store.extend([*quads, *view_quads, *blank])
                    if not new:
                        self._store.add_graph(graph)  # an empty batch's graph exists too
                self._view.applied(delta, retired=retire)
                self._view.sync_blank(delta, gone=retire)
                self._writes += 1
            except OSError as exc:
                self._view.reload()
                raise _write_error("store write failed, nothing committed", exc) from exc

    def _with_view(self, head: str, delta: ViewDelta, inserted: Sequence[Quad] = ()) -> str:
        """One transaction: ``head``, then the data and the view's change, then the view's
        engine-evaluated statements (they read the state the rest left)."""
        added_marks, removed_marks = self._view.marks(delta)
        removed = [
            *(Quad(t.subject, t.predicate, t.object, VIEW_GRAPH) for t in delta.remove),
            *removed_marks,
        ]
        added = [
            *inserted,
            *(Quad(t.subject, t.predicate, t.object, VIEW_GRAPH) for t in delta.add),
            *added_marks,
        ]
        return data_blocks.transaction(
            head,
            data_blocks.delete_data(removed) if removed else "",
            data_blocks.insert_data(added) if added else "",
            *delta.statements,
        )

    def bulk_commit(
        self,
        graph: NamedNode,
        source: Path,
        rdf_format: RdfFormat,
        catalog: Iterable[Triple],
        check: Callable[[], None],
        *,
        base_iri: str | None = None,
        progress: Callable[[int], None] | None = None,
        check_loaded: Callable[[Store, NamedNode], None] | None = None,
        retire: Sequence[NamedNode] = (),
    ) -> None:
        with self._write_lock:
            if graph in self._stranded:  # left by a load that failed on a full disk: try again
                self._stranded.discard(graph)
                self._remove_uncommitted(graph)
            if self._store.contains_named_graph(graph):
                raise BadRequest(f"graph {graph.value} already exists; bulk loads need a new graph")
            self._pending.add(graph)
            try:
                if check_loaded is None:
                    self._load_while_checking(graph, source, rdf_format, base_iri, progress, check)
                else:
                    self._load_then_check(
                        graph, source, rdf_format, base_iri, progress, check_loaded
                    )
                # The catalog is read only now: it may describe what ``check`` counted.
                entry = [Quad(t.subject, t.predicate, t.object, CATALOG_GRAPH) for t in catalog]
                try:
                    delta = self._bulk_delta(graph, retire)
                    self._store.update(self._with_view("", delta, entry))
                    self._view.applied(delta, retired=retire)
                    self._view.sync_blank(delta, gone=retire)
                except OSError as exc:
                    self._view.reload()
                    self._remove_uncommitted(graph)
                    raise _write_error("store write failed, nothing committed", exc) from exc
                self._view.reload()
                self._writes += 1
            finally:
                if graph not in self._stranded:
                    self._pending.discard(graph)
            self._compact()

    def _bulk_delta(self, graph: NamedNode, retire: Sequence[NamedNode]) -> ViewDelta:
        """A loaded graph that shares nothing with the graphs held directly is held directly
        too (read in place, never copied); otherwise it is copied into the view."""
        if self._view.overlaps_direct(graph, retire):
            delta = self._view.delta({}, leaving=retire)
            delta.statements.insert(0, self._view.copy_in(graph))
            return delta
        delta = self._view.delta({}, leaving=retire, arriving_direct=[graph])
        if self._view.size():
            delta.statements.insert(0, self._view.take_directly(graph))
        return delta

    def _remove_uncommitted(self, graph: NamedNode) -> None:
        """Remove a bulk-loaded graph that will not be committed. When that fails too (a full
        disk refuses deletions as well) it stays hidden and the next open removes it."""
        try:
            self._store.remove_graph(graph)
        except OSError as exc:
            self._stranded.add(graph)
            _log.warning("could not remove the uncommitted graph %s now: %s", graph.value, exc)

    def _compact(self) -> None:
        """Compact after a bulk load: the loader leaves many unmerged files, and path queries
        over them ran 3x slower (recall at 10M: 52 ms before, 16 ms after 4 s of this)."""
        try:
            self._store.optimize()
        except OSError as exc:  # the load is committed: slower reads are no reason to fail it
            _log.warning("compaction after bulk load failed (reads may be slower): %s", exc)

    def _load_while_checking(
        self,
        graph: NamedNode,
        source: Path,
        rdf_format: RdfFormat,
        base_iri: str | None,
        progress: Callable[[int], None] | None,
        check: Callable[[], None],
    ) -> None:
        """Both cores at work: the loader writes while the check reads its own copy."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kgthread-bulk") as pool:
            loading = pool.submit(self._bulk_load, graph, source, rdf_format, base_iri, progress)
            check_error: BaseException | None = None
            try:
                check()
            except BaseException as exc:
                check_error = exc
            load_error = loading.exception()
        if check_error is not None or load_error is not None:
            self._remove_uncommitted(graph)
            raise check_error or load_error  # type: ignore[misc]

    def _load_then_check(
        self,
        graph: NamedNode,
        source: Path,
        rdf_format: RdfFormat,
        base_iri: str | None,
        progress: Callable[[int], None] | None,
        check_loaded: Callable[[Store, NamedNode], None],
    ) -> None:
        """One copy only: load, then check the loaded graph in place."""
        try:
            self._bulk_load(graph, source, rdf_format, base_iri, progress)
            check_loaded(self._store, graph)
        except BaseException:
            self._remove_uncommitted(graph)
            raise

    def _bulk_load(
        self,
        graph: NamedNode,
        source: Path,
        rdf_format: RdfFormat,
        base_iri: str | None,
        progress: Callable[[int], None] | None,
    ) -> None:
        try:
            with source.open("rb") as raw:
                reader: IO[bytes] = _ProgressReader(raw, progress) if progress else raw
                self._store.bulk_load(
                    input=reader, format=rdf_format, to_graph=graph, base_iri=base_iri
                )
        except SyntaxError as exc:
            raise RdfSyntaxError(
                f"{source.name}: {_syntax_message(exc)}",
                file=str(source),
                line=exc.lineno,
                column=exc.offset,
            ) from exc
        except OSError as exc:
            raise _write_error(f"bulk load of {source.name} failed", exc) from exc

    def drop_graph(self, graph: NamedNode, catalog_removals: Iterable[Triple] = ()) -> None:
        removals = [Quad(t.subject, t.predicate, t.object, CATALOG_GRAPH) for t in catalog_removals]
        with self._write_lock:
            try:
                delta = self._view.delta({}, leaving=[graph])
                view = self._with_view("", delta)
                self._store.update(
                    data_blocks.transaction(
                        data_blocks.delete_data(removals) if removals else "",
                        view,  # reads the graph: before it is dropped
                        data_blocks.drop_graph(graph),
                    )
                )
                self._view.applied(delta)
                self._view.forget(graph)
                self._view.sync_blank(delta, gone=[graph])
                self._writes += 1
            except OSError as exc:
                self._view.reload()
                raise _write_error("store write failed, nothing dropped", exc) from exc

    def close(self) -> None:
        try:
            self._store.flush()
        except OSError as exc:  # flushing is best effort: committed data is already durable
            raise _write_error("store flush failed", exc) from exc
        finally:
            del self._view  # it holds the store too
            del self._store  # the folder is released even when the flush failed


class _ProgressReader(io.RawIOBase, IO[bytes]):
    """A binary reader that reports how many bytes the bulk loader has consumed."""

    def __init__(self, raw: io.BufferedReader, progress: Callable[[int], None]) -> None:
        self._raw = raw
        self._progress = progress
        self._done = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._raw.readinto(buffer)
        if count:
            self._done += count
            self._progress(self._done)
        return count or 0


@contextmanager
def _translated(evaluation: str, io_failure: str) -> Iterator[None]:
    """pyoxigraph's exceptions as kgthread errors: syntax (400 with line and column),
    evaluation (400) and I/O (503). The one place the store translates them."""
    try:
        yield
    except SyntaxError as exc:
        raise _query_syntax_error(exc) from exc
    except (RuntimeError, ValueError) as exc:
        raise BadRequest(f"{evaluation}: {exc}") from exc
    except OSError as exc:
        raise _write_error(io_failure, exc) from exc


def _write_error(message: str, exc: OSError) -> KgthreadError:
    """A full disk is 507 (nothing was written, reads go on); any other I/O failure 503."""
    if is_storage_full(exc):
        return StorageFull(f"{message}: the disk is full: {exc}")
    return StoreUnavailable(f"{message}: {exc}")


def _graph_list(graphs: Sequence[NamedNode] | None) -> list[NamedNode | BlankNode] | None:
    return None if graphs is None else [*graphs]


_POSITION = re.compile(r"(?:error at |line )(\d+)[:, column]+(\d+)")


def _syntax_message(exc: SyntaxError) -> str:
    return str(exc.msg if exc.msg else exc)


def _query_syntax_error(exc: SyntaxError) -> QuerySyntaxError:
    """pyoxigraph puts the query's line and column in the message ("error at 1:25: ...")."""
    message = _syntax_message(exc)
    line, column = exc.lineno, exc.offset
    found = _POSITION.search(message)
    if line is None and found:
        line, column = int(found.group(1)), int(found.group(2))
    return QuerySyntaxError(message, line=line, column=column)
