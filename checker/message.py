"""A read-only, lazy view over one message's raw bytes.

Parsing is the expensive part of an audit, so nothing is decoded until a field is asked
for, and every field is computed at most once per message (`Message.get`). The raw bytes
are never modified: hashes, exhibits and evidence offsets all refer to them.

Spam is hostile input, so a field never raises: if its extractor fails, the field takes
its empty value (None, or [] for lists) and the failure is recorded in `Message.errors`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from email.message import Message as StdlibMessage
from email.parser import BytesParser
from functools import cached_property
from typing import Any

from checker.fields import get_field

_MISSING = object()


class FieldError(Exception):
    """A field could not be computed for this message (recorded, never fatal to a batch)."""


def unreadable_sentence(name: str) -> str:
    """The warning for a field that failed, in words: 'Could not read the Subject of this
    message; the rules that need it could not be evaluated.'"""
    from checker.display import field_label

    return f"Could not read the {field_label(name)} of this message; the rules that need it could not be evaluated."


def empty_value(field_type: str) -> Any:
    """The value a field of `field_type` takes when it is absent or cannot be computed."""
    return [] if field_type.startswith("list[") else None


class Message:
    """A lazily parsed email message. `get(name)` returns a registered field's value."""

    def __init__(self, raw: bytes, source_id: str = "<bytes>", metadata: dict | None = None):
        self.raw = bytes(raw)
        self.source_id = source_id
        self.metadata = dict(metadata or {})
        self.errors: list[str] = []
        # field name -> what went wrong, technically ("RuntimeError: ..."); `errors` says in
        # words what could not be read, and the rules that need the field carry this detail
        self.field_errors: dict[str, str] = {}
        self.parse_error: str | None = None
        self._cache: dict[str, Any] = {}
        self._memo: dict[Any, Any] = {}

    def get(self, name: str) -> Any:
        """The value of field `name` (computed on first use, then cached).

        An unknown name raises KeyError (a programming error); a failing extractor
        does not raise (see the module docstring)."""
        value = self._cache.get(name, _MISSING)
        if value is _MISSING:
            spec = get_field(name)
            try:
                value = spec.extract(self)
            except Exception as exc:  # hostile input must not stop a batch
                value = empty_value(spec.type)
                self.field_errors[name] = f"{type(exc).__name__}: {exc}"[:500]
                self.errors.append(unreadable_sentence(name))
            self._cache[name] = value
        return value

    __getitem__ = get

    def memo(self, key: Any, compute: Callable[[Message], Any]) -> Any:
        """Compute-once storage for intermediate results that several fields share
        (decoded headers, the body plan, the HTML analysis). Exceptions propagate to
        the field that asked, so each field fails on its own."""
        value = self._memo.get(key, _MISSING)
        if value is _MISSING:
            value = compute(self)
            self._memo[key] = value
        return value

    def computed_fields(self) -> list[str]:
        """Names of the fields computed so far (for tests of laziness)."""
        return list(self._cache)

    def computed_steps(self) -> list[Any]:
        """Keys of the intermediate results computed so far (for tests of laziness)."""
        return list(self._memo)

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def size(self) -> int:
        return len(self.raw)

    @cached_property
    def parsed(self) -> StdlibMessage:
        """The stdlib `compat32` parse tree (fast; headers stay undecoded strings): the
        tree `email.message_from_bytes` builds, by `parse_compat32`, which gets simple
        structure faster.

        Treat it as read-only. If the stdlib parser itself fails (pathologically deep
        MIME nesting can exhaust the recursion limit), the headers are still parsed and
        the body is kept as one undecoded payload; the failure is in `errors`."""
        from checker.extract.compat32 import parse_compat32  # extract imports this module

        try:
            return parse_compat32(self.raw)
        except Exception as exc:
            self.parse_error = f"MIME parse failed ({type(exc).__name__}); body kept unsplit"
            self.errors.append(self.parse_error)
            return BytesParser().parsebytes(self.raw, headersonly=True)

    def __repr__(self) -> str:
        return f"<Message {self.source_id} {self.size} bytes>"
