"""Bad STEP input is refused before anything is stored: truncation at several points, garbage
bytes, wrong encodings, an unknown schema, a dangling reference; the CLI exits 2 and the API
answers 422 problem+json."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import RdfFormat

from api.live_server import Live
from ingest.step.truth import step_dir
from kgthread.cli import main
from kgthread.errors import StepSyntaxError
from kgthread.ingest.adapters import IngestOptions
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.step.adapter import StepAdapter
from kgthread.store.embedded import EmbeddedStore

SMALL = "cax-if-ap214/s1-c5-214/FOOT.stp"
OPTIONS = IngestOptions(agent="test")


def _original() -> bytes:
    return (step_dir() / SMALL).read_bytes()


def _variants() -> dict[str, tuple[bytes, str]]:
    """Broken copies of a real file and a phrase the refusal must contain."""
    data = _original()
    data_start = data.index(b"DATA;")
    end_data = data.rindex(b"ENDSEC;")
    product = data.index(b"#28=PRODUCT(")
    return {
        "truncated in the header": (data[: data_start - 20], "ends inside"),
        "truncated mid-instance": (data[: product + 20], "ends inside a statement"),
        "truncated after an instance": (data[: product + 50], "ends inside"),
        "no ENDSEC": (data[:end_data], "no ENDSEC"),
        "no END-ISO-10303-21": (data[: end_data + len(b"ENDSEC;")], "END-ISO-10303-21"),
        "garbage bytes": (data[:product] + b"\x00\x07\xff\xfe" + data[product:], "line"),
        "latin-1 text": (data.replace(b"'FOOT_FRONT_000'", b"'F\xd6\xd6T'", 1), "not UTF-8"),
        "UTF-16": ("".join(data.decode().splitlines(True)).encode("utf-16"), "UTF-16"),
        "unknown schema": (data.replace(b"AUTOMOTIVE_DESIGN", b"IFC2X3"), "unsupported schema"),
        "dangling reference": (data.replace(b"(#2)) ;", b"(#99999)) ;", 1), "#99999"),
        "malformed instance": (data.replace(b"#28=PRODUCT('", b"#28=PRODUCT(('", 1), "#28"),
        "not STEP at all": (b"<?xml version='1.0'?><a/>", "not an ISO 10303-21 file"),
    }


VARIANTS = [
    *("truncated in the header", "truncated mid-instance", "truncated after an instance"),
    *("no ENDSEC", "no END-ISO-10303-21", "garbage bytes", "latin-1 text", "UTF-16"),
    *("unknown schema", "dangling reference", "malformed instance", "not STEP at all"),
]


def test_every_variant_is_tested() -> None:
    assert sorted(_variants()) == sorted(VARIANTS)


@pytest.fixture
def committed(adapter: StepAdapter, pipeline: Pipeline, store: EmbeddedStore) -> bytes:
    """A store that already holds one STEP batch: a refusal must leave it exactly so."""
    pipeline.ingest(next(adapter.batches([step_dir() / "cax-if-ap214/io1-cm-214.stp"], OPTIONS)))
    return store.dump(None, RdfFormat.N_QUADS)


@pytest.mark.parametrize("case", VARIANTS)
def test_broken_file_is_refused_and_store_unchanged(
    case: str,
    tmp_path: Path,
    adapter: StepAdapter,
    pipeline: Pipeline,
    store: EmbeddedStore,
    committed: bytes,
) -> None:
    data, phrase = _variants()[case]
    path = tmp_path / "FOOT.stp"
    path.write_bytes(data)

    def ingest() -> None:
        for batch in adapter.batches([path], OPTIONS):
            pipeline.ingest(batch)

    with pytest.raises(StepSyntaxError) as caught:
        ingest()
    assert phrase in caught.value.message
    assert caught.value.message.startswith("FOOT.stp: line ")
    assert store.dump(None, RdfFormat.N_QUADS) == committed


def test_failsafe_keeps_the_good_instances_of_a_damaged_file(
    tmp_path: Path, adapter: StepAdapter, pipeline: Pipeline, messages: list[str]
) -> None:
    data, _ = _variants()["dangling reference"]
    path = tmp_path / "FOOT.stp"
    path.write_bytes(data)
    batch = next(adapter.batches([path], IngestOptions(agent="test", strict=False)))
    assert pipeline.ingest(batch).status == "committed"
    assert any("#99999" in m for m in messages)


def test_cli_exits_2_on_a_broken_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "FOOT.stp"
    path.write_bytes(_variants()["truncated mid-instance"][0])
    data = str(tmp_path / "store")
    assert main(["--data", data, "ingest", "step", str(path)]) == 2
    assert "FOOT.stp: line" in capsys.readouterr().err


def test_cli_summary_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = step_dir() / "cax-if-ap214/as1-oc-214.stp"
    assert main(["--data", str(tmp_path / "store"), "ingest", "step", str(path)]) == 0
    captured = capsys.readouterr()
    assert "9 parts, 13 usages, 0 characteristics" in captured.err
    assert "13 AssemblyUsage" in captured.out


def test_api_upload_counts_and_refusal(live: Live) -> None:
    data = (step_dir() / "cax-if-ap214/as1-oc-214.stp").read_bytes()
    good = live.client.post("/api/ingest/step", params={"name": "as1.stp"}, content=data)
    assert good.status_code == 201, good.text
    assert good.json()["classes"]["AssemblyUsage"] == 13
    assert good.json()["classes"]["Part"] == 9
    broken = live.client.post(
        "/api/ingest/step", params={"name": "bad.stp"}, content=data[: len(data) // 2]
    )
    assert broken.status_code == 422
    assert broken.headers["content-type"].startswith("application/problem+json")
    problem = broken.json()
    assert problem["code"] == "step-syntax"
    assert problem["file"] == "bad.stp"
    assert isinstance(problem["line"], int)
    crosswalk = live.client.post(
        "/api/ingest/step", params={"name": "as1.stp", "crosswalk": "/etc/passwd"}, content=data
    )
    assert crosswalk.status_code == 400
