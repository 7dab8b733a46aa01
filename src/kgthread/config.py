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
    gate_memory_limit_bytes: int = field(
        default=512 * 1024 * 1024, metadata={"env": "GATE_MEMORY_LIMIT_BYTES"}
    )

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
        if "int" in kind:
            return int(raw)
        if "Path" in kind:
            return Path(raw)
    except ValueError as exc:
        raise BadRequest(f"setting {ENV_PREFIX}{name.upper()}: cannot read {raw!r}") from exc
    return raw
