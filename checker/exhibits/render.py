"""Render one message as PDF documents: context → Jinja2 (autoescape) → WeasyPrint.

Two documents per message, built from the same context so their line numbers agree:

- `render_message_exhibit(msg, result, options, ruleset_sha256, rule_statuses=...)`: the
  message exhibit, offered as evidence: a cover that explains itself (receipt, hashes,
  size, collection, findings in brief), the message as the recipient saw it, the full
  header block and the escaped, line-numbered source. The original is embedded.
- `render_analysis(...)`: the analysis appendix (work product): per finding the rule,
  citation, sentence and the evidence with its anchors in the message exhibit.

Both return an `Exhibit` and raise `ExhibitError` (and nothing else) when no PDF can be
made, so a batch can catch it, write a slip sheet and go on. If only the message's HTML
defeats the layout engine, the exhibit is made again with the HTML replaced by a note
and its text, rather than failing. `render_exhibit` is `render_message_exhibit`.

Reproducible by construction: the PDF identifier and the embedded file's dates derive
from the inputs (message hash, ruleset hash, templates, options, versions), the document
info carries no creation date, and nothing reads the clock.
"""

from __future__ import annotations

import hashlib
import logging
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import weasyprint
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from checker import __version__
from checker.display import reveal
from checker.exhibits.bates import BatesError, check_corner, check_label, css_string
from checker.exhibits.context import (
    ExhibitOptions,
    attachment_name,
    build_context,
    receipt_time,
)
from checker.exhibits.fetcher import EvidenceFetcher, inline_parts
from checker.exhibits.sanitize import clean_text
from checker.findings import AuditResult
from checker.paths import templates_dir

TEMPLATE = "exhibit.html.j2"
ANALYSIS_TEMPLATE = "analysis.html.j2"
MESSAGE, ANALYSIS = "message", "analysis"
DOCUMENT_TEMPLATES = {MESSAGE: TEMPLATE, ANALYSIS: ANALYSIS_TEMPLATE}
MAX_LEGEND = 120
PDF_VARIANT = "pdf/a-3u"  # PDF/A-3 allows embedding the original .eml (any format)
TOOL_NAME = "spamlaw"
FALLBACK_DATE = datetime(1980, 1, 1)  # embedded-file date when the message states none
MAX_LOG_LINES = 50
PROVENANCE = {
    "tool_name": TOOL_NAME,
    "tool_version": __version__,
    "weasyprint_version": weasyprint.__version__,
}


class ExhibitError(Exception):
    """No exhibit could be made for this message (the reason is the message)."""


@dataclass(frozen=True)
class Exhibit:
    pdf: bytes
    pages: int
    bates_first: str
    bates_last: str
    source_sha256: str
    pdf_sha256: str
    html: str  # what WeasyPrint laid out (the benchmark renders it bare for comparison)
    refused_urls: tuple[str, ...] = ()
    layout_fallback: str | None = None  # why the HTML render was replaced, if it was
    log: tuple[str, ...] = ()  # WeasyPrint's warnings and errors
    stamp_spots: tuple = ()  # with a stamped BatesSpec: where stamp.stamp_bates draws


def render_message_exhibit(msg, result: AuditResult | None, options: ExhibitOptions | None = None,
                           ruleset_sha256: str = "", templates: Path | None = None, *,
                           rule_statuses: dict[str, str] | None = None) -> Exhibit:
    """The message exhibit of `msg` (with the findings of `result` in brief; None: no
    audit was run). `rule_statuses` (rule id -> draft/approved, see `rule_statuses()`)
    lets the cover say which findings rest on draft rules."""
    return _render(MESSAGE, msg, result, options, ruleset_sha256, templates, rule_statuses)


def render_analysis(msg, result: AuditResult | None, options: ExhibitOptions | None = None,
                    ruleset_sha256: str = "", templates: Path | None = None, *,
                    rule_statuses: dict[str, str] | None = None) -> Exhibit:
    """The analysis appendix of `msg`: its own Bates range (from `options.bates`), its
    anchors cite the line numbers of the message exhibit. The original is not embedded
    (it travels with the message exhibit)."""
    return _render(ANALYSIS, msg, result, options, ruleset_sha256, templates, rule_statuses)


render_exhibit = render_message_exhibit


def rule_statuses(ruleset) -> dict[str, str]:
    """{rule id: status} (draft / approved / deprecated) of a loaded ruleset."""
    return {rule.id: rule.status for rule in getattr(ruleset, "rules", ())}


def _render(document: str, msg, result, options, ruleset_sha256, templates, statuses) -> Exhibit:
    options = check_options(options or ExhibitOptions())
    if document == ANALYSIS and options.label is None:  # not an exhibit: never "Exhibit ..."
        options = replace(options, label=f"Analysis {options.bates.number(0)}")
    directory = Path(templates or templates_dir())
    fetcher = EvidenceFetcher(_inline_parts(msg))
    with captured_log() as log:
        laid_out, html, fallback = _laid_out(document, msg, result, options, ruleset_sha256,
                                             fetcher, directory, statuses)
        attachments = [_original(msg, options, fetcher)] if document == MESSAGE else []
        try:
            pdf = laid_out.write_pdf(
                attachments=attachments,
                pdf_identifier=pdf_identifier(msg, ruleset_sha256, options, directory,
                                              document, statuses),
                **pdf_options(),
            )
        except Exception as exc:
            raise ExhibitError(f"PDF writing failed: {type(exc).__name__}: {exc}") from exc
    pages = len(laid_out.pages)
    return Exhibit(
        pdf=pdf, pages=pages, bates_first=options.bates.number(0),
        bates_last=options.bates.last(pages), source_sha256=msg.sha256,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(), html=html,
        refused_urls=tuple(fetcher.refused), layout_fallback=fallback, log=tuple(log),
        stamp_spots=_stamp_spots(laid_out) if options.bates.stamped else (),
    )


def _stamp_spots(document) -> tuple:
    from checker.exhibits.stamp import stamp_spots

    return stamp_spots(document)


def count_pages(msg, result: AuditResult | None, options: ExhibitOptions | None = None,
                ruleset_sha256: str = "", templates: Path | None = None, *,
                document: str = MESSAGE, rule_statuses: dict[str, str] | None = None) -> int:
    """How many pages `render_message_exhibit` (or, with document="analysis",
    `render_analysis`) would give, from the layout alone (no PDF is written). The count
    does not depend on the Bates start as long as the digit width is fixed. Raises
    ExhibitError like the renderers."""
    options = check_options(options or ExhibitOptions())
    directory = Path(templates or templates_dir())
    fetcher = EvidenceFetcher(_inline_parts(msg))
    with captured_log():
        laid_out, _html, _fallback = _laid_out(document, msg, result, options, ruleset_sha256,
                                               fetcher, directory, rule_statuses)
    return len(laid_out.pages)


def _laid_out(document: str, msg, result, options: ExhibitOptions, ruleset_sha256: str,
              fetcher: EvidenceFetcher, directory: Path, statuses=None):
    """(document, html, fallback reason): the paginated document. If the message's HTML
    breaks the layout, it is laid out again with the HTML shown as text."""
    html = exhibit_html(msg, result, options, ruleset_sha256, fetcher.has, directory,
                        document=document, rule_statuses=statuses)
    try:
        return layout(html, fetcher), html, None
    except Exception as exc:  # the message's HTML broke layout: show it as text
        fallback = f"{type(exc).__name__}: {str(exc)[:200]}"
    html = exhibit_html(msg, result, options, ruleset_sha256, fetcher.has, directory,
                        render_failed=fallback, document=document, rule_statuses=statuses)
    try:
        return layout(html, fetcher), html, fallback
    except Exception as again:
        raise ExhibitError(f"layout failed: {type(again).__name__}: {again}") from again


def check_options(options: ExhibitOptions) -> ExhibitOptions:
    """Validate options (raises BatesError, a ValueError, for usage errors)."""
    check_corner(options.label_corner)
    if options.label is not None:
        check_label(options.label)
    if not 0 <= options.trusted_hops <= 50:
        raise BatesError("trusted hops must be between 0 and 50")
    if options.legend is not None and len(" ".join(options.legend.split())) > MAX_LEGEND:
        raise BatesError(f"the legend must be at most {MAX_LEGEND} characters")
    return options


def exhibit_html(msg, result, options: ExhibitOptions, ruleset_sha256: str, has_cid,
                 directory: Path, render_failed: str | None = None, *,
                 document: str = MESSAGE, rule_statuses: dict[str, str] | None = None) -> str:
    """One document as one self-contained HTML document (styles inline)."""
    context = build_context(msg, result, options, ruleset_sha256, has_cid, PROVENANCE,
                            render_failed=render_failed, rule_statuses=rule_statuses,
                            with_render=document == MESSAGE)
    if document == ANALYSIS:
        context["title"] = f"Analysis — {context['title']}"
    template = DOCUMENT_TEMPLATES[document]
    return template_environment(str(directory)).get_template(template).render(**context)


def pdf_options() -> dict:
    return {"presentational_hints": True, "pdf_variant": PDF_VARIANT}


def layout(html: str, fetcher: EvidenceFetcher):
    """Parse and paginate. base_url stays None: relative URLs resolve to nothing."""
    document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None)
    return document.render(**pdf_options())


def _inline_parts(msg) -> dict:
    try:
        return inline_parts(msg.parsed)
    except Exception:
        return {}


def _original(msg, options: ExhibitOptions, fetcher: EvidenceFetcher) -> weasyprint.Attachment:
    """The message's exact bytes as a PDF/A-3 associated file (relationship Source)."""
    when = embedded_date(msg, options.trusted_hops)
    return weasyprint.Attachment(
        string=msg.raw,
        name=attachment_name(msg),
        description=f"Original message as received; SHA-256 {msg.sha256}",
        created=when,
        modified=when,
        relationship="Source",
        url_fetcher=fetcher,
    )


def embedded_date(msg, trusted_hops: int) -> datetime:
    """A naive UTC datetime for the embedded file: the receipt time when it is usable."""
    when = receipt_time(msg, trusted_hops)
    try:
        if when is not None and when.tzinfo is not None:
            when = when.astimezone(UTC).replace(tzinfo=None)
        if when is not None and 1980 <= when.year <= 9999:
            return when
    except (ValueError, OverflowError):
        pass
    return FALLBACK_DATE


def pdf_identifier(msg, ruleset_sha256: str, options: ExhibitOptions, directory: Path,
                   document: str = MESSAGE, statuses: dict[str, str] | None = None) -> bytes:
    """16 bytes (as 32 hex digits) that change whenever anything shown could change."""
    parts = [msg.sha256, ruleset_sha256, templates_digest(str(directory)), repr(options),
             __version__, weasyprint.__version__, msg.source_id]
    if document != MESSAGE or statuses:
        parts += [document, repr(sorted((statuses or {}).items()))]
    return hashlib.sha256("\n".join(parts).encode("utf-8", "replace")).hexdigest()[:32].encode()


@lru_cache(maxsize=8)
def templates_digest(directory: str) -> str:
    """SHA-256 over the exhibit templates (names and contents, in a fixed order)."""
    root = Path(directory)
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and relative.startswith(("exhibit", "analysis")):
            digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@lru_cache(maxsize=8)
def template_environment(directory: str) -> Environment:
    """The Jinja2 environment of the exhibit templates: sandboxed (a template reaches no
    Python internals and changes nothing it is given), autoescaped, strict about names."""
    env = ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(directory),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.filters["css_string"] = lambda value: Markup(css_string(str(value)))
    return env


def _finalize(value):
    """Every printed value: None prints as nothing; text gets visible stand-ins for
    control characters (Markup is already clean: it is built from cleaned text)."""
    if value is None:
        return ""
    if isinstance(value, str) and not isinstance(value, Markup):
        return reveal(clean_text(value))
    return value


class _ListHandler(logging.Handler):
    def __init__(self, sink: list[str]):
        super().__init__(level=logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.sink) < MAX_LOG_LINES:
            try:
                self.sink.append(record.getMessage()[:300])
            except Exception:
                self.sink.append(str(record.msg)[:300])


@contextmanager
def captured_log():
    """WeasyPrint's warnings (refused URLs, unsupported CSS) go to the Exhibit, not stderr."""
    sink: list[str] = []
    logger = logging.getLogger("weasyprint")
    handler = _ListHandler(sink)
    logger.addHandler(handler)
    try:
        yield sink
    finally:
        logger.removeHandler(handler)


# --- slip sheets ---------------------------------------------------------------------------

SLIP_TEMPLATE = "slip-sheet.html.j2"
SLIP_MAX_FINDINGS = 12  # rows on page 1; more are counted (page 1 must stay one page)
SLIP_MAX_TEXT = 400


@dataclass(frozen=True)
class SlipSheet:
    """What a slip sheet says about the message it stands in for."""

    label: str
    source_id: str
    sha256: str  # "" when the bytes are unknown
    size: int | None
    reason: str
    findings: tuple[dict, ...] = ()  # audit JSON findings: status, rule, jurisdiction, ...
    raw: bytes | None = None  # the original, embedded when known


def render_slip_sheet(sheet: SlipSheet, options: ExhibitOptions, pages: int = 1,
                      ruleset_sha256: str = "", templates: Path | None = None) -> Exhibit:
    """A PDF of exactly `pages` pages standing in for an exhibit that could not be
    rendered: page 1 gives the label, Bates range, source, hash, reason and findings;
    further pages carry the rest of the Bates numbers the exhibit had reserved. The
    message itself is never parsed (it may be what broke the exhibit); its bytes are
    embedded as they are. Raises ExhibitError if the sheet cannot be made."""
    options = check_options(options)
    directory = Path(templates or templates_dir())
    pages = max(1, int(pages))
    fetcher = EvidenceFetcher({})
    for findings_shown in (SLIP_MAX_FINDINGS, SLIP_MAX_FINDINGS // 3, 0):  # page 1 must fit
        html = slip_sheet_html(sheet, options, pages, ruleset_sha256, directory, findings_shown)
        with captured_log():
            try:
                document = layout(html, fetcher)
            except Exception as exc:
                raise ExhibitError(f"slip sheet layout failed: {type(exc).__name__}: {exc}") from exc
            if len(document.pages) != pages:
                continue
            try:
                pdf = document.write_pdf(
                    attachments=_slip_attachments(sheet, fetcher),
                    pdf_identifier=_slip_identifier(sheet, options, pages, ruleset_sha256,
                                                    directory),
                    **pdf_options(),
                )
            except Exception as exc:
                raise ExhibitError(f"slip sheet PDF failed: {type(exc).__name__}: {exc}") from exc
        return Exhibit(
            pdf=pdf, pages=pages, bates_first=options.bates.number(0),
            bates_last=options.bates.last(pages), source_sha256=sheet.sha256,
            pdf_sha256=hashlib.sha256(pdf).hexdigest(), html=html,
        )
    raise ExhibitError(f"slip sheet does not fit in {pages} page(s)")


def slip_sheet_html(sheet: SlipSheet, options: ExhibitOptions, pages: int, ruleset_sha256: str,
                    directory: Path, findings_shown: int = SLIP_MAX_FINDINGS) -> str:
    label = check_label(sheet.label) if sheet.label else f"Exhibit {options.bates.number(0)}"
    rows = [_slip_finding(f) for f in sheet.findings[:findings_shown]]
    context = {
        "title": f"{label} — slip sheet — {clean_text(sheet.source_id)[:120]}",
        "label": label,
        "label_corner": options.label_corner,
        "bates": options.bates,
        "bates_first": options.bates.number(0),
        "bates_last": options.bates.last(pages),
        "pages": pages,
        "running_header": f"{label} · slip sheet · {options.bates.number(0)}",
        "sheet": SlipSheet(label, _short(sheet.source_id), sheet.sha256, sheet.size,
                           _short(sheet.reason)),
        "embedded": sheet.raw is not None,
        "attachment": _slip_attachment_name(sheet),
        "findings": rows,
        "more_findings": len(sheet.findings) - len(rows),
        "findings_note": ("No finding to list (the audit gave none, or it did not run)."
                          if not sheet.findings else
                          f"{len(sheet.findings)} finding(s); the manifest lists them."),
        "reserved_pages": list(range(2, pages + 1)),
        "provenance": (f"{TOOL_NAME} {__version__} · ruleset SHA-256 {ruleset_sha256 or '(none)'}"
                       f" · WeasyPrint {weasyprint.__version__}"),
        **PROVENANCE,
    }
    return template_environment(str(directory)).get_template(SLIP_TEMPLATE).render(**context)


def _short(text: str | None, limit: int = SLIP_MAX_TEXT) -> str:
    text = clean_text(str(text or ""))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _slip_finding(finding: dict) -> dict[str, str]:
    citations = finding.get("citations") or ()
    return {
        "status": _short(str(finding.get("status", "")), 40),
        "rule": _short(str(finding.get("rule", "")), 80),
        "jurisdiction": _short(str(finding.get("jurisdiction") or ""), 20),
        "title": _short(str(finding.get("title") or ""), 160),
        "citation": _short("; ".join(str(c) for c in citations), 160),
    }


def _slip_attachment_name(sheet: SlipSheet) -> str:
    return f"message-{(sheet.sha256 or 'unknown')[:16]}.eml"


def _slip_attachments(sheet: SlipSheet, fetcher: EvidenceFetcher) -> list:
    if sheet.raw is None:
        return []
    return [weasyprint.Attachment(
        string=sheet.raw,
        name=_slip_attachment_name(sheet),
        description=f"Original message as received; SHA-256 {sheet.sha256}",
        created=FALLBACK_DATE,
        modified=FALLBACK_DATE,
        relationship="Source",
        url_fetcher=fetcher,
    )]


def _slip_identifier(sheet: SlipSheet, options: ExhibitOptions, pages: int,
                     ruleset_sha256: str, directory: Path) -> bytes:
    parts = ["slip-sheet", sheet.sha256, sheet.source_id, sheet.reason, repr(sheet.findings),
             ruleset_sha256, templates_digest(str(directory)), _file_digest(directory / SLIP_TEMPLATE),
             repr(options), str(pages), __version__, weasyprint.__version__]
    return hashlib.sha256("\n".join(parts).encode("utf-8", "replace")).hexdigest()[:32].encode()


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""
