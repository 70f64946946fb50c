"""Physical postal address (15 U.S.C. § 7704(a)(5)(A)(iii); 16 C.F.R. § 316.2(p)).

A "valid physical postal address" is a current street address, or a Post Office box or a
private mailbox at a commercial mail receiving agency (CMRA, "PMB 123" or "#123")
registered under USPS rules. Whether the address is *valid* (registered, current, really
the sender's) needs a person and a lookup; this detector only finds address-shaped text.

A false "no address" is a false accusation, so the patterns are generous: street lines on
one or several lines, with or without a suite / PMB / # unit, city, state (code, name or
old abbreviation), ZIP or ZIP+4 (optional when the state is there), P.O. Box forms, plus
Canadian, UK and continental European forms (kind `foreign`). They still need a street
word or a box and a locality, so phone numbers and prices never match.

Address-shaped text with no locality (a street line alone, "P.O. Box 123" alone, a
"City, ST 12345" line with no street) is reported with `complete: false`.

`postal_address.status`: `visible` (a complete address the reader sees), `incomplete`
(only incomplete ones visible), `hidden_only` (only in hidden text), `none`.
"""

from __future__ import annotations

import re
from typing import Any

from checker.detectors._text import (
    Literals,
    TextSource,
    body_sources,
    clean,
    describe_searched,
    fold,
    found_spans,
    span,
)
from checker.fields import register

STATE_CODES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV "
    "NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP"
).split()
STATE_NAMES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|"
    "Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|"
    "Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|"
    "New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|"
    "Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|"
    "West Virginia|Wisconsin|Wyoming|District of Columbia|Puerto Rico"
)
# Pre-USPS abbreviations still seen in 2002 mail ("Boca Raton, Fla. 33431").
OLD_ABBREVIATIONS = (
    r"Ala|Ariz|Ark|Calif|Cal|Colo|Conn|Del|Fla|Ga|Ill|Ind|Kan|Kans|Ky|La|Md|Mass|Mich|Minn|"
    r"Miss|Mo|Mont|Neb|Nebr|Nev|N\.\s?H|N\.\s?J|N\.\s?M|N\.\s?Y|N\.\s?C|N\.\s?D|Okla|Ore|Pa|"
    r"Penn|R\.\s?I|S\.\s?C|S\.\s?D|Tenn|Tex|Vt|Va|Wash|W\.\s?Va|Wis|Wisc|Wyo|D\.\s?C"
)
# A state: USPS code (capitals; any case when a ZIP follows: "Alpharetta Ga, 30004"),
# name, or old abbreviation.
_STATE = (
    rf"(?P<state>(?:{'|'.join(STATE_CODES)})\b|(?i:{STATE_NAMES})\b|(?:{OLD_ABBREVIATIONS})\."
    rf"|(?i:{'|'.join(STATE_CODES)})\b(?=[ \t,.]*\d{{5}}))"
)
_ZIP = r"(?P<zip>\d{5}(?:\s?-\s?\d{4})?)(?![\d\-])"

STREET_SUFFIXES = (
    "Street|St|Str|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Drive|Dr|Lane|Ln|Way|Court|Ct|Place|Pl|"
    "Plaza|Plz|Parkway|Pkwy|Pky|Highway|Hwy|Circle|Cir|Terrace|Ter|Terr|Trail|Trl|Square|Sq|"
    "Center|Centre|Ctr|Pike|Loop|Alley|Aly|Row|Crossing|Xing|Commons|Broadway|Expressway|Expy|"
    "Freeway|Fwy|Turnpike|Tpke|Run|Point|Pt|Ridge|Park|Walk|Path|Cove|Crescent|Cres|Landing|"
    "Mall|Hill|Heights|Hts|Glen|Creek|Bend|Causeway|Row|Mews|Close|Passage|Pass|Springs|Pointe"
)
_UNIT = (
    r"(?P<unit>(?i:suite|ste|apt|apartment|unit|floor|fl|room|rm|bldg|building|dept|pmb|"
    r"private\s+mail\s*box|box|no)\.?\s*#?\s*[\w\-]{1,8}|\#\s*[\w\-]{1,8}|(?i:\d{1,3}(?:st|nd|rd|th)\s+floor))"
)
# Street number, optional direction, 0-4 name words, a suffix; or a numbered route.
_STREET = (
    r"(?P<street>(?:\b\d{1,6}(?:-\d{1,5})?(?:-?[A-Za-z])?(?:\s1/2)?"
    r"|\b(?:One|Two|Three|Four|Five|Six|Seven|Eight|Nine|Ten|ONE|TWO))\s+"
    r"(?:(?:[NSEW]|N\.?[EW]|S\.?[EW]|(?i:north|south|east|west))\.?\s+)?"
    r"(?:"
    rf"(?:[A-Za-z0-9][\w.'\-]*\s+){{0,4}}?(?i:{STREET_SUFFIXES})\b\.?"
    r"(?:\s+(?:[NSEW]|NE|NW|SE|SW)\b\.?)?"
    r"|(?i:route|rte|highway|hwy|state\s+road|county\s+road|us\s+highway|interstate)\s+\d{1,4}"
    r"|[A-Z][\w.'\-]*(?:\s+[A-Z][\w.'\-]*){0,3}"  # "100 Main" without suffix (needs city+state+ZIP)
    r"|\d{1,3}(?:st|nd|rd|th)\b"  # "2714 West 5th" (needs a ZIP)
    r")|\b(?i:route|rte|highway|hwy|state\s+road|county\s+road|us\s+highway)\s+\d{1,4}"
    r"(?:\s+(?i:north|south|east|west|[NSEW])\b)?)"
)
# Between address lines: commas, line breaks, bullets, "> " quote marks -- and literal <br>
# tags, which some spam puts in plain-text bodies (the reader sees them as text).
_SEP = (
    r"[ \t]*(?:[,;]|\r?\n|[ \t]|[-|\u00b7\u2022]|<[a-zA-Z/][^<>\n]{0,15}>)"
    r"(?:[\s,;|\-\u00b7\u2022>]|<[a-zA-Z/][^<>\n]{0,15}>)*"
)
_CITY = r"(?P<city>[A-Z][A-Za-z.'\-]*(?:[ \t]+[A-Za-z][A-Za-z.'\-]*){0,3})"

_STREET_ADDRESS = re.compile(
    rf"{_STREET}(?:{_SEP}{_UNIT})?{_SEP}{_CITY}[ \t]*,?[ \t]*{_STATE}(?:[ \t,.]*{_ZIP})?"
)
_PO_BOX = (
    r"(?P<box>(?i:\b(?:p\.?\s?o\.?\s?|post\s+office\s+|postal\s+|postoffice\s+|p\.?\s?o\.?\s+)box"
    r"|\bpob\b|\bp\.?\s?o\.?\s?drawer|\bcaller\s+box|\block\s?box|\bpmb\b|\bprivate\s+mail\s*box"
    r"|\bbox\b)\.?\s*(?:no\.?\s*)?#?\s*(?=[\w\-]{0,9}\d)[\w\-]{1,10})"
)
# No city: "520 8th Ave #2300 NY 10018" (the ZIP is required then).
_STREET_NO_CITY = re.compile(rf"{_STREET}(?:{_SEP}{_UNIT})?{_SEP}{_STATE}[ \t,.]*{_ZIP}")
_BOX_ADDRESS = re.compile(
    rf"{_PO_BOX}(?:{_SEP}{_CITY}[ \t]*,?[ \t]*{_STATE}(?:[ \t,.]*{_ZIP})?)?"
)
_LOCALITY = re.compile(rf"{_CITY}[ \t]*,[ \t]*{_STATE}[ \t,.]*{_ZIP}")

# Foreign: Canadian postal code after a province, UK postcode, continental "Street 12,
# 12345 City" -- each needing a street-like line within the preceding 150 characters.
_CA_PROVINCE = r"(?:AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT|Ontario|Quebec|Québec|Alberta|British Columbia|Manitoba)"
_FOREIGN_STREET = (
    rf"(?P<street>\b\d{{1,6}}[A-Za-z]?,?[ \t]+[A-Z][A-Za-z'\-]*[a-z][A-Za-z'\-]*"
    rf"(?:[ \t]+[A-Za-z][A-Za-z.'\-]*){{0,4}})(?:{_SEP}{_UNIT})?{_SEP}"
    r"(?:[A-Z][A-Za-z'\-]*[a-z][A-Za-z'\-]*[ \t,]+){1,3}"
    rf"(?:(?:{_CA_PROVINCE})[ \t,]+[A-Z]\d[A-Z][ \t]?\d[A-Z]\d"
    r"|[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2})\b"
)
_FOREIGN_CONTINENTAL = (
    r"(?P<street2>\b[A-ZÄÖÜ][\wäöüßéè\-]*(?:stra(?:ß|ss)e|str\.|weg|platz|gasse|allee|laan|straat"
    r"|gracht|vej|gatan|gade)[ \t]+\d{1,5}[a-z]?)[\s,]+(?:[A-Z]{1,2}-)?\d{4,5}[ \t]+[A-ZÄÖÜ][\w\-]+"
    r"|(?P<street3>\b\d{1,5},?[ \t]+(?i:rue|avenue|boulevard|bd|calle|avenida|via|viale|piazza"
    r"|plaza|rua)\b[^\n,]{2,40}),?\s+(?:[A-Z]-)?\d{4,5}[ \t]+[A-Z][\w\-]+"
)
_FOREIGN = re.compile(f"{_FOREIGN_STREET}|{_FOREIGN_CONTINENTAL}")
_FOREIGN_BY_KIND = {
    (True, False): re.compile(_FOREIGN_STREET),
    (False, True): re.compile(_FOREIGN_CONTINENTAL),
    (True, True): _FOREIGN,
}

# Cheap necessary conditions (each is part of every match of the patterns it guards), so
# a pattern that cannot match is not run: the expensive scans only run on texts that may
# hold an address. Results are exactly those of running every pattern.
_ZIP_HINT = re.compile(r"\d{5}")  # _LOCALITY and _STREET_NO_CITY need a ZIP
_POSTCODE_HINT = re.compile(  # Canadian or UK postcodes
    r"[A-Z]\d[A-Z][ \t]?\d[A-Z]\d|[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}\b"
)
# A state code or an old abbreviation as _STATE needs them (case-sensitive), a state name
# in the folded text; a ZIP covers the any-case code followed by one.
_STATE_LITERALS = Literals(
    STATE_CODES + [re.split(r"\\", abbreviation)[0] + "." for abbreviation in OLD_ABBREVIATIONS.split("|")]
)
_STATE_NAMES = Literals(name.lower() for name in STATE_NAMES.split("|"))
_CONTINENTAL_HINT = re.compile(r"\d{4}[ \t]+[A-ZÄÖÜ]")  # "10115 Berlin", "75001 Paris"
_BOX_WORDS = ("box", "pob", "drawer", "pmb")


def _patterns_that_may_match(text: str) -> dict[str, re.Pattern | None]:
    """Each address pattern, or None when a part every one of its matches needs is
    missing from the text."""
    folded = fold(text)
    has_zip = bool(_ZIP_HINT.search(text))
    may_name_state = (has_zip or _STATE_LITERALS.found_in(text)
                      or _STATE_NAMES.found_in(folded))
    foreign_kind = (bool(_POSTCODE_HINT.search(text)), bool(_CONTINENTAL_HINT.search(text)))
    return {
        "box": _BOX_ADDRESS if any(word in folded for word in _BOX_WORDS) else None,
        "street": _STREET_ADDRESS if may_name_state else None,
        "street_no_city": _STREET_NO_CITY if has_zip else None,
        "foreign": _FOREIGN_BY_KIND.get(foreign_kind),
        "locality": _LOCALITY if has_zip else None,
    }


ITEM_FIELDS = {
    "kind": ("text", "street, po_box, pmb (private mailbox at a CMRA), foreign, locality."),
    "text": ("text", "The address on one line."),
    "complete": ("bool", "A street or box together with a city/state or postal code."),
    "field": ("text", "The text field it was found in."),
    "start": ("int", "Start offset."),
    "end": ("int", "End offset."),
    "quote": ("text", "The address as written (may span lines)."),
    "visible": ("bool", "Whether the reader sees it."),
    "hidden_reason": ("text", "Why it is hidden, when it is."),
    "state": ("text", "US state as written, when found."),
    "zip": ("text", "ZIP or ZIP+4, when found."),
    "unit": ("text", "Suite / PMB / # unit, when found."),
}


def _record(source: TextSource, match: re.Match, start: int, end: int, kind: str,
            complete: bool) -> dict[str, Any]:
    record = span(source.field, source.text, start, end)
    groups = match.groupdict()
    unit = groups.get("unit")
    if kind == "street" and unit and re.match(r"(?i)pmb|private", unit):
        kind = "pmb"
    record.update(
        kind=kind,
        text=clean(record["quote"]),
        complete=complete,
        visible=source.visible,
        hidden_reason=None if source.visible else source.hidden_reason,
        state=groups.get("state"),
        zip=groups.get("zip"),
        unit=unit,
    )
    return record


def _street_ok(match: re.Match) -> bool:
    """A street line without a suffix word or route ("100 Main") needs a ZIP to count, so
    "500 Million Customers, Dallas TX" is not an address."""
    if match.group("zip"):
        return True
    street = match.group("street")
    rest = street.split(None, 1)[1] if " " in street else ""
    return bool(_SUFFIX_WORD.search(rest) or _ROUTE_WORD.match(street))


_SUFFIX_WORD = re.compile(rf"(?i)\b(?:{STREET_SUFFIXES})\b")
_ROUTE_WORD = re.compile(r"(?i)(?:route|rte|highway|hwy|state\s+road|county\s+road|us\s+highway)\b")


def find_addresses(source: TextSource) -> list[dict[str, Any]]:
    """Every address-shaped span in one text, complete ones first claimed."""
    text = source.text
    found: list[dict[str, Any]] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    def add(match, start, end, kind, complete):
        if free(start, end):
            taken.append((start, end))
            found.append(_record(source, match, start, end, kind, complete))

    patterns = _patterns_that_may_match(text)
    # Boxes first: in "P.O. Box 101262 / Cape Coral FL 33910" the box number is not a
    # street number.
    for start, end, match in _spans(patterns["box"], text):
        box = match.group("box")
        kind = "pmb" if re.match(r"(?i)pmb|private", box) else "po_box"
        complete = bool(match.group("state"))
        bare_box = re.match(r"(?i)box\b", box)
        if bare_box and not complete:
            continue  # "box 3" alone is not an address
        add(match, start, end, kind, complete)
    for name in ("street", "street_no_city"):
        for start, end, match in _spans(patterns[name], text):
            if _street_ok(match):
                add(match, start, end, "street", True)
    for start, end, match in _spans(patterns["foreign"], text):
        add(match, start, end, "foreign", True)
    for start, end, match in _spans(patterns["locality"], text):
        add(match, start, end, "locality", False)
    found.sort(key=lambda r: r["start"])
    return found[:20]


def _spans(pattern: re.Pattern | None, text: str):
    return found_spans(pattern, text) if pattern is not None else ()


def detect_postal_addresses(sources: list[TextSource]) -> dict[str, Any]:
    """{status, addresses, searched} over the body texts (visible first, then hidden runs)."""
    addresses = [a for source in sources for a in find_addresses(source)]
    return {"status": _status(addresses), "addresses": addresses,
            "searched": describe_searched(sources)}


def _status(addresses: list[dict[str, Any]]) -> str:
    if any(a["visible"] and a["complete"] for a in addresses):
        return "visible"
    if any(a["visible"] for a in addresses):
        return "incomplete"
    if addresses:
        return "hidden_only"
    return "none"


# ------------------------------------------------------------------- fields


def _detect(msg) -> dict[str, Any]:
    return msg.memo("detector:postal_address", lambda m: detect_postal_addresses(body_sources(m)))


@register(
    "postal_address.status",
    "text",
    "visible | incomplete | hidden_only | none: whether a complete postal address (street, "
    "P.O. Box or PMB with city/state or postal code) is in what the reader sees.",
)
def postal_address_status(msg) -> str:
    return _detect(msg)["status"]


@register(
    "postal_addresses",
    "list[record]",
    "Each postal-address-shaped text in the body (street, P.O. Box, PMB, foreign, "
    "locality-only), visible or hidden.",
    item_fields=ITEM_FIELDS,
)
def postal_addresses(msg) -> list[dict[str, Any]]:
    return _detect(msg)["addresses"]


@register(
    "postal_address.searched",
    "text",
    "What the address search covered (visible text, hidden text), as a phrase for findings "
    "that rest on finding nothing.",
)
def postal_address_searched(msg) -> str:
    return _detect(msg)["searched"]
