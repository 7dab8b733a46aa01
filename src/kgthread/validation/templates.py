"""The SPARQL templates in ``rq/``: read once, never edited at run time.

Every value a template needs is bound with pyoxigraph substitutions, so a template is the
whole query text; this module only finds and caches the files.
"""

from __future__ import annotations

import functools
from importlib import resources


@functools.cache
def template(name: str) -> str:
    """The text of ``rq/<name>.rq``."""
    return resources.files("kgthread.validation").joinpath("rq", f"{name}.rq").read_text("utf-8")
