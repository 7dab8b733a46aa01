"""What a Part 21 exchange structure holds, as plain Python values.

The reader produces these and nothing else; the extraction reads them. Parameters keep the
distinctions the standard makes (omitted ``$`` is ``None``, derived ``*`` is :data:`DERIVED`,
an enumeration is not a string) because the mapping needs them: ``.T.`` is not ``'T'``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Union


@dataclass(frozen=True, slots=True)
class Ref:
    """An entity instance name, ``#12``."""

    id: int

    def __str__(self) -> str:
        return f"#{self.id}"


@dataclass(frozen=True, slots=True)
class Enum:
    """An enumeration value, ``.MILLI.`` (logicals ``.T.``, ``.F.``, ``.U.`` included)."""

    value: str


@dataclass(frozen=True, slots=True)
class Binary:
    """A binary, ``"0F3"``: the first digit counts unused leading bits."""

    digits: str


@dataclass(frozen=True, slots=True)
class Typed:
    """A typed parameter, ``LENGTH_MEASURE(0.5)``, or one record of a complex instance."""

    name: str
    params: tuple[Value, ...]


class Derived:
    """The derived value ``*``: the schema computes it, the file does not carry it."""

    _instance: Derived | None = None

    def __new__(cls) -> Derived:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "*"


DERIVED = Derived()

Value = Union[str, int, float, Ref, Enum, Binary, Typed, Derived, "tuple[Value, ...]", None]


@dataclass(frozen=True, slots=True)
class Instance:
    """One entity instance: a simple one has one record, a complex one several
    (``#1=(A()B());``)."""

    id: int
    records: Mapping[str, tuple[Value, ...]]
    line: int

    @property
    def complex(self) -> bool:
        return len(self.records) > 1

    @property
    def type(self) -> str:
        """The entity name of a simple instance; ``A+B+C`` for a complex one."""
        return "+".join(self.records)

    def has(self, name: str) -> bool:
        return name in self.records

    def get(self, name: str) -> tuple[Value, ...] | None:
        return self.records.get(name)


@dataclass(frozen=True, slots=True)
class Schema:
    """The application protocol a file declares in FILE_SCHEMA."""

    name: str
    """The schema name as written (upper case, without the object identifier)."""
    protocol: str
    """``AP203``, ``AP214`` or ``AP242``."""
    edition: int | None

    @property
    def label(self) -> str:
        return self.protocol + (f" ed{self.edition}" if self.edition else "")


@dataclass(frozen=True, slots=True)
class Header:
    """The header section: what the originating system says about the file."""

    description: tuple[str, ...] = ()
    implementation_level: str = ""
    name: str = ""
    time_stamp: str = ""
    authors: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()
    preprocessor_version: str = ""
    originating_system: str = ""
    authorization: str = ""
    schemas: tuple[str, ...] = ()
    schema: Schema | None = None
    extra: Mapping[str, tuple[Value, ...]] = field(default_factory=dict)
