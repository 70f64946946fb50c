"""Address fields: From, Sender, Return-Path, Reply-To, To, Cc.

Addresses are split on the header as written (so an encoded display name that decodes to
a comma cannot split an address) and display names are decoded afterwards.
"""

from __future__ import annotations

import re
from email.utils import getaddresses
from functools import lru_cache

from checker.extract.decoding import decode_words, unfold
from checker.extract.headers import all_headers, first_header
from checker.fields import register
from checker.message import Message

ADDRESS_RECORD = {
    "address": ("text", "The address (local@domain) as written."),
    "display_name": ("text", "The decoded display name (None if there is none)."),
    "domain": ("text", "The part after the last '@', lowercase (None if there is no '@')."),
    "valid": ("bool", "Syntax-valid per email-validator (no DNS lookups)."),
}

# Bound the work on hostile headers: mass-mailed To lines can hold thousands of addresses.
MAX_ADDRESSES = 1000


def domain_of(address: str | None) -> str | None:
    if not address or "@" not in address:
        return None
    domain = address.rpartition("@")[2].strip().strip("[]").rstrip(".").lower()
    return domain or None


@lru_cache(maxsize=64)
def is_valid_address(address: str | None) -> bool | None:
    """email-validator's syntax check, DNS off. None when absent or the check itself fails.
    (Cached: From, Sender, Reply-To and Return-Path often repeat one address.)"""
    if not address:
        return None
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    except Exception:
        return None
    return True


# The everyday single-address forms, for which the result of `getaddresses` is known
# without running its character-by-character parser: local@domain, <local@domain>,
# Display Name <local@domain> and "Display Name" <local@domain>, in plain ASCII atoms.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PHRASE_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+"  # phrases may hold dots (obs-phrase)
_ADDR_SPEC = rf"{_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*"
_SIMPLE_ADDRESS = re.compile(
    rf"(?P<bare>{_ADDR_SPEC})"
    rf'|(?:"(?P<quoted>[^"\\\r\n]*)" ?|(?P<phrase>{_PHRASE_ATOM}(?: {_PHRASE_ATOM})*) ?)?'
    rf"<(?P<angle>{_ADDR_SPEC})>"
)


def split_addresses(text: str) -> list[tuple[str, str]]:
    """`email.utils.getaddresses([text])`, without its parser for the common forms."""
    match = _SIMPLE_ADDRESS.fullmatch(text)
    if match is None:
        return getaddresses([text])
    if match["bare"] is not None:
        return [("", match["bare"])]
    return [(match["quoted"] or match["phrase"] or "", match["angle"])]


def parse_address_list(text: str, where: str) -> list[tuple[str | None, str | None]]:
    """(display_name, address) pairs; empty entries (e.g. a bare group label) dropped."""
    pairs = []
    for display, address in split_addresses(unfold(text))[:MAX_ADDRESSES]:
        address = address.strip() or None
        display = (decode_words(display, where)[0].strip() or None) if display else None
        if address or display:
            pairs.append((display, address))
    return pairs


def _records(msg: Message, header: str) -> list[dict]:
    out = []
    for h in all_headers(msg, header):
        for display, address in parse_address_list(h.raw, f"header {h.name}"):
            out.append(
                {
                    "address": address,
                    "display_name": display,
                    "domain": domain_of(address),
                    "valid": is_valid_address(address),
                }
            )
    return out[:MAX_ADDRESSES]


def _first(msg: Message, header: str) -> tuple[str | None, str | None]:
    """The first (display_name, address) of the first `header`, memoized."""

    def compute(m: Message) -> tuple[str | None, str | None]:
        h = first_header(m, header)
        pairs = parse_address_list(h.raw, f"header {h.name}") if h else []
        return pairs[0] if pairs else (None, None)

    return msg.memo(("first_address", header), compute)


@register("from.address", "text", "Address of the (first) From header.")
def from_address(msg: Message) -> str | None:
    return _first(msg, "from")[1]


@register("from.display_name", "text", "Decoded display name of the From header.")
def from_display_name(msg: Message) -> str | None:
    return _first(msg, "from")[0]


@register("from.domain", "text", "Domain of the From address, lowercase.")
def from_domain(msg: Message) -> str | None:
    return domain_of(_first(msg, "from")[1])


@register(
    "from.valid",
    "bool",
    "The From address is syntactically valid (email-validator, no DNS); None if absent.",
)
def from_valid(msg: Message) -> bool | None:
    return is_valid_address(_first(msg, "from")[1])


@register("from.raw", "text", "The From header as written.")
def from_raw(msg: Message) -> str | None:
    h = first_header(msg, "from")
    return h.raw if h else None


@register("sender.address", "text", "Address of the Sender header.")
def sender_address(msg: Message) -> str | None:
    return _first(msg, "sender")[1]


@register("sender.domain", "text", "Domain of the Sender address, lowercase.")
def sender_domain(msg: Message) -> str | None:
    return domain_of(_first(msg, "sender")[1])


@register(
    "return_path.address",
    "text",
    "Address of the Return-Path header (envelope sender); None for the null path <>.",
)
def return_path_address(msg: Message) -> str | None:
    return _first(msg, "return-path")[1]


@register("return_path.domain", "text", "Domain of the Return-Path address, lowercase.")
def return_path_domain(msg: Message) -> str | None:
    return domain_of(_first(msg, "return-path")[1])


@register("reply_to", "list[record]", "Addresses in Reply-To.", item_fields=ADDRESS_RECORD)
def reply_to(msg: Message) -> list[dict]:
    return _records(msg, "reply-to")


@register("to", "list[record]", "Addresses in To.", item_fields=ADDRESS_RECORD)
def to(msg: Message) -> list[dict]:
    return _records(msg, "to")


@register("cc", "list[record]", "Addresses in Cc.", item_fields=ADDRESS_RECORD)
def cc(msg: Message) -> list[dict]:
    return _records(msg, "cc")
