"""The ISO 10303-21 reader: header, sections and entity instances, streamed.

It knows Part 21 and nothing of RDF or of what the instances mean. Every instance is checked
(syntax, duplicate names, references to instances the file never defines); only those the
caller ``wants`` are parsed into values and handed on, so memory follows what the mapping
needs, not the file size. Strict mode raises :class:`StepSyntaxError` naming file, line and
``#id`` at the first problem; failsafe mode skips the bad instance and records the problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from kgthread.errors import StepSyntaxError
from kgthread.ingest.step import params, schemas, strings, text
from kgthread.ingest.step.limits import MAX_INSTANCES, MAX_PENDING_REFERENCES
from kgthread.ingest.step.values import Header, Instance, Value

_INSTANCE = re.compile(
    r"#(\d+)[ \t\r\n]*=[ \t\r\n]*(?:(!?[A-Za-z_][A-Za-z0-9_]*)[ \t\r\n]*)?(?=\()"
)
_HEADER_ENTITY = re.compile(r"(!?[A-Za-z_][A-Za-z0-9_]*)[ \t\r\n]*(?=\()")
_KEYWORD = re.compile(r"([A-Za-z][A-Za-z0-9-]*)[ \t\r\n]*(\(.*)?;", re.DOTALL)
_BITMAP_LIMIT = 1 << 26
_BITMAP_SLACK = 1 << 20
_REQUIRED_HEADER = ("FILE_DESCRIPTION", "FILE_NAME", "FILE_SCHEMA")

Wanted = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a file, where it is."""

    file: str
    line: int
    entity: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: line {self.line}"
        return (
            where + (f", #{self.entity}" if self.entity is not None else "") + f": {self.message}"
        )


@dataclass
class _Names:
    """Which instance names are defined, and which references still wait for a definition."""

    bitmap: bytearray = field(default_factory=bytearray)
    large: set[int] = field(default_factory=set)
    pending: dict[int, tuple[int, int]] = field(default_factory=dict)

    count: int = 0

    def defined(self, name: int) -> bool:
        if name < len(self.bitmap):
            return self.bitmap[name] == 1
        return name in self.large

    def define(self, name: int) -> None:
        self.count += 1
        if name >= len(self.bitmap):
            # The map grows with the names seen, not with the largest: one instance named
            # #60000000 in a tiny file must not cost 60 MB. Names past it wait in a set.
            if name >= _BITMAP_LIMIT or name > 16 * self.count + _BITMAP_SLACK:
                self.large.add(name)
                self.pending.pop(name, None)
                return
            self.bitmap.extend(bytes(max(name + 1 - len(self.bitmap), len(self.bitmap))))
            moved = [n for n in self.large if n < len(self.bitmap)]
            for n in moved:
                self.large.discard(n)
                self.bitmap[n] = 1
        self.bitmap[name] = 1
        self.pending.pop(name, None)

    def refer(self, name: int, source: int, line: int) -> bool:
        """Remember a forward reference; False when too many are pending already."""
        if name not in self.pending and not self.defined(name):
            if len(self.pending) >= MAX_PENDING_REFERENCES:
                return False
            self.pending[name] = (source, line)
        return True


class Reader:
    """One Part 21 file. Call :meth:`read_header`, then iterate :meth:`instances`."""

    def __init__(
        self,
        stream: BinaryIO,
        name: str,
        *,
        strict: bool = True,
        wanted: Wanted | None = None,
        chunk_size: int = text.CHUNK_SIZE,
        encoding: str | None = None,
    ) -> None:
        self.name = name
        self.strict = strict
        self.wanted = wanted
        self.problems: list[Problem] = []
        self.instance_count = 0
        self.header = Header()
        self._line = 1
        decoded = text.decoded(
            stream, self._complain_at, chunk_size, refuse=self._fatal, encoding=encoding
        )
        chunks = self._sniffed(decoded)
        self._statements = text.statements(chunks, self._complain_at)
        self._names = _Names()
        self._header_read = False
        self._wanted_names: dict[str, bool] = {}

    # --- problems ---------------------------------------------------------------------

    def _complain(self, message: str, line: int, entity: int | None = None) -> None:
        problem = Problem(self.name, line, entity, message)
        if self.strict:
            raise StepSyntaxError(
                str(problem),
                file=self.name,
                line=line,
                entity=None if entity is None else f"#{entity}",
            )
        self.problems.append(problem)

    def _complain_at(self, message: str, line: int) -> None:
        self._complain(message, line)

    def _fatal(self, message: str, line: int) -> StepSyntaxError:
        """A problem failsafe mode cannot read past (the file is not Part 21 at all)."""
        return StepSyntaxError(f"{self.name}: line {line}: {message}", file=self.name, line=line)

    def _sniffed(self, chunks: Iterator[str]) -> Iterator[str]:
        """The chunks, once the start says this is Part 21: an XML or PDF upload is told so,
        not reported as one endless statement."""
        head = ""
        for chunk in chunks:
            head += chunk
            if len(head) >= 64:
                break
        start = text.without_comments(head).lstrip()
        if not "ISO-10303-21".startswith(start[:12]) or (not start and head.strip()):
            raise self._fatal("not an ISO 10303-21 file (it must start with 'ISO-10303-21;')", 1)
        if head:
            yield head
        yield from chunks

    # --- header -----------------------------------------------------------------------

    def read_header(self) -> Header:
        """Read up to the first data section and return the header."""
        if self._header_read:
            return self.header
        self._header_read = True
        first = next(self._statements, None)
        if first is None or _word(first.text) != "ISO-10303-21":
            line = first.line if first else 1
            raise self._fatal("not an ISO 10303-21 file (it must start with 'ISO-10303-21;')", line)
        second = next(self._statements, None)
        if second is None or _word(second.text) != "HEADER":
            raise self._fatal("expected 'HEADER;'", second.line if second else first.line)
        records: dict[str, tuple[Value, ...]] = {}
        for statement in self._statements:
            self._line = statement.line
            if _word(statement.text) == "ENDSEC":
                break
            match = _HEADER_ENTITY.match(statement.text)
            try:
                if match is None:
                    raise ValueError(f"not a header entity: {statement.text[:40]!r}")
                body = statement.text[match.end() : -1]
                try:
                    values = params.parse(body)
                except ValueError:
                    values = params.parse(strings.literal_backslashes(body))
                records[match.group(1).upper()] = values
            except ValueError as exc:
                self._complain(f"malformed header entity: {exc}", statement.line)
        else:
            raise self._fatal("the file ends inside the header (no ENDSEC;)", self._line)
        for required in _REQUIRED_HEADER:
            if required not in records:
                self._complain(f"the header has no {required}", self._line)
        self.header = _header(records)
        if self.header.schema is None:
            declared = ", ".join(self.header.schemas) or "none"
            self._complain(
                f"unsupported schema in FILE_SCHEMA ({declared}); "
                "kgthread reads AP203, AP214 and AP242",
                self._line,
            )
        return self.header

    # --- data ---------------------------------------------------------------------------

    def instances(self) -> Iterator[Instance]:
        """The wanted instances, in file order; the file's end is checked when exhausted."""
        self.read_header()
        state = "between"
        for statement in self._statements:
            self._line = statement.line
            body = statement.text
            if state == "data" and body[0] == "#":
                instance = self._instance(body, statement.line)
                if instance is not None:
                    yield instance
                continue
            keyword = _KEYWORD.match(body)
            word = keyword.group(1).upper() if keyword else ""
            if state == "end":
                self._complain(f"statement after END-ISO-10303-21: {body[:40]!r}", statement.line)
            elif word == "ENDSEC" and state in ("data", "other"):
                state = "between"
            elif state == "between" and word == "DATA":
                state = "data"
            elif state == "between" and word in ("ANCHOR", "REFERENCE", "SIGNATURE"):
                state = "other"
            elif state == "between" and word == "END-ISO-10303-21":
                state = "end"
            elif state != "other":
                self._complain(f"unexpected statement {body[:40]!r}", statement.line)
        if state in ("data", "other"):
            self._complain("the file ends inside a section (no ENDSEC;)", self._line)
        elif state != "end":
            self._complain("the file ends without END-ISO-10303-21;", self._line)
        for name, (source, line) in sorted(self._names.pending.items()):
            self._complain(f"reference to #{name}, which the file does not define", line, source)

    def _instance(self, body: str, line: int) -> Instance | None:
        match = _INSTANCE.match(body)
        if match is None:
            self._complain(f"malformed instance: {body[:60]!r}", line)
            return None
        name = int(match.group(1))
        entity = match.group(2)
        names = self._names
        if names.defined(name):
            self._complain(f"#{name} is defined twice", line, name)
            return None
        self.instance_count += 1
        if self.instance_count > MAX_INSTANCES:
            raise self._fatal(f"more than {MAX_INSTANCES} entity instances", line)
        rest = body[match.end() : -1]
        wanted = self.wanted
        try:
            if entity is not None and wanted is not None and not self._wants(entity):
                refs = params.check(rest)
                if refs is None:
                    params.parse(rest)  # says what is wrong
                    raise ValueError("malformed parameter list")
                names.define(name)
                bitmap, size = names.bitmap, len(names.bitmap)
                for digits in refs:
                    ref = int(digits)
                    if ref >= size or not bitmap[ref]:  # most references point back
                        self._refer(ref, name, line)
                return None
            if entity is None:
                records = params.parse_records(rest)
            else:
                records = {entity.upper(): params.parse(rest)}
        except ValueError as exc:
            self._complain(f"malformed instance: {exc}", line, name)
            return None
        names.define(name)
        found: list[int] = []
        for values in records.values():
            params.references(values, found)
        for ref in found:
            self._refer(ref, name, line)
        if wanted is not None and entity is None and not any(wanted(r) for r in records):
            return None
        return Instance(name, records, line)

    def _wants(self, entity: str) -> bool:
        known = self._wanted_names.get(entity)
        if known is None:
            known = self._wanted_names[entity] = self.wanted is None or self.wanted(entity.upper())
        return known

    def _refer(self, ref: int, source: int, line: int) -> None:
        if not self._names.refer(ref, source, line):
            raise self._fatal(
                f"#{source}: more than {MAX_PENDING_REFERENCES} references to instances "
                "not defined yet",
                line,
            )


def _word(statement: str) -> str:
    """A keyword statement (``HEADER;``) as its upper-case keyword: writers vary the case."""
    return statement.rstrip("; \t\r\n").upper()


def _text(value: Value) -> str:
    return value if isinstance(value, str) else ""


def _texts(value: Value) -> tuple[str, ...]:
    if isinstance(value, tuple):
        return tuple(v for v in value if isinstance(v, str))
    return (value,) if isinstance(value, str) else ()


def _header(records: dict[str, tuple[Value, ...]]) -> Header:
    description = records.get("FILE_DESCRIPTION", ())
    file_name = records.get("FILE_NAME", ())
    schema = records.get("FILE_SCHEMA", ())
    fields = [*file_name, *([None] * 7)]
    declared = _texts(schema[0]) if schema else ()
    return Header(
        description=_texts(description[0]) if description else (),
        implementation_level=_text(description[1]) if len(description) > 1 else "",
        name=_text(fields[0]),
        time_stamp=_text(fields[1]),
        authors=tuple(a for a in _texts(fields[2]) if a.strip()),
        organizations=tuple(o for o in _texts(fields[3]) if o.strip()),
        preprocessor_version=_text(fields[4]),
        originating_system=_text(fields[5]),
        authorization=_text(fields[6]),
        schemas=declared,
        schema=schemas.detect(declared),
        extra={k: v for k, v in records.items() if k not in _REQUIRED_HEADER},
    )
