"""Authentication and roles, and per-graph read access, against real servers on loopback.

Keys are hashed into a real keys file; bearer tokens are real JWTs signed with a key made
here and verified against its PEM or JWKS file. Per-graph access is checked on two batches
written by two source systems: a caller granted one must not see the other through any
query form (FROM, FROM NAMED, GRAPH, the protocol dataset), named query, resource, Graph
Store read or explorer call.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pyoxigraph import NamedNode, Triple

import factories
from api.live_server import Live, LiveFactory
from kgthread import ids
from kgthread.api.auth import hash_key, key_entry, load_keys, new_key
from kgthread.errors import BadRequest
from kgthread.gate import Gate
from kgthread.ingest.batch import Batch, Source
from kgthread.ingest.pipeline import Pipeline
from kgthread.store.base import CATALOG_GRAPH, GraphStore

ISSUER = "https://login.example.org/"
AUDIENCE = "kgthread-test"
UNIT = ids.unit("P-1", "S-1")
CHILD = ids.unit("P-2", "S-2")


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, str]:
    """One key per role, and a reader limited to the ``plm`` source system."""
    made: dict[str, str] = {}
    blocks = []
    for name, role, sources in (
        ("reader", "read", None),
        ("writer", "write", None),
        ("boss", "admin", None),
        ("plm-reader", "read", ["plm"]),
    ):
        key, digest = new_key()
        made[name] = key
        blocks.append(key_entry(name, digest, role, sources))  # type: ignore[arg-type]
    (tmp_path / "keys.toml").write_text("\n".join(blocks), encoding="utf-8")
    return made


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture
def server(
    tmp_path: Path, live_factory: LiveFactory, keys: dict[str, str], signing_key: rsa.RSAPrivateKey
) -> Live:
    (tmp_path / "jwt.pem").write_bytes(_pem(signing_key))
    live = live_factory(
        api_keys_file=tmp_path / "keys.toml",
        jwt_keys_file=tmp_path / "jwt.pem",
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        enable_update=True,
    )
    _two_systems(live.store)
    return live


def _two_systems(store: GraphStore) -> None:
    """A ``plm`` batch (parts and revisions) and an ``mes`` batch (units, one built into
    the other) in graphs of their own."""
    pipeline = Pipeline(store, Gate.default())
    design = factories.product("P-1") + factories.product("P-2")
    built = (
        factories.unit("P-1", "A", "S-1")
        + factories.unit("P-2", "A", "S-2")
        + factories.built_into(UNIT, CHILD)
    )
    for adapter, triples in (("plm", design), ("mes", built)):
        source = Source.of_bytes(f"{adapter}.nt", adapter.encode())
        pipeline.ingest(Batch(adapter, "1", [source], triples=triples))


def _graph_of(store: GraphStore, subject: NamedNode, predicate: NamedNode) -> NamedNode:
    (quad,) = list(store.quads(subject, predicate, None))
    assert isinstance(quad.graph_name, NamedNode)
    return quad.graph_name


def _select(live: Live, headers: dict[str, str], query: str, **params: str) -> list[dict[str, Any]]:
    response = live.client.get(
        "/sparql",
        params={"query": query, **params},
        headers={**headers, "Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["results"]["bindings"]
    return rows


def _key(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def _token(key: rsa.RSAPrivateKey, **claims: Any) -> str:
    body = {
        "sub": "alice",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "exp": int(time.time()) + 300,
        "roles": ["read"],
        **claims,
    }
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": "k1"})


def _hmac_token(claims: dict[str, Any], secret: bytes) -> str:
    """A token signed with HS256 by hand (PyJWT itself refuses a PEM key as HMAC secret)."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


# -- authentication -------------------------------------------------------------------------


def test_no_credentials_is_401_with_a_challenge(server: Live) -> None:
    response = server.client.get("/sparql", params={"query": "ASK {}"})
    _problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "invalid_token" not in response.headers["www-authenticate"]


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": "kgt_not-a-key"},
        {"Authorization": "Bearer kgt_not-a-key"},
        {"Authorization": "Bearer a.b.c"},
    ],
)
def test_unknown_credentials_are_401_invalid_token(server: Live, headers: dict[str, str]) -> None:
    response = server.client.get("/sparql", params={"query": "ASK {}"}, headers=headers)
    _problem(response, 401, "unauthorized")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_the_keys_file_holds_hashes_not_keys(tmp_path: Path, keys: dict[str, str]) -> None:
    text = (tmp_path / "keys.toml").read_text(encoding="utf-8")
    for key in keys.values():
        assert key not in text
        assert hash_key(key) in text
    (tmp_path / "plain.toml").write_text(
        '[[keys]]\nname = "x"\nsha256 = "kgt_plaintext"\nrole = "read"\n', encoding="utf-8"
    )
    with pytest.raises(BadRequest, match="64 hex digits"):
        load_keys(tmp_path / "plain.toml")


def test_read_key_reads_and_is_refused_every_write(server: Live, keys: dict[str, str]) -> None:
    reader = _key(keys["reader"])
    assert _select(server, reader, "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1")
    before = server.dump()
    turtle = "<http://example.org/a> <http://example.org/b> <http://example.org/c> ."
    refusals = [
        server.client.post(
            "/sparql",
            data={"update": "INSERT DATA { <http://example.org/a> <http://example.org/b> 1 }"},
            headers=reader,
        ),
        server.client.put(
            "/store",
            params={"graph": "http://example.org/g"},
            content=turtle,
            headers={**reader, "Content-Type": "text/turtle"},
        ),
        server.client.post(
            "/api/ingest/rdf", params={"name": "a.ttl"}, content=turtle, headers=reader
        ),
        server.client.get("/api/admin/settings", headers=reader),
        server.client.get("/api/admin/audit", headers=reader),
    ]
    for response in refusals:
        body = _problem(response, 403, "forbidden")
        assert "reader has role read" in body["detail"]
    assert server.dump() == before


def test_write_key_writes_but_is_no_admin(server: Live, keys: dict[str, str]) -> None:
    writer = _key(keys["writer"])
    triples = "\n".join(str(t) + " ." for t in factories.product("P-9"))
    response = server.client.post(
        "/api/ingest/rdf", params={"name": "p9.nt"}, content=triples, headers=writer
    )
    assert response.status_code == 201, response.text
    assert any(server.store.quads(ids.part("P-9")))
    # The catalog names the key as the batch's agent: who wrote it.
    assert any(server.store.quads(None, None, ids.agent("writer"), CATALOG_GRAPH))
    _problem(server.client.get("/api/admin/settings", headers=writer), 403, "forbidden")


def test_admin_sees_settings_without_secrets(server: Live, keys: dict[str, str]) -> None:
    response = server.client.get("/api/admin/settings", headers=_key(keys["boss"]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["authentication"] == {"open": False, "api_keys": 4, "bearer_tokens": True}
    assert body["settings"]["jwt_issuer"] == ISSUER
    for secret in ("store_password", "store_token"):
        assert secret not in body["settings"]
    assert set(body["queries"]) == {"slots", "running", "stuck"}


def test_open_server_needs_no_credentials(read_only: Live) -> None:
    response = read_only.client.get("/api/admin/settings")
    assert response.status_code == 200
    assert response.json()["authentication"]["open"] is True


# -- bearer tokens --------------------------------------------------------------------------


def test_bearer_token_roles(server: Live, signing_key: rsa.RSAPrivateKey) -> None:
    reader = _bearer(_token(signing_key))
    assert _select(server, reader, "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1")
    _problem(server.client.get("/api/admin/settings", headers=reader), 403, "forbidden")
    admin = _bearer(_token(signing_key, roles=[], scope="openid admin"))
    assert server.client.get("/api/admin/settings", headers=admin).status_code == 200
    nothing = _bearer(_token(signing_key, roles=["viewer"]))
    _problem(
        server.client.get("/sparql", params={"query": "ASK {}"}, headers=nothing), 403, "forbidden"
    )


def test_bearer_tokens_that_do_not_verify_are_401(
    server: Live, signing_key: rsa.RSAPrivateKey
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = _pem(signing_key)
    tokens = {
        "expired": _token(signing_key, exp=int(time.time()) - 3600),
        "audience": _token(signing_key, aud="someone-else"),
        "issuer": _token(signing_key, iss="https://evil.example.org/"),
        "signature": _token(other),
        # The public key used as an HMAC secret: the algorithm-confusion attack.
        "hs256": _hmac_token(
            {
                "sub": "x",
                "iss": ISSUER,
                "aud": AUDIENCE,
                "exp": int(time.time()) + 60,
                "roles": ["admin"],
            },
            public_pem,
        ),
        "no-exp": jwt.encode(
            {"sub": "x", "iss": ISSUER, "aud": AUDIENCE, "roles": ["read"]},
            signing_key,
            algorithm="RS256",
        ),
    }
    for why, token in tokens.items():
        response = server.client.get("/sparql", params={"query": "ASK {}"}, headers=_bearer(token))
        body = _problem(response, 401, "unauthorized")
        assert body["detail"].startswith("bearer token refused"), why
        assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_bearer_tokens_verified_against_a_jwks_file(
    tmp_path: Path, live_factory: LiveFactory, signing_key: rsa.RSAPrivateKey
) -> None:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key()))
    (tmp_path / "jwks.json").write_text(
        json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}),
        encoding="utf-8",
    )
    live = live_factory(
        jwt_keys_file=tmp_path / "jwks.json", jwt_issuer=ISSUER, jwt_audience=AUDIENCE
    )
    ok = live.client.get(
        "/sparql", params={"query": "ASK {}"}, headers=_bearer(_token(signing_key))
    )
    assert ok.status_code == 200, ok.text
    unknown_kid = jwt.encode(
        {"sub": "a", "iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60},
        signing_key,
        algorithm="RS256",
        headers={"kid": "k2"},
    )
    response = live.client.get("/sparql", params={"query": "ASK {}"}, headers=_bearer(unknown_kid))
    _problem(response, 401, "unauthorized")


# -- per-graph read access ------------------------------------------------------------------


def test_a_limited_caller_sees_only_its_source_systems(server: Live, keys: dict[str, str]) -> None:
    from kgthread import vocab

    mes = _graph_of(server.store, UNIT, vocab.SERIAL_NUMBER)
    plm = _graph_of(server.store, ids.part("P-1"), vocab.PART_NUMBER)
    full, limited = _key(keys["reader"]), _key(keys["plm-reader"])
    every = "SELECT DISTINCT ?s WHERE { ?s ?p ?o }"
    seen_by_full = {row["s"]["value"] for row in _select(server, full, every)}
    seen_by_limited = {row["s"]["value"] for row in _select(server, limited, every)}
    assert UNIT.value in seen_by_full
    assert ids.part("P-1").value in seen_by_limited
    assert UNIT.value not in seen_by_limited
    assert CHILD.value not in seen_by_limited

    sneaky = {
        "FROM": f"SELECT ?s FROM <{mes.value}> WHERE {{ ?s ?p ?o }}",
        "FROM NAMED": f"SELECT ?s FROM NAMED <{mes.value}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "GRAPH": f"SELECT ?s WHERE {{ GRAPH <{mes.value}> {{ ?s ?p ?o }} }}",
        "GRAPH ?g": "SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }",
        "catalog": f"SELECT ?b WHERE {{ GRAPH ?g {{ ?b a <{vocab.KGT_NS}IngestBatch> }} }}",
    }
    for form, query in sneaky.items():
        rows = _select(server, limited, query)
        values = {cell["value"] for row in rows for cell in row.values()}
        assert UNIT.value not in values, form
        assert not any("batch" in v for v in values), form
        if form != "catalog":  # the full reader does see the mes graph this way
            full_values = {c["value"] for r in _select(server, full, query) for c in r.values()}
            assert UNIT.value in full_values, form
    by_protocol = _select(server, limited, every, **{"default-graph-uri": mes.value})
    assert by_protocol == []
    granted = _select(server, limited, f"SELECT ?s WHERE {{ GRAPH <{plm.value}> {{ ?s ?p ?o }} }}")
    assert granted


def test_named_queries_and_resources_are_limited_too(server: Live, keys: dict[str, str]) -> None:
    full, limited = _key(keys["reader"]), _key(keys["plm-reader"])
    links = server.client.get("/api/queries/links", params={"iri": UNIT.value}, headers=full)
    assert links.status_code == 200, links.text
    assert links.json()["rows"]
    hidden = server.client.get("/api/queries/links", params={"iri": UNIT.value}, headers=limited)
    _problem(hidden, 404, "not-found")
    _problem(
        server.client.get("/api/resources", params={"iri": UNIT.value}, headers=limited),
        404,
        "not-found",
    )
    # A part of the granted system: its incoming link from the unit's revision lives in the
    # mes graph only for the full reader.
    revision = ids.part_revision("P-1", "A")
    for headers, expect_unit in ((full, True), (limited, False)):
        response = server.client.get(
            "/api/resources", params={"iri": revision.value}, headers=headers
        )
        assert response.status_code == 200, response.text
        subjects = {link.get("subject") for link in response.json()["links"]}
        assert (UNIT.value in subjects) is expect_unit
    genealogy = server.client.get(
        "/api/queries/genealogy-down", params={"unit": UNIT.value}, headers=limited
    )
    _problem(genealogy, 404, "not-found")


def test_graph_store_and_explorer_reads_are_limited(server: Live, keys: dict[str, str]) -> None:
    from kgthread import vocab

    mes = _graph_of(server.store, UNIT, vocab.SERIAL_NUMBER)
    limited = _key(keys["plm-reader"])
    _problem(
        server.client.get("/store", params={"graph": mes.value}, headers=limited),
        404,
        "not-found",
    )
    dataset = server.client.get("/store", headers={**limited, "Accept": "application/n-quads"})
    assert dataset.status_code == 200
    assert UNIT.value not in dataset.text
    assert ids.part("P-1").value in dataset.text
    summary = server.client.get("/explore/api/summary", params={"iri": UNIT.value}, headers=limited)
    _problem(summary, 404, "not-found")
    search = server.client.get("/explore/search", params={"q": "S-"}, headers=limited)
    assert search.status_code == 200
    assert all(hit["iri"] != UNIT.value for hit in search.json()["results"])


def test_reasoning_routes_refuse_limited_callers(server: Live, keys: dict[str, str]) -> None:
    response = server.client.get(
        "/api/conformance", params={"unit": UNIT.value}, headers=_key(keys["plm-reader"])
    )
    _problem(response, 403, "forbidden")


def test_writes_by_a_limited_writer_are_not_hidden_from_others(
    tmp_path: Path, live_factory: LiveFactory
) -> None:
    key, digest = new_key()
    (tmp_path / "w.toml").write_text(key_entry("w", digest, "write", ["plm"]), "utf-8")
    live = live_factory(api_keys_file=tmp_path / "w.toml")
    triples = [Triple(t.subject, t.predicate, t.object) for t in factories.product("P-7")]
    body = "\n".join(f"{t} ." for t in triples)
    response = live.client.post(
        "/api/ingest/rdf", params={"name": "p7.nt"}, content=body, headers=_key(key)
    )
    assert response.status_code == 201, response.text
    # Written by the rdf adapter, which the key is not granted: it may write, not read back.
    rows = _select(live, _key(key), f"SELECT ?p WHERE {{ <{ids.part('P-7').value}> ?p ?o }}")
    assert rows == []


def test_key_new_prints_the_key_once_and_the_entry_to_keep(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kgthread.cli import main

    assert main(["key", "new", "--name", "mes", "--role", "write", "--source", "b2mml"]) == 0
    out, err = capsys.readouterr()
    key = out.strip()
    assert key.startswith("kgt_")
    assert key not in err
    (tmp_path / "keys.toml").write_text(err, encoding="utf-8")
    (entry,) = load_keys(tmp_path / "keys.toml")
    assert (entry.name, entry.role, entry.sources) == ("mes", "write", frozenset({"b2mml"}))
    assert entry.sha256 == hash_key(key)


def test_a_token_sources_claim_limits_the_graphs(
    server: Live, signing_key: rsa.RSAPrivateKey
) -> None:
    every = "SELECT DISTINCT ?s WHERE { ?s ?p ?o }"
    limited = _bearer(_token(signing_key, sources=["plm"]))
    seen = {row["s"]["value"] for row in _select(server, limited, every)}
    assert ids.part("P-1").value in seen
    assert UNIT.value not in seen
    malformed = _bearer(_token(signing_key, sources="plm"))
    response = server.client.get("/sparql", params={"query": every}, headers=malformed)
    assert "sources claim" in _problem(response, 401, "unauthorized")["detail"]


def test_an_open_app_refuses_clients_from_other_machines(tmp_path: Path) -> None:
    """``serve`` binds an open server to loopback; an app started another way still answers
    a remote client with 403."""
    import anyio

    from kgthread.api.app import create_app
    from kgthread.config import Settings

    app = create_app(Settings(data=tmp_path / "store"))

    async def ask() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=("192.0.2.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://kg") as client:
            return await client.get("/sparql", params={"query": "ASK {}"})

    body = _problem(anyio.run(ask), 403, "forbidden")
    assert "only clients on its own machine" in body["detail"]
    assert not (tmp_path / "store").exists()


def test_a_caller_granted_nothing_sees_nothing(tmp_path: Path) -> None:
    from pyoxigraph import QuerySolutions, RdfFormat

    from kgthread.access import GraphSystems, ScopedStore
    from kgthread.store.embedded import EmbeddedStore

    store = EmbeddedStore.open(tmp_path / "store")
    try:
        _two_systems(store)
        view = ScopedStore(store, frozenset(), GraphSystems())
        for query in ("SELECT * WHERE { ?s ?p ?o }", "SELECT * { GRAPH ?g { ?s ?p ?o } }"):
            result = view.query(query)
            assert isinstance(result, QuerySolutions)
            assert list(result) == []
        assert view.graph_names() == []
        assert not any(view.quads())
        assert view.dump(None, RdfFormat.N_QUADS) == b""
        assert len(store.graph_names()) == 3  # two batches and the catalog, all hidden
    finally:
        store.close()
