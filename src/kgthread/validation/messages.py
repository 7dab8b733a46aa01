"""Generated result messages, used when a shape has no sh:message of its own.

A sentence names the value, where it came from and the rule, so an engineer can act on a
rejected batch without reading SHACL.
"""

from __future__ import annotations

from pyoxigraph import Literal

from kgthread.validation.plan import Check
from kgthread.validation.shapes import Term

_SENTENCES = {
    "class": "{value} ({where}) is not an instance of {argument}",
    "datatype": "{value} ({where}) is not a valid literal of datatype {argument}",
    "nodeKind": "{value} ({where}) is not of node kind {argument}",
    "minInclusive": "{value} ({where}) is not greater than or equal to {argument}",
    "maxInclusive": "{value} ({where}) is not less than or equal to {argument}",
    "minExclusive": "{value} ({where}) is not greater than {argument}",
    "maxExclusive": "{value} ({where}) is not less than {argument}",
    "minLength": "{value} ({where}) is shorter than {argument} characters",
    "maxLength": "{value} ({where}) is longer than {argument} characters",
    "pattern": "{value} ({where}) does not match the pattern {argument}",
    "in": "{value} ({where}) is not one of the allowed values",
    "hasValue": "{focus} does not have the required value {argument} ({where})",
    "minCount": "{focus} has fewer than {argument} values for {where}",
    "maxCount": "{focus} has more than {argument} values for {where}",
    "equals": "{value} is not a value of both {where} and {argument} on {focus}",
    "disjoint": "{value} is a value of both {where} and {argument} on {focus}",
    "lessThan": "{value} ({where}) is not less than every value of {argument}",
    "lessThanOrEquals": "{value} ({where}) is not less than or equal to every value of {argument}",
}


def describe(check: Check, focus: str, value: str | None) -> str:
    """A clear sentence for one result of ``check``."""
    where = check.path.to_ntriples() if check.path else "the focus node"
    return _SENTENCES[check.parameter].format(
        value=value or focus, where=where, argument=_show(check.argument), focus=focus
    )


def _show(term: Term) -> str:
    return term.value if isinstance(term, Literal) else str(term)
