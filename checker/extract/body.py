"""Body fields: text, HTML, what a reader sees, hidden text, links and images.

A message is rendered the way a mail client shows it, as a list of body leaves:
multipart/alternative shows one alternative (the last one the client can display),
every other multipart shows all its body leaves in order (a mailing-list footer in its
own part is part of what the reader sees). Two views exist:

- the HTML view (an HTML-capable client): feeds `body.html`, `body.visible_text`,
  `body.hidden_text`, `links` and `images`;
- the plain view (a text-only client): feeds `body.text`.

When a view has several leaves their texts are joined with a blank line.
"""

from __future__ import annotations

from typing import Any

from checker.extract.mime import Part, body_kind, mime_parts, part_text
from checker.extract.textlinks import find_links
from checker.fields import register
from checker.message import Message

SEPARATOR = "\n\n"


def _shows(parts: list[Part], index: int, kinds: tuple[str, ...]) -> bool:
    """Whether the subtree at `index` has a body leaf of one of `kinds`."""
    part = parts[index]
    if not part.children:
        return body_kind(part) in kinds
    return any(_shows(parts, child, kinds) for child in part.children)


def _render(parts: list[Part], index: int, view: str) -> list[Part]:
    part = parts[index]
    if not part.children:
        return [part] if body_kind(part) else []
    children = part.children
    if part.content_type == "multipart/alternative":
        wanted = ("plain",) if view == "plain" else ("html", "plain")
        chosen = [c for c in children if _shows(parts, c, wanted)]
        if not chosen:
            chosen = [c for c in children if _shows(parts, c, ("html", "plain"))]
        children = tuple(chosen[-1:])
    return [leaf for child in children for leaf in _render(parts, child, view)]


def body_leaves(msg: Message, view: str) -> list[Part]:
    """The body leaves a client shows, in order; view is 'html' or 'plain'."""
    return msg.memo(("body_leaves", view), lambda m: _render(mime_parts(m), 0, view))


def html_analysis(msg: Message, part: Part) -> Any:
    """`analyze_html` of one HTML leaf, memoized per part."""

    def compute(m: Message) -> Any:
        from checker.extract.html import analyze_html

        return analyze_html(part_text(m, part)[0])

    return msg.memo(("html_analysis", part.path), compute)


def _join(texts: list[str]) -> str:
    return SEPARATOR.join(t for t in texts if t)


def _leaf_text(msg: Message, part: Part, attribute: str) -> str:
    """A leaf's text: decoded plain text, or `attribute` of the HTML analysis."""
    if body_kind(part) == "html":
        return getattr(html_analysis(msg, part), attribute)
    return part_text(msg, part)[0]


def _item(item: Any, keys: tuple[str, ...]) -> dict:
    """A contract record from an analysis item (a dict or an object with attributes)."""
    if isinstance(item, dict):
        return {key: item.get(key) for key in keys}
    return {key: getattr(item, key, None) for key in keys}


LINK_KEYS = ("url", "host", "text", "visible", "mailto", "hidden_reason")
IMAGE_KEYS = ("src", "kind", "host", "alt", "visible")
HIDDEN_KEYS = ("text", "reason")


@register(
    "body.text",
    "text",
    "The body as a text-only client shows it: text/plain decoded (text derived from the "
    "HTML when there is no text/plain). Line ends are \\n.",
)
def body_text(msg: Message) -> str:
    return _join([_leaf_text(msg, part, "text") for part in body_leaves(msg, "plain")])


@register(
    "body.html",
    "text",
    "The HTML body as decoded (None when the message has no HTML body).",
)
def body_html(msg: Message) -> str | None:
    leaves = [p for p in body_leaves(msg, "html") if body_kind(p) == "html"]
    if not leaves:
        return None
    return _join([part_text(msg, part)[0] for part in leaves])


@register(
    "body.visible_text",
    "text",
    "What a reader sees: the HTML's visible text (hidden text removed, see "
    "body.hidden_text), or the plain text when there is no HTML.",
)
def body_visible_text(msg: Message) -> str:
    return _join([_leaf_text(msg, part, "visible_text") for part in body_leaves(msg, "html")])


@register(
    "body.hidden_text",
    "list[record]",
    "Text in the HTML that a reader does not see, with why (display:none, tiny font, "
    "same colour as the background, ...).",
    item_fields={
        "text": ("text", "The hidden text."),
        "reason": ("text", "Why it is not visible."),
    },
)
def body_hidden_text(msg: Message) -> list[dict]:
    out = []
    for part in body_leaves(msg, "html"):
        if body_kind(part) == "html":
            out.extend(_item(h, HIDDEN_KEYS) for h in html_analysis(msg, part).hidden)
    return out


@register(
    "links",
    "list[record]",
    "Links in the body as shown (HTML anchors; URLs and addresses in plain text).",
    item_fields={
        "url": ("text", "The target as written (href, or the URL found in plain text)."),
        "host": ("text", "Host of the URL, lowercase (for mailto: the address's domain)."),
        "text": ("text", "The anchor text (for plain text: the URL as written)."),
        "visible": ("bool", "Whether a reader can see the link."),
        "mailto": ("bool", "A mailto: link."),
        "hidden_reason": ("text", "Why the link is not visible (None when visible)."),
    },
)
def links(msg: Message) -> list[dict]:
    out = []
    for part in body_leaves(msg, "html"):
        if body_kind(part) == "html":
            out.extend(_item(link, LINK_KEYS) for link in html_analysis(msg, part).links)
        else:
            out.extend(find_links(part_text(msg, part)[0]))
    return out


@register(
    "images",
    "list[record]",
    "Images in the HTML body, in order.",
    item_fields={
        "src": ("text", "The src as written."),
        "kind": ("text", "remote (fetched from the web: a tracking risk), cid (carried in "
                 "the message), data (inline data: URL) or other."),
        "host": ("text", "Host of a remote src, lowercase."),
        "alt": ("text", "The alt text."),
        "visible": ("bool", "Whether a reader can see the image."),
    },
)
def images(msg: Message) -> list[dict]:
    out = []
    for part in body_leaves(msg, "html"):
        if body_kind(part) == "html":
            out.extend(_item(image, IMAGE_KEYS) for image in html_analysis(msg, part).images)
    return out
