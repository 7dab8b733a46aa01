"""OpenLink Virtuoso as a remote store: its endpoints, its auth and what it does its own way.

Measured on Virtuoso 7.2 (Debian ``virtuoso-opensource``); the Virtuoso section of
docs/deployment.md lists each quirk, including those no dialect can undo.

- Endpoints: ``/sparql-auth`` (query and update, HTTP digest auth) and
  ``/sparql-graph-crud-auth`` (Graph Store), which names a graph with ``graph-uri=``.
- Its default graph is the union of every graph: ``RemoteStore`` names each query's dataset.
- ``ResultSetMaxRows`` cuts answers short: a SELECT says so only in an ``X-SPARQL-MaxRows``
  header; a CONSTRUCT or Graph Store GET is cut at that many triples plus one without a
  word. Both are refused here (``truncated-result``), never handed on as a short answer.
- ``ORDER BY`` with ``OFFSET`` plus ``LIMIT`` above ``MaxSortedTopRows`` is an HTTP 500
  (``SR353``): mapped to ``row-limit``.
- A ``+`` or ``*`` path with neither end bound is an HTTP 500 (``TR...``): mapped to
  ``unsupported-query``.
- A query past ``MaxMemPoolSize`` is an HTTP 500 (``SQ200``): mapped to ``memory-limit``.
- A ``VALUES`` binding does not fix the end of a property path for its planner: the path
  is refused as unbounded or, joined with more patterns, the binding is ignored (a wrong
  answer). Parameters are written into the pattern as terms too.
- Missing grants arrive as HTTP 500 (``SR186: SECURITY``) or 403 (``SQ110``): mapped to
  ``permission-denied`` naming the grant to give.
- Its planner ties a variable of an OPTIONAL to a pattern of an earlier OPTIONAL after a
  property path, and can then read that pattern as a scan of its predicate per row:
  ``recall`` took 202 ms at 1M and over 30 s at 10M. A named query it plans badly is sent
  in its own text, ``rq/virtuoso/<name>.rq`` (:func:`own_text`; the file says why).
- A DELETE/INSERT drops a solution whose DELETE template has an unbound variable, INSERT
  part included: kgthread's own updates (``remote-revision.rq``, ``_mark_pending``) are
  written as two plain operations, a DELETE and an INSERT, in one request.
- A Graph Store body that does not parse is an HTTP 500 ("unsupported type text/plain"):
  mapped to 400, as the body is the caller's.

Six more are fixed on the wire, most by :class:`VirtuosoExchange`, an ``httpx.Auth``
wrapper that sees each request before it is sent and each answer before it is read. Answer
bodies are rewritten there, not in a ``Dialect`` hook, because the wrapper must also send a
request of its own (``ResultSetMaxRows``, once) and turn a Graph Store 404 into an empty
graph before ``RemoteStore`` sees the status; hooks perform no I/O:

- Content negotiation takes the first listed type it can write and ignores ``q``, so a
  combined ``Accept`` makes a CONSTRUCT come back as a result set or a 406: the ``Accept``
  is chosen from the query's form (:meth:`VirtuosoDialect.query_accept`, a ``Dialect``
  hook), RDF/JSON for graphs (below).
- A request body sent chunked (no ``Content-Length``) is read as empty: a Graph Store PUT
  of a streamed file answers 201 and stores nothing. ``RemoteStore`` sends a streamed file
  with its length; a chunked body is refused here rather than lost.
- A graph with no triples does not exist, so a Graph Store GET of it is a 404: taken for
  the empty graph it is (kgthread only reads graphs its catalog names).
- Doubles keep six significant digits in N-Triples, RDF/XML and result sets; only RDF/JSON
  writes them whole and typed. Graph answers (CONSTRUCT, DESCRIBE, Graph Store GET) are
  asked for as RDF/JSON and given on as N-Triples, every literal in the embedded store's
  lexical form. Result sets cannot be fixed (docs/deployment.md).
- An answer past 32 KB is written in two pieces with Nagle's algorithm on, so on a
  kept-alive connection the second waits 40 ms for the client's delayed ACK: every query
  asks for ``Connection: close`` (a fresh connection ACKs at once; 48 ms -> 5 ms for
  ``genealogy-down`` at 1M).
- Blank nodes come back as ``nodeID://b123`` in result sets (not a valid label) and
  booleans as ``"1"`` in SPARQL JSON: results are read as SPARQL XML with the labels fixed.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlencode

import httpx
from pyoxigraph import (
    Literal,
    NamedNode,
    QueryResultsFormat,
    QuerySolutions,
    parse_query_results,
)

from kgthread import assets
from kgthread.errors import BadRequest, KgthreadError
from kgthread.store import sparql_text
from kgthread.store.dialects import N_TRIPLES, Credentials, Dialect, Endpoints, Operation
from kgthread.store.virtuoso_answers import RDF_JSON, STATEMENTS, AnswerStream, RdfJsonAnswer

RESULTS_XML = "application/sparql-results+xml"
DEFAULT_MAX_ROWS = 10000
"""Virtuoso's shipped ``ResultSetMaxRows``: assumed only when the server cannot be asked."""

MAX_ROWS_HEADER = "X-SPARQL-MaxRows"

_PERMISSION = re.compile(r"SR186|SQ110|SECURITY|[Nn]o permission|[Pp]ermission denied")
_BODY_REFUSED = re.compile(r"request for graph\b.*\bis rejected")
_SORT_LIMIT = re.compile(r"SR353")
_TIMEOUT = re.compile(r"SR171|S1T00|[Tt]ransaction timed out|estimated execution time")
_TRANSITIVE = re.compile(r"TR\.\.\.|transitive", re.IGNORECASE)
_MEMORY = re.compile(r"MaxMemPoolSize|memory pool size")
_DIGITS = re.compile(r"\s*(\d+)")
_XMP = re.compile(r"<xmp>(.*?)</xmp>", re.DOTALL)
_LINE = re.compile(r"line (\d+):")


class VirtuosoDialect(Dialect):
    """Virtuoso 7 over ``/sparql-auth`` and ``/sparql-graph-crud-auth``; see the module."""

    name: ClassVar[str] = "virtuoso"
    title: ClassVar[str] = "Virtuoso"

    results_accept: ClassVar[str] = RESULTS_XML
    graph_accept: ClassVar[str] = N_TRIPLES

    def __init__(self, max_rows: int | None = None) -> None:
        self.max_rows: int | None = max_rows
        """``ResultSetMaxRows`` of the server (``None``: no limit, or not known yet). Given,
        else asked of the server before the first graph answer (``virtuoso-max-rows.rq``)
        and corrected by any ``X-SPARQL-MaxRows`` header."""
        self.max_rows_known = max_rows is not None
        self.query_url: str | None = None
        """Where to ask: the query endpoint :meth:`endpoints` chose."""

    def learn_max_rows(self, value: int | None) -> None:
        self.max_rows, self.max_rows_known = value, True

    def endpoints(
        self,
        base_url: str,
        *,
        query: str | None = None,
        update: str | None = None,
        graph_store: str | None = None,
    ) -> Endpoints:
        """The authenticated endpoints: the anonymous ``/sparql`` cannot write."""
        root = base_url.rstrip("/")
        chosen = Endpoints(
            query=query or f"{root}/sparql-auth",
            update=update or f"{root}/sparql-auth",
            graph_store=graph_store or f"{root}/sparql-graph-crud-auth",
        )
        self.query_url = chosen.query
        return chosen

    def auth(self, credentials: Credentials) -> httpx.Auth:
        """The configured auth (Virtuoso's ``-auth`` endpoints want digest), wrapped so each
        exchange is fixed up on the wire."""
        return VirtuosoExchange(super().auth(credentials), self)

    def graph_store_request(
        self, graph_store_url: str, graph: NamedNode
    ) -> tuple[str, dict[str, str]]:
        """Virtuoso 7 names the graph with ``graph-uri=`` (``graph=`` is a later alias)."""
        return graph_store_url, {"graph-uri": graph.value}

    def bind(self, sparql: str, values: Mapping[str, sparql_text.Value]) -> str:
        """Parameters written into the pattern as terms too (``sparql_text.bind_inline``):
        Virtuoso's planner does not take a ``VALUES`` binding for a fixed end of a property
        path; it refuses the path as unbounded, or, joined with more patterns, ignores the
        binding and answers wrongly. A named query it plans badly is sent as its own text
        (:func:`own_text`)."""
        return sparql_text.bind_inline(own_text(sparql) or sparql, values)

    def query_accept(self, form: str | None) -> str:
        """Content negotiation takes the first listed type and ignores ``q``, so one type
        per form: SPARQL XML for results, RDF/JSON for graphs (``VirtuosoExchange`` gives
        them on as N-Triples)."""
        return RDF_JSON if form in ("CONSTRUCT", "DESCRIBE") else self.results_accept

    def check_query_response(self, response: httpx.Response, rows: int | None) -> None:
        """Refuse an answer Virtuoso may have cut at ``ResultSetMaxRows``."""
        header = response.headers.get(MAX_ROWS_HEADER)
        if header is not None and header.strip().isdigit():
            limit = int(header)
            self.learn_max_rows(limit)
            if rows is None or rows >= limit:
                raise self.failed(
                    "truncated-result",
                    f"the answer reached its ResultSetMaxRows limit of {limit} rows "
                    f"({MAX_ROWS_HEADER}: {limit}), so it may be cut short; raise "
                    "ResultSetMaxRows in the [SPARQL] section of virtuoso.ini or narrow the query",
                )
        counter = response.extensions.get(STATEMENTS)
        counted = counter.statements if isinstance(counter, AnswerStream | RdfJsonAnswer) else 0
        if rows is None and self.max_rows is not None and counted > self.max_rows:
            raise self.failed(
                "truncated-result",
                f"a graph answer of {counted} triples passed ResultSetMaxRows "
                f"({self.max_rows}), where Virtuoso cuts graphs short without saying so; "
                "raise ResultSetMaxRows in the [SPARQL] section of virtuoso.ini above "
                "the largest graph",
            )

    def error_for_status(self, response: httpx.Response, operation: Operation) -> KgthreadError:
        """Virtuoso's own errors first (grants, its row, memory and time limits, paths it cannot
        evaluate), with its message cut before the query it echoes."""
        message = _message(response)
        status = response.status_code
        if status in (403, 500) and _PERMISSION.search(message):
            grant = "SPARQL_SELECT" if operation == "query" else "SPARQL_UPDATE"
            return self.failed(
                "permission-denied",
                f"the store user lacks a permission for this {operation} (HTTP {status}: "
                f"{message}); grant {grant} to the user named by store_user",
            )
        if status == 500 and operation == "graph-store" and _BODY_REFUSED.search(message):
            return BadRequest(
                f"{self.title} could not read the graph sent to it (HTTP 500: {message})",
                backend=self.name,
            )
        if status == 500 and _SORT_LIMIT.search(message):
            return self.failed(
                "row-limit",
                "the query sorts more rows than MaxSortedTopRows allows (ORDER BY with OFFSET "
                f"plus LIMIT above it; [Parameters] in virtuoso.ini, 10000 by default): {message}",
            )
        if status == 500 and _MEMORY.search(message):
            return self.failed(
                "memory-limit",
                f"the query needs more memory than MaxMemPoolSize allows ([Parameters] in "
                f"virtuoso.ini): {message}",
            )
        if status == 500 and _TIMEOUT.search(message):
            return self.unavailable("timeout", f"the query passed its time limit: {message}")
        if status == 500 and _TRANSITIVE.search(message):
            return self.failed(
                "unsupported-query",
                "it cannot evaluate a + or * property path with neither end bound; bind "
                f"one end (a parameter or a pattern before it): {message}",
            )
        if status >= 500 and status not in (503, 504):
            return self.failed("server-error", f"HTTP {status} on {operation}: {message}")
        return super().error_for_status(response, operation)

    def syntax_position(self, message: str) -> tuple[int | None, int | None]:
        """``SP030: SPARQL compiler, line 1: syntax error at ...``: a line, no column."""
        found = _LINE.search(message)
        return (int(found.group(1)), None) if found else (None, None)


def query_form(body: bytes) -> str | None:
    """``sparql_text.query_form`` of a query's bytes."""
    return sparql_text.query_form(body.decode("utf-8", errors="replace"))


class VirtuosoExchange(httpx.Auth):
    """The configured auth, plus what Virtuoso needs on the wire: chunked bodies refused,
    answers sent unencoded, each on a connection of its own, graph answers read as RDF/JSON,
    blank-node labels in result sets made valid, the triples of a graph answer counted for
    the truncation check, and ``ResultSetMaxRows`` asked for once."""

    def __init__(self, inner: httpx.Auth | None, dialect: VirtuosoDialect) -> None:
        self._inner = inner
        self._dialect = dialect

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self._prepare(request)
        graph_query = request.method == "POST" and request.headers.get("Accept") == RDF_JSON
        graph_answer = graph_query or (request.method == "GET" and _names_graph(request))
        if graph_answer and not self._dialect.max_rows_known:
            url = self._dialect.query_url or (str(request.url) if graph_query else None)
            if url is None:
                self._dialect.learn_max_rows(DEFAULT_MAX_ROWS)
            else:
                answer = yield from self._through(_max_rows_request(url))
                self._dialect.learn_max_rows(_read_max_rows(answer))
        response = yield from self._through(request)
        self._wrap(response)

    def _through(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, httpx.Response]:
        """Send ``request`` through the configured auth; the final answer."""
        if self._inner is None:
            return (yield request)
        flow = self._inner.auth_flow(request)
        outgoing = next(flow)
        while True:
            response = yield outgoing
            try:
                outgoing = flow.send(response)
            except StopIteration:
                return response

    def _prepare(self, request: httpx.Request) -> None:
        """Fix the request up (a query's ``Accept`` is ``VirtuosoDialect.query_accept``)."""
        request.headers["Accept-Encoding"] = "identity"
        if request.method == "GET" and _names_graph(request):
            request.headers["Accept"] = RDF_JSON
        if request.headers.get("Accept") in (RESULTS_XML, RDF_JSON):
            # Virtuoso writes an answer past 32 KB in two writes with Nagle's algorithm on,
            # so on a kept-alive connection the second waits 40 ms for the client's delayed
            # ACK of the first. A fresh connection ACKs at once: one per answer.
            request.headers["Connection"] = "close"
        if "Transfer-Encoding" in request.headers:
            # Virtuoso takes a chunked body for an empty one (a PUT answers 201 and stores
            # nothing). RemoteStore gives every body its length; refuse rather than lose one.
            raise self._dialect.failed(
                "chunked-upload",
                f"a {request.method} body without a length would be stored as empty",
            )

    def _wrap(self, response: httpx.Response) -> None:
        if not isinstance(response.stream, httpx.SyncByteStream):
            return
        request = response.request
        if response.status_code == 404 and request.method == "GET" and _names_graph(request):
            # Virtuoso keeps no empty graphs: a graph with no triples is "not found".
            response.stream.close()
            response.status_code = 200
            response.headers["Content-Type"] = N_TRIPLES
            response.headers["Content-Length"] = "0"
            response.stream = httpx.ByteStream(b"")
            return
        if not response.is_success:
            return
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if media_type == RDF_JSON:
            converted = RdfJsonAnswer(response.stream)
            response.stream = converted
            response.headers["Content-Type"] = N_TRIPLES
            response.headers.pop("Content-Length", None)
            response.extensions[STATEMENTS] = converted
            return
        rewrite = media_type in (RESULTS_XML, "application/sparql-results+json")
        counting = media_type in (N_TRIPLES, "text/plain", "text/ntriples")
        if rewrite or counting:
            stream = AnswerStream(response.stream, rewrite=rewrite, counting=counting)
            response.stream = stream
            response.extensions[STATEMENTS] = stream


OWN_TEXTS = "virtuoso"
"""The folder of ``kgthread.rq`` holding Virtuoso's texts of named queries."""


def own_text(sparql: str) -> str | None:
    """Virtuoso's text of the named query whose text ``sparql`` is, if it has one: each
    ``rq/virtuoso/<name>.rq`` stands in for ``queries/<name>.rq`` with the same parameters,
    columns and rows, written so that Virtuoso plans it well (each file says why). Only the
    shipped text is replaced, so an edited named query or any other query is sent as it is."""
    return _own_texts(assets.queries_dir()).get(sparql)


@cache
def _own_texts(queries_dir: Path) -> dict[str, str]:
    """Shared text -> Virtuoso's text, for every Virtuoso text whose named query exists."""
    found: dict[str, str] = {}
    for entry in resources.files("kgthread.rq").joinpath(OWN_TEXTS).iterdir():
        shared = queries_dir / entry.name
        if entry.name.endswith(".rq") and shared.is_file():
            found[shared.read_text(encoding="utf-8")] = entry.read_text(encoding="utf-8")
    return found


_rq = assets.internal_query


def _max_rows_request(url: str) -> httpx.Request:
    return httpx.Request(
        "POST",
        url,
        content=urlencode({"query": _rq("virtuoso-max-rows.rq")}).encode("utf-8"),
        headers={
            "Accept": RESULTS_XML,
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept-Encoding": "identity",
        },
    )


def _read_max_rows(response: httpx.Response) -> int | None:
    """The ``ResultSetMaxRows`` in the answer to :func:`_max_rows_request`: ``None`` when
    the server sets none; Virtuoso's default when the answer says nothing usable."""
    try:
        response.read()
        if response.status_code != 200:
            return DEFAULT_MAX_ROWS
        solutions = parse_query_results(response.content, format=QueryResultsFormat.XML)
        if not isinstance(solutions, QuerySolutions):
            return DEFAULT_MAX_ROWS
        for row in solutions:
            value = row["maxRows"]
            if value is None:
                return None
            digits = _DIGITS.match(value.value) if isinstance(value, Literal) else None
            return int(digits.group(1)) if digits else DEFAULT_MAX_ROWS
    except (httpx.HTTPError, SyntaxError, ValueError):
        pass
    finally:
        response.close()
    return DEFAULT_MAX_ROWS


def _names_graph(request: httpx.Request) -> bool:
    """Whether ``request`` is a Graph Store request on a named graph."""
    return "graph-uri" in request.url.params


def _message(response: httpx.Response, limit: int = 300) -> str:
    """Virtuoso's error text on one line: the message of an HTML error page, or a plain
    message without the query it appends."""
    try:
        text = response.text.strip()
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        return response.reason_phrase or "no message"
    detail = _XMP.search(text)  # an HTML error page keeps the message in <xmp>
    text = detail.group(1) if detail else text.split("SPARQL query:")[0]
    text = " ".join(text.split())
    return (text[:limit] + "...") if len(text) > limit else (text or response.reason_phrase)
