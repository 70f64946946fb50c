"""Opt-out notice and mechanism (15 U.S.C. § 7704(a)(3), (a)(5)(A)(ii)).

A notice is opt-out wording ("unsubscribe", "opt out", "to be removed from our list",
"no longer wish to receive" ...) tied to a mechanism the reader can use: a link, an email
address / `mailto:`, or reply instructions ("reply with REMOVE in the subject").

A false "no opt-out" is a false accusation, so detection is deliberately generous: any
plausible wording with a link, address or reply instruction near it counts, as does a
link whose anchor text or URL names the opt-out. Whether a notice is *clear and
conspicuous* is for a person; this detector only says where it is and whether the reader
can see it.

`opt_out.status`, in order of precedence:
- `visible`: wording and mechanism in what the reader sees;
- `notice_only`: visible opt-out wording, but no link, address or reply instruction found
  near it;
- `hidden_only`: a notice only in hidden text (display:none, tiny, background-coloured)
  or hidden links;
- `header_only`: only a `List-Unsubscribe` header (not displayed to the reader);
- `unclear`: nothing confirmed, but loose signs of an opt-out (`opt_out.possible`:
  removal-ish wording, a removal link address, an HTML form) a person should look at;
- `none`: nothing at all. `opt_out.searched` says what was searched.

`opt_out.burdens` (16 C.F.R. § 316.5): conditions stated in the opt-out instruction itself
(the sentence holding the opt-out wording, or the next one in its paragraph) that may go
beyond "reply or visit one page": a fee or charge, the recipient's name, postal address,
phone or other personal details, a login or password. The offer's own requests ("for a
free quote, send your phone number") are not burdens. Whether the text makes them a
condition of honouring the request is for a person.
"""

from __future__ import annotations

import re
from typing import Any

from checker.detectors._text import (
    Scanner,
    TextSource,
    body_sources,
    describe_searched,
    found_spans,
    message_links,
    span,
    window,
)
from checker.display import quoted
from checker.fields import register

# Opt-out wording, in groups by trigger word (see `_text.Scanner`): the groups whose only
# literal is a common word ("like", "off", "stop") stay small.
_WORDING_GROUPS: list[tuple[str, str]] = [
    ("subscri opt remov prefer delet exclu preferences subscription sabonn sinscri baja "
     "suscripci abmelden abbestellen austragen cancella disiscriv 退订 取消订阅 退訂 取消訂閱 수신 配信停止 "
     "配信解除 購読解除",
     r"""
       (?:\bun-?\s?|\(un\))subscri(?:be[ds]?|bing|ption)\b
     | \bopt(?:ed|ing)?[\s\-_]?out\b
     | \bremov(?:e|ed|al|ing)\b
     | \bprefer\s+not\s+to\s+receive
     | \bdelet(?:e|ed|ion)\s+(?:you|your|(?:e-?mail\s+)?address|from)
     | \bexclu(?:de|ded|sion)\s+(?:you|your|from)
     | \b(?:manage|update|change|edit)\s+(?:your\s+)?(?:e-?mail\s+|subscription\s+|mailing\s+
       |communication\s+|contact\s+)?(?:preferences|subscriptions?)\b
     | \bd[ée]sabonn | \bd[ée]sinscri | \bd(?:ar(?:se|te)?|ate|ese)\s+de\s+baja
     | \bcancelar\s+(?:la\s+)?suscripci | \bcancellar(?:ti|si|mi)\b | \bdisiscriv\w*
     | \babmelden | \babbestellen | \baustragen | \bcancella(?:re|zione)\s+(?:l'|dalla)
     | 退订 | 取消订阅 | 退訂 | 取消訂閱 | 수신\s*거부 | 수신\s*을\s*원치 | 配信停止 | 配信解除 | 購読解除
     """),
    # Settings links and short forms: "Email preferences", "Subscription settings",
    # "Leave this list", "Stop emails", "Unsub".
    ("preferences settings options leave stop unsub mute",
     r"""\b(?:e-?mail|subscription|mailing|communication|notification|newsletter)\s+(?:preferences|settings|options)\b
       | \bleave\s+(?:this|our|the)\s+(?:mailing\s+)?list\b
       | \b(?:stop|mute)\s+(?:these\s+|all\s+|our\s+)?e-?mails?\b | \bunsub\b"""),
    # "Unsubscribe" in other languages of commercial mail: Portuguese, Italian, Dutch, Danish,
    # Norwegian, Swedish, Polish, Russian, Korean, Japanese, German, Spanish.
    ("descadastr inscri iscrizione afmeld uitschrijv wypisz avregistr avmeld avsluta отпис "
     "구독 登録解除 購読停止 abonnement desuscrib desinscrib subscri",
     r"""\bdescadastr\w* | \b(?:cancel(?:ar|e|a)|anular?)\s+(?:a\s+)?(?:sua\s+)?(?:inscri[çc][ãa]o|subscri[çc][ãa]o)
       | \b(?:annulla|cancella)(?:re)?\s+(?:l'|la\s+)?iscrizione | \bafmeld\w* | \buitschrijv\w*
       | \bwypisz\w* | \bavregistr\w* | \bavmeld\w* | \bavsluta\s+prenumeration | отпис\w*
       | 구독\s*취소 | 登録解除 | 購読停止 | \babonnement\s+(?:beenden|kündigen|k[üu]ndigen)
       | \bdes(?:uscrib|inscrib)\w*"""),
    # "Refuse to receive", "do not want to receive this again" (Chinese); "to leave our list"
    # (Turkish); "to be eliminated from future marketing"; "to discontinue receiving".
    ("拒收 不想 不願 不愿 listemizden listeden eliminat discontinu",
     r"""拒收 | 不(?:想|願|愿)再?收到
       | \blist(?:emiz)?den\s+(?:ç|c)[ıi]k
       | \beliminated\s+from\b
       | \bdiscontinue\s+(?:receiving|(?:this|these|future|further|all)\s+(?:[\w\-]+\s+)?(?:e-?mails?
         |mailings?|messages|offers|notices))\b"""),
    ("wish want care like desire",
     r"""\b(?:no\s+longer|not|don'?t|do\s+not|never|rather\s+not)\s+(?:wish|want|care|like|desire)
       \s+to\s+(?:receive|get|be\s+(?:contacted|on|included|mailed|emailed|notified)|hear)"""),
    ("stop", r"\bstop\s+(?:receiving|getting|these|all\s+(?:future\s+)?(?:e-?mails?|mailings?|messages))"
             r"|\bstop\s+(?:future|further)\s+(?:[\w\-]+\s+)?(?:e-?mails?|mailings?|messages|offers|mail)\b"
             # S. 1618 boilerplate: "Further transmissions to you ... may be stopped ... by
             # sending a reply"
             r"|\b(?:may|can|will)\s+be\s+stopped\b"),
    ("take off come",
     r"""\b(?:taken|take\s+(?:you|me|yourself|your\s+(?:name|address))|be\s+taken|to\s+come|come)\s+off\b
       | \b(?:be\s+)?taken\s+out\s+of\s+(?:our|this|the|my)\s+(?:[\w\-]+\s+)?(?:list|database|mailing)
       | \boff\s+(?:of\s+|from\s+)?(?:our|this|the|my|these|their|future|further|all)\s+
         (?:[\w\-]+\s+){0,2}(?:lists?|database|mailings?|e-?mails?|messages)\b
       | \btake-?off\w*"""),
    # "to be excluded", "To Be ExCerted" (sic), "to be deleted", "to be unlisted"
    ("exclu excer exer expung exempt deleted unlisted purged solved",
     r"\bto\s+be\s+(?:ex(?:clu|c?er|pung|empt)\w*|deleted|unlisted|purged|dis+olved)\b"),
]
OPT_OUT_SCANNERS = [
    Scanner(re.compile(regex, re.IGNORECASE | re.VERBOSE), triggers.split())
    for triggers, regex in _WORDING_GROUPS
]
# The same wording as one regex, for short texts (anchor texts).
_WORDING = re.compile(
    "|".join(f"(?:{regex})" for _, regex in _WORDING_GROUPS), re.IGNORECASE | re.VERBOSE
)


def wording_spans(text: str) -> list[tuple[int, int, re.Match[str]]]:
    """Opt-out wording in `text`, in order of position."""
    return sorted((hit for scanner in OPT_OUT_SCANNERS for hit in found_spans(scanner, text)),
                  key=lambda hit: hit[0])


# "remove" is also "remove wrinkles": it counts only with list, mail or reply context nearby
# ("reply with REMOVE"). "removed" / "removal" also count next to a link, an address or a
# click / call instruction.
_REMOVE_CONTEXT = re.compile(
    r"list|mail|database|address|future|subject|receiv|unsubscribe|message|letter|contact"
    r"|below|reply|yourself|\bme\b",
    re.IGNORECASE,
)
_REMOVED_CONTEXT = re.compile(
    _REMOVE_CONTEXT.pattern + r"|http|www\.|@|click|here|call|send|visit|link|phone|fax|web\s?site|\bsite\b",
    re.IGNORECASE,
)

_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+", re.IGNORECASE)
_MECHANISM_NEXT = re.compile(r"\s*[:\-=>]*\s*(?:https?://|www\.|mailto:|[\w.+\-]+@[\w\-]+\.)", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_REPLY = re.compile(
    r"\breply|\br\s+e\s+p\s+l\s+y\b|\brespond|\br[ée]pond|\bantwort|\bresponda|\bcontest[ea]|回复|回信|답장|返信|"
    r"\brevert\b|\breturn\s+(?:this|the)\s+(?:e-?mail|message)"
    r"|\bsend\s+(?:us\s+)?(?:an?\s+|a\s+blank\s+|blank\s+)?(?:e-?mail|message|note|request)"
    r"|\be-?mail\s+us\b|\bwrite\s+(?:to\s+)?us\b|\bsubject\s+(?:line|field|heading)\b"
    r"|\bin\s+the\s+subject\b",
    re.IGNORECASE,
)
_CLICK = re.compile(
    r"\bclick|\bfollow\s+(?:this|the)\s+link|\blink\s+(?:below|above)|\bvisit\b|\bgo\s+to\b"
    r"|\bbelow\b|\bhere\b|\bcliquez|\bklicken|\bhaga\s+clic",
    re.IGNORECASE,
)
# Opt-out words inside a URL or a mailto address ("remove@", "/unsubscribe?id=").
_URL_KEYWORD = re.compile(
    r"un-?sub|opt[\-_]?out|remove|removal|exclu|delist|unlist|suppress|take-?(?:me-?)?off|no-?more"
    r"|(?:^|[/:=?&._\-])stop",
    re.IGNORECASE,
)

BEFORE, AFTER = 250, 350  # how far around the wording a mechanism may sit (characters)

ITEM_FIELDS = {
    "field": ("text", "The text field the notice was found in."),
    "start": ("int", "Start offset of the wording in that field."),
    "end": ("int", "End offset of the wording in that field."),
    "quote": ("text", "The wording as written."),
    "mechanism": ("text", "link, mailto, reply, or empty when none was found near it."),
    "url": ("text", "The link or mailto address the notice points to, when known."),
    "visible": ("bool", "Whether the reader sees the notice."),
    "hidden_reason": ("text", "Why it is hidden (display:none, tiny, same colour...)."),
    "tie": ("text", "How wording and mechanism were tied: anchor, url_keyword, "
                    "url_in_text, address_in_text, reply_instruction, nearby_link, header."),
}


def _is_wording(text: str, start: int, end: int) -> bool:
    word = text[start:end]
    if not word.lower().startswith("remov"):
        return True
    if text[end : end + 1] == "@":  # remove@example.com
        return True
    if _MECHANISM_NEXT.match(text, end):  # "remove http://example.com/remove.html"
        return True
    _, around = window(text, start, end, 60, 80)
    around = around.replace(word, " ", 1)
    context = _REMOVED_CONTEXT if word.lower() in ("removed", "removal", "removing") else _REMOVE_CONTEXT
    return bool(context.search(around))


def _anchor_in(text: str, lo: int, hi: int, wording_at: int, links: list[dict]) -> dict | None:
    """The link whose anchor text appears in text[lo:hi] closest to the wording ("click
    here" + a link reading "here"), or None. A link whose address or anchor names the
    opt-out wins over a closer one that does not: when an ad's "Click here" for the
    product sits right above "Click here to be removed", the evidence must cite the
    removal link."""
    lowered = text[lo:hi].lower()
    best: tuple[tuple[bool, int], dict] | None = None
    for link in links:
        anchor = " ".join((link.get("text") or "").split()).lower()
        if len(anchor) < 2:
            continue
        names_opt_out = bool(_URL_KEYWORD.search(link.get("url") or "") or _WORDING.search(anchor))
        at = lowered.find(anchor)
        while at >= 0:
            rank = (not names_opt_out, abs(lo + at - wording_at))
            if best is None or rank < best[0]:
                best = (rank, link)
            at = lowered.find(anchor, at + 1)
    return best[1] if best else None


def _mechanism(source: TextSource, start: int, end: int, links: list[dict]) -> dict[str, Any]:
    """The mechanism near wording at text[start:end], or {} when none is found."""
    text = source.text
    lo, around = window(text, start, end, BEFORE, AFTER)
    # Visible wording can only be tied to links the reader sees too.
    candidates = [lk for lk in links if lk.get("visible", True)] if source.visible else links
    link = _anchor_in(text, lo, lo + len(around), start, candidates)
    if link is not None:
        kind = "mailto" if link.get("mailto") else "link"
        return {"mechanism": kind, "url": link.get("url"), "tie": "anchor"}
    url = _URL.search(around)
    if url:
        return {"mechanism": "link", "url": url.group(0), "tie": "url_in_text"}
    address = _EMAIL.search(around)
    if address:
        return {"mechanism": "mailto", "url": "mailto:" + address.group(0),
                "tie": "address_in_text"}
    if _REPLY.search(around):
        return {"mechanism": "reply", "url": None, "tie": "reply_instruction"}
    if candidates and _CLICK.search(around):
        chosen = next(
            (lk for lk in candidates if _URL_KEYWORD.search(lk.get("url") or "")), candidates[0]
        )
        kind = "mailto" if chosen.get("mailto") else "link"
        return {"mechanism": kind, "url": chosen.get("url"), "tie": "nearby_link"}
    return {}


def _notice(source: TextSource, start: int, end: int, mechanism: dict) -> dict[str, Any]:
    record = span(source.field, source.text, start, end)
    record.update(
        mechanism=mechanism.get("mechanism"),
        url=mechanism.get("url"),
        visible=source.visible,
        hidden_reason=None if source.visible else source.hidden_reason,
        tie=mechanism.get("tie"),
    )
    return record


def text_notices(source: TextSource, links: list[dict]) -> list[dict[str, Any]]:
    """Opt-out wording in one text, each with the mechanism found near it (if any).

    Only the first notice per mechanism kind and the first bare wording are kept: a footer
    repeating "unsubscribe" ten times is one notice."""
    notices: list[dict[str, Any]] = []
    seen: set[str | None] = set()
    for start, end, _match in wording_spans(source.text):
        if not _is_wording(source.text, start, end):
            continue
        mechanism = _mechanism(source, start, end, links)
        key = mechanism.get("mechanism")
        if key in seen:
            continue
        seen.add(key)
        notices.append(_notice(source, start, end, mechanism))
        if {"link", "mailto", "reply"} <= seen:
            break
    return notices


def text_url_notices(source: TextSource) -> list[dict[str, Any]]:
    """A web or mail address written out in the text (not a link) that names the opt-out:
    "http://example.com/remove.html", "unsubscribe@example.com". HTML parts give `links`
    only for <a href>, so a bare address in an HTML message is found here."""
    for pattern, kind in ((_URL, "link"), (_EMAIL, "mailto")):
        for match in pattern.finditer(source.text):
            if _URL_KEYWORD.search(match.group(0)):
                url = match.group(0) if kind == "link" else "mailto:" + match.group(0)
                return [_notice(source, match.start(), match.end(),
                                {"mechanism": kind, "url": url, "tie": "url_keyword"})]
    return []


def link_notices(links: list[dict]) -> list[dict[str, Any]]:
    """Links whose anchor text is opt-out wording, or whose URL / address names it."""
    notices = []
    for i, link in enumerate(links):
        kind = "mailto" if link.get("mailto") else "link"
        visible = bool(link.get("visible", True))
        source = TextSource(
            f"links[{i}].text", link.get("text") or "", visible,
            None if visible else (link.get("hidden_reason") or "hidden"),
        )
        match = _WORDING.search(source.text)  # an anchor saying "remove" is an opt-out
        if match:
            mechanism = {"mechanism": kind, "url": link.get("url"), "tie": "anchor"}
            notices.append(_notice(source, match.start(), match.end(), mechanism))
            continue
        url = link.get("url") or ""
        keyword = _URL_KEYWORD.search(url)
        if keyword:
            url_source = TextSource(f"links[{i}].url", url, visible, source.hidden_reason)
            mechanism = {"mechanism": kind, "url": url, "tie": "url_keyword"}
            notices.append(_notice(url_source, keyword.start(), keyword.end(), mechanism))
    return notices


def header_notices(list_unsubscribe: list[dict]) -> list[dict[str, Any]]:
    """`List-Unsubscribe` entries: a real mechanism, but not displayed to the reader."""
    notices = []
    for i, entry in enumerate(list_unsubscribe or []):
        url = entry.get("url") or ""
        source = TextSource(f"list_unsubscribe[{i}].url", url, False, "header_only")
        kind = "mailto" if entry.get("kind") == "mailto" else "link"
        notices.append(_notice(source, 0, len(url), {"mechanism": kind, "url": url,
                                                     "tie": "header"}))
    return notices


# ------------------------------------------------------------------- burdens
#
# 16 C.F.R. § 316.5 forbids conditions OF THE OPT-OUT. A burden therefore counts only in
# the instruction that holds the opt-out wording: its sentence, or the next sentence of
# the same paragraph, which often carries the rest of the instruction ("To be removed,
# reply to this message. Include your full name."). Spam puts its own call to action
# ("For a FREE consultation, reply with your name and phone number") right above the
# removal line, so a wider window would accuse the offer instead of the opt-out.

_PERSONAL_ITEM = (
    r"(?:full\s+|complete\s+|first\s+and\s+last\s+|legal\s+)?"
    r"(?:name|(?:postal|mailing|home|street|physical)\s+address|(?:tele)?phone(?:\s+number)?"
    r"|date\s+of\s+birth|birth\s?date|social\s+security(?:\s+number)?|zip(?:\s+code)?"
    r"|credit\s+card(?:\s+number)?)\b"
)
_BURDENS = (
    ("fee", "a fee or charge", re.compile(
        r"\b(?:processing|handling|removal|administrative|service|one[\s-]time)\s+(?:fee|charge)s?\b"
        r"|\bfee\s+of\s+(?:US\s?)?\$\s?\d|(?:US\s?)?\$\s?\d+(?:\.\d{2})?\s+(?:fee|charge)\b"
        r"|\b(?:send|pay|enclose|mail|remit)\s+(?:us\s+)?(?:a\s+)?(?:check\s+for\s+)?(?:US\s?)?\$\s?\d",
        re.IGNORECASE)),
    # A demand verb, then the recipient's details: "reply with your name and address",
    # "enter your name into the remove box", "requires name and phone number".
    ("personal_information", "the recipient's name, postal address, phone or other personal details",
     re.compile(
        r"\b(?:include|provide|send(?:\s+us)?|give(?:\s+us)?|enter|supply|state|with|fill\s+in"
        r"|type|tell\s+us|need|require[sd]?)\s+(?:us\s+)?(?:your\s+)?" + _PERSONAL_ITEM,
        re.IGNORECASE)),
    ("login", "a login or password", re.compile(
        r"\b(?:log|sign)\s?-?(?:in|on)\s+(?:to|at|with|using)\b|\b(?:log|sign)\s?-?into\b"
        r"|\b(?:your|a)\s+(?:[\w\-]+\s+)?(?:password|user\s?name|member(?:ship)?\s+(?:id|number))\b",
        re.IGNORECASE)),
)

# Where one instruction ends: sentence punctuation before a capital (not "e.g. a"), a
# blank line (new paragraph), or a new list item. A single line break is not an end:
# 2002 mail is hard-wrapped mid-sentence.
_UNIT_END = re.compile(
    r"[.!?;]+[\"'”’)\]]*(?=\s+[^\sa-z])"
    r"|\n[ \t\r]*\n"
    r"|\n(?=[ \t]*(?:[-*•]|\d{1,2}[.)]|[a-zA-Z][.)])\s)"
)
_PARAGRAPH = re.compile(r"\n[ \t\r]*\n")

# The sentence is about the offer, not the opt-out: a free item, a quote, a trial, a
# call back, a purchase, a price. Such a request is the sales lead, whatever is near it.
_OFFER = re.compile(
    r"(?<!toll[\s-])(?<!feel\s)\bfree\b(?!\s+(?:of\s+charge|to)\b)"
    r"|\bconsultation|\bappraisal|\bestimates?\b|\btrial\b|\bsamples?\b|\bbrochure|\bcatalog"
    r"|\b(?:free|a|your|our|get|request|instant)\s+(?:[\w\-]+\s+)?quotes?\b"
    r"|\b(?:a|your)\s+(?:free\s+)?copy\b(?!\s+of\s+(?:this|the|our)\s+(?:e-?mail|message))"
    r"|\b(?:call|contact|phone|reach)\s+you\b|\bcall\s+you\s+back|\bbe\s+in\s+touch\s+with\s+you"
    r"|\bto\s+order\b|\border\s+(?:now|today|form)|\bplace\s+(?:an|your)\s+order|\bpurchas(?:e|ing)\b|\bbuy\b"
    r"|\bprice|\b(?:only|just)\s+(?:US\s?)?\$"
    r"|\$\s?\d[\d,.]*\s*(?:/|per\s+|a\s+)(?:month|mo\b|year|yr\b|week|day|minute|min\b)",
    re.IGNORECASE,
)

# The sentence offers another way besides one already given ("You may also log in and edit
# your preferences"): an option the recipient need not take is no condition.
_ALTERNATIVE = re.compile(
    r"\b(?:may|can|could)\s+also\b|\balternatively\b|\bif\s+you\s+prefer\b|\boptionally\b",
    re.IGNORECASE)

# "remove" is opt-out wording here only with the recipient or the list as its object:
# "remove me", "remove your address", "removed from our list", "reply with REMOVE";
# not "REMOVE the name and address of the person in REPORT # 5" (a chain letter's steps).
_LIST = (r"(?:from|off)\s+(?:of\s+)?(?:our|this|the|my|your|all|any|these|future|further|their)\s+"
         r"(?:[\w\-]+\s+){0,2}(?:lists?|database|mailings?|e-?mails?|messages|distribution"
         r"|records?|files?|newsletters?)\b")
_RECIPIENT = (r"(?:me|you|yourself|myself|(?:your|my)\s+(?:[\w\-]+\s+){0,2}?"
              r"(?:name|e-?mail|address(?:es)?|information|details|subscription))\b")
_REMOVE_OBJECT = re.compile(
    rf"\s+(?:{_RECIPIENT}|(?:[\w@.\-]+\s+){{0,4}}?{_LIST})", re.IGNORECASE)
_REMOVE_PASSIVE = re.compile(  # "to be removed", "have your name removed"
    r"\b(?:be|been|being|get|got|getting|are|is|was|were|you|yourself|me|name|e-?mail"
    r"|address(?:es)?)\s+(?:\w+ly\s+)?$", re.IGNORECASE)
_REMOVE_KEYWORD_BEFORE = re.compile(  # "reply with REMOVE", 'the word "remove"'
    r"\b(?:with|word|type|send|put|write|enter|subject(?:\s+line)?|reply|marked|titled|saying)"
    r"\s+(?:the\s+word\s+|of\s+)?[\"'“‘]?$", re.IGNORECASE)
_REMOVE_KEYWORD_AFTER = re.compile(r"[\"'”’@]|\s+(?:in|as)\s+(?:the\s+)?subject", re.IGNORECASE)
_REMOVAL_NOUN = re.compile(
    r"removal\s*(?::|instructions?|requests?|links?|form|page|process|procedure|address"
    r"|from|of\s+your)", re.IGNORECASE)
_REMOVAL_NOUN_BEFORE = re.compile(r"\b(?:for|list|e-?mail|mailing|address|database)\s+$",
                                  re.IGNORECASE)
_OFF_SUBJECT = re.compile(  # "get off our list", "take yourself off the list"
    rf"\b(?:{_RECIPIENT}|get|getting|be|being|stay|taken?)\s+$", re.IGNORECASE)

BURDEN_BEFORE, BURDEN_AFTER = 200, 300  # hard bounds around the wording (characters)
MAX_WORDING_PER_TEXT = 40
MAX_BURDENS = 10


def _names_the_recipient(text: str, start: int, end: int) -> bool:
    """Whether removal wording at text[start:end] removes the recipient or their address
    (other opt-out wording always does)."""
    word = text[start:end].lower()
    before, after = text[max(0, start - 40) : start], text[end : end + 80]
    if word.startswith("off"):
        return bool(_OFF_SUBJECT.search(before))
    if not word.startswith("remov"):
        return True
    if word == "removal":
        return bool(_REMOVAL_NOUN.match(text, start) or _REMOVAL_NOUN_BEFORE.search(before))
    if word == "removed" and _REMOVE_PASSIVE.search(before):
        return True
    return bool(_REMOVE_OBJECT.match(after) or _REMOVE_KEYWORD_BEFORE.search(before)
                or _REMOVE_KEYWORD_AFTER.match(after))


def _instruction_units(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The sentence holding text[start:end] and, when the paragraph goes on, the next
    sentence: (start, end) pairs, clipped to BURDEN_BEFORE / BURDEN_AFTER."""
    lo, hi = max(0, start - BURDEN_BEFORE), min(len(text), end + BURDEN_AFTER)
    unit_start = lo
    for boundary in _UNIT_END.finditer(text, lo, start):
        unit_start = boundary.end()
    ends = _UNIT_END.finditer(text, end, hi)
    first = next(ends, None)
    if first is None:
        return [(unit_start, hi)]
    units = [(unit_start, first.start())]
    gap_end = first.end() + len(text[first.end() : hi]) - len(text[first.end() : hi].lstrip())
    if not _PARAGRAPH.search(text, first.start(), gap_end):
        second = next(ends, None)
        units.append((first.end(), second.start() if second else hi))
    return units


def _burdens_in(text: str, unit: tuple[int, int]) -> list[tuple[str, str, re.Match[str]]]:
    """Burden wording in one instruction unit, unless the unit is about the offer or
    offers an alternative way."""
    found = [(kind, what, match) for kind, what, pattern in _BURDENS
             for match in pattern.finditer(text, *unit)]
    if found and (_OFFER.search(text, *unit) or _ALTERNATIVE.search(text, *unit)):
        return []
    return found


def find_burdens(sources: list[TextSource], notices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Burden wording (`_BURDENS`) in the opt-out instructions of the texts that hold a
    notice: the sentence of each opt-out wording and the next one (`_instruction_units`),
    each burden once."""
    fields = {notice["field"] for notice in notices}
    found: list[dict[str, Any]] = []
    seen: set[tuple[str, int]] = set()
    for source in sources:
        if source.field not in fields:  # link and header notices carry no instructions
            continue
        text = source.text
        wording = [(s, e) for s, e, _ in wording_spans(text)
                   if _is_wording(text, s, e) and _names_the_recipient(text, s, e)]
        for start, end in wording[:MAX_WORDING_PER_TEXT]:
            for unit in _instruction_units(text, start, end):
                for kind, what, match in _burdens_in(text, unit):
                    if (source.field, match.start()) in seen:
                        continue
                    seen.add((source.field, match.start()))
                    record = span(source.field, text, match.start(), match.end())
                    record.update(kind=kind, visible=source.visible, detail=(
                        f"Near the opt-out wording {quoted(text[start:end])}, the text asks "
                        f"for {what} ({quoted(match.group(0))})."))
                    found.append(record)
                    if len(found) >= MAX_BURDENS:
                        return found
    return found


# ------------------------------------------------------------------- possible opt-outs
#
# "No opt-out" is an accusation, so before saying "none" the detector looks once more,
# loosely: removal-ish words the patterns above could not tie to a mechanism or did not
# read as opt-out wording ("To come off just Open here", letter-spaced "r e m o v e",
# wording in a language we do not cover), a link whose address names a removal, or a form
# in the HTML (some opt-outs are a form's submit button). Any of these makes the status
# `unclear`: a person decides.

_POSSIBLE_WORDING = re.compile(
    r"""\b(?:unsub\w*|opt[\s\-_]*out
         |(?:remov|stop|discontinu|eliminat|cancel|delet)\w*\W+(?:\w+\W+){0,4}?(?:e-?mails?|mail(?:ing)?s?
           |list|messages?|receiv\w*|subscri\w*|future|further|database|address|me|yourself)
         |(?:take|taken|come|get)\s+(?:me\s+|you\s+)?off|no\s+more\s+(?:e-?mails?|mail|messages)
         |no\s+longer\s+(?:wish|want|receive|be)|(?:future|further)\s+(?:e-?mails?|mailings?|messages
         |offers|marketing|correspondence|contact|notices|transmissions)|not\s+interested(?=\s*\?)|(?:from|off)\s+(?:all\s+)?(?:of\s+)?(?:our|this|the|my)\s+(?:[\w\-]+\s+)?(?:list|database)s?)\b
       | \br\s+e\s+m\s+o\s+v\s+e\b | \bu\s+n\s+s\s+u\s+b\s+s\s+c\s+r\s+i\s+b\s+e\b
       | 退订 | 退訂 | 拒收 | 取消 | 不想 | 不願 | 不愿 | 수신 | 거부 | 配信 | 解除 | 停止
       | \biptal | \blisteden | \blistemizden | \babbestell | \baustrag | \babmeld | \bd[ée]sabonn
       | \bd[ée]sinscri | \bne\s+plus\s+recevoir | \bbaja\b | \bdescadastr | \bcancelar""",
    re.IGNORECASE | re.VERBOSE,
)
_POSSIBLE_URL = re.compile(
    r"remov|unsub|opt-?out|take-?(?:me-?)?off|(?:^|[/:=?&._\-])stop|delete|cancel|leave|quit|unlist",
    re.IGNORECASE,
)
# Loose wording counts only with something to act on near it.
_ACTIONABLE = re.compile(r"https?://|www\.|@|\bclick|\bhere\b|\breply|\bsend\b|\blink|\bbutton|\bopen\b"
                         r"|\bvisit|\bgo\s+to|\bcall\b|\bwrite\b|\bsubject\b|按|點|点|클릭", re.IGNORECASE)
_FORM = re.compile(r"<form\b[^>]*>", re.IGNORECASE)
MAX_POSSIBLE = 5


def possible_opt_outs(sources: list[TextSource], links: list[dict], html: str | None) -> list[dict[str, Any]]:
    """Loose signs of an opt-out the detector could not confirm (see above), as spans."""
    found: list[dict[str, Any]] = []
    for source in sources:
        for match in _POSSIBLE_WORDING.finditer(source.text):
            _, around = window(source.text, match.start(), match.end(), 150, 150)
            if not _ACTIONABLE.search(around):
                continue
            record = span(source.field, source.text, match.start(), match.end())
            record.update(visible=source.visible, reason="removal wording with no mechanism tied to it")
            found.append(record)
            break
    for i, link in enumerate(links):
        match = _POSSIBLE_URL.search(link.get("url") or "")
        if match:
            record = span(f"links[{i}].url", link["url"], match.start(), match.end())
            record.update(visible=bool(link.get("visible", True)), reason="a link whose address names a removal")
            found.append(record)
            break
    form = _FORM.search(html or "")
    if form:
        record = span("body.html", html, form.start(), form.end())
        record.update(visible=True, reason="an HTML form (an opt-out may be a form's button)")
        found.append(record)
    return found[:MAX_POSSIBLE]


def searched(sources: list[TextSource], links: list[dict], list_unsubscribe: list[dict]) -> str:
    """What the opt-out search covered, as a phrase for a finding."""
    visible_links = sum(1 for link in links if link.get("visible", True))
    header = (f"{len(list_unsubscribe)} List-Unsubscribe entr{'y' if len(list_unsubscribe) == 1 else 'ies'}"
              if list_unsubscribe else "no List-Unsubscribe header")
    return (f"{describe_searched(sources)}, {len(links)} link(s) ({visible_links} visible; anchor "
            f"text and address), {header}")


def detect_opt_out(
    sources: list[TextSource], links: list[dict], list_unsubscribe: list[dict] | None = None,
    html: str | None = None,
) -> dict[str, Any]:
    """{status, notices, possible, burdens, searched}: every notice found, the status
    described in the module doc, loose signs of an opt-out when none was confirmed,
    burdens stated in the opt-out instructions and what was searched."""
    notices: list[dict[str, Any]] = []
    for source in sources:
        notices += text_notices(source, links) + text_url_notices(source)
    notices += link_notices(links)
    notices += header_notices(list_unsubscribe or [])
    status = _status(notices)
    possible = possible_opt_outs(sources, links, html) if status == "none" else []
    return {"status": "unclear" if possible else status, "notices": notices, "possible": possible,
            "burdens": find_burdens(sources, notices),
            "searched": searched(sources, links, list_unsubscribe or [])}


def _status(notices: list[dict[str, Any]]) -> str:
    displayed = [n for n in notices if n["tie"] != "header"]
    if any(n["visible"] and n["mechanism"] for n in displayed):
        return "visible"
    if any(n["visible"] for n in displayed):
        return "notice_only"
    if any(n["mechanism"] for n in displayed):
        return "hidden_only"
    if any(n["tie"] == "header" for n in notices):
        return "header_only"
    return "none"


# ------------------------------------------------------------------- fields


def _detect(msg) -> dict[str, Any]:
    def compute(m) -> dict[str, Any]:
        return detect_opt_out(body_sources(m), message_links(m), m.get("list_unsubscribe"),
                              m.get("body.html"))

    return msg.memo("detector:opt_out", compute)


@register(
    "opt_out.status",
    "text",
    "visible | notice_only | hidden_only | header_only | unclear | none: whether an opt-out "
    "notice with a mechanism (link, address, reply instruction) is in what the reader sees; "
    "unclear: none was confirmed but opt_out.possible lists loose signs of one.",
)
def opt_out_status(msg) -> str:
    return _detect(msg)["status"]


@register(
    "opt_out.notices",
    "list[record]",
    "Each opt-out notice found: the wording, where, its mechanism and whether it is visible.",
    item_fields=ITEM_FIELDS,
)
def opt_out_notices(msg) -> list[dict[str, Any]]:
    return _detect(msg)["notices"]


@register(
    "opt_out.possible",
    "list[record]",
    "When no opt-out was confirmed: loose signs of one (removal-ish wording, a link whose "
    "address names a removal, an HTML form) that a person should look at.",
    item_fields={
        "field": ("text", "The field it is in."),
        "start": ("int", "Start offset."),
        "end": ("int", "End offset."),
        "quote": ("text", "The text as written."),
        "visible": ("bool", "Whether the reader sees it."),
        "reason": ("text", "Why it may be an opt-out."),
    },
)
def opt_out_possible(msg) -> list[dict[str, Any]]:
    return _detect(msg)["possible"]


@register(
    "opt_out.searched",
    "text",
    "What the opt-out search covered (visible text, hidden text, links, List-Unsubscribe), "
    "as a phrase for findings that rest on finding nothing.",
)
def opt_out_searched(msg) -> str:
    return _detect(msg)["searched"]


@register(
    "opt_out.burdens",
    "list[record]",
    "Conditions stated in the opt-out instruction (its sentence or the next) that may go "
    "beyond a reply or one web page (16 C.F.R. § 316.5): a fee, personal details, a login.",
    item_fields={
        "kind": ("text", "fee, personal_information or login."),
        "detail": ("text", "One sentence saying what was seen."),
        "field": ("text", "The text field it is in."),
        "start": ("int", "Start offset."),
        "end": ("int", "End offset."),
        "quote": ("text", "The wording as written."),
        "visible": ("bool", "Whether the reader sees it."),
    },
)
def opt_out_burdens(msg) -> list[dict[str, Any]]:
    return _detect(msg)["burdens"]
