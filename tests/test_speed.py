"""Speed work that must not change what a user gets: start-up without the PDF renderer,
and the evidence JSON written field by field."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

from checker.findings import Evidence


def test_the_audit_command_starts_without_loading_the_pdf_renderer():
    # WeasyPrint costs most of a second of CPU at import; `spamlaw audit` never draws a PDF.
    probe = "import sys, checker.cli; print(sorted(m for m in sys.modules if m.startswith('weasyprint'))[:1])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_exhibit_names_still_load_on_first_use():
    import checker.exhibits as exhibits

    assert exhibits.ExhibitOptions.__name__ == "ExhibitOptions"
    assert callable(exhibits.render_message_exhibit)


def test_evidence_json_has_every_set_field_in_declaration_order_and_omits_unset_ones():
    every = Evidence("body.visible_text", 1, 5, "text", ("a", "b"), "a note", "commercial.reasons[0]")
    assert list(every.to_dict()) == [f.name for f in dataclasses.fields(Evidence)]
    assert every.to_dict()["searched"] == ["a", "b"]
    assert Evidence("subject", searched=("x",)).to_dict() == {"field": "subject", "searched": ["x"]}


def test_indented_json_is_byte_for_byte_what_the_stdlib_writes():
    import datetime
    import json

    from checker.findings import Status
    from checker.formatters.json import _fallback, dumps

    value = {"status": Status.VIOLATION, "empty": [], "none": {}, "nested": {"a": [[{}], [1, -2]]},
             "numbers": [1.5, -0.0, 10**30, True, False, None], "text": "é \"q\" \\ \n\t\x01 😀 </a>",
             "date": datetime.date(2026, 1, 2), "set": {3, 1}, "tuple": ("x",), "other": 3 + 4j}
    expected = json.dumps(value, indent=2, separators=(",", ": "), default=_fallback)
    assert dumps(value, indent=2) == expected
    assert dumps({1: "non-text key", "nan": float("nan")}, indent=2) == json.dumps(
        {1: "non-text key", "nan": float("nan")}, indent=2, separators=(",", ": "))
