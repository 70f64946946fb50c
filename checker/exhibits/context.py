"""Everything an exhibit shows, gathered from the message's registry fields and the
audit result into plain values for the template (no markup here except the sanitizer's
output and the escaped source lines)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from checker.display import absence_text, field_label, plain_defect, reveal, value_words
from checker.exhibits.bates import BatesSpec, check_label
from checker.exhibits.sanitize import MAX_NESTING, clean_text, defang, sanitize_html
from checker.exhibits.views import (
    MAX_LINE_CHARS,
    MAX_VIEW_CHARS,
    HeaderBlock,
    build_view,
    excerpt,
    header_block,
)
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
_TRUSTED_HOP = re.compile(r"^received\.trusted\[(\d+)\]$")  # a parsed trusted hop record
INDEXED_HEADERS = frozenset({"received"})  # field index = header index
# authentication_results has one record per method result (several in one header): its
# index is mapped to the header that holds the record (_auth_header_numbers)
BODY_VIEWS = {"body.text": "text", "body.visible_text": "visible", "body.html": "html"}
VIEW_TITLES = {
    "text": "Plain-text body",
    "visible": "Visible text (what a reader sees of the HTML)",
    "html": "HTML body source",
}
VIEW_SHORT = {"text": "text", "visible": "visible text", "html": "HTML source",
              "headers": "header block"}
RENDER_LABEL = (
    "A rendering made for this exhibit from the message's own content, not a screenshot. "
    "Nothing was fetched from the Internet: pictures stored elsewhere are shown as small "
    "labelled markers, and tiny tracking pictures as “[tiny image]”. Links show their "
    "text only and are not clickable; where each leads is listed under “Links”. Scripts "
    "and forms are not shown. Text the message's own styles hide stays hidden here. "
    "Content wider than the page is cut at the frame's right edge; the source below "
    "holds all of it."
)


@dataclass(frozen=True)
class ExhibitOptions:
    label: str | None = None  # default: "Exhibit " + first Bates number
    bates: BatesSpec = BatesSpec()
    label_corner: str = "top-right"
    trusted_hops: int = 1
    legend: str | None = None  # confidentiality legend printed on every page
    custodian: str | None = None  # from the case settings; never a path of this machine
    collection: str | None = None


class _Reader:
    """Reads registry fields; a field that is missing from this build or fails is
    reported on the exhibit instead of stopping it."""

    def __init__(self, msg) -> None:
        self.msg = msg
        self.problems: list[str] = []

    def get(self, name: str, default: Any = None) -> Any:
        try:
            value = self.msg.get(name)
        except Exception:  # a field this build does not register (Message.get never fails otherwise)
            self.problems.append(f"The {field_label(name)} could not be read: this version of "
                                 "the program does not provide it.")
            return default
        return default if value is None else value


def build_context(msg, result: AuditResult | None, options: ExhibitOptions,
                  ruleset_sha256: str, has_cid, provenance: dict[str, str],
                  render_failed: str | None = None,
                  rule_statuses: dict[str, str] | None = None,
                  with_render: bool = True) -> dict[str, Any]:
    """Everything the message exhibit and the analysis show (both documents take their
    line numbers from the same views, so the analysis's anchors cite the exhibit)."""
    reader = _Reader(msg)
    bates_first = options.bates.number(0)
    label = check_label(options.label) if options.label else f"Exhibit {bates_first}"
    headers = reader.get("headers", [])
    auth_headers = _auth_header_numbers(reader)
    findings, evidence = _findings(result, _picture_labels(reader) if result else [], auth_headers)
    for row in findings:
        row["rule_status"] = (rule_statuses or {}).get(row["rule"], "")
    text_views, header = _source_views(reader, msg.raw, evidence, options.trusted_hops, auth_headers)
    subject = reader.get("subject")
    receipt = _receipt(reader, options.trusted_hops)
    key_headers = _key_headers(headers)
    date_info = _date_info(reader)
    identity = _identity(msg)
    context = {
        "title": f"{label} — email message, SHA-256 {msg.sha256[:16]}…",
        "label": label,
        "label_corner": options.label_corner,
        "legend": clean_text(options.legend or ""),
        "bates": options.bates,
        "bates_first": bates_first,
        "running_header": _running_header(_without_bates(label, options.bates), msg.sha256),
        "identity": identity,
        "collection": _collection(options, identity),
        "receipt": receipt,
        "statement": _statement(receipt, date_info, reader.get("date.skew")),
        "key_headers": key_headers,
        "mail_headers": _mail_headers(key_headers),
        "date_info": date_info,
        "auth_results": _auth_results(headers, options.trusted_hops),
        "findings": findings,
        "evidence": evidence,
        "shared_evidence": [item for item in evidence if item["shared"]],
        "read_from_pictures": _read_from_pictures(result, _picture_labels(reader) if result else []),
        "counts_text": _counts_text(findings, result),
        "summary_text": _summary_text(result),
        "ruleset_sha256": ruleset_sha256,
        "render": _render(reader, has_cid, subject, render_failed) if with_render
        else {"blocked": []},
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
    context["problems"] = _problems(msg, reader, result)
    return context


def _problems(msg, reader: _Reader, result: AuditResult | None) -> list[str]:
    """What could not be read or had to be worked around, each once, as sentences (the
    technical detail stays in Message.field_errors and the audit JSON)."""
    problems = [plain_defect(str(p)) for p in getattr(msg, "errors", []) or []]
    problems += reader.problems
    problems += [plain_defect(str(d)) for d in reader.get("mime.defects", [])[:20]]
    if result is not None:
        problems += [str(e) for e in result.errors]
    unique = dict.fromkeys(_sentence(clean_text(p)) for p in problems if p)
    return [p[:300] for p in list(unique)[:40]]


def _sentence(text: str) -> str:
    """A clause as a sentence: capital first letter, closing full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    return text if text[-1] in ".!?”\"" else text + "."


def _collection(options: ExhibitOptions, identity: dict) -> list[tuple[str, str]]:
    """Where the message came from, as the case describes it (custodian, collection) and
    the original's own file name; never a folder of the machine that made the exhibit."""
    rows = []
    if options.custodian:
        rows.append(("Custodian", clean_text(options.custodian)[:300]))
    if options.collection:
        rows.append(("Collection", clean_text(options.collection)[:300]))
    rows.append(("Original file name", identity["attachment_name"]))
    return rows


SKEW_HOURS = 24  # a Date header further than this from the receipt is worth saying


def _statement(receipt: dict, date_info: dict, skew_hours=None) -> dict[str, str]:
    """The cover's first sentence: who received the message, where and when, and what
    the date rests on."""
    hop = receipt.get("hop") or {}
    sender_date = date_info.get("utc") or date_info.get("local")
    if receipt.get("time_utc"):
        trap = _short_value(str(hop.get("for") or ""))
        if "@" not in trap:  # a delivery path ("+lists/ports"), not an address
            trap = ""
        server = _short_value(str(hop.get("by") or ""))
        text = "Email received"
        if trap:
            text += f" by trap address {trap}"
        if server:
            text += f" at {server}"
        text += f" on {receipt['time_utc']} (trusted Received hop)."
        claim = (f"The Date header, written by the sender, says {sender_date}."
                 if sender_date else date_info.get("error") or "The message has no usable Date header.")
        if isinstance(skew_hours, int) and abs(skew_hours) > SKEW_HOURS:
            claim += (f" That is {abs(skew_hours):,} hours {'before' if skew_hours < 0 else 'after'}"
                      " the receipt time: the Date header may be false.")
        return {"text": text, "date_note": claim}
    text = "Email message. No trusted Received hop gives the time it was received."
    claim = (f"The Date header says {sender_date}; that date is the sender's claim, not a "
             "receipt time." if sender_date else
             f"{date_info.get('error') or 'The message has no usable Date header.'} No date of "
             "receipt can be given.")
    return {"text": text, "date_note": claim}


MAX_HEADER_VALUE = 2_000  # characters of one header value shown on the cover and render


def _short_value(text: str, limit: int = MAX_HEADER_VALUE) -> str:
    """A header value cut before layout (a 1 MB Subject takes minutes to break into
    lines), saying how long it really is."""
    text = _reveal(clean_text(text))
    if len(text) <= limit:
        return text
    return text[:limit] + f" … [cut here: {len(text):,} characters; the embedded original holds all]"


def _reveal(text: str) -> str:
    """Invisible and bidirectional format characters as visible stand-ins (contract 3)."""
    return reveal(text)


def _mail_headers(key_headers: list[dict]) -> list[dict[str, str]]:
    """From, To, Cc, Date and Subject as a mail program shows them (decoded)."""
    shown = []
    for row in key_headers:
        if row["name"] not in ("From", "To", "Cc", "Date", "Subject"):
            continue
        values = [v["decoded"] or " ".join(v["raw"].split()) for v in row["values"]]
        if row["name"] == "Cc" and not values:
            continue
        shown.append({"name": row["name"], "value": "; ".join(values) if values else "(none)"})
    return shown


def _summary_text(result: AuditResult | None) -> str:
    if result is None:
        return "No rules were applied to this message."
    counts: dict[Status, int] = {}
    for f in result.findings:
        counts[Status(f.status)] = counts.get(Status(f.status), 0) + 1
    words = {Status.VIOLATION: "found a violation", Status.NEEDS_REVIEW: "need review by counsel",
             Status.ERROR: "could not be applied", Status.COMPLIANT: "found no violation",
             Status.NOT_APPLICABLE: "did not apply"}
    parts = [f"{counts[s]} {words[s]}" for s in words if counts.get(s)]
    total = len(result.findings)
    return f"{total} rule(s) were applied: " + ", ".join(parts) + "." if parts else \
        "No rule gave a result."


def attachment_name(msg) -> str:
    """The embedded original's file name: the source's own .eml name, else by hash."""
    name = msg.source_id.replace("\\", "/").rsplit("/", 1)[-1].split("#")[0]
    if not name.lower().endswith(".eml") or "#" in msg.source_id:
        name = f"message-{msg.sha256[:16]}.eml"
    return clean_text(name)[:100]


def _without_bates(label: str, bates: BatesSpec) -> str:
    """The label, unless it holds a Bates-like number (the default "Exhibit AGO0000001",
    "Analysis of Exhibit AGO0000001"): a running header must not offer a second one."""
    digits = max(bates.digits, 4)
    return "" if re.search(rf"\d{{{digits}}}", label) else label


def _running_header(label: str, sha256: str) -> str:
    """Top of every page after the first. No Bates number here: the footer carries each
    page's own, and a second number invites citing the wrong one."""
    return " · ".join(part for part in (label, f"Email message SHA-256 {sha256[:16]}…") if part)


def _source_views(reader: _Reader, raw: bytes, evidence: list[dict], trusted_hops: int,
                  auth_headers: list[int | None] = ()):
    """The line-numbered body views and header block, and each evidence item's anchor:
    where its own text is in them (an excerpt with the span marked), or None."""
    views = _text_views(reader, evidence)
    block = header_block(raw)
    header = _header_section(block, trusted_hops)
    titles = dict(VIEW_TITLES)
    if not _has_text_part(reader):
        titles["text"] = "Text derived from the HTML (the message has no text/plain part)"
    text_views = [build_view(key, titles[key], text, []) for key, text in views.items()]
    for item in evidence:
        item["anchor"] = _anchor(item, views, block, auth_headers)
    return text_views, header


def _anchor(item: dict, views: dict[str, str], block: HeaderBlock,
            auth_headers: list[int | None] = ()) -> dict | None:
    key, span = _place(item["evidence"], views, block, auth_headers)
    if key is None:
        return None
    text = block.text if key == "headers" else views[key]
    if item["quote"] is None:  # a parsed record (a trusted hop): quote the text it came from
        item["quote"] = text[span[0]:span[1]]
    lines = excerpt(text, span[0], span[1], item["ref"])
    where = f"{VIEW_SHORT[key]} line {lines[0][0]}"
    last = lines[0][0] + text.count("\n", span[0], span[1])
    cut = last > lines[-1][0]
    if last > lines[0][0]:
        where = f"{VIEW_SHORT[key]} lines {lines[0][0]}–{last}"
    if cut:
        where += f" (the first {len(lines)} lines are shown here)"
    if key != "headers" and span[0] >= MAX_VIEW_CHARS:
        where += " (past the part the message exhibit prints; in the embedded original)"
    return {"where": where, "lines": lines, "view": key, "cut": cut}


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
        "operator's own mail servers (a setting of this review); everything below them is as "
        "asserted by the sender or relays and is unverified."
        if trusted_hops else
        "No Received hop is trusted (a setting of this review): every Received header is "
        "unverified and no receipt time is asserted."
    )
    receipt = {"hop": None, "time": "", "time_utc": "", "note": "", "trust_text": trust_text}
    if trusted_hops == 0:
        receipt["note"] = "(no trusted hop configured)"
    elif len(hops) < trusted_hops:
        receipt["note"] = f"(the message has {len(hops)} Received header(s); none is trusted)"
    else:
        hop = hops[trusted_hops - 1]
        when = hop.get("date")
        legal = _legal_receipt(reader, trusted_hops)  # contract 2: receipt.time / receipt.hop
        if legal is not None:
            hop, when = hops[legal[0]], legal[1]
        receipt["hop"] = hop
        receipt["time"] = format_dt(when) or "(the hop states no usable time)"
        receipt["time_utc"] = format_utc(when)
    return receipt


def _legal_receipt(reader: _Reader, trusted_hops: int) -> tuple[int, datetime] | None:
    """(hop index, time) from the registered receipt.time field, when the message was
    read with the same trust boundary as the exhibit shows."""
    try:
        from checker.legal_date import trusted_hop_count
    except ImportError:
        return None
    if trusted_hop_count(reader.msg) != trusted_hops:
        return None
    when, index = reader.get("receipt.time"), reader.get("receipt.hop")
    hops = reader.get("received", [])
    if isinstance(when, datetime) and isinstance(index, int) and 0 <= index < len(hops):
        return index, when
    return None


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
                "raw": _short_value(raw),
                "decoded": _short_value(decoded)
                if decoded and decoded != " ".join(raw.split()) else "",
            })
        rows.append({"name": name, "values": values})
    return rows


def _date_info(reader: _Reader) -> dict[str, str]:
    date = reader.get("date")
    return {
        "local": format_dt(date),
        "utc": format_utc(reader.get("date.utc") or date),
        "error": _sentence(str(reader.get("date.error") or "")),
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
SUMMARY_LABELS = {
    Status.VIOLATION: "Violation",
    Status.NEEDS_REVIEW: "Needs review",
    Status.ERROR: "Rule error",
}
# Where a detector's evidence comes from, in words (the first part of an evidence note
# such as "commercial.reasons[3]", else of the field).
EVIDENCE_GROUPS = {
    "commercial": "the commercial purpose of the message",
    "header_integrity": "indicators in the header",
    "subject_integrity": "indicators in the subject line",
    "adult": "sexually oriented content indicators",
    "opt_out": "the search for an opt-out notice",
    "postal_address": "the search for a postal address",
    "postal_addresses": "the search for a postal address",
    "ad_label": "the search for an advertisement label",
    "captured": "details of the message",
}


def _findings(result: AuditResult | None, pictures: list[str] | None = None,
              auth_headers: list[int | None] = ()) -> tuple[list[dict], list[dict]]:
    """(rows, evidence): the reported findings, and every distinct evidence item once.

    Evidence is shared when two findings rest on the same item (the detectors' commercial-
    purpose reasons, say): it gets one reference (S1, S2, ...) and is printed once; each
    finding's own evidence (E1, E2, ...) keeps the engine's order, deciding part first."""
    if result is None:
        return [], []
    # The table shows what a court needs to read: violations, findings that need review,
    # and rule errors. Compliant and not-applicable outcomes are counted, not tabulated.
    # A finding counsel decided (checker.review) is shown whatever its status now, with
    # the decision in its sentence: a dismissal is part of the record too.
    reported = [f for f in result.findings if Status(f.status) in TABULATED_STATUSES
                or getattr(f, "decision", None)]
    ordered = sorted(reported, key=lambda f: (STATUS_RANK.get(f.status, 9), f.rule))
    items: dict[tuple, dict] = {}
    rows = []
    for finding in ordered:
        row = _finding_row(finding)
        for ev in finding.evidence:
            item = items.setdefault(_evidence_key(ev), _evidence_row(ev, pictures or [], auth_headers))
            if finding.rule not in item["used_by"]:
                item["used_by"].append(finding.rule)
                row["items"].append(item)
        rows.append(row)
    own = shared = 0
    for item in items.values():  # numbered in order of first use
        if len(item["used_by"]) > 1:
            shared += 1
            item["ref"], item["shared"] = f"S{shared}", True
        else:
            own += 1
            item["ref"] = f"E{own}"
    for row in rows:
        row["entries"] = _entries(row["items"])
    return rows, list(items.values())


def _evidence_key(ev: Evidence) -> tuple:
    return (ev.field, ev.start, ev.end, ev.quote, ev.searched)


def _entries(items: list[dict]) -> list[dict]:
    """A finding's evidence in its own order: own items in full, each run of shared items
    as one reference line ("S1–S11: the commercial purpose of the message")."""
    entries: list[dict] = []
    for item in items:
        if not item["shared"]:
            entries.append({"kind": "item", "item": item})
            continue
        last = entries[-1] if entries else None
        if last and last["kind"] == "shared" and last["group"] == item["group"]:
            last["refs"].append(item["ref"])
        else:
            entries.append({"kind": "shared", "group": item["group"], "refs": [item["ref"]]})
    for entry in entries:
        if entry["kind"] == "shared":
            refs = entry["refs"]
            entry["text"] = refs[0] if len(refs) == 1 else f"{refs[0]}–{refs[-1]}"
    return entries


def _finding_row(finding: Finding) -> dict[str, Any]:
    status = Status(finding.status)
    return {
        "rule": finding.rule,
        "status": status.value,
        "status_label": STATUS_LABELS.get(status, status.value),
        "summary_label": SUMMARY_LABELS.get(status, status.value),
        "title": finding.title,
        "jurisdiction": finding.jurisdiction,
        "citations": list(finding.citations),
        "finding": finding.finding,
        "error": finding.error,
        "rule_status": "",
        "items": [],
        "decision_text": _decision_text(getattr(finding, "decision", None)),
    }


def _decision_text(decision: dict | None) -> str:
    """Counsel's decision on the finding (checker.review), as the cover lists it."""
    if not decision:
        return ""
    reason = str(decision.get("reason") or "").strip().rstrip(".")
    return f"{decision.get('action')} by {decision.get('by')} on {decision.get('date')}: {reason}"


_IMAGE_TEXT = re.compile(r"^body\.image_text\[(\d+)\](?:\.text)?$")


# Fields whose values are the message's own text or headers; every other field (an
# assessment, a search summary, the recipient's state) is stated by the review.
MESSAGE_ROOTS = frozenset(FIELD_HEADERS) | {"body", "links", "images", "attachments", "headers", "mime"}


def _derived(field: str) -> bool:
    root = field.split(".")[0].split("[")[0]
    return root not in MESSAGE_ROOTS or field.startswith(("date.skew", "date.mismatch", "date.error"))


def _read_from_pictures(result: AuditResult | None, pictures: list[str]) -> list[dict]:
    """Outcomes the analysis does not tabulate (no violation, not applicable) that rest on
    text read from a picture by OCR: counsel should know a 'no violation' rests on it."""
    rows = []
    for finding in (result.findings if result else ()):
        if Status(finding.status) in TABULATED_STATUSES or getattr(finding, "decision", None):
            continue
        items = [{"label": _evidence_label(ev, pictures), "quote": ev.quote[:MAX_QUOTE]}
                 for ev in finding.evidence if _IMAGE_TEXT.match(ev.field) and ev.quote]
        if items:
            status = Status(finding.status)
            rows.append({"rule": finding.rule, "title": finding.title,
                         "status_label": STATUS_LABELS.get(status, status.value), "quotes": items})
    return rows


def _picture_labels(reader: _Reader) -> list[str]:
    """How findings name each picture whose text was read ('picture 2 (image/png,
    600×120)'), in the order of body.image_text."""
    return [clean_text(str(r.get("label") or "a picture")) for r in reader.get("body.image_text", [])
            if isinstance(r, dict)]


def _evidence_label(ev: Evidence, pictures: list[str], auth_headers: list[int | None] = ()) -> str:
    """The evidence's field in words; text read from a picture names the picture, a method
    result of Authentication-Results the header that holds it."""
    image = _IMAGE_TEXT.match(ev.field)
    if image:
        index = int(image.group(1))
        return f"text read from {pictures[index] if index < len(pictures) else 'a picture'}"
    auth = _AUTH_RESULT.match(ev.field)
    if auth:
        number = _auth_header(auth_headers, int(auth.group(1)))
        if number is not None:
            return f"Authentication-Results header {number + 1}"
    return field_label(ev.field)


_AUTH_RESULT = re.compile(r"^authentication_results\[(\d+)\](?:\.raw)?$")


def _auth_header_numbers(reader: _Reader) -> list[int | None]:
    """For each authentication_results record (one per method result), the number (from
    0, in message order) of the Authentication-Results header that holds it, or None."""
    def same(text) -> str:
        return " ".join(str(text or "").split())

    written = [same(h.get("raw")) for h in reader.get("headers", [])
               if str(h.get("name", "")).lower() == "authentication-results"]
    numbers: list[int | None] = []
    position = 0
    for record in reader.get("authentication_results", []):
        raw = same(record.get("raw") if isinstance(record, dict) else None)
        found = next((k for k in range(position, len(written)) if written[k] == raw), None)
        if found is not None:
            position = found
        numbers.append(found)
    return numbers


def _auth_header(auth_headers, index: int) -> int | None:
    return auth_headers[index] if 0 <= index < len(auth_headers) else None


def _evidence_row(ev: Evidence, pictures: list[str] | None = None,
                  auth_headers: list[int | None] = ()) -> dict[str, Any]:
    quote = ev.quote
    if quote is not None and ev.field not in BODY_VIEWS and ev.field.endswith("]"):
        quote = None  # a parsed record (an item of a list field), not text of the message: its anchor shows the text
    if quote is not None:  # a detector's coded conclusion ("commercial_uncertain") in words
        quote = value_words(ev.field, quote)
    if quote is not None and len(quote) > MAX_QUOTE:
        quote = quote[:MAX_QUOTE] + f"… ({len(ev.quote):,} characters)"
    searched = list(ev.searched or ())
    absence = absence_text(ev.field, searched, ev.note) if ev.searched is not None else None
    return {
        "ref": "", "shared": False, "field": ev.field,
        "field_label": _evidence_label(ev, pictures or [], auth_headers),
        "group": _group(ev), "quote": quote,
        # a search that found nothing, in words ("pictures that could hold ...: none"); its
        # note is part of that sentence
        "absence": absence, "searched": [] if absence else searched,
        "note": "" if absence else _note(ev), "evidence": ev,
        "ocr": bool(_IMAGE_TEXT.match(ev.field)),
        "derived": _derived(ev.field),
        "anchor": None, "used_by": [],
    }


FIELD_GROUPS = {
    "body": "the text of the message", "subject": "the subject line",
    "images": "the search for pictures", "attachments": "the search for attachments",
    "links": "the links of the message", "received": "the Received headers",
}


def _group(ev: Evidence) -> str:
    """What a run of shared evidence is about, in words: by the detector list it came
    from (`source`, e.g. commercial.reasons[0]), else by its field."""
    if ev.note == "captured" or getattr(ev, "source", None) == "captured":
        return EVIDENCE_GROUPS["captured"]
    for origin in (getattr(ev, "source", None) or "", ev.note or "", ev.field):
        root = origin.split(".")[0].split("[")[0]
        if root in EVIDENCE_GROUPS:
            return EVIDENCE_GROUPS[root]
    root = ev.field.split(".")[0].split("[")[0]
    return FIELD_GROUPS.get(root, f"the {root.replace('_', ' ')} of the message")


def _note(ev: Evidence) -> str:
    """The evidence note unless it is only the detector list it came from."""
    note = ev.note or ""
    if note == "captured" or (note.split("[")[0] and note.endswith("]") and " " not in note):
        return ""
    return note


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


def _place(ev: Evidence, views: dict[str, str], block: HeaderBlock,
           auth_headers: list[int | None] = ()):
    """(view key, (start, end)) of the evidence's own text, or (None, None).

    Only a quote from a field that is shown is placed: a body text at the evidence's own
    offsets, a header inside that header's own lines (nearest its offset). Absence
    evidence ("searched: ...") and values the detectors derived are never placed: a
    search of the whole message for their text would mark unrelated characters."""
    hop = _TRUSTED_HOP.match(ev.field)
    if hop:  # a trusted hop: the whole Received header it was read from
        entries = block.entries_named("Received")[int(hop.group(1)):int(hop.group(1)) + 1]
        return ("headers", (entries[0].start, entries[0].end)) if entries else (None, None)
    if not ev.quote or ev.searched is not None:
        return None, None
    view_key = BODY_VIEWS.get(ev.field)
    if view_key == "visible" and "visible" not in views and "text" in views:
        view_key = "text"  # visible text equals the plain text and is shown once
    if view_key is not None:
        text = views.get(view_key)
        if text is not None and _at_offsets(text, ev):
            return view_key, (ev.start, ev.end)
        return None, None
    found = _place_in_header(ev, block, auth_headers)
    return ("headers", found) if found else (None, None)


def _at_offsets(text: str, ev: Evidence) -> bool:
    if ev.start is None or ev.end is None or not 0 <= ev.start < ev.end <= len(text):
        return False
    span = text[ev.start:ev.end]
    quote = ev.quote or ""
    return span == quote or (quote.endswith("…") and span.startswith(quote[:-1]))


_INDEXED = re.compile(r"^([a-z_]+)(?:\[(\d+)\])?")


def _place_in_header(ev: Evidence, block: HeaderBlock, auth_headers: list[int | None] = ()):
    match = _INDEXED.match(ev.field)
    root = match.group(1) if match else ""
    if root not in FIELD_HEADERS:
        return None
    entries = block.entries_named(*FIELD_HEADERS[root])
    if match.group(2) is not None and root in INDEXED_HEADERS:
        index = int(match.group(2))  # received[1] is the second Received header
        entries = entries[index:index + 1]
    elif match.group(2) is not None and root == "authentication_results":
        number = _auth_header(auth_headers, int(match.group(2)))
        entries = entries[number:number + 1] if number is not None else []
    quote = ev.quote or ""
    for entry in entries:
        value_start = block.text.find(":", entry.start, entry.end) + 1
        target = value_start + (ev.start or 0)
        best = None
        position = block.text.find(quote, entry.start, entry.end)
        while position >= 0:
            if best is None or abs(position - target) < abs(best - target):
                best = position
            position = block.text.find(quote, position + 1, entry.end)
        if best is not None:
            return best, best + len(quote)
    return None


def _header_section(block: HeaderBlock, trusted_hops: int) -> dict:
    received = block.entries_named("Received")
    view = build_view("headers", "Header block", block.text, [])
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
        "truncated": block.truncated or view.truncated,
        "total_bytes": block.total_bytes, "shown_lines": len(view.lines),
    }


# --- render and inventories -------------------------------------------------------------


def _render(reader: _Reader, has_cid, subject, render_failed: str | None) -> dict[str, Any]:
    render = {"kind": "none", "label": RENDER_LABEL, "notes": [], "blocked": [],
              "markup": Markup(""), "body_style": "", "text": "",
              "subject": _short_value(subject) if isinstance(subject, str) else subject}
    html = reader.get("body.html", "")
    text = reader.get("body.text", "")
    if isinstance(html, str) and html.strip():
        sanitized = sanitize_html(html, has_cid)
        render["blocked"] = sanitized.blocked
        if sanitized.too_deep:
            visible = reader.get("body.visible_text", "")
            render["notes"].append(
                f"The HTML nests elements {sanitized.too_deep:,} levels deep (more than "
                f"{MAX_NESTING:,}); it was not laid out. Its visible text is shown instead; "
                "the HTML source follows below.")
            render["kind"], render["text"] = "text", _bounded_text(visible or text)
            return render
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
    """The text cut to MAX_TEXT_RENDER characters and each line to MAX_LINE_CHARS (a
    1 MB line takes minutes to break into lines), saying where it was cut."""
    lines = clean_text(str(text or "")[:MAX_TEXT_RENDER]).split("\n")
    for index, line in enumerate(lines):
        if len(line) > MAX_LINE_CHARS:
            lines[index] = (line[:MAX_LINE_CHARS] + f" [… line cut here: {len(line) - MAX_LINE_CHARS:,}"
                            " more characters, in the embedded original]")
    return "\n".join(lines)


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
