"""The SHACL gate's engines: a native one evaluated in Python over
Oxigraph's indexes, and pySHACL.

Both return the same ``Report``; the native engine is the default once the W3C SHACL Core
tests it passes cover every constraint component the project's shapes use.
"""

from kgthread.validation.engine import validate
from kgthread.validation.report import Report, ValidationResult
from kgthread.validation.shapes import ShapesGraph

__all__ = ["Report", "ShapesGraph", "ValidationResult", "validate"]
