"""The ``opcua-nodeset`` adapter: NodeSet2 files given together become one batch.

Files are put in dependency order from their ``<Models>`` (a companion specification after
the models it requires), so the command line order does not matter. A required model no
file provides is an error in strict mode (the hierarchy cannot be resolved without it) and a
reported problem in failsafe mode. Versions are tolerated: Machinery Examples names DI 1.02,
the shared DI file is 1.04, and the newer file serves.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kgthread.errors import NodesetError
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.batch import Batch, Source
from kgthread.ingest.sensors.classes import classes_and_typing
from kgthread.ingest.sensors.information import Findings, InformationModel
from kgthread.ingest.sensors.mapping import map_findings
from kgthread.ingest.sensors.nodeset import dependency_order, missing_models, read_nodeset

ADAPTER = "opcua-nodeset"
ADAPTER_VERSION = "1.0"
_log = logging.getLogger(__name__)


@dataclass
class ImportReport:
    """What an import found and skipped, for the CLI to print."""

    files: list[str] = field(default_factory=list)
    equipment: int = 0
    sensors: int = 0
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    """What each instance object was taken for (``Findings.roles``)."""


def _prefix(options: IngestOptions) -> tuple[str, ...]:
    raw = options.extra.get("equipment_prefix", "")
    return tuple(part for part in raw.split("/") if part.strip())


class NodesetAdapter:
    """OPC UA information models (NodeSet2 XML) as equipment, sensors and properties."""

    name = ADAPTER
    version = ADAPTER_VERSION

    def __init__(self) -> None:
        self.report = ImportReport()
        self.model: InformationModel | None = None

    def findings(self, paths: Sequence[Path], options: IngestOptions) -> Findings:
        files = dependency_order(read_nodeset(path) for path in paths)
        self.report = ImportReport(files=[f.path.name for f in files])
        for name, uri in missing_models(files):
            message = f"{name} requires the model {uri}: pass its NodeSet2 file too"
            if options.strict:
                raise NodesetError(message, file=name, model=uri)
            self.report.problems.append(message)
            _log.warning("%s", message)
        # A type hierarchy with a required model missing cannot be resolved: no classes.
        model = InformationModel(files)
        self.model = None if missing_models(files) else model
        found = model.findings()
        self.report.problems += found.problems
        self.report.counts = dict(found.counts)
        self.report.roles = dict(found.roles)
        self.report.equipment = len(found.equipment)
        self.report.sensors = len(found.sensors)
        for problem in found.problems:
            _log.warning("%s", problem)
        return found

    def batches(self, paths: Sequence[Path], options: IngestOptions) -> Iterator[Batch]:
        if not paths:
            raise NodesetError("no NodeSet2 files given")
        found = self.findings(paths, options)
        mapped = map_findings(found, prefix=_prefix(options))
        # ObjectTypes as OWL classes, machines typed by them (the reasoner's equipment).
        model = self.model
        typing = [] if model is None else classes_and_typing(model, found, _prefix(options))
        if not mapped.triples and not typing:
            problems = self.report.problems
            detail = f" ({len(problems)} problems, the first: {problems[0]})" if problems else ""
            raise NodesetError(
                f"{', '.join(self.report.files)}: nothing to import: no equipment, sensor or "
                f"object type{detail}",
                file=self.report.files[0] if self.report.files else "",
            )
        yield Batch(
            ADAPTER,
            ADAPTER_VERSION,
            [Source.of_file(path) for path in paths],
            triples=mapped.triples + typing,
            batch_id=options.batch_id,
            agent=options.agent,
            locations=mapped.locations,
        )

    def upload(self, name: str, data: bytes, options: IngestOptions) -> Batch:
        """One uploaded NodeSet2 document; its required models must be core only."""
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            # The upload's name is only a label: never a path out of (or onto) the folder.
            label = Path(name).name
            path = Path(folder) / (label if label not in ("", ".", "..") else "upload.xml")
            path.write_bytes(data)
            batch = next(self.batches([path], options))
        return Batch(
            ADAPTER,
            ADAPTER_VERSION,
            [Source.of_bytes(name, data)],
            triples=batch.triples,
            batch_id=options.batch_id,
            agent=options.agent,
            locations=batch.locations,
        )
