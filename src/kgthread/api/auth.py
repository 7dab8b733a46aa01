"""Who is calling, and may they: API keys and OAuth2 bearer tokens mapped to roles.

Three roles, each including the ones before it: ``read`` (queries, Graph Store reads, REST,
explorer), ``write`` (ingest, SPARQL Update, Graph Store writes) and ``admin`` (settings,
audit). A caller may also be limited to some source systems (:mod:`kgthread.access`).

- **API keys** live in a TOML file (``api_keys_file``) as SHA-256 hashes, never as keys;
  a key is sent as ``X-API-Key: <key>`` or ``Authorization: Bearer <key>``. Keys are random
  256-bit strings (``kgthread key new``), so one fast hash is the right tool: there is
  nothing to brute-force that a slow hash would protect.
- **Bearer tokens** are JWTs verified with PyJWT against a PEM public key or a JWKS file
  (``jwt_keys_file``): signature (asymmetric algorithms only, from ``jwt_algorithms``),
  ``exp``, ``iss`` and ``aud`` are required. The role is the highest of the ``roles`` claim
  (a list, or space-separated) and the ``scope`` claim; ``sources`` limits the graphs.

With neither configured the server is open: every caller is the local ``anonymous`` admin,
and ``kgthread serve`` binds to loopback only. Refusals are problem+json: 401 with a
``WWW-Authenticate`` challenge when credentials are missing or do not verify, 403 when the
role is too low.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import tomllib
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import jwt
from fastapi import Depends, FastAPI, Request

from kgthread.access import GraphSystems, ScopedStore
from kgthread.api.deps import Services, ServicesDep
from kgthread.config import Settings
from kgthread.errors import BadRequest, Forbidden, Unauthorized
from kgthread.store.base import GraphStore

Role = Literal["read", "write", "admin"]
ROLES: tuple[Role, ...] = ("read", "write", "admin")


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a name for the audit trail, a role, and the source systems
    whose graphs it may read (``None``: every graph)."""

    name: str
    role: Role
    sources: frozenset[str] | None = None
    via: Literal["open", "api-key", "jwt"] = "open"

    def may(self, role: Role) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


ANONYMOUS = Principal("anonymous", "admin")


@dataclass(frozen=True)
class ApiKey:
    name: str
    sha256: str
    role: Role
    sources: frozenset[str] | None


def new_key() -> tuple[str, str]:
    """A fresh API key and its hash: the key is shown once, only the hash is kept."""
    key = "kgt_" + secrets.token_urlsafe(32)
    return key, hash_key(key)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_entry(name: str, digest: str, role: Role, sources: Iterable[str] | None) -> str:
    """The TOML block of one key, as ``api_keys_file`` expects it."""
    lines = ["[[keys]]", f"name = {json.dumps(name)}", f'sha256 = "{digest}"', f'role = "{role}"']
    if sources is not None:
        lines.append(f"sources = {json.dumps(sorted(set(sources)))}")
    return "\n".join(lines) + "\n"


def _role(value: object, where: str) -> Role:
    for role in ROLES:
        if value == role:
            return role
    raise BadRequest(f"{where}: role must be one of {', '.join(ROLES)}, not {value!r}")


def _sources(value: object, where: str) -> frozenset[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise BadRequest(f"{where}: sources must be a list of source system names")
    return frozenset(value)


def load_keys(path: Path) -> list[ApiKey]:
    """The keys of an ``api_keys_file``; any malformed entry refuses the whole file."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BadRequest(f"api_keys_file {path}: cannot read it: {exc}") from exc
    entries = document.get("keys", [])
    if not isinstance(entries, list):
        raise BadRequest(f"api_keys_file {path}: expected [[keys]] tables")
    keys: list[ApiKey] = []
    for number, entry in enumerate(entries, 1):
        where = f"api_keys_file {path}, key {number}"
        if not isinstance(entry, dict):
            raise BadRequest(f"{where}: expected a table")
        digest = str(entry.get("sha256", "")).lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise BadRequest(f"{where}: sha256 must be the 64 hex digits of the key's hash")
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise BadRequest(f"{where}: name is required")
        keys.append(
            ApiKey(
                name, digest, _role(entry.get("role"), where), _sources(entry.get("sources"), where)
            )
        )
    return keys


class TokenVerifier:
    """Verifies JWT bearer tokens against a PEM public key or a JWKS document."""

    def __init__(self, path: Path, issuer: str, audience: str, algorithms: list[str]) -> None:
        if not issuer or not audience:
            raise BadRequest("jwt_keys_file needs jwt_issuer and jwt_audience as well")
        unsafe = [a for a in algorithms if a.lower() == "none" or a.upper().startswith("HS")]
        if unsafe or not algorithms:
            raise BadRequest(f"jwt_algorithms must be asymmetric algorithms, not {unsafe}")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BadRequest(f"jwt_keys_file {path}: cannot read it: {exc}") from exc
        self.issuer, self.audience, self.algorithms = issuer, audience, algorithms
        self._pem: str | None = None
        self._jwks: dict[str | None, jwt.PyJWK] = {}
        try:
            if text.lstrip().startswith("-----BEGIN"):
                self._pem = text
            else:
                for key in jwt.PyJWKSet.from_dict(json.loads(text)).keys:
                    self._jwks[key.key_id] = key
        except (ValueError, jwt.PyJWTError) as exc:
            raise BadRequest(f"jwt_keys_file {path}: not a PEM key or JWKS: {exc}") from exc

    def verify(self, token: str) -> dict[str, Any]:
        try:
            key: Any = self._pem
            if key is None:
                kid = jwt.get_unverified_header(token).get("kid")
                found = self._jwks.get(kid) or (
                    next(iter(self._jwks.values()))
                    if kid is None and len(self._jwks) == 1
                    else None
                )
                if found is None:
                    raise jwt.InvalidKeyError(f"no key with kid {kid!r}")
                key = found
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=self.algorithms,
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
                leeway=30,
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"bearer token refused: {exc}", invalid=True) from exc
        return claims


class Authenticator:
    """Turns a request's credentials into a :class:`Principal` (built once per app)."""

    def __init__(self, settings: Settings) -> None:
        self.keys = load_keys(settings.api_keys_file) if settings.api_keys_file else []
        self.tokens = (
            TokenVerifier(
                settings.jwt_keys_file,
                settings.jwt_issuer,
                settings.jwt_audience,
                [a.strip() for a in settings.jwt_algorithms.split(",") if a.strip()],
            )
            if settings.jwt_keys_file
            else None
        )
        self.systems = GraphSystems()

    @property
    def open(self) -> bool:
        """No keys and no token verifier: every caller is the anonymous admin."""
        return not self.keys and self.tokens is None

    def authenticate(self, headers: Mapping[str, str]) -> Principal:
        if self.open:
            return ANONYMOUS
        api_key = headers.get("x-api-key")
        scheme, _, credential = (headers.get("authorization") or "").partition(" ")
        credential = credential.strip()
        if api_key is None and scheme.lower() == "bearer" and credential.count(".") != 2:
            api_key = credential  # an API key sent as a bearer token
        if api_key is not None:
            return self._by_key(api_key)
        if scheme.lower() == "bearer" and credential:
            if self.tokens is None:
                raise Unauthorized(
                    "bearer tokens are not accepted here: send an API key", invalid=True
                )
            return self._by_token(self.tokens.verify(credential))
        raise Unauthorized("credentials required: an API key (X-API-Key) or a bearer token")

    def _by_key(self, key: str) -> Principal:
        digest = hash_key(key)
        for entry in self.keys:
            if hmac.compare_digest(entry.sha256, digest):
                return Principal(entry.name, entry.role, entry.sources, "api-key")
        raise Unauthorized("API key not recognised", invalid=True)

    def _by_token(self, claims: dict[str, Any]) -> Principal:
        named: set[str] = set()
        for claim in ("roles", "scope"):
            value = claims.get(claim)
            words = value.split() if isinstance(value, str) else value
            if isinstance(words, list):
                named.update(w for w in words if isinstance(w, str))
        granted = [role for role in ROLES if role in named]
        if not granted:
            raise Forbidden("the bearer token grants no kgthread role (read, write or admin)")
        try:
            sources = _sources(claims.get("sources"), "the token's sources claim")
        except BadRequest as exc:
            raise Unauthorized(f"bearer token refused: {exc.message}", invalid=True) from exc
        return Principal(str(claims["sub"]), granted[-1], sources, "jwt")

    def scoped(self, principal: Principal, store: GraphStore) -> GraphStore:
        """``store`` as ``principal`` may read it."""
        if principal.sources is None:
            return store
        return ScopedStore(store, principal.sources, self.systems)


def install(app: FastAPI, settings: Settings) -> None:
    """Read the keys now, so a bad keys file stops the server before it serves."""
    app.state.authenticator = Authenticator(settings)


@lru_cache(maxsize=1024)
def is_loopback(host: str) -> bool:
    """Remembered per address: an open server asks it of every request's client."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def binding_notice(auth: Authenticator, host: str) -> str:
    """What ``serve`` says at start about who may call it; an open server (no keys) is
    refused on any address but loopback."""
    if auth.open:
        if not is_loopback(host):
            raise BadRequest(
                f"refusing to serve on {host} without authentication: no API keys "
                "(KGTHREAD_API_KEYS_FILE) and no bearer-token keys (KGTHREAD_JWT_KEYS_FILE) "
                "are configured; configure one, or bind to 127.0.0.1"
            )
        return (
            "no API keys or bearer-token keys configured: every caller is admin, so the "
            f"server binds to loopback ({host}) only"
        )
    tokens = "accepted" if auth.tokens is not None else "not configured"
    return f"authentication required: {len(auth.keys)} API key(s), bearer tokens {tokens}"


def authenticator(request: Request) -> Authenticator:
    found: Authenticator = request.app.state.authenticator
    return found


def principal_of(request: Request) -> Principal:
    """The caller of ``request`` (authenticated once per request, then remembered)."""
    known = getattr(request.state, "principal", None)
    if isinstance(known, Principal):
        return known
    auth = authenticator(request)
    principal = auth.authenticate(request.headers)
    client = request.client.host if request.client else None
    if auth.open and client is not None and not is_loopback(client):
        # ``serve`` binds an open server to loopback; this covers one started otherwise
        # (``uvicorn --factory ... --host 0.0.0.0``).
        raise Forbidden(
            "this server has no API keys or bearer-token keys configured, so it answers "
            "only clients on its own machine"
        )
    request.state.principal = principal
    return principal


def require_role(role: Role) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
    """A dependency that admits callers holding ``role`` (or a higher one): use it as
    ``Depends(require_role("admin"))`` on a route or a router."""

    async def dependency(request: Request) -> Principal:
        principal = principal_of(request)
        if not principal.may(role):
            raise Forbidden(
                f"{principal.name} has role {principal.role}; this needs {role}",
                required=role,
            )
        return principal

    dependency.__name__ = f"require_{role}"
    return dependency


def check_role(request: Request, role: Role) -> Principal:
    """The same check inside a route whose need depends on the request (query or update)."""
    principal = principal_of(request)
    if not principal.may(role):
        raise Forbidden(
            f"{principal.name} has role {principal.role}; this needs {role}", required=role
        )
    return principal


def readable(request: Request, store: GraphStore) -> GraphStore:
    """``store`` limited to the graphs the caller of ``request`` may read."""
    return authenticator(request).scoped(principal_of(request), store)


async def read_services(request: Request, services: ServicesDep) -> Services:
    """For read-only routes: the services with the store limited to what the caller may
    read (the caller needs the read role). ``async`` as it does no I/O: FastAPI would run a
    plain ``def`` on a worker thread."""
    check_role(request, "read")
    view = readable(request, services.store)
    return services if view is services.store else replace(services, store=view)


async def every_graph(request: Request) -> Principal:
    """For routes that read the store without a query dataset (and so cannot be limited to
    some graphs): callers limited to some source systems are refused."""
    principal = check_role(request, "read")
    if principal.sources is not None:
        raise Forbidden(
            f"{principal.name} may read only some source systems; this endpoint reads every graph"
        )
    return principal


ReadServicesDep = Annotated[Services, Depends(read_services)]


Reader = Annotated[Principal, Depends(require_role("read"))]
Writer = Annotated[Principal, Depends(require_role("write"))]
Admin = Annotated[Principal, Depends(require_role("admin"))]
