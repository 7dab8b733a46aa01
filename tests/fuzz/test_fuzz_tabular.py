"""Fuzzing the tabular reader (CSV and JSON Lines) and adapter: mutated example exports and
generated rows of every record type. Only documented MES errors naming the file and line,
within the deadline; a refused file leaves the store unchanged."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from pyoxigraph import RdfFormat

from fuzz.strategies import FUZZ, MES_DATA, duplicate_line, mutated, outcome
from kgthread.errors import KgthreadError, MesInputError, ValidationFailed
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.mes import tabular
from kgthread.ingest.mes.adapter import TableAdapter
from kgthread.ingest.pipeline import Pipeline
from kgthread.store.embedded import EmbeddedStore

KINDS = sorted(tabular.SCHEMAS)
_WHERE = re.compile(r"^(?P<file>[\w.-]+)(:line \d+| line \d+|: line \d+|:)")


def _seed_files() -> dict[str, bytes]:
    files = {p.name: p.read_bytes() for p in sorted(MES_DATA.glob("*.csv"))}
    files.update({p.name: p.read_bytes() for p in sorted(MES_DATA.glob("*.jsonl"))})
    if not files:
        pytest.skip(f"no example exports in {MES_DATA}")
    return files


def _check_refusal(error: KgthreadError, name: str) -> None:
    if isinstance(error, ValidationFailed):
        return
    assert isinstance(error, MesInputError), repr(error)
    assert error.detail["file"] == name
    match = _WHERE.match(error.message)
    assert match is not None, error.message
    assert match.group("file") == name


def _ingest(store: EmbeddedStore, pipeline: Pipeline, name: str, data: bytes, kind: str) -> None:
    before = store.dump(None, RdfFormat.N_QUADS)
    options = IngestOptions(agent="fuzz", kind=kind)
    error = outcome(lambda: pipeline.ingest(TableAdapter().upload(name, data, options)))
    event("committed" if error is None else f"refused: {getattr(error, 'code', '?')}")
    if error is not None:
        _check_refusal(error, name)
        assert store.dump(None, RdfFormat.N_QUADS) == before


@FUZZ
@given(data=st.data())
def test_mutated_example_exports(
    store: EmbeddedStore, pipeline: Pipeline, data: st.DataObject
) -> None:
    files = _seed_files()
    name = data.draw(st.sampled_from(sorted(files)))
    originals = [files[name], *duplicate_line(files[name], b",")]
    document = data.draw(mutated(originals))
    kind = tabular.kind_of(None, name)
    _ingest(store, pipeline, name, document, kind)


_VALUE = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "1", "-0.5", "1e400", "EA", "mm", "2024-03-05T08:30:00Z", "A/B"]),
    st.none(),
)


@st.composite
def _table(draw: st.DrawFn) -> tuple[str, str, bytes]:
    kind = draw(st.sampled_from(KINDS))
    required, optional, _ = tabular.SCHEMAS[kind]
    columns = list(required) + draw(st.lists(st.sampled_from(optional or ("x",)), unique=True))
    if draw(st.booleans()):
        columns = columns[: draw(st.integers(0, len(columns)))]
    rows = draw(st.lists(st.fixed_dictionaries(dict.fromkeys(columns, _VALUE)), max_size=6))
    if draw(st.booleans()):
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row[c] is None else row[c] for c in columns])
        return f"{kind}.csv", kind, out.getvalue().encode("utf-8", "surrogatepass")
    lines = [json.dumps(row) for row in rows]
    return f"{kind}.jsonl", kind, "\n".join(lines).encode("utf-8", "surrogatepass")


@FUZZ
@given(_table())
def test_generated_tables(
    store: EmbeddedStore, pipeline: Pipeline, table: tuple[str, str, bytes]
) -> None:
    name, kind, data = table
    _ingest(store, pipeline, name, data, kind)


@pytest.mark.parametrize(
    ("name", "data", "phrase"),
    [
        ("shipments.jsonl", b"[" * 100_000 + b"]" * 100_000 + b"\n", "nested too deeply"),
        (
            "shipments.jsonl",
            b'{"shipment": ' + b"[" * 50_000 + b"]" * 50_000 + b"}\n",
            "nested too deeply",
        ),
        ("shipments.csv", b"shipment" + b",x" * tabular.MAX_COLUMNS + b"\n", "columns"),
        ("shipments.jsonl", b"{" + b" " * tabular.MAX_LINE + b"}\n", "longer than"),
        (
            "shipments.jsonl",
            json.dumps({"shipment": "x" * (tabular.MAX_FIELD + 1)}).encode() + b"\n",
            "field 'shipment' longer than",
        ),
    ],
    ids=["json-deep-array", "json-deep-value", "csv-columns", "long-line", "long-field"],
)
def test_structural_limits_are_refused_with_the_line(name: str, data: bytes, phrase: str) -> None:
    """Found by fuzzing: a JSON Lines record nested deeply crashed the reader with a
    RecursionError; a line without a newline was read whole, however long."""
    with pytest.raises(MesInputError, match=phrase) as info:
        list(tabular.read(io.BytesIO(data), name, "shipments"))
    assert info.value.detail["location"] == "line 1"
    assert info.value.message.startswith(f"{name}: line 1")
