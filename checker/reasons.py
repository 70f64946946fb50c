"""Why an outcome is what it is: the catalogue of reason codes.

The engine decides, for each violation, needs_review and not_applicable finding, which
of these codes hold (`Finding.reasons`). A finding's text is composed only from the
codes that hold: a rule's template tests them (`{% if "pictures_present" in reasons %}`),
and the engine adds the sentence of every code the template does not mention. So no
sentence can claim a reason the engine did not establish on this very message.

Each sentence is a clause for counsel: it says what is true of the message, never how
the program is built (no field names, no class names).
"""

from __future__ import annotations

REASONS: dict[str, str] = {
    # what the message shows
    "pictures_present": "the message shows a picture that could hold what the text lacks and that "
                        "the program could not read with certainty",
    "no_visible_text": "the message has no visible text, so what it shows may be only in pictures "
                       "or attachments the program cannot read",
    "invisible_characters": "the text quoted as evidence contains invisible or text-direction "
                            "characters (shown as ⟨U+…⟩), which can make it read differently from "
                            "what it is",
    # judgements a predicate could establish only weakly
    "commercial_uncertain": "whether the message's primary purpose is commercial is uncertain: its "
                            "sales indicators are weak or mixed with transactional content "
                            "(15 U.S.C. § 7702(2))",
    "sexually_oriented_uncertain": "whether the message includes sexually oriented material (material "
                                   "that depicts sexually explicit conduct, 18 U.S.C. § 2256) is a "
                                   "judgement: only one sign of it was found, or the message may speak "
                                   "against such material",
    "age_restricted_uncertain": "whether the product advertised is one minors may not lawfully buy or "
                                "receive is a judgement: words in the message only suggest its category",
    "weak_condition": "a condition of the rule was only weakly established",
    "review_condition": "the rule leaves this question to a person",
    # the date
    "not_in_force": "the rule was not in force on the message's date",
    "date_unusable": "the message has no usable date, so whether the rule was in force when it was "
                     "sent is unconfirmed",
    "date_from_header": "the message is dated by its own Date header, which the sender writes: no "
                        "trusted server recorded when it was received",
    # applicability
    "precondition_false": "the message does not meet the condition under which the rule applies",
    "no_nexus": "the case settings do not connect the recipient to the state whose law this is",
    "requirement_unmet": "a requirement of the rule that the case settings must establish does not hold",
    # what could not be read
    "mime_broken": "the message's MIME structure is broken, so part of it may have been read wrongly",
    "content_not_read": "part of the message was not read (see the message's warnings), and what it "
                        "holds may change the outcome",
    "field_unreadable": "part of the message could not be read, so the finding may rest on incomplete data",
}

# Codes about the date and about what was read: the engine always states them, whatever
# a rule's own template says, so a template cannot hide them.
ENGINE_CODES = frozenset({
    "not_in_force", "date_unusable", "date_from_header", "mime_broken", "content_not_read",
    "field_unreadable", "invisible_characters",
})


def describe(code: str) -> str:
    """The plain-English clause for `code` (KeyError for an unknown code)."""
    return REASONS[code]


def is_code(code: object) -> bool:
    return isinstance(code, str) and code in REASONS
