"""PDF exhibits: one message → one numbered, hashed, self-contained PDF.

`render_exhibit(msg, audit_result, ExhibitOptions(...), ruleset_sha256)` returns an
`Exhibit` (PDF bytes, page count, Bates range) or raises `ExhibitError`.
"""

from checker.exhibits.bates import BatesError, BatesSpec
from checker.exhibits.context import ExhibitOptions
from checker.exhibits.render import Exhibit, ExhibitError, render_exhibit

__all__ = ["BatesError", "BatesSpec", "Exhibit", "ExhibitError", "ExhibitOptions",
           "render_exhibit"]
