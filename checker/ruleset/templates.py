"""Finding sentences: sandboxed Jinja templates written by counsel.

The environment is `ImmutableSandboxedEnvironment` (no access to Python internals, no
mutating lists or dicts) with autoescape off (the output is plain text; HTML output
escapes it again) and `StrictUndefined`, so a misspelt variable is an error rather than
an empty string. The loader checks each template three ways: it must parse, every
variable must be one of `TEMPLATE_VARIABLES`, and a dry run with sample values must
render (catching e.g. `evidence[0].qoute`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from checker.display import field_label, quoted, reveal
from checker.reasons import is_code
from checker.ruleset.spec import TEMPLATE_VARIABLES

ABSENT = "(absent)"

MAX_OUTPUT = 10_000  # characters one `*` in a template may produce


class _Environment(ImmutableSandboxedEnvironment):
    """The sandbox, plus bounds on `*` and `**` (no 'x' * 10**9 in a finding sentence)."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "**":
            raise SecurityError("the ** operator is not allowed in finding templates")
        sized = [len(x) for x in (left, right) if isinstance(x, str | list | tuple)]
        counts = [x for x in (left, right) if isinstance(x, int) and not isinstance(x, bool)]
        if sized and counts and max(sized) * max(counts) > MAX_OUTPUT:
            raise SecurityError(f"a repetition longer than {MAX_OUTPUT} characters")
        return super().call_binop(context, operator, left, right)


ENV = _Environment(autoescape=False, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
ENV.filters["reveal"] = reveal  # invisible and text-direction characters shown as ⟨U+202E⟩
ENV.filters["quoted"] = quoted  # "text" as people quote it (“text” when it holds a " itself)


class Outcomes(dict):
    """The `outcomes` variable: rule id -> outcome of the rules a rule builds on. Any
    other id reads "(not evaluated)" rather than failing the sentence."""

    def __missing__(self, key: str) -> str:
        return "(not evaluated)"


class _Constants(dict):
    """`constants.NAME` in a template; an unknown name fails the loader's dry run."""

    def __missing__(self, key: str):
        raise TemplateError(f"unknown constant {key!r}")


class TemplateProblem(Exception):
    def __init__(self, message: str, lineno: int = 1):
        super().__init__(message)
        self.message = message
        self.lineno = lineno


@dataclass(frozen=True)
class CompiledTemplate:
    template: Template
    variables: frozenset[str]
    field_names: tuple[str, ...]  # literal names passed to field("...")


def compile_template(source: str, is_field: Callable[[str], bool],
                     constants: dict[str, Any] | None = None) -> CompiledTemplate:
    """Parse and check a finding template; raises TemplateProblem. `constants` (the rule
    set's named constants) are the template's `constants` variable."""
    try:
        ast = ENV.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"template syntax error: {exc.message}", exc.lineno or 1) from exc
    variables = meta.find_undeclared_variables(ast)
    for name in sorted(variables):
        if name not in TEMPLATE_VARIABLES:
            hint = _suggest(name, TEMPLATE_VARIABLES)
            raise TemplateProblem(f"unknown template variable {name!r}{hint}", _line_of(ast, name))
    field_names = []
    for call in ast.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == "field":
            arg = call.args[0] if call.args else None
            if not isinstance(arg, nodes.Const) or not isinstance(arg.value, str):
                raise TemplateProblem('field() needs a field name in quotes, e.g. field("date.raw")', call.lineno)
            if not is_field(arg.value):
                raise TemplateProblem(f"field({arg.value!r}): unknown field", call.lineno)
            field_names.append(arg.value)
    template = ENV.from_string(source, globals={"constants": _Constants(constants or {})})
    # The reason codes the template speaks to itself; the engine adds the others' sentences.
    template.reason_codes = frozenset(
        const.value for const in ast.find_all(nodes.Const) if is_code(const.value)
    )
    compiled = CompiledTemplate(template, frozenset(variables), tuple(field_names))
    _dry_run(compiled)
    return compiled


def _dry_run(compiled: CompiledTemplate) -> None:
    """Render with sample values: with evidence and without, for every outcome."""
    span = {"field": "subject", "start": 0, "end": 3, "quote": "Re:", "searched": None, "note": None}
    absence = {"field": "body.visible_text", "start": None, "end": None, "quote": None,
               "searched": ['"unsubscribe"'], "note": "no match"}
    for status in ("violation", "needs_review", "compliant", "not_applicable"):
        for evidence in ([span, absence], []):
            context = sample_context(status, evidence)
            try:
                compiled.template.render(context)
            except TemplateError as exc:
                where = "with no evidence" if not evidence else "with sample evidence"
                raise TemplateProblem(f"template fails {where} ({status}): {exc}", 1) from exc
            except Exception as exc:  # sandbox SecurityError, TypeError on bad filters, ...
                raise TemplateProblem(f"template fails ({status}): {type(exc).__name__}: {exc}", 1) from exc


def sample_context(status: str, evidence: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "rule": "RULE-ID",
        "title": "Title",
        "status": status,
        "jurisdiction": "US",
        "severity": "high",
        "citations": ["15 U.S.C. § 7704(a)(1)"],
        "evidence": evidence,
        "quotes": [e["quote"] for e in evidence if e.get("quote") is not None],
        "searched": [searched_text(e) for e in evidence if e.get("searched")],
        "review_reason": "a reason" if status == "needs_review" else "",
        "reasons": ["pictures_present", "commercial_uncertain"] if status != "compliant" else [],
        "outcomes": Outcomes({"RULE-A": "violation", "RULE-B": "needs_review", "RULE-C": "compliant"}),
        "subject": "Subject",
        "from": "sender@example.com",
        "field": lambda name, default=ABSENT: "value",
    }


def searched_text(evidence: dict[str, Any]) -> str:
    return f"the {field_label(evidence['field'])} for {', '.join(evidence['searched'])}"


def render(template: Template, context: dict[str, Any]) -> str:
    """Render and tidy: folded YAML and Jinja blocks leave runs of white space."""
    return " ".join(template.render(context).split())


def _suggest(name: str, choices) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _line_of(ast: nodes.Template, name: str) -> int:
    for found in ast.find_all(nodes.Name):
        if found.name == name:
            return found.lineno
    return 1
