"""Header integrity indicators (15 U.S.C. § 7704(a)(1), (a)(6); state anti-spoofing laws).

Only the Received lines added by the trap operator's own mail servers are reliable: the
top `trusted_hops` lines (case setting `trusted.hops`, default 1: the topmost line). The
lowest trusted line is the *handoff*: its `from` part is the connecting client's true IP,
reverse DNS and HELO as our server saw them. Lines below are the sender's claims. A
handoff from a loopback or private address (fetchmail, a local content filter) is not
judged: set `trusted.hops` to cover the operator's whole chain (in the SpamAssassin corpus
that is three lines: the local delivery, fetchmail and the MX).

The boundary moves down by itself over the operator's internal hops: when the handoff
computer's reverse DNS (recorded by the trusted server, not the HELO claim) is in the same
registrable domain as a trusted `by` host, is not a dynamic-looking name, and the line below
was written by that same computer, that line is the operator's too (`by hq.example.net`
from `user2.example.net`, then `by user2.example.net` from the real origin).

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
  (§ 7704(a)(1)(C), (b)(3)). A name with the IP's digits is not counted when the HELO is
  a different, non-generic name in the same registrable domain (a named server in a
  hosting farm: `ws1-3.us4.example.com` at `205-158-62-55.example.com`);
- `claimed_provider_hop`: the first untrusted Received line claims to be written by a big
  provider's server, but the computer that handed the message over is not that provider's;
  or an untrusted line records a computer that introduced itself (HELO) as a big provider's
  server while the reverse DNS that line records for its IP is another network's;
- `hop_date_after_receipt`: an untrusted hop is dated more than a day after our receipt;
- `spf_fail`, `dkim_fail`, `dmarc_fail`: a trusted Authentication-Results failure;
- `webmail_from_not_via_provider`: From is a webmail address (list free_mail_domains) but
  no Received line names a server of that provider (as the receiving `by` host or as a
  recorded reverse DNS name; a bare HELO is only the sender's claim and does not count)
  and no trusted DKIM pass covers it;
- `brand_display_name`: the From display name names a brand (list brands) whose domains
  do not include the From domain;
- `address_in_display_name`: the display name contains a different email address;
- `punycode_domain`: the From domain is an internationalised (xn--) name (lookalikes);
- `from_equals_recipient`: From is the same address as a To address, on mail that is not
  list mail (no List-Id / List-Post / Mailing-List / X-BeenThere / X-Mailman-Version
  header and no Sender other than the From address: a list's "-admin" notices and an
  author who writes To himself and Bcc's a list are normal). On list mail it still counts
  when From is the list's own posting address or the address the operator's server
  received the message for. The detail quotes that envelope recipient beside the To;
- `message_id_domain_unrelated`: the Message-ID domain matches neither the From, Sender,
  Return-Path domains nor any host in the Received chain (machine names such as
  localhost.localdomain, *.lan or dial-up host names are not flagged; nor is the domain of
  a mail program's client-made Message-ID such as Outlook's `<hex$hex$hex@domain>`, which
  is the sender's PC's network (its access provider), unless it names a webmail
  provider's domain);
- `reply_to_unrelated`: a Reply-To address on a domain unrelated to From / Sender /
  Return-Path (one provider's domains count as one: PROVIDER_GROUPS), and not a mailing
  list's own address (in To/Cc, the Sender, or the list headers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
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
from checker.display import quoted
from checker.fields import register
from checker.legal_date import format_utc

# Webmail domains come from the counsel-editable list rules/lists/free_mail_domains.yaml and
# brands from rules/lists/brands.yaml. Domains one provider runs together are grouped here:
# a hotmail.com From relayed by msn.com servers is consistent, and so is a Reply-To at
# yahoogroups.com on mail whose Return-Path is at groups.yahoo.com (the servers' domain,
# e.g. mindspring.net for mindspring.com and outblaze.com for mail.com, belongs here too).
PROVIDER_GROUPS = (
    "hotmail.com hotmail.co.uk hotmail.fr msn.com live.com outlook.com passport.com microsoft.com",
    "yahoo.com yahoo.co.uk yahoo.fr yahoo.de yahoo.ca yahoo.com.au yahoo.co.jp yahoo.co.kr "
    "ymail.com rocketmail.com yahoogroups.com yahoogroups.co.uk egroups.com yahoo-inc.com "
    "yahoodns.net",
    "aol.com aim.com cs.com netscape.net netscape.com compuserve.com aol.co.uk",
    "gmail.com googlemail.com google.com",
    "juno.com netzero.net netzero.com",
    "earthlink.net mindspring.com mindspring.net",
    "mail.com email.com usa.net outblaze.com",
    "gmx.net gmx.de gmx.com",
    "icloud.com me.com mac.com",
)

_DYNAMIC_TOKENS = frozenset(
    "dsl adsl xdsl sdsl vdsl dialup dial dialin dialip dyn dynamic dynip dhcp ppp pppoe pool "
    "cable cablemodem catv hsd broadband modem residential resi dsl-pool unassigned".split()
)
# Words that also name ordinary servers ("user2.example.net", "home.example.org",
# "client1.example.com"): they count only in a label below the host's own name (the
# "client2" of "vns.ne.client2.example.net") or beside the IP's digits.
_WEAK_DYNAMIC_TOKENS = frozenset(
    "cm cpe client clients cust customer res user users home dip ip unknown".split()
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
    sender_address: str | None = None
    sender_domain: str | None = None
    return_path_domain: str | None = None
    reply_to: list[dict] = field(default_factory=list)
    to: list[dict] = field(default_factory=list)
    cc: list[dict] = field(default_factory=list)
    message_id: str | None = None
    message_id_domain: str | None = None
    trusted_hops: int = 1
    trusted_authserv_ids: tuple[str, ...] = ()
    list_mail: bool = False  # List-Id, List-Post, Mailing-List ... headers are present
    list_addresses: tuple[str, ...] = ()  # addresses those headers name


# ------------------------------------------------------------------- lists


def webmail_domains() -> frozenset[str]:
    return frozenset(d.lower() for d in word_list("free_mail_domains"))


def _under(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def brands() -> list[tuple[str, frozenset[str]]]:
    return [(name, domains) for name, domains, _ in _brand_patterns(word_list("brands"))]


@lru_cache(maxsize=4)
def _brand_patterns(entries: tuple[str, ...]) -> tuple[tuple[str, frozenset[str], re.Pattern[str]], ...]:
    """(brand, its domains, the brand as a whole word in any case) per list entry,
    compiled once per list rather than once per brand per message."""
    out = []
    for line in entries:
        name, _, domains = line.partition(":")
        name = name.strip()
        out.append((name, frozenset(domains.lower().split()),
                    re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)))
    return tuple(out)


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


MAX_INTERNAL_HOPS = 5


def _internal(hop: dict, below: dict, trusted_by: set[str]) -> bool:
    """`hop` (trusted) was handed the message by one of the operator's own servers, which
    wrote `below`: the recorded reverse DNS shares a registrable domain with a trusted
    `by` host, is not a pool name, and `below` was written by that same computer."""
    rdns = (hop.get("from_rdns") or "").lower().strip(".")
    ip = hop.get("ip")
    if not rdns or looks_dynamic(rdns, ip) or not any(related(rdns, by) for by in trusted_by):
        return False
    below_by = (below.get("by") or "").lower().strip(".")
    return below_by == rdns


def trust_boundary(received: list[dict], trusted_hops: int) -> int:
    """How many top lines are the operator's: `trusted_hops`, extended over internal hops
    (at most MAX_INTERNAL_HOPS more)."""
    n = min(max(0, int(trusted_hops)), len(received))
    if n == 0:
        return 0
    trusted_by = {(h.get("by") or "").lower().strip(".") for h in received[:n]} - {""}
    extra = 0
    while n < len(received) and extra < MAX_INTERNAL_HOPS and _internal(
            received[n - 1], received[n], trusted_by):
        trusted_by.add((received[n].get("by") or "").lower().strip("."))
        n, extra = n + 1, extra + 1
    return n


def split_received(received: list[dict], trusted_hops: int) -> tuple[list[dict], list[dict]]:
    """(trusted, untrusted): the top `trusted_hops` lines were added by the operator, and
    so were the internal hops below them (see `trust_boundary`)."""
    n = trust_boundary(received, trusted_hops)
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


def _tokens(label: str) -> set[str]:
    return set(re.split(r"[\-_]+|(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", label))


def _has_ip_digits(name: str, ip: str | None) -> bool:
    if not ip or "." not in ip:
        return False
    numbers = re.findall(r"\d{1,3}", name)
    return sum(1 for octet in ip.split(".") if octet in numbers) >= 3


_IP_LIKE = re.compile(r"\d{1,3}[.\-_]\d{1,3}[.\-_]\d{1,3}")


def _named_server(helo: str | None, rdns: str) -> bool:
    """The HELO is another, non-generic name in the rDNS name's registrable domain: the
    computer is a named server of that organisation, not a pool address."""
    if not helo:
        return False
    helo = helo.lower().strip(".[]")
    return (helo != rdns and related(helo, rdns) and not _IP_LIKE.search(helo)
            and not _tokens_dynamic(helo))


def _tokens_dynamic(name: str) -> bool:
    labels = [label for label in name.split(".") if label]
    if any(_tokens(label) & _DYNAMIC_TOKENS for label in labels):
        return True
    return any(_tokens(label) & _WEAK_DYNAMIC_TOKENS for label in labels[1:-2])


def _what_the_name_shows(rdns: str) -> str:
    """Why `looks_dynamic` held, in words that are true of this name: a word that marks a
    dial-up, DSL, cable or address pool ("dsl", "dyn"), or only the IP's digits (which
    pooled, residential and rented hosting connections all have: a generic name, not a
    named mail server; a name such as "static.1-2-3-4.hosting.example" is not dynamic)."""
    words = sorted(set().union(*(_tokens(label) for label in rdns.lower().split("."))) & _DYNAMIC_TOKENS)
    if words:
        return f"a name that marks a dynamic or residential connection ({quoted(words[0])})"
    return ("a generic name built from its IP address, as pooled, residential or rented "
            "hosting connections have, not the name of a mail server")


def looks_dynamic(rdns: str | None, ip: str | None, helo: str | None = None) -> bool:
    """Reverse DNS that names a dial-up / DSL / cable pool, or embeds the IP's digits (unless
    the HELO shows a named server of the same organisation)."""
    if not rdns:
        return False
    name = rdns.lower().strip(".")
    if _tokens_dynamic(name):
        return True
    labels = name.split(".")
    weak_beside_digits = bool(_tokens(labels[0]) & _WEAK_DYNAMIC_TOKENS) and bool(
        _IP_LIKE.search(name))
    if weak_beside_digits:
        return True
    return _has_ip_digits(name, ip) and not _named_server(helo, name)


# ------------------------------------------------------------------- indicators


def _indicator(name: str, detail: str, evidence: dict[str, Any]) -> dict[str, Any]:
    return {"indicator": name, "detail": detail, **evidence}


def _when(moment: Any) -> str:
    """A Received date as people read it: "2025-06-20 09:00:00 UTC"."""
    try:
        return format_utc(moment)
    except (ValueError, OverflowError):
        return str(moment)


# Where each part of a hop is written, so that a name the line holds twice (a HELO that
# equals the reverse DNS name, a `by` host that also sent) is highlighted where it plays
# the part the sentence speaks of. `{}` is the escaped name.
_PART_CONTEXT = {
    "by": r"(?<![\w.-])by\s+({})",
    "rdns": r"\(\s*(?:[^\s()@]*@)?({})\s*\[",  # "(rdns [ip])", "(user@rdns [ip])"
    "helo": r"(?:(?<![\w.-])from\s+|helo=)({})",
}


def _in_raw(hop: dict, needle: str | None, part: str | None = None) -> dict[str, Any]:
    """A span of `needle` inside the hop's raw text where it is written as `part` ("by",
    "rdns" or "helo"), else its first occurrence, else the whole line."""
    raw = hop.get("raw") or ""
    fieldname = f"received[{hop.get('index', 0)}].raw"
    if needle:
        context = _PART_CONTEXT.get(part or "")
        found = context and re.search(context.format(re.escape(needle)), raw, re.IGNORECASE)
        if found:
            return span(fieldname, raw, found.start(1), found.end(1))
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
            _in_raw(hop, helo, "helo"),
        ))
    if looks_dynamic(rdns, ip, helo):
        out.append(_indicator(
            "dynamic_handoff",
            f"The message was handed to the operator's server by {ip or '?'} ({rdns}), "
            f"{_what_the_name_shows(rdns)}.",
            _in_raw(hop, rdns, "rdns"),
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
                _in_raw(claimed, by, "by"),
            ))
    out += _forged_provider_helos(untrusted)
    out += _forged_sender_hop(inp, hop, untrusted)
    out += _date_indicators(hop, untrusted)
    return out


def _dmarc_failed_for(inp: HeaderInputs, from_org: str) -> bool:
    """The operator's server recorded a DMARC failure for the From address's organisation."""
    return any((r.get("method") or "").lower() == "dmarc" and (r.get("result") or "").lower() == "fail"
               and registrable_domain(r.get("header_from")) == from_org for r in _trusted_ar(inp))


def _handoff_named(handoff: dict) -> str:
    """The handing-over computer as the trusted server recorded it (its HELO is a claim)."""
    ip, rdns = handoff.get("ip") or "?", handoff.get("from_rdns")
    return f"{rdns} ({ip})" if rdns else f"{ip} (no reverse DNS name)"


def _forged_sender_hop(inp: HeaderInputs, handoff: dict, untrusted: list[dict]) -> list[dict[str, Any]]:
    """A sender-supplied Received line claiming that the From domain's own server received
    the message from a private address (`from [192.168.1.23] by smtp.bank.example`), on a
    message that the operator received from another network and for whose From domain the
    operator's server recorded a DMARC failure: the path was written to look like the
    domain's own. Without that failure the line is ordinary: organisations submit mail from
    internal addresses and relay it through other networks every day."""
    from_org = registrable_domain(inp.from_domain or domain_of(inp.from_address))
    if not from_org or not untrusted or not _dmarc_failed_for(inp, from_org):
        return []
    if registrable_domain(handoff.get("from_rdns")) == from_org:
        return []
    for hop in untrusted[:3]:
        by, ip = hop.get("by"), hop.get("ip")
        if registrable_domain(by) == from_org and ip and _LOOPBACK_OR_PRIVATE.match(ip):
            return [_indicator(
                "claimed_provider_hop",
                f"A Received line the sender supplied claims that {by}, a server of the From "
                f"domain, received the message from the private address {ip}; but the computer "
                f"that handed it to the operator's server was "
                f"{_handoff_named(handoff)}, outside that domain.",
                _in_raw(hop, by, "by"),
            )]
    return []


def _forged_provider_helos(untrusted: list[dict]) -> list[dict[str, Any]]:
    """Untrusted lines recording a provider HELO from an IP whose recorded reverse DNS is
    another network's (`from mx1.mail.yahoo.com (dial-1.example.nl [...])`). A line with
    no reverse DNS proves nothing: many servers do not look names up."""
    for hop in untrusted:
        helo, rdns = hop.get("from_name"), hop.get("from_rdns")
        family = provider_family(helo)
        if family and rdns and "." in rdns and not in_family(rdns, family):
            return [_indicator(
                "claimed_provider_hop",
                f"A Received line the sender supplied records a computer that introduced "
                f"itself as {helo}, but the name recorded for its IP {hop.get('ip') or '?'} "
                f"is {rdns}.",
                _in_raw(hop, helo, "helo"),
            )]
    return []


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
                f"A Received line the sender supplied is dated {_when(when)}, after the "
                f"operator received the message ({_when(received_at)}).",
                _in_raw(hop, None),
            )]
    return []


def _auth_indicators(inp: HeaderInputs) -> list[dict[str, Any]]:
    out = []
    trusted_results = _trusted_ar(inp)
    trusted = [id(r) for r in trusted_results]
    dmarc_failed = any((r.get("method") or "").lower() == "dmarc" and (r.get("result") or "").lower() == "fail"
                       for r in trusted_results)
    for i, result in enumerate(inp.authentication_results):
        if id(result) not in trusted:
            continue
        method = (result.get("method") or "").lower()
        outcome = (result.get("result") or "").lower()
        if method not in {"spf", "dkim", "dmarc"} or outcome not in {"fail", "softfail"}:
            continue
        if method == "spf" and outcome == "softfail" and not dmarc_failed:
            continue  # a softfail alone is a policy hint; beside a DMARC failure, a sign
        domain = (result.get("header_from") if method == "dmarc" else result.get("header_d")
                  if method == "dkim" else result.get("smtp_mailfrom")) or "?"
        raw = result.get("raw") or ""
        token = f"{method}={outcome}"
        at = raw.lower().find(token)
        evidence = (span(f"authentication_results[{i}].raw", raw, at, at + len(token))
                    if at >= 0 else whole(f"authentication_results[{i}].raw", raw))
        policy = _DMARC_POLICY.search(raw) if method == "dmarc" else None
        stated = f", whose published policy is p={policy.group(1).lower()}" if policy else ""
        out.append(_indicator(
            f"{method}_fail",
            f"The operator's server recorded {method.upper()} {outcome} for {domain}{stated} "
            f"(authserv-id {result.get('authserv_id')}).",
            evidence,
        ))
    return out


# The domain's DMARC policy as the receiving server notes it: "dmarc=fail (p=REJECT sp=...)".
_DMARC_POLICY = re.compile(r"dmarc=fail\s*\(\s*p=(none|quarantine|reject)\b", re.IGNORECASE)


def _trusted_ar(inp: HeaderInputs) -> list[dict]:
    return trusted_auth_results(inp.authentication_results, inp.received, inp.trusted_hops,
                                inp.trusted_authserv_ids)


def _hosts_in_path(received: list[dict]) -> list[str]:
    hosts = []
    for hop in received:
        hosts += [h for h in (hop.get("by"), hop.get("from_name"), hop.get("from_rdns")) if h]
    return hosts


def _servers_in_path(received: list[dict]) -> list[str]:
    """Hosts a Received line names as a server: the receiving `by` host and the recorded
    reverse DNS of the connecting IP; not the HELO, which is whatever the client said."""
    return [h for hop in received for h in (hop.get("by"), hop.get("from_rdns")) if h]


def _from_indicators(inp: HeaderInputs) -> list[dict[str, Any]]:
    out = []
    from_domain = (inp.from_domain or domain_of(inp.from_address) or "").lower()
    family = provider_family(from_domain)
    if family:
        via = any(in_family(h, family) for h in _servers_in_path(inp.received))
        dkim_pass = any(
            (r.get("method") or "").lower() == "dkim" and (r.get("result") or "").lower() == "pass"
            and in_family(r.get("header_d"), family)
            for r in _trusted_ar(inp)
        )
        if not via and not dkim_pass:
            out.append(_indicator(
                "webmail_from_not_via_provider",
                f"From is an address at {from_domain}, but no Received line names a server of "
                f"{from_domain}'s provider and no trusted DKIM signature covers it.",
                _address_span("from.address", inp.from_address, from_domain),
            ))
    name = inp.from_display_name or ""
    for brand, domains, pattern in _brand_patterns(word_list("brands")):
        match = pattern.search(name)
        if match and from_domain and not any(in_family(from_domain, frozenset([d]))
                                              for d in domains):
            out.append(_indicator(
                "brand_display_name",
                f"The From name says {quoted(match.group(0))} but the address is at {from_domain}, "
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
    out += _self_addressed(inp)
    return out


def _envelope_recipient(inp: HeaderInputs) -> str | None:
    """The `for <...>` address the operator's own servers recorded, nearest the handoff."""
    trusted, _ = split_received(inp.received, inp.trusted_hops)
    return next((h["for"] for h in reversed(trusted) if h.get("for")), None)


def _self_addressed(inp: HeaderInputs) -> list[dict[str, Any]]:
    """From is the To address. On list mail that alone shows nothing (a list's "-admin"
    notices, an author writing To himself with the list in Bcc): there it counts only when
    From is the list's own posting address, or the operator's server received the
    message for the From address itself."""
    sender = (inp.from_address or "").lower()
    recipients = {(r.get("address") or "").lower() for r in inp.to} - {""}
    if not sender or sender not in recipients:
        return []
    envelope = _envelope_recipient(inp)
    to_trap = bool(envelope) and envelope.lower() == sender
    as_list = sender in {a.lower() for a in inp.list_addresses}
    if _list_mail(inp) and not (to_trap or as_list):
        return []
    if to_trap:
        seen = ", the address the operator's server received it for"
    elif as_list:
        seen = ", which is the mailing list's own address"
    elif envelope:
        seen = f"; the operator's server received it for <{envelope}>"
    else:
        seen = ""
    return [_indicator(
        "from_equals_recipient",
        f"From is the same address as the To header ({inp.from_address}){seen}.",
        whole("from.address", inp.from_address),
    )]


def _list_mail(inp: HeaderInputs) -> bool:
    """List headers, or a Sender other than the From address (a list or its owner sent it)."""
    sender = (inp.sender_address or "").lower()
    return inp.list_mail or bool(sender and sender != (inp.from_address or "").lower())


def _address_span(fieldname: str, value: str | None, part: str) -> dict[str, Any]:
    value = value or ""
    at = value.lower().rfind(part.lower()) if part else -1
    return span(fieldname, value, at, at + len(part)) if at >= 0 else whole(fieldname, value)


def _identity_domains(inp: HeaderInputs) -> list[str]:
    """From, Sender and Return-Path domains, each once, in that order."""
    found = (inp.from_domain or domain_of(inp.from_address), inp.sender_domain,
             inp.return_path_domain)
    return list(dict.fromkeys(d.lower() for d in found if d))


def _group_of(host: str | None) -> str | None:
    """The PROVIDER_GROUPS line a host's registrable domain is in (or None)."""
    domain = registrable_domain(host)
    return next((group for group in PROVIDER_GROUPS if domain and domain in group.split()), None)


def same_organisation(host_a: str | None, host_b: str | None) -> bool:
    """Same registrable domain, or two domains of one provider (yahoogroups.com and
    groups.yahoo.com)."""
    group = _group_of(host_a)
    return related(host_a, host_b) or (group is not None and group == _group_of(host_b))


_PRIVATE_TLDS = frozenset("local localdomain lan home internal intranet corp invalid test example "
                          "localhost nospam private domain".split())


_HOST_NAME = re.compile(r"[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)+")


def _public_name(domain: str) -> bool:
    labels = domain.split(".")
    return (
        len(labels) >= 2
        and _HOST_NAME.fullmatch(domain) is not None  # not a file path ("c:\...\domains2.txt")
        and registrable_domain(domain) is not None
        and labels[-1].isalpha()
        and 2 <= len(labels[-1]) <= 6
        and labels[-1] not in _PRIVATE_TLDS
        and not looks_dynamic(domain, None)
    )


# Outlook / Outlook Express / Exchange client Message-IDs: <00c401c25039$7b055460$976fa8c0@x>
# (a counter, then the time's high word, 01c2 in 2002 ... 01d* later; then the PC's address).
# The domain is the PC's own DNS suffix, i.e. its access network, not a sending server.
# Bulk mailers' imitations zero-pad every part (<00005b76656e$000000d1$00004d2e@...>).
_CLIENT_MESSAGE_ID = re.compile(r"^<?[0-9a-f]{4}01[cd][0-9a-f]{5}\$[0-9a-f]{8}\$[0-9a-f]{8}@",
                                re.IGNORECASE)


def _message_id_indicators(inp: HeaderInputs) -> list[dict[str, Any]]:
    domain = (inp.message_id_domain or "").lower().strip(".[]")
    if not _public_name(domain):
        return []  # "localhost.localdomain", "host.lan", an IP: a machine name, not a claim
    if _CLIENT_MESSAGE_ID.match((inp.message_id or "").strip()) and not provider_family(domain):
        return []  # the sender's PC named its own network: normal, not a claim about a server
    candidates = _identity_domains(inp) + _hosts_in_path(inp.received)
    if any(same_organisation(domain, c) for c in candidates):
        return []
    return [_indicator(
        "message_id_domain_unrelated",
        f"The Message-ID names {domain}, which matches neither the sender's domains "
        f"({', '.join(_identity_domains(inp)) or 'none'}) nor any server in the Received chain.",
        _address_span("message_id", inp.message_id, domain),
    )]


def _list_addresses(inp: HeaderInputs) -> set[str]:
    """Addresses a reply-to-list would use: To/Cc, the Sender, the list headers."""
    found = {(r.get("address") or "").lower() for r in inp.to + inp.cc}
    found |= {(inp.sender_address or "").lower()} | {a.lower() for a in inp.list_addresses}
    return found - {""}


def _reply_to_indicators(inp: HeaderInputs) -> list[dict[str, Any]]:
    out = []
    identity = _identity_domains(inp)
    list_addresses = _list_addresses(inp)
    for i, entry in enumerate(inp.reply_to):
        address = (entry.get("address") or "").lower()
        domain = entry.get("domain") or domain_of(address)
        if not domain or address in list_addresses or not identity:
            continue  # no domain, or a mailing list's "reply to the list"
        if any(same_organisation(domain, d) for d in identity):
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
        sender_address=msg.get("sender.address"),
        sender_domain=msg.get("sender.domain"),
        return_path_domain=msg.get("return_path.domain"),
        reply_to=list(msg.get("reply_to") or []),
        to=list(msg.get("to") or []),
        cc=list(msg.get("cc") or []),
        message_id=msg.get("message_id"),
        message_id_domain=msg.get("message_id.domain"),
        trusted_hops=_trusted_hops(msg),
        trusted_authserv_ids=_authserv_ids(msg),
        **_list_headers(msg.get("headers") or []),
    )


_LIST_HEADERS = frozenset({"list-id", "list-post", "list-help", "list-subscribe",
                           "list-unsubscribe", "list-archive", "mailing-list", "x-beenthere",
                           "x-mailman-version", "x-list", "x-mailing-list"})
_LIST_ADDRESS_HEADERS = frozenset({"list-post", "mailing-list", "x-beenthere", "x-mailing-list",
                                   "delivered-to"})
_ADDRESS = re.compile(r"[\w.+\-=]+@[\w\-]+(?:\.[\w\-]+)+")


def _list_headers(headers: list[dict]) -> dict[str, Any]:
    """Whether list headers are present and the list addresses they name. List-Unsubscribe
    alone is not list mail (every bulk mailer writes one); Delivered-To only names a
    list when it says "mailing list"."""
    names = {(h.get("name") or "").lower() for h in headers}
    addresses = []
    for h in headers[:200]:
        name, value = (h.get("name") or "").lower(), (h.get("value") or "")[:500]
        if name not in _LIST_ADDRESS_HEADERS:
            continue
        if name == "delivered-to" and not value.lower().startswith("mailing list"):
            continue
        addresses += _ADDRESS.findall(value)
    list_mail = bool(names & (_LIST_HEADERS - {"list-unsubscribe"}))
    return {"list_mail": list_mail, "list_addresses": tuple(dict.fromkeys(addresses))}


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
