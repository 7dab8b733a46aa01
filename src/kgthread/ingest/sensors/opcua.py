"""The OPC UA client side of the watcher, on asyncua: connect securely, resolve, subscribe.

Knows OPC UA and nothing of RDF: it hands plain :class:`Sample` records to a callback.
Node keys are expanded NodeIds (``nsu=<uri>;i=6001``) built from the server's namespace
array, the same keys the NodeSet import writes, so the graph joins them.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asyncua import ua
from asyncua.client.client import Client
from asyncua.common.node import Node
from asyncua.crypto import security_policies
from asyncua.ua.object_ids import ObjectIds
from asyncua.ua.status_codes import StatusCodes
from asyncua.ua.uaerrors import UaError, UaStatusCodeError
from cryptography import x509

from kgthread.ingest.sensors.config import Security, WatchConfig

_log = logging.getLogger(__name__)
_POLICIES: dict[str, type[security_policies.SecurityPolicy]] = {
    "Basic256Sha256": security_policies.SecurityPolicyBasic256Sha256,
    "Aes128_Sha256_RsaOaep": security_policies.SecurityPolicyAes128Sha256RsaOaep,
    "Aes256_Sha256_RsaPss": security_policies.SecurityPolicyAes256Sha256RsaPss,
    "Basic128Rsa15": security_policies.SecurityPolicyBasic128Rsa15,
    "Basic256": security_policies.SecurityPolicyBasic256,
}
_NUMERIC = {
    ua.VariantType.SByte,
    ua.VariantType.Byte,
    ua.VariantType.Int16,
    ua.VariantType.UInt16,
    ua.VariantType.Int32,
    ua.VariantType.UInt32,
    ua.VariantType.Int64,
    ua.VariantType.UInt64,
    ua.VariantType.Float,
    ua.VariantType.Double,
}
_ID_PREFIX = {
    ua.NodeIdType.TwoByte: "i",
    ua.NodeIdType.FourByte: "i",
    ua.NodeIdType.Numeric: "i",
    ua.NodeIdType.String: "s",
    ua.NodeIdType.Guid: "g",
    ua.NodeIdType.ByteString: "b",
}


class ConnectionLost(Exception):
    """The server went away or stopped answering; the watcher reconnects."""


class NodeUnavailable(Exception):
    """A configured node the server does not have."""


class SecurityRefused(Exception):
    """The server or its certificate was refused, or it refused our identity: no retry."""


@dataclass(frozen=True)
class Sample:
    node: str
    value: object
    bad: bool
    source_time: datetime | None
    overflow: bool = False


@dataclass(frozen=True)
class NodeInfo:
    key: str
    browse_name: str
    unit: tuple[str | None, int] | None
    """EUInformation (namespace URI, UnitId) when the node has EngineeringUnits."""


def expanded(node_id: ua.NodeId, namespaces: list[str]) -> str:
    """``nsu=<uri>;i=...`` for a server NodeId; core nodes stay ``i=...``."""
    prefix = _ID_PREFIX.get(node_id.NodeIdType, "s")
    ident = node_id.Identifier
    shown = base64.b64encode(ident).decode() if isinstance(ident, bytes) else str(ident)
    text = f"{prefix}={shown}"
    if node_id.NamespaceIndex == 0:
        return text
    return f"nsu={namespaces[node_id.NamespaceIndex]};{text}"


def parse_node_id(text: str, namespaces: list[str]) -> ua.NodeId:
    """A NodeId from ``nsu=<uri>;...`` or ``ns=<index>;...`` against the server's namespaces."""
    if text.startswith("nsu="):
        uri, sep, rest = text[4:].partition(";")
        if not sep or uri not in namespaces:
            raise KeyError(f"{text}: the server has no namespace {uri!r}")
        text = f"ns={namespaces.index(uri)};{rest}"
    return ua.NodeId.from_string(text)


class _Handler:
    def __init__(self, keys: dict[Any, str], sink: Callable[[Sample], None]) -> None:
        self.keys = keys
        self.sink = sink

    def datachange_notification(self, node: Node, val: Any, data: Any) -> None:
        value = data.monitored_item.Value
        status = value.StatusCode or ua.StatusCode()
        key = self.keys.get(node.nodeid)
        if key is None:
            return
        variant = value.Value
        raw: object = variant.Value if variant is not None else None
        if variant is not None and variant.VariantType not in _NUMERIC:
            raw = str(raw) if raw is not None else None
        # InfoType DataValue (0x400) with the Overflow bit (0x80): the server's queue dropped.
        overflow = bool(status.value & 0x400) and bool(status.value & 0x80)
        self.sink(
            Sample(
                key,
                raw,
                status.is_bad(),
                value.SourceTimestamp or value.ServerTimestamp,
                overflow,
            )
        )

    def status_change_notification(self, status: Any) -> None:
        _log.warning("subscription status changed: %s", status)


def _trusted(paths: Iterable[Any]) -> set[bytes]:
    found: set[bytes] = set()
    for path in paths:
        data = path.read_bytes()
        try:
            cert = x509.load_der_x509_certificate(data)
        except ValueError:
            cert = x509.load_pem_x509_certificate(data)
        found.add(cert.public_bytes(encoding=_der()))
    return found


def _der() -> Any:
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.DER


async def _configure(client: Client, security: Security) -> None:
    client.application_uri = security.application_uri
    if security.username is not None:
        client.set_user(security.username)
        client.set_password(security.password or "")
    if not security.encrypted_channel:
        return
    trusted = _trusted(security.server_certificates)

    async def validate(cert: x509.Certificate, _app: Any) -> None:
        if cert.public_bytes(encoding=_der()) not in trusted:
            raise SecurityRefused("the server's certificate is not among server_certificates")

    client.certificate_validator = validate
    mode = getattr(ua.MessageSecurityMode, security.mode)
    if security.certificate is None or security.private_key is None:
        raise SecurityRefused("a secure channel needs certificate and private_key")
    await client.set_security(
        _POLICIES[security.policy],
        str(security.certificate),
        str(security.private_key),
        private_key_password=security.private_key_password,
        mode=mode,
    )


class Session:
    """One connected session: resolve nodes, subscribe, check liveness."""

    def __init__(self, client: Client, config: WatchConfig) -> None:
        self.client = client
        self.config = config
        self.namespaces: list[str] = []
        self.skipped: dict[str, int] = {}
        """Browsed variables left out, by reason."""

    async def start(self) -> None:
        self.namespaces = await self.client.get_namespace_array()

    async def resolve(self, node_id: str) -> tuple[Node, NodeInfo]:
        node = self.client.get_node(parse_node_id(node_id, self.namespaces))
        try:
            name = await node.read_browse_name()
        except UaStatusCodeError as exc:
            raise NodeUnavailable(f"{node_id}: {type(exc).__name__}") from exc
        unit: tuple[str | None, int] | None = None
        try:
            eu_node = await node.get_child("0:EngineeringUnits")
            eu = await eu_node.read_value()
            unit = (eu.NamespaceUri, int(eu.UnitId))
        except UaError:
            unit = None
        return node, NodeInfo(expanded(node.nodeid, self.namespaces), name.Name, unit)

    async def browse(self, root: str, limit: int) -> list[str]:
        """Numeric data variables under ``root`` (components, not properties), depth first."""
        found: list[str] = []
        stack = [self.client.get_node(parse_node_id(root, self.namespaces))]
        seen: set[Any] = set()
        while stack and len(found) < limit:
            node = stack.pop()
            if node.nodeid in seen:
                continue
            seen.add(node.nodeid)
            for child in await node.get_children(refs=ObjectIds.HierarchicalReferences):
                node_class = await child.read_node_class()
                if node_class == ua.NodeClass.Object:
                    stack.append(child)
                elif node_class == ua.NodeClass.Variable:
                    if await self._is_property(child):
                        continue
                    try:
                        variant = await child.read_data_type_as_variant_type()
                    except UaError:
                        # a data type the server cannot trace to a built-in one
                        self.skipped["unknown data type"] = (
                            self.skipped.get("unknown data type", 0) + 1
                        )
                        _log.warning("%s: unknown data type; not watched", child.nodeid)
                        continue
                    if variant in _NUMERIC:
                        found.append(expanded(child.nodeid, self.namespaces))
        return sorted(found)

    async def _is_property(self, node: Node) -> bool:
        definition = await node.read_type_definition()
        if definition is None:
            return False
        return bool(
            definition.NamespaceIndex == 0 and definition.Identifier == ObjectIds.PropertyType
        )

    async def subscribe(self, nodes: dict[str, Node], sink: Callable[[Sample], None]) -> None:
        handler = _Handler({n.nodeid: k for k, n in nodes.items()}, sink)
        subscription = await self.client.create_subscription(
            self.config.publishing_interval_ms, handler
        )
        await subscription.subscribe_data_change(
            list(nodes.values()),  # type: ignore[call-overload]
            queuesize=self.config.queue_size,
            sampling_interval=self.config.sampling_interval_ms,
        )

    async def alive(self) -> None:
        """Read the server's state; raise :class:`ConnectionLost` when it does not answer."""
        try:
            await asyncio.wait_for(
                self.client.get_node(ObjectIds.Server_ServerStatus_State).read_value(),
                self.config.timeout_seconds,
            )
            self.client.uaclient.protocol  # noqa: B018 - raises if the transport is gone
        except (TimeoutError, ConnectionError, OSError, UaError) as exc:
            raise ConnectionLost(str(exc) or type(exc).__name__) from exc


async def connect(config: WatchConfig) -> tuple[Client, Session]:
    """A connected client and session, or :class:`ConnectionLost` / :class:`SecurityRefused`."""
    assert config.endpoint is not None
    client = Client(config.endpoint, timeout=config.timeout_seconds)
    try:
        await _configure(client, config.security)
        await client.connect()
    except SecurityRefused:
        await _close(client)
        raise
    except UaStatusCodeError as exc:
        await _close(client)
        code = exc.code
        if code in (
            StatusCodes.BadUserAccessDenied,
            StatusCodes.BadIdentityTokenRejected,
            StatusCodes.BadIdentityTokenInvalid,
            StatusCodes.BadSecurityChecksFailed,
            StatusCodes.BadCertificateUntrusted,
            StatusCodes.BadSecurityPolicyRejected,
        ):
            raise SecurityRefused(f"{config.endpoint}: {type(exc).__name__}") from exc
        raise ConnectionLost(f"{config.endpoint}: {type(exc).__name__}") from exc
    except (TimeoutError, ConnectionError, OSError, UaError) as exc:
        await _close(client)
        raise ConnectionLost(f"{config.endpoint}: {exc or type(exc).__name__}") from exc
    session = Session(client, config)
    await session.start()
    return client, session


async def _close(client: Client) -> None:
    try:
        await asyncio.wait_for(client.disconnect(), 2.0)
    except Exception:  # a half-open client may fail in any way on close
        client.uaclient.disconnect_socket() if client.uaclient else None


close = _close


def now_utc() -> datetime:
    return datetime.now(UTC)
