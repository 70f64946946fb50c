"""A read-only, lazy view over one message's raw bytes.

Parsing is the expensive part of an audit, so nothing is decoded until a field is asked
for, and every field is computed at most once per message (`Message.get`). The raw bytes
are never modified: hashes, exhibits and evidence offsets all refer to them.
"""

from __future__ import annotations

import email
import hashlib
from email.message import Message as StdlibMessage
from functools import cached_property
from typing import Any

from checker.fields import get_field

_MISSING = object()


class FieldError(Exception):
    """A field could not be computed for this message (recorded, never fatal to a batch)."""


class Message:
    """A lazily parsed email message. `get(name)` returns a registered field's value."""

    def __init__(self, raw: bytes, source_id: str = "<bytes>", metadata: dict | None = None):
        self.raw = bytes(raw)
        self.source_id = source_id
        self.metadata = dict(metadata or {})
        self._cache: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        """The value of field `name` (computed on first use, then cached)."""
        value = self._cache.get(name, _MISSING)
        if value is _MISSING:
            value = get_field(name).extract(self)
            self._cache[name] = value
        return value

    __getitem__ = get

    def computed_fields(self) -> list[str]:
        """Names of the fields computed so far (for tests of laziness)."""
        return list(self._cache)

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def size(self) -> int:
        return len(self.raw)

    @cached_property
    def parsed(self) -> StdlibMessage:
        """The stdlib `compat32` parse tree (fast; headers stay undecoded strings)."""
        return email.message_from_bytes(self.raw)

    def __repr__(self) -> str:
        return f"<Message {self.source_id} {self.size} bytes>"
