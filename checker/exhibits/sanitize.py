"""Email HTML → markup that is safe to lay out inside an exhibit, and honest about it.

Steps: truncate a huge part (with a note); apply the message's own `<style>` rules as
inline styles (css-inline, remote stylesheets off) so text that a class hides stays
hidden; clean with an nh3 allowlist that keeps layout and the inline styles that hide
text, and drops scripts, forms, event handlers, ids/classes and every remote URL; then
turn each image into either a served `cid:` image or a labelled placeholder that shows
the defanged URL, and each link into inert text followed by its (defanged) target.

Nothing here fetches. Whatever was referenced and not loaded is listed in `blocked`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import css_inline
import nh3
from markupsafe import Markup

MAX_HTML_CHARS = 100_000  # larger parts are cut here (layout time grows with size; real spam < 50k)
MAX_BLOCKED = 300
MAX_SHOWN_URL = 300
MAX_CSS_NUMBER = 2000  # px/pt/% values above this are dropped (page-long boxes, bombs)
MAX_SPAN = 100  # colspan / rowspan
MAX_NESTING = 1000  # elements open at once; 12,000 crashed the CSS inliner (C stack)
# Never counted: void elements, and those an HTML parser closes by itself when the next
# one starts (spam leaves thousands of <p> and <td> unclosed; they do not nest).
UNNESTED_TAGS = frozenset(
    """area base br col embed hr img input link meta param source track wbr p li dt dd
    td th tr tbody thead tfoot option""".split())

ALLOWED_TAGS = frozenset(
    """a abbr b big blockquote br caption center cite code col colgroup dd del dfn div dl
    dt em font h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s samp small span
    strike strong sub sup table tbody td tfoot th thead tr tt u ul var wbr""".split()
)
# Scripts and styles disappear with their content; everything else not allowed is
# unwrapped (its text kept), so nothing a reader could see is silently lost.
CLEAN_CONTENT_TAGS = frozenset(
    {"script", "style", "title", "head", "noscript", "template", "object", "embed", "applet",
     "iframe", "frame", "frameset", "svg", "math", "xml", "select", "textarea", "button"}
)
_LAYOUT = {"align", "valign", "width", "height", "bgcolor", "dir", "style", "nowrap"}
ALLOWED_ATTRIBUTES = {
    "*": _LAYOUT,
    "a": {"href"},
    "img": {"src", "alt", "border", "hspace", "vspace"},
    "font": {"color", "face", "size"},
    "table": {"border", "cellpadding", "cellspacing", "background", "frame", "rules"},
    "td": {"colspan", "rowspan", "background"},
    "th": {"colspan", "rowspan", "background"},
    "tr": {"background"},
    "ol": {"start", "type"},
    "ul": {"type"},
    "li": {"value", "type"},
    "hr": {"size", "noshade", "color"},
    "col": {"span"},
    "colgroup": {"span"},
}
# nh3 checks schemes before our filter sees a value; data: and file: are let through
# to the filter only so that they can be listed as blocked.
URL_SCHEMES = frozenset({"http", "https", "mailto", "cid", "ftp", "data", "file"})

# Inline CSS properties that shape what a reader sees, including the ones spam uses to
# hide text (display, visibility, font-size, color, opacity, height + overflow). Left
# out on purpose: position/offsets/z-index/transform (could draw over the exhibit's own
# text), content, counters, string-set, page and break properties (page furniture),
# and anything whose only use is to load a URL.
STYLE_PROPERTIES = frozenset(
    """color background-color background font font-family font-size font-weight
    font-style font-variant text-decoration text-align text-indent text-transform
    vertical-align line-height letter-spacing word-spacing white-space direction
    display visibility opacity overflow overflow-x overflow-y width height max-width
    min-width max-height min-height margin margin-top margin-right margin-bottom
    margin-left padding padding-top padding-right padding-bottom padding-left border
    border-top border-right border-bottom border-left border-color border-style
    border-width border-collapse border-spacing border-top-color border-bottom-color
    border-left-color border-right-color border-top-style border-bottom-style
    border-left-style border-right-style border-top-width border-bottom-width
    border-left-width border-right-width float clear list-style-type table-layout
    caption-side empty-cells""".split()
)

_INLINER = css_inline.CSSInliner(
    load_remote_stylesheets=False, keep_style_tags=False, keep_link_tags=False,
    keep_at_rules=False,
)
_URL_IN_CSS = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))""", re.IGNORECASE)
_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)""", re.IGNORECASE)
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)(?:</style\s*>|$)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<([a-zA-Z][\w:-]*)\b([^>]*)>")
_RAW_ATTR = re.compile(
    r"""\s(src|background|poster|data|href|xlink:href|dynsrc|lowsrc)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""",
    re.IGNORECASE,
)
_BODY = re.compile(r"<body\b([^>]*)>", re.IGNORECASE)
_CLEAN_ATTR = re.compile(r'\s([\w:-]+)(?:="([^"]*)")?')
_IMG = re.compile(r"<img\b([^>]*)>")
_ANCHOR = re.compile(r"<a\b([^>]*)>(.*?)</a>", re.DOTALL)
_NUMBER = re.compile(r"(\d+(?:\.\d*)?)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_BLOCKED_SRC = "exh-blocked:"  # only our filter writes it: kept sources start with cid:


@dataclass(frozen=True)
class BlockedResource:
    """A URL the message referenced that the exhibit did not load."""

    url: str
    where: str  # e.g. "img src", "td background", "<style> url()", "@import"

    @property
    def defanged(self) -> str:
        return defang(self.url)


@dataclass
class SanitizedHtml:
    markup: Markup
    body_style: str = ""
    blocked: list[BlockedResource] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    original_chars: int = 0
    rendered_chars: int = 0
    too_deep: int = 0  # the nesting depth when it is past MAX_NESTING (nothing was laid out)


def clean_text(text: str) -> str:
    """Text that every later stage (nh3, Pango, PDF) accepts and a reader can see:
    control characters other than tab and newline in caret notation (^@, ^L, ^?), lone
    surrogates (undecodable bytes) as U+FFFD."""
    return _CONTROL.sub(_stand_in, text)


def _stand_in(match: re.Match) -> str:
    code = ord(match.group())
    if code < 0x20:
        return "^" + chr(0x40 + code)
    if code == 0x7F:
        return "^?"
    return "\ufffd"


def defang(url: str) -> str:
    """A URL that no viewer turns into a live link: hxxp://host[.]example/path."""
    url = clean_text(url.strip())
    if len(url) > MAX_SHOWN_URL:
        url = url[:MAX_SHOWN_URL] + "…"
    scheme, sep, rest = url.partition("://")
    if sep:
        host, slash, path = rest.partition("/")
        scheme = {"http": "hxxp", "https": "hxxps", "ftp": "fxp"}.get(scheme.lower(), scheme)
        return f"{scheme}[://]{host.replace('.', '[.]')}{slash}{path}"
    if url.startswith("//"):
        host, slash, path = url[2:].partition("/")
        return f"[//]{host.replace('.', '[.]')}{slash}{path}"
    if url.lower().startswith("mailto:"):
        return "mailto[:]" + url[7:].replace("@", "[@]").replace(".", "[.]")
    return url


_URL_PUNCTUATION = re.compile(r"([/?&=._\-\]@]+)")
_LONG_RUN = 24


def breakable(text: str) -> Markup:
    """`text` escaped, with <wbr> break chances after URL punctuation and inside long
    runs. Used instead of `overflow-wrap: anywhere`, which makes the table layout of
    the message around a placeholder or link target several times slower."""
    out: list[Markup] = []
    for piece in _URL_PUNCTUATION.split(text):
        if not piece:
            continue
        if _URL_PUNCTUATION.fullmatch(piece):
            out.append(Markup("{}<wbr>").format(piece))
            continue
        chunks = [piece[i:i + _LONG_RUN] for i in range(0, len(piece), _LONG_RUN)]
        out.append(Markup("<wbr>").join(Markup("{}").format(c) for c in chunks))
    return Markup("").join(out)


def sanitize_html(html: str, has_cid: Callable[[str], bool] = lambda url: False) -> SanitizedHtml:
    """Sanitize one HTML body. `has_cid(url)` says whether a `cid:` URL is served."""
    result = SanitizedHtml(markup=Markup(""), original_chars=len(html))
    if len(html) > MAX_HTML_CHARS:
        html = html[:MAX_HTML_CHARS]
        result.notes.append(
            f"The HTML part has {result.original_chars:,} characters; only the first "
            f"{MAX_HTML_CHARS:,} are rendered here. The whole part is in the embedded "
            "original message."
        )
    result.rendered_chars = len(html)
    html = clean_text(html)
    blocked = _Recorder()
    _scan_raw_references(html, blocked)
    depth = nesting_depth(html)
    if depth > MAX_NESTING:  # checked before anything parses it: the inliner would crash
        result.too_deep = depth
        result.blocked = blocked.items
        return result
    html = _inline_styles(html, result.notes)
    result.body_style = _body_style(html, blocked)
    attribute_filter = _AttributeFilter(blocked, has_cid)
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(CLEAN_CONTENT_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=attribute_filter,
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
        strip_comments=True,
    )
    cleaned = _IMG.sub(lambda m: _image(m, attribute_filter.images), cleaned)
    cleaned = _ANCHOR.sub(_anchor, cleaned)
    result.markup = Markup(cleaned)  # nh3 output, post-processed with escaping only
    result.blocked = blocked.items
    return result


_OPEN_CLOSE = re.compile(r"<(/?)([a-zA-Z][\w:-]*)[^>]*?(/?)>")


def nesting_depth(html: str) -> int:
    """How many elements are open at once at the deepest point (void and self-closed
    elements do not count; a closing tag closes one level)."""
    depth = deepest = 0
    for match in _OPEN_CLOSE.finditer(html):
        closing, name, self_closed = match.groups()
        if closing:
            if name.lower() not in UNNESTED_TAGS:
                depth = max(0, depth - 1)
        elif not self_closed and name.lower() not in UNNESTED_TAGS:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


class _Recorder:
    """Blocked URLs in first-seen order, one entry per (url, where)."""

    def __init__(self) -> None:
        self.items: list[BlockedResource] = []
        self._seen: set[tuple[str, str]] = set()

    def add(self, url: str, where: str) -> None:
        url = url.strip()
        key = (url, where)
        if key not in self._seen and len(self.items) < MAX_BLOCKED:
            self._seen.add(key)
            self.items.append(BlockedResource(url, where))


def _scan_raw_references(html: str, blocked: _Recorder) -> None:
    """List what the raw HTML would load: resource attributes on any tag, url() and
    @import in <style> blocks. Links (<a href>) are evidence, not resources."""
    for block in _STYLE_BLOCK.finditer(html):
        css = block.group(1)
        for match in _IMPORT.finditer(css):
            blocked.add(match.group(1), "<style> @import")
        for match in _URL_IN_CSS.finditer(css):
            url = next((g for g in match.groups() if g is not None), "")
            if url:
                blocked.add(url, "<style> url()")
    for tag in _TAG.finditer(html):
        name = tag.group(1).lower()
        for attr in _RAW_ATTR.finditer(tag.group(2)):
            attr_name = attr.group(1).lower()
            if name in ("a", "area") and attr_name == "href":
                continue
            url = next((g for g in attr.groups()[1:] if g is not None), "")
            if url and not url.lower().startswith("cid:") and not url.startswith("#"):
                blocked.add(url, f"<{name} {attr_name}>")


def _inline_styles(html: str, notes: list[str]) -> str:
    """Apply the message's <style> rules as inline styles; never loads stylesheets."""
    try:
        return _INLINER.inline(html)
    except Exception as exc:  # malformed CSS: render without it and say so
        notes.append(f"The message's style sheet could not be applied ({type(exc).__name__}).")
        return html


def _body_style(html: str, blocked: _Recorder) -> str:
    """The <body> element's colours and inline style, for the render's frame (nh3
    cleans a fragment, so <body> itself does not survive)."""
    match = _BODY.search(html)
    if not match:
        return ""
    attrs = {name.lower(): value for name, value in _attributes(match.group(1))}
    declarations = []
    if attrs.get("bgcolor"):
        declarations.append(f"background-color: {attrs['bgcolor']}")
    if attrs.get("text"):
        declarations.append(f"color: {attrs['text']}")
    if attrs.get("style"):
        declarations.append(attrs["style"])
    if attrs.get("background"):
        blocked.add(attrs["background"], "<body background>")
    style = _filter_style("; ".join(declarations), blocked, "<body> style")
    return style or ""


def _attributes(text: str) -> list[tuple[str, str]]:
    return [
        (m.group(1), next((g for g in m.groups()[1:] if g is not None), ""))
        for m in re.finditer(
            r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", text
        )
    ]


class _AttributeFilter:
    """nh3's per-attribute hook: bounds numbers, strips URLs out of styles, turns image
    sources that will not be served into numbered placeholders."""

    def __init__(self, blocked: _Recorder, has_cid: Callable[[str], bool]):
        self.blocked = blocked
        self.has_cid = has_cid
        self.images: list[str] = []  # sources of images that will not be served

    def __call__(self, tag: str, attr: str, value: str) -> str | None:
        if attr == "style":
            return _filter_style(value, self.blocked, f"<{tag}> style")
        if attr == "background":
            self.blocked.add(value, f"<{tag} background>")
            return None
        if tag == "img" and attr == "src":
            if value.lower().startswith("cid:") and self.has_cid(value):
                return value
            self.blocked.add(value, "<img src>")
            self.images.append(value)
            return f"{_BLOCKED_SRC}{len(self.images) - 1}"
        if attr in ("width", "height", "border", "cellpadding", "cellspacing", "size",
                    "hspace", "vspace"):
            return value if _bounded(value, MAX_CSS_NUMBER) else None
        if attr in ("colspan", "rowspan", "span"):
            return value if _bounded(value, MAX_SPAN) else None
        return value


def _bounded(value: str, limit: float) -> bool:
    return all(float(n) <= limit for n in _NUMBER.findall(value))


def _filter_style(style: str, blocked: _Recorder, where: str) -> str | None:
    """Keep allowlisted declarations that load nothing and stay within bounds."""
    kept = []
    for declaration in style.split(";"):
        name, colon, value = declaration.partition(":")
        name = name.strip().lower()
        if not colon or name not in STYLE_PROPERTIES:
            continue
        lowered = value.lower()
        if "url(" in lowered or "image(" in lowered or "image-set(" in lowered:
            for match in _URL_IN_CSS.finditer(value):
                url = next((g for g in match.groups() if g is not None), "")
                if url:
                    blocked.add(url, f"{where} url()")
            continue
        if "\\" in value or "expression" in lowered or "@" in value or "var(" in lowered:
            continue  # escapes and functions that could smuggle a URL or a reference
        if not _bounded(value, MAX_CSS_NUMBER):
            continue
        if name.startswith("margin") and "-" in value:
            continue  # negative margins could pull the message over the exhibit's text
        kept.append(f"{name}: {value.strip()}")
    return "; ".join(kept) if kept else None


TINY_IMAGE = 3  # pixels: an image this small (either side) is a tracking or spacer picture


def _image(match: re.Match, unserved: list[str]) -> str:
    """A picture the exhibit does not show: a small, labelled marker in its place (a
    declared 1x1 tracking or spacer picture gets the smallest marker)."""
    attrs = dict(_clean_attr_pairs(match.group(1)))
    src = attrs.get("src", "")
    if src and not src.startswith(_BLOCKED_SRC):
        return match.group(0)  # a served cid: image
    if _is_tiny(attrs):
        return str(Markup('<span class="exh-img exh-img-tiny">[tiny image]</span>'))
    alt = attrs.get("alt", "")
    if src:
        url = unserved[int(src[len(_BLOCKED_SRC):])].strip()
        label = Markup("image not loaded: {}").format(breakable(defang(url)))
        if not url:
            label = Markup("image with an empty source")
        elif url.lower().startswith("cid:"):
            label = Markup("inline image {} could not be shown (missing from the message, "
                           "or not a readable picture)").format(breakable(url[:MAX_SHOWN_URL]))
        elif url.lower().startswith("data:"):
            label = Markup("inline data: image ({} characters) not rendered").format(len(url))
    else:
        label = Markup("image without a usable source")
    if alt:
        label += Markup(" — alt text: “{}”").format(Markup(alt).unescape())
    return str(Markup('<span class="exh-img">[{}]</span>').format(label))


def _is_tiny(attrs: dict[str, str]) -> bool:
    sizes = [attrs.get("width", ""), attrs.get("height", "")]
    return any(size.strip().rstrip("px").isdigit() and int(size.strip().rstrip("px")) <= TINY_IMAGE
               for size in sizes)


def _clean_attr_pairs(text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2) or "") for m in _CLEAN_ATTR.finditer(text)]


def _anchor(match: re.Match) -> str:
    """An inert link: no href in the PDF (a click must not reach the sender), shown as its
    text only, as a mail program shows it; the targets are listed in the link
    inventory."""
    attrs = _clean_attr_pairs(match.group(1))
    href = Markup(next((value for name, value in attrs if name == "href"), "")).unescape()
    kept = Markup("").join(
        Markup(' {}="{}"').format(name, Markup(value).unescape())
        for name, value in attrs
        if name != "href"
    )
    del href  # listed in the link inventory, never in the rendering
    return str(Markup('<a class="exh-link"{}>').format(kept) + Markup(match.group(2)) + Markup("</a>"))
