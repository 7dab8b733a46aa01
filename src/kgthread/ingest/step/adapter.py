"""The STEP adapter: ISO 10303-21 files to batches, wiring reader -> extraction -> mapping.

Files given together that reference each other (an assembly and the part files its
APPLIED_DOCUMENT_REFERENCEs name) become one batch, so the structure spans them; unrelated
files become one batch each. Adapter option ``crosswalk=PATH`` names a CSV of
``cad_id,part_number`` applied while mapping, ``encoding=NAME`` the code page of files not
written in UTF-8 (see docs/step.md).
"""

from __future__ import annotations

import codecs
import io
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from kgthread.errors import BadRequest
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.batch import Batch, Source
from kgthread.ingest.step import crosswalk
from kgthread.ingest.step.extract import extract
from kgthread.ingest.step.mapping import map_files
from kgthread.ingest.step.records import Extracted

ADAPTER = "step"
ADAPTER_VERSION = "1.0"

Progress = Callable[[str], None]
_PATH_SEPARATORS = re.compile(r"[\\/]")


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def summary(extracted: Extracted) -> str:
    schema = extracted.header.schema.label if extracted.header.schema else "unknown schema"
    return (
        f"{schema}: {len(extracted.parts)} parts, {len(extracted.usages)} usages, "
        f"{len(extracted.characteristics)} characteristics"
    )


class StepAdapter:
    """STEP AP203/AP214/AP242 files as batches of parts, revisions, usages and PMI."""

    name = ADAPTER
    version = ADAPTER_VERSION

    def __init__(self, progress: Progress | None = _stderr) -> None:
        self.progress = progress or (lambda _message: None)

    def batches(self, paths: Sequence[Path], options: IngestOptions) -> Iterator[Batch]:
        table = _crosswalk(options)
        encoding = _encoding(options)
        files: list[tuple[Extracted, Source]] = []
        for number, path in enumerate(paths, start=1):
            if not path.is_file():
                raise BadRequest(f"{path}: no such file", file=str(path))
            started = time.perf_counter()
            source = Source.of_file(path)
            with path.open("rb") as stream:
                extracted, instances = extract(
                    stream, path.name, strict=options.strict, encoding=encoding
                )
            seconds = time.perf_counter() - started
            self.progress(
                f"[{number}/{len(paths)}] {path.name}: {instances} instances, "
                f"{summary(extracted)} ({seconds:.2f} s)"
            )
            for problem in extracted.problems:
                self.progress(f"  warning: {problem}")
            files.append((extracted, source))
        groups = self._groups(files)
        for group in groups:
            batch_id = options.batch_id if len(groups) == 1 else None
            yield self._batch(group, table, options, batch_id)

    def upload(self, name: str, data: bytes, options: IngestOptions) -> Batch:
        if "crosswalk" in options.extra:
            raise BadRequest(
                "the crosswalk option names a file on the server and is refused for uploads; "
                "ingest with the CLI, or number parts alike in CAD and MES",
                option="crosswalk",
            )
        extracted, _ = extract(
            io.BytesIO(data), name, strict=options.strict, encoding=_encoding(options)
        )
        return self._batch(
            [(extracted, Source.of_bytes(name, data))], {}, options, options.batch_id
        )

    def _batch(
        self,
        files: list[tuple[Extracted, Source]],
        table: dict[str, str],
        options: IngestOptions,
        batch_id: str | None,
    ) -> Batch:
        mapped = map_files(files, table)
        for problem in mapped.problems:
            self.progress(f"  warning: {problem}")
        return Batch(
            ADAPTER,
            ADAPTER_VERSION,
            [source for _, source in files],
            triples=mapped.triples,
            batch_id=batch_id,
            agent=options.agent,
            locations=mapped.locations,
        )

    def _groups(
        self, files: list[tuple[Extracted, Source]]
    ) -> list[list[tuple[Extracted, Source]]]:
        """Files joined by external references, in the order given."""
        by_name = {extracted.file.lower(): i for i, (extracted, _) in enumerate(files)}
        parent = list(range(len(files)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for i, (extracted, _) in enumerate(files):
            for reference in extracted.external:
                target = _PATH_SEPARATORS.split(reference.file_name)[-1].lower()
                j = by_name.get(target)
                if j is None:
                    self.progress(
                        f"  {reference.where}: {reference.part} is defined in "
                        f"{reference.file_name}, which was not given: its own structure is missing"
                    )
                    continue
                parent[root(j)] = root(i)
        groups: dict[int, list[tuple[Extracted, Source]]] = {}
        for i, item in enumerate(files):
            groups.setdefault(root(i), []).append(item)
        return list(groups.values())


def _encoding(options: IngestOptions) -> str | None:
    name = options.extra.get("encoding")
    if not name:
        return None
    try:
        codecs.lookup(name)
    except LookupError:
        raise BadRequest(f"unknown encoding {name!r}", option="encoding") from None
    return name


def _crosswalk(options: IngestOptions) -> dict[str, str]:
    path = options.extra.get("crosswalk")
    return crosswalk.load(Path(path)) if path else {}
