"""One error hierarchy: each error carries an HTTP status, a stable code and a CLI exit code.

The API turns these into RFC 9457 problem+json at one boundary (``api/errors.py``); the CLI
prints the message and exits with ``exit_code``. Library exceptions are translated into
these where they are raised (the store wrapper, the readers), nowhere else.
"""

from __future__ import annotations

import errno
import traceback
from typing import Any


class KgthreadError(Exception):
    """Base of every error kgthread reports to a user."""

    status = 500
    code = "internal-error"
    title = "Internal error"
    exit_code = 2

    def __init__(self, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def response_headers(self) -> dict[str, str]:
        """HTTP headers the answer must carry besides the body (a challenge, a retry hint)."""
        return {}

    def to_problem(self) -> dict[str, Any]:
        """The RFC 9457 body for this error."""
        body: dict[str, Any] = {
            "type": f"https://w3id.org/kgthread/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.message,
            "code": self.code,
        }
        body.update({k: v for k, v in self.detail.items() if v is not None})
        return body


class BadRequest(KgthreadError):
    status = 400
    code = "bad-request"
    title = "Bad request"


class IdentifierError(BadRequest):
    code = "bad-identifier"
    title = "Identifier refused"


class QuerySyntaxError(BadRequest):
    code = "query-syntax"
    title = "SPARQL syntax error"


class RdfSyntaxError(BadRequest):
    """Input RDF that does not parse; ``file``, ``line`` and ``column`` say where."""

    code = "rdf-syntax"
    title = "RDF syntax error"


class StepSyntaxError(BadRequest):
    """A STEP (ISO 10303-21) file that cannot be read; ``file``, ``line`` and ``entity`` (the
    instance ``#id``) say where. 422: the upload arrived whole but its content is refused."""

    status = 422
    code = "step-syntax"
    title = "STEP file refused"


class MesInputError(BadRequest):
    """A B2MML, BatchML, CSV or JSON Lines record that cannot be mapped; ``file`` and
    ``location`` (line or XML path) say where. 422: the upload arrived whole but is refused."""

    status = 422
    code = "mes-input"
    title = "MES input refused"


class UnsupportedFormat(KgthreadError):
    status = 415
    code = "unsupported-format"
    title = "Unsupported media type or format"


class NotAcceptable(KgthreadError):
    status = 406
    code = "not-acceptable"
    title = "No acceptable result format"


class NotFound(KgthreadError):
    status = 404
    code = "not-found"
    title = "Not found"


class Forbidden(KgthreadError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class Conflict(KgthreadError):
    """A write that contradicts an earlier one: the same idempotency key with other content."""

    status = 409
    code = "conflict"
    title = "Conflict"


class PayloadTooLarge(KgthreadError):
    status = 413
    code = "payload-too-large"
    title = "Payload too large"


class ValidationFailed(KgthreadError):
    """The gate refused a batch; ``report`` holds the SHACL results. Exit code 1, as pySHACL."""

    status = 422
    code = "shacl-violation"
    title = "Batch does not conform to the shapes"
    exit_code = 1


class StoreUnavailable(KgthreadError):
    status = 503
    code = "store-unavailable"
    title = "Store unavailable"


class StoreLocked(StoreUnavailable):
    code = "store-locked"
    title = "Store folder is in use by another process"


class StorageFull(KgthreadError):
    """The disk under the store or the audit log is full: 507, nothing was written, reads
    go on. Retrying with the same batch id once space is freed is safe."""

    status = 507
    code = "storage-full"
    title = "Insufficient storage"


def is_storage_full(exc: OSError) -> bool:
    """Whether an I/O error means the device is out of space (RocksDB reports it only in
    its message, without an errno)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return True
    text = str(exc).lower()
    return "no space left" in text or "quota exceeded" in text


class RemoteStoreUnavailable(StoreUnavailable):
    """A remote store that cannot answer now (unreachable, timed out, overloaded): 503.
    ``backend`` names the store's dialect and ``cause`` says why, in one stable word."""

    code = "remote-store-unavailable"
    title = "Remote store unavailable"


class RemoteStoreFailed(KgthreadError):
    """A remote store that answered, but not with a usable answer (auth refused, truncated
    result, an error after a 200 header, a server error): 502 Bad Gateway. ``backend`` and
    ``cause`` as for :class:`RemoteStoreUnavailable`."""

    status = 502
    code = "remote-store-failed"
    title = "Remote store failed"


class QueryTimeout(KgthreadError):
    status = 503
    code = "query-timeout"
    title = "Query exceeded its time limit"


class QueryBusy(KgthreadError):
    """Every query slot stayed taken for the queueing time: 503 with ``Retry-After``."""

    status = 503
    code = "query-busy"
    title = "Too many queries at once"

    def response_headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.detail.get("retry_after", 1))}


class ResultTooLarge(KgthreadError):
    """A result passed its row or byte cap: 503, never a partial answer."""

    status = 503
    code = "result-too-large"
    title = "Result exceeded its size limit"


class Unauthorized(KgthreadError):
    """No credentials, or credentials that do not verify: 401 with a ``WWW-Authenticate``
    challenge (``Bearer``, with ``error="invalid_token"`` when a token was refused)."""

    status = 401
    code = "unauthorized"
    title = "Authentication required"

    def response_headers(self) -> dict[str, str]:
        challenge = 'Bearer realm="kgthread"'
        if self.detail.get("invalid"):
            challenge += ', error="invalid_token"'
        return {"WWW-Authenticate": challenge}


class TargetRefused(BadRequest):
    """A ``SERVICE`` or ``LOAD`` whose target is not on the allow-list; ``target`` names it."""

    code = "target-refused"
    title = "SERVICE or LOAD target refused"


class NodesetError(BadRequest):
    """An OPC UA NodeSet2 file that cannot be read; ``file`` and ``element`` say where."""

    code = "opcua-nodeset"
    title = "OPC UA NodeSet2 error"


class OpcUaConfigError(BadRequest):
    """An OPC UA watch configuration that is incomplete, contradictory or insecure."""

    code = "opcua-config"
    title = "OPC UA configuration error"


def release_frames(exc: BaseException | None) -> None:
    """Clear the frames of ``exc`` and of every error it was raised from or during: a
    traceback keeps its frames' locals alive, and pyoxigraph results in them must be dropped
    on the thread that made them, not wherever the error is handled."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if exc.__traceback__ is not None:
            traceback.clear_frames(exc.__traceback__)
        exc = exc.__cause__ or exc.__context__
