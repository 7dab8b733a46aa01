"""The MES adapters: B2MML/BatchML documents and CSV/JSON Lines tables into batches.

The one place readers meet the mapping. One file is one batch in its own named graph, so a
refused file leaves the store as it was and a re-sent file is a no-op. A document too large to
hold its triples in memory is spilled to an N-Triples file that the store bulk-loads after the
gate has seen it. In failsafe mode malformed records are skipped and logged, not fatal.
"""

from __future__ import annotations

import io
import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from pyoxigraph import RdfFormat, Triple

from kgthread.errors import MesInputError, UnsupportedFormat
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.batch import Batch, BulkFile, Source
from kgthread.ingest.mes import b2mml, tabular
from kgthread.ingest.mes.mapping import Mapper, Statement
from kgthread.ingest.mes.records import Record

VERSION = "1.0"
SPILL_BYTES = 4 * 1024 * 1024
"""Source size above which mapped triples go to a file for the bulk path: a genealogy row
of ~100 bytes becomes ~1.5 kB of N-Triples, so 4 MiB of CSV is already ~60 MB of RDF."""
log = logging.getLogger(__name__)
Skip = Callable[[MesInputError], None] | None


class _MesAdapter:
    name = ""
    version = VERSION

    def __init__(self, spill_bytes: int = SPILL_BYTES) -> None:
        self.spill_bytes = spill_bytes

    def records(
        self, source: BinaryIO, name: str, options: IngestOptions, skip: Skip = None
    ) -> Iterator[Record]:
        raise NotImplementedError

    def batches(self, paths: Sequence[Path], options: IngestOptions) -> Iterator[Batch]:
        for path in paths:
            if not path.is_file():
                raise UnsupportedFormat(f"{path}: no such file", file=str(path))
            batch_id = options.batch_id if len(paths) == 1 else None
            sources = [Source.of_file(path)]
            if path.stat().st_size < self.spill_bytes:
                with path.open("rb") as handle:
                    yield self._in_memory(handle, path.name, sources, options, batch_id)
                continue
            with tempfile.TemporaryDirectory(prefix="kgthread-mes-") as folder:
                spilled = Path(folder) / "batch.nt"
                with path.open("rb") as handle:
                    self._spill(handle, path.name, spilled, options)
                bulk = BulkFile(spilled, RdfFormat.N_TRIPLES)
                yield Batch(
                    self.name,
                    self.version,
                    sources,
                    bulk=bulk,
                    batch_id=batch_id,
                    agent=options.agent,
                )

    def upload(self, name: str, data: bytes, options: IngestOptions) -> Batch:
        sources = [Source.of_bytes(name, data)]
        return self._in_memory(io.BytesIO(data), name, sources, options, options.batch_id)

    def mapped(
        self, source: BinaryIO, name: str, options: IngestOptions, mapper: Mapper
    ) -> Iterator[list[Statement]]:
        """The statements of each record in turn (what the benchmark measures, too). In
        failsafe mode every skipped record is logged, and a document of which nothing is left
        is an error, not an empty batch."""
        skipped: list[MesInputError] = []

        def skip(exc: MesInputError) -> None:
            _skip(exc)
            skipped.append(exc)

        mapped_any = False
        for record in self.records(source, name, options, None if options.strict else skip):
            try:
                statements = mapper.map(record)
            except MesInputError as exc:
                if options.strict:
                    raise
                skip(exc)
                continue
            mapped_any = mapped_any or bool(statements)
            yield statements
        if skipped and not mapped_any:
            first = skipped[0]
            raise MesInputError(
                f"{name}: nothing left to ingest: failsafe reading skipped {len(skipped)} "
                f"records (the first: {first.message})",
                **first.detail,
            )

    def _in_memory(
        self,
        source: BinaryIO,
        name: str,
        sources: list[Source],
        options: IngestOptions,
        batch_id: str | None,
    ) -> Batch:
        mapper = Mapper()
        statements: list[Statement] = []
        for chunk in self.mapped(source, name, options, mapper):
            statements.extend(chunk)
        return Batch(
            self.name,
            self.version,
            sources,
            triples=[Triple(s, p, o) for s, p, o in dict.fromkeys(statements)],
            batch_id=batch_id,
            agent=options.agent,
            locations=mapper.locations,
        )

    def _spill(self, source: BinaryIO, name: str, target: Path, options: IngestOptions) -> None:
        mapper = Mapper(keep_locations=False)
        with target.open("w", encoding="utf-8") as out:
            for chunk in self.mapped(source, name, options, mapper):
                out.writelines(_ntriples(chunk))


def _ntriples(statements: Iterable[Statement]) -> Iterator[str]:
    for s, p, o in statements:
        yield f"{s} {p} {o} .\n"


def _skip(exc: MesInputError) -> None:
    log.warning("skipped: %s", exc.message)


class B2mmlAdapter(_MesAdapter):
    """B2MML V0401/V0600/V0700 and BatchML documents (``kgthread ingest b2mml FILE...``)."""

    name = "b2mml"

    def records(
        self, source: BinaryIO, name: str, options: IngestOptions, skip: Skip = None
    ) -> Iterator[Record]:
        return b2mml.read(source, name, skip)


class TableAdapter(_MesAdapter):
    """CSV and JSON Lines exports, one record type per file (``--kind``; docs/mes-tables.md)."""

    name = "table"

    def records(
        self, source: BinaryIO, name: str, options: IngestOptions, skip: Skip = None
    ) -> Iterator[Record]:
        kind = tabular.kind_of(options.kind, name)
        encoding = options.extra.get("encoding") or None
        return tabular.read(source, name, kind, encoding, skip)
