"""Render one message as a PDF exhibit: context → Jinja2 (autoescape) → WeasyPrint.

`render_exhibit` is the one entry point. It raises `ExhibitError` (and nothing else) when
no PDF can be made, so a batch can catch it, write a slip sheet and go on. If only the
message's HTML defeats the layout engine, the exhibit is made again with the HTML
replaced by a note and its text, rather than failing.

Reproducible by construction: the PDF identifier and the embedded file's dates derive
from the inputs (message hash, ruleset hash, templates, options, versions), the document
info carries no creation date, and nothing reads the clock.
"""

from __future__ import annotations

import hashlib
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import weasyprint
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from checker import __version__
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


def render_exhibit(msg, result: AuditResult | None, options: ExhibitOptions | None = None,
                   ruleset_sha256: str = "", templates: Path | None = None) -> Exhibit:
    """The PDF exhibit of `msg` with the findings of `result` (None: no audit was run)."""
    options = check_options(options or ExhibitOptions())
    directory = Path(templates or templates_dir())
    fetcher = EvidenceFetcher(_inline_parts(msg))
    fallback = None
    with _captured_log() as log:
        html = exhibit_html(msg, result, options, ruleset_sha256, fetcher.has, directory)
        try:
            document = _layout(html, fetcher)
        except Exception as exc:  # the message's HTML broke layout: show it as text
            fallback = f"{type(exc).__name__}: {str(exc)[:200]}"
            html = exhibit_html(msg, result, options, ruleset_sha256, fetcher.has, directory,
                                render_failed=fallback)
            try:
                document = _layout(html, fetcher)
            except Exception as again:
                raise ExhibitError(f"layout failed: {type(again).__name__}: {again}") from again
        try:
            pdf = document.write_pdf(
                attachments=[_original(msg, options, fetcher)],
                pdf_identifier=pdf_identifier(msg, ruleset_sha256, options, directory),
                **_pdf_options(),
            )
        except Exception as exc:
            raise ExhibitError(f"PDF writing failed: {type(exc).__name__}: {exc}") from exc
    pages = len(document.pages)
    return Exhibit(
        pdf=pdf, pages=pages, bates_first=options.bates.number(0),
        bates_last=options.bates.last(pages), source_sha256=msg.sha256,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(), html=html,
        refused_urls=tuple(fetcher.refused), layout_fallback=fallback, log=tuple(log),
    )


def check_options(options: ExhibitOptions) -> ExhibitOptions:
    """Validate options (raises BatesError, a ValueError, for usage errors)."""
    check_corner(options.label_corner)
    if options.label is not None:
        check_label(options.label)
    if not 0 <= options.trusted_hops <= 50:
        raise BatesError("trusted hops must be between 0 and 50")
    return options


def exhibit_html(msg, result, options: ExhibitOptions, ruleset_sha256: str, has_cid,
                 directory: Path, render_failed: str | None = None) -> str:
    """The exhibit as one self-contained HTML document (styles inline)."""
    context = build_context(msg, result, options, ruleset_sha256, has_cid, PROVENANCE,
                            render_failed=render_failed)
    return _environment(str(directory)).get_template(TEMPLATE).render(**context)


def _pdf_options() -> dict:
    return {"presentational_hints": True, "pdf_variant": PDF_VARIANT}


def _layout(html: str, fetcher: EvidenceFetcher):
    """Parse and paginate. base_url stays None: relative URLs resolve to nothing."""
    document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None)
    return document.render(**_pdf_options())


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


def pdf_identifier(msg, ruleset_sha256: str, options: ExhibitOptions, directory: Path) -> bytes:
    """16 bytes (as 32 hex digits) that change whenever anything shown could change."""
    parts = [msg.sha256, ruleset_sha256, templates_digest(str(directory)), repr(options),
             __version__, weasyprint.__version__, msg.source_id]
    return hashlib.sha256("\n".join(parts).encode("utf-8", "replace")).hexdigest()[:32].encode()


@lru_cache(maxsize=8)
def templates_digest(directory: str) -> str:
    """SHA-256 over the exhibit templates (names and contents, in a fixed order)."""
    root = Path(directory)
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and relative.startswith("exhibit"):
            digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@lru_cache(maxsize=8)
def _environment(directory: str) -> Environment:
    env = Environment(
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
        return clean_text(value)
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
def _captured_log():
    """WeasyPrint's warnings (refused URLs, unsupported CSS) go to the Exhibit, not stderr."""
    sink: list[str] = []
    logger = logging.getLogger("weasyprint")
    handler = _ListHandler(sink)
    logger.addHandler(handler)
    try:
        yield sink
    finally:
        logger.removeHandler(handler)
