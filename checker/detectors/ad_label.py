"""Identification as an advertisement or solicitation (15 U.S.C. § 7704(a)(5)(A)(i)).

The law mandates no wording; the detector finds self-identification: "this is an
advertisement", "a paid advertisement", a line reading "ADVERTISEMENT", "this message is a
solicitation", "promotional message", "paid advertisement",
"ADV:" / "Ad:" / "[ADV]" subject prefixes, and foreign labels the 2002-era spam carried
(Japanese 未承諾広告, Korean (광고), Chinese [广告]). Denials ("this is not an advertisement",
"this is not spam", "not a marketing email") are not labels; they are reported separately
in `ad_label.denials` (the Experian pattern, relevant to deception).

A missing label is a `needs_review` matter (is the nature of the mail clear anyway?), so a
generous match costs little.
"""

from __future__ import annotations

import re
from typing import Any

from checker.detectors._text import Scanner, TextSource, body_sources, found_spans, span
from checker.fields import register

_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:[\[(]\s*)?(?:ADV|ADVT|ADVERT|ADVERTISEMENT|AD|ADLT|PROMO|PROMOTION)\b\s*"
    r"(?:[\])]\s*[:\-]?|[:\-])",
    re.IGNORECASE,
)

# Self-identification only: "this is an advertisement", not "a Chrysler advertisement" or
# "laws on commercial e-mail" (a false label hides a missing one from review).
_BODY_LABEL = re.compile(
    r"""
      \bthis\s+(?:(?:e-?mail|message|mailing|letter|offer)\s+)?(?:is\s+)?(?:an?\s+)?
      (?:paid\s+|commercial\s+|e-?mail\s+)?(?:advertisement|solicitation|promotion)\b
    | \b(?:is|as)\s+an?\s+(?:paid\s+|commercial\s+)?(?:advertisement|solicitation)\b
    | \bpaid\s+advertisement\b | \bprevious\s+was\s+an?\s+advertisement\b
    | \b(?:the\s+following|this)\s+(?:e-?mail|message|mailing|letter|is)\s+(?:is\s+)?
      (?:an?\s+)?(?:commercial\s+|paid\s+)?(?:solicitation|promotion|advertising)\b
    | \bthis\s+(?:is\s+an?\s+|(?:e-?mail|message)\s+is\s+an?\s+)commercial\s+
      (?:e-?mail|message|solicitation|communication)\b
    | \bpromotional\s+(?:message|e-?mail|mailing|material|communication|notice)s?\b
    | \bsponsored\s+(?:message|e-?mail|content|mailing)s?\b
    | (?m:^[^\w\n]*(?:advertisement|publicit[ée]|publicidad|werbung|anzeige|広告|광고|广告|廣告)
      [^\w\n]*$)
    | 未承諾広告 | [(\[（【]\s*(?:광고|広告|广告|廣告)\s*[)\]）】]
    """,
    re.IGNORECASE | re.VERBOSE,
)
_BODY_LABEL_SCANNERS = (
    Scanner(_BODY_LABEL, "advertis solicitation promotion commercial sponsored 広告 광고 广告 廣告 "
                         "publicit werbung anzeige".split()),
    Scanner(r"\b(?:this|the\s+following)\s+(?:e-?mail|message|mailing|letter)\s+is\s+"
            r"(?:an?\s+)?(?:paid\s+)?ad\b|\bthis\s+is\s+an?\s+(?:paid\s+)?ad\b",
            ["this", "following"]),
)

# "not an advertisement", "isn't a solicitation": a denial, not a label.
_NEGATION_BEFORE = re.compile(
    r"(?:\bnot|n't|\bnever|\bno)\s+(?:an?\s+|the\s+)?(?:\w+\s+)?$", re.IGNORECASE
)

_DENIAL = re.compile(
    r"""
      \b(?:this|it|the\s+following|our)\s+(?:e-?mail|message|mailing|letter|offer)?\s*
      (?:is|was)\s*(?:not|n't)\s+(?:an?\s+)?(?:spam|unsolicited|advertisement|advertising|
      (?:commercial\s+|marketing\s+|promotional\s+)(?:e-?mail|message|solicitation)|solicitation|
      marketing\s+e-?mail)\b
    | \bnot\s+(?:a\s+)?(?:spam|(?:marketing|promotional)\s+(?:e-?mail|message))\b
    | \bthis\s+is\s+not\s+spam\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
_DENIAL_SCANNER = Scanner(
    _DENIAL, "spam unsolicited advertis solicitation marketing promotional commercial".split()
)

ITEM_FIELDS = {
    "field": ("text", "The text field the label was found in (subject or body)."),
    "start": ("int", "Start offset."),
    "end": ("int", "End offset."),
    "quote": ("text", "The label as written."),
    "visible": ("bool", "Whether the reader sees it (the subject always is)."),
    "hidden_reason": ("text", "Why it is hidden, when it is."),
}


def _record(source: TextSource, start: int, end: int) -> dict[str, Any]:
    record = span(source.field, source.text, start, end)
    record["visible"] = source.visible
    record["hidden_reason"] = None if source.visible else source.hidden_reason
    return record


def _negated(text: str, start: int) -> bool:
    return bool(_NEGATION_BEFORE.search(text[max(0, start - 40) : start]))


def subject_labels(subject: str | None) -> list[dict[str, Any]]:
    if not subject:
        return []
    source = TextSource("subject", subject)
    found = []
    prefix = _SUBJECT_PREFIX.match(subject)
    if prefix:
        found.append(_record(source, len(prefix.group(0)) - len(prefix.group(0).lstrip()),
                             prefix.end()))
    for scanner in _BODY_LABEL_SCANNERS:
        for start, end, _ in found_spans(scanner, subject):
            if not _negated(subject, start) and not (prefix and start < prefix.end()):
                found.append(_record(source, start, end))
    return found


def body_labels(sources: list[TextSource], limit: int = 5) -> list[dict[str, Any]]:
    found = []
    for source in sources:
        for scanner in _BODY_LABEL_SCANNERS:
            for start, end, _ in found_spans(scanner, source.text):
                if _negated(source.text, start):
                    continue
                found.append(_record(source, start, end))
                if len(found) >= limit:
                    return found
    return found


def denials(subject: str | None, sources: list[TextSource]) -> list[dict[str, Any]]:
    """Statements that the message is *not* an ad / spam / marketing mail."""
    found = []
    for source in [TextSource("subject", subject or ""), *sources]:
        for start, end, _ in found_spans(_DENIAL_SCANNER, source.text):
            found.append(_record(source, start, end))
    return found[:10]


def detect_ad_label(subject: str | None, sources: list[TextSource]) -> dict[str, Any]:
    """{found, matches, denials}: `found` is True when a label is visible to the reader."""
    matches = subject_labels(subject) + body_labels(sources)
    return {
        "found": any(m["visible"] for m in matches),
        "matches": matches,
        "denials": denials(subject, sources),
    }


# ------------------------------------------------------------------- fields


def _detect(msg) -> dict[str, Any]:
    return msg.memo(
        "detector:ad_label", lambda m: detect_ad_label(m.get("subject"), body_sources(m))
    )


@register(
    "ad_label.found",
    "bool",
    "True when the subject or the visible body identifies the message as an advertisement "
    "or solicitation (e.g. 'ADV:', 'this is an advertisement').",
)
def ad_label_found(msg) -> bool:
    return _detect(msg)["found"]


@register(
    "ad_label.matches",
    "list[record]",
    "Each advertisement label found, visible or hidden.",
    item_fields=ITEM_FIELDS,
)
def ad_label_matches(msg) -> list[dict[str, Any]]:
    return _detect(msg)["matches"]


@register(
    "ad_label.denials",
    "list[record]",
    "Statements that the message is not an advertisement, not spam or not marketing mail.",
    item_fields=ITEM_FIELDS,
)
def ad_label_denials(msg) -> list[dict[str, Any]]:
    return _detect(msg)["denials"]
