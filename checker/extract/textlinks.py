"""Links in plain text: what a mail client makes clickable in a text/plain body.

Finds http(s)/ftp URLs, `www.` hosts, `mailto:` URLs and bare e-mail addresses (clients
link those too, and a bare address is a common opt-out mechanism). All are visible.
Candidates are found by plain substring search (much faster than a regex scan over
every offset) and measured with bounded patterns, so hostile text stays linear.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_LINKS = 2000

_URL_TRIGGERS = ("http://", "https://", "ftp://", "www.", "mailto:")
_URL_BODY = re.compile(r"[^\s<>\"'`]+")
_LOCAL_CHARS = re.compile(r"[\w.%+-]{1,64}$")
_DOMAIN = re.compile(r"[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}")
_WORDISH = re.compile(r"[\w.@/-]")
_TRAILING = ".,;:!?'\")]}>*"


def _trim(url: str) -> str:
    """Drop sentence punctuation after a URL; keep a ')' that closes a '(' in the URL."""
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def host_of(url: str) -> str | None:
    """Lowercase host of a URL; for mailto: the domain of the address."""
    lower = url.lower()
    if lower.startswith("mailto:"):
        address = url[7:].split("?", 1)[0]
        return (address.rpartition("@")[2].strip().lower() or None) if "@" in address else None
    if lower.startswith("www."):
        url = "http://" + url
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def link_record(url: str, text: str) -> dict:
    mailto = url.lower().startswith("mailto:")
    return {
        "url": url,
        "host": host_of(url),
        "text": text,
        "visible": True,
        "mailto": mailto,
        "hidden_reason": None,
    }


def _url_spans(text: str, lower: str) -> list[tuple[int, int]]:
    """(start, end) of URLs, found by fast substring search, then measured by a regex."""
    spans = []
    for trigger in _URL_TRIGGERS:
        pos = lower.find(trigger)
        while pos != -1 and len(spans) < MAX_LINKS:
            glued = trigger == "www." and pos and _WORDISH.match(text, pos - 1)
            if not glued:
                spans.append((pos, _URL_BODY.match(text, pos).end()))
            pos = lower.find(trigger, pos + len(trigger))
    return spans


def _address_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of bare addresses: around each '@', local part back, domain forward."""
    spans = []
    pos = text.find("@")
    while pos != -1 and len(spans) < MAX_LINKS:
        local = _LOCAL_CHARS.search(text, max(0, pos - 64), pos)
        domain = _DOMAIN.match(text, pos + 1)
        if local and domain:
            start = local.start()
            while start < pos and not text[start].isalnum():
                start += 1
            if start < pos:
                spans.append((start, domain.end()))
        pos = text.find("@", pos + 1)
    return spans


def find_links(text: str) -> list[dict]:
    """Link records for the URLs and addresses in `text`, in order of appearance."""
    lower = text.lower()
    spans = sorted(_url_spans(text, lower)) + sorted(_address_spans(text))
    links: list[tuple[int, dict]] = []
    taken_until = -1
    for start, end in sorted(spans, key=lambda span: (span[0], -span[1])):
        if start < taken_until:
            continue  # inside a URL already found (www. in http://www., user@ in a URL)
        found = _trim(text[start:end])
        if not found or found.lower() in ("mailto:", "www.", "http://", "https://", "ftp://"):
            continue
        taken_until = end
        is_address = "://" not in found and not found.lower().startswith(("www.", "mailto:"))
        url = "mailto:" + found if is_address else found
        links.append((start, link_record(url, found)))
    return [record for _start, record in links[:MAX_LINKS]]
