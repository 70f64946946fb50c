"""PDF exhibits: one message → a numbered, hashed, self-contained message exhibit and,
on request, its analysis appendix.

`render_message_exhibit(msg, audit_result, ExhibitOptions(...), ruleset_sha256)` and
`render_analysis(...)` return an `Exhibit` (PDF bytes, page count, Bates range) or raise
`ExhibitError`; `render_exhibit` is `render_message_exhibit`.

The names below load on first use (PEP 562): importing `checker.exhibits.bates` for the
CLI's options must not import the PDF renderer (WeasyPrint, most of a second of CPU) into
every `spamlaw audit`.
"""

from importlib import import_module
from typing import Any

_HOMES = {
    "BatesError": "checker.exhibits.bates",
    "BatesSpec": "checker.exhibits.bates",
    "ExhibitOptions": "checker.exhibits.context",
    "Exhibit": "checker.exhibits.render",
    "ExhibitError": "checker.exhibits.render",
    "render_analysis": "checker.exhibits.render",
    "render_exhibit": "checker.exhibits.render",
    "render_message_exhibit": "checker.exhibits.render",
    "rule_statuses": "checker.exhibits.render",
}

__all__ = ["BatesError", "BatesSpec", "Exhibit", "ExhibitError", "ExhibitOptions",
           "render_analysis", "render_exhibit", "render_message_exhibit", "rule_statuses"]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value
