"""The field and operator reference of docs/authoring.md, generated from the registries
(the field registry, the operator table, the condition forms and template variables), so
the manual cannot drift from what the loader accepts. A test regenerates it and fails on
a difference; to update the file:

    .venv/bin/python -m checker.ruleset.reference docs/authoring.md
"""

from __future__ import annotations

import sys
from pathlib import Path

from checker.fields import all_fields
from checker.operators import ARG_KINDS, OPERATORS, OPTIONS
from checker.ruleset import spec

BEGIN = "<!-- BEGIN GENERATED REFERENCE (python -m checker.ruleset.reference docs/authoring.md) -->"
END = "<!-- END GENERATED REFERENCE -->"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def reference_markdown() -> str:
    # the program's own fields (a test suite may register stand-ins of its own)
    # sorted by name: the registry's order depends on which modules were imported first
    fields = {n: f for n, f in sorted(all_fields().items())
              if getattr(f.extract, "__module__", "").startswith("checker.")}
    lines = ["### Operators", "", "| operator | argument | applies to | meaning | example |",
             "| --- | --- | --- | --- | --- |"]
    for op in OPERATORS.values():
        kinds = ", ".join(sorted(op.field_types))
        lines.append(f"| `{op.name}` | {_cell(ARG_KINDS[op.arg])} | {kinds} | {_cell(op.doc)} | "
                     f"`{_cell(op.example)}` |")
    lines += ["", "Options a field condition may add:", ""]
    lines += [f"- `{name}`: {_cell(doc)}" for name, doc in OPTIONS.items()]
    lines += ["", "### Condition forms", "", "| form | meaning |", "| --- | --- |"]
    lines += [f"| `{name}` | {_cell(key.doc)} |" for name, key in spec.CONDITION_FORMS.items()]
    lines += ["", "### Finding template variables", "", "| variable | meaning |", "| --- | --- |"]
    lines += [f"| `{name}` | {_cell(doc)} |" for name, doc in spec.TEMPLATE_VARIABLES.items()]
    lines += ["", f"### Fields ({len(fields)})", "",
              "| field | type | meaning |", "| --- | --- | --- |"]
    for name, field in fields.items():
        lines.append(f"| `{name}` | {field.type} | {_cell(field.doc)} |")
        for key, (key_type, doc) in field.item_fields.items():
            lines.append(f"| `{name}[].{key}` | {key_type} | {_cell(doc)} |")
    return "\n".join(lines) + "\n"


def with_reference(document: str) -> str:
    """`document` with the text between the markers replaced by the current reference."""
    head, found, rest = document.partition(BEGIN)
    if not found or END not in rest:
        raise ValueError("the markers of the generated reference are missing")
    tail = rest.split(END, 1)[1]
    return f"{head}{BEGIN}\n{reference_markdown()}{END}{tail}"


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "docs/authoring.md")
    path.write_text(with_reference(path.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
