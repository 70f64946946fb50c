"""Identification as an advertisement or solicitation (15 U.S.C. § 7704(a)(5)(A)(i)).

The law mandates no wording. A disclosure is a statement that *this message* is an
advertisement or solicitation; the detector counts these forms (`form` of each match):

* `subject_prefix`: "ADV:", "Ad:", "[ADV]", "(ADV)" at the start of the subject (after any
  "Re:"/"Fwd:"), or "[ADV]" anywhere in it.
* `statement`: "This is an advertisement", "This message is a (paid / commercial)
  advertisement / solicitation / promotional e-mail", "The following is a paid
  advertisement", "sent to you as an advertisement", "The preceding was an advertisement".
* `heading`: a line reading only "ADVERTISEMENT" (or "Paid advertisement", "Advertisement:"
  at the start of a line, "Publicité", "Publicidad", "Publicidade", "Pubblicità", "Werbung",
  "Anzeige", "Reclame", 広告, 광고, 广告 ...; with an age notice beside it: "ADVERTISEMENT -
  18+ ONLY"), and the foreign labels
  2002-era spam carried (Japanese 未承諾広告, Korean (광고), Chinese [广告]).
* `self_reference`: "You have received this advertisement because …", "this solicitation
  is sent in compliance with …". It calls the message itself an advertisement, so it
  identifies it as one (a reader told "you received this advertisement" has been told
  what the message is). Inside an opt-out sentence ("If you no longer wish to receive
  this advertisement, click remove") it is not counted: a removal instruction is not a
  disclosure.

Not disclosures: the word "advertisement" elsewhere ("take this advertisement and REMOVE
the name" in a chain letter, "a Chrysler advertisement"), mentions of *other* mail ("to
remove your address from further promotional mailings"), and denials ("this is not an
advertisement", "this is not spam"), which are reported separately in `ad_label.denials`
(the Experian pattern, relevant to deception).

Clear and conspicuous. The identification must be clear and conspicuous, which is a
judgement, but some placements are plainly doubtful and the detector says so on each
match (`conspicuous`, `weakness`): a label in hidden text, or one that sits right after a
run of BURIED_BLANK_LINES or more blank lines (pushed below what the reader sees first).
`ad_label.conspicuous` is True when some visible label shows no such sign; the rule says
needs_review, not compliant, when a label exists but none is conspicuous. Type size is not
judged: `body.visible_text` does not carry font sizes (text at 2px or less is already
hidden text).
"""

from __future__ import annotations

import re
from typing import Any

from checker.detectors._text import Scanner, TextSource, body_sources, found_spans, span
from checker.fields import register

_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|fw)\s*:\s*)*(?P<label>(?:[\[(]\s*)?"
    r"(?:ADV|ADVT|ADVERT|ADVERTISEMENT|AD|ADLT|PROMO|PROMOTION)\b\s*(?:[\])]\s*[:\-]?|[:\-]))",
    re.IGNORECASE,
)
_SUBJECT_BRACKETED = re.compile(r"[\[(]\s*ADV\s*[\])]", re.IGNORECASE)

# What the message calls itself. "ad" alone only in its own scanner (its trigger is the
# surrounding "this" / "as a", since "ad" is inside too many words to be a trigger).
_ADJ = r"(?:(?:paid|unsolicited|commercial|promotional|sponsored|e-?mail|special)\s+){0,2}"
_AD_NOUNS = r"(?:advertisement|advertisment|advertising|solicitation|promotion)\b"
_AD_ADJ_NOUN = (r"(?:(?:paid|unsolicited)\s+)?(?:commercial|promotional|sponsored|advertising)\s+"
                r"(?:e-?mail|message|mailing|communication|offer|material)s?\b")
_SHORT_AD = r"ad(?![\w-])"


def _grammar(noun: str) -> str:
    """The statement and self-reference forms for one kind of noun, as named groups."""
    return rf"""
      (?P<statement>
        \b(?:this|the\s+following)(?:\s+[\w-]+){{0,3}}?\s+(?:is|was)\s+
          (?:(?:being\s+)?sent\s+(?:to\s+you\s+)?as\s+|considered\s+|intended\s+as\s+)?
          (?:an?\s+)?{noun}
      | \b(?:sent|mailed|delivered|provided|considered|intended|designated|labell?ed|marked
            |identified)\s+(?:to\s+you\s+)?as\s+an?\s+{noun}
      | \b(?:previous|preceding|above)\s+(?:message\s+)?(?:was|is)\s+an?\s+{noun}
      )
    | (?P<self_reference>
        \b(?:receiv(?:e|es|ed|ing)|(?:are|were)\s+(?:getting|being\s+sent)|got|reading|viewing
            |sen[dt](?:ing)?\s+you|mail(?:ed|ing)\s+you)\s+this\s+{noun}
      | (?<!\bin\s)(?<!\bof\s)(?<!within\s)(?<!\bfor\s)(?<!\bon\s)
        \bthis\s+{noun}\s+(?:is|was|has|comes|complies|contains)\b
      )
    """


_BODY_LABEL = re.compile(
    _grammar(rf"(?:{_AD_ADJ_NOUN}|{_ADJ}{_AD_NOUNS})")
    + r"""
    | (?P<heading>
        (?m:^[^\w\n@/&]*(?:(?:paid|commercial)\s+)?(?:advertisement|advertisment|advertising
          |solicitation|publicit[ée]|publicidade?|pubblicit[àa]|werbung|anzeige|reclame|reklame
          |広告|광고|广告|廣告|(?:promotional|sponsored)\s+(?:message|e-?mail|content))
          # "ADVERTISEMENT - 18+ ONLY", "Anzeige | nur ab 18": an age notice beside the label.
          (?:[ \t]*[-\u2013\u2014:|/·•][ \t]*(?:(?:for\s+)?adults?\s+only|18\s?\+(?:[ \t]+only)?
            |(?:only\s+)?(?:for\s+)?(?:18|21)\s?\+|(?:nur\s+)?ab\s+18|(?:solo\s+)?(?:para\s+)?mayores
            \s+de\s+18|\+18))?[^\w\n@/&]*$)
      | (?m:^[^\w\n@/&]*advertisement\s*:)
      | 未承諾広告 | [(\[（【]\s*(?:광고|広告|广告|廣告)\s*[)\]）】]
      )
    """,
    re.IGNORECASE | re.VERBOSE,
)
_SHORT_AD_LABEL = re.compile(_grammar(_ADJ + _SHORT_AD), re.IGNORECASE | re.VERBOSE)
_BODY_LABEL_SCANNERS = (
    Scanner(_BODY_LABEL, "advertis advertisment solicitation promotion commercial sponsored "
                         "広告 광고 广告 廣告 publicit publicid pubblicit werbung anzeige reclame "
                         "reklame".split()),
    Scanner(_SHORT_AD_LABEL, ["this", "following", "preceding", "previous", "above", " as a"]),
)

# "not an advertisement", "isn't a solicitation": a denial, not a label.
_NEGATION_BEFORE = re.compile(
    r"(?:\bnot|n't|\bnever|\bno)\s+(?:an?\s+|the\s+)?(?:\w+\s+)?$", re.IGNORECASE
)

# Words of a removal instruction; a self-reference in such a sentence is not a disclosure.
_OPT_OUT_SENTENCE = re.compile(
    r"\b(?:unsubscrib\w*|remov(?:e|ed|al)|opt(?:ed|ing)?[\s-]?out|no\s+longer\s+(?:wish|want|like)"
    r"|(?:do\s+not|don'?t|does\s+not)\s+(?:wish|want|care)\s+to|stop\s+receiving"
    r"|(?:further|future)\s+(?:e-?mail|mailing|message|offer|advertisement|promotion|solicitation)s?"
    r"|take\s+you\s+off|excluded?\s+from)",
    re.IGNORECASE,
)
# Ends of a sentence: terminal punctuation, a blank line, a heading line ("Removal
# Instructions:").
_SENTENCE_END = re.compile(r"[.!?](?=\s)|:[ \t]*\n|\n[ \t\u00a0]*\n")
SENTENCE_REACH = 300  # characters searched each side of a match for its sentence's ends

# A label right after this many blank lines is below the part of the message a reader sees.
BURIED_BLANK_LINES = 8
_BLANK_RUN = re.compile(rf"\n(?:[ \t\u00a0]*\n){{{BURIED_BLANK_LINES},}}")
BURIED_REACH = 400  # characters between the end of the blank run and the label's line

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
LABEL_ITEM_FIELDS = {
    **ITEM_FIELDS,
    "form": ("text", "subject_prefix, statement ('This is an advertisement'), heading (a line "
                     "reading 'ADVERTISEMENT', a foreign label) or self_reference ('you received "
                     "this advertisement because')."),
    "conspicuous": ("bool", "False when the label is hidden or placed where a reader may miss "
                            "it (see weakness); whether it is clear and conspicuous is still "
                            "a judgement."),
    "weakness": ("text", "Why the label may not be clear and conspicuous (None when no sign)."),
}


def _record(source: TextSource, start: int, end: int) -> dict[str, Any]:
    record = span(source.field, source.text, start, end)
    record["visible"] = source.visible
    record["hidden_reason"] = None if source.visible else source.hidden_reason
    return record


def _label(source: TextSource, start: int, end: int, form: str) -> dict[str, Any]:
    record = _record(source, start, end)
    weakness = None if source.visible else f"it is hidden ({source.hidden_reason})"
    if weakness is None and source.field != "subject":
        weakness = _buried(source.text, start)
    record.update(form=form, conspicuous=weakness is None, weakness=weakness)
    return record


def _negated(text: str, start: int) -> bool:
    return bool(_NEGATION_BEFORE.search(text[max(0, start - 40) : start]))


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence around text[start:end] (bounded by SENTENCE_REACH each side)."""
    lo = max(0, start - SENTENCE_REACH)
    ends = [m.end() for m in _SENTENCE_END.finditer(text, lo, start)]
    lo = ends[-1] if ends else lo
    after = _SENTENCE_END.search(text, end, min(len(text), end + SENTENCE_REACH))
    return text[lo : after.start() if after else min(len(text), end + SENTENCE_REACH)]


def _in_opt_out_sentence(text: str, start: int, end: int) -> bool:
    return bool(_OPT_OUT_SENTENCE.search(_sentence(text, start, end)))


def _continues_sentence(text: str, start: int) -> bool:
    """Whether the line at `start` continues the previous line's sentence (a wrapped
    "... partnerships and / advertising." is no heading): that line ends in a letter,
    a digit or a comma."""
    line_start = text.rfind("\n", 0, start) + 1
    if line_start == 0:
        return False
    previous = text[max(0, line_start - 200) : line_start - 1].rsplit("\n", 1)[-1].rstrip()
    return bool(previous) and (previous[-1].isalnum() or previous[-1] == ",")


def _buried(text: str, start: int) -> str | None:
    """Why a label at `start` may be missed: it follows a long run of blank lines."""
    line_start = text.rfind("\n", 0, start) + 1
    runs = list(_BLANK_RUN.finditer(text, max(0, line_start - BURIED_REACH), line_start + 1))
    if not runs:
        return None
    blank_lines = runs[-1].group(0).count("\n") - 1
    return f"it follows {blank_lines} blank lines"


def _form(match: re.Match[str]) -> str:
    return next(name for name in ("statement", "self_reference", "heading")
                if match.groupdict().get(name) is not None)


def _labels_in(source: TextSource) -> list[dict[str, Any]]:
    found = []
    for scanner in _BODY_LABEL_SCANNERS:
        for start, end, match in found_spans(scanner, source.text):
            if _negated(source.text, start):
                continue
            form = _form(match)
            if form == "self_reference" and _in_opt_out_sentence(source.text, start, end):
                continue
            if form == "heading" and _continues_sentence(source.text, start):
                continue
            found.append(_label(source, start, end, form))
    return sorted(found, key=lambda label: label["start"])


def subject_labels(subject: str | None) -> list[dict[str, Any]]:
    if not subject:
        return []
    source = TextSource("subject", subject)
    found = []
    prefix = _SUBJECT_PREFIX.match(subject) or _SUBJECT_BRACKETED.search(subject)
    if prefix:
        group = "label" if prefix.re is _SUBJECT_PREFIX else 0
        found.append(_label(source, prefix.start(group), prefix.end(group), "subject_prefix"))
    found += [label for label in _labels_in(source)
              if not (prefix and label["start"] < prefix.end())]
    return found


def body_labels(sources: list[TextSource], limit: int = 5) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for source in sources:
        found += _labels_in(source)
        if len(found) >= limit:
            return found[:limit]
    return found


def denials(subject: str | None, sources: list[TextSource]) -> list[dict[str, Any]]:
    """Statements that the message is *not* an ad / spam / marketing mail."""
    found = []
    for source in [TextSource("subject", subject or ""), *sources]:
        for start, end, _ in found_spans(_DENIAL_SCANNER, source.text):
            found.append(_record(source, start, end))
    return found[:10]


def detect_ad_label(subject: str | None, sources: list[TextSource]) -> dict[str, Any]:
    """{found, conspicuous, matches, denials}: `found` is True when a label is visible to
    the reader, `conspicuous` when a visible label shows no sign of being easy to miss."""
    matches = subject_labels(subject) + body_labels(sources)
    return {
        "found": any(m["visible"] for m in matches),
        "conspicuous": any(m["conspicuous"] for m in matches),
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
    "ad_label.conspicuous",
    "bool",
    "True when some visible advertisement label shows no sign of being easy to miss (not "
    "after a long run of blank lines); False when there is none or every one is doubtful.",
)
def ad_label_conspicuous(msg) -> bool:
    return _detect(msg)["conspicuous"]


@register(
    "ad_label.matches",
    "list[record]",
    "Each advertisement label found, visible or hidden, with its form and whether it "
    "shows a sign of not being clear and conspicuous.",
    item_fields=LABEL_ITEM_FIELDS,
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
