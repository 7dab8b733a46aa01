"""The same watcher against node-opcua (another implementation), and against a secured
asyncua server that must refuse a wrong password and an untrusted client certificate."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from pathlib import Path
from typing import Any

import pytest
from asyncua.crypto.cert_gen import (
    dump_private_key_as_pem,
    generate_private_key,
    generate_self_signed_app_certificate,
)
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID

from ingest.sensors.opcua_servers import (
    MILL_KEYS,
    ServerProcess,
    asyncua_command,
    free_port,
    node_opcua_command,
    published,
)
from ingest.sensors.watch_helpers import check, config, connected, run, summaries, watcher
from kgthread.errors import OpcUaConfigError
from kgthread.ingest.pipeline import Pipeline
from kgthread.ingest.sensors.config import parse_config
from kgthread.ingest.sensors.watcher import Watcher


def test_node_opcua_server_interoperates(
    pipeline: Pipeline, servers: list[ServerProcess], tmp_path: Path
) -> None:
    port, log = free_port(), tmp_path / "node-opcua.jsonl"
    servers.append(ServerProcess(node_opcua_command(port, log)).start())
    marks: dict[str, float] = {}
    w = watcher(config(port, tmp_path), pipeline)

    async def scenario(w: Watcher) -> None:
        marks["connected"] = await connected(w)
        await asyncio.sleep(3.5)

    run(w, scenario)
    assert {x.unit.rsplit("/", 1)[-1] for x in w.watched.values()} == {"DEG_C", "KiloW", "MilliM"}
    rows = published(log)
    windows = [s for s in summaries(pipeline.store) if s.start >= marks["connected"]]
    assert {s.sensor for s in windows} == set(MILL_KEYS)
    for summary in windows:
        check(summary, rows)


def _certificate(folder: Path, name: str, uri: str, server: bool) -> tuple[Path, Path]:
    key = generate_private_key()
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    cert = generate_self_signed_app_certificate(
        key,
        name,
        {"organizationName": "kgthread tests"},
        [
            x509.UniformResourceIdentifier(uri),
            x509.DNSName(socket.gethostname()),
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        ],
        [usage],
    )
    cert_path, key_path = folder / f"{name}.der", folder / f"{name}.pem"
    cert_path.write_bytes(cert.public_bytes(Encoding.DER))
    key_path.write_bytes(dump_private_key_as_pem(key))
    return cert_path, key_path


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "pki"
    folder.mkdir()
    made: dict[str, Path] = {}
    for name, uri, server in (
        ("server", "urn:kgthread:test:server", True),
        ("client", "urn:kgthread:opcua:watch", False),
        ("stranger", "urn:kgthread:opcua:watch", False),
    ):
        made[f"{name}-cert"], made[f"{name}-key"] = _certificate(folder, name, uri, server)
    return made


def _secure_config(port: int, tmp: Path, pki: dict[str, Path], **security: Any) -> Any:
    settings = {
        "policy": "Basic256Sha256",
        "mode": "SignAndEncrypt",
        "certificate": str(pki["client-cert"]),
        "private_key": str(pki["client-key"]),
        "server_certificates": [str(pki["server-cert"])],
        "username": "operator",
        "password": "s3cret",
    }
    settings.update(security)
    return config(port, tmp, security=settings)


def _secure_server(port: int, log: Path, pki: dict[str, Path]) -> ServerProcess:
    extra = ["--secure", "--certificate", str(pki["server-cert"])]
    extra += ["--private-key", str(pki["server-key"]), "--trust", str(pki["client-cert"])]
    extra += ["--user", "operator:s3cret"]
    return ServerProcess(asyncua_command(port, log, *extra))


def test_secured_server_accepts_the_right_identity_and_refuses_others(
    pipeline: Pipeline, servers: list[ServerProcess], tmp_path: Path, pki: dict[str, Path]
) -> None:
    port, log = free_port(), tmp_path / "secure.jsonl"
    servers.append(_secure_server(port, log, pki).start())

    async def scenario(w: Watcher) -> None:
        await connected(w)
        await asyncio.sleep(2.0)

    good = watcher(_secure_config(port, tmp_path, pki), pipeline)
    run(good, scenario)
    assert summaries(pipeline.store), "no summaries over Basic256Sha256 SignAndEncrypt"

    refusals = [
        {"password": "wrong"},
        {"certificate": str(pki["stranger-cert"]), "private_key": str(pki["stranger-key"])},
        {"server_certificates": [str(pki["stranger-cert"])]},  # we do not trust this server
    ]
    for change in refusals:
        w = watcher(_secure_config(port, tmp_path / "x", pki, **change), pipeline)
        with pytest.raises(OpcUaConfigError, match="refused"):
            run(w, scenario, limit=20)


@pytest.mark.parametrize("policy", ["None", "Basic128Rsa15", "Basic256"])
def test_insecure_policies_need_an_explicit_opt_in(tmp_path: Path, policy: str) -> None:
    raw = {
        "endpoint": "opc.tcp://127.0.0.1:4840",
        "nodes": [{"node_id": "ns=2;i=1", "equipment": "M1"}],
        "security": {"policy": policy},
    }
    with pytest.raises(OpcUaConfigError, match="allow_insecure"):
        parse_config(raw, tmp_path)
    raw["security"] = {"policy": policy, "allow_insecure": True, "mode": "None"}
    assert parse_config(raw, tmp_path).security.insecure


def test_secure_policy_needs_certificates_and_trusted_servers(tmp_path: Path) -> None:
    raw: dict[str, Any] = {
        "endpoint": "opc.tcp://127.0.0.1:4840",
        "nodes": [{"node_id": "ns=2;i=1", "equipment": "M1"}],
        "security": {"policy": "Aes256_Sha256_RsaPss", "mode": "Sign"},
    }
    with pytest.raises(OpcUaConfigError, match="certificate"):
        parse_config(raw, tmp_path)
    raw["security"].update(certificate="c.der", private_key="k.pem")
    with pytest.raises(OpcUaConfigError, match="server_certificates"):
        parse_config(raw, tmp_path)
