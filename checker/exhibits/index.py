"""The index of a batch of exhibits and the schedule of damages, as two documents.

`render_index`: the cover (selection and accounting), the table of exhibits with their
Bates ranges, and every input that is not an exhibit with its status and reason, so the
index accounts for every message given. `render_schedule`: a demonstrative of its own --
counts per rule and per jurisdiction and the schedule of statutory damages
(`checker.exhibits.schedule`), with the figures embedded as `schedule.json`. Each
document carries Bates numbers of its own series (`<prefix>INDEX-0001`,
`<prefix>SCHEDULE-0001`): they are rewritten whenever the case grows, so they never take
numbers from the exhibits' series.

Like the exhibits it is deterministic (the PDF identifier derives from the inputs, the
document carries no dates, nothing reads the clock) and renders with the deny-all
`EvidenceFetcher`, so nothing a subject line says can make it fetch anything. Every value
reaches the template as text and is escaped there (Jinja autoescape); subjects, senders
and sources are bounded in length and their control and bidirectional-override
characters are shown as visible stand-ins. The schedule itself is embedded as a PDF/A-3
associated file (`schedule.json`), so the figures travel with the document.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import weasyprint
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from checker import __version__
from checker.exhibits.bates import css_string
from checker.exhibits.fetcher import EvidenceFetcher
from checker.exhibits.render import FALLBACK_DATE, PDF_VARIANT, TOOL_NAME, ExhibitError
from checker.exhibits.sanitize import clean_text
from checker.paths import templates_dir

TEMPLATE = "index.html.j2"
SCHEDULE_TEMPLATE = "schedule.html.j2"
INDEX_SERIES, SCHEDULE_SERIES = "INDEX-", "SCHEDULE-"  # after the Bates prefix
SERIES_DIGITS = 4
MAX_REASON = 200
MAX_SUBJECT = 160
MAX_SENDER = 100
MAX_SOURCE = 160
MAX_NOTE = 300
MAX_TEXT = 200  # title, case name, labels, Bates numbers
MAX_SELECTION = 1000
MAX_RULES_SHOWN = 12
MAX_EXHIBITS_LISTED = 40  # per figure; the rest are counted
ACCOUNTING_ORDER = ("exhibit", "not_selected", "error")
ACCOUNTING_LABELS = {
    "exhibit": "became exhibits",
    "not_selected": "were not selected",
    "error": "could not be read or rendered",
    "held": "are numbered but their exhibits are not made yet (only their analysis was asked for)",
}
UNIT_TEXT = {"message": "per message", "violation": "per violation", "day": "per day",
             "incident": "per incident"}
CAVEAT = (
    "The damages figures below are statutory maxima per unit taken from the citation "
    "registry (rules/authorities.yaml; as-of dates listed with each remedy), multiplied by "
    "message counts, for counsel's judgement. They are not findings of liability: each "
    "remedy has conditions, plaintiffs and defences of its own, and remedies overlap, so "
    "their totals must not be added together. Findings of status needs_review are not "
    "violations; what they would add if a person confirmed them is shown separately."
)
# Bidirectional controls can make a hostile subject display reversed or reordered text.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class IndexRow:
    number: int
    label: str
    bates_first: str
    bates_last: str
    pages: int
    source: str
    sha256: str
    pdf_file: str
    pdf_sha256: str
    subject: str
    sender: str
    date: str
    violations: tuple[str, ...]  # rule ids with status violation
    reviews: tuple[str, ...]  # rule ids with status needs_review
    note: str = ""  # e.g. "slip sheet: could not be rendered: <reason>"


@dataclass(frozen=True)
class InputLine:
    """An input that is not an exhibit (not selected, or an error), for the index."""

    position: int
    status: str
    reason: str
    source: str
    sha256: str


@dataclass(frozen=True)
class IndexOptions:
    title: str = "Index of exhibits"
    case_name: str = ""
    ruleset_sha256: str = ""
    accounting: Mapping[str, int] = field(default_factory=dict)  # manifest status -> count
    selection: str = ""  # how exhibits were chosen, one sentence
    bates_prefix: str = ""  # the production's prefix; the documents' own series follow it
    campaigns: Sequence[Mapping] = ()  # summary by campaign (checker.campaigns.representatives)


def render_index(rows: Sequence[IndexRow], options: IndexOptions,
                 templates: Path | None = None, others: Sequence[InputLine] = ()) -> bytes:
    """The index PDF: exhibits (`rows`) and every other input (`others`). Same inputs ->
    same bytes; never fetches anything.

    Raises `ExhibitError` (as `render_exhibit` does) when no PDF can be made."""
    ordered, rest, identity = _index_identity(rows, others)
    context = {**_document_context(options, INDEX_SERIES),
               "rows": [_row(r) for r in ordered],
               "exhibit_pages": sum(max(int(r.pages), 0) for r in ordered),
               "others": [_other(line) for line in rest],
               "campaigns": [_campaign(c) for c in options.campaigns]}
    return _render("index", TEMPLATE, context, identity, options, templates, attachment=None)


def _index_identity(rows: Sequence[IndexRow], others: Sequence[InputLine]):
    ordered = sorted(rows, key=lambda r: (r.number, r.label))
    rest = sorted(others, key=lambda line: line.position)
    return ordered, rest, [[asdict(r) for r in ordered], [asdict(line) for line in rest]]


def index_identifier(rows: Sequence[IndexRow], options: IndexOptions,
                     templates: Path | None = None, others: Sequence[InputLine] = ()) -> str:
    """The PDF identifier `render_index` gives these inputs (it changes whenever anything
    the index shows could change), without laying anything out: a batch keeps an
    index.pdf whose identifier is unchanged instead of rebuilding it (at ~15 ms a row,
    45,000 rows cost ~11 CPU-minutes)."""
    identity = _index_identity(rows, others)[2]
    return _identifier(["index", *identity], options,
                       Path(templates or templates_dir())).decode()


def schedule_identifier(schedule: dict, options: IndexOptions,
                        templates: Path | None = None) -> str:
    """The PDF identifier `render_schedule` gives (as `index_identifier`)."""
    options = replace(options, title=SCHEDULE_TITLE)
    return _identifier(["schedule", schedule], options,
                       Path(templates or templates_dir())).decode()


SCHEDULE_TITLE = "Schedule of statutory damages (demonstrative)"


def render_schedule(schedule: dict, options: IndexOptions,
                    templates: Path | None = None) -> bytes:
    """The schedule of damages as a demonstrative of its own, with `schedule.json`
    embedded. Raises `ExhibitError` when no PDF can be made."""
    context = {**_document_context(options, SCHEDULE_SERIES), **_schedule_context(schedule)}
    title = SCHEDULE_TITLE
    options = replace(options, title=title)
    context["title"] = title
    return _render("schedule", SCHEDULE_TEMPLATE, context, [schedule], options, templates,
                   attachment=schedule)


def _render(name: str, template: str, context: dict, identity: list, options: IndexOptions,
            templates: Path | None, attachment: dict | None) -> bytes:
    directory = Path(templates or templates_dir())
    fetcher = EvidenceFetcher()  # no parts: every URL is refused
    try:
        html = _environment(str(directory)).get_template(template).render(**context)
        document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None).render(
            pdf_variant=PDF_VARIANT)
        return document.write_pdf(
            attachments=[] if attachment is None else [_schedule_attachment(attachment,
                                                                            fetcher)],
            pdf_identifier=_identifier([name, *identity], options, directory),
            pdf_variant=PDF_VARIANT,
        )
    except ExhibitError:
        raise
    except Exception as exc:
        raise ExhibitError(f"{name}: {type(exc).__name__}: {str(exc)[:300]}") from exc


def _identifier(identity: list, options: IndexOptions, directory: Path) -> bytes:
    """16 bytes (as 32 hex digits) that change whenever anything shown could change."""
    payload = json.dumps(
        [identity, _options_dict(options), _templates_digest(str(directory)), __version__,
         weasyprint.__version__],
        sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32].encode()


def _options_dict(options: IndexOptions) -> dict:
    data = asdict(options)
    data["accounting"] = dict(sorted((str(k), v) for k, v in options.accounting.items()))
    return data


@lru_cache(maxsize=8)
def _templates_digest(directory: str) -> str:
    root = Path(directory)
    digest = hashlib.sha256()
    for path in sorted([*root.glob("index*"), *root.glob("schedule*")]):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _schedule_attachment(schedule: dict, fetcher: EvidenceFetcher) -> weasyprint.Attachment:
    data = json.dumps(schedule, sort_keys=True, indent=1, ensure_ascii=True, default=str)
    return weasyprint.Attachment(
        string=data.encode(), name="schedule.json",
        description="The counts and damages schedule of this index, as computed (JSON)",
        created=FALLBACK_DATE, modified=FALLBACK_DATE, relationship="Data",
        url_fetcher=fetcher)


# --- context -----------------------------------------------------------------------------


def shown(value, limit: int = MAX_TEXT) -> str:
    """Printable, bounded, single-line text: control characters as ^X stand-ins,
    bidirectional controls as <U+202E>, at most `limit` characters (then an ellipsis)."""
    text = clean_text(" ".join(str(value or "").split()))
    text = _BIDI.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _document_context(options: IndexOptions, series: str) -> dict:
    return {
        "title": shown(options.title) or "Index of exhibits",
        "case_name": shown(options.case_name),
        "selection": shown(options.selection, MAX_SELECTION),
        "ruleset_sha256": shown(options.ruleset_sha256, 80),
        "accounting": _accounting(options.accounting),
        "bates_series": f"{options.bates_prefix}{series}",
        "bates_digits": SERIES_DIGITS,
        "tool": f"{TOOL_NAME} {__version__} · WeasyPrint {weasyprint.__version__}",
    }


def _schedule_context(schedule: dict) -> dict:
    return {
        "message_counts": schedule.get("messages") or {},
        "caveat": CAVEAT,
        "notes": [str(n) for n in schedule.get("notes") or ()],
        "as_of": _as_of(schedule),
        "statuses": list(schedule.get("statuses") or ()),
        "rules": schedule.get("rules") or [],
        "jurisdictions": schedule.get("jurisdictions") or [],
        "remedies": [_remedy(r) for r in schedule.get("remedies") or () if _has_messages(r)],
        "idle_remedies": [f"{r.get('remedy')} ({', '.join(r.get('jurisdictions') or ())})"
                          for r in schedule.get("remedies") or () if not _has_messages(r)],
    }


def _campaign(entry: Mapping) -> dict:
    """One row of the summary by campaign, every value as bounded text."""
    first, last = entry.get("first_received"), entry.get("last_received")
    rules = entry.get("rules") or {}
    return {
        "campaign": shown(entry.get("campaign")),
        "messages": int(entry.get("messages") or 0),
        "received": f"{str(first)[:10]} – {str(last)[:10]}" if first else "no receipt date",
        "findings": [f"{shown(rule)}: {n['violation']} violation, {n['needs_review']} needs "
                     "review" for rule, n in sorted(rules.items())][:MAX_RULES_SHOWN],
        "exhibits": ", ".join(f"{shown(label)} ({shown(bates)})" for label, bates in
                              list(zip(entry.get("exhibits") or (), entry.get("bates") or (),
                                       strict=False))[:MAX_EXHIBITS_LISTED]),
    }


def _other(line: InputLine) -> dict:
    return {"position": line.position, "status": shown(line.status, 40),
            "reason": shown(line.reason, MAX_REASON), "source": shown(line.source, MAX_SOURCE),
            "sha256": shown(line.sha256, 80)}


def _has_messages(entry: Mapping) -> bool:
    """Whether any message (established or for review) is behind the remedy's figures."""
    established = entry.get("established") or {}
    confirmed = entry.get("if_confirmed") or {}
    return bool(established.get("messages") or confirmed.get("messages")
                or confirmed.get("upgraded"))


def _accounting(accounting: Mapping[str, int]) -> dict:
    keys = [k for k in ACCOUNTING_ORDER if k in accounting]
    keys += sorted(str(k) for k in accounting if k not in ACCOUNTING_ORDER)
    lines = [{"status": shown(k, 60), "count": int(accounting[k]),
              "text": ACCOUNTING_LABELS.get(k, f"have status {shown(k, 60)}")} for k in keys]
    return {"lines": lines, "total": sum(line["count"] for line in lines)}


def _as_of(schedule: dict) -> list[dict]:
    return [{"remedy": r.get("remedy"), "basis": r.get("basis"),
             "as_of": r.get("as_of") or "not stated", "source": r.get("source") or ""}
            for r in schedule.get("remedies") or ()]


def _row(row: IndexRow) -> dict:
    bates_first, bates_last = shown(row.bates_first), shown(row.bates_last)
    return {
        "number": row.number,
        "label": shown(row.label),
        "bates": bates_first if bates_first == bates_last else f"{bates_first} – {bates_last}",
        "pages": row.pages,
        "source": shown(row.source, MAX_SOURCE),
        "sha256": shown(row.sha256, 80),
        "pdf_file": shown(row.pdf_file, MAX_SOURCE),
        "pdf_sha256": shown(row.pdf_sha256, 80),
        "subject": shown(row.subject, MAX_SUBJECT),
        "sender": shown(row.sender, MAX_SENDER),
        "date": shown(row.date, 60),
        "violations": _rule_list(row.violations),
        "reviews": _rule_list(row.reviews),
        "note": shown(row.note, MAX_NOTE),
    }


def _rule_list(rules: Sequence[str]) -> dict:
    ids = sorted({shown(r, 60) for r in rules})
    return {"shown": ids[:MAX_RULES_SHOWN], "more": max(len(ids) - MAX_RULES_SHOWN, 0)}


# --- damages text ------------------------------------------------------------------------


def money(value, currency: str = "USD") -> str:
    """$1,234 / $1,234.50 (USD) or 'EUR 1,234'; an em dash for None."""
    if value is None:
        return "—"
    amount = Decimal(str(value))
    text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return f"${text}" if currency == "USD" else f"{currency} {text}"


def _remedy(entry: Mapping) -> dict:
    currency = str(entry.get("currency") or "USD")
    established = entry.get("established") or {}
    confirmed = entry.get("if_confirmed") or {}
    return {
        "remedy": entry.get("remedy"),
        "jurisdictions": ", ".join(entry.get("jurisdictions") or ()),
        "who": entry.get("who"),
        "basis": entry.get("basis"),
        "rules": list(entry.get("rules") or ()),
        "per_unit": _per_unit(entry, currency),
        "cap": _cap_text(entry, currency),
        "multipliers": [_multiplier(m) for m in entry.get("multipliers") or ()],
        "established": _figure(established, currency),
        "if_confirmed": _confirmed(confirmed, currency),
        "conditions": list(entry.get("conditions") or ()),
        "notes": [*(entry.get("remedy_notes") or ()), *([entry["note"]] if entry.get("note") else [])],
        "as_of": entry.get("as_of") or "not stated",
        "source": entry.get("source") or "",
    }


def _per_unit(entry: Mapping, currency: str) -> str:
    if not entry.get("amount_stated", True):
        return "amount not stated"
    unit = UNIT_TEXT.get(str(entry.get("unit")), f"per {entry.get('unit')}")
    variants = [v for v in entry.get("amount_variants") or () if v.get("amount") is not None]
    if len(variants) > 1:
        parts = [f"{money(v['amount'], currency)} for {'; '.join(v['citations'])}"
                 for v in variants[:-1]]
        text = "up to " + ", ".join(parts) + f"; {money(variants[-1]['amount'], currency)} " \
               f"otherwise, {unit}"
    else:
        text = f"up to {money(entry.get('amount'), currency)} {unit}"
    alternative = entry.get("alternative")
    if alternative:
        alt_unit = UNIT_TEXT.get(str(alternative.get("unit")), f"per {alternative.get('unit')}")
        text += (f", or {money(alternative.get('amount'), currency)} {alt_unit}, whichever is "
                 f"{alternative.get('take')}")
    return text


def _cap_text(entry: Mapping, currency: str) -> str:
    cap = entry.get("cap")
    if cap is None:
        return "no cap stated"
    unit = str(entry.get("cap_unit") or "action")
    text = f"at most {money(cap, currency)} per {'action (in total)' if unit == 'action' else unit}"
    exceptions = entry.get("cap_exceptions") or ()
    if exceptions:
        text += "; not for messages under " + "; ".join(exceptions)
    return text


def _multiplier(item: Mapping) -> str:
    factor = item.get("factor")
    try:
        reduce = factor is not None and Decimal(str(factor)) < 1
    except ArithmeticError:
        reduce = False
    lead = f"reduced to ×{factor}" if reduce else f"up to ×{factor}"
    basis = f" ({item['basis']})" if item.get("basis") else ""
    return f"{lead} when: {item.get('when', '')}{basis}"


def _figure(figure: Mapping, currency: str) -> dict:
    total = figure.get("total")
    lines = []
    if figure.get("alternative_total") is not None:
        lines.append(f"per unit: {money(figure.get('base_total'), currency)}; alternative: "
                     f"{money(figure.get('alternative_total'), currency)} "
                     f"({figure.get('days', 0)} day(s))")
    if figure.get("cap_applied"):
        lines.append(f"capped (before the cap: {money(figure.get('base_total'), currency)})")
    if figure.get("outside_cap"):
        lines.append(f"{figure['outside_cap']} message(s) outside the cap")
    if figure.get("total_if_one_incident") is not None:
        lines.append("if all one incident: "
                     f"{money(figure['total_if_one_incident'], currency)}")
    amounts = [a for a in figure.get("amounts") or () if a.get("amount") is not None]
    if len(amounts) > 1:
        lines.append("; ".join(f"{a['messages']:,} at {money(a['amount'], currency)}"
                               for a in amounts))
    return {
        "messages": int(figure.get("messages") or 0),
        "total": money(total, currency) if total is not None else "not computed",
        "lines": lines,
        "notes": list(figure.get("notes") or ()),
        "exhibits": _exhibits(figure),
    }


def _confirmed(confirmed: Mapping, currency: str) -> dict:
    with_established = confirmed.get("with_established") or {}
    total = confirmed.get("total")
    lines = []
    if confirmed.get("upgraded"):
        lines.append(f"{confirmed['upgraded']} established message(s) would count for more")
    if with_established.get("total") is not None:
        lines.append(f"with established: {money(with_established['total'], currency)}")
    if with_established.get("total_if_one_incident") is not None:
        lines.append("if all one incident: "
                     f"{money(with_established['total_if_one_incident'], currency)}")
    return {
        "messages": int(confirmed.get("messages") or 0),
        "total": money(total, currency) if total is not None else "not computed",
        "lines": lines,
        "notes": [n for n in with_established.get("notes") or ()],
        "exhibits": _exhibits(confirmed),
    }


def _exhibits(figure: Mapping) -> str:
    labels = [shown(x, 60) for x in figure.get("exhibits") or ()]
    text = ", ".join(labels[:MAX_EXHIBITS_LISTED])
    if len(labels) > MAX_EXHIBITS_LISTED:
        text += f" and {len(labels) - MAX_EXHIBITS_LISTED:,} more"
    missing = int(figure.get("not_exhibited") or 0)
    if missing:
        text += ("; " if text else "") + f"{missing:,} message(s) not exhibited"
    return text


# --- template environment ----------------------------------------------------------------


@lru_cache(maxsize=8)
def _environment(directory: str) -> Environment:
    """Sandboxed and autoescaped, as the exhibit templates' (`render.template_environment`)."""
    env = ImmutableSandboxedEnvironment(loader=FileSystemLoader(directory), autoescape=True,
                      undefined=StrictUndefined, finalize=_finalize)
    env.filters["css_string"] = lambda value: Markup(css_string(str(value)))
    env.filters["count"] = lambda value: f"{int(value or 0):,}"
    return env


def _finalize(value):
    if value is None:
        return ""
    if isinstance(value, str) and not isinstance(value, Markup):
        return clean_text(value)
    return value
