"""The adapter registry: one name per source format, shared by the CLI and the REST API.

An adapter turns source files (or one upload) into batches and knows nothing of the store
or the gate; the pipeline does the rest. Adapters are imported by name when first used, so
a missing optional dependency of one adapter cannot break the others.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from kgthread.errors import NotFound
from kgthread.ingest.batch import Batch


@dataclass(frozen=True)
class IngestOptions:
    """What a caller may say about an ingest beyond the files themselves."""

    agent: str = "anonymous"
    batch_id: str | None = None
    kind: str | None = None
    """Record type, for adapters that read several (the tabular adapter)."""
    strict: bool = True
    """Refuse the whole input on the first malformed record (failsafe: skip and report)."""
    extra: Mapping[str, str] = field(default_factory=dict)
    """Adapter-specific options (``--option key=value`` on the CLI, query string in REST)."""


class Adapter(Protocol):
    name: str
    version: str

    def batches(self, paths: Sequence[Path], options: IngestOptions) -> Iterator[Batch]:
        """Batches for files given together (one batch may span several files, e.g. a STEP
        assembly and the part files it references)."""
        ...

    def upload(self, name: str, data: bytes, options: IngestOptions) -> Batch:
        """The batch for one uploaded document."""
        ...


_REGISTRY: dict[str, str] = {
    "rdf": "kgthread.ingest.rdf_files:RdfAdapter",
    "step": "kgthread.ingest.step.adapter:StepAdapter",
    "b2mml": "kgthread.ingest.mes.adapter:B2mmlAdapter",
    "table": "kgthread.ingest.mes.adapter:TableAdapter",
    "opcua-nodeset": "kgthread.ingest.sensors.adapter:NodesetAdapter",
}


def names() -> list[str]:
    return sorted(_REGISTRY)


def get(name: str) -> Adapter:
    """The adapter registered as ``name``; :class:`NotFound` lists the known ones."""
    target = _REGISTRY.get(name)
    if target is None:
        raise NotFound(f"no ingest adapter {name!r}; known: {', '.join(names())}", adapter=name)
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise NotFound(f"ingest adapter {name!r} is not available: {exc}", adapter=name) from exc
    adapter: Adapter = getattr(module, class_name)()
    return adapter
