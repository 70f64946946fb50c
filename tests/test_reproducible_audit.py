"""What the audit says of a message must not depend on what the process did before: the
audit and exhibit commands audit thousands of messages per worker process, and an exhibit
must say the same of a message whatever batch it came in and whichever command made it.

The state that did leak: WeasyPrint (loaded by the exhibit renderer) switches Pillow's
process-wide `ImageFile.LOAD_TRUNCATED_IMAGES` on when it is imported, and OCR then read
cut-short pictures that a fresh `spamlaw audit` reports as not read (corpus message
spam/00341: its GIF; a cut-short PNG below, whose address decided the postal finding).
"""

from __future__ import annotations

import json
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from picture_samples import text_png

from checker import ocr
from checker.engine import audit
from checker.message import Message
from checker.ruleset import load_ruleset

ROOT = Path(__file__).resolve().parents[1]
CORPUS_SPAM = ROOT.parent / "shared" / "corpus" / "spamassassin" / "spam"
# A corpus message whose GIF is damaged: the one whose findings changed in the test suite.
CORPUS_DAMAGED_PICTURE = "00341.99b463b92346291f5848137f4a253966.eml"

needs_ocr = pytest.mark.skipif(
    ocr.unavailable() is not None,
    reason=f"{ocr.unavailable()}: run `make setup` (installs tesseract-ocr and its languages)",
)


def cut_short_address_picture() -> bytes:
    """A PNG of a postal address with its last tenth missing (the address rows are whole):
    what a truncated download or a spammer's broken attachment looks like."""
    whole = text_png(["Acme Outdoor Supply, Inc.", "1440 Coral Ridge Road, Suite 210",
                      "Fort Lauderdale, FL 33304"], (600, 400))
    return whole[: len(whole) * 9 // 10]


def message_with_picture(picture: bytes) -> bytes:
    html = ("<p>Our Ridge 3 tent is now only $149 (was $249). Free shipping on orders over $50. "
            "Shop now at <a href='https://acme.example/sale'>acme.example/sale</a>.</p>"
            "<p><a href='https://acme.example/unsubscribe'>Unsubscribe</a> at any time.</p>"
            "<p><img src='cid:footer@acme.example' width=600 height=400></p>")
    msg = EmailMessage()
    msg["From"] = "Acme Deals <deals@acme.example>"
    msg["To"] = "trap1@trap.example"
    msg["Subject"] = "Half price on all tents this week"
    msg["Date"] = "Tue, 10 Jun 2025 14:00:00 +0000"
    msg["Message-ID"] = "<cut-short@acme.example>"
    msg.set_content(html, subtype="html")
    msg.add_related(picture, "image", "png", cid="<footer@acme.example>")
    return msg.as_bytes()


def audit_json(ruleset, raw: bytes) -> str:
    from checker.formatters.json import message_object

    record = message_object(audit(ruleset, Message(raw, source_id="cut-short.eml")),
                            ("violation", "needs_review", "compliant", "not_applicable", "error"))
    return json.dumps(record, sort_keys=True, ensure_ascii=False)


@needs_ocr
def test_a_cut_short_picture_gets_the_same_findings_whatever_pillow_was_told(monkeypatch):
    from PIL import ImageFile

    federal = load_ruleset().select(jurisdictions=["US"])
    raw = message_with_picture(cut_short_address_picture())
    answers = {}
    for lenient in (False, True):  # True: as after `import weasyprint`
        monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", lenient)
        ocr.clear_cache()
        answers[lenient] = audit_json(federal, raw)
        picture = Message(raw).get("pictures")[0]
        assert not picture["read"] and "cut short" in picture["note"], picture
    ocr.clear_cache()
    assert answers[False] == answers[True]
    postal = next(f for f in json.loads(answers[True])["findings"] if f["rule"] == "CANSPAM-POSTAL-ADDRESS")
    assert postal["status"] == "needs_review"


# Run in a fresh interpreter: audits the messages given, loads the exhibit renderer (as the
# exhibit commands' workers do), then audits them again in the reverse order.
_TWO_ORDERS = """
import json, sys
from pathlib import Path
from checker import ocr
from checker.engine import audit
from checker.formatters.json import message_object
from checker.ruleset import load_ruleset
from checker.sources import iter_sources

ruleset = load_ruleset().ignoring_effective_dates()
statuses = ("violation", "needs_review", "compliant", "not_applicable", "error")

def run(paths):
    out = {}
    for item in iter_sources(paths):
        record = message_object(audit(ruleset, item.message()), statuses)
        out[item.source_id] = json.dumps(record, sort_keys=True, ensure_ascii=False)
    return out

paths = [Path(p) for p in sys.argv[1:]]
first = run(paths)
import checker.exhibits.render  # noqa: F401  (WeasyPrint)
ocr.clear_cache()
second = run(paths[::-1])
print(json.dumps({"audited": len(first), "differ": sorted(k for k in first if first[k] != second.get(k))}))
"""


@needs_ocr
def test_messages_audited_in_either_order_and_beside_the_exhibit_renderer_say_the_same(tmp_path):
    cut_short = tmp_path / "cut-short-picture.eml"
    cut_short.write_bytes(message_with_picture(cut_short_address_picture()))
    paths = [cut_short, *sorted((ROOT / "samples").rglob("*.eml"))]
    corpus_message = CORPUS_SPAM / CORPUS_DAMAGED_PICTURE
    if corpus_message.is_file():
        paths.append(corpus_message)
    done = subprocess.run([sys.executable, "-c", _TWO_ORDERS, *map(str, paths)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["audited"] == len(paths)
    assert result["differ"] == []
    if not corpus_message.is_file():
        pytest.skip(f"corpus not found at {CORPUS_SPAM}: samples and a built message were compared")


def test_the_cut_short_picture_is_really_cut_short(monkeypatch):
    """The fixture above is only meaningful if Pillow decodes part of it when told to."""
    import io

    from PIL import Image, ImageFile

    data = cut_short_address_picture()
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", False)
    with pytest.raises(OSError, match="truncated"):
        Image.open(io.BytesIO(data)).load()
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    assert Image.open(io.BytesIO(data)).convert("L").size == (600, 400)


@needs_ocr
def test_a_picture_cut_short_by_the_time_bound_is_read_again_for_the_next_message(monkeypatch):
    """The per-picture deadline is wall-clock time: on a busy machine a reading can stop
    early. That answer must stay with the message it happened to, not be handed (cached)
    to every later message carrying the same picture in the same worker."""
    picture = text_png(["Acme Outdoor Supply, Inc.", "1440 Coral Ridge Road, Suite 210",
                        "Fort Lauderdale, FL 33304"], (600, 120))
    real = ocr._ENGINES.recognize
    busy = [True]

    def recognize(image, languages):
        if busy.pop() if busy else False:
            return "", False  # the deadline passed (the machine was busy)
        return real(image, languages)

    monkeypatch.setattr(ocr._ENGINES, "recognize", recognize)
    ocr.clear_cache()
    first = Message(message_with_picture(picture)).get("pictures")[0]
    second = Message(message_with_picture(picture)).get("pictures")[0]
    ocr.clear_cache()
    assert not first["read"] and "OCR stopped" in first["note"]
    assert second["read"] and second["note"] is None
    assert "33304" in Message(message_with_picture(picture)).get("body.image_text")[0]["text"]
