"""What one message contributes to campaign grouping and to "who is behind it".

`describe(message)` reads registered fields only (the same extraction the audit uses) and
returns a small picklable `MessageFacts`: the MinHash signature of the message's
normalised visible text, the join keys of its advertised landing pages, and its
infrastructure indicators (advertised domains, landing URLs, phone numbers, payment
addresses, From / Return-Path domains, the sending IP from the trusted hop and its
network, reply addresses).

Normalisation makes one template's copies look alike: URLs, e-mail addresses, numbers,
tracking-ID-like tokens, the recipient's own name and address, and the word after a
greeting ("Dear John") become placeholders. Everything is bounded: the text read is
capped, and so are the indicators kept per message.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

NUM_PERM = 128
SCHEME = "affine32"  # datasketch >= 2 hashing scheme (values must be compared within one)
SHINGLE_WORDS = 4
MIN_TOKENS = 8  # fewer normalised words than this: too little text to compare by content
MAX_TEXT = 200_000  # characters of visible text read per message
MAX_INDICATORS = 50  # values kept per message and kind

# Kinds of indicator, in report order, with the heading a report prints for each.
KINDS = {
    "advertised_domain": "Advertised registrable domains",
    "landing_url": "Landing URLs (tracking parameters removed)",
    "phone": "Phone numbers",
    "payment": "Payment and crypto-currency addresses",
    "from_domain": "From domains",
    "return_path_domain": "Return-Path domains",
    "sending_ip": "Sending IPs (trusted hand-off)",
    "sending_network": "Sending networks (/24, /48)",
    "reply_address": "Reply addresses (Reply-To, mailto links)",
}

# Query parameters that track a recipient or a click rather than name the page.
TRACKING_PARAMS = re.compile(
    r"^(utm_[a-z]+|gclid|fbclid|msclkid|dclid|mc_[ce]id|_hs(enc|mi)|mkt_tok|oly_(anon|enc)_id|"
    r"vero_(conv|id)|trk|trkid|track(ing)?(_?id)?|click(_?id)?|cid|sid|uid|rid|eid|mid|"
    r"subid|sub_?id\d*|aff(_?id)?|affiliate(_?id)?|ref|referrer|source|src|campaign(_?id)?|"
    r"email|e-?mail|recipient|user(_?id)?|id|token|hash|sig|r|u|e|m|c|s|t)$",
    re.IGNORECASE,
)

# Big platforms, free hosts, shorteners and standards sites: many unrelated senders link
# to them, so a shared link there does not make two messages one campaign (it is still
# listed as an indicator).
SHARED_PLATFORMS = frozenset("""
    aol.com apple.com adobe.com amazon.com angelfire.com bit.ly blogspot.com cnn.com
    facebook.com geocities.com google.com goo.gl hotmail.com instagram.com linkedin.com
    live.com lycos.com macromedia.com microsoft.com msn.com netscape.com outlook.com
    ow.ly paypal.com t.co tinyurl.com tripod.com twitter.com w3.org whatsapp.com
    wikipedia.org x.com yahoo.com youtube.com
""".split())

# Links that manage a subscription or a mailing list rather than advertise (they join no
# campaigns: a list server or a removal service is shared by unrelated senders).
OPT_OUT_WORDS = re.compile(r"unsub|remove|opt.?out|optout|leave|stop|preferences|manage"
                           r"|listinfo|mailman|majordomo|subscri", re.IGNORECASE)

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_GREETING = re.compile(r"\b(dear|hi|hello|hey|attn|attention|greetings)\s+([^\W\d_]+)",
                       re.IGNORECASE)
_PHONE = re.compile(
    r"(?<![\w+])(?:\+?1[\s.-]?)?\(?([2-9]\d{2})\)?[\s.-]?([2-9]\d{2})[\s.-]?(\d{4})(?![\w-])"
    r"|(?<![\w+])\+([2-9]\d{0,2})[\s.-]?((?:\d[\s.-]?){6,12}\d)(?!\w)")
_CRYPTO = re.compile(
    r"(?<![\w])(bc1[ac-hj-np-z02-9]{11,71}|[13][a-km-zA-HJ-NP-Z1-9]{25,34}|0x[0-9a-fA-F]{40}"
    r"|[LM][a-km-zA-HJ-NP-Z1-9]{26,33}|T[1-9A-HJ-NP-Za-km-z]{33})(?![\w])")
_CRYPTO_WORDS = re.compile(r"bitcoin|btc|wallet|crypto|ethereum|\beth\b|usdt|tether|litecoin"
                           r"|payment|send|deposit", re.IGNORECASE)


@dataclass(frozen=True)
class MessageFacts:
    """One message's contribution (picklable; no raw text kept)."""

    signature: bytes | None  # MinHash hash values (uint64, native order); None: too little text
    text_key: str  # digest of the normalised text (exact-template duplicates)
    join_keys: tuple[str, ...]  # landing pages that make messages one campaign
    indicators: dict[str, tuple[str, ...]] = field(default_factory=dict)
    subject: str = ""
    received: str | None = None  # ISO-8601 UTC of the legal date (receipt, else Date)
    date_source: str | None = None


# --- public suffix list (offline) --------------------------------------------------------


@lru_cache(maxsize=1)
def _psl():
    """The Public Suffix List bundled with `publicsuffixlist` (never fetched)."""
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


@lru_cache(maxsize=65536)
def registrable_domain(host: str | None) -> str | None:
    """The registrable domain of `host` ('www.shop.example.co.uk' → 'example.co.uk'); an
    IP address stays itself; None for no host or a bare public suffix."""
    if not host:
        return None
    host = host.strip().strip(".").lower()
    if not host:
        return None
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    return _psl().privatesuffix(host)


def clean_url(url: str) -> str | None:
    """A landing URL without tracking parameters, fragment or credentials: scheme, lowercase
    host, path and the remaining query. None when it is not an http(s) URL."""
    url = url.strip()
    if url.lower().startswith("www."):
        url = "http://" + url
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not TRACKING_PARAMS.match(k)]
    path = parts.path or "/"
    text = f"{parts.scheme.lower()}://{host}{path}"
    return text + ("?" + urlencode(query) if query else "")


def sending_network(ip: str | None) -> str | None:
    """The /24 of an IPv4 address or the /48 of an IPv6 address."""
    try:
        address = ipaddress.ip_address((ip or "").strip("[]"))
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


# --- text normalisation ------------------------------------------------------------------


def _recipient_words(message) -> set[str]:
    words = set()
    for record in _records(message, "to"):
        address = (record.get("address") or "").lower()
        local = address.split("@", 1)[0]
        words.update(w for w in re.split(r"[^\w]+", local) if len(w) > 2)
        words.update(w.lower() for w in _TOKEN.findall(record.get("display_name") or "")
                     if len(w) > 2)
    return words


def normalised_tokens(text: str, recipient_words: set[str] = frozenset()) -> list[str]:
    """The words of `text` as one template's copies share them (see module docstring)."""
    text = _URL.sub(" ⟨url⟩ ", text[:MAX_TEXT])
    text = _EMAIL.sub(" ⟨email⟩ ", text)
    text = _GREETING.sub(lambda m: f"{m.group(1)} ⟨name⟩", text)
    tokens = []
    for token in _TOKEN.findall(text.lower()):
        if any(ch.isdigit() for ch in token):
            token = "⟨n⟩"
        elif len(token) >= 16 and not token.isalpha():
            token = "⟨id⟩"
        elif len(token) >= 20:
            token = "⟨id⟩"  # a run of letters no language has: a tracking token
        elif token in recipient_words:
            token = "⟨name⟩"
        tokens.append(token)
    return tokens


def shingles(tokens: list[str]) -> set[bytes]:
    if len(tokens) < SHINGLE_WORDS:
        return {" ".join(tokens).encode()} if tokens else set()
    return {" ".join(tokens[i:i + SHINGLE_WORDS]).encode()
            for i in range(len(tokens) - SHINGLE_WORDS + 1)}


@lru_cache(maxsize=1)
def _permutations():
    """One MinHash object's permutations, shared by every signature."""
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME).permutations


def signature(tokens: list[str]) -> bytes | None:
    from datasketch import MinHash

    grams = shingles(tokens)
    if len(tokens) < MIN_TOKENS or not grams:
        return None
    minhash = MinHash(num_perm=NUM_PERM, seed=1, permutations=_permutations(), scheme=SCHEME)
    minhash.update_batch(sorted(grams))
    return minhash.hashvalues.astype("uint64").tobytes()


# --- indicators --------------------------------------------------------------------------


def _records(message, name: str) -> list[dict]:
    value = message.get(name)
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


def _text(message, name: str) -> str:
    value = message.get(name)
    return value if isinstance(value, str) else ""


def legal_date(message) -> tuple[datetime | None, str | None]:
    """The legal date (contract 2: trusted receipt time, else the Date header), with its
    source. Falls back to the Date header while `legal_date` is not registered."""
    try:
        value = message.get("legal_date")
        source = message.get("legal_date.source")
    except KeyError:
        value, source = message.get("date.utc"), "date_header"
        if message.get("date.error"):  # missing, unparsable or implausible: not a date
            value = None
    if not isinstance(value, datetime):
        return None, None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC), source


def _phones(text: str) -> list[str]:
    found = []
    for match in _PHONE.finditer(text):
        if match.group(1):
            found.append(f"+1 {match.group(1)}-{match.group(2)}-{match.group(3)}")
        else:
            digits = re.sub(r"\D", "", match.group(5))
            found.append(f"+{match.group(4)} {digits}")
    return found


def _payments(text: str) -> list[str]:
    if not _CRYPTO_WORDS.search(text):
        return []
    return [m.group(1) for m in _CRYPTO.finditer(text)
            if not m.group(1).isalpha() and not m.group(1).isdigit()]


def _unique(values, limit: int = MAX_INDICATORS) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
            if len(seen) >= limit:
                break
    return tuple(seen)


def _is_opt_out_link(link: dict) -> bool:
    return bool(OPT_OUT_WORDS.search(f"{link.get('text') or ''} {link.get('url') or ''}"))


def describe(message) -> MessageFacts:
    """The facts of one message (reads fields only; never raises for message content)."""
    import hashlib

    text = _text(message, "body.visible_text")[:MAX_TEXT]
    subject = _text(message, "subject")
    tokens = normalised_tokens(f"{subject}\n{text}", _recipient_words(message))
    links = _records(message, "links")
    web = [link for link in links if not link.get("mailto") and link.get("visible") is not False]
    urls = [(clean_url(link.get("url") or ""), link) for link in web]
    urls = [(url, link) for url, link in urls if url]
    domains = _unique(registrable_domain(urlsplit(url).hostname) for url, link in urls
                      if not _is_opt_out_link(link))  # a removal or list page is no offer
    join = _unique(_join_key(url) for url, link in urls if not _is_opt_out_link(link))
    replies = [r.get("address") for r in _records(message, "reply_to")]
    replies += [(link.get("url") or "")[7:].split("?", 1)[0] for link in links
                if link.get("mailto")]
    ip = _text(message, "received.handoff_ip") or None
    when, source = legal_date(message)
    indicators = {
        "advertised_domain": domains,
        "landing_url": _unique(url for url, _ in urls),
        "phone": _unique(_phones(f"{subject}\n{text}")),
        "payment": _unique(_payments(text)),
        "from_domain": _unique([_text(message, "from.domain").lower()]),
        "return_path_domain": _unique([_text(message, "return_path.domain").lower()]),
        "sending_ip": _unique([ip]),
        "sending_network": _unique([sending_network(ip)]),
        "reply_address": _unique(a.strip().lower() for a in replies if a and "@" in a),
    }
    return MessageFacts(
        signature=signature(tokens),
        text_key=hashlib.sha256(" ".join(tokens).encode()).hexdigest()[:24],
        join_keys=tuple(k for k in join if k),
        indicators={kind: values for kind, values in indicators.items() if values},
        subject=subject.strip()[:300],
        received=when.isoformat() if when else None,
        date_source=source,
    )


_REDIRECT_PATH = re.compile(r"(^|/)(click|clicks|redirect|redir|r|c|l|t|go|out|link|links|"
                            r"track|trk|url|jump|ct|cl|cgi-bin/[^/]*)(\.\w+)?/?$",
                            re.IGNORECASE)


def _join_key(url: str) -> str | None:
    """The landing page two messages must share to be one campaign: host and path (the
    query is dropped: it carries per-recipient tokens more often than a page name). A
    shared platform's page does not join campaigns, nor does a click redirector (the site
    root or a click/redirect script with a query): a mailing service's redirector
    carries every customer's mail, and where it leads is in the query."""
    parts = urlsplit(url)
    domain = registrable_domain(parts.hostname)
    if not domain or domain in SHARED_PLATFORMS:
        return None
    if parts.query and (parts.path in ("", "/") or _REDIRECT_PATH.search(parts.path)):
        return None
    return f"{parts.hostname}{parts.path.rstrip('/')}"


def as_dict(facts: MessageFacts) -> dict[str, Any]:
    return {"subject": facts.subject, "received": facts.received,
            "indicators": {k: list(v) for k, v in facts.indicators.items()}}
