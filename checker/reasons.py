"""Reason codes: why an outcome is what it is, each with its plain-English sentence.

The engine decides the codes; finding text and exhibits say only what the codes that hold
say. (Minimal catalogue: the codes the legal-date work needs; the rest join here.)
"""

from __future__ import annotations

DATE_FROM_HEADER = "date_from_header"

REASONS: dict[str, str] = {
    DATE_FROM_HEADER: (
        "The date used is the message's Date header, which the sender writes: no trusted "
        "Received line gives the time the trap received the message."
    ),
}


def describe(code: str) -> str:
    """The sentence for `code` (the code itself when it is not in the catalogue)."""
    return REASONS.get(code, code)
