"""Case settings: the facts an investigation supplies that no message carries.

A case settings file (YAML, schema-checked) names the trap addresses and the state each
one is in (nexus for state law), which traps were never published (dictionary attacks,
15 U.S.C. § 7704(b)(1)(A)(ii)), the opt-out log (§ 7704(a)(4)), child-protection
registries (Utah, Michigan) and which Received hops and authserv-ids the operator trusts.

The settings reach the engine as `Message.metadata["case"]` and become fields
(`recipient.*`, `case.*`), so the engine stays pure and rules test them like any field.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from checker.fields import register
from checker.message import Message

US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV "
    "NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR".split()
)

# Who brings the action; the remedies in rules/authorities.yaml name theirs (`plaintiffs`).
PLAINTIFFS = ("state_ag", "isp", "ftc", "private")

CASE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "spamlaw case settings",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "case": {"type": "string", "description": "Name of the matter, shown in reports."},
        "plaintiff": {
            "enum": list(PLAINTIFFS),
            "description": "Who brings the action: state_ag (a state attorney general), isp "
            "(a provider of Internet access or e-mail service), ftc (the Federal Trade "
            "Commission) or private (a recipient or other injured person). The damages "
            "schedule shows this plaintiff's remedies; others only on request.",
        },
        "custodian": {
            "type": "string",
            "minLength": 1,
            "description": "The custodian of the records (a name), as the production and the "
            "exhibits state it.",
        },
        "collection": {
            "type": "string",
            "minLength": 1,
            "description": "How, where and when the messages were collected (e.g. 'trap "
            "mailboxes at trap.example, exported from the Office's mail server'), as the "
            "exhibits state it.",
        },
        "trusted": {
            "type": "object",
            "additionalProperties": False,
            "description": "What the trap operator's own mail servers added (trust boundary).",
            "properties": {
                "hops": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 20,
                    "description": "How many Received lines at the top the operator's own "
                    "servers added (default 1).",
                },
                "authserv_ids": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Authentication-Results authserv-ids of the operator's own "
                    "servers; other A-R headers are ignored.",
                },
            },
        },
        "traps": {
            "type": "array",
            "description": "Trap addresses: exact, glob (*@trap.example) or @domain.",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["address"],
                "properties": {
                    "address": {
                        "type": "string",
                        "pattern": "@",
                        "description": "alice@trap.example (exact), *@trap.example (glob) or "
                        "@trap.example (every address at the domain).",
                    },
                    "state": {"type": "string", "enum": sorted(US_STATES)},
                    "published": {
                        "type": "boolean",
                        "description": "false: the address was never published anywhere.",
                    },
                    "note": {"type": "string"},
                },
            },
        },
        "opt_outs": {
            "type": "array",
            "description": "Opt-out requests the investigators made (the opt-out log).",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["address", "date", "sender_domains"],
                "properties": {
                    "address": {"type": "string", "minLength": 1},
                    "date": {
                        "type": "string",
                        "format": "date",
                        "description": "The day the request was sent (YYYY-MM-DD).",
                    },
                    "sender_domains": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "string"},
                        "description": "Domains identifying the sender the request went to "
                        "(From domain or advertised link host).",
                    },
                    "note": {"type": "string"},
                },
            },
        },
        "registries": {
            "type": "array",
            "description": "Child-protection registry entries (Utah, Michigan).",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["state", "address", "registered"],
                "properties": {
                    "state": {"type": "string", "enum": ["UT", "MI"]},
                    "address": {"type": "string", "minLength": 1},
                    "registered": {
                        "type": "string",
                        "format": "date",
                        "description": "The day the address was registered (YYYY-MM-DD); "
                        "the laws apply from the 31st day.",
                    },
                },
            },
        },
    },
}


def case_schema_text() -> str:
    """CASE_SCHEMA as the shipped `docs/case-settings.schema.json` holds it."""
    import json

    return json.dumps(CASE_SCHEMA, indent=2, ensure_ascii=False) + "\n"


class CaseSettingsError(Exception):
    """The case settings file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Trap:
    pattern: str
    state: str | None = None
    published: bool | None = None

    def matches(self, address: str) -> bool:
        address = address.lower()
        pattern = self.pattern.lower()
        if pattern.startswith("@"):
            return address.endswith(pattern)
        if any(ch in pattern for ch in "*?["):
            return fnmatch.fnmatchcase(address, pattern)
        return address == pattern


@dataclass(frozen=True)
class OptOut:
    address: str
    date: date
    sender_domains: tuple[str, ...]


@dataclass(frozen=True)
class RegistryEntry:
    state: str
    address: str
    registered: date


@dataclass(frozen=True)
class CaseSettings:
    name: str = ""
    trusted_hops: int = 1
    trusted_authserv_ids: tuple[str, ...] = ()
    traps: tuple[Trap, ...] = ()
    opt_outs: tuple[OptOut, ...] = ()
    registries: tuple[RegistryEntry, ...] = ()
    plaintiff: str | None = None  # one of PLAINTIFFS
    custodian: str | None = None  # the custodian of the records (a name)
    collection: str | None = None  # how, where and when the messages were collected
    forced_state: str | None = None  # `spamlaw audit --state MA`
    source: str = ""  # the settings file, for messages about nexus

    def with_state(self, state: str) -> CaseSettings:
        state = state.upper()
        if state not in US_STATES:
            raise CaseSettingsError(f"unknown state code {state!r}")
        return CaseSettings(**{**self.__dict__, "forced_state": state})

    def trap_for(self, address: str | None) -> Trap | None:
        if not address:
            return None
        return next((t for t in self.traps if t.matches(address)), None)

    def as_metadata(self) -> dict[str, Any]:
        """What a worker process needs: plain picklable values."""
        return {"case": self}


def load_case_settings(path: Path) -> CaseSettings:
    """Read and validate a case settings file; raise CaseSettingsError with one clear line.

    The file is read by the rule loader's YAML reader (checker.ruleset.yaml_loader): plain
    values only, no aliases or merge keys, bounded size and node count, so a hostile file
    (a billion laughs) is refused at once instead of growing to gigabytes."""
    import jsonschema

    data = _read_yaml(path)
    data = _stringify_dates(data)
    validator = jsonschema.Draft202012Validator(
        CASE_SCHEMA, format_checker=jsonschema.FormatChecker()
    )
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        raise CaseSettingsError(f"{path}: {where}: {err.message}")
    return _build(data, str(path))


def _read_yaml(path: Path) -> Any:
    from checker.ruleset.yaml_loader import MAX_FILE_BYTES, load_yaml_bytes, to_plain

    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CaseSettingsError(f"{path}: file larger than {MAX_FILE_BYTES} bytes")
        raw = path.read_bytes()
    except OSError as exc:
        raise CaseSettingsError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not raw.strip():
        return {}
    root, problems = load_yaml_bytes(raw, str(path))
    errors = [p for p in problems if p.level == "error"]
    if errors:
        first = errors[0]
        detail = first.message.removeprefix("YAML syntax error: ")
        if first.code == "yaml-alias":
            detail = "YAML aliases (*name) are not allowed in case settings: write the value out"
        if detail == "the file is empty":  # only comments: no settings, like an empty file
            return {}
        raise CaseSettingsError(f"{first.file}:{first.line}:{first.col}: invalid YAML: {detail}")
    return to_plain(root) if root is not None else {}


def _stringify_dates(value: Any) -> Any:
    """YAML turns 2004-06-12 into a date; the schema checks strings."""
    if isinstance(value, dict):
        return {k: _stringify_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify_dates(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _build(data: dict[str, Any], source: str) -> CaseSettings:
    trusted = data.get("trusted", {})
    return CaseSettings(
        name=data.get("case", ""),
        plaintiff=data.get("plaintiff"),
        custodian=data.get("custodian"),
        collection=data.get("collection"),
        trusted_hops=trusted.get("hops", 1),
        trusted_authserv_ids=tuple(a.lower() for a in trusted.get("authserv_ids", [])),
        traps=tuple(
            Trap(t["address"], t.get("state"), t.get("published")) for t in data.get("traps", [])
        ),
        opt_outs=tuple(
            OptOut(
                o["address"].lower(),
                date.fromisoformat(o["date"]),
                tuple(d.lower().lstrip("@") for d in o["sender_domains"]),
            )
            for o in data.get("opt_outs", [])
        ),
        registries=tuple(
            RegistryEntry(r["state"], r["address"].lower(), date.fromisoformat(r["registered"]))
            for r in data.get("registries", [])
        ),
        source=source,
    )


# ---------------------------------------------------------------------------------------
# Business days (15 U.S.C. § 7704(a)(4): "more than 10 business days after receipt")
# ---------------------------------------------------------------------------------------


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    return first + timedelta(days=offset + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    """5 U.S.C. 6103(b) and E.O. 11582: Saturday → Friday before, Sunday → Monday after."""
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def federal_holidays(year: int) -> set[date]:
    """Legal public holidays under 5 U.S.C. 6103(a), as observed (Inauguration Day, which
    applies only around Washington, D.C., is left out)."""
    mon, thu = 0, 3
    fixed = [date(year, 1, 1), date(year, 7, 4), date(year, 11, 11), date(year, 12, 25)]
    if year >= 2021:
        fixed.append(date(year, 6, 19))  # Juneteenth, Pub. L. 117-17
    days = {_observed(d) for d in fixed}
    next_new_year = _observed(date(year + 1, 1, 1))
    if next_new_year.year == year:  # 1 Jan on a Saturday is observed on 31 Dec
        days.add(next_new_year)
    days |= {
        _nth_weekday(year, 2, mon, 3),  # Washington's Birthday
        _last_weekday(year, 5, mon),  # Memorial Day
        _nth_weekday(year, 9, mon, 1),  # Labor Day
        _nth_weekday(year, 10, mon, 2),  # Columbus Day
        _nth_weekday(year, 11, thu, 4),  # Thanksgiving Day
    }
    if year >= 1986:
        days.add(_nth_weekday(year, 1, mon, 3))  # Birthday of Martin Luther King, Jr.
    return days


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in federal_holidays(day.year)


def business_days_after(start: date, end: date) -> int:
    """Business days d with start < d <= end (0 when end is not after start)."""
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        count += is_business_day(day)
        day += timedelta(days=1)
    return count


# ---------------------------------------------------------------------------------------
# Fields
# ---------------------------------------------------------------------------------------



def _case(msg: Message) -> CaseSettings | None:
    case = msg.metadata.get("case")
    return case if isinstance(case, CaseSettings) else None


def _header_addresses(msg: Message, name: str) -> list[str]:
    """Addresses in every `name` header, from the decoded `headers` field."""
    name = name.lower()
    values = [h["value"] for h in msg.get("headers") if h["name"].lower() == name]
    return [a.lower() for _, a in getaddresses(values) if "@" in a]


def _listed(msg: Message, field: str) -> list[str]:
    """Addresses of an address-list field (`to`, `cc`, `reply_to`)."""
    return [r["address"].lower() for r in msg.get(field) if r.get("address")]


def _received_for(msg: Message, hops: int) -> list[str]:
    """`for <addr>` clauses in the trusted Received hops (added by the operator's MX)."""
    trusted = msg.get("received")[: max(hops, 0)]
    return [hop["for"].lower() for hop in trusted if hop.get("for") and "@" in hop["for"]]


def recipient_candidates(msg: Message) -> list[tuple[str, str]]:
    """Possible trap addresses, most reliable first, each with where it was found."""
    case = _case(msg)
    hops = case.trusted_hops if case else 1
    arf = msg.metadata.get("arf") or {}
    rcpts = arf.get("original_rcpt_to") or []
    if isinstance(rcpts, str):
        rcpts = [rcpts]
    candidates = [(a.strip("<> ").lower(), "ARF Original-Rcpt-To") for a in rcpts if "@" in a]
    for header in ("Delivered-To", "X-Original-To", "Envelope-To"):
        candidates += [(a, f"{header} header") for a in _header_addresses(msg, header)]
    candidates += [(a, "Received: for clause of a trusted hop") for a in _received_for(msg, hops)]
    for field, header in (("to", "To"), ("cc", "Cc")):
        candidates += [(a, f"{header} header") for a in _listed(msg, field)]
    return candidates


def _recipient(msg: Message) -> tuple[str | None, str | None, Trap | None]:
    """(address, where found, trap) preferring an address the case lists as a trap."""
    case = _case(msg)
    candidates = recipient_candidates(msg)
    if case:
        for address, where in candidates:
            trap = case.trap_for(address)
            if trap:
                return address, where, trap
    if candidates:
        return candidates[0][0], candidates[0][1], None
    return None, None, None


@register("recipient.address", "text", "The trap address the message was delivered to.")
def recipient_address(msg: Message) -> str | None:
    return _recipient(msg)[0]


@register(
    "recipient.state",
    "text",
    "US state of the recipient (nexus for state law): from --state or the case trap list.",
)
def recipient_state(msg: Message) -> str | None:
    case = _case(msg)
    if case is None:
        return None
    if case.forced_state:
        return case.forced_state
    trap = _recipient(msg)[2]
    return trap.state if trap else None


@register(
    "recipient.nexus",
    "text",
    "How the recipient's state was established (a sentence for the finding), or why not.",
)
def recipient_nexus(msg: Message) -> str:
    case = _case(msg)
    if case is None:
        return "recipient state unknown: no case settings were given"
    if case.forced_state:
        return f"recipient state set to {case.forced_state} for this run (--state)"
    address, where, trap = _recipient(msg)
    if trap is None or trap.state is None:
        if address:
            return f"recipient state unknown: {address} ({where}) is not mapped to a state"
        return "recipient state unknown: no recipient address found"
    # The file's name only: an analyst's folder is no part of the evidence.
    source = f" ({Path(case.source).name})" if case.source else ""
    return (
        f"recipient {address} ({where}) is a trap address mapped to {trap.state} "
        f"by the case settings{source}, entry \"{trap.pattern}\""
    )


@register(
    "recipient.never_published",
    "bool",
    "True when the case settings say the trap address was never published anywhere.",
)
def recipient_never_published(msg: Message) -> bool:
    trap = _recipient(msg)[2]
    return bool(trap and trap.published is False)


def _legal_day(msg: Message) -> date | None:
    """The message's legal day (checker.legal_date): the day the trap received it (trusted
    Received line, UTC), else the day of a plausible Date header; None without either."""
    value = msg.get("legal_date")
    return value.date() if isinstance(value, datetime) else None


def _dated_as(msg: Message, day: date) -> str:
    if msg.get("legal_date.source") == "trusted_received":
        return f"this message was received on {day.isoformat()}"
    return f"this message is dated {day.isoformat()} by its Date header (the sender's claim)"


def _sender_domains(msg: Message) -> set[str]:
    fields = ("from.domain", "sender.domain", "return_path.domain")
    domains = {msg.get(f).lower() for f in fields if msg.get(f)}
    domains |= {r["domain"].lower() for r in msg.get("reply_to") if r.get("domain")}
    return domains


def _matching_opt_out(msg: Message) -> tuple[OptOut, date] | None:
    case = _case(msg)
    if not case or not case.opt_outs:
        return None
    address = _recipient(msg)[0]
    sent = _legal_day(msg)
    if not address or not sent:
        return None
    domains = _sender_domains(msg)
    matches = [
        o
        for o in case.opt_outs
        if o.address == address
        and o.date <= sent
        and any(d == s or d.endswith("." + s) for d in domains for s in o.sender_domains)
    ]
    if not matches:
        return None
    return min(matches, key=lambda o: o.date), sent


@register(
    "case.opt_out.business_days_after",
    "int",
    "Business days (weekends and federal holidays excluded) between the recipient's "
    "opt-out request to this sender and the message's legal date (when the trap received "
    "it); None without a matching request.",
)
def opt_out_business_days(msg: Message) -> int | None:
    match = _matching_opt_out(msg)
    if match is None:
        return None
    opt_out, sent = match
    return business_days_after(opt_out.date, sent)


@register(
    "case.opt_out.record",
    "text",
    "The opt-out log entry this message follows, as a sentence; None without one.",
)
def opt_out_record(msg: Message) -> str | None:
    match = _matching_opt_out(msg)
    if match is None:
        return None
    opt_out, sent = match
    return (
        f"{opt_out.address} asked {', '.join(opt_out.sender_domains)} to stop on "
        f"{opt_out.date.isoformat()}; {_dated_as(msg, sent)}, "
        f"{business_days_after(opt_out.date, sent)} business days later"
    )


@register(
    "case.registry_states",
    "list[text]",
    "States whose child-protection registry listed the recipient more than 30 days "
    "before the message's legal date (when the trap received it).",
)
def registry_states(msg: Message) -> list[str]:
    case = _case(msg)
    if not case or not case.registries:
        return []
    address = _recipient(msg)[0]
    sent = _legal_day(msg)
    if not address or sent is None:
        return []
    states = {
        r.state for r in case.registries if r.address == address and (sent - r.registered).days > 30
    }
    return sorted(states)
