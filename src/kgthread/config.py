"""Settings: one frozen object, built from the environment and CLI flags, never at import time.

Every field is documented in the README's settings table; ``tests/test_docs.py`` fails when
one is not.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from kgthread.errors import BadRequest

GateEngine = Literal["native", "pyshacl"]

ENV_PREFIX = "KGTHREAD_"


@dataclass(frozen=True)
class Settings:
    """Service settings; each field maps to the environment variable ``KGTHREAD_<NAME>``."""

    data: Path = field(default=Path("data/store"), metadata={"env": "DATA"})
    host: str = field(default="127.0.0.1", metadata={"env": "HOST"})
    port: int = field(default=8000, metadata={"env": "PORT"})
    enable_update: bool = field(default=False, metadata={"env": "ENABLE_UPDATE"})
    gate_engine: GateEngine = field(default="native", metadata={"env": "GATE_ENGINE"})
    max_upload_bytes: int = field(default=512 * 1024 * 1024, metadata={"env": "MAX_UPLOAD_BYTES"})
    bulk_threshold_bytes: int = field(
        default=16 * 1024 * 1024, metadata={"env": "BULK_THRESHOLD_BYTES"}
    )
    read_threads: int = field(default=4, metadata={"env": "READ_THREADS"})
    result_cache_bytes: int = field(
        default=64 * 1024 * 1024, metadata={"env": "RESULT_CACHE_BYTES"}
    )
    gate_memory_limit_bytes: int = field(
        default=512 * 1024 * 1024, metadata={"env": "GATE_MEMORY_LIMIT_BYTES"}
    )
    audit_dir: Path | None = field(default=None, metadata={"env": "AUDIT_DIR"})
    # The reasoner (docs/reasoning.md) for load, ingest and serve: on, off (or true/false).
    reasoning: bool = field(default=False, metadata={"env": "REASONING"})
    # A remote store (docs/deployment.md): ``store`` set to an http(s) URL selects it.
    store: str = field(default="", metadata={"env": "STORE"})
    store_dialect: str = field(default="generic", metadata={"env": "STORE_DIALECT"})
    store_query_url: str = field(default="", metadata={"env": "STORE_QUERY_URL"})
    store_update_url: str = field(default="", metadata={"env": "STORE_UPDATE_URL"})
    store_graph_store_url: str = field(default="", metadata={"env": "STORE_GRAPH_STORE_URL"})
    store_auth: str = field(default="none", metadata={"env": "STORE_AUTH"})
    store_user: str = field(default="", metadata={"env": "STORE_USER"})
    store_password: str = field(default="", metadata={"env": "STORE_PASSWORD"}, repr=False)
    store_token: str = field(default="", metadata={"env": "STORE_TOKEN"}, repr=False)
    store_timeout_seconds: int = field(default=30, metadata={"env": "STORE_TIMEOUT_SECONDS"})
    store_bulk_piece_statements: int = field(
        default=500_000, metadata={"env": "STORE_BULK_PIECE_STATEMENTS"}
    )
    # Access control and query limits (docs/security.md).
    api_keys_file: Path | None = field(default=None, metadata={"env": "API_KEYS_FILE"})
    jwt_keys_file: Path | None = field(default=None, metadata={"env": "JWT_KEYS_FILE"})
    jwt_issuer: str = field(default="", metadata={"env": "JWT_ISSUER"})
    jwt_audience: str = field(default="", metadata={"env": "JWT_AUDIENCE"})
    jwt_algorithms: str = field(
        default="RS256,PS256,ES256,EdDSA", metadata={"env": "JWT_ALGORITHMS"}
    )
    query_timeout_seconds: float = field(default=30.0, metadata={"env": "QUERY_TIMEOUT_SECONDS"})
    query_queue_seconds: float = field(default=2.0, metadata={"env": "QUERY_QUEUE_SECONDS"})
    query_max_rows: int = field(default=200_000, metadata={"env": "QUERY_MAX_ROWS"})
    query_max_bytes: int = field(default=256 * 1024 * 1024, metadata={"env": "QUERY_MAX_BYTES"})
    query_max_chars: int = field(default=100_000, metadata={"env": "QUERY_MAX_CHARS"})
    service_allow_list: str = field(default="", metadata={"env": "SERVICE_ALLOW_LIST"})

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``KGTHREAD_*`` variables, then explicit overrides (CLI flags)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.metadata["env"])
            if raw is not None:
                values[f.name] = _coerce(f.name, f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        if settings.gate_engine not in ("native", "pyshacl"):
            raise BadRequest(
                f"gate_engine must be 'native' or 'pyshacl', not {settings.gate_engine!r}"
            )
        if settings.store_bulk_piece_statements < 1:
            raise BadRequest(
                "store_bulk_piece_statements must be at least 1, "
                f"not {settings.store_bulk_piece_statements}"
            )
        return settings

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _coerce(name: str, declared: Any, raw: str) -> Any:
    kind = str(declared)
    try:
        if "bool" in kind:
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(raw)
        if "float" in kind:
            return float(raw)
        if "int" in kind:
            return int(raw)
        if "Path" in kind:
            return Path(raw)
    except ValueError as exc:
        raise BadRequest(f"setting {ENV_PREFIX}{name.upper()}: cannot read {raw!r}") from exc
    return raw
