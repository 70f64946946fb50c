"""Pictures: OCR of the pictures a message carries, and weighing the ones it cannot read.

OCR output is not byte-exact across Tesseract versions, so the tests assert what a user
relies on (the address is found, in the picture's text) rather than exact strings. Tests
that need Tesseract skip with the reason when it is missing; `make test` installs it.
"""

from __future__ import annotations

import base64
import io
import socket
import struct
import zlib
from pathlib import Path

import pytest

from checker import ocr
from checker.detectors.pictures import text_footer
from checker.engine import audit
from checker.extract.images import Picture
from checker.findings import Status
from checker.message import Message
from checker.ruleset import load_ruleset

ROOT = Path(__file__).resolve().parents[1]
MODERN = ROOT / "samples" / "modern"
needs_ocr = pytest.mark.skipif(
    ocr.unavailable() is not None,
    reason=f"{ocr.unavailable()}: run `make setup` (installs tesseract-ocr and its languages)",
)


@pytest.fixture(scope="module")
def federal():
    return load_ruleset().select(jurisdictions=["US"])


def sample(name: str) -> Message:
    return Message((MODERN / name).read_bytes(), source_id=name)


def findings(ruleset, msg: Message) -> dict:
    return {f.rule: f for f in audit(ruleset, msg).findings}


def png(size=(300, 60), colour="white", text: str | None = None) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", size, colour)
    if text:
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 20)
        ImageDraw.Draw(image).text((10, 10), text, fill="black", font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def html_message(html: str, *, parts: str = "", from_: str = "Acme Deals <deals@acme.example>",
                 subject: str = "Half price on all tents this week") -> Message:
    boundary = "b1"
    body = (f"--{boundary}\nContent-Type: text/html; charset=utf-8\n\n{html}\n{parts}"
            f"--{boundary}--\n")
    raw = (f"From: {from_}\nTo: trap1@trap.example\nSubject: {subject}\n"
           f"Date: Tue, 10 Jun 2025 14:00:00 +0000\nMessage-ID: <t1@acme.example>\n"
           f"MIME-Version: 1.0\nContent-Type: multipart/related; boundary={boundary}\n\n{body}")
    return Message(raw.encode())


def image_part(cid: str, data: bytes) -> str:
    encoded = base64.encodebytes(data).decode()
    return (f"--b1\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n"
            f"Content-ID: <{cid}>\n\n{encoded}\n")


AD_TEXT = ("<p>Our Ridge 3 tent is now only $149 (was $249). Free shipping on orders over $50 and "
           "every order ships within one business day. Shop now at "
           "<a href='https://acme.example/sale'>acme.example/sale</a>. Sleeping bags from $39, "
           "boots from $59. Offer ends Sunday, while stocks last.</p>")
FOOTER = ("<p><a href='https://acme.example/unsubscribe'>Unsubscribe</a> from these emails. "
          "&copy; 2025 Acme Outdoor Supply</p>")


# ------------------------------------------------------------------ acceptance: OCR


@needs_ocr
def test_an_address_only_in_an_embedded_png_is_found_and_quoted(federal):
    msg = sample("img-address-in-png.eml")
    assert msg.get("postal_address.status") == "visible"
    address = msg.get("postal_addresses")[0]
    assert address["field"].startswith("body.image_text[")
    assert "33304" in address["quote"] and "Coral" in address["quote"]
    read = msg.get("body.image_text")[0]
    assert read["content_type"] == "image/png" and (read["width"], read["height"]) == (600, 120)
    assert read["label"] == f"picture {read['picture']} (image/png, 600×120)"
    postal = findings(federal, msg)["CANSPAM-POSTAL-ADDRESS"]
    assert postal.status == Status.COMPLIANT
    quoted = [e for e in postal.evidence if e.field.startswith("body.image_text[")]
    assert quoted and "33304" in quoted[0].quote


@needs_ocr
def test_an_opt_out_drawn_in_an_embedded_picture_counts(federal):
    msg = sample("img-opt-out-in-png.eml")
    assert msg.get("opt_out.status") == "visible"
    assert any(n["field"].startswith("body.image_text[") for n in msg.get("opt_out.notices"))
    assert findings(federal, msg)["CANSPAM-OPT-OUT-MISSING"].status == Status.COMPLIANT


@needs_ocr
def test_a_data_url_picture_is_read():
    data = base64.b64encode(png((420, 50), text="Unsubscribe: reply STOP")).decode()
    msg = html_message(f"<p>Hello</p><img src='data:image/png;base64,{data}'>")
    texts = msg.get("body.image_text")
    assert texts and "STOP" in texts[0]["text"].upper() and texts[0]["part"] is None


@needs_ocr
def test_a_picture_repeated_across_messages_is_read_once(monkeypatch):
    data = png((400, 50), text="Spring sale today")
    first = ocr.read_picture(data)
    monkeypatch.setattr(ocr, "_read", lambda *a: pytest.fail("read again"))
    assert ocr.read_picture(data) is first


# ------------------------------------------------------------------ bounds


def test_a_decompression_bomb_is_refused_before_decoding():
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 8000, 8000, 8, 0, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 100))
    reading = ocr.read_picture(bomb + chunk(b"IEND", b""))
    assert not reading.read and "pixels" in reading.note
    assert (reading.width, reading.height) == (8000, 8000)


def test_broken_picture_bytes_are_a_note_not_an_exception():
    reading = ocr.read_picture(b"\x89PNG\r\n\x1a\nnot really a picture")
    assert not reading.read and reading.note.startswith("not read")


@pytest.mark.parametrize(("data", "why"), [
    (b"plain text sent as image/png", "not a picture in a format that can be read"),
    (b"\x89PNG\r\n\x1a\nnot really a picture", "damaged or cut short"),
    (b"GIF89a" + bytes([200, 0, 100, 0, 0x80, 0, 0]) + bytes(6) + b",\0\0\0\0\xc8\0d\0\0\x08\x01",
     "damaged or cut short"),
])
def test_why_a_picture_was_not_read_is_said_in_words(data, why):
    """The note lands in findings and exhibits: no Python exception names, no Pillow text."""
    reading = ocr.read_picture(data)
    assert reading.note.startswith("not read: its ") and reading.note.endswith(why)
    assert "Error" not in reading.note and "OSError" not in reading.note


def test_an_unreadable_footer_picture_keeps_the_question_open(federal):
    msg = html_message(AD_TEXT + FOOTER + "<img src='cid:f@acme.example' width=600 height=90>",
                       parts=image_part("f@acme.example", b"\x89PNG\r\n\x1a\ntruncated"))
    blocking = msg.get("pictures.blocking")
    assert [p["index"] for p in blocking] == [1] and blocking[0]["note"].startswith("not read")
    assert findings(federal, msg)["CANSPAM-POSTAL-ADDRESS"].status == Status.NEEDS_REVIEW


def test_remote_pictures_are_never_fetched(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access while reading pictures")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    msg = html_message(AD_TEXT + "<img src='https://img.acme.example/footer.png' width=600 height=90>")
    assert msg.get("body.image_text") == []
    assert msg.get("pictures")[0]["source"] == "remote" and not msg.get("pictures")[0]["read"]


# ------------------------------------------------------------------ weighing pictures


def roles(msg: Message) -> list[str]:
    return [p["role"] for p in msg.get("pictures")]


def test_pictures_are_classified_by_what_the_message_says_of_them():
    msg = html_message(
        "<img src='https://cdn.acme.example/logo.png' width=160 height=40 alt='Acme'>"
        + AD_TEXT
        + "<img src='https://cdn.acme.example/tent.jpg' width=560 height=300 alt='Ridge 3 tent, green'>"
        + "<img src='https://cdn.acme.example/hero.jpg' width=560 height=300>"
        + "<img src='https://cdn.acme.example/fb.png' width=32 height=32>"
        + "<img src='https://cdn.acme.example/spacer.gif' width=560 height=1>"
        + "<img src='https://cdn.acme.example/map.png' width=560 height=300 alt='Shop' usemap='#m'>"
        + "<img src='https://cdn.acme.example/f.png' width=560 height=60 alt='Our address'>"
        + FOOTER
        + "<img src='https://t.acme.example/o.gif' width=1 height=1>"
        + "<img src='https://t.acme.example/h.gif' style='display:none'>"
    )
    assert roles(msg) == ["logo", "banner", "content_bearing", "icon", "spacer", "content_bearing",
                          "content_bearing", "tracking_pixel", "tracking_pixel"]
    could = [p["could_hold_text"] for p in msg.get("pictures")]
    assert could == [False, False, True, False, False, True, True, False, False]
    assert all(p["why"] for p in msg.get("pictures"))


def test_a_text_with_its_own_footer_is_not_blocked_by_logo_pixel_or_described_banner(federal):
    msg = html_message(
        "<img src='https://cdn.acme.example/logo.png' width=160 height=40 alt='Acme logo'>"
        + "<img src='https://cdn.acme.example/sale.jpg' width=600 height=200 alt='Summer sale: 50% off'>"
        + AD_TEXT + FOOTER + "<img src='https://t.acme.example/o.gif' width=1 height=1>"
    )
    assert msg.get("pictures.text_footer") is True and msg.get("pictures.blocking") == []
    postal = findings(federal, msg)["CANSPAM-POSTAL-ADDRESS"]
    assert postal.status == Status.VIOLATION
    summary = [e.quote for e in postal.evidence if e.field == "pictures.summary"][0]
    assert "picture 2" in summary and "alt text says what it shows" in summary


def test_a_chinese_sale_banner_with_alt_text_does_not_block_the_address_rule(federal):
    msg = sample("img-chinese-banner-text-footer.eml")
    banner = msg.get("pictures")[0]
    assert banner["role"] == "banner" and banner["alt"] == "双11预售 全场低至5折"
    assert msg.get("pictures.blocking") == []
    assert findings(federal, msg)["CANSPAM-POSTAL-ADDRESS"].status == Status.VIOLATION


def test_a_content_bearing_picture_where_the_footer_would_be_needs_review(federal):
    msg = sample("img-remote-footer-picture.eml")
    blocking = msg.get("pictures.blocking")
    assert [p["index"] for p in blocking] == [1]
    assert "where a footer would be" in blocking[0]["why"]
    assert findings(federal, msg)["CANSPAM-POSTAL-ADDRESS"].status == Status.NEEDS_REVIEW


def test_a_content_bearing_picture_above_a_text_footer_does_not_block():
    msg = html_message("<img src='https://cdn.acme.example/hero.jpg' width=600 height=300>"
                       + AD_TEXT + AD_TEXT + FOOTER)
    assert roles(msg) == ["content_bearing"] and msg.get("pictures.blocking") == []


def test_without_a_text_footer_a_content_bearing_picture_blocks():
    msg = html_message("<img src='https://cdn.acme.example/hero.jpg' width=600 height=300>"
                       + AD_TEXT + AD_TEXT)
    assert msg.get("pictures.text_footer") is False
    assert "no footer of its own" in msg.get("pictures.blocking")[0]["why"]


def test_a_picture_only_advertisement_stays_needs_review_even_when_read(federal):
    msg = html_message("<a href='https://acme.example/sale'><img src='cid:ad@acme.example' "
                       "width=600 height=120></a>",
                       parts=image_part("ad@acme.example", png((600, 120), text="TENTS 50% OFF")))
    assert msg.get("pictures.image_only") is True
    assert msg.get("pictures")[0]["role"] == "content_bearing"
    assert len(msg.get("pictures.blocking")) == 1
    for rule in ("CANSPAM-POSTAL-ADDRESS", "CANSPAM-OPT-OUT-MISSING"):
        assert findings(federal, msg)[rule].status != Status.VIOLATION


def test_an_attached_picture_is_a_picture():
    msg = Message(b"From: a@acme.example\nTo: t@trap.example\nSubject: x\nMIME-Version: 1.0\n"
                  b"Content-Type: multipart/mixed; boundary=b1\n\n--b1\nContent-Type: text/plain\n\n"
                  b"See attached.\n--b1\nContent-Type: image/gif\nContent-Disposition: attachment; "
                  b"filename=offer.gif\nContent-Transfer-Encoding: base64\n\nR0lGODlhAQABAAAAACw=\n--b1--\n")
    pictures = msg.get("pictures")
    assert [(p["source"], p["src"], p["part"]) for p in pictures] == [("attachment", "offer.gif", "1.2")]


def test_a_footer_of_its_own_needs_substance_and_a_footer_line():
    body = "Fresh coffee beans, roasted to order, shipped the same day. " * 5
    assert not text_footer(body)
    assert text_footer(body + "\n© 2025 Roastery Direct")
    assert text_footer(body + "\nQuestions? Write to care@roastery.example")
    assert text_footer(body + "\nTo unsubscribe, click here.")
    assert not text_footer("© 2025 Roastery Direct")


def test_a_picture_label_names_number_type_and_size():
    picture = Picture(2, "cid", "cid:x", "1.2", "image/png", declared_width=600, declared_height=120)
    assert picture.label() == "picture 2 (image/png, 600×120)"
    assert Picture(3, "remote", "https://x.example/a.png", None, None).label() == "picture 3 (remote image)"


@needs_ocr
def test_sales_words_read_from_a_picture_count_for_commercial_purpose():
    picture = png((640, 60), text="Advertisement: tents 50% off, order now")
    msg = html_message("<a href='https://acme.example/sale'><img src='cid:ad@acme.example'></a>",
                       parts=image_part("ad@acme.example", picture), subject="Hello")
    fields = {reason["field"] for reason in msg.get("commercial.reasons")}
    assert "body.image_text[0].text" in fields


def test_an_ad_drawn_in_pictures_over_a_network_footer_keeps_the_question_open():
    network_footer = ("<p>You are receiving this mailing because you are a member of Offers Network. "
                      "To unsubscribe click <a href='https://offers.example/u'>here</a> or reply "
                      "with REMOVE in the subject line. Any correspondence about the products should "
                      "be directed to the company in the ad.</p>")
    msg = html_message("<img src='https://offers.example/ad1.jpg' width=600 height=300>"
                       "<img src='https://offers.example/ad2.jpg' width=600 height=300>"
                       + network_footer + network_footer)
    assert msg.get("pictures.text_footer") is True
    blocking = msg.get("pictures.blocking")
    assert [p["index"] for p in blocking] == [1, 2]
    assert "little more than a footer" in blocking[0]["why"]


def test_a_message_spends_a_bounded_time_on_ocr(monkeypatch):
    from checker.extract import images

    calls = []

    def slow(data, languages=ocr.LATIN):
        calls.append(1)
        monkeypatch.setattr(images.time, "monotonic", lambda: 1e9)  # the budget is spent
        return ocr.Reading(text="", width=600, height=90)

    monkeypatch.setattr(ocr, "read_picture", slow)
    parts = "".join(image_part(f"p{n}@acme.example", png((600, 90), colour=(n, 0, 0)))
                    for n in range(3))
    msg = html_message(AD_TEXT + "".join(f"<img src='cid:p{n}@acme.example'>" for n in range(3)),
                       parts=parts)
    notes = [p["note"] for p in msg.get("pictures")]
    assert len(calls) == 1 and notes[0] is None
    assert all("OCR time" in note for note in notes[1:])


def test_without_ocr_a_carried_footer_picture_is_a_note_and_keeps_the_question_open(monkeypatch, federal):
    monkeypatch.setattr(ocr, "unavailable", lambda: "OCR unavailable (test)")
    ocr.clear_cache()
    msg = html_message(AD_TEXT + FOOTER + "<img src='cid:f@acme.example'>",
                       parts=image_part("f@acme.example", png((600, 90), colour=(250, 250, 240),
                                                              text="PO Box 12")))
    picture = msg.get("pictures")[0]
    assert not picture["read"] and "OCR unavailable" in picture["note"] and picture["blocking"]
    assert findings(federal, msg)["CANSPAM-POSTAL-ADDRESS"].status == Status.NEEDS_REVIEW
    ocr.clear_cache()
