"""What differs between remote triple stores, in one place: a ``Dialect`` per product.

``RemoteStore`` speaks only the SPARQL 1.1 Protocol and the Graph Store Protocol; everything
a product does its own way (where its endpoints live, how it authenticates, how it names a
graph in a Graph Store request, how it signals a truncated result or a failure after a 200
header, what its error statuses mean) is a hook here. A new product is a subclass that
overrides only the hooks it needs, registered in ``_REGISTRY`` by one line.

Every hook is called by ``RemoteStore`` with the request it is about to make or the response
it received; none of them performs I/O of its own.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

import httpx
from pyoxigraph import NamedNode

from kgthread.errors import (
    BadRequest,
    KgthreadError,
    QuerySyntaxError,
    RemoteStoreFailed,
    RemoteStoreUnavailable,
)
from kgthread.store import sparql_text

AuthKind = Literal["none", "basic", "digest", "bearer"]
Operation = Literal["query", "update", "graph-store"]

RESULTS_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"


@dataclass(frozen=True)
class Endpoints:
    """The three URLs a remote store is reached at."""

    query: str
    update: str
    graph_store: str


@dataclass(frozen=True)
class Credentials:
    """How to authenticate: ``kind`` with a user and password (basic, digest) or a token
    (bearer). ``none`` sends nothing."""

    kind: AuthKind = "none"
    user: str = ""
    password: str = ""
    token: str = ""


class BearerAuth(httpx.Auth):
    """``Authorization: Bearer <token>`` on every request (httpx has basic and digest only)."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


class Dialect:
    """The SPARQL 1.1 Protocol and Graph Store Protocol as the W3C wrote them.

    Subclasses override the hooks their store needs; each hook's docstring says when it is
    called. ``name`` is the value of the ``store_dialect`` setting that selects the dialect
    and ``title`` the product name shown in error messages.
    """

    name: ClassVar[str] = "generic"
    title: ClassVar[str] = "SPARQL store"

    results_accept: ClassVar[str] = RESULTS_JSON
    """``Accept`` of a SELECT or ASK request; the answer is parsed with pyoxigraph."""

    graph_accept: ClassVar[str] = N_TRIPLES
    """``Accept`` of a CONSTRUCT or DESCRIBE request and of a Graph Store GET."""

    upload_media_type: ClassVar[str] = N_TRIPLES
    """``Content-Type`` of a Graph Store PUT or POST body."""

    # -- endpoints and authentication --------------------------------------------------------

    def endpoints(
        self,
        base_url: str,
        *,
        query: str | None = None,
        update: str | None = None,
        graph_store: str | None = None,
    ) -> Endpoints:
        """The endpoints for the store at ``base_url``; URLs given explicitly (the
        ``store_*_url`` settings) win. Generic: one URL serves all three, as a Fuseki
        dataset URL does."""
        return Endpoints(
            query=query or base_url, update=update or base_url, graph_store=graph_store or base_url
        )

    def auth(self, credentials: Credentials) -> httpx.Auth | None:
        """The httpx auth for every request (called once, when the client is built)."""
        if credentials.kind == "none":
            return None
        if credentials.kind == "basic":
            return httpx.BasicAuth(credentials.user, credentials.password)
        if credentials.kind == "digest":
            return httpx.DigestAuth(credentials.user, credentials.password)
        if credentials.kind == "bearer":
            return BearerAuth(credentials.token)
        raise BadRequest(
            f"store_auth must be none, basic, digest or bearer, not {credentials.kind!r}"
        )

    # -- requests ----------------------------------------------------------------------------

    def dataset_params(
        self, default_graph: Sequence[NamedNode], named_graphs: Sequence[NamedNode]
    ) -> list[tuple[str, str]]:
        """Protocol parameters that fix a query's dataset. ``RemoteStore`` always names it
        (the catalogued graphs), never relying on what a store calls its default graph."""
        return [("default-graph-uri", g.value) for g in default_graph] + [
            ("named-graph-uri", g.value) for g in named_graphs
        ]

    def bind(self, sparql: str, values: Mapping[str, sparql_text.Value]) -> str:
        """``sparql`` with query parameters bound to terms before it is sent (the protocol
        has no parameters). Default: a ``VALUES`` row first in the top-level group
        (``sparql_text.bind``). ``sparql_text.bind_inline`` also writes the terms into the
        pattern where SPARQL allows a term, as pyoxigraph's substitutions do, for planners
        that need a constant there (both answer every named query alike: tests/store/
        test_sparql_text.py); a dialect may bind per query."""
        return sparql_text.bind(sparql, values)

    def query_accept(self, form: str | None) -> str:
        """``Accept`` of a query whose form (``sparql_text.query_form``) is ``form``: the
        results type for SELECT and ASK, the graph type for CONSTRUCT and DESCRIBE, both
        (results first) when the form is not known."""
        if form in ("SELECT", "ASK"):
            return self.results_accept
        if form in ("CONSTRUCT", "DESCRIBE"):
            return self.graph_accept
        return f"{self.results_accept}, {self.graph_accept};q=0.9"

    def update_request(self, sparql: str) -> tuple[dict[str, str], bytes]:
        """Headers and body of an update request (POST directly, SPARQL 1.1 Protocol 2.2.2)."""
        return {"Content-Type": "application/sparql-update"}, sparql.encode("utf-8")

    def graph_store_request(
        self, graph_store_url: str, graph: NamedNode
    ) -> tuple[str, dict[str, str]]:
        """URL and query parameters of a Graph Store request on a named graph (indirect
        identification, ``?graph=``)."""
        return graph_store_url, {"graph": graph.value}

    # -- responses ---------------------------------------------------------------------------

    def check_query_response(self, response: httpx.Response, rows: int | None) -> None:
        """Called after a 200 query answer has been read to its end and parsed whole
        (``rows`` solutions, ``None`` for graphs and booleans): raise :meth:`failed` with
        cause ``truncated-result`` when the store says it cut the answer short. Generic
        stores do not truncate silently, so nothing to check."""

    def incomplete_response(
        self, response: httpx.Response, reason: str, *, cause: str = "error-after-200"
    ) -> KgthreadError:
        """The error for a 200 answer that cannot be used whole: its body broke off
        (``cause="truncated-result"``) or arrived whole but does not parse, an error written
        after the 200 header (``"error-after-200"``: a cancelled query, a crash, a proxy)."""
        request = response.request
        return self.failed(
            cause,
            f"after the 200 header of its answer to {request.method} {request.url.path}: {reason}",
        )

    def error_for_status(self, response: httpx.Response, operation: Operation) -> KgthreadError:
        """The error for a non-2xx answer (its body already read). 400 is the caller's fault
        (the store's message is passed on), 401/403 mean the credentials are refused, 503
        and 504 mean the store is busy, anything else is a store failure."""
        status = response.status_code
        message = _store_message(response)
        if status == 400:
            refused = f"{self.title} refused the {operation}: {message}"
            if operation == "graph-store":
                return BadRequest(refused, backend=self.name)
            line, column = self.syntax_position(message)
            return QuerySyntaxError(refused, backend=self.name, line=line, column=column)
        if status in (401, 403, 407):
            return self.failed("auth-refused", f"it refused the credentials (HTTP {status})")
        if status in (503, 504, 429):
            return self.unavailable("overloaded", f"HTTP {status}: {message}")
        if status == 404:
            return self.failed(
                "not-found", f"{response.request.url} is not a {operation} endpoint (HTTP 404)"
            )
        return self.failed("server-error", f"HTTP {status} on {operation}: {message}")

    def syntax_position(self, message: str) -> tuple[int | None, int | None]:
        """Line and column of a syntax error in a store's 400 message, when it gives them
        (Oxigraph: ``error at 1:8``; Jena: ``at line 1, column 8``)."""
        found = _POSITION.search(message)
        return (int(found.group(1)), int(found.group(2))) if found else (None, None)

    def error_for_transport(self, exc: httpx.TransportError, url: str) -> KgthreadError:
        """The error for a request that got no answer: unreachable or timed out (503), or
        an answer that broke off (502)."""
        if isinstance(exc, httpx.TimeoutException):
            return self.unavailable(
                "timeout", f"no answer from {url} in time ({type(exc).__name__})"
            )
        if isinstance(exc, httpx.ConnectError | httpx.UnsupportedProtocol):
            return self.unavailable("unreachable", f"cannot connect to {url}: {exc}")
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
            return self.failed("connection-lost", f"the connection to {url} broke off: {exc}")
        return self.unavailable("unreachable", f"{url}: {type(exc).__name__}: {exc}")

    # -- building errors ---------------------------------------------------------------------

    def failed(self, cause: str, why: str) -> RemoteStoreFailed:
        """A 502 naming this store and the cause."""
        return RemoteStoreFailed(
            f"{self.title} ({self.name}) failed: {why}", backend=self.name, cause=cause
        )

    def unavailable(self, cause: str, why: str) -> RemoteStoreUnavailable:
        """A 503 naming this store and the cause."""
        return RemoteStoreUnavailable(
            f"{self.title} ({self.name}) unavailable: {why}", backend=self.name, cause=cause
        )


class GenericDialect(Dialect):
    """Any store that follows the W3C protocols (Fuseki, GraphDB, Stardog, Neptune)."""


class OxigraphDialect(Dialect):
    """Oxigraph server (``oxigraph serve``): ``/query``, ``/update`` and ``/store``.

    Its quirk: results are streamed, so a query that fails or is cancelled while being
    evaluated arrives as a 200 whose body stops mid-result with the error message written
    after it (or breaks off); ``RemoteStore`` reads every answer to its end and parses it
    whole before using it, and reports ``error-after-200`` (or ``truncated-result``).
    """

    name: ClassVar[str] = "oxigraph"
    title: ClassVar[str] = "Oxigraph server"

    def endpoints(
        self,
        base_url: str,
        *,
        query: str | None = None,
        update: str | None = None,
        graph_store: str | None = None,
    ) -> Endpoints:
        root = base_url.rstrip("/")
        return Endpoints(
            query=query or f"{root}/query",
            update=update or f"{root}/update",
            graph_store=graph_store or f"{root}/store",
        )


_REGISTRY: dict[str, str] = {
    "generic": "kgthread.store.dialects:GenericDialect",
    "oxigraph": "kgthread.store.dialects:OxigraphDialect",
    "virtuoso": "kgthread.store.virtuoso:VirtuosoDialect",
}
"""Dialect name -> ``module:Class``, imported on first use (one line per product)."""


def dialect_names() -> list[str]:
    return sorted(_REGISTRY)


def dialect_for(name: str) -> Dialect:
    """A new instance of the dialect registered as ``name``."""
    target = _REGISTRY.get(name)
    if target is None:
        raise BadRequest(
            f"store_dialect {name!r} is unknown; choose one of {', '.join(dialect_names())}"
        )
    module_name, _, class_name = target.partition(":")
    dialect_class = getattr(importlib.import_module(module_name), class_name)
    dialect: Dialect = dialect_class()
    return dialect


_POSITION = re.compile(r"(?:error at |line )(\d+)(?::|, column )(\d+)", re.IGNORECASE)


def _store_message(response: httpx.Response, limit: int = 300) -> str:
    """The first line(s) of a store's error body, shortened: enough to say why."""
    try:
        text = response.text.strip()
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        return response.reason_phrase or "no message"
    text = " ".join(text.split())
    return (text[:limit] + "...") if len(text) > limit else (text or response.reason_phrase)
