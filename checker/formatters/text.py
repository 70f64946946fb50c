"""`--format text`: a per-message report a paralegal can read.

    samples/can-spam/no-postal-address.eml
      From:    Deals <deals@shop.example>
      Subject: 50% off everything
      Date:    Tue, 03 Sep 2002 10:00:00 -0400
      SHA-256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08

      VIOLATION     CANSPAM-POSTAL-ADDRESS  15 U.S.C. § 7704(a)(5)(A)(iii)
                    Commercial message omits a valid physical postal address
                    No physical postal address appears in what the recipient sees.
                    searched: body.visible_text, headers

Spam controls what is quoted here, so every message-derived string is made printable first:
control characters (terminal escape sequences included) and undecodable bytes are shown as
escapes, never written raw to a terminal, and invisible or text-direction characters as
stand-ins naming them (`⟨U+202E⟩`, checker/display.py). Notes on a message that was
audited are labelled WARNING; on one that could not be audited, ERROR.
"""

from __future__ import annotations

import re
import textwrap

from checker.display import absence_text, field_label, one_line, record_text, reveal, value_words
from checker.findings import AuditResult, Evidence, Finding, Status
from checker.formatters.base import STATUS_ORDER, Formatter, Summary, by_seriousness, was_audited
from checker.legal_date import received_text

LABELS = {
    Status.VIOLATION: "VIOLATION",
    Status.NEEDS_REVIEW: "NEEDS REVIEW",
    Status.ERROR: "ERROR",
    Status.COMPLIANT: "COMPLIANT",
    Status.NOT_APPLICABLE: "N/A",
}
COLORS = {  # ANSI SGR codes
    Status.VIOLATION: "1;31",
    Status.NEEDS_REVIEW: "1;33",
    Status.ERROR: "1;35",
    Status.COMPLIANT: "32",
    Status.NOT_APPLICABLE: "2",
}
LABEL_WIDTH = max(map(len, LABELS.values())) + 2
INDENT = "  "
BODY_INDENT = INDENT + " " * LABEL_WIDTH
WIDTH = 100
QUOTE_CHARS = 160
MAX_EVIDENCE = 12  # evidence lines per finding; the JSON output has them all

# C0/C1 controls, DEL, lone surrogates (undecodable bytes) and the bidi overrides that can
# make a quote read differently from what it is.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value: object, limit: int | None = None) -> str:
    """`value` as one safe line: controls escaped, whitespace runs kept, cut at `limit`."""
    text = "" if value is None else str(value)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    return _UNPRINTABLE.sub(lambda m: _escape(m.group()), reveal(text))


# Evidence notes that say how the engine came by an item, not what it shows.
_MACHINE_NOTES = frozenset({"captured"})


def evidence_line(evidence: Evidence) -> str:
    """One evidence item for people: what it is in words ("visible text", "Received header
    2"), then the quote on one line (line breaks as ⏎). The field path and offsets are in
    --format json."""
    label = field_label(evidence.field)
    if evidence.searched is not None:  # a search that found nothing: "In-Reply-To header: absent"
        absence = absence_text(evidence.field, evidence.searched, evidence.note)
        if absence is not None:
            return printable(absence)
    if evidence.searched is not None:
        line = f"searched the {label}: {', '.join(map(printable, evidence.searched))}"
    elif value_words(evidence.field, evidence.quote) != evidence.quote:  # a coded conclusion, in words
        line = f"{label}: {printable(value_words(evidence.field, evidence.quote))}"
    elif evidence.start is not None:
        quote = printable(one_line(evidence.quote), QUOTE_CHARS)
        line = f"{label}: “{quote}”" if '"' in quote else f'{label}: "{quote}"'
    else:
        line = f"{label}: {printable(one_line(record_text(evidence.quote)), QUOTE_CHARS)}"
    if evidence.note and evidence.note not in _MACHINE_NOTES:
        line += f"  ({printable(one_line(evidence.note))})"
    return line


class TextFormatter(Formatter):
    name = "text"

    def paint(self, status: Status, text: str) -> str:
        return f"\x1b[{COLORS[status]}m{text}\x1b[0m" if self.color else text

    def handle(self, result: AuditResult) -> None:
        lines = [printable(result.source)]
        received = received_text(result.received) or None
        for label, value in (("From", result.sender), ("Subject", result.subject),
                             ("Date", result.date), ("Received", received)):
            if label == "Received" and value is None:
                continue  # no trusted Received line: the Date line above is all there is
            lines.append(f"{INDENT}{label + ':':<8} {printable(value, 200) or '(none)'}")
        if result.sha256:
            lines.append(f"{INDENT}SHA-256: {result.sha256}")
        lines.append("")
        # Notes on a message that was audited are warnings (something was worked around or
        # is worth knowing); on one that could not be audited they are its errors.
        label, status = ("WARNING", Status.NEEDS_REVIEW) if was_audited(result) else ("ERROR", Status.ERROR)
        for error in result.errors:
            lines.append(INDENT + self.paint(status, f"{label:<{LABEL_WIDTH}}") + printable(error))
        shown = by_seriousness(self.shown(result))
        for finding in shown:
            lines.extend(self.finding_lines(finding))
        if not shown and result.findings:
            lines.append(INDENT + "nothing to report: " + self.tally(result))
        self.write("\n".join(lines) + "\n\n")

    def finding_lines(self, finding: Finding) -> list[str]:
        status = Status(finding.status)
        label = self.paint(status, f"{LABELS[status]:<{LABEL_WIDTH}}")
        head = f"{INDENT}{label}{finding.rule}  {'; '.join(finding.citations)}".rstrip()
        body = [finding.title, finding.finding]
        if finding.error and finding.error not in (finding.finding or ""):
            body.append(f"(technical detail: {finding.error})")  # the sentence above says it in words
        lines = [head]
        for paragraph in filter(None, body):
            lines.extend(textwrap.wrap(printable(paragraph), WIDTH, initial_indent=BODY_INDENT,
                                       subsequent_indent=BODY_INDENT))
        shown = finding.evidence[:MAX_EVIDENCE]
        lines.extend(BODY_INDENT + evidence_line(e) for e in shown)
        if len(finding.evidence) > len(shown):
            lines.append(f"{BODY_INDENT}… and {len(finding.evidence) - len(shown)} more "
                         "evidence item(s) (all of them in --format json)")
        return lines

    @staticmethod
    def tally(result: AuditResult) -> str:
        counts = {s: 0 for s in STATUS_ORDER}
        for finding in result.findings:
            counts[Status(finding.status)] += 1
        return ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items() if n)

    def stop(self, summary: Summary) -> None:
        lines = [
            f"{summary.messages} message{'s' if summary.messages != 1 else ''}: "
            f"{summary.audited} audited, {summary.not_audited} could not be audited; "
            f"{self.ruleset.rules} rule{'s' if self.ruleset.rules != 1 else ''} "
            f"(ruleset sha256 {(self.ruleset.sha256 or '?')[:12]})"
        ]
        for status in STATUS_ORDER:
            lines.append(f"{INDENT}{LABELS[status]:<{LABEL_WIDTH}}{summary.findings[status]:>7} "
                         f"finding(s) in {summary.messages_with[status]} message(s)")
        listed = [r for r in sorted(summary.rules)
                  if any(summary.rules[r][s] for s in self.statuses)]
        if listed:
            lines.append("by rule:")
        width = max(map(len, listed), default=0)
        for rule in listed:
            counts = ", ".join(f"{summary.rules[rule][s]} {s.replace('_', ' ')}"
                               for s in STATUS_ORDER if s in self.statuses and summary.rules[rule][s])
            lines.append(f"{INDENT}{rule:<{width}}  {counts}")
        self.write("\n".join(lines) + "\n")
