"""PDF exhibits: one message → a numbered, hashed, self-contained message exhibit and,
on request, its analysis appendix.

`render_message_exhibit(msg, audit_result, ExhibitOptions(...), ruleset_sha256)` and
`render_analysis(...)` return an `Exhibit` (PDF bytes, page count, Bates range) or raise
`ExhibitError`; `render_exhibit` is `render_message_exhibit`.
"""

from checker.exhibits.bates import BatesError, BatesSpec
from checker.exhibits.context import ExhibitOptions
from checker.exhibits.render import (
    Exhibit,
    ExhibitError,
    render_analysis,
    render_exhibit,
    render_message_exhibit,
    rule_statuses,
)

__all__ = ["BatesError", "BatesSpec", "Exhibit", "ExhibitError", "ExhibitOptions",
           "render_analysis", "render_exhibit", "render_message_exhibit", "rule_statuses"]
