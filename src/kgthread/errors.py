"""One error hierarchy: each error carries an HTTP status, a stable code and a CLI exit code.

The API turns these into RFC 9457 problem+json at one boundary (``api/errors.py``); the CLI
prints the message and exits with ``exit_code``. Library exceptions are translated into
these where they are raised (the store wrapper, the readers), nowhere else.
"""

from __future__ import annotations

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


class QueryTimeout(KgthreadError):
    status = 503
    code = "query-timeout"
    title = "Query exceeded its time limit"


class NodesetError(BadRequest):
    """An OPC UA NodeSet2 file that cannot be read; ``file`` and ``element`` say where."""

    code = "opcua-nodeset"
    title = "OPC UA NodeSet2 error"


class OpcUaConfigError(BadRequest):
    """An OPC UA watch configuration that is incomplete, contradictory or insecure."""

    code = "opcua-config"
    title = "OPC UA configuration error"
