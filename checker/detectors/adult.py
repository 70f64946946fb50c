"""Sexually oriented material (15 U.S.C. § 7704(d); 16 C.F.R. § 316.4).

Two separate facts:

1. The label. The subject must *begin* with exactly `SEXUALLY-EXPLICIT: ` (17 capitals and
   a hyphen, then a colon and a space: 19 characters). `adult.label` is `exact` when it
   does, `malformed` when something close is there (wrong case, no hyphen, missing space,
   not at the start, "ADLT", "ADULT:"), `missing` otherwise; `adult.label_detail` says why.
   The check is on the decoded subject; the detail notes an RFC 2047-encoded label.
2. The content. Whether the material "depicts sexually explicit conduct" is for a person.
   The detector lists adult-vocabulary hits (`adult.indicators`) in the subject and the
   visible and hidden body, using the counsel-editable word lists `adult_strong` and
   `adult_weak` (`rules/lists/`), and sums them: `adult.likely` is True when the subject
   has a strong word or the body scores 4 or more (strong = 2, weak = 1, each distinct word
   once). `adult.subject_explicit` is True when the subject (label aside) has a word of
   the narrower list `adult_explicit` (words that by themselves name pornographic
   material): § 316.4(a)(1) allows no sexual material in the subject.
   A weak word inside a strong one ("adult" in "Adult Sites") is not counted again.
   `adult.protective_context` is True when the subject or visible text speaks *against*
   such material (a porn blocker, parental controls, "protect your children from"): an
   advertisement for a filter is not sexually oriented material, whatever words it uses.
3. Promotion. Vocabulary alone also fits news, film listings and political comment, so
   `adult.promoted` says whether the message *offers* the material: an adult word in the
   subject, an adult word in the visible text within PROMOTION_REACH characters of a call to
   action ("click here", "join now", "free membership", "must be 18", "$4.95"), or a
   visible link whose anchor text or address names such material. Each indicator says
   whether it is `promoted`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from checker.detectors._text import (
    Scanner,
    TextSource,
    body_sources,
    found_spans,
    message_links,
    span,
    word_list,
    words_pattern,
)
from checker.display import quoted
from checker.fields import register

LABEL = "SEXUALLY-EXPLICIT: "

ITEM_FIELDS = {
    "word": ("text", "The list entry that matched."),
    "strength": ("text", "strong or weak (which list)."),
    "field": ("text", "The text field it is in (subject, body.visible_text, ...)."),
    "start": ("int", "Start offset."),
    "end": ("int", "End offset."),
    "quote": ("text", "The text as written."),
    "visible": ("bool", "Whether the reader sees it (the subject always is)."),
    "promoted": ("bool", "Whether it is offered: in the subject, or in the visible text near "
                         "a call to action (click here, join, free membership, must be 18, "
                         "a price)."),
}

LIKELY_BODY_SCORE = 4
MAX_INDICATORS = 30


# "spam filtering" is not about adult material: only filters named for it, or for content.
_PROTECTIVE = re.compile(
    r"\b(?:porn|adult|x-?rated|xxx|internet|web|content|pop-?ups?)\s+(?:blocker|filter|blocking"
    r"|filtering|protection)s?\b|\bblock(?:s|ing)?\s+(?:all\s+)?(?:porn|adult|x-?rated|xxx|explicit)"
    r"|\bparental\s+controls?\b|\bprotect\s+(?:your\s+)?(?:kids|children|family|teens)\s+from\b"
    r"|\banti[\s-]?porn|\bkeep\s+(?:porn|xxx|explicit)",
    re.IGNORECASE,
)


# What an offer of the material says next to it. A call to action, an age gate, a price.
_CALL_TO_ACTION = re.compile(
    r"""
      \bclick(?:\s+|-)(?:here|below|now|on|this|the|to|for)\b
    | \bjoin\s+(?:now|today|free|us|for|here|the\s+club)\b | \bsign\s+up\b
    | \benter\s+(?:here|now|free|the\s+site|our\s+site)\b | \bbecome\s+a\s+member\b
    | \bfree\s+(?:access|membership|trial|tour|preview|pics|pictures|photos|videos?|movies?
                 |passwords?|members(?:hip)?|live|lifetime|sample|hardcore|xxx|porn)\b
    | \b(?:lifetime|instant)\s+(?:membership|access)\b | \bmembers?\s+area\b
    | \b(?:access|order|call|visit|download|watch|see)\s+(?:it\s+|them\s+|her\s+)?
        (?:now|today|here|free|live)\b
    | \b(?:visit|watch|see|join|enter)\s+(?:us|our)\b
    | \b(?:must|have\s+to)\s+be\s+(?:18|21)\b
    | \b(?:at\s+least|over)\s+(?:the\s+age\s+of\s+)?(?:18|21)\b
    | \b(?:18|21)\s*(?:\+|years?\s+(?:of\s+age\s+)?(?:or\s+older|and\s+(?:over|older))
        |or\s+older|and\s+over)
    | \badults?\s+only\b | \b1[\s-]?900\b | \bper\s+min(?:ute)?\b | \$\s?\d
    """,
    re.IGNORECASE | re.VERBOSE,
)
PROMOTION_REACH = 300  # characters either side of an adult word searched for a call to action

# Text that is not sexual content even when its letters spell an adult word:
# - the mark itself, "SEXUALLY-EXPLICIT:", which 16 C.F.R. § 316.4(a) requires in the subject
#   and in what the recipient first sees (a sender obeying the rule must not be counted
#   as showing sexual material for it), in any spelling a malformed mark takes;
# - a domain name, web address or e-mail address (names chosen by the sender, e.g.
#   "hardcore-fitness.example", describe nothing the message shows).
_NOT_CONTENT = re.compile(
    r"sexually[\s_\-]*explicit\s*:"
    r"|\b(?:https?|ftp)://[^\s<>\"']+"
    r"|\bwww\.[^\s<>\"']+"
    r"|[\w.+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)+"
    r"|\b(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+(?:com|net|org|biz|info|xxx|adult|porn|sex|sexy"
    r"|tv|ws|cc|us|uk|de|ru|cn|nl|ca|au|fr|it|jp|br|es|to|me|io|co|eu|example|invalid|test)\b",
    re.IGNORECASE,
)
_URL_WORDS = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=1)
def explicit_pattern() -> Scanner:
    """Words that by themselves name pornographic material (list adult_explicit)."""
    return words_pattern(word_list("adult_explicit"))


def protective_context(subject: str | None, visible_text: str) -> bool:
    """Whether the message speaks against adult material (a filter, parental controls)."""
    return bool(_PROTECTIVE.search(subject or "") or _PROTECTIVE.search(visible_text[:20000]))


@lru_cache(maxsize=1)
def patterns() -> tuple[Scanner, Scanner]:
    """(strong, weak) compiled from the word lists (once per process)."""
    strong = words_pattern(word_list("adult_strong"))
    weak = words_pattern(word_list("adult_weak"))
    return strong, weak


def label_status(subject: str | None, subject_raw: str | None = None) -> tuple[str, str]:
    """(exact | malformed | missing, one-sentence detail)."""
    subject = subject or ""
    encoded = bool(subject_raw and "=?" in subject_raw)
    note = " (the subject is RFC 2047-encoded in the message)" if encoded else ""
    if subject.startswith(LABEL):
        return "exact", f"The subject begins with exactly {quoted(LABEL)}{note}."
    close = re.search(r"sexually[\s_\-]*explicit\s*:?\s*|\badlt\b\s*:?|^\s*adult\s*:", subject,
                      re.IGNORECASE)
    if close:
        before = subject[: close.start()].strip()
        if not before:
            return "malformed", (f"The subject begins with {quoted(close.group(0))}, not the exact "
                                 f"mark{note}.")
        return "malformed", (f"The subject has {quoted(close.group(0))} after {quoted(before)}, "
                             f"not the exact mark {quoted(LABEL)} at its start{note}.")
    return "missing", f"The subject does not begin with {quoted(LABEL)}."


def find_indicators(subject: str | None, sources: list[TextSource]) -> list[dict[str, Any]]:
    strong, weak = patterns()
    label_free = subject or ""
    if label_free.startswith(LABEL):
        label_free = " " * len(LABEL) + label_free[len(LABEL):]  # keep offsets, skip label
    found: list[dict[str, Any]] = []
    for source in [TextSource("subject", label_free), *sources]:
        strong_spans = [(start, end) for start, end, _ in found_spans(strong, source.text)]
        for strength, pattern in (("strong", strong), ("weak", weak)):
            for start, end, match in found_spans(pattern, source.text):
                if strength == "weak" and _inside(start, end, strong_spans):
                    continue  # "adult" in "Adult Sites": one phrase, counted once
                if _overlaps(start, end, not_content_spans(source.text)):  # scanned only when needed
                    continue  # the required mark, or a domain name
                text = subject if source.field == "subject" else source.text
                record = span(source.field, text or "", start, end)
                record.update(word=match.group(0).lower(), strength=strength,
                              visible=source.visible,
                              promoted=_promoted(source, start, end))
                found.append(record)
                if len(found) >= MAX_INDICATORS:
                    return found
    return found


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(lo <= start and end <= hi for lo, hi in spans)


@lru_cache(maxsize=16)
def not_content_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of `text` that are the SEXUALLY-EXPLICIT mark or a domain, web or e-mail
    address: adult words inside them are not sexual content. (Cached: every adult
    detector asks for each text of the message.)"""
    if not text:
        return ()
    return tuple(m.span() for m in _NOT_CONTENT.finditer(text[:200_000]))


def _overlaps(start: int, end: int, spans: tuple[tuple[int, int], ...]) -> bool:
    return any(lo < end and start < hi for lo, hi in spans)


def _promoted(source: TextSource, start: int, end: int) -> bool:
    """Whether an adult word is offered: in the subject, or near a call to action in the
    visible text (hidden text promotes nothing to the reader)."""
    if source.field == "subject":
        return True
    if not source.visible:
        return False
    lo, hi = max(0, start - PROMOTION_REACH), min(len(source.text), end + PROMOTION_REACH)
    return _CALL_TO_ACTION.search(source.text, lo, hi) is not None


def adult_link(links: list[dict[str, Any]]) -> bool:
    """Whether a visible link's anchor text or address names adult material (strong list)."""
    strong, _ = patterns()
    for link in links[:200]:
        if not link.get("visible", True) or link.get("mailto"):
            continue
        # the address's path, not its domain name (a name the sender chose shows nothing)
        url = str(link.get("url") or "").lower()[:300]
        path = url.split("://", 1)[-1].partition("/")[2]
        anchor = str(link.get("text") or "")[:300]
        anchor_masked = _NOT_CONTENT.sub(" ", anchor)
        for text in (anchor_masked, _URL_WORDS.sub(" ", path)):
            if strong.pattern.search(text):
                return True
    return False


def detect_adult(
    subject: str | None, sources: list[TextSource], subject_raw: str | None = None,
    links: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    indicators = find_indicators(subject, sources)
    label, detail = label_status(subject, subject_raw)
    label_free = (subject or "")[len(LABEL):] if label == "exact" else (subject or "")
    subject_explicit = any(not _overlaps(start, end, not_content_spans(label_free))
                           for start, end, _ in found_spans(explicit_pattern(), label_free))
    visible = next((s.text for s in sources if s.visible), "")
    body_words = {(i["word"], i["strength"]) for i in indicators if i["field"] != "subject"}
    body_score = sum(2 if strength == "strong" else 1 for _, strength in body_words)
    return {
        "indicators": indicators,
        "subject_explicit": subject_explicit,
        "likely": subject_explicit or body_score >= LIKELY_BODY_SCORE,
        "label": label,
        "label_detail": detail,
        "protective_context": protective_context(subject, visible),
        "promoted": any(i["promoted"] for i in indicators) or adult_link(links or []),
    }


# ------------------------------------------------------------------- fields


def _detect(msg) -> dict[str, Any]:
    return msg.memo(
        "detector:adult",
        lambda m: detect_adult(m.get("subject"), body_sources(m), m.get("subject.raw"),
                               message_links(m)),
    )


@register("adult.indicators", "list[record]",
          "Adult-vocabulary words in the subject and body (lists adult_strong, adult_weak).",
          item_fields=ITEM_FIELDS)
def adult_indicators(msg) -> list[dict[str, Any]]:
    return _detect(msg)["indicators"]


@register("adult.likely", "bool",
          "True when the vocabulary suggests sexually oriented material (for review).")
def adult_likely(msg) -> bool:
    return _detect(msg)["likely"]


@register("adult.subject_explicit", "bool",
          "True when the subject itself (the label aside) contains a word of the list "
          "adult_explicit (words that by themselves name pornographic material).")
def adult_subject_explicit(msg) -> bool:
    return _detect(msg)["subject_explicit"]


@register("adult.label", "text",
          "exact | malformed | missing: whether the subject begins with exactly "
          "'SEXUALLY-EXPLICIT: ' (16 C.F.R. § 316.4(a)(1)).")
def adult_label(msg) -> str:
    return _detect(msg)["label"]


@register("adult.label_detail", "text", "One sentence explaining adult.label.")
def adult_label_detail(msg) -> str:
    return _detect(msg)["label_detail"]


@register("adult.protective_context", "bool",
          "True when the subject or visible text speaks against adult material (a porn "
          "blocker, parental controls, 'protect your children from').")
def adult_protective_context(msg) -> bool:
    return _detect(msg)["protective_context"]


@register("adult.promoted", "bool",
          "True when the message offers the adult material rather than mentioning it: an "
          "adult word in the subject, or in the visible text near a call to action (click "
          "here, join, free membership, must be 18, a price), or a visible link whose text or "
          "address names adult material.")
def adult_promoted(msg) -> bool:
    return _detect(msg)["promoted"]
