"""Header integrity indicators (15 U.S.C. § 7704(a)(1), (a)(6); state anti-spoofing laws).

Only the Received lines added by the trap operator's own mail servers are reliable: the
top `trusted_hops` lines (case setting `trusted.hops`, default 1: the topmost line). The
lowest trusted line is the *handoff*: its `from` part is the connecting client's true IP,
reverse DNS and HELO as our server saw them. Lines below are the sender's claims. A
handoff from a loopback or private address (fetchmail, a local content filter) is not
judged: set `trusted.hops` to cover the operator's whole chain (in the SpamAssassin corpus
that is three lines: the local delivery, fetchmail and the MX).

Authentication-Results headers are trusted only from a trusted authserv-id: those named in
the case settings (`trusted.authserv_ids`); when none are named, an A-R header counts only
if its authserv-id equals the `by` host of a trusted Received line (the operator's server
stamped it). Anything else could have been written by the sender and is ignored.

Every indicator is a reason for review, never a finding by itself: materiality, the
§ 7704(a)(1)(B) safe harbour (a From line that accurately identifies any initiator) and
permission to use a domain are legal judgements.

Indicators (`indicator` key):
- `helo_claims_provider`: the handoff client said HELO as a big mail provider
  (hotmail.com, yahoo.com ...) but its IP's reverse DNS is not that provider's;
- `dynamic_handoff`: the handoff IP's reverse DNS looks dynamic / residential (dsl, dialup,
  pool, cable, IP digits in the name) -- a hijacked or proxy computer is a possibility
  (§ 7704(a)(1)(C), (b)(3));
- `claimed_provider_hop`: the first untrusted Received line claims to be written by a big
  provider's server, but the computer that handed the message over is not that provider's;
- `hop_date_after_receipt`: an untrusted hop is dated more than a day after our receipt;
- `spf_fail`, `dkim_fail`, `dmarc_fail`: a trusted Authentication-Results failure;
- `webmail_from_not_via_provider`: From is a webmail address (list free_mail_domains) but
  no Received line mentions that provider and no trusted DKIM pass covers it;
- `brand_display_name`: the From display name names a brand (list brands) whose domains
  do not include the From domain;
- `address_in_display_name`: the display name contains a different email address;
- `punycode_domain`: the From domain is an internationalised (xn--) name (lookalikes);
- `from_equals_recipient`: From is one of the To addresses;
- `message_id_domain_unrelated`: the Message-ID domain matches neither the From, Sender,
  Return-Path domains nor any host in the Received chain (machine names such as
  localhost.localdomain, *.lan or dial-up host names are not flagged);
- `reply_to_unrelated`: a Reply-To address on a domain unrelated to From / Sender (and not
  the list address in To/Cc).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from checker.detectors._text import (
    case_setting,
    domain_of,
    registrable_domain,
    related,
    span,
    whole,
    word_list,
)
from checker.fields import register

# Webmail domains come from the counsel-editable list rules/lists/free_mail_domains.yaml and
# brands from rules/lists/brands.yaml. Domains one provider runs together are grouped here:
# a hotmail.com From relayed by msn.com servers is consistent.
PROVIDER_GROUPS = (
    "hotmail.com hotmail.co.uk hotmail.fr msn.com live.com outlook.com passport.com microsoft.com",
    "yahoo.com yahoo.co.uk yahoo.fr yahoo.de yahoo.ca yahoo.com.au yahoo.co.jp yahoo.co.kr "
    "ymail.com rocketmail.com yahoogroups.com yahoo-inc.com yahoodns.net",
    "aol.com aim.com cs.com netscape.net netscape.com compuserve.com aol.co.uk",
    "gmail.com googlemail.com google.com",
    "juno.com netzero.net netzero.com",
    "earthlink.net mindspring.com",
    "mail.com email.com usa.net",
    "gmx.net gmx.de gmx.com",
    "icloud.com me.com mac.com",
)

_DYNAMIC_TOKENS = frozenset(
    "dsl adsl xdsl sdsl vdsl dialup dial dialin dialip dyn dynamic dynip dhcp ppp pppoe pool "
    "cable cablemodem cm cpe client clients cust customer res resi residential broadband "
    "modem catv hsd user users home dip dsl-pool ip unknown unassigned".split()
)
_ADDRESS_IN_NAME = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_LOOPBACK_OR_PRIVATE = re.compile(
    r"^(?:127\.|10\.|192\.168\.|172\.(?:1[6-9]|2\d|3[01])\.|169\.254\.|::1$|fe80:)"
)

ITEM_FIELDS = {
    "indicator": ("text", "Which indicator (see the detector's documentation)."),
    "detail": ("text", "One sentence saying what was seen."),
    "field": ("text", "The field the evidence is in (e.g. received[2].raw, from.display_name)."),
    "start": ("int", "Start offset in that field."),
    "end": ("int", "End offset in that field."),
    "quote": ("text", "The text as written."),
}

@dataclass
class HeaderInputs:
    """Plain header values, as the field contract names them."""

    received: list[dict] = field(default_factory=list)
    authentication_results: list[dict] = field(default_factory=list)
    from_address: str | None = None
    from_display_name: str | None = None
    from_domain: str | None = None
    sender_domain: str | None = None
    return_path_domain: str | None = None
    reply_to: list[dict] = field(default_factory=list)
    to: list[dict] = field(default_factory=list)
    cc: list[dict] = field(default_factory=list)
    message_id: str | None = None
    message_id_domain: str | None = None
    trusted_hops: int = 1
    trusted_authserv_ids: tuple[str, ...] = ()


# ------------------------------------------------------------------- lists


def webmail_domains() -> frozenset[str]:
    return frozenset(d.lower() for d in word_list("free_mail_domains"))


def _under(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def brands() -> list[tuple[str, frozenset[str]]]:
    out = []
    for line in word_list("brands"):
        name, _, domains = line.partition(":")
        out.append((name.strip(), frozenset(domains.lower().split())))
    return out


def provider_family(host: str | None) -> frozenset[str] | None:
    """The webmail provider a host name belongs to, as the set of domains that provider
    runs; None when the host is not a listed webmail provider's."""
    if not host:
        return None
    host = host.lower().strip(".[]")
    domain = next((d for d in webmail_domains() if _under(host, d)), None)
    if domain is None:
        return None
    for group in PROVIDER_GROUPS:
        if domain in group.split():
            return frozenset(group.split()) | {domain}
    return frozenset([domain])


def in_family(host: str | None, family: frozenset[str]) -> bool:
    if not host:
        return False
    host = host.lower().strip(".[]")
    return any(_under(host, d) for d in family)


# ------------------------------------------------------------------- trust boundary


def split_received(received: list[dict], trusted_hops: int) -> tuple[list[dict], list[dict]]:
    """(trusted, untrusted): the top `trusted_hops` lines were added by the operator."""
    n = max(0, int(trusted_hops))
    return list(received[:n]), list(received[n:])


def handoff_hop(received: list[dict], trusted_hops: int) -> dict | None:
    """The lowest trusted line: the operator's server recording who connected to it."""
    trusted, _ = split_received(received, trusted_hops)
    return trusted[-1] if trusted else None


def trusted_auth_results(
    auth_results: list[dict], received: list[dict], trusted_hops: int,
    trusted_authserv_ids: tuple[str, ...] | list[str] = (),
) -> list[dict]:
    """A-R entries whose authserv-id is configured, or (none configured) equals the `by`
    host of a trusted Received line."""
    if trusted_authserv_ids:
        ids = {a.lower() for a in trusted_authserv_ids}
    else:
        trusted, _ = split_received(received, trusted_hops)
        ids = {(hop.get("by") or "").lower().strip(".") for hop in trusted} - {""}
    return [r for r in auth_results if (r.get("authserv_id") or "").lower().strip(".") in ids]


def looks_dynamic(rdns: str | None, ip: str | None) -> bool:
    """Reverse DNS that names a dial-up / DSL / cable pool or embeds the IP's digits."""
    if not rdns:
        return False
    name = rdns.lower().strip(".")
    tokens = set(re.split(r"[.\-_]+|(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", name))
    if tokens & _DYNAMIC_TOKENS:
        return True
    if ip and "." in ip:
        octets = ip.split(".")
        numbers = re.findall(r"\d{1,3}", name)
        return sum(1 for o in octets if o in numbers) >= 3
    return False


# ------------------------------------------------------------------- indicators


def _indicator(name: str, detail: str, evidence: dict[str, Any]) -> dict[str, Any]:
    return {"indicator": name, "detail": detail, **evidence}


def _in_raw(hop: dict, needle: str | None) -> dict[str, Any]:
    """A span of `needle` inside the hop's raw text (or the whole line)."""
    raw = hop.get("raw") or ""
    fieldname = f"received[{hop.get('index', 0)}].raw"
    if needle:
        at = raw.lower().find(needle.lower())
        if at >= 0:
            return span(fieldname, raw, at, at + len(needle))
    return span(fieldname, raw, 0, len(raw))


def _handoff_indicators(inp: HeaderInputs) -> list[dict[str, Any]]:
    hop = handoff_hop(inp.received, inp.trusted_hops)
    if not hop:
        return []
    out = []
    helo, rdns, ip = hop.get("from_name"), hop.get("from_rdns"), hop.get("ip")
    if ip and _LOOPBACK_OR_PRIVATE.match(ip):
        return []  # a local hand-off (fetchmail, content filter): nothing to judge
    family = provider_family(helo)
    if family and not in_family(rdns, family):
        seen = f"resolves to {rdns}" if rdns else "has no reverse DNS name"
        out.append(_indicator(
            "helo_claims_provider",
            f"The connecting computer introduced itself as {helo}, but its IP {ip or '?'} "
            f"{seen}.",
            _in_raw(hop, helo),
        ))
    if looks_dynamic(rdns, ip):
        out.append(_indicator(
            "dynamic_handoff",
            f"The message was handed to the operator's server by {ip or '?'} ({rdns}), a name "
            "that looks like a dynamic or residential connection.",
            _in_raw(hop, rdns),
        ))
    _, untrusted = split_received(inp.received, inp.trusted_hops)
    if untrusted:
        claimed = untrusted[0]
        by = claimed.get("by")
        family = provider_family(by)
        if family and not in_family(rdns, family):  # the HELO is a claim too
            out.append(_indicator(
                "claimed_provider_hop",
                f"A Received line claims the message passed through {by}, but the computer "
                f"that handed it over was {rdns or helo or ip or 'unidentified'} ({ip or '?'}).",
                _in_raw(claimed, by),
            ))
    out += _date_indicators(hop, untrusted)
    return out


def _date_indicators(handoff: dict, untrusted: list[dict]) -> list[dict[str, Any]]:
    received_at = handoff.get("date")
    if received_at is None or getattr(received_at, "tzinfo", None) is None:
        return []
    for hop in untrusted:
        when = hop.get("date")
        if when is None or getattr(when, "tzinfo", None) is None:
            continue
        try:
            late = when - received_at > timedelta(days=1)
        except (TypeError, OverflowError):
            continue
        if late:
            return [_indicator(
                "hop_date_after_receipt",
                f"A Received line the sender supplied is dated {when.isoformat()}, after the "
                f"operator received the message ({received_at.isoformat()}).",
                _in_raw(hop, None),
            )]
    return []


def _auth_indicators(inp: HeaderInputs) -> list[dict[str, Any]]:
    out = []
    trusted = [id(r) for r in _trusted_ar(inp)]
    for i, result in enumerate(inp.authentication_results):
        if id(result) not in trusted:
            continue
        method = (result.get("method") or "").lower()
        outcome = (result.get("result") or "").lower()
        if method not in {"spf", "dkim", "dmarc"} or outcome not in {"fail", "softfail"}:
            continue
        if method == "spf" and outcome == "softfail":
            continue
        domain = (result.get("header_from") if method == "dmarc" else result.get("header_d")
                  if method == "dkim" else result.get("smtp_mailfrom")) or "?"
        raw = result.get("raw") or ""
        token = f"{method}={outcome}"
        at = raw.lower().find(token)
        evidence = (span(f"authentication_results[{i}].raw", raw, at, at + len(token))
                    if at >= 0 else whole(f"authentication_results[{i}].raw", raw))
        out.append(_indicator(
            f"{method}_fail",
            f"The operator's server recorded {method.upper()} {outcome} for {domain} "
            f"(authserv-id {result.get('authserv_id')}).",
            evidence,
        ))
    return out


def _trusted_ar(inp: HeaderInputs) -> list[dict]:
    return trusted_auth_results(inp.authentication_results, inp.received, inp.trusted_hops,
                                inp.trusted_authserv_ids)


def _hosts_in_path(received: list[dict]) -> list[str]:
    hosts = []
    for hop in received:
        hosts += [h for h in (hop.get("by"), hop.get("from_name"), hop.get("from_rdns")) if h]
    return hosts


def _from_indicators(inp: HeaderInputs) -> list[dict[str, Any]]:
    out = []
    from_domain = (inp.from_domain or domain_of(inp.from_address) or "").lower()
    family = provider_family(from_domain)
    if family:
        via = any(in_family(h, family) for h in _hosts_in_path(inp.received))
        dkim_pass = any(
            (r.get("method") or "").lower() == "dkim" and (r.get("result") or "").lower() == "pass"
            and in_family(r.get("header_d"), family)
            for r in _trusted_ar(inp)
        )
        if not via and not dkim_pass:
            out.append(_indicator(
                "webmail_from_not_via_provider",
                f"From is a {from_domain} address, but no Received line mentions {from_domain}'s "
                "servers and no trusted DKIM signature covers it.",
                _address_span("from.address", inp.from_address, from_domain),
            ))
    name = inp.from_display_name or ""
    for brand, domains in brands():
        match = re.search(rf"(?<!\w){re.escape(brand)}(?!\w)", name, re.IGNORECASE)
        if match and from_domain and not any(in_family(from_domain, frozenset([d]))
                                              for d in domains):
            out.append(_indicator(
                "brand_display_name",
                f"The From name says {match.group(0)!r} but the address is at {from_domain}, "
                f"not a domain of {brand}.",
                span("from.display_name", name, match.start(), match.end()),
            ))
            break
    embedded = _ADDRESS_IN_NAME.search(name)
    if embedded and embedded.group(0).lower() != (inp.from_address or "").lower():
        out.append(_indicator(
            "address_in_display_name",
            f"The From name shows the address {embedded.group(0)} but the message is from "
            f"{inp.from_address}.",
            span("from.display_name", name, embedded.start(), embedded.end()),
        ))
    if "xn--" in from_domain:
        out.append(_indicator(
            "punycode_domain",
            f"The From domain {from_domain} is an internationalised name; check for a lookalike.",
            _address_span("from.address", inp.from_address, from_domain),
        ))
    recipients = {(r.get("address") or "").lower() for r in inp.to} - {""}
    if inp.from_address and inp.from_address.lower() in recipients:
        out.append(_indicator(
            "from_equals_recipient",
            f"The message claims to be from its own recipient {inp.from_address}.",
            whole("from.address", inp.from_address),
        ))
    return out


def _address_span(fieldname: str, value: str | None, part: str) -> dict[str, Any]:
    value = value or ""
    at = value.lower().rfind(part.lower()) if part else -1
    return span(fieldname, value, at, at + len(part)) if at >= 0 else whole(fieldname, value)


def _identity_domains(inp: HeaderInputs) -> list[str]:
    return [d for d in (inp.from_domain or domain_of(inp.from_address), inp.sender_domain,
                        inp.return_path_domain) if d]


_PRIVATE_TLDS = frozenset("local localdomain lan home internal intranet corp invalid test example "
                          "localhost nospam private domain".split())


def _public_name(domain: str) -> bool:
    labels = domain.split(".")
    return (
        len(labels) >= 2
        and registrable_domain(domain) is not None
        and labels[-1].isalpha()
        and 2 <= len(labels[-1]) <= 6
        and labels[-1] not in _PRIVATE_TLDS
        and not looks_dynamic(domain, None)
    )


def _message_id_indicators(inp: HeaderInputs) -> list[dict[str, Any]]:
    domain = (inp.message_id_domain or "").lower().strip(".[]")
    if not _public_name(domain):
        return []  # "localhost.localdomain", "host.lan", an IP: a machine name, not a claim
    candidates = _identity_domains(inp) + _hosts_in_path(inp.received)
    if any(related(domain, c) for c in candidates):
        return []
    return [_indicator(
        "message_id_domain_unrelated",
        f"The Message-ID names {domain}, which matches neither the sender's domains "
        f"({', '.join(_identity_domains(inp)) or 'none'}) nor any server in the Received chain.",
        _address_span("message_id", inp.message_id, domain),
    )]


def _reply_to_indicators(inp: HeaderInputs) -> list[dict[str, Any]]:
    out = []
    identity = _identity_domains(inp)
    recipients = {(r.get("address") or "").lower() for r in inp.to + inp.cc} - {""}
    for i, entry in enumerate(inp.reply_to):
        address = (entry.get("address") or "").lower()
        domain = entry.get("domain") or domain_of(address)
        if not domain or address in recipients or not identity:
            continue  # no domain, or a mailing list's "reply to the list"
        if any(related(domain, d) for d in identity):
            continue
        out.append(_indicator(
            "reply_to_unrelated",
            f"Replies go to {address}, on a domain unrelated to the sender's "
            f"({', '.join(identity)}).",
            _address_span(f"reply_to[{i}].address", entry.get("address"), domain),
        ))
    return out


def detect_header_indicators(inp: HeaderInputs) -> list[dict[str, Any]]:
    return (
        _handoff_indicators(inp)
        + _auth_indicators(inp)
        + _from_indicators(inp)
        + _message_id_indicators(inp)
        + _reply_to_indicators(inp)
    )


# ------------------------------------------------------------------- fields


def _trusted_hops(msg) -> int:
    value = case_setting(msg, "trusted_hops", 1)
    return value if isinstance(value, int) else 1


def _authserv_ids(msg) -> tuple[str, ...]:
    return tuple(case_setting(msg, "trusted_authserv_ids", ()) or ())


def inputs_from_message(msg) -> HeaderInputs:
    return HeaderInputs(
        received=list(msg.get("received") or []),
        authentication_results=list(msg.get("authentication_results") or []),
        from_address=msg.get("from.address"),
        from_display_name=msg.get("from.display_name"),
        from_domain=msg.get("from.domain"),
        sender_domain=msg.get("sender.domain"),
        return_path_domain=msg.get("return_path.domain"),
        reply_to=list(msg.get("reply_to") or []),
        to=list(msg.get("to") or []),
        cc=list(msg.get("cc") or []),
        message_id=msg.get("message_id"),
        message_id_domain=msg.get("message_id.domain"),
        trusted_hops=_trusted_hops(msg),
        trusted_authserv_ids=_authserv_ids(msg),
    )


RECEIVED_ITEM_FIELDS = {
    "index": ("int", "Position in the Received chain, 0 = top (most recent)."),
    "from_name": ("text", "The HELO name the connecting client gave."),
    "from_rdns": ("text", "Reverse DNS of the connecting IP as the receiving server saw it."),
    "ip": ("text", "The connecting IP."),
    "by": ("text", "The receiving server."),
    "with": ("text", "Protocol."),
    "id": ("text", "Queue id."),
    "for": ("text", "Envelope recipient."),
    "date": ("datetime", "When the receiving server stamped the line."),
    "raw": ("text", "The line as written."),
}


@register(
    "received.trusted",
    "list[record]",
    "Received lines added by the operator's own servers (top `trusted.hops`, default 1).",
    item_fields=RECEIVED_ITEM_FIELDS,
)
def received_trusted(msg) -> list[dict]:
    return split_received(msg.get("received") or [], _trusted_hops(msg))[0]


@register(
    "received.untrusted",
    "list[record]",
    "Received lines below the trust boundary: claims made by the sender or relays.",
    item_fields=RECEIVED_ITEM_FIELDS,
)
def received_untrusted(msg) -> list[dict]:
    return split_received(msg.get("received") or [], _trusted_hops(msg))[1]


def _handoff(msg) -> dict:
    return handoff_hop(msg.get("received") or [], _trusted_hops(msg)) or {}


@register("received.handoff_ip", "text",
          "IP of the computer that handed the message to the operator's servers.")
def received_handoff_ip(msg) -> str | None:
    return _handoff(msg).get("ip")


@register("received.handoff_rdns", "text",
          "Reverse DNS name of the handoff IP, as the operator's server recorded it.")
def received_handoff_rdns(msg) -> str | None:
    return _handoff(msg).get("from_rdns")


@register("received.handoff_helo", "text",
          "The HELO name the handoff computer gave the operator's server.")
def received_handoff_helo(msg) -> str | None:
    return _handoff(msg).get("from_name")


@register(
    "authentication_results.trusted",
    "list[record]",
    "Authentication-Results entries from a trusted authserv-id (configured, or else the "
    "`by` host of a trusted Received line).",
    item_fields={
        "authserv_id": ("text", "Who wrote the result."),
        "method": ("text", "spf, dkim, dmarc, ..."),
        "result": ("text", "pass, fail, softfail, neutral, none, ..."),
        "smtp_mailfrom": ("text", "SPF: the envelope sender checked."),
        "header_d": ("text", "DKIM: the signing domain."),
        "header_from": ("text", "DMARC: the From domain checked."),
        "properties": ("text", "Other properties as written."),
        "raw": ("text", "The header as written."),
    },
)
def authentication_results_trusted(msg) -> list[dict]:
    inp = msg.memo("detector:header_inputs", inputs_from_message)
    return _trusted_ar(inp)


@register(
    "header_integrity.indicators",
    "list[record]",
    "Signs that header information may be false or misleading (forged path, spoofed or "
    "brand-borrowing From, unrelated Message-ID / Reply-To); each is for review.",
    item_fields=ITEM_FIELDS,
)
def header_integrity_indicators(msg) -> list[dict[str, Any]]:
    inp = msg.memo("detector:header_inputs", inputs_from_message)
    return msg.memo("detector:header_integrity", lambda m: detect_header_indicators(inp))
