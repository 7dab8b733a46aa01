"""Graph Store Protocol requests of a remote store: a graph written whole, appended to or
read, and a bulk file sent in bounded pieces. Each request goes through the store's
``send`` (safe retries, writes counted for its state reuse)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import httpx
from pyoxigraph import NamedNode, RdfFormat

from kgthread.store import bulk_files
from kgthread.store.dialects import Dialect, Operation


class Send(Protocol):
    """``RemoteStore._send``: one request, retried when that is safe."""

    def __call__(
        self,
        method: str,
        url: str,
        operation: Operation,
        *,
        params: Any = None,
        headers: Any = None,
        content: Callable[[], Any] | None = None,
        idempotent: bool = False,
    ) -> httpx.Response: ...


class GraphStoreRequests:
    """The Graph Store requests of one store (``endpoint``), in ``dialect``'s terms."""

    def __init__(self, dialect: Dialect, endpoint: str, send: Send) -> None:
        self.dialect = dialect
        self.endpoint = endpoint
        self._send = send

    def get(self, graph: NamedNode) -> httpx.Response:
        """The answer to a ``GET`` of ``graph``, unread."""
        url, params = self.dialect.graph_store_request(self.endpoint, graph)
        headers = {"Accept": self.dialect.graph_accept}
        return self._send(
            "GET", url, "graph-store", params=params, headers=headers, idempotent=True
        )

    def upload(
        self,
        graph: NamedNode,
        source: Path,
        rdf_format: RdfFormat,
        statements: int,
        progress: Callable[[int], None] | None,
    ) -> None:
        """``source`` into ``graph`` as pieces of at most ``statements`` statements, each
        one request with a ``Content-Length`` (Virtuoso stores nothing of a chunked body):
        a ``PUT`` for the first (it clears whatever the name held), a ``POST`` (append) for
        each next. N-Triples and N-Quads are cut on line boundaries without parsing; other
        formats are parsed and each piece re-serialised as N-Triples (N-Quads for datasets).
        A piece is retried like a ``PUT``: posting the same statements into an RDF graph
        twice leaves it as posting them once (a graph is a set), so a retry never duplicates.
        A blank-node label is scoped to one request, so a file that names blank nodes goes
        whole in one request, as before (the store's memory then bounds its size)."""
        if bulk_files.mentions_blank_nodes(source, rdf_format):
            self.put(
                graph,
                lambda: bulk_files.file_chunks(source, progress),
                rdf_format,
                source.stat().st_size,
            )
            return
        if rdf_format in bulk_files.LINE_FORMATS:
            pieces = bulk_files.line_pieces(source, statements)
            media_type = upload_type(self.dialect, rdf_format)
        else:
            pieces = bulk_files.parsed_pieces(source, rdf_format, statements)
            piece_format = (
                RdfFormat.N_QUADS if rdf_format.supports_datasets else RdfFormat.N_TRIPLES
            )
            media_type = upload_type(self.dialect, piece_format)
        sent = 0
        for index, piece in enumerate(pieces):
            self._send_piece(graph, piece, media_type, first=index == 0)
            sent += len(piece)
            if progress is not None:
                progress(sent)
        if progress is not None:
            progress(source.stat().st_size)

    def _send_piece(self, graph: NamedNode, body: bytes, media_type: str, *, first: bool) -> None:
        url, params = self.dialect.graph_store_request(self.endpoint, graph)
        self._send(
            "PUT" if first else "POST",
            url,
            "graph-store",
            params=params,
            headers={"Content-Type": media_type, "Content-Length": str(len(body))},
            content=lambda: body,
            idempotent=True,
        ).close()

    def put(
        self,
        graph: NamedNode,
        content: Callable[[], Any],
        rdf_format: RdfFormat,
        length: int | None = None,
    ) -> None:
        """``length``: the size of a streamed body, sent as ``Content-Length`` so that it
        goes with its length rather than chunked (Virtuoso stores nothing of a chunked
        body, and a length lets any store refuse a short upload)."""
        url, params = self.dialect.graph_store_request(self.endpoint, graph)
        headers = {"Content-Type": upload_type(self.dialect, rdf_format)}
        if length is not None:
            headers["Content-Length"] = str(length)
        self._send(
            "PUT",
            url,
            "graph-store",
            params=params,
            headers=headers,
            content=content,
            idempotent=True,
        ).close()

    def post(self, graph: NamedNode, body: bytes) -> None:
        url, params = self.dialect.graph_store_request(self.endpoint, graph)
        headers = {"Content-Type": self.dialect.upload_media_type}
        self._send(
            "POST", url, "graph-store", params=params, headers=headers, content=lambda: body
        ).close()


def upload_type(dialect: Dialect, rdf_format: RdfFormat) -> str:
    return dialect.upload_media_type if rdf_format == RdfFormat.N_TRIPLES else rdf_format.media_type
