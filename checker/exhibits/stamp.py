"""Bates numbers drawn onto a finished exhibit: a batch lays each exhibit out once.

A batch cannot know where an exhibit's Bates numbers start until every exhibit before it
has been rendered (their page counts decide it), and it renders several at once. So each
exhibit is rendered with `BatesSpec(stamped=True)`: every Bates number is a placeholder of
the final width laid out with `visibility: hidden` (nothing is drawn, the layout is final),
and `stamp_spots` records where the placeholders sit. Once the start is known,
`stamp_bates` draws the real numbers there (an overlay per page: DejaVu Sans Mono, embedded,
so the PDF/A stays self-contained) and puts the first number into the document's keywords.
"Page X of Y" counts the exhibit's own pages, which the render already knows: WeasyPrint
draws it.

Reproducible: the overlay is made with ReportLab's invariant mode, qpdf writes the result
with a document identifier derived from its content, and nothing reads the clock.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from checker.exhibits.bates import PLACEHOLDER, RANGE_DASH

PX = 0.75  # points per CSS pixel
MIN_BATES_SIZE = 9.0  # pt: a Bates number is never printed smaller
# One face for every stamp (each embedded face costs ~20 KB per exhibit).
FONT_FILE = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
FONT_NAME = "SpamlawBatesMono"
PAGE, RANGE = "page", "range"


class StampError(Exception):
    """The Bates numbers could not be drawn (the batch slip-sheets the exhibit)."""


@dataclass(frozen=True)
class Spot:
    """Where one placeholder sits: page index, what goes there, baseline point in PDF
    coordinates (points, origin bottom-left), alignment, size and weight."""

    page: int
    kind: str  # PAGE: this page's Bates number; RANGE: "first – last"
    x: float
    y: float
    align: str  # "left" (x is the start) or "right" (x is the end)
    size: float
    bold: bool


def stamp_spots(document) -> tuple[Spot, ...]:
    """The placeholders of a WeasyPrint document laid out with a stamped BatesSpec."""
    spots: list[Spot] = []
    for index, page in enumerate(document.pages):
        height = page.height
        for box, corner, hidden_range in _placeholder_boxes(page._page_box):
            style = box.style
            size = max(float(style["font_size"]) * PX, MIN_BATES_SIZE if corner else 0.0)
            bold = int(style["font_weight"]) >= 600
            y = (height - (box.position_y + box.baseline)) * PX
            if hidden_range:
                spots.append(Spot(index, RANGE, box.position_x * PX, y, "left", size, bold))
            else:
                right = (box.position_x + box.width) * PX
                spots.append(Spot(index, PAGE, right, y, "right", size, bold))
    # the page's own number last, as the footer is the last thing a reader meets
    return tuple(sorted(spots, key=lambda spot: (spot.page, spot.kind == PAGE)))


def _placeholder_boxes(page_box):
    """(text box, in a margin box?, is the cover's range) for every placeholder."""
    for margin in page_box.children:
        keyword = getattr(margin, "at_keyword", None)
        if keyword is None:
            continue
        texts = [box for box in _walk(margin) if type(box).__name__ == "TextBox"]
        if keyword == "@bottom-right" and margin.style["visibility"] == "hidden":
            yield from ((box, True, False) for box in texts[:1])
        elif texts and len(texts) > 1 and texts[-1].text == "\xa0":
            yield texts[-1], True, False  # the line kept under a bottom-right label
    for box in _walk(page_box):
        if (type(box).__name__ == "TextBox" and box.style["visibility"] == "hidden"
                and set(box.text) == {PLACEHOLDER} and _in_range_span(box)):
            yield box, False, True


def _in_range_span(box) -> bool:
    element = getattr(box, "element", None)
    classes = element.get("class", "") if element is not None else ""
    return "exh-bates-range" in classes.split()


def _walk(box):
    yield box
    for child in getattr(box, "children", None) or ():
        yield from _walk(child)


def stamp_bates(pdf: bytes, spots: Sequence[Spot], numbers: Sequence[str]) -> bytes:
    """`pdf` with `numbers[i]` drawn on page i at its spots, the cover's range filled in,
    and the first number in the keywords. Raises StampError."""
    try:
        import pikepdf
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise StampError(f"pikepdf is not installed: {exc}") from None
    try:
        with pikepdf.open(io.BytesIO(pdf)) as document:
            if len(document.pages) != len(numbers):
                raise StampError(f"{len(document.pages)} page(s) but {len(numbers)} Bates "
                                 "number(s)")
            sizes = [tuple(float(v) for v in page.mediabox) for page in document.pages]
            with pikepdf.open(io.BytesIO(_overlay(sizes, spots, numbers))) as overlay:
                for index, (page, layer) in enumerate(zip(document.pages, overlay.pages,
                                                          strict=True)):
                    _draw_over(document, page, layer, f"{STAMP_NAME}{index + 1}")
            _set_keywords(document, numbers[0])
            out = io.BytesIO()
            document.save(out, deterministic_id=True)
            return out.getvalue()
    except StampError:
        raise
    except Exception as exc:
        raise StampError(f"cannot stamp Bates numbers: {type(exc).__name__}: {exc}") from exc


STAMP_NAME = "/SpamlawBates"


def _draw_over(document, page, layer, name: str) -> None:
    """Draw the overlay page `layer` over `page` as a form XObject under a fixed name
    (pikepdf's add_overlay picks a random one, which would change the bytes each run;
    one name per page, as pages may share their resources)."""
    import pikepdf

    form = document.copy_foreign(layer.as_form_xobject())
    resources = page.obj.get("/Resources")
    if resources is None:
        resources = page.obj["/Resources"] = pikepdf.Dictionary()
    if "/XObject" not in resources:
        resources["/XObject"] = pikepdf.Dictionary()
    resources["/XObject"][name] = form
    page.contents_coalesce()
    page.contents_add(pikepdf.Stream(document, b"q\n"), prepend=True)
    page.contents_add(pikepdf.Stream(document, b"\nQ q " + name.encode() + b" Do Q\n"))


def _overlay(sizes, spots: Sequence[Spot], numbers: Sequence[str]) -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1, pageCompression=1)
    by_page: dict[int, list[Spot]] = {}
    for spot in spots:
        by_page.setdefault(spot.page, []).append(spot)
    text_range = f"{numbers[0]}{RANGE_DASH}{numbers[-1]}"
    for index, box in enumerate(sizes):
        canvas.setPageSize((box[2] - box[0], box[3] - box[1]))
        for spot in by_page.get(index, ()):
            text = numbers[index] if spot.kind == PAGE else text_range
            canvas.setFont(_font(), spot.size)
            if spot.align == "right":
                canvas.drawRightString(spot.x - box[0], spot.y - box[1], text)
            else:
                canvas.drawString(spot.x - box[0], spot.y - box[1], text)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


@cache
def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(FONT_NAME, _font_file()))
    return FONT_NAME


def _font_file() -> str:
    """DejaVu Sans Mono Bold (the font WeasyPrint draws Bates numbers with), where Debian
    puts it, else wherever fontconfig knows it."""
    import subprocess
    from pathlib import Path

    if Path(FONT_FILE).is_file():
        return FONT_FILE
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}", "DejaVu Sans Mono:bold"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        found = ""
    if not found.lower().endswith((".ttf", ".otf")):
        raise StampError("the DejaVu Sans Mono Bold font is not installed (fonts-dejavu-core)")
    return found


def _set_keywords(document, first: str) -> None:
    """The render put a placeholder where the first Bates number belongs in the keywords
    (document information and XMP): put the number there."""
    import re

    placeholder = re.compile("^" + re.escape(PLACEHOLDER) + "{3,}")
    info = document.docinfo
    if "/Keywords" in info:
        info["/Keywords"] = placeholder.sub(first, str(info["/Keywords"]), count=1)
    with document.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        if "pdf:Keywords" in meta:
            meta["pdf:Keywords"] = placeholder.sub(first, str(meta["pdf:Keywords"]), count=1)
