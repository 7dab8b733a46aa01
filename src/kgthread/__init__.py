"""kgthread: a knowledge-graph service for the manufacturing digital thread."""

__version__ = "0.1.0"
