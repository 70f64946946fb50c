"""Everything an exhibit shows, gathered from the message's registry fields and the
audit result into plain values for the template (no markup here except the sanitizer's
output and the escaped source lines)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from checker.exhibits.bates import BatesSpec, check_label
from checker.exhibits.sanitize import clean_text, defang, sanitize_html
from checker.exhibits.views import HeaderBlock, Mark, build_view, header_block
from checker.findings import STATUS_RANK, AuditResult, Evidence, Finding, Status

MAX_TEXT_RENDER = 60_000
MAX_QUOTE = 600
MAX_LIST_ROWS = 500  # links, hidden text, attachments: more are counted, not listed

KEY_HEADERS = ("From", "Sender", "Reply-To", "Return-Path", "To", "Cc", "Subject",
               "Message-ID", "Date")
STATUS_LABELS = {
    Status.VIOLATION: "VIOLATION",
    Status.NEEDS_REVIEW: "NEEDS REVIEW",
    Status.ERROR: "ERROR",
    Status.COMPLIANT: "compliant",
    Status.NOT_APPLICABLE: "not applicable",
}
# Evidence field (its first dotted part) -> the header(s) whose raw text holds it.
FIELD_HEADERS = {
    "subject": ("Subject",), "from": ("From",), "sender": ("Sender",),
    "reply_to": ("Reply-To",), "return_path": ("Return-Path",), "to": ("To",), "cc": ("Cc",),
    "date": ("Date",), "message_id": ("Message-ID",), "in_reply_to": ("In-Reply-To",),
    "references": ("References",), "received": ("Received",),
    "list_unsubscribe": ("List-Unsubscribe", "List-Unsubscribe-Post"),
    "authentication_results": ("Authentication-Results",),
}
BODY_VIEWS = {"body.text": "text", "body.visible_text": "visible", "body.html": "html"}
VIEW_TITLES = {
    "text": "Plain-text body",
    "visible": "Visible text (what a reader sees of the HTML)",
    "html": "HTML body source",
}
VIEW_SHORT = {"text": "text", "visible": "visible text", "html": "HTML source",
              "headers": "header block"}
RENDER_LABEL = (
    "A sanitized rendering made for this exhibit, not a screenshot. Scripts, forms, "
    "event handlers and every remote resource were removed; remote images are shown as "
    "labelled boxes with their (defanged) URLs; links are not clickable and each link's "
    "target follows its text in ⟨ ⟩. Styles that hide text were kept, so hidden text "
    "stays hidden here and is listed under “Hidden text”."
)


@dataclass(frozen=True)
class ExhibitOptions:
    label: str | None = None  # default: "Exhibit " + first Bates number
    bates: BatesSpec = BatesSpec()
    label_corner: str = "top-right"
    trusted_hops: int = 1


class _Reader:
    """Reads registry fields; a field that is missing from this build or fails is
    reported on the exhibit instead of stopping it."""

    def __init__(self, msg) -> None:
        self.msg = msg
        self.problems: list[str] = []

    def get(self, name: str, default: Any = None) -> Any:
        try:
            value = self.msg.get(name)
        except Exception as exc:
            self.problems.append(f"field {name} unavailable: {type(exc).__name__}: {exc}"[:300])
            return default
        return default if value is None else value


def build_context(msg, result: AuditResult | None, options: ExhibitOptions,
                  ruleset_sha256: str, has_cid, provenance: dict[str, str],
                  render_failed: str | None = None) -> dict[str, Any]:
    reader = _Reader(msg)
    bates_first = options.bates.number(0)
    label = check_label(options.label) if options.label else f"Exhibit {bates_first}"
    headers = reader.get("headers", [])
    findings, evidence = _findings(result)
    text_views, header = _source_views(reader, msg.raw, evidence, options.trusted_hops)
    subject = reader.get("subject")
    context = {
        "title": f"{label} — {clean_text(msg.source_id)[:120]}",
        "label": label,
        "label_corner": options.label_corner,
        "bates": options.bates,
        "bates_first": bates_first,
        "running_header": _running_header(label, bates_first, msg.sha256, bool(options.label)),
        "identity": _identity(msg),
        "receipt": _receipt(reader, options.trusted_hops),
        "key_headers": _key_headers(headers),
        "date_info": _date_info(reader),
        "auth_results": _auth_results(headers, options.trusted_hops),
        "findings": findings,
        "counts_text": _counts_text(findings, result),
        "ruleset_sha256": ruleset_sha256,
        "render": _render(reader, has_cid, subject, render_failed),
        "text_views": text_views,
        "links": _links(reader),
        "hidden": _rows(reader.get("body.hidden_text", []), ("text", "reason")),
        "attachments": _attachments(reader),
        "header": header,
        "tool_name": provenance["tool_name"],
        "tool_version": provenance["tool_version"],
        "weasyprint_version": provenance["weasyprint_version"],
        "provenance": (
            f"{provenance['tool_name']} {provenance['tool_version']} · ruleset SHA-256 "
            f"{ruleset_sha256 or '(none)'} · WeasyPrint {provenance['weasyprint_version']}"
        ),
    }
    context["blocked"] = context["render"].pop("blocked")
    problems = list(getattr(msg, "errors", []) or [])
    problems += reader.problems
    problems += [f"MIME: {d}" for d in reader.get("mime.defects", [])[:20]]
    if result is not None:
        problems += [f"audit: {e}" for e in result.errors]
    context["problems"] = [clean_text(str(p))[:300] for p in problems[:40]]
    return context


def attachment_name(msg) -> str:
    """The embedded original's file name: the source's own .eml name, else by hash."""
    name = msg.source_id.replace("\\", "/").rsplit("/", 1)[-1].split("#")[0]
    if not name.lower().endswith(".eml") or "#" in msg.source_id:
        name = f"message-{msg.sha256[:16]}.eml"
    return clean_text(name)[:100]


def _running_header(label: str, bates_first: str, sha256: str, custom_label: bool) -> str:
    """Top of every page after the first (the default label already is the Bates number)."""
    parts = [label, bates_first] if custom_label else [label]
    return " · ".join([*parts, f"SHA-256 {sha256[:16]}…"])


def _source_views(reader: _Reader, raw: bytes, evidence: list[dict], trusted_hops: int):
    """The line-numbered body views and header block, with the evidence highlighted;
    each evidence item learns where it was found ("visible text line 4")."""
    views = _text_views(reader, evidence)
    block = header_block(raw)
    located = _highlight(views, block, evidence)
    header = _header_section(block, trusted_hops, located)
    titles = dict(VIEW_TITLES)
    if not _has_text_part(reader):
        titles["text"] = "Text derived from the HTML (the message has no text/plain part)"
    text_views = [build_view(key, titles[key], text, located.marks.get(key, []))
                  for key, text in views.items()]
    for view in [*text_views, header["view"]]:
        for ref, line in view.located.items():
            located.where.setdefault(ref, []).append(f"{VIEW_SHORT[view.key]} line {line}")
    for item in evidence:
        item["located"] = located.where.get(item["ref"], [])
    return text_views, header


def _identity(msg) -> dict[str, Any]:
    return {
        "source_id": msg.source_id,
        "sha256": msg.sha256,
        "md5": hashlib.md5(msg.raw, usedforsecurity=False).hexdigest(),
        "sha1": hashlib.sha1(msg.raw, usedforsecurity=False).hexdigest(),
        "size": msg.size,
        "size_text": f"{msg.size:,} bytes",
        "attachment_name": attachment_name(msg),
    }


def format_dt(value: datetime | None) -> str:
    if not isinstance(value, datetime):
        return ""
    try:
        return value.strftime("%Y-%m-%d %H:%M:%S %z").strip()
    except ValueError:
        return value.isoformat()


def format_utc(value: datetime | None) -> str:
    if not isinstance(value, datetime) or value.tzinfo is None:
        return ""
    try:
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (ValueError, OverflowError):
        return ""


def _receipt(reader: _Reader, trusted_hops: int) -> dict[str, Any]:
    hops = reader.get("received", [])
    hops_text = ("The topmost Received hop is" if trusted_hops == 1
                 else f"The topmost {trusted_hops} Received hops are")
    trust_text = (
        f"{hops_text} taken as added by the trap "
        "operator's own mail servers (--trusted-hops); everything below them is as "
        "asserted by the sender or relays and is unverified."
        if trusted_hops else
        "No Received hop is trusted (--trusted-hops 0): every Received header is "
        "unverified and no receipt time is asserted."
    )
    receipt = {"hop": None, "time": "", "time_utc": "", "note": "", "trust_text": trust_text}
    if trusted_hops == 0:
        receipt["note"] = "(no trusted hop configured)"
    elif len(hops) < trusted_hops:
        receipt["note"] = f"(the message has {len(hops)} Received header(s); none is trusted)"
    else:
        hop = hops[trusted_hops - 1]
        receipt["hop"] = hop
        receipt["time"] = format_dt(hop.get("date")) or "(the hop states no usable time)"
        receipt["time_utc"] = format_utc(hop.get("date"))
    return receipt


def receipt_time(msg, trusted_hops: int) -> datetime | None:
    """The trusted hop's time (for the embedded original's dates), else the Date header."""
    try:
        hops = msg.get("received") or []
        if trusted_hops and len(hops) >= trusted_hops and hops[trusted_hops - 1].get("date"):
            return hops[trusted_hops - 1]["date"]
        return msg.get("date")
    except Exception:
        return None


def _key_headers(headers: list[dict]) -> list[dict[str, Any]]:
    by_name: dict[str, list[dict]] = {}
    for h in headers:
        by_name.setdefault(str(h.get("name", "")).lower(), []).append(h)
    rows = []
    for name in KEY_HEADERS:
        values = []
        for h in by_name.get(name.lower(), []):
            raw = str(h.get("raw") or "")
            decoded = str(h.get("value") or "")
            values.append({
                "raw": raw,
                "decoded": decoded if decoded and decoded != " ".join(raw.split()) else "",
            })
        rows.append({"name": name, "values": values})
    return rows


def _date_info(reader: _Reader) -> dict[str, str]:
    date = reader.get("date")
    return {
        "local": format_dt(date),
        "utc": format_utc(reader.get("date.utc") or date),
        "error": str(reader.get("date.error") or ""),
    }


def _trusted_index(headers: list[dict], trusted_hops: int) -> int:
    """Header index of the last trusted Received header, -1 if none is trusted."""
    received = [h.get("index", i) for i, h in enumerate(headers)
                if str(h.get("name", "")).lower() == "received"]
    if trusted_hops == 0 or len(received) < trusted_hops:
        return -1
    return received[trusted_hops - 1]


def _auth_results(headers: list[dict], trusted_hops: int) -> list[dict[str, str]]:
    boundary = _trusted_index(headers, trusted_hops)
    out = []
    for i, h in enumerate(headers):
        if str(h.get("name", "")).lower() != "authentication-results":
            continue
        trusted = h.get("index", i) < boundary
        out.append({
            "raw": str(h.get("raw") or ""),
            "position": "above the trust boundary: added by the receiving side" if trusted
            else "below the trust boundary: unverified, may be forged",
        })
    return out


TABULATED_STATUSES = frozenset({Status.VIOLATION, Status.NEEDS_REVIEW, Status.ERROR})


def _findings(result: AuditResult | None) -> tuple[list[dict], list[dict]]:
    if result is None:
        return [], []
    # The table shows what a court needs to read: violations, findings that need review,
    # and rule errors. Compliant and not-applicable outcomes are counted, not tabulated.
    # A finding counsel decided (checker.review) is shown whatever its status now, with
    # the decision in its sentence: a dismissal is part of the record too.
    reported = [f for f in result.findings if Status(f.status) in TABULATED_STATUSES
                or getattr(f, "decision", None)]
    ordered = sorted(reported, key=lambda f: (STATUS_RANK.get(f.status, 9), f.rule))
    rows, evidence = [], []
    for finding in ordered:
        row = _finding_row(finding)
        for ev in finding.evidence:
            item = _evidence_row(ev, f"E{len(evidence) + 1}")
            row["evidence"].append(item)
            evidence.append(item)
        rows.append(row)
    return rows, evidence


def _finding_row(finding: Finding) -> dict[str, Any]:
    status = Status(finding.status)
    return {
        "rule": finding.rule,
        "status": status.value,
        "status_label": STATUS_LABELS.get(status, status.value),
        "title": finding.title,
        "jurisdiction": finding.jurisdiction,
        "citations": list(finding.citations),
        "finding": finding.finding,
        "error": finding.error,
        "evidence": [],
    }


def _evidence_row(ev: Evidence, ref: str) -> dict[str, Any]:
    quote = ev.quote
    if quote is not None and len(quote) > MAX_QUOTE:
        quote = quote[:MAX_QUOTE] + f"… ({len(ev.quote):,} characters)"
    span = ""
    if ev.start is not None and ev.end is not None:
        span = f"characters {ev.start}–{ev.end}"
    return {
        "ref": ref, "field": ev.field, "quote": quote, "span": span,
        "searched": list(ev.searched or ()), "note": ev.note, "evidence": ev, "located": [],
    }


def _counts_text(findings: list[dict], result: AuditResult | None) -> str:
    if result is None:
        return "No audit was run"
    counts: dict[str, int] = {}
    for f in sorted(result.findings, key=lambda f: STATUS_RANK.get(f.status, 9)):
        label = STATUS_LABELS.get(Status(f.status), str(f.status))
        counts[label] = counts.get(label, 0) + 1
    if not counts:
        return "No findings"
    text = "Findings: " + ", ".join(f"{n} {label}" for label, n in counts.items()) + "."
    if len(findings) < len(result.findings):
        text += (" The table lists violations, findings that need review and rule errors;"
                 " `spamlaw audit --all` lists every rule's outcome.")
    return text


# --- body views and evidence ------------------------------------------------------------


def _text_views(reader: _Reader, evidence: list[dict]) -> dict[str, str]:
    """The texts shown line-numbered: the plain text, the HTML source, and the visible
    text when it differs from the plain text and evidence points into it (otherwise the
    render already shows what a reader sees, and pages cost time)."""
    text = reader.get("body.text", "")
    visible = reader.get("body.visible_text", "")
    html = reader.get("body.html", "")
    views = {}
    if isinstance(text, str) and text:
        views["text"] = text
    if isinstance(visible, str) and visible and visible != text:
        if any(_needs_visible(item["evidence"], text, visible) for item in evidence):
            views["visible"] = visible
    if isinstance(html, str) and html:
        views["html"] = html
    return views


def _has_text_part(reader: _Reader) -> bool:
    for part in reader.get("mime.parts", []):
        if str(part.get("content_type", "")).lower() == "text/plain" and \
                str(part.get("disposition") or "").lower() != "attachment":
            return True
    return False


def _needs_visible(ev: Evidence, text, visible: str) -> bool:
    if ev.field == "body.visible_text":
        return True
    if ev.field in BODY_VIEWS or ev.field.split(".")[0] in FIELD_HEADERS or not ev.quote:
        return False
    return ev.quote in visible and not (isinstance(text, str) and ev.quote in text)


@dataclass
class _Located:
    marks: dict[str, list[Mark]]
    where: dict[str, list[str]]


def _highlight(views: dict[str, str], block: HeaderBlock, evidence: list[dict]) -> _Located:
    """Place each evidence item in the view(s) that hold its text: by offsets when the
    field is a shown body text and the quote matches there, else by its quote."""
    located = _Located({}, {})
    for item in evidence:
        ev: Evidence = item["evidence"]
        key, span = _place(ev, views, block)
        if key is not None:
            located.marks.setdefault(key, []).append(Mark(span[0], span[1], item["ref"]))
    return located


def _place(ev: Evidence, views: dict[str, str], block: HeaderBlock):
    view_key = BODY_VIEWS.get(ev.field)
    if view_key == "visible" and "visible" not in views and "text" in views:
        view_key = "text"  # visible text equals the plain text and is shown once
    if view_key in views:
        text = views[view_key]
        if ev.start is not None and ev.end is not None and 0 <= ev.start < ev.end <= len(text):
            if ev.quote is None or text[ev.start:ev.end] == ev.quote:
                return view_key, (ev.start, ev.end)
        found = _find(text, ev.quote)
        return (view_key, found) if found else (None, None)
    if not ev.quote:
        return None, None
    root = ev.field.split(".")[0]
    if root in FIELD_HEADERS:
        for entry in block.entries_named(*FIELD_HEADERS[root]):
            found = _find(block.text, ev.quote, entry.start, entry.end)
            if found:
                return "headers", found
    order = ("visible", "text", "headers", "html")
    for key in order:
        text = block.text if key == "headers" else views.get(key, "")
        found = _find(text, ev.quote)
        if found:
            return key, found
    return None, None


def _find(text: str, quote: str | None, start: int = 0, end: int | None = None):
    if not quote:
        return None
    position = text.find(quote, start, len(text) if end is None else end)
    return (position, position + len(quote)) if position >= 0 else None


def _header_section(block: HeaderBlock, trusted_hops: int, located: _Located) -> dict:
    received = block.entries_named("Received")
    view = build_view("headers", "Header block", block.text, located.marks.get("headers", []))
    if trusted_hops and len(received) >= trusted_hops:
        last = received[trusted_hops - 1]
        boundary_line, trusted_until = last.last_line, last.last_line
        boundary_text = (
            f"TRUST BOUNDARY — above: added by the receiving side ({trusted_hops} trusted "
            "Received hop(s)); below: as asserted by the sender or relays, unverified"
        )
        trust_text = "Shaded lines are above the trust boundary."
    else:
        boundary_line, trusted_until = 0, 0
        boundary_text = "TRUST BOUNDARY — no header above this line is trusted"
        trust_text = (f"No trust boundary: the message has {len(received)} Received "
                      f"header(s) and {trusted_hops} trusted hop(s) are configured.")
        if not view.lines:
            boundary_line = None
    return {
        "view": view, "boundary_line": boundary_line, "boundary_text": boundary_text,
        "trusted_until": trusted_until, "trust_text": trust_text,
        "line_endings": block.line_endings, "non_utf8": block.non_utf8,
        "truncated": block.truncated,
    }


# --- render and inventories -------------------------------------------------------------


def _render(reader: _Reader, has_cid, subject, render_failed: str | None) -> dict[str, Any]:
    render = {"kind": "none", "label": RENDER_LABEL, "notes": [], "blocked": [],
              "markup": Markup(""), "body_style": "", "text": "", "subject": subject}
    html = reader.get("body.html", "")
    text = reader.get("body.text", "")
    if isinstance(html, str) and html.strip():
        sanitized = sanitize_html(html, has_cid)
        render["blocked"] = sanitized.blocked
        if render_failed:
            render["notes"].append(
                f"The HTML could not be laid out ({render_failed}); its text is shown "
                "instead. The HTML source follows below.")
            render["kind"], render["text"] = "text", _bounded_text(text)
            return render
        render.update(kind="html", markup=sanitized.markup, body_style=sanitized.body_style)
        render["notes"] += sanitized.notes
    elif isinstance(text, str) and text:
        render["kind"], render["text"] = "text", _bounded_text(text)
        if len(text) > MAX_TEXT_RENDER:
            render["notes"].append(f"The text has {len(text):,} characters; the first "
                                   f"{MAX_TEXT_RENDER:,} are shown.")
    return render


def _bounded_text(text: str) -> str:
    return clean_text(str(text or "")[:MAX_TEXT_RENDER])


def _links(reader: _Reader) -> list[dict[str, Any]]:
    rows = []
    for link in reader.get("links", [])[:MAX_LIST_ROWS]:
        url = str(link.get("url") or "")
        rows.append({
            "text": clean_text(str(link.get("text") or ""))[:300],
            "url_defanged": defang(url),
            "visible": bool(link.get("visible", True)),
            "hidden_reason": link.get("hidden_reason"),
            "mailto": bool(link.get("mailto")),
        })
    return rows


def _rows(records: list[dict], keys: tuple[str, ...]) -> list[dict[str, str]]:
    return [{k: clean_text(str(r.get(k) or ""))[:MAX_QUOTE] for k in keys}
            for r in records[:MAX_LIST_ROWS]]


def _attachments(reader: _Reader) -> list[dict[str, Any]]:
    rows = []
    for item in reader.get("attachments", [])[:MAX_LIST_ROWS]:
        size = item.get("size")
        rows.append({
            "name": clean_text(str(item.get("name") or ""))[:200],
            "content_type": str(item.get("content_type") or ""),
            "size_text": f"{size:,} bytes" if isinstance(size, int) else "",
            "sha256": str(item.get("sha256") or ""),
        })
    return rows
