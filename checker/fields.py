"""The field registry: every value a rule can test, with its type and a one-line doc.

One registry feeds the engine, the rule linter (unknown field names are load errors),
the JSON Schema and `spamlaw fields`. Each field's extractor takes a `Message` and
returns a plain value: `str`, `bool`, `int`, `datetime`, `None`, a list of those, or a
list of records (`dict`s whose keys are declared in `item_fields`).

Text fields are plain `str` and never change once computed, so character offsets into
them are stable evidence coordinates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from checker.message import Message

# Value types a field may declare. `list[record]` fields name their record keys in
# `item_fields` (key -> (type, doc)) so that `where:` clauses can be checked at load time.
FIELD_TYPES = (
    "text",
    "bool",
    "int",
    "datetime",
    "list[text]",
    "list[record]",
)


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    doc: str
    extract: Callable[[Message], Any]
    item_fields: dict[str, tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(f"field {self.name}: unknown type {self.type!r}")
        if (self.type == "list[record]") != bool(self.item_fields):
            raise ValueError(f"field {self.name}: item_fields go with list[record] only")


FIELDS: dict[str, Field] = {}


def register(name: str, type: str, doc: str, item_fields: dict | None = None):
    """Decorator: register `fn(message) -> value` as the extractor of field `name`."""

    def wrap(fn: Callable[[Message], Any]) -> Callable[[Message], Any]:
        if name in FIELDS:
            raise ValueError(f"field {name} registered twice")
        FIELDS[name] = Field(name, type, doc, fn, dict(item_fields or {}))
        return fn

    return wrap


def get_field(name: str) -> Field:
    _load_extractors()
    return FIELDS[name]


def all_fields() -> dict[str, Field]:
    _load_extractors()
    return FIELDS


_loaded = False


def _load_extractors() -> None:
    """Import the modules whose extractors register themselves (explicit list, no magic)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    # The import order is the order `spamlaw fields` lists the fields in.
    # isort: off
    from checker import extract  # noqa: F401  (registers header, body and MIME fields)
    from checker import legal_date  # noqa: F401  (receipt.time, legal_date, date.skew)
    from checker import case  # noqa: F401  (registers recipient.* and case.* fields)
    from checker import detectors  # noqa: F401  (registers detector fields: commercial, opt_out, ...)
    # isort: on
