"""Subject-line indicators (15 U.S.C. § 7704(a)(2); Cal. B&P § 17529.5(a)(3); RCW
19.190.020(1)(b) and other state laws on false or misleading subjects).

Whether a subject would mislead a reasonable recipient about a material fact is a legal
judgement; these are reasons for review, each with the subject span it rests on.

Indicators (`indicator` key):
- `fake_reply`: "Re:" / "Fwd:" (and AW:, SV:, TR:, WG:...) with no In-Reply-To and no
  References header, so the message is not a reply or forward in any thread;
- `transactional_subject_on_ad`: "your order", "invoice", "account alert", "approved" ...
  (list `transactional_subject_phrases`) over a body the commercial detector sorts as
  commercial or commercial_uncertain (the Experian pattern);
- `prize_claim`: "you have won", "winner", "claim your prize", "you've been selected";
- `personal_subject_on_ad`: a personal-note subject ("hi", "hey", "long time no see",
  "about last night") over a commercial body with no commercial wording in the subject
  (the Jumpstart pattern);
- `obfuscated_subject`: zero-width / invisible characters or letters split by separators
  ("V.i.a.g.r.a", "F R E E"), which hide the subject's words from filters.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from checker.detectors._text import Scanner, span, word_list, words_pattern
from checker.fields import register

_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|fw|aw|sv|vs|tr|wg|antw|odp|rif|r)\s*(?:\[\d+\]|\(\d+\))?\s*:\s*)+",
    re.IGNORECASE,
)
@lru_cache(maxsize=1)
def _transactional() -> Scanner:
    """Transactional-looking subject wording: rules/lists/transactional_subject_phrases.yaml,
    shared with the CANSPAM-SUBJECT-TRANSACTIONAL-LURE rule."""
    return words_pattern(word_list("transactional_subject_phrases"))


_PRIZE = re.compile(
    r"\byou(?:'ve|\s+have)?\s+(?:just\s+|already\s+)?won\b|\bwinner\b|\bclaim\s+your\s+"
    r"(?:prize|reward|gift|winnings|award)|\byou(?:'ve|\s+have)\s+been\s+(?:selected|chosen)\b"
    r"|\bcongratulations\b|\bprize\b|\bsweepstakes?\b|\blotter(?:y|ies)\b|\bjackpot\b"
    r"|\byou\s+are\s+(?:a|our)\s+(?:lucky\s+)?winner",
    re.IGNORECASE,
)
# A bare greeting as the whole subject ("hi", "hey Bob!"), or a personal phrase anywhere.
_PERSONAL = re.compile(
    r"^\s*(?:hi|hey|hello|yo|howdy)\b[\s,!.]*\w{0,12}[\s!.?]*$|^\s*(?:hi|hey|hello)\b[\s,!.]+(?=\S)"
    r"(?=.*(?:long\s+time|how\s+are|remember|it'?s\s+me|what'?s\s+up|miss\s+you))"
    r"|\blong\s+time\s+no\s+see\b|\bhow\s+are\s+you\b|\bit'?s\s+me\b|\bremember\s+me\b"
    r"|\babout\s+last\s+night\b|\bwhat'?s\s+up\b|\bare\s+you\s+there\b|\bmiss\s+you\b"
    r"|^\s*(?:for\s+you|check\s+(?:this|it)\s+out|call\s+me|movie\s+time|let'?s\s+go)\b"
    r"|^\s*(?:lunch|dinner\s+tonight)\s*[?!.]*\s*$",
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


def detect_subject_indicators(
    subject: str | None,
    in_reply_to: str | None,
    references: list[str] | None,
    commercial_status: str | None,
) -> list[dict[str, Any]]:
    if not subject:
        return []
    out = []
    prefix = _REPLY_PREFIX.match(subject)
    if prefix and prefix.group(0).strip() and not in_reply_to and not references:
        start = len(prefix.group(0)) - len(prefix.group(0).lstrip())
        out.append(_indicator(
            "fake_reply", subject, start, len(prefix.group(0).rstrip()),
            f"The subject begins {prefix.group(0).strip()!r} but the message has no "
            "In-Reply-To or References header, so nothing shows it answers or forwards an "
            "earlier message (some webmail and Exchange programs of the time omitted these "
            "headers).",
        ))
    commercial = commercial_status in COMMERCIAL_STATUSES
    transactional = next(_transactional().finditer(subject), None) if commercial else None
    if transactional:
        out.append(_indicator(
            "transactional_subject_on_ad", subject, transactional.start(), transactional.end(),
            f"The subject reads like a transaction or account notice "
            f"({transactional.group(0)!r}) but the body is advertising "
            f"(commercial.status = {commercial_status}).",
        ))
    prize = _PRIZE.search(subject)
    if prize:
        out.append(_indicator(
            "prize_claim", subject, prize.start(), prize.end(),
            f"The subject announces a prize or selection ({prize.group(0)!r}).",
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
                else f"letters split apart ({hidden.group(0)!r})")
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
    return detect_subject_indicators(
        msg.get("subject"),
        msg.get("in_reply_to"),
        msg.get("references"),
        msg.get("commercial.status"),
    )
