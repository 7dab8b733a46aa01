"""Upload limits are counted while the body streams: 413 problem+json with an honest
Content-Length over the limit, with chunked transfer (no Content-Length), and before a
chunked body has even finished; the store is unchanged after every refusal."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from api.live_server import Live, LiveFactory
from factories import product, unit

LIMIT = 32 * 1024
CHUNK = 4 * 1024


def _document(units: int) -> bytes:
    """A valid N-Triples document: a product and ``units`` serialized units of it."""
    triples = [*product("P-1")]
    for n in range(units):
        triples += unit("P-1", "A", f"SN-{n:05d}")
    return "".join(f"{t} .\n" for t in triples).encode()


def _chunks(data: bytes) -> Iterator[bytes]:
    """The body as a generator, so httpx sends it chunked, without Content-Length."""
    for start in range(0, len(data), CHUNK):
        yield data[start : start + CHUNK]


@pytest.fixture
def small(live_factory: LiveFactory) -> Live:
    return live_factory(max_upload_bytes=LIMIT, enable_update=True)


@pytest.fixture
def big() -> bytes:
    data = _document(400)
    assert len(data) > 3 * LIMIT
    return data


def _assert_413(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "payload-too-large"
    assert str(LIMIT) in problem["detail"]


def test_a_document_under_the_limit_is_accepted(small: Live) -> None:
    data = _document(10)
    assert len(data) < LIMIT
    response = small.client.post("/api/ingest/rdf", params={"name": "u.nt"}, content=data)
    assert response.status_code == 201, response.text
    chunked = small.client.post(
        "/api/ingest/rdf", params={"name": "v.nt", "batch_id": "v"}, content=_chunks(data)
    )
    assert chunked.status_code in (200, 201), chunked.text


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_ingest_over_the_limit_is_413_and_changes_nothing(
    small: Live, big: bytes, chunked: bool
) -> None:
    before = small.dump()
    body = _chunks(big) if chunked else big
    response = small.client.post("/api/ingest/rdf", params={"name": "big.nt"}, content=body)
    _assert_413(response)
    assert small.dump() == before
    assert ("content-length" in response.request.headers) is not chunked


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_graph_store_put_over_the_limit_is_413(small: Live, big: bytes, chunked: bool) -> None:
    before = small.dump()
    response = small.client.put(
        "/store",
        params={"graph": "urn:kgthread:test:big"},
        content=_chunks(big) if chunked else big,
        headers={"Content-Type": "application/n-triples"},
    )
    _assert_413(response)
    assert small.dump() == before


def test_graph_store_multipart_without_length_is_413(small: Live, big: bytes) -> None:
    """A multipart body is counted while it streams too, not spooled whole and then judged."""
    before = small.dump()
    body = MULTIPART_HEAD + big + f"\r\n--{BOUNDARY}--\r\n".encode()
    response = small.client.post(
        "/store",
        params={"graph": "urn:kgthread:test:multi"},
        content=_chunks(body),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    _assert_413(response)
    assert small.dump() == before


def test_sparql_update_over_the_limit_is_413(small: Live) -> None:
    before = small.dump()
    filler = "# " + "x" * LIMIT + "\n"
    update = filler + "INSERT DATA { <urn:a> <urn:b> <urn:c> }"
    response = small.client.post(
        "/sparql",
        content=_chunks(update.encode()),
        headers={"Content-Type": "application/sparql-update"},
    )
    _assert_413(response)
    assert small.dump() == before


BOUNDARY = "kgthread-boundary"
MULTIPART_HEAD = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.nt"\r\n'
    "Content-Type: application/n-triples\r\n\r\n"
).encode()


@pytest.mark.parametrize(
    ("target", "content_type", "head"),
    [
        ("/api/ingest/rdf?name=big.nt", "application/n-triples", b""),
        ("/store?graph=urn:kgthread:test:big", "application/n-triples", b""),
        (
            "/store?graph=urn:kgthread:test:multi",
            f"multipart/form-data; boundary={BOUNDARY}",
            MULTIPART_HEAD,
        ),
    ],
    ids=["ingest", "graph-store", "graph-store-multipart"],
)
def test_413_arrives_before_a_chunked_body_ends(
    small: Live, big: bytes, target: str, content_type: str, head: bytes
) -> None:
    """The refusal comes while the client is still sending: the server counted the chunks
    it had, it did not wait for the end (which this client never sends)."""
    before = small.dump()
    address = urlsplit(small.url)
    assert address.hostname is not None
    assert address.port is not None
    with socket.create_connection((address.hostname, address.port), timeout=10) as conn:
        conn.sendall(
            f"POST {target} HTTP/1.1\r\nHost: {address.netloc}\r\n".encode()
            + f"Transfer-Encoding: chunked\r\nContent-Type: {content_type}\r\n\r\n".encode()
        )
        sent = 0
        for piece in _chunks(head + big):
            if sent > LIMIT:
                break
            conn.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            sent += len(piece)
        # No terminating zero-length chunk: the body is unfinished.
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = conn.recv(65536)
            if not data:
                break
            answer += data
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"application/problem+json" in answer.split(b"\r\n\r\n", 1)[0]
    assert small.dump() == before
