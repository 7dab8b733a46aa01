"""``GraphStore`` over a remote triple store: the SPARQL 1.1 Protocol and Graph Store Protocol.

The commit contract is the embedded store's: a batch is visible only once its catalog entry
is. A batch's graph is written with one Graph Store ``PUT`` (a bulk load: a ``PUT`` then
``POST``s of bounded pieces), then its catalog entry with one update; every query names
its dataset explicitly (the catalogued graphs and the catalog), so a graph being written,
or left behind by a writer that stopped before its catalog entry, is never seen. Before a
graph that is not catalogued is written it is marked pending (with the time) in kgthread's
bookkeeping graph, so that a second process opening the same store (a scaled-out API) does
not take it for a leftover; :meth:`RemoteStore.open` removes leftovers whose mark is older
than ``pending_grace``.

Nothing is kept between calls but the HTTP connection pool and the committed graphs last
listed: any number of processes can serve the same store. Every committing write also
replaces a revision in the bookkeeping graph, in the same request, and :meth:`state` is
derived from it, so ETags change whichever process wrote; every write, a mark or an undo
too, replaces an epoch beside it. The default graph of every query is the current view
(``kgthread.store.current_view``), kept by the same requests that write the catalog: every
current fact once, and one graph to read however many batches there are.

A query needs the state too (to know whether the graphs last listed are still the
committed ones): it reuses the token :meth:`state` read in the same context less than
``state_reuse`` ago, when no write through this store began since; otherwise it reads it
first. The context is a ``contextvars`` one: the API
runs each request's store work in a worker with a fresh copy of the request's context, so
a request that read the state for its ETag queries in one round trip, not two, and never
reuses a token another request read. A REST answer does better still: :meth:`speculate`
queries the graphs last listed while the token is read beside it, and keeps the answer only
when the token proves nothing was committed in between. Every other call runs on the
calling thread: pyoxigraph results must be dropped on the thread that made them, and a
thread of the store's own could run the garbage collector on a caller's results (the token
read beside an answer hands back only a string).

Answers are read to their end before use (spooled to disk when large): a store that fails
after its 200 header (Oxigraph server on a cancelled query) is caught there, never handed
on as a short answer. What a product does its own way is a :class:`Dialect` hook.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Store,
    Triple,
    parse,
    parse_query_results,
    serialize,
)

from kgthread import assets
from kgthread.errors import BadRequest, KgthreadError, QuerySyntaxError, release_frames
from kgthread.ids import DATA_BASE
from kgthread.store import data_blocks, sparql_text
from kgthread.store.base import CATALOG_GRAPH, QueryResult, Subject, Term, ValueRows
from kgthread.store.current_view import VIEW_GRAPH, Change
from kgthread.store.dialects import Credentials, Dialect, Endpoints, Operation
from kgthread.store.http_transport import KeepAliveTransport, form_body
from kgthread.store.remote_exchange import Body, Exchange, count_rows
from kgthread.store.remote_gsp import GraphStoreRequests
from kgthread.store.sparql_text import Rows, Value

_log = logging.getLogger(__name__)

STATE_GRAPH = NamedNode(DATA_BASE + "store-state")
"""kgthread's bookkeeping on a remote store: the revision and the pending marks. Never
catalogued, so never part of a query's dataset."""

EMPTY_GRAPH = NamedNode(DATA_BASE + "no-graph")
"""Named as the whole dataset when nothing is committed: an empty list of graphs would let
the store fall back to its own default dataset."""

CURRENT = [VIEW_GRAPH]
"""The default graph of every query: the current view, each current fact once, which on a
remote store holds a copy of the catalog too (Virtuoso's planner estimated named queries on
a default graph of two graphs past its time limit, on one graph it does not). The batch
graphs are named graphs, for ``GRAPH ?g``."""

PENDING_GRACE = timedelta(hours=1)
"""How old a pending mark must be before :meth:`RemoteStore.open` takes its graph for a
leftover (a write that is still running is younger)."""

STATE_REUSE = timedelta(milliseconds=500)
"""How long a state token read in a context confirms the committed graphs for queries in
the same context (a write through this store ends it at once; see the module docstring)."""

SPECULATING_READS = 8
"""Threads reading state tokens beside answers (:meth:`RemoteStore.speculate`); the token
reads of further concurrent answers queue (still sound when read after the answer)."""

BULK_PIECE_STATEMENTS = 500_000
"""How many statements one request of a bulk load carries at most. A store applies a
Graph Store request as one transaction held in memory: the 10M-triple sample (2.1 GB of
N-Triples) sent whole grew an Oxigraph server past 17 GB."""

T = TypeVar("T")


_rq = assets.internal_query


@dataclass(frozen=True)
class _Seen:
    """One read of the store's state."""

    token: str
    """The state token (ETags): changes with every commit."""
    epoch: str
    """Changes with every write, a refused or failed one too."""
    writing: bool
    """Whether a graph was marked pending: a write under way."""


@dataclass
class _Dataset:
    """The committed graphs as seen at ``seen``: listed (once, when first needed) after
    the state was read, so never older than its token."""

    seen: _Seen
    listed: tuple[list[NamedNode], str] | None = None
    """The graphs, and the protocol parameters naming them, form-encoded once."""

    @property
    def state(self) -> str:
        return self.seen.token


@dataclass(frozen=True)
class _GraphStatus:
    catalogued: bool
    exists: bool


class RemoteStore:
    """A remote SPARQL store seen through ``dialect``; see the module docstring."""

    def __init__(
        self,
        dialect: Dialect,
        endpoints: Endpoints,
        *,
        credentials: Credentials | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        state_reuse: timedelta = STATE_REUSE,
        bulk_piece: int = BULK_PIECE_STATEMENTS,
    ) -> None:
        self.dialect = dialect
        self.bulk_piece = max(1, bulk_piece)
        self.endpoints = endpoints
        self._client = httpx.Client(
            auth=dialect.auth(credentials or Credentials()),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"User-Agent": "kgthread"},
            transport=transport if transport is not None else _default_transport(),
            follow_redirects=False,
        )
        self._exchange = Exchange(self._client, dialect)
        self._graphs = GraphStoreRequests(dialect, endpoints.graph_store, self._send)
        self._write_lock = threading.Lock()
        self.recovered_graphs: list[NamedNode] = []
        self._dataset: _Dataset | None = None
        self._state_reuse = state_reuse.total_seconds()
        self._writes = 0
        """Writes begun plus writes ended (under the write lock): odd while one is running."""
        self._recent: ContextVar[tuple[_Seen, float, int] | None] = ContextVar(
            f"kgthread-remote-state-{id(self)}", default=None
        )
        """(state, monotonic time read, ``_writes`` then) of this context's last read."""
        self._pinned: ContextVar[_Dataset | None] = ContextVar(
            f"kgthread-remote-pinned-{id(self)}", default=None
        )
        """The committed graphs :meth:`speculate` runs this context's queries on."""
        self._token_readers: ThreadPoolExecutor | None = None

    @classmethod
    def open(
        cls,
        dialect: Dialect,
        endpoints: Endpoints,
        *,
        credentials: Credentials | None = None,
        timeout: float = 30.0,
        pending_grace: timedelta = PENDING_GRACE,
        transport: httpx.BaseTransport | None = None,
        state_reuse: timedelta = STATE_REUSE,
        bulk_piece: int = BULK_PIECE_STATEMENTS,
    ) -> RemoteStore:
        """A store over ``endpoints``; leftovers of interrupted writes are removed now when
        the store answers (an unreachable store is not an error yet: each request says)."""
        store = cls(
            dialect,
            endpoints,
            credentials=credentials,
            timeout=timeout,
            transport=transport,
            state_reuse=state_reuse,
            bulk_piece=bulk_piece,
        )
        try:
            store.recovered_graphs = store.recover(pending_grace)
        except KgthreadError as exc:
            _log.warning("%s: leftover graphs not checked at open: %s", dialect.title, exc)
        return store

    def __repr__(self) -> str:
        return f"RemoteStore({self.dialect.name}, {self.endpoints.query})"

    # -- recovery -------------------------------------------------------------------------

    def recover(self, pending_grace: timedelta = PENDING_GRACE) -> list[NamedNode]:
        """Remove kgthread batch graphs that have no catalog entry and no recent pending
        mark: leftovers of writes that stopped between their graph and catalog entry."""
        cutoff = datetime.now(UTC) - pending_grace
        leftovers: list[NamedNode] = []
        for row in self._select(_rq("remote-leftovers.rq")):
            graph, since = row["graph"], row["since"]
            if not isinstance(graph, NamedNode):
                continue
            if isinstance(since, Literal) and _parse_time(since.value) > cutoff:
                continue  # another process is writing it now
            leftovers.append(graph)
        if leftovers:
            with self._write_lock:
                self._write_update(
                    data_blocks.transaction(
                        *(data_blocks.drop_graph(g) for g in leftovers),
                        self._unmark(leftovers),
                    )
                )
            _log.warning("removed %d uncommitted graph(s): %s", len(leftovers), leftovers)
        return leftovers

    # -- reads ----------------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        substitutions: Mapping[str, Term] | None = None,
        default_graph: Sequence[NamedNode] | None = None,
        named_graphs: Sequence[NamedNode] | None = None,
        base_iri: str | None = None,
    ) -> QueryResult:
        text = self.dialect.bind(sparql, _values(substitutions)) if substitutions else sparql
        if base_iri is not None:
            text = f"BASE {NamedNode(base_iri)}\n{text}"
        params: list[tuple[str, str]] = [("query", text)]
        # Binding adds no FROM: the unbound text is the one whose scan is remembered.
        if default_graph is None and sparql_text.declares_dataset(sparql):
            return self._run(params, base_iri)  # the query names its own dataset
        if default_graph is not None and named_graphs is not None:
            return self._run(params + self._dataset_params(default_graph, named_graphs), base_iri)
        known = self._committed()
        if default_graph is None and named_graphs is None:
            return self._run(params, base_iri, self._listing(known)[1])
        return self._run(
            params + self._dataset_params(default_graph, named_graphs, known), base_iri
        )

    def _committed(self) -> _Dataset:
        """The committed graphs: as last listed while the state token is unchanged, else
        listed again. The token is read before the list: if a commit lands between the two,
        the token is the older one, so the next query lists again (never stale)."""
        pinned = self._pinned.get()
        if pinned is not None:
            return pinned
        return self._known(self._recent_state() or self._fresh_state())

    def _known(self, seen: _Seen) -> _Dataset:
        known = self._dataset
        if known is not None and known.seen == seen:
            return known
        dataset = _Dataset(seen)
        self._dataset = dataset
        return dataset

    def _listing(self, known: _Dataset) -> tuple[list[NamedNode], str]:
        """The graphs ``known`` stands for, listed on first use (after its token was read:
        a commit landing in between shows, with the older token, so never stale)."""
        listed = known.listed
        if listed is None:
            graphs = self.graph_names()
            named = graphs or [EMPTY_GRAPH]
            listed = (graphs, form_body(self.dialect.dataset_params(CURRENT, named)))
            known.listed = listed
        return listed

    def _recent_state(self) -> _Seen | None:
        """The state read in this context less than ``state_reuse`` ago, if no write
        through this store began since; ``None`` when it must be read again."""
        recent = self._recent.get()
        if recent is None:
            return None
        seen, at, writes = recent
        if writes != self._writes or time.monotonic() - at >= self._state_reuse:
            return None
        return seen

    def _dataset_params(
        self,
        default_graph: Sequence[NamedNode] | None,
        named_graphs: Sequence[NamedNode] | None,
        known: _Dataset | None = None,
    ) -> list[tuple[str, str]]:
        visible = self._listing(known)[0] if known is not None else []
        chosen_default = [*default_graph] if default_graph is not None else CURRENT
        chosen_named = [*named_graphs] if named_graphs is not None else visible
        return self.dialect.dataset_params(
            chosen_default or [EMPTY_GRAPH], chosen_named or [EMPTY_GRAPH]
        )

    def _run(
        self, params: list[tuple[str, str]], base_iri: str | None, encoded: str = ""
    ) -> QueryResult:
        try:
            return self._query(params, encoded)
        except QuerySyntaxError as exc:
            line = exc.detail.get("line")
            if base_iri is not None and isinstance(line, int):
                exc.detail["line"] = line - 1  # the BASE line query() put first
            raise

    def quads(
        self,
        subject: Subject | None = None,
        predicate: NamedNode | None = None,
        obj: Term | None = None,
        graph: NamedNode | DefaultGraph | None = None,
    ) -> Iterator[Quad]:
        if isinstance(graph, DefaultGraph):
            return iter(())  # kgthread keeps nothing in a remote store's default graph
        pattern = (subject, predicate, obj, graph)
        rows: Rows = {("s", "p", "o", "g"): [tuple(_value(t) for t in pattern)]}
        solutions = self._select(sparql_text.fill(_rq("remote-quads.rq"), rows))
        return _quads(solutions, pattern)

    def graph_names(self) -> list[NamedNode]:
        return [
            g
            for row in self._select(_rq("remote-graphs.rq"))
            if isinstance(g := row["graph"], NamedNode)
        ]

    def contains_graph(self, graph: NamedNode) -> bool:
        status = self._status(graph)
        return status.catalogued or (graph == CATALOG_GRAPH and status.exists)

    def dump(self, graph: NamedNode | None, rdf_format: RdfFormat) -> bytes:
        if graph is not None:
            if not self.contains_graph(graph):
                return b""
            triples = self._get_graph(graph)
            return serialize(triples, format=rdf_format) or b""
        quads: list[Quad] = []
        for name in self.graph_names():
            quads.extend(
                Quad(t.subject, t.predicate, t.object, name) for t in self._get_graph(name)
            )
        return serialize(quads, format=rdf_format) or b""

    def triple_count(self) -> int:
        row = next(iter(self._select(_rq("remote-count.rq"))), None)
        value = row["triples"] if row is not None else None
        return int(value.value) if isinstance(value, Literal) else 0

    def state(self) -> str:
        """Read from the store on every call (the freshness of ETags rests on it), and kept
        for this context's next queries (:meth:`_recent_state`)."""
        return self._fresh_state().token

    def _fresh_state(self) -> _Seen:
        writes, at = self._writes, time.monotonic()
        seen = self._read_state()
        if writes % 2 == 0 and writes == self._writes:  # no write ran while it was read
            self._recent.set((seen, at, writes))
        return seen

    def _read_state(self) -> _Seen:
        revision = epoch = ""
        marks: object = None
        for row in self._select(_rq("remote-state.rq")):
            revision = row["revision"].value if row["revision"] is not None else ""
            epoch = row["epoch"].value if row["epoch"] is not None else ""
            marks = row["marks"]
            break
        writing = isinstance(marks, Literal) and marks.value not in ("", "0")
        return _Seen(hashlib.sha256(revision.encode()).hexdigest()[:16], epoch, writing)

    def _read_state_beside(self) -> _Seen:
        """:meth:`_read_state` on a thread of the store's own: a failure leaves it with its
        frames cleared, so no result made on that thread is dropped on the caller's."""
        try:
            return self._read_state()
        except BaseException as exc:
            release_frames(exc)
            raise

    def last_state(self) -> str | None:
        """The token the committed graphs were last listed at (no request made)."""
        known = self._dataset
        return known.state if known is not None else None

    def speculate(self, work: Callable[[str], T]) -> tuple[str, T] | None:
        """``work(token)`` on the committed graphs last listed, with the state token read
        beside it (another connection, from a thread of the store's own that hands back
        only the token), so an answer costs one round trip rather than two. When the token
        read is the one those graphs were listed at and no write through this store began,
        the answer stands with that token: no kgthread write landed between the listing
        and the token's read, so the answer is that state's, or newer where a write landed
        after the token was read - never older than its token, which is what an ETag
        needs. Otherwise ``None``: the caller reads the state and runs again. ``None`` at
        once when nothing was listed yet, or a write through this store is running."""
        known, writes = self._dataset, self._writes
        if known is None or writes % 2:
            return None
        if self._token_readers is None:
            self._token_readers = ThreadPoolExecutor(
                max_workers=SPECULATING_READS, thread_name_prefix="kgthread-state"
            )
        token_read = self._token_readers.submit(self._read_state_beside)
        try:
            result = self._on_graphs(known, work)
        finally:
            error = token_read.exception()
        if error is not None:
            raise error
        seen = token_read.result()
        if seen.token != known.state or self._writes != writes:
            return None
        self._recent.set((seen, time.monotonic(), writes))
        return seen.token, result

    def _on_graphs(self, known: _Dataset, work: Callable[[str], T]) -> T:
        """``work(token)`` with this context's queries on ``known``'s graphs."""
        pinned = self._pinned.set(known)
        try:
            return work(known.state)
        finally:
            self._pinned.reset(pinned)

    # -- writes ---------------------------------------------------------------------------

    def update(
        self,
        sparql: str,
        *,
        base_iri: str | None = None,
        changes: Mapping[NamedNode | DefaultGraph, Change] | None = None,
        dropped: Sequence[NamedNode] = (),
    ) -> None:
        """``changes`` keeps the current view in step, in the same request: what the
        update added joins it, what it removed leaves it unless still asserted."""
        text = sparql if base_iri is None else f"BASE {NamedNode(base_iri)}\n{sparql}"
        text = text.rstrip().rstrip(";")
        if changes:
            added = [
                Quad(t.subject, t.predicate, t.object, VIEW_GRAPH)
                for c in changes.values()
                for t in c.added
                if not isinstance(t.subject, BlankNode) and not isinstance(t.object, BlankNode)
            ]
            catalog = changes.get(CATALOG_GRAPH, Change())
            removed = [t for g, c in changes.items() if g != CATALOG_GRAPH for t in c.removed]
            mirrored_out = [
                Quad(t.subject, t.predicate, t.object, VIEW_GRAPH) for t in catalog.removed
            ]
            text = data_blocks.transaction(
                text,
                self._view_retract(removed),
                data_blocks.delete_data(mirrored_out) if mirrored_out else "",
                data_blocks.insert_data(added) if added else "",
            )
        with self._write_lock:
            self._write_update(text)

    def commit(
        self,
        graph: NamedNode,
        triples: Iterable[Triple],
        catalog: Iterable[Triple],
        *,
        replace: bool = False,
        retire: Sequence[NamedNode] = (),
    ) -> None:
        """``retire``: the superseded graphs leave the listing through the catalog entry."""
        new = list(triples)
        body = serialize(new, format=RdfFormat.N_TRIPLES) or b""
        entry = [Quad(t.subject, t.predicate, t.object, CATALOG_GRAPH) for t in catalog]
        with self._write_lock:
            status = self._status(graph)
            if not status.catalogued:
                self._mark_pending(graph)
            try:
                removed: set[Triple] = set()
                if replace and status.exists:
                    removed = set(self._get_graph(graph)) - set(new)
                if replace or not status.exists:
                    self._graphs.put(graph, lambda: body, RdfFormat.N_TRIPLES)
                elif body:
                    self._graphs.post(graph, body)
                view = [self._view_retract(removed)] if removed else []
                if status.catalogued and not entry:
                    view.insert(0, self._view_add(graph))
                self._finish(
                    graph, entry, was_catalogued=status.catalogued, retire=retire, view=view
                )
            except BaseException:
                if not status.catalogued:
                    self._undo(graph, existed=status.exists)
                raise

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
        """Send ``source`` in pieces (``GraphStoreRequests.upload``) while ``check`` runs
        here; catalogue only if both succeed. Until its catalog entry is written the graph
        is pending and invisible, so the batch stays all-or-nothing however many requests
        carry it: a failed piece leaves only an uncatalogued graph, removed at once when the
        store still answers, else by the next :meth:`open`. A remote store cannot be
        validated in place, so ``check_loaded`` is not used: ``check`` always runs (on an
        in-memory copy). The Graph Store Protocol has no base IRI: a ``base_iri`` for a
        format with relative IRIs is refused rather than resolved differently by the store."""
        if base_iri is not None and rdf_format not in (RdfFormat.N_TRIPLES, RdfFormat.N_QUADS):
            raise BadRequest(
                f"{source.name}: a base IRI cannot be sent with a Graph Store upload; "
                "write @base into the file, or convert it to N-Triples"
            )
        with self._write_lock:
            status = self._status(graph)
            if status.catalogued:
                raise BadRequest(f"graph {graph.value} already exists; bulk loads need a new graph")
            self._mark_pending(graph)
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kgthread-upload") as pool:
                loading = pool.submit(
                    self._graphs.upload, graph, source, rdf_format, self.bulk_piece, progress
                )
                check_error: BaseException | None = None
                try:
                    check()
                except BaseException as exc:
                    check_error = exc
                load_error = loading.exception()
            if check_error is not None or load_error is not None:
                self._undo(graph, existed=False)
                raise check_error or load_error  # type: ignore[misc]
            try:
                entry = [Quad(t.subject, t.predicate, t.object, CATALOG_GRAPH) for t in catalog]
                self._finish(graph, entry, was_catalogued=False, retire=retire)
            except BaseException:
                self._undo(graph, existed=False)
                raise

    def drop_graph(self, graph: NamedNode, catalog_removals: Iterable[Triple] = ()) -> None:
        removals = [
            Quad(t.subject, t.predicate, t.object, g)
            for t in catalog_removals
            for g in (CATALOG_GRAPH, VIEW_GRAPH)  # the view holds a copy of the catalog
        ]
        with self._write_lock:
            self._write_update(
                data_blocks.transaction(
                    self._view_drop(graph),  # reads the graph: before it is dropped
                    data_blocks.delete_data(removals) if removals else "",
                    data_blocks.drop_graph(graph),
                    self._unmark([graph]),
                )
            )

    def close(self) -> None:
        if self._token_readers is not None:
            self._token_readers.shutdown(wait=True)
        self._client.close()

    # -- the commit protocol ----------------------------------------------------------------

    def _status(self, graph: NamedNode) -> _GraphStatus:
        rows: Rows = {("graph",): [(graph,)]}
        for row in self._select(sparql_text.fill(_rq("remote-graph-status.rq"), rows)):
            return _GraphStatus(_true(row["catalogued"]), _true(row["exists"]))
        return _GraphStatus(False, False)

    def _mark_pending(self, graph: NamedNode) -> None:
        """Before a graph that is not catalogued is written: say so, with the time, so that
        another process opening the store does not take it for a leftover meanwhile. Two
        plain operations (remove an older mark, insert this one) rather than one DELETE/
        INSERT with an OPTIONAL, which Virtuoso drops whole when there is no older mark."""
        now = Literal(datetime.now(UTC).isoformat(), datatype=_XSD_DATETIME)
        mark = Quad(graph, _PENDING_SINCE, now, STATE_GRAPH)
        self._write_update(
            data_blocks.transaction(self._unmark([graph]), data_blocks.insert_data([mark])),
            commits=False,
        )

    def _unmark(self, graphs: Sequence[NamedNode]) -> str:
        rows: Rows = {("graph",): [(g,) for g in graphs]}
        return sparql_text.fill(_rq("remote-unmark.rq"), rows)

    def _finish(
        self,
        graph: NamedNode,
        entry: list[Quad],
        *,
        was_catalogued: bool,
        retire: Sequence[NamedNode] = (),
        view: Sequence[str] = (),
    ) -> None:
        """The catalog entry, last: from this request on the batch is visible, and the
        current view follows in the same request (what the graph asserts joins it, what
        only the ``retire``d versions asserted leaves it; ``view``: further operations on
        it). A graph written without an entry (a chunk of the inferred graph) keeps its
        pending mark and stays out of the view until its entry is written."""
        mirrored = [Quad(q.subject, q.predicate, q.object, VIEW_GRAPH) for q in entry]
        self._write_update(
            data_blocks.transaction(
                data_blocks.insert_data([*entry, *mirrored]) if entry else "",
                self._view_add(graph) if entry else "",
                *(self._view_drop(g) for g in retire),
                *view,
                self._unmark([graph]) if entry or was_catalogued else "",
            )
        )

    def _view_add(self, graph: NamedNode) -> str:
        return sparql_text.fill(_rq("remote-view-add.rq"), {("graph",): [(graph,)]})

    def _view_drop(self, graph: NamedNode) -> str:
        return sparql_text.fill(_rq("remote-view-drop.rq"), {("graph",): [(graph,)]})

    def _view_retract(self, triples: Iterable[Triple]) -> str:
        """The removed statements leave the view unless still asserted (statements with
        blank nodes cannot be named in a request: the view keeps them until a rebuild)."""
        rows: Rows = {
            ("s", "p", "o"): [
                (t.subject, t.predicate, t.object)  # type: ignore[misc]
                for t in triples
                if not isinstance(t.subject, BlankNode) and not isinstance(t.object, BlankNode)
            ]
        }
        if not rows[("s", "p", "o")]:
            return ""
        return sparql_text.fill(_rq("remote-view-retract.rq"), rows)

    def _undo(self, graph: NamedNode, *, existed: bool) -> None:
        """Best effort after a failed write of a graph that was not catalogued: empty it
        and drop its mark, unless its catalog entry landed after all (the answer was what
        got lost). A graph that existed before (written in parts) is left to its writer. If
        the store is gone too, the graph stays invisible and a later open removes it."""
        if existed:
            return
        rows: Rows = {("graph",): [(graph,)]}
        try:
            self._write_update(
                data_blocks.transaction(
                    sparql_text.fill(_rq("remote-undo.rq"), rows), self._unmark([graph])
                ),
                commits=False,
            )
        except KgthreadError as exc:
            _log.warning("could not undo the write of %s: %s", graph.value, exc)

    def _write_update(self, text: str, *, commits: bool = True) -> None:
        """``text`` with the store's epoch replaced in the same request, and its revision
        too when the write ``commits`` (changes what queries see): a mark or an undo
        changes the epoch alone, so a state seen twice means no write came in between,
        and the token (ETags) changes with committed content only."""
        self._dataset = None
        epoch = Literal(uuid.uuid4().hex)
        bumped = [sparql_text.fill(_rq("remote-epoch.rq"), {("epoch",): [(epoch,)]})]
        if commits:
            revision = Literal(uuid.uuid4().hex)
            rows: Rows = {("revision",): [(revision,)]}
            bumped.append(sparql_text.fill(_rq("remote-revision.rq"), rows))
        # A newline first: the text may end in a comment.
        text = "\n;\n".join([text, *bumped] if text else bumped)
        headers, body = self.dialect.update_request(text)
        self._send(
            "POST", self.endpoints.update, "update", headers=headers, content=lambda: body
        ).close()

    # -- the Graph Store Protocol -----------------------------------------------------------

    def _get_graph(self, graph: NamedNode) -> list[Triple]:
        response = self._graphs.get(graph)
        body = self._exchange.read(response)
        return [q.triple for q in self._parse_graph(response, body)]

    # -- the SPARQL 1.1 Protocol ------------------------------------------------------------

    def _select(self, text: str) -> QuerySolutions:
        """An internal SELECT: no dataset parameters (its text says which graphs it reads)."""
        result = self._query([("query", text)])
        if not isinstance(result, QuerySolutions):
            raise self.dialect.failed("bad-response", "a SELECT was not answered with solutions")
        return result

    def construct(self, sparql: str, rows: ValueRows) -> list[Triple]:
        """One CONSTRUCT with its ``VALUES`` blocks filled: the gate's context in one
        request (``RoundTripStore``)."""
        text = sparql_text.fill(sparql, rows)
        accept = self.dialect.query_accept(sparql_text.query_form(text))
        # The committed graphs named: GRAPH ?g never ranges over the current view (every
        # statement a second time) or graphs being written.
        listed = self._listing(self._committed())[1]
        response, body = self._post_query([("query", text)], accept, listed)
        return [q.triple for q in self._parse_graph(response, body)]

    def _post_query(
        self, params: list[tuple[str, str]], accept: str, encoded_more: str = ""
    ) -> tuple[httpx.Response, Body]:
        """``encoded_more``: further parameters, already form-encoded."""
        headers = {"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"}
        form = form_body(params)
        encoded = (f"{form}&{encoded_more}" if encoded_more else form).encode("utf-8")
        response = self._send(
            "POST",
            self.endpoints.query,
            "query",
            headers=headers,
            content=lambda: encoded,
            idempotent=True,
        )
        return response, self._exchange.read(response)

    def _query(self, params: list[tuple[str, str]], encoded_more: str = "") -> QueryResult:
        text = next((value for name, value in params if name == "query"), "")
        response, body = self._post_query(
            params, self.dialect.query_accept(sparql_text.query_form(text)), encoded_more
        )
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        results_format = QueryResultsFormat.from_media_type(media_type) if media_type else None
        if results_format is not None:
            return self._solutions(response, body, results_format)
        rdf_format = RdfFormat.from_media_type(media_type) if media_type else None
        if rdf_format is None:
            raise self.dialect.failed(
                "bad-response", f"a query was answered with {media_type or 'no content type'}"
            )
        scratch = Store()
        scratch.extend(
            Quad(q.subject, q.predicate, q.object, DefaultGraph())
            for q in self._parse_graph(response, body)
        )
        return scratch.query(_rq("remote-all-triples.rq"))

    def _solutions(
        self, response: httpx.Response, body: Body, results_format: QueryResultsFormat
    ) -> QuerySolutions | QueryBoolean:
        """Parse the whole answer once (a short or broken one raises here, before anyone
        sees a row), let the dialect check it, then hand out a lazy parse of it."""
        try:
            rows, problem = count_rows(body, results_format)
            if problem is not None:
                raise self.dialect.incomplete_response(response, f"unreadable results: {problem}")
            self.dialect.check_query_response(response, rows)
            return parse_query_results(**body.source(), format=results_format)
        finally:
            body.discard()

    def _parse_graph(self, response: httpx.Response, body: Body) -> list[Quad]:
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        rdf_format = RdfFormat.from_media_type(media_type) or RdfFormat.N_TRIPLES
        try:
            quads = list(parse(**body.source(), format=rdf_format))
        except SyntaxError as exc:
            raise self.dialect.incomplete_response(response, f"unreadable graph: {exc}") from exc
        finally:
            body.discard()
        self.dialect.check_query_response(response, None)
        return quads

    # -- HTTP -------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        operation: Operation,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        content: Callable[[], Any] | None = None,
        idempotent: bool = False,
    ) -> httpx.Response:
        """One request (:meth:`Exchange.send`). A write (every request but a query or a
        Graph Store GET; all are made under the write lock) is counted as it begins and as
        it ends, which ends every thread's reuse of the state token read before it."""
        writing = operation != "query" and method != "GET"
        if writing:
            self._writes += 1
        try:
            return self._exchange.send(method, url, operation, params, headers, content, idempotent)
        finally:
            if writing:
                self._writes += 1


_XSD_DATETIME = NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
_PENDING_SINCE = NamedNode(STATE_GRAPH.value + "#pendingSince")


def _parse_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _true(term: object) -> bool:
    return isinstance(term, Literal) and term.value in ("true", "1")


def _value(term: object) -> Value | None:
    if term is None:
        return None
    if isinstance(term, NamedNode | Literal):
        return term
    if isinstance(term, BlankNode):
        raise BadRequest("a remote store cannot be asked about a blank node (they are local)")
    raise BadRequest(f"cannot ask a remote store about a {type(term).__name__}")


def _values(substitutions: Mapping[str, Term]) -> dict[str, Value]:
    values: dict[str, Value] = {}
    for name, term in substitutions.items():
        value = _value(term)
        if value is not None:
            values[name] = value
    return values


def _quads(solutions: QuerySolutions, pattern: tuple[Any, Any, Any, Any]) -> Iterator[Quad]:
    subject, predicate, obj, graph = pattern
    for row in solutions:
        s, p, o, g = row["s"] or subject, row["p"] or predicate, row["o"] or obj, row["g"] or graph
        if (
            isinstance(s, NamedNode | BlankNode)
            and isinstance(p, NamedNode)
            and isinstance(g, NamedNode)
        ):
            yield Quad(s, p, o, g)


def _default_transport() -> httpx.BaseTransport | None:
    """The ``http.client`` wire, or ``None`` - httpx's own transport, which honours them -
    when the environment names proxies (httpx ignores them beside a transport of ours)."""
    return None if urllib.request.getproxies() else KeepAliveTransport()
