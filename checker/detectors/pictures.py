"""Weighing pictures: which of a message's pictures could hold text the rules look for.

A rule that finds no opt-out or no postal address in the text must ask whether one is in a
picture. Most marketing mail carries a logo, product pictures and tracking pixels, so
"any picture" would send nearly every message to review. Each picture is classified by
what the message says of it (`pictures[].role`):

- tracking_pixel: not visible (display:none, 1x1, at most 3x3 pixels);
- spacer: one pixel thick, one colour, or named as a spacer;
- logo: alt text naming the sender's brand (or "logo"), and small;
- icon: too small to hold a line of text (at most 64x64, or under 120 wide / 8 high);
- banner: alt text that says what the picture shows (a sale banner, a product);
- content_bearing: a picture that may carry the message itself: no (meaningful) alt text,
  an image map, alt text naming footer content (address, unsubscribe), or any picture of a
  body that is only pictures.

Only a content-bearing picture `could_hold_text` of a footer. One that was read by OCR
(`body.image_text`) had its text searched, so it no longer hides anything, except in a
body that is only pictures (OCR may miss text; a picture-only advertisement stays a
question for a person). An unread content-bearing picture blocks a finding of absence
(`pictures.blocking`) when the body is only pictures, when the text has no footer of its
own (`pictures.text_footer`: opt-out wording, a copyright or contact line near the end of
a substantial text), when the text is little more than that footer (under CONTENT_CHARS
above it: an advertisement drawn in pictures over an ad network's footer), or when the
picture sits where a footer would be (below the last text, or within the last
FOOTER_CHARS visible characters). A content-bearing picture
above a text that has its own footer does not: the sender wrote the footer as text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from checker.detectors._text import fold, registrable_domain
from checker.detectors.opt_out import wording_spans
from checker.extract.images import Picture, pictures_of
from checker.fields import register

SUBSTANTIAL_CHARS = 200  # visible characters (not spaces) of a text with a body of its own
IMAGE_ONLY_CHARS = 100  # fewer: the body is only pictures
CONTENT_CHARS = 150  # fewer above the footer: the message itself is in the pictures
FOOTER_CHARS = 300  # a picture with at most this much visible text below sits in the footer
TAIL_SHARE, TAIL_MIN = 0.25, 600  # where a footer is looked for: the last quarter, >= 600 chars
LOGO_MAX = (400, 200)
ICON_MAX = 64
LINE_MIN = (40, 8)  # narrower or lower than this holds no line of text

_GENERIC_ALT = re.compile(
    r"^(?:|[\W\d_]+|image|img|picture|pic|photo|foto|bild|imagen|banner|header|graphic|spacer"
    r"|pixel|blank|null|none|untitled|[\w\-]+\.(?:png|jpe?g|gif|bmp|webp))$",
    re.IGNORECASE,
)
_SPACER_FILE = re.compile(r"spacer|^(?:blank|shim|clear|transparent|trans|pixel|1x1|dot|s)\.(?:gif|png)$",
                          re.IGNORECASE)
_LOGO = re.compile(r"logo|ロゴ|标志|標誌|로고", re.IGNORECASE)
_FOOTER_ALT = re.compile(
    r"address|unsubscribe|opt.?out|footer|contact|legal|privacy|copyright|impressum|"
    r"direcci[oó]n|adresse|anschrift|indirizzo|endere[cç]o|adres\b|abmelden|d[ée]sabonn|"
    r"darse de baja|地址|退订|退訂|住所|配信停止|주소|수신거부|адрес|отписа",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(
    r"©|\(c\)\s*(?:19|20)\d\d|copyright|all rights reserved|derechos reservados|droits r[ée]serv|"
    r"rechte vorbehalten|diritti riservati|direitos reservados|rechten voorbehouden|"
    r"版权所有|版權所有|著作権|무단|все права защищены",
    re.IGNORECASE,
)
_CONTACT = re.compile(
    r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+|\+?\d[\d ()./\-]{7,}\d|contact\s+us|customer\s+service|"
    r"privacy\s+policy|terms\s+(?:of|and)|impressum|datenschutz|kontakt|contacto|contactez|"
    r"contatt|privacidad|客服|联系|聯絡|联络|お問い合わせ|고객센터|문의|контакт",
    re.IGNORECASE,
)


def _chars(text: str) -> int:
    return len("".join(text.split()))


@lru_cache(maxsize=16)
def footer_start(visible_text: str) -> int | None:
    """Where the text's own footer starts: the first opt-out wording, copyright or contact
    line in its last part (None: no footer). Cached: two detectors ask for each message's
    text, and the answer depends on the text alone."""
    offset = max(0, len(visible_text) - max(TAIL_MIN, int(len(visible_text) * TAIL_SHARE)))
    tail = visible_text[offset:]
    found = [m.start() for m in (_COPYRIGHT.search(tail), _CONTACT.search(tail)) if m]
    found += [start for start, _, _ in wording_spans(tail)[:1]]
    return offset + min(found) if found else None


def text_footer(visible_text: str) -> bool:
    """Whether the visible text is substantial and ends with a footer of its own."""
    return _chars(visible_text) >= SUBSTANTIAL_CHARS and footer_start(visible_text) is not None


def text_carries_message(visible_text: str) -> bool:
    """Whether the text above its footer says something of its own: when it does not (an ad
    network's footer under an advertisement drawn in pictures), the message is in the
    pictures, and so may be its sender's address."""
    start = footer_start(visible_text)
    return _chars(visible_text[:start] if start is not None else visible_text) >= CONTENT_CHARS


def _meaningful_alt(alt: str) -> bool:
    return not _GENERIC_ALT.match(alt.strip())


def _file_name(src: str | None) -> str:
    """The last path segment of a picture's URL (never its host: every picture of a
    sender's CDN has the brand in its host)."""
    path = (src or "").split("?", 1)[0].split("#", 1)[0]
    return path.rsplit("/", 1)[-1] if "/" in path else path


def _is_logo(alt: str, src: str | None, brands: list[str]) -> bool:
    """Alt text naming the sender's brand, or "logo" in the alt text or the file name."""
    if _LOGO.search(alt) or _LOGO.search(_file_name(src)):
        return True
    squashed = fold("".join(alt.split()))
    return bool(squashed) and any(brand and (brand in squashed or (len(squashed) >= 2 and squashed in brand))
               for brand in brands)


def brands_of(display_name: str | None, domain: str | None) -> list[str]:
    """Names the sender goes by, folded: the From display name (whole, and its words of three
    or more letters) and the first label of the From domain."""
    names = []
    if display_name:
        names.append(fold("".join(display_name.split())))
        names += [fold(word) for word in re.findall(r"\w{3,}", display_name)]
    registrable = registrable_domain(domain) if domain else None
    if registrable:
        names.append(registrable.split(".")[0].lower())
    return [n for n in names if len(n) >= 2]


def _size(picture: Picture) -> str:
    if picture.width and picture.height:
        return f"{picture.width}×{picture.height}"
    return "size not given"


def classify(picture: Picture, image_only: bool, brands: list[str]) -> tuple[str, str]:
    """(role, why) for one picture; see the module docstring."""
    width, height, alt = picture.width, picture.height, picture.alt or ""
    if not picture.visible:
        return "tracking_pixel", f"not visible ({picture.hidden_reason or 'hidden'})"
    if width is not None and height is not None and width <= 3 and height <= 3:
        return "tracking_pixel", f"{width}×{height} pixels: a tracking pixel"
    if ((width is not None and width <= 3) or (height is not None and height <= 3)
            or _SPACER_FILE.search(_file_name(picture.src))
            or (picture.reading is not None and picture.reading.uniform)):
        return "spacer", "a spacer (one pixel thick, one colour, or named as a spacer)"
    if picture.usemap:
        return "content_bearing", "an image map: the picture is the message's content"
    if alt and _FOOTER_ALT.search(alt):
        return "content_bearing", f'its alt text names footer content ("{alt[:60]}")'
    if image_only:
        return "content_bearing", "the body is only pictures"
    small = (width is None or width <= LOGO_MAX[0]) and (height is None or height <= LOGO_MAX[1])
    if small and _is_logo(alt, picture.src, brands):
        shown = (f'alt text "{alt[:60]}"' if alt and _meaningful_alt(alt)
                 else f'file name "{_file_name(picture.src)[:60]}"')
        return "logo", f"a small logo ({_size(picture)}, {shown})"
    if width is not None and height is not None:
        if width < LINE_MIN[0] or height < LINE_MIN[1]:
            return "icon", f"{width}×{height} pixels: too small to hold a line of text"
        if width <= ICON_MAX and height <= ICON_MAX:
            return "icon", (f"{width}×{height} pixels: an icon, too small for a postal address "
                            "or an opt-out notice")
    if _meaningful_alt(alt):
        return "banner", f'its alt text says what it shows ("{alt[:60]}")'
    return "content_bearing", "no alt text says what it shows"


def _blocks(picture: Picture, role: str, image_only: bool, footer: bool,
            carries: bool) -> tuple[bool, str | None]:
    """(whether this picture may hold what the text lacks, why) for a content-bearing
    picture; (False, None) for the others, whose role says why they cannot."""
    if role != "content_bearing" or not picture.visible:
        return False, None
    if image_only:
        if picture.read:
            return True, "the body is only pictures, and OCR of a picture may miss text"
        return True, "the body is only pictures, and this one was not read"
    if picture.read:
        return False, None
    if not footer:
        return True, "the text has no footer of its own, so the footer may be in this picture"
    if not carries:
        return True, ("the text is little more than a footer: the message itself, and the "
                      "sender's details, may be in the pictures")
    below = picture.text_after
    if below is None or below <= FOOTER_CHARS:
        return True, ("it sits where a footer would be (below all the text)" if not below else
                      f"it sits where a footer would be ({below} characters of text below it)")
    return False, (f"the text has a footer of its own and this picture sits above it "
                   f"({below} characters of text below it)")


def weigh(pictures: list[Picture], visible_text: str, brands: list[str]) -> dict[str, Any]:
    """{pictures, blocking, image_only, text_footer, summary} for a message."""
    shown = [p for p in pictures if p.visible]
    image_only = bool(shown) and _chars(visible_text) < IMAGE_ONLY_CHARS
    footer = text_footer(visible_text)
    carries = text_carries_message(visible_text)
    records = []
    for picture in pictures:
        role, why = classify(picture, image_only, brands)
        blocking, because = _blocks(picture, role, image_only, footer, carries)
        if picture.read and not blocking:
            chars = len(picture.reading.text)
            why = (f"read by OCR and its text searched ({chars} characters)" if chars
                   else "read by OCR: no text in it")
        records.append({
            "index": picture.index, "source": picture.source, "src": picture.src,
            "part": picture.part, "content_type": picture.content_type, "width": picture.width,
            "height": picture.height, "alt": picture.alt, "visible": picture.visible,
            "role": role, "could_hold_text": role == "content_bearing", "read": picture.read,
            "text_chars": len(picture.reading.text) if picture.read else 0,
            "text_after": picture.text_after, "blocking": blocking,
            "why": f"{why}; {because}" if because else why,
            "role_why": why, "blocks_why": because,
            "note": picture.note,
            "label": picture.label(),
        })
    return {"pictures": records, "blocking": [r for r in records if r["blocking"]],
            "image_only": image_only, "text_footer": footer, "summary": summary(records)}


def summary(records: list[dict[str, Any]]) -> str | None:
    """One sentence per picture that matters, for findings: what it is and why it could or
    could not hold a missing notice or address."""
    if not records:
        return "The message shows no pictures."
    minor = [r for r in records if r["role"] in ("tracking_pixel", "spacer")]
    parts = [f"{r['label']} could hold it ({r['why']})" if r["blocking"]
             else f"{r['label']} was {r['why']}" if r["read"]
             else f"{r['label']} is not taken to hold it ({r['why']})"
             for r in records if r not in minor][:10]
    if minor:
        numbers = ", ".join(str(r["index"]) for r in minor[:10])
        parts.append(f"{len(minor)} tracking pixel(s) or spacer(s) (picture {numbers}) hold no text")
    return "; ".join(parts) + "."


# ------------------------------------------------------------------- fields


def _weigh(msg) -> dict[str, Any]:
    return msg.memo(
        "detector:pictures",
        lambda m: weigh(pictures_of(m), m.get("body.visible_text") or "",
                        brands_of(m.get("from.display_name"), m.get("from.domain"))),
    )


PICTURE_FIELDS = {
    "index": ("int", "The picture's number, from 1 (HTML pictures in order, then image parts)."),
    "source": ("text", "remote (never fetched) | cid | data | attachment | other."),
    "src": ("text", "The src as written (a data: URL shortened), or the part's filename."),
    "part": ("text", "MIME path of the part carrying it."),
    "content_type": ("text", "image/png, ... (decoded type for carried pictures)."),
    "width": ("int", "Width in pixels (decoded, else declared in the HTML)."),
    "height": ("int", "Height in pixels (decoded, else declared in the HTML)."),
    "alt": ("text", "The alt text."),
    "visible": ("bool", "Whether the reader sees it."),
    "role": ("text", "tracking_pixel | spacer | logo | icon | banner | content_bearing."),
    "could_hold_text": ("bool", "A content-bearing picture: it may carry footer text."),
    "read": ("bool", "Read by OCR (its text is in body.image_text and was searched)."),
    "text_chars": ("int", "Characters of text OCR read from it."),
    "text_after": ("int", "Visible characters (not spaces) below it in the HTML body."),
    "blocking": ("bool", "It may hold a notice or address the text lacks (pictures.blocking)."),
    "why": ("text", "Why it has its role, and why it could or could not hold footer text."),
    "role_why": ("text", "Why it has its role (what the message says of the picture)."),
    "blocks_why": ("text", "Why it could or could not hold footer text (where it sits, what the text lacks); None for pictures that cannot hold text."),
    "note": ("text", "Why a carried picture was not read (bounds, decoding, OCR missing)."),
    "label": ("text", "How findings name it: 'picture 2 (image/png, 600×120)'."),
}


@register(
    "pictures",
    "list[record]",
    "Every picture the message shows (HTML images, image parts), classified by what the "
    "message says of it, with whether it could hold text a rule looks for.",
    item_fields=PICTURE_FIELDS,
)
def pictures(msg) -> list[dict[str, Any]]:
    return _weigh(msg)["pictures"]


@register(
    "pictures.blocking",
    "list[record]",
    "The pictures that may hold an opt-out notice or postal address the text lacks: "
    "content-bearing and not read, in a body that is only pictures, has no text footer of "
    "its own, or where they sit in the footer. Empty: no picture could hold it.",
    item_fields=PICTURE_FIELDS,
)
def pictures_blocking(msg) -> list[dict[str, Any]]:
    return _weigh(msg)["blocking"]


@register("pictures.image_only", "bool",
          "The body is only pictures: it shows pictures and under 100 visible characters.")
def pictures_image_only(msg) -> bool:
    return _weigh(msg)["image_only"]


@register("pictures.text_footer", "bool",
          "The visible text is substantial (200+ characters) and ends with a footer of its "
          "own: opt-out wording, a copyright line or contact lines in its last part.")
def pictures_text_footer(msg) -> bool:
    return _weigh(msg)["text_footer"]


@register("pictures.summary", "text",
          "The pictures that matter, each with why it could or could not hold a missing "
          "notice or address, as a sentence for findings.")
def pictures_summary(msg) -> str:
    return _weigh(msg)["summary"]
