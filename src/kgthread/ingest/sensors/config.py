"""The ``kgthread opcua watch`` configuration file (TOML): what to watch, how, how securely.

The format is documented in ``docs/opcua.md``. Insecure choices (no security, the
deprecated Basic128Rsa15 and Basic256 policies, or mode None) are refused unless the file
says ``allow_insecure = true``; then they are allowed with a warning.
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kgthread.errors import OpcUaConfigError

SECURE_POLICIES = ("Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss")
INSECURE_POLICIES = ("None", "Basic128Rsa15", "Basic256")
MODES = ("Sign", "SignAndEncrypt", "None")
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Security:
    policy: str = "Basic256Sha256"
    mode: str = "SignAndEncrypt"
    certificate: Path | None = None
    private_key: Path | None = None
    private_key_password: str | None = None
    server_certificates: tuple[Path, ...] = ()
    """Trusted server certificates: the server must present one of these."""
    username: str | None = None
    password: str | None = None
    allow_insecure: bool = False
    application_uri: str = "urn:kgthread:opcua:watch"

    @property
    def insecure(self) -> bool:
        return self.policy in INSECURE_POLICIES or self.mode == "None"

    @property
    def encrypted_channel(self) -> bool:
        return self.policy != "None" and self.mode != "None"


@dataclass(frozen=True)
class NodeSpec:
    node_id: str
    """``nsu=<uri>;s=...`` (preferred) or ``ns=<index>;i=...``."""
    equipment: tuple[str, ...]
    property: str | None = None
    unit: str | None = None
    """A UNECE code (``CEL``) or QUDT unit IRI; default: the node's EngineeringUnits."""


@dataclass(frozen=True)
class BrowseSpec:
    root: str
    equipment: tuple[str, ...]
    max_nodes: int = 1000


@dataclass(frozen=True)
class WatchConfig:
    endpoint: str | None = None
    window_seconds: float = 60.0
    grace_seconds: float = 2.0
    flush_seconds: float = 1.0
    max_future_seconds: float = 300.0
    publishing_interval_ms: float = 100.0
    sampling_interval_ms: float = 0.0
    queue_size: int = 1000
    timeout_seconds: float = 10.0
    backoff_initial_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    operations: bool = True
    operation_refresh_seconds: float = 30.0
    state_file: Path | None = None
    security: Security = field(default_factory=Security)
    nodes: tuple[NodeSpec, ...] = ()
    browse: tuple[BrowseSpec, ...] = ()


_NUMBERS = (
    "window_seconds",
    "grace_seconds",
    "flush_seconds",
    "max_future_seconds",
    "publishing_interval_ms",
    "sampling_interval_ms",
    "timeout_seconds",
    "backoff_initial_seconds",
    "backoff_max_seconds",
    "operation_refresh_seconds",
)


def _path(value: Any, base: Path, key: str) -> Path:
    if not isinstance(value, str) or not value:
        raise OpcUaConfigError(f"{key} must be a file path")
    path = Path(value)
    return path if path.is_absolute() else base / path


def _equipment(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [p for p in value.split("/") if p]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise OpcUaConfigError(f"{where}: equipment must be a path such as 'PLANT1/MACH/CNC-07'")
    return tuple(value)


def _security(raw: dict[str, Any], base: Path) -> Security:
    known = set(Security.__dataclass_fields__) | {"password_env"}
    unknown = set(raw) - known
    if unknown:
        raise OpcUaConfigError(f"[security]: unknown keys {sorted(unknown)}")
    policy = str(raw.get("policy", "Basic256Sha256"))
    mode = str(raw.get("mode", "SignAndEncrypt" if policy != "None" else "None"))
    if policy not in SECURE_POLICIES + INSECURE_POLICIES:
        raise OpcUaConfigError(f"[security] policy {policy!r}: use one of {SECURE_POLICIES}")
    if mode not in MODES:
        raise OpcUaConfigError(f"[security] mode {mode!r}: use Sign or SignAndEncrypt")
    password = raw.get("password")
    if raw.get("password_env"):
        password = os.environ.get(str(raw["password_env"]))
        if password is None:
            raise OpcUaConfigError(f"[security] password_env: ${raw['password_env']} is not set")
    security = Security(
        policy=policy,
        mode=mode,
        certificate=_path(raw["certificate"], base, "certificate")
        if "certificate" in raw
        else None,
        private_key=_path(raw["private_key"], base, "private_key")
        if "private_key" in raw
        else None,
        private_key_password=raw.get("private_key_password"),
        server_certificates=tuple(
            _path(p, base, "server_certificates") for p in raw.get("server_certificates", [])
        ),
        username=raw.get("username"),
        password=password,
        allow_insecure=bool(raw.get("allow_insecure", False)),
        application_uri=str(raw.get("application_uri", Security.application_uri)),
    )
    if security.insecure:
        if not security.allow_insecure:
            raise OpcUaConfigError(
                f"[security] policy {policy} / mode {mode} is insecure (no security or a "
                "deprecated policy); set allow_insecure = true to use it anyway"
            )
        _log.warning(
            "OPC UA security policy %s, mode %s: insecure, allowed by the config", policy, mode
        )
    if security.encrypted_channel and (
        security.certificate is None or security.private_key is None
    ):
        raise OpcUaConfigError(f"[security] policy {policy} needs certificate and private_key")
    if security.encrypted_channel and not security.server_certificates:
        raise OpcUaConfigError(
            "[security] server_certificates is empty: name the server certificates to trust"
        )
    if (security.username is None) != (security.password is None):
        raise OpcUaConfigError("[security] username and password go together")
    return security


def load_config(path: Path, endpoint: str | None = None) -> WatchConfig:
    """Read and check a watch configuration; relative paths are relative to the file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OpcUaConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise OpcUaConfigError(f"{path}: {exc}") from exc
    return parse_config(raw, path.resolve().parent, endpoint)


def parse_config(raw: dict[str, Any], base: Path, endpoint: str | None = None) -> WatchConfig:
    allowed = set(WatchConfig.__dataclass_fields__)
    unknown = set(raw) - allowed
    if unknown:
        raise OpcUaConfigError(f"unknown configuration keys {sorted(unknown)}")
    values: dict[str, Any] = {}
    for key in _NUMBERS:
        if key in raw:
            if not isinstance(raw[key], int | float) or raw[key] < 0:
                raise OpcUaConfigError(f"{key} must be a number >= 0")
            values[key] = float(raw[key])
    if values.get("window_seconds", 1.0) <= 0:
        raise OpcUaConfigError("window_seconds must be > 0")
    for key in ("queue_size",):
        if key in raw:
            values[key] = int(raw[key])
    if "operations" in raw:
        values["operations"] = bool(raw["operations"])
    if "state_file" in raw:
        values["state_file"] = _path(raw["state_file"], base, "state_file")
    nodes = []
    for i, item in enumerate(raw.get("nodes", [])):
        where = f"[[nodes]] #{i + 1}"
        if "node_id" not in item or "equipment" not in item:
            raise OpcUaConfigError(f"{where}: node_id and equipment are required")
        nodes.append(
            NodeSpec(
                str(item["node_id"]),
                _equipment(item["equipment"], where),
                item.get("property"),
                item.get("unit"),
            )
        )
    browse = []
    for i, item in enumerate(raw.get("browse", [])):
        where = f"[[browse]] #{i + 1}"
        if "root" not in item or "equipment" not in item:
            raise OpcUaConfigError(f"{where}: root and equipment are required")
        browse.append(
            BrowseSpec(
                str(item["root"]),
                _equipment(item["equipment"], where),
                int(item.get("max_nodes", 1000)),
            )
        )
    if not nodes and not browse:
        raise OpcUaConfigError("nothing to watch: give [[nodes]] or [[browse]]")
    chosen = endpoint or raw.get("endpoint")
    if not chosen or not str(chosen).startswith("opc.tcp://"):
        raise OpcUaConfigError("endpoint must be an opc.tcp:// URL (--endpoint or endpoint =)")
    return WatchConfig(
        endpoint=str(chosen),
        security=_security(raw.get("security", {"policy": "Basic256Sha256"}), base),
        nodes=tuple(nodes),
        browse=tuple(browse),
        **values,
    )
