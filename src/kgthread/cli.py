"""The ``kgthread`` command: serve, load, sample, query, validate.

Exit codes follow pySHACL: 0 success (or conforms), 1 data does not conform, 2 any other
error. Errors print one line naming the file, line or focus node; no traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import socket
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pyoxigraph import NamedNode, QueryBoolean, QueryResultsFormat, QuerySolutions, RdfFormat

from kgthread import __version__, history, queries
from kgthread.audit import AuditTrail, audit_folder
from kgthread.audit.log import LOG_FILE, AuditLog
from kgthread.config import Settings
from kgthread.errors import BadRequest, KgthreadError, ValidationFailed
from kgthread.gate import Gate
from kgthread.ingest import adapters
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.batch import Batch, BulkFile, class_counts
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.rdf_files import batch_from_file, format_of
from kgthread.reasoning import Reasoner
from kgthread.store.base import GraphStore
from kgthread.store.opening import open_store, store_location

_RESULT_FORMATS = {
    "json": QueryResultsFormat.JSON,
    "xml": QueryResultsFormat.XML,
    "csv": QueryResultsFormat.CSV,
    "tsv": QueryResultsFormat.TSV,
}
_GRAPH_FORMATS = {
    "turtle": RdfFormat.TURTLE,
    "ntriples": RdfFormat.N_TRIPLES,
    "jsonld": RdfFormat.JSON_LD,
    "rdfxml": RdfFormat.RDF_XML,
}


def _version_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--document",
        help="identity of the source document across versions (default: the file names); "
        "a new version replaces the current one",
    )
    command.add_argument(
        "--append",
        action="store_true",
        help="the source only adds (events, summaries): replace no earlier version",
    )


def _versioned(batch: Batch, args: argparse.Namespace) -> Batch:
    """``batch`` with the document identity and append mode the command line gave."""
    document = args.document or batch.document
    return dataclasses.replace(batch, document=document, append=args.append or batch.append)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kgthread", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"kgthread {__version__}")
    parser.add_argument("--data", type=Path, help="store folder (default: $KGTHREAD_DATA)")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve SPARQL, Graph Store and REST over HTTP")
    serve.add_argument("--host", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--enable-update", action="store_true", default=None)

    load = commands.add_parser("load", help="load RDF files through the SHACL gate")
    load.add_argument("files", nargs="+", type=Path)
    load.add_argument("--format", help="RDF format or media type (default: by extension)")
    load.add_argument(
        "--batch-id", help="idempotency key: a retry with it is applied once (default: new id)"
    )
    _version_options(load)
    load.add_argument("--base-iri", help="base IRI for relative IRIs")

    sample = commands.add_parser("sample", help="write a synthetic sample factory")
    sample.add_argument("--scale", type=int, default=10_000, help="about how many triples")
    sample.add_argument("--seed", type=int, default=1)
    sample.add_argument("--out", type=Path, required=True, help="N-Triples file (.nt)")

    query = commands.add_parser("query", help="run a SPARQL query against the store")
    query.add_argument("sparql", nargs="?", help="the query text, or @FILE to read it from a file")
    query.add_argument("--named", help="run the named query queries/NAME.rq instead")
    query.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="named-query value"
    )
    query.add_argument(
        "--format", default=None, choices=sorted([*_RESULT_FORMATS, *_GRAPH_FORMATS])
    )
    query.add_argument(
        "--as-of",
        metavar="TIME",
        help="answer as known at TIME (ISO 8601): over the batches current then",
    )

    ingest = commands.add_parser("ingest", help="ingest source files with an adapter")
    ingest.add_argument("adapter", help="adapter: " + ", ".join(adapters.names()))
    ingest.add_argument("files", nargs="+", type=Path)
    ingest.add_argument("--kind", help="record type, for the tabular adapter")
    ingest.add_argument(
        "--batch-id", help="idempotency key: a retry with it is applied once (default: new id)"
    )
    _version_options(ingest)
    ingest.add_argument("--failsafe", action="store_true", help="skip malformed records")
    ingest.add_argument(
        "--option", action="append", default=[], metavar="KEY=VALUE", help="adapter option"
    )

    opcua = commands.add_parser("opcua", help="OPC UA: import information models, watch servers")
    opcua_commands = opcua.add_subparsers(dest="opcua_command", required=True)
    nodeset = opcua_commands.add_parser(
        "import-nodeset", help="map NodeSet2 files to equipment, sensors and properties"
    )
    nodeset.add_argument("files", nargs="+", type=Path)
    nodeset.add_argument("--equipment-prefix", help="ISA-95 path above the machines, a/b/c")
    nodeset.add_argument(
        "--batch-id", help="idempotency key: a retry with it is applied once (default: new id)"
    )
    nodeset.add_argument("--failsafe", action="store_true", help="allow missing required models")
    opcua_watch = opcua_commands.add_parser(
        "watch", help="subscribe to a server and commit window summaries"
    )
    opcua_watch.add_argument("--endpoint", help="opc.tcp://HOST:PORT (default: from the config)")
    opcua_watch.add_argument("--config", type=Path, required=True, help="TOML file (docs/opcua.md)")
    opcua_watch.add_argument("--state-file", type=Path, help="checkpoint of the open windows")
    opcua_watch.add_argument("--duration", type=float, help="stop after this many seconds")

    validate = commands.add_parser("validate", help="check files against the shapes")
    validate.add_argument("files", nargs="+", type=Path)
    validate.add_argument("--format", help="RDF format or media type (default: by extension)")
    validate.add_argument("--engine", choices=["native", "pyshacl"], help="SHACL engine")

    key = commands.add_parser("key", help="make an API key: the key once, its hash entry")
    key.add_argument("action", choices=["new"])
    key.add_argument("--name", required=True, help="who holds the key (the audit trail's name)")
    key.add_argument("--role", required=True, choices=["read", "write", "admin"])
    key.add_argument(
        "--source", action="append", help="source system it may read (repeat; default: all)"
    )

    reason = commands.add_parser(
        "reason", help="entailments and design conformance: rebuild, explain, check"
    )
    reason.add_argument("action", choices=["rebuild", "explain", "check-ontology", "conformance"])
    reason.add_argument("terms", nargs="*", help="explain: S P O (IRIs); check-ontology: files")
    reason.add_argument("--unit", help="conformance: check and show this unit only (IRI)")

    audit = commands.add_parser("audit", help="the audit trail: verify the chain and the store")
    audit.add_argument("action", choices=["verify"])
    audit.add_argument("--json", action="store_true", help="print the verification as JSON")
    audit.add_argument(
        "--head", metavar="HASH", help="a head hash kept elsewhere: the chain must contain it"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env(data=args.data)
        handler: Callable[[argparse.Namespace, Settings], int] = _HANDLERS[args.command]
        return handler(args, settings)
    except ValidationFailed as exc:
        print(f"kgthread: {exc.message}", file=sys.stderr)
        report = exc.detail.get("report")
        if report:
            print(json.dumps(report, indent=2), file=sys.stderr)
        return exc.exit_code
    except KgthreadError as exc:
        print(f"kgthread: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from kgthread.api.app import create_app
    from kgthread.api.auth import binding_notice

    settings = settings.with_(
        host=args.host or settings.host,
        port=settings.port if args.port is None else args.port,
        enable_update=args.enable_update or settings.enable_update,
    )
    app = create_app(settings)
    notice = binding_notice(app.state.authenticator, settings.host)
    # Bound here, before the server starts, so that port 0 (any free port) can be reported.
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    try:
        sock = socket.create_server((settings.host, settings.port), family=family)
    except OSError as exc:
        print(f"kgthread: cannot listen on {settings.host}:{settings.port}: {exc}", file=sys.stderr)
        return 2
    with sock:
        port = sock.getsockname()[1]
        print(f"kgthread: {notice}", file=sys.stderr)
        print(
            f"kgthread {__version__}: serving {store_location(settings)} on "
            f"http://{settings.host}:{port} (SPARQL at /sparql, Graph Store at /store, "
            "API docs at /docs)",
            file=sys.stderr,
            flush=True,
        )
        uvicorn.Server(uvicorn.Config(app, log_level="info")).run(sockets=[sock])
    return 0


def _load(args: argparse.Namespace, settings: Settings) -> int:
    store = open_store(settings)
    try:
        pipeline = _pipeline(store, settings)
        for path in args.files:
            batch = batch_from_file(
                path,
                rdf_format=args.format,
                bulk_threshold=settings.bulk_threshold_bytes,
                base_iri=args.base_iri,
                batch_id=args.batch_id,
            )
            batch = _versioned(batch, args)
            progress = _progress_printer(path) if batch.bulk is not None else None
            result = pipeline.ingest(batch, progress=progress)
            if progress is not None:
                print(file=sys.stderr)
            verb = _VERBS[result.status].format("loaded")
            rate = result.triple_count / result.seconds if result.seconds else 0.0
            print(
                f"{path.name}: {verb} as batch {result.batch_id} "
                f"({result.triple_count} triples, {result.seconds:.2f} s, {rate:,.0f} triples/s)"
            )
    finally:
        store.close()
    return 0


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    adapter = adapters.get(args.adapter)
    options = IngestOptions(
        agent="cli",
        batch_id=args.batch_id,
        kind=args.kind,
        strict=not args.failsafe,
        extra=_key_values(args.option),
    )
    store = open_store(settings)
    try:
        pipeline = _pipeline(store, settings)
        for batch in adapter.batches(args.files, options):
            batch = _versioned(batch, args)
            result = pipeline.ingest(batch)
            verb = _VERBS[result.status].format("ingested")
            names = ", ".join(s.name or s.sha256[:12] for s in batch.sources)
            version = f", version {result.version}" if result.version else ""
            print(
                f"{names}: {verb} as batch {result.batch_id}{version} "
                f"({result.triple_count} triples)"
            )
            for cls, count in sorted(class_counts(batch.triples).items()):
                print(f"  {count:>8} {cls}")
    finally:
        store.close()
    return 0


_VERBS = {
    "committed": "{}",
    "duplicate": "already {}",  # the same batch id (a retry) with the same content
    "unchanged": "unchanged",  # the current version of the document holds the same content
}


def _key_values(pairs: Sequence[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise BadRequest(f"--option takes KEY=VALUE, not {pair!r}")
        values[key] = value
    return values


def _pipeline(store: GraphStore, settings: Settings) -> Pipeline:
    return Pipeline(
        store,
        Gate.default(settings.gate_engine),
        gate_memory_limit=settings.gate_memory_limit_bytes,
        audit=_trail(store, settings),
        reasoner=Reasoner() if settings.reasoning else None,
    )


def _trail(store: GraphStore, settings: Settings) -> AuditTrail | None:
    folder = audit_folder(settings)
    return None if folder is None else AuditTrail.open(folder, store)


def _audit(args: argparse.Namespace, settings: Settings) -> int:
    """Verify without writing anything: 0 when the chain and the store hold, 1 with each
    finding (what and where) when they do not."""
    from kgthread.audit import verify

    folder = audit_folder(settings)
    if folder is None:
        raise BadRequest("a remote store keeps an audit trail only where audit_dir names one")
    store = open_store(settings)
    try:
        if not (folder / LOG_FILE).exists() and store.graph_names():
            print(f"missing-log at {folder / LOG_FILE}: the store holds graphs, the log is gone")
            return 1
        # Read only: verification never writes to the log it checks.
        trail = AuditTrail(AuditLog(folder, read_only=True))
        result = verify(trail, store, head=args.head)
    finally:
        store.close()
    for seq, what, state in result.judged:
        print(
            f"pending entry seq {seq} ({what}): {state}, as the service will record it "
            "when it next opens the store",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        for finding in result.findings:
            print(finding)
        verdict = "holds" if result.holds else f"BROKEN: {len(result.findings)} finding(s)"
        print(
            f"audit trail {verdict}: {result.entries} entries, "
            f"{result.graphs_checked} graphs checked, head {result.head}"
        )
    return 0 if result.holds else 1


def _progress_printer(path: Path) -> Callable[[int], None]:
    total = max(path.stat().st_size, 1)
    last = [0.0]

    def report(done: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5 or done >= total:
            last[0] = now
            print(
                f"\r{path.name}: {100 * done / total:5.1f}% ({done >> 20} of {total >> 20} MiB)",
                end="",
                file=sys.stderr,
                flush=True,
            )

    return report


def _sample(args: argparse.Namespace, settings: Settings) -> int:
    from kgthread.sample import generate

    summary = generate(args.scale, args.seed, args.out)
    print(f"{args.out}: {summary.triples} triples (seed {args.seed})")
    return 0


def _query(args: argparse.Namespace, settings: Settings) -> int:
    if bool(args.sparql) == bool(args.named):
        raise BadRequest("give either a query text or --named NAME")
    moment = history.parse_moment(args.as_of, name="--as-of") if args.as_of else None
    named = queries.get(args.named) if args.named else None
    text = args.sparql or ""
    if text.startswith("@"):
        text = Path(text[1:]).read_text(encoding="utf-8")
    opened = open_store(settings)
    store = opened if moment is None else history.store_at(opened, moment, name="--as-of")
    try:
        if named is not None:
            result = named.run(store, _key_values(args.param))
        else:
            result = store.query(text)
        out = sys.stdout.buffer
        if isinstance(result, QuerySolutions | QueryBoolean):
            fmt = _RESULT_FORMATS.get(args.format or "json")
            if fmt is None:
                raise BadRequest(f"--format {args.format} is for graphs; use json, xml, csv, tsv")
            out.write(result.serialize(format=fmt) or b"")
        else:
            graph_format = _GRAPH_FORMATS.get(args.format or "turtle")
            if graph_format is None:
                raise BadRequest(f"--format {args.format} is for results; use turtle, ntriples")
            out.write(result.serialize(format=graph_format) or b"")
        out.flush()
    finally:
        if store is not opened:
            store.close()
        opened.close()
    return 0


def _validate(args: argparse.Namespace, settings: Settings) -> int:
    gate = Gate.default(args.engine or settings.gate_engine)
    conforms = True
    for path in args.files:
        bulk = BulkFile(path, format_of(path, args.format), path.resolve().as_uri())
        if not path.is_file():
            raise BadRequest(f"{path}: no such file")
        checked = gate.check_file(bulk, None)
        report = checked.report
        if report.conforms:
            print(f"{path.name}: conforms ({checked.triple_count} triples)")
        else:
            conforms = False
            print(f"{path.name}: does not conform ({len(report.results)} results)")
            for result in report.results:
                print(
                    f"  {result.severity.rsplit('#', 1)[-1]}: {result.focus_node}"
                    f" {result.result_path or ''}: {result.message}"
                )
    return 0 if conforms else 1


def _opcua(args: argparse.Namespace, settings: Settings) -> int:
    """``opcua import-nodeset`` goes through the adapter and pipeline as ``ingest`` does;
    ``opcua watch`` composes the watcher with the pipeline and the store's operations."""
    import asyncio
    import dataclasses
    import logging

    from kgthread.ingest.sensors.adapter import NodesetAdapter
    from kgthread.ingest.sensors.config import load_config
    from kgthread.ingest.sensors.operations import StoreOperations
    from kgthread.ingest.sensors.watcher import default_state_file, watch

    logging.basicConfig(level=logging.WARNING, format="kgthread: %(message)s")
    store = open_store(settings)
    try:
        pipeline = _pipeline(store, settings)
        if args.opcua_command == "import-nodeset":
            adapter = NodesetAdapter()
            extra = {"equipment_prefix": args.equipment_prefix or ""}
            options = IngestOptions(
                agent="cli", batch_id=args.batch_id, strict=not args.failsafe, extra=extra
            )
            for batch in adapter.batches(args.files, options):
                result = pipeline.ingest(batch)
                verb = _VERBS[result.status].format("imported")
                report = adapter.report
                print(
                    f"{', '.join(report.files)}: {verb} as batch {result.batch_id} "
                    f"({report.equipment} equipment, {report.sensors} sensors, "
                    f"{result.triple_count} triples)"
                )
                for problem in report.problems:
                    print(f"  skipped: {problem}")
            return 0
        config = load_config(args.config, args.endpoint)
        state = args.state_file or config.state_file
        config = dataclasses.replace(
            config, state_file=state or default_state_file(settings.data, config.endpoint or "")
        )
        counts = asyncio.run(
            watch(config, pipeline, operations=StoreOperations(store), duration=args.duration)
        )
        print(json.dumps(counts, indent=2, sort_keys=True))
    finally:
        store.close()
    return 0


def _reason(args: argparse.Namespace, settings: Settings) -> int:
    """Rebuild the inferred graph, explain one entailed triple, or check ontology files with
    HermiT (the shipped ontology when none are given); 1 when not entailed or rejected."""
    from kgthread import reasoning

    if args.action == "check-ontology":
        from kgthread.reasoning.hierarchy import ontology_files
        from kgthread.reasoning.tbox import classify

        report = classify([Path(t) for t in args.terms] or ontology_files())
        print(json.dumps(report.to_json(), indent=2))
        return 0 if report.accepted else 1
    if args.action == "explain" and len(args.terms) != 3:
        raise BadRequest("explain takes SUBJECT PREDICATE OBJECT (IRIs)")
    store = open_store(settings)
    try:
        if args.action == "rebuild":
            done = reasoning.Reasoner().rebuild(store)
            print(f"{done.inferred} inferred triples in {done.graph.value}")
            return 0
        if args.action == "conformance":
            return _conformance(store, args.unit)
        try:
            s, p, o = (NamedNode(term) for term in args.terms)
        except ValueError as exc:
            raise BadRequest(f"explain takes IRIs: {exc}") from exc
        why = reasoning.explain(store, s, p, o)
        print(json.dumps(why.to_json(), indent=2) if why else "not entailed")
        return 0 if why else 1
    finally:
        store.close()


def _conformance(store: GraphStore, unit: str | None) -> int:
    """Check every unit (or one unit's revision) against its derived design shapes and
    store the reports; 1 when a unit does not conform."""
    from kgthread.reasoning import conformance_reports

    if unit is None:
        checked = conformance_reports.check_all(store)
        print(json.dumps(checked.to_json(), indent=2))
        return 1 if checked.nonconforming else 0
    try:
        node = NamedNode(unit)
    except ValueError as exc:
        raise BadRequest(f"--unit takes an IRI: {exc}") from exc
    found = conformance_reports.check_unit(store, node)
    print(json.dumps(found.to_json(), indent=2))
    return 0 if found.conforms else 1


def _key(args: argparse.Namespace, settings: Settings) -> int:
    """Print a new key on stdout (shown once) and the entry for ``api_keys_file`` on stderr."""
    from kgthread.api.auth import key_entry, new_key

    key, digest = new_key()
    print(key)
    print(
        f"# add to {settings.api_keys_file or 'the api_keys_file'}; the key itself is not kept:\n"
        + key_entry(args.name, digest, args.role, args.source),
        file=sys.stderr,
    )
    return 0


_HANDLERS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "serve": _serve,
    "load": _load,
    "sample": _sample,
    "query": _query,
    "validate": _validate,
    "ingest": _ingest,
    "opcua": _opcua,
    "reason": _reason,
    "audit": _audit,
    "key": _key,
}

if __name__ == "__main__":
    sys.exit(main())
