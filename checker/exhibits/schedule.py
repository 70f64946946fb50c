"""The schedule of a batch: counts per rule and per jurisdiction, and the statutory
damages each remedy of the registry would allow on the messages audited.

Pure (no I/O, no clock): audit JSON message objects in, one JSON-serialisable dict out.

The arithmetic is deliberately conservative, because a false figure is as bad as a false
accusation:

* Each remedy counts a message once, however many of its rules carry that remedy (the
  three California rules share one). Byte-identical inputs (same SHA-256) are one message.
* "Established" counts messages with at least one `violation` finding carrying the
  remedy; "if confirmed" is what the `needs_review` findings would add if a person
  confirmed them, computed as (total with them) - (established total), so a cap already
  reached adds nothing.
* A message's amount is the largest per-unit amount among its findings for the remedy
  (the ISP remedy: $100 when § 7704(a)(1) is cited, $25 otherwise), never a sum.
* Per-day figures use each message's legal date (checker.legal_date): the UTC day the
  trap received it (`received`, stamped by the trusted Received line), else -- only when
  no trusted line gives one (`date_source` "date_header") -- the calendar day of its Date
  header as written, the sender's claim; a message without a usable date (none, or a
  year such as 0102 and no receipt time) is taken to fall on a day already counted,
  which can only lower the figure.
* Multipliers (treble damages, reductions) are listed, never applied.
* A shape this module cannot compute honestly (a per-incident unit, a per-day cap with
  undated messages, a cap exception combined with an alternative measure) gets no total
  and says why, rather than a guess.
* Totals of different remedies are never added: they belong to different plaintiffs and
  overlap.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime

from checker.legal_date import FIRST_PLAUSIBLE_YEAR, LAST_PLAUSIBLE_YEAR

SCHEMA = "spamlaw.schedule/1"
STATUSES = ("violation", "needs_review", "error", "compliant", "not_applicable")
PER_MESSAGE_UNITS = ("message", "violation")
DAYS_SOURCE = ("the day (UTC) the trap received each message, from the trusted Received line; "
               "for a message without one, the day of its Date header as written in its own "
               "time zone (the sender's claim)")

GENERAL_NOTES = (
    "Figures are statutory maxima per unit from the citation registry "
    "(rules/authorities.yaml), multiplied by message counts, for counsel's judgement; they "
    "are not findings of liability and every remedy has conditions (listed with it).",
    "\"Established\" counts messages with at least one finding of status violation carrying "
    "the remedy. \"If confirmed\" is what findings of status needs_review would add if a "
    "person confirmed them; needs_review findings are not violations.",
    "Each remedy counts a message once, however many rules of that message carry it; "
    "byte-identical inputs (same SHA-256) are counted once.",
    "Remedies belong to different plaintiffs and overlap: their totals must not be added "
    "together.",
    "Multipliers (e.g. treble damages) are shown separately and are not included in any "
    "total.",
)


@dataclass(frozen=True)
class _Unit:
    """One message's share of one remedy."""

    key: str  # the message's SHA-256 (source when there is none)
    amount: Decimal | None
    outside_cap: bool
    day: date | None


def build_schedule(messages: Sequence[dict],
                   exhibit_labels: Mapping[str, str] | None = None, *,
                   plaintiff: str | None = None, all_remedies: bool = False) -> dict:
    """Counts and damages schedule of audit JSON message objects (docs/audit-json.md).

    `exhibit_labels` maps a message's `source` to its exhibit label, for the messages that
    became exhibits; each remedy then lists the exhibits behind its figures. With a
    `plaintiff` (case settings: state_ag, isp, ftc, private) only the remedies that
    plaintiff can seek are computed, the others named in `remedies_left_out`, unless
    `all_remedies`.
    """
    labels = dict(exhibit_labels or {})
    messages = [m for m in messages if isinstance(m, Mapping)]
    remedies = _remedies(messages, labels)
    shown, left_out = _for_plaintiff(remedies, plaintiff, all_remedies)
    aggravating = _aggravating(messages)
    notes = list(GENERAL_NOTES)
    if left_out:
        names = ", ".join(r["remedy"] for r in left_out)
        notes.append(f"Only the remedies a plaintiff of kind {plaintiff} (case settings) can "
                     f"seek are shown; those of other plaintiffs are left out ({names}).")
    counts = aggravating["messages"]
    if any(counts.values()):
        notes.append(f"{counts['violation']} message(s) with an established and "
                     f"{counts['needs_review']} with a for-review § 7704(b) finding. "
                     + aggravating["note"])
    return {
        "schema": SCHEMA,
        "statuses": list(STATUSES),
        "plaintiff": plaintiff,
        "messages": _message_counts(messages),
        "rules": _rule_counts(messages),
        "jurisdictions": _jurisdiction_counts(messages),
        "remedies": shown,
        "remedies_left_out": left_out,
        "aggravating": aggravating,
        "notes": notes,
    }


def _for_plaintiff(remedies: list[dict], plaintiff: str | None,
                   all_remedies: bool) -> tuple[list[dict], list[dict]]:
    """(remedies shown, {remedy, who} of those left out). A remedy that names no
    plaintiffs is always shown (it cannot be told apart)."""
    if not plaintiff or all_remedies:
        return remedies, []
    shown = [r for r in remedies if not r["plaintiffs"] or plaintiff in r["plaintiffs"]]
    left_out = [{"remedy": r["remedy"], "who": r["who"]} for r in remedies if r not in shown]
    return shown, left_out


AGGRAVATING_CITATION = "15 U.S.C. § 7704(b)"


def _aggravating(messages: list[Mapping]) -> dict:
    """Messages with a § 7704(b) finding: an aggravating factor that may support trebling
    (§ 7706(f)(3)(C), (g)(3)(C)) of the (a) violation it rests on, never a damages line."""
    counts = {"violation": 0, "needs_review": 0}
    for message in messages:
        statuses = {str(f.get("status")) for f in _findings(message)
                    if any(str(c).startswith(AGGRAVATING_CITATION) for c in f.get("citations") or ())}
        for status in counts:
            counts[status] += status in statuses
    return {
        "citation": AGGRAVATING_CITATION,
        "messages": counts,
        "note": "An aggravated violation (§ 7704(b)) is not a damages basis of its own: it may "
                "support trebling of the state and ISP damages on the § 7704(a) violation it "
                "rests on (§ 7706(f)(3)(C), (g)(3)(C)); see the multipliers of those remedies.",
    }


# --- counts ------------------------------------------------------------------------------


def _findings(message: Mapping) -> list[Mapping]:
    return [f for f in message.get("findings") or () if isinstance(f, Mapping)]


def _message_key(message: Mapping) -> str:
    return str(message.get("sha256") or f"source:{message.get('source')}")


def _zero() -> dict[str, int]:
    return dict.fromkeys(STATUSES, 0)


def was_audited(message: Mapping) -> bool:
    """As the audit summary counts it: a message that could not be audited at all has
    errors and no finding (every rule that runs leaves one); an audited message may
    still carry errors (e.g. "date: implausible year 102")."""
    return bool(_findings(message)) or not message.get("errors")


def _message_counts(messages: list[Mapping]) -> dict:
    with_errors = sum(1 for m in messages if m.get("errors"))
    not_audited = sum(1 for m in messages if not was_audited(m))
    keys = [_message_key(m) for m in messages if m.get("sha256")]
    with_status = _zero()
    for message in messages:
        for status in {str(f.get("status")) for f in _findings(message)}:
            if status in with_status:
                with_status[status] += 1
    return {
        "inputs": len(messages),
        "audited": len(messages) - not_audited,
        "not_audited": not_audited,
        "with_errors": with_errors,
        "duplicates": len(keys) - len(set(keys)),
        "with_status": with_status,
    }


def _rule_counts(messages: list[Mapping]) -> list[dict]:
    rules: dict[str, dict] = {}
    for message in messages:
        for finding in _findings(message):
            rule = str(finding.get("rule") or "")
            entry = rules.setdefault(rule, {
                "rule": rule,
                "jurisdiction": str(finding.get("jurisdiction") or ""),
                "title": str(finding.get("title") or ""),
                "citations": [str(c) for c in finding.get("citations") or ()],
                "counts": _zero(),
            })
            status = str(finding.get("status"))
            if status in entry["counts"]:
                entry["counts"][status] += 1
    return [rules[key] for key in sorted(rules)]


def _jurisdiction_counts(messages: list[Mapping]) -> list[dict]:
    """Per jurisdiction: messages with at least one finding of each status there."""
    counts: dict[str, dict[str, int]] = {}
    for message in messages:
        seen: set[tuple[str, str]] = set()
        for finding in _findings(message):
            seen.add((str(finding.get("jurisdiction") or ""), str(finding.get("status"))))
        for jurisdiction, status in seen:
            row = counts.setdefault(jurisdiction, _zero())
            if status in row:
                row[status] += 1
    return [{"jurisdiction": j, "messages": counts[j]} for j in sorted(counts)]


# --- damages -----------------------------------------------------------------------------


def _remedies(messages: list[Mapping], labels: dict[str, str]) -> list[dict]:
    """One entry per remedy key, sorted by (jurisdictions, key)."""
    gathered: dict[str, dict] = {}
    for message in messages:
        mkey, day = _message_key(message), None
        if any(str(f.get("status")) in ("violation", "needs_review") for f in _findings(message)):
            day = _day_of(message)
        for finding in _findings(message):
            status = str(finding.get("status"))
            for remedy in _finding_remedies(finding):
                key = str(remedy.get("remedy") or "")
                rule = str(finding.get("rule") or "")
                slot = gathered.setdefault(key, {
                    "facts": remedy, "facts_rule": rule, "jurisdictions": set(),
                    "rules": set(), "variants": {},
                    "carriers": {},  # message key -> [(status, amount, outside cap)]
                    "sources": {}, "days": {},
                })
                if rule < slot["facts_rule"]:  # the same facts whatever the input order
                    slot["facts"], slot["facts_rule"] = remedy, rule
                slot["jurisdictions"].add(str(finding.get("jurisdiction") or ""))
                slot["rules"].add(rule)
                slot["variants"].setdefault(_money(remedy.get("amount")), set()).update(
                    str(c) for c in remedy.get("citations") or ())
                if status in ("violation", "needs_review"):
                    carrier = (status, _money(remedy.get("amount")), _outside_cap(remedy))
                    slot["carriers"].setdefault(mkey, []).append(carrier)
                    slot["sources"].setdefault(mkey, set()).add(str(message.get("source")))
                    slot["days"].setdefault(mkey, day)
    entries = [_remedy_entry(key, slot, labels) for key, slot in gathered.items()]
    return sorted(entries, key=lambda e: (e["jurisdictions"], e["remedy"]))


def _finding_remedies(finding: Mapping) -> list[Mapping]:
    penalty = finding.get("penalty")
    if not isinstance(penalty, Mapping):
        return []
    return [r for r in penalty.get("remedies") or () if isinstance(r, Mapping) and r.get("remedy")]


def _day_of(message: Mapping) -> date | None:
    """The message's legal day: the day of `received` (ISO 8601 UTC of the trusted
    receipt time; Texas counts days a message "is received") when usable, else the day of
    the Date header as written (the sender's claim)."""
    received = message.get("received")
    if isinstance(received, str) and received.strip():
        try:
            day = date.fromisoformat(received.strip()[:10])
        except ValueError:
            day = None
        if day is not None and FIRST_PLAUSIBLE_YEAR <= day.year <= LAST_PLAUSIBLE_YEAR:
            return day
    return message_day(message.get("date"))


def message_day(value) -> date | None:
    """The calendar day of a Date header as written (its own offset), None if unusable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None or not FIRST_PLAUSIBLE_YEAR <= when.year <= LAST_PLAUSIBLE_YEAR:
        return None
    return when.date()


def _money(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def _outside_cap(remedy: Mapping) -> bool:
    """The finding cites a provision the remedy's cap does not limit (§ 7704(a)(1))."""
    if remedy.get("cap") is None:
        return False
    exceptions = {str(c) for c in remedy.get("cap_exceptions") or ()}
    cited = {str(c) for c in remedy.get("citations") or ()}
    return bool(exceptions & cited)


def _unit(key: str, carriers: list[tuple[str, Decimal | None, bool]], statuses: set[str],
          day: date | None) -> _Unit | None:
    """The message under this remedy: its largest stated amount (None when no finding
    states one), outside the cap when any chosen finding cites a cap exception."""
    chosen = [c for c in carriers if c[0] in statuses]
    if not chosen:
        return None
    known = [amount for _, amount, _ in chosen if amount is not None]
    return _Unit(key, max(known) if known else None, any(c[2] for c in chosen), day)


def _remedy_entry(key: str, slot: dict, labels: dict[str, str]) -> dict:
    facts = slot["facts"]
    established, combined = [], []
    for mkey in sorted(slot["carriers"]):
        carriers, day = slot["carriers"][mkey], slot["days"][mkey]
        firm = _unit(mkey, carriers, {"violation"}, day)
        either = _unit(mkey, carriers, {"violation", "needs_review"}, day)
        if firm is not None:
            established.append(firm)
        if either is not None:
            combined.append(either)
    firm_keys = {u.key for u in established}
    review_only = [u for u in combined if u.key not in firm_keys]
    firm_units = set(established)
    upgraded = [u for u in combined if u.key in firm_keys and u not in firm_units]
    firm_total = assess(established, facts)
    with_review = assess(combined, facts)
    addition = None
    if firm_total["total"] is not None and with_review["total"] is not None:
        addition = _number(_money(with_review["total"]) - _money(firm_total["total"]))
    return {
        "remedy": key,
        "jurisdictions": sorted(slot["jurisdictions"]),
        "rules": sorted(slot["rules"]),
        **_facts(facts),
        "amount": _number(min((a for a in slot["variants"] if a is not None), default=None)),
        "amount_variants": _variants(slot["variants"]),
        "established": {
            **firm_total,
            "exhibits": _labels(established, slot["sources"], labels),
            "not_exhibited": _not_exhibited(established, slot["sources"], labels),
        },
        "if_confirmed": {
            "messages": len(review_only),
            "upgraded": len(upgraded),
            "total": addition,
            "exhibits": _labels(review_only, slot["sources"], labels),
            "not_exhibited": _not_exhibited(review_only, slot["sources"], labels),
            "with_established": with_review,
        },
        "remedy_notes": _remedy_notes(facts),
    }


def _facts(facts: Mapping) -> dict:
    """What the index prints about the remedy, as the registry states it."""
    amount = _money(facts.get("amount"))
    return {
        "who": str(facts.get("who") or ""),
        "plaintiffs": [str(p) for p in facts.get("plaintiffs") or ()],
        "basis": str(facts.get("basis") or ""),
        "currency": str(facts.get("currency") or "USD"),
        "unit": str(facts.get("unit") or ""),
        "amount": _number(amount),
        "amount_stated": amount is not None,
        "cap": _number(_money(facts.get("cap"))),
        "cap_unit": str(facts.get("cap_unit") or "action"),
        "cap_exceptions": [str(c) for c in facts.get("cap_exceptions") or ()],
        "alternative": _alternative(facts.get("alternative")),
        "multipliers": [
            {"factor": _number(_money(m.get("factor"))), "when": str(m.get("when") or ""),
             "basis": str(m.get("basis") or "")}
            for m in facts.get("multipliers") or () if isinstance(m, Mapping)
        ],
        "conditions": [str(c) for c in facts.get("conditions") or ()],
        "note": str(facts.get("note") or ""),
        "as_of": str(facts["as_of"]) if facts.get("as_of") else None,
        "source": str(facts.get("source") or ""),
    }


def _variants(variants: dict[Decimal | None, set[str]]) -> list[dict]:
    """Per-unit amounts seen on the findings, largest first, with the citations that
    carry each (the ISP remedy: $100 for § 7704(a)(1), $25 for the rest)."""
    rows = [{"amount": _number(a), "citations": sorted(c)}
            for a, c in sorted(((a, c) for a, c in variants.items() if a is not None),
                               key=lambda item: item[0], reverse=True)]
    if None in variants:
        rows.append({"amount": None, "citations": sorted(variants[None])})
    return rows


def _alternative(value) -> dict | None:
    if not isinstance(value, Mapping):
        return None
    return {"amount": _number(_money(value.get("amount"))), "unit": str(value.get("unit") or ""),
            "take": str(value.get("take") or "")}


def _remedy_notes(facts: Mapping) -> list[str]:
    notes = []
    if str(facts.get("unit")) == "violation":
        notes.append("Each separately addressed message is counted as one violation; how "
                     "violations are counted is for the court.")
    return notes


def assess(units: list[_Unit], facts: Mapping) -> dict:
    """The figure for one set of messages under one remedy: per-unit amount x count,
    combined with the alternative measure, then the cap. `total` is None (with a note
    saying why) when the registry's shape cannot be computed honestly."""
    notes: list[str] = []
    days = {u.day for u in units if u.day is not None}
    undated = sum(1 for u in units if u.day is None)
    result = {
        "messages": len(units),
        "outside_cap": sum(1 for u in units if u.outside_cap) if facts.get("cap") is not None else 0,
        "days": len(days),
        "undated": undated,
        "amounts": _amount_counts(units),
        "base_total": None, "alternative_total": None, "total": None,
        "cap_applied": False, "total_if_one_incident": None, "notes": notes,
    }
    if not units:
        result.update(base_total=0, total=0)
        return result
    if any(u.amount is None for u in units):
        notes.append("amount not stated")
        return result
    day_count = _day_count(days, undated, notes)
    base = _measure(units, str(facts.get("unit") or ""), day_count, notes)
    result["base_total"] = _number(base)
    total = _with_alternative(base, facts.get("alternative"), len(units), day_count, result, notes)
    if total is None:
        return result
    total = _with_cap(total, units, facts, result, notes)
    result["total"] = _number(total)
    return result


def _amount_counts(units: list[_Unit]) -> list[dict]:
    counts: dict[Decimal | None, int] = {}
    for unit in units:
        counts[unit.amount] = counts.get(unit.amount, 0) + 1
    known = sorted((a for a in counts if a is not None), reverse=True)
    rows = [{"amount": _number(a), "messages": counts[a]} for a in known]
    if None in counts:
        rows.append({"amount": None, "messages": counts[None]})
    return rows


def _day_count(days: set[date], undated: int, notes: list[str]) -> int:
    if undated:
        notes.append(
            f"{undated} message(s) have no usable date; each is taken to fall on a day "
            "already counted (at least one day), which can only lower a per-day figure.")
    return max(len(days), 1)


def _measure(units: list[_Unit], unit: str, day_count: int, notes: list[str]) -> Decimal | None:
    if unit in PER_MESSAGE_UNITS:
        return sum((u.amount for u in units), Decimal(0))
    if unit == "day":
        notes.append(f"{day_count} calendar day(s): {DAYS_SOURCE}.")
        return max(u.amount for u in units) * day_count
    notes.append(f"not computed: the amount is per {unit or 'unstated unit'}, and how "
                 "messages group into such units is for the court")
    return None


def _with_alternative(base: Decimal | None, alternative, count: int, day_count: int,
                      result: dict, notes: list[str]) -> Decimal | None:
    if base is None:
        return None
    if not isinstance(alternative, Mapping):
        return base
    amount = _money(alternative.get("amount"))
    unit, take = str(alternative.get("unit") or ""), str(alternative.get("take") or "")
    if amount is None or take not in ("lesser", "greater"):
        notes.append("not computed: the alternative measure is incomplete in the registry")
        return None
    if unit == "day":
        other = amount * day_count
        notes.append(f"Alternative measure: {day_count} calendar day(s): {DAYS_SOURCE}.")
    elif unit in PER_MESSAGE_UNITS:
        other = amount * count
    else:
        notes.append(f"not computed: the alternative measure is per {unit or 'unstated unit'}")
        return None
    result["alternative_total"] = _number(other)
    return min(base, other) if take == "lesser" else max(base, other)


def _with_cap(total: Decimal, units: list[_Unit], facts: Mapping, result: dict,
              notes: list[str]) -> Decimal | None:
    cap = _money(facts.get("cap"))
    if cap is None:
        return total
    cap_unit = str(facts.get("cap_unit") or "action")
    inside = [u for u in units if not u.outside_cap]
    outside = [u for u in units if u.outside_cap]
    if cap_unit == "incident":
        result["total_if_one_incident"] = _number(min(total, cap))
        notes.append("The cap is per incident and how messages group into incidents is for "
                     "the court; the total assumes no cap (every message its own incident).")
        return total
    if outside and isinstance(facts.get("alternative"), Mapping):
        notes.append("not computed: the registry combines an alternative measure with cap "
                     "exceptions")
        return None
    if cap_unit == "action":
        if not outside:
            result["cap_applied"] = total > cap
            return min(total, cap)
        capped = sum((u.amount for u in inside), Decimal(0))
        free = sum((u.amount for u in outside), Decimal(0))
        result["cap_applied"] = capped > cap
        return min(capped, cap) + free
    if cap_unit == "day":
        return _cap_per_day(units, facts, cap, result, notes)
    notes.append(f"not computed: the cap is per {cap_unit}")
    return None


def _cap_per_day(units: list[_Unit], facts: Mapping, cap: Decimal, result: dict,
                 notes: list[str]) -> Decimal | None:
    if str(facts.get("unit")) not in PER_MESSAGE_UNITS or facts.get("alternative"):
        notes.append("not computed: a per-day cap on a measure that is not per message")
        return None
    if any(u.day is None for u in units if not u.outside_cap):
        notes.append("not computed: the cap is per day and some messages have no usable date")
        return None
    per_day: dict[date, Decimal] = {}
    for unit in units:
        if not unit.outside_cap:
            per_day[unit.day] = per_day.get(unit.day, Decimal(0)) + unit.amount
    free = sum((u.amount for u in units if u.outside_cap), Decimal(0))
    result["cap_applied"] = any(v > cap for v in per_day.values())
    return sum((min(v, cap) for v in per_day.values()), Decimal(0)) + free


def _number(value: Decimal | None):
    """JSON number: int when whole, else float rounded to cents."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(round(value, 2))


# --- exhibits behind a figure ------------------------------------------------------------

_DIGITS = re.compile(r"(\d+)")


def _natural(label: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in _DIGITS.split(label))


def _labels(units: list[_Unit], sources: dict[str, set[str]], labels: dict[str, str]) -> list[str]:
    found = {labels[s] for u in units for s in sources.get(u.key, ()) if s in labels}
    return sorted(found, key=_natural)


def _not_exhibited(units: list[_Unit], sources: dict[str, set[str]],
                   labels: dict[str, str]) -> int:
    return sum(1 for u in units if not any(s in labels for s in sources.get(u.key, ())))
