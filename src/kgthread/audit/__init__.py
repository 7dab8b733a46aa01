"""The tamper-evident audit trail: a hash-chained log of every write, kept outside the store.

``digest`` (RDFC-1.0 digests), ``log`` (the chained file), ``trail`` (what each write
records, and reconciliation after a crash), ``verify`` (the chain and the store held
against it). See docs/audit.md.
"""

from kgthread.audit.digest import ALGORITHM, Digest, canonical_digest
from kgthread.audit.log import AuditLog
from kgthread.audit.trail import AuditTrail, Recorder, audit_folder
from kgthread.audit.verify import Finding, Verification, verify

__all__ = [
    "ALGORITHM",
    "AuditLog",
    "AuditTrail",
    "Digest",
    "Finding",
    "Recorder",
    "Verification",
    "audit_folder",
    "canonical_digest",
    "verify",
]
