"""Structural limits of the Part 21 reader: what a hostile file may not make it do.

Each limit is far above what CAD systems write (in the real files of the test data the
longest statement is 195 kB and lists nest at most four deep) and low enough that a file
cannot exhaust the stack, the memory or the time of the server reading it. A file past a
limit is refused with :class:`~kgthread.errors.StepSyntaxError` naming the file, the line
and, where there is one, the ``#id``.
"""

from __future__ import annotations

MAX_INSTANCES = 10_000_000
"""Entity instances in one file (nist_ftc_06, 3.3 MB, has about 17 thousand; a 512 MiB upload
of instances that size would hold under 3 million)."""

MAX_PENDING_REFERENCES = 10_000_000
"""References to instances not defined yet, remembered until their definition comes."""

MAX_STATEMENT = 16 << 20
"""Characters in one statement (one instance, with its parameters), i.e. one record."""

MAX_NESTING = 32
"""Depth of nested parameter lists and typed parameters in one instance."""

MAX_STRING = 1 << 20
"""Characters in one string parameter the mapping reads (names, descriptions, ids)."""
