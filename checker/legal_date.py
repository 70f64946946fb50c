"""The legal date of a message: when the trap received it, not what the sender wrote.

The Date header is written by the sender and is forgeable: a spam ring that back-dates its
mail to 1998 must not drop out of a case, and a message dated "0102" that the trap
received in 2002 (before CAN-SPAM) must not be judged under it. So the legal date is the
**trusted receipt time**: the time the trap operator's own mail server stamped on the
Received line at the trust boundary -- the lowest of the top `trusted.hops` lines (case
settings, default 1), the line where the operator's server accepted the message from
outside. When that line states no usable time, the nearest trusted line above it (also
the operator's, a little later) is used. The receipt time is given in UTC, and days
derived from it (effective dates, business days, per-day counts) are UTC days.

Only without a trusted hop (none configured, fewer Received lines than `trusted.hops`, or
no usable time on any trusted line) does the legal date fall back to the Date header, and
only when that is plausible; findings then say the date is the sender's claim.

The sender's Date stays the sender's claim (`date`); when it differs from the receipt
time by more than a day, `date.skew` and `date.mismatch` record it with both dates: an
indicator that the header information may be falsified.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from checker.fields import register
from checker.message import Message

FIRST_PLAUSIBLE_YEAR = 1970
LAST_PLAUSIBLE_YEAR = 2100
SKEW_LIMIT = timedelta(days=1)

TRUSTED_RECEIVED = "trusted_received"
DATE_HEADER = "date_header"


def plausible(value: Any) -> bool:
    """An aware datetime in a year a message could have been sent in."""
    return (isinstance(value, datetime) and value.tzinfo is not None
            and FIRST_PLAUSIBLE_YEAR <= value.year <= LAST_PLAUSIBLE_YEAR)


def _utc(value: Any) -> datetime | None:
    if not plausible(value):
        return None
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def trusted_hop_count(msg: Message) -> int:
    """`trusted.hops` of the case settings (a CaseSettings or, in tests, a dict), default 1."""
    case = msg.metadata.get("case")
    value = case.get("trusted_hops", 1) if isinstance(case, dict) else getattr(case, "trusted_hops", 1)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 1


def _receipt(msg: Message) -> tuple[int, datetime] | None:
    """(index of the Received line, its time in UTC) of the trusted receipt, or None."""
    def compute(m: Message) -> tuple[int, datetime] | None:
        hops = m.get("received")
        count = trusted_hop_count(m)
        if count == 0 or len(hops) < count:
            return None
        for position in range(count - 1, -1, -1):  # the boundary line first, then up
            when = _utc(hops[position].get("date"))
            if when is not None:
                return position, when
        return None

    return msg.memo("legal_date.receipt", compute)


@register(
    "receipt.time",
    "datetime",
    "When the trap received the message (UTC): the time the operator's own server stamped "
    "on the trusted Received line at the trust boundary (case setting trusted.hops); None "
    "without a trusted line with a usable time.",
)
def receipt_time(msg: Message) -> datetime | None:
    found = _receipt(msg)
    return found[1] if found else None


@register(
    "receipt.hop",
    "int",
    "Index in `received` (0 = topmost) of the trusted line that gives receipt.time.",
)
def receipt_hop(msg: Message) -> int | None:
    found = _receipt(msg)
    return found[0] if found else None


def _legal(msg: Message) -> tuple[datetime | None, str | None]:
    received = receipt_time(msg)
    if received is not None:
        return received, TRUSTED_RECEIVED
    sent = msg.get("date")
    if plausible(sent):
        return sent, DATE_HEADER
    return None, None


@register(
    "legal_date",
    "datetime",
    "The date the law looks at: receipt.time, else the Date header when it is plausible "
    "(the sender's claim); None when neither is usable.",
)
def legal_date(msg: Message) -> datetime | None:
    return _legal(msg)[0]


@register(
    "legal_date.source",
    "text",
    "Where legal_date comes from: trusted_received, date_header or None.",
)
def legal_date_source(msg: Message) -> str | None:
    return _legal(msg)[1]


def _skew(msg: Message) -> timedelta | None:
    received, sent = receipt_time(msg), _utc(msg.get("date"))
    if received is None or sent is None:
        return None
    return sent - received


@register(
    "date.skew",
    "int",
    "Hours by which the sender's Date header differs from receipt.time (negative: the Date "
    "is earlier); None without both.",
)
def date_skew(msg: Message) -> int | None:
    skew = _skew(msg)
    return None if skew is None else int(skew.total_seconds() / 3600)  # toward zero


@register(
    "date.mismatch",
    "text",
    "When the sender's Date header and the trusted receipt time are more than a day apart: "
    "both dates, as a sentence (an indicator that the header may be falsified); else None.",
)
def date_mismatch(msg: Message) -> str | None:
    skew = _skew(msg)
    if skew is None or abs(skew) <= SKEW_LIMIT:
        return None
    days = abs(skew).days
    direction = "before" if skew < timedelta(0) else "after"
    return (f"The Date header, which the sender writes, says {format_utc(_utc(msg.get('date')))}, "
            f"{days:,} day{'s' if days != 1 else ''} {direction} the trap received the message "
            f"at {format_utc(receipt_time(msg))} (trusted Received line).")


def format_utc(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


def received_text(received: str | None) -> str:
    """The audit JSON member `received` (ISO 8601) as "2025-06-02 10:00:09 UTC"."""
    if not received:
        return ""
    try:
        return format_utc(datetime.fromisoformat(received))
    except (ValueError, OverflowError):
        return received


def legal_date_text(received: str | None, date_source: str | None, date_header: str | None) -> str:
    """The legal date as a listing prints it, from the audit JSON members `received`,
    `date_source` and `date`: "2025-06-02 10:00:09 UTC (received)", or the Date header
    marked as the sender's claim."""
    if received:
        return f"{received_text(received)} (received)"
    if date_header:
        claim = "sender's Date header" if date_source == DATE_HEADER else \
            "sender's Date header, not usable"
        return f"{date_header} ({claim})"
    return ""
