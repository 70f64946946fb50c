"""Subject-line indicators (15 U.S.C. § 7704(a)(2); Cal. B&P § 17529.5(a)(3); RCW
19.190.020(1)(b) and other state laws on false or misleading subjects).

Whether a subject would mislead a reasonable recipient about a material fact is a legal
judgement; these are reasons for review, each with the subject span it rests on.

Indicators (`indicator` key):
- `fake_reply`: "Re:" / "Fwd:" (and AW:, SV:, TR:, WG:...; "[Fwd: ...]" or "... (fwd)") with
  no In-Reply-To and no References header, and nothing else that shows a real reply or
  forward: no Thread-Index / Thread-Topic header (Outlook and Exchange thread by those)
  and no quoted or forwarded original in the body ("-----Original Message-----",
  "Begin forwarded message:", "--- begin forwarded text", an "... wrote:" attribution,
  "> " quote lines). Mail programs of the time often omitted In-Reply-To, and forwards
  never carry it, so the missing headers alone prove nothing;
- `transactional_subject_on_ad`: a notice addressed to the reader -- "your order", "your
  account", "payment received" ... (list `transactional_subject_phrases`), or an approval
  or availability notice ("you're approved", "your loan has been approved", "approved for
  $5,000", "your report is available") -- over a body the commercial detector sorts as
  commercial or commercial_uncertain (the Experian pattern). "Approved" as a product
  adjective ("approved by bureaus", "approved online") is not a notice;
- `prize_claim`: a prize or selection claimed for the reader: "you have won", "you're a
  winner", "claim your prize", "your prize", "you've been selected", "congratulations ...
  you/your". Topic words ("jackpot", "lottery", "prize", "winner") alone are not a claim;
- `personal_subject_on_ad`: a personal-note subject ("hi", "hey", "long time no see",
  "about last night", a whole subject such as "Movie time. Let's go.") over a commercial
  body with no commercial wording in the subject (the Jumpstart pattern);
- `obfuscated_subject`: zero-width / invisible characters or letters split by separators
  ("V.i.a.g.r.a", "F R E E"), which hide the subject's words from filters.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from checker.detectors._text import Scanner, span, word_list, words_pattern
from checker.display import quoted
from checker.fields import register

_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|fw|aw|sv|vs|tr|wg|antw|odp|rif|r)\s*(?:\[\d+\]|\(\d+\))?\s*:\s*)+",
    re.IGNORECASE,
)
_FWD_SUFFIX = re.compile(r"\(fwd\)\s*$|^\s*\[fwd?:", re.IGNORECASE)  # "... (fwd)", "[Fwd: ...]"
# What a real reply or forward carries in its body: the original, quoted or forwarded.
_QUOTED_ORIGINAL = re.compile(
    r"^[ \t]*-{2,}[ \t]*(?:original\s+message|forwarded\s+message|begin\s+forwarded\s+text"
    r"|forwarded\s+by\b)"
    r"|^[ \t]*begin\s+forwarded\s+message\s*:"
    r"|^[^\n]{0,160}\b(?:wrote|writes)\s*:[ \t]*$"
    # two quote lines in a row, one or two levels deep (">>>>> OFFER" is a bullet, not a quote)
    r"|^[ \t]*>(?:[ \t]?>)?(?!from\s)[ \t]?[^>\s][^\n]*\n[ \t]*>(?:[ \t]?>)?[ \t]?[^>\s]",
    re.IGNORECASE | re.MULTILINE,
)
MAX_BODY_SCAN = 100_000
# Subject wording that is a notice about the reader's own transaction, beyond the literal
# phrases of the list: approvals and "your ... is available / ready".
_NOTICE_FORMS = re.compile(
    r"\byou(?:'re|\s+are|'ve\s+been|\s+have\s+been|\s+were)[\s\-*]+(?:now\s+)?(?:pre-?\s?)?approved\b"
    r"|\b(?:loan|mortgage|application|credit(?:\s+line)?|refinanc\w*|account|request|claim)"
    r"\s+(?:is\s+|was\s+|has\s+been\s+)?(?:pre-?\s?)?approved\b(?!\s+(?:by|online|for\s+sale))"
    r"|\bapproved\s+for\s+(?:a\b|an\b|your\b|up\s+to\b|\$)"
    r"|\bapproval\s+(?:no\b|number\b|code\b|#)"
    r"|\byour\s+(?:\w+\s+){1,3}(?:is|are)\s+(?:now\s+)?(?:available|ready)\b",
    re.IGNORECASE,
)
@lru_cache(maxsize=1)
def _transactional() -> Scanner:
    """Transactional-looking subject wording: rules/lists/transactional_subject_phrases.yaml,
    shared with the CANSPAM-SUBJECT-TRANSACTIONAL-LURE rule."""
    return words_pattern(word_list("transactional_subject_phrases"))


_YOU_ARE = r"you(?:'re|\s+are|r)"  # "your" covers the common misspelling "your a winner"
_PRIZE = re.compile(
    r"\byou(?:'ve|\s+have)?\s+(?:just\s+|already\s+|definitely\s+)?won\b"
    r"|\byou\s+(?:may|might|could)\s+have\s+(?:already\s+)?won\b"
    rf"|\b{_YOU_ARE}\s+(?:a|an|our|the|today'?s)\s+(?:\w+\s+){{0,2}}winner\b"
    r"|\bclaim\s+your\s+(?:\w+\s+)?(?:prize|reward|gift|winnings|award)"
    r"|\byour\s+(?:\w+\s+)?(?:prize|winnings|jackpot)\b"
    r"|\byou(?:'ve|\s+have)\s+(?:just\s+)?been\s+(?:specially\s+)?(?:selected|chosen)\b"
    r"|\bcongratulations\b(?=[^.?]{0,60}?\byou)"
    r"|\bcongratulations[\s,!:]+(?:(?:lucky|big|grand\s+prize)\s+)?winner\b",
    re.IGNORECASE,
)
# A bare greeting as the whole subject ("hi", "hey Bob!"), or a personal phrase anywhere.
_PERSONAL = re.compile(
    r"^\s*(?:hi|hey|hello|yo|howdy)\b[\s,!.]*\w{0,12}[\s!.?]*$|^\s*(?:hi|hey|hello)\b[\s,!.]+(?=\S)"
    r"(?=.*(?:long\s+time|how\s+are|remember|it'?s\s+me|what'?s\s+up|miss\s+you))"
    r"|\blong\s+time\s+no\s+see\b|\bhow\s+are\s+you\b|\bit'?s\s+me\b|\bremember\s+me\b"
    r"|\babout\s+last\s+night\b|\bwhat'?s\s+up\b|\bare\s+you\s+there\b|\bmiss\s+you\b"
    r"|^\s*(?:_NOTE)(?:[\s,.!?]+(?:_NOTE))?[\s,.!?]*$".replace(
        "_NOTE", r"for\s+you|check\s+(?:this|it)\s+out|call\s+me|movie\s+time|let'?s\s+go"
                 r"|lunch|dinner\s+tonight"),
    re.IGNORECASE,
)
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f"
                        "\u202a-\u202e\u2060-\u2064\ufeff]")
_SPLIT_LETTERS = re.compile(
    r"(?<![\w.])(?:[A-Za-z][.\-_*|,'`~^]\s?){4,}[A-Za-z](?![\w])|(?<!\w)(?:[A-Za-z]\s){3,}[A-Za-z](?!\w)"
)
# Subject wording that is itself commercial: then a "personal" subject is not hiding it.
_COMMERCIAL_SUBJECT = re.compile(
    r"\$\d|%|\bfree\b|\bsave\b|\bsale\b|\boffer\b|\bdiscount\b|\bbuy\b|\border\b|\bcheap\b"
    r"|\bmortgage\b|\bviagra\b|\bincome\b|\bmoney\b|\bloan\b|\bdeal\b",
    re.IGNORECASE,
)

ITEM_FIELDS = {
    "indicator": ("text", "Which indicator (see the detector's documentation)."),
    "detail": ("text", "One sentence saying what was seen."),
    "field": ("text", "Always `subject`."),
    "start": ("int", "Start offset in the subject."),
    "end": ("int", "End offset in the subject."),
    "quote": ("text", "The subject text relied on."),
}

COMMERCIAL_STATUSES = ("commercial", "commercial_uncertain")


def _indicator(name: str, subject: str, start: int, end: int, detail: str) -> dict[str, Any]:
    return {"indicator": name, "detail": detail, **span("subject", subject, start, end)}


def thread_evidence(thread_headers: bool, body_text: str | None) -> bool:
    """Whether anything shows a real reply or forward: Outlook's Thread-Index / Thread-Topic
    headers, or the original quoted or forwarded in the body."""
    if thread_headers:
        return True
    return bool(body_text) and _QUOTED_ORIGINAL.search(body_text[:MAX_BODY_SCAN]) is not None


def _reply_marker(subject: str) -> tuple[int, int] | None:
    """(start, end) of a "Re:" / "Fwd:" prefix, a "[Fwd:" or a trailing "(fwd)"."""
    found = _REPLY_PREFIX.match(subject) or _FWD_SUFFIX.search(subject)
    if not found or not found.group(0).strip():
        return None
    text = found.group(0)
    start = found.start() + len(text) - len(text.lstrip())
    return start, start + len(text.strip())


def _transactional_match(subject: str) -> re.Match[str] | None:
    found = [m for m in (next(_transactional().finditer(subject), None),
                         _NOTICE_FORMS.search(subject)) if m]
    return min(found, key=lambda m: m.start()) if found else None


def detect_subject_indicators(
    subject: str | None,
    in_reply_to: str | None,
    references: list[str] | None,
    commercial_status: str | None,
    *,
    thread_headers: bool = False,
    body_text: str | None = None,
) -> list[dict[str, Any]]:
    if not subject:
        return []
    out = []
    prefix = _REPLY_PREFIX.match(subject)
    marker = _reply_marker(subject)
    if (marker and not in_reply_to and not references
            and not thread_evidence(thread_headers, body_text)):
        start, end = marker
        out.append(_indicator(
            "fake_reply", subject, start, end,
            f"The subject is marked {quoted(subject[start:end])} but the message has no "
            "In-Reply-To or References header, no Thread-Index header, and no quoted or "
            "forwarded original in its body, so nothing shows it answers or forwards an "
            "earlier message.",
        ))
    commercial = commercial_status in COMMERCIAL_STATUSES
    transactional = _transactional_match(subject) if commercial else None
    if transactional:
        out.append(_indicator(
            "transactional_subject_on_ad", subject, transactional.start(), transactional.end(),
            f"The subject reads like a transaction or account notice "
            f"({quoted(transactional.group(0))}) but the body is advertising"
            f"{'' if commercial_status == 'commercial' else ' (its commercial purpose is uncertain)'}.",
        ))
    prize = _PRIZE.search(subject)
    if prize:
        out.append(_indicator(
            "prize_claim", subject, prize.start(), prize.end(),
            f"The subject announces a prize or selection ({quoted(prize.group(0))}).",
        ))
    personal = _PERSONAL.search(subject[prefix.end() if prefix else 0 :])
    if personal and commercial_status == "commercial" and not _COMMERCIAL_SUBJECT.search(subject):
        offset = prefix.end() if prefix else 0
        out.append(_indicator(
            "personal_subject_on_ad", subject, offset + personal.start(), offset + personal.end(),
            "The subject reads like a personal note but the body is advertising.",
        ))
    hidden = _INVISIBLE.search(subject) or _SPLIT_LETTERS.search(subject)
    if hidden:
        what = ("invisible characters" if _INVISIBLE.match(hidden.group(0))
                else f"letters split apart ({quoted(hidden.group(0))})")
        out.append(_indicator(
            "obfuscated_subject", subject, hidden.start(), hidden.end(),
            f"The subject contains {what}, which hides its words from filters.",
        ))
    return out


# ------------------------------------------------------------------- fields


@register(
    "subject_integrity.indicators",
    "list[record]",
    "Signs that the subject may mislead about the content: fake Re:/Fwd:, transactional "
    "subject over an ad, prize claims, personal-note subject over an ad, obfuscation.",
    item_fields=ITEM_FIELDS,
)
def subject_integrity_indicators(msg) -> list[dict[str, Any]]:
    subject = msg.get("subject")
    marked = bool(subject) and _reply_marker(subject) is not None
    return detect_subject_indicators(
        subject,
        msg.get("in_reply_to"),
        msg.get("references"),
        msg.get("commercial.status"),
        thread_headers=marked and _has_thread_headers(msg.get("headers") or []),
        body_text=msg.get("body.text") if marked else None,
    )


def _has_thread_headers(headers: list[dict]) -> bool:
    return any((h.get("name") or "").lower() in {"thread-index", "thread-topic"}
               for h in headers)
