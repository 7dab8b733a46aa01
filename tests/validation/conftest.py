"""Shared fixtures for the validation engine tests."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

BATCH = ox.NamedNode("urn:test:batch")
CONTEXT = ox.NamedNode("urn:test:context")


@pytest.fixture
def batch_graph() -> ox.NamedNode:
    return BATCH


@pytest.fixture
def context_graph() -> ox.NamedNode:
    return CONTEXT
