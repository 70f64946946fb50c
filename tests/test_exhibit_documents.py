"""The two documents of one message: what the message exhibit says about itself and
where the analysis anchors its evidence (issue 10 §3, issue 12 §1)."""

from __future__ import annotations

import html as htmllib
import io
import re
from pathlib import Path

import pytest
from exhibit_support import build_message, pdf_pages_text
from pypdf import PdfReader

from checker.engine import audit
from checker.exhibits import BatesSpec, ExhibitOptions, render_analysis, render_exhibit
from checker.exhibits.context import FIELD_HEADERS, build_context
from checker.exhibits.render import ANALYSIS, PROVENANCE, exhibit_html, rule_statuses
from checker.exhibits.views import header_block, shown
from checker.findings import AuditResult, Evidence, Finding, Status
from checker.message import Message
from checker.paths import templates_dir

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
_MARK = re.compile(r'<mark class="exh-mark" data-ref="([ES]\d+)">(.*?)</mark>', re.DOTALL)


@pytest.fixture(scope="module")
def ruleset():
    from checker.ruleset import load_ruleset

    return load_ruleset(None)


def _marks(html: str) -> dict[str, str]:
    """{ref: the marked text}, the pieces of one span joined by the line breaks between."""
    pieces: dict[str, list[str]] = {}
    for ref, text in _MARK.findall(html):
        pieces.setdefault(ref, []).append(htmllib.unescape(text))
    return {ref: "\n".join(parts) for ref, parts in pieces.items()}


def _analysis(msg, result, statuses=None):
    context = build_context(msg, result, ExhibitOptions(), "", lambda url: False, PROVENANCE,
                            rule_statuses=statuses, with_render=False)
    html = exhibit_html(msg, result, ExhibitOptions(), "", lambda url: False, templates_dir(),
                        document=ANALYSIS, rule_statuses=statuses)
    return context, html


def test_every_mark_in_every_sample_analysis_is_its_own_quote(ruleset):
    """For each sample: every marked span's text equals the evidence's quote, absence
    evidence is never marked, and a header quote sits in the header it came from."""
    assert _check_marks(sorted(SAMPLES.rglob("*.eml")), ruleset) > 50  # samples do anchor


@pytest.mark.slow
def test_every_mark_in_corpus_analyses_is_its_own_quote(ruleset):
    """The same over real 2002 spam (every 20th message, rules as if in force: the corpus
    predates CAN-SPAM and would anchor nothing): charsets, encoded headers, HTML."""
    from exhibit_support import corpus_dir

    paths = sorted(corpus_dir("spam").glob("*.eml"))[::20] + \
        sorted(corpus_dir("spam_2").glob("*.eml"))[::20]
    assert _check_marks(paths, ruleset.ignoring_effective_dates()) > 300


def _check_marks(paths, ruleset) -> int:
    statuses = rule_statuses(ruleset)
    checked = 0
    for path in paths:
        msg = Message(path.read_bytes(), source_id=path.name)
        context, html = _analysis(msg, audit(ruleset, msg), statuses)
        marks = _marks(html)
        items = {item["ref"]: item for item in context["evidence"]}
        assert set(marks) == {ref for ref, item in items.items() if item["anchor"]}, path.name
        block = header_block(msg.raw)
        for ref, marked in marks.items():
            item = items[ref]
            ev: Evidence = item["evidence"]
            assert ev.searched is None, f"{path.name} {ref}: absence evidence marked"
            quote = shown(item["quote"])
            clipped = quote.endswith("…")  # the engine clips long quotes
            if item["anchor"]["cut"] or clipped:  # a long span: its first lines are shown
                known = quote[:-1] if clipped else quote
                n = min(len(marked), len(known))
                assert n > 0 and marked[:n] == known[:n], (path.name, ref, marked, quote)
            else:
                assert marked == quote, (path.name, ref, marked, quote)
            root = re.match(r"[a-z_]+", ev.field).group()
            if item["anchor"]["view"] == "headers":
                line = item["anchor"]["lines"][0][0]
                names = {e.name.lower() for e in block.entries
                         if e.first_line <= line <= e.last_line}
                assert names & {n.lower() for n in FIELD_HEADERS[root]}, (path.name, ref)
            checked += 1
    return checked


def test_derived_values_and_absences_are_never_marked_on_look_alike_text():
    """The spoofed-brand fault: 'opt-out status: none' marked on 'dkim=none' in the header,
    and detector words marked inside a URL."""
    raw = build_message(None, "Visit http://free.example/free-offer today",
                        extra_headers="X-Auth: dkim=none\r\n")
    msg = Message(raw, source_id="spoof.eml")
    text = msg.get("body.text")
    findings = (Finding("R1", Status.VIOLATION, "No opt-out", "US", ("15 U.S.C. § 7704(a)(3)",),
                        "x", evidence=(Evidence("opt_out.status", 0, 4, "none"),
                                       Evidence("opt_out.notices", searched=("body.text",)),
                                       Evidence("body.text", 0, 4, "free"))),  # wrong offsets
                Finding("R2", Status.NEEDS_REVIEW, "Commercial", "US", ("16 C.F.R. § 316.3",),
                        "y", evidence=(Evidence("body.text", text.index("today"),
                                                text.index("today") + 5, "today"),)))
    result = AuditResult("spoof.eml", msg.sha256, msg.size, findings=findings)
    context, html = _analysis(msg, result)
    assert _marks(html) == {"E4": "today"}  # E1-E3 (R1) are not marked anywhere
    assert [item["anchor"] is None for item in context["evidence"]] == [True, True, True, False]


def test_shared_evidence_is_printed_once_and_referenced(ruleset):
    msg = Message((SAMPLES / "can-spam" / "freemail-spoof.eml").read_bytes(), source_id="f.eml")
    result = audit(ruleset, msg)
    reported = [f for f in result.findings if f.status in ("violation", "needs_review")]
    context, html = _analysis(msg, result)
    total = sum(len(f.evidence) for f in reported)
    distinct = {(e.field, e.start, e.end, e.quote, e.searched) for f in reported for e in f.evidence}
    assert len(context["evidence"]) == len(distinct) < total
    for item in context["evidence"]:  # each item printed in full exactly once
        assert html.count(f'<p class="exh-ev"><b>{item["ref"]}</b> <span class="exh-evfield">'
                          f'{htmllib.escape(item["field_label"], quote=False)}') == 1, item["ref"]
    shared = [i for i in context["evidence"] if i["shared"]]
    assert shared and all(len(i["used_by"]) > 1 for i in shared)
    assert "shared evidence: the commercial purpose of the message" in html


def test_each_finding_lists_the_evidence_that_decides_it_first():
    msg = Message(build_message(None, "Buy cheap pills now"), source_id="o.eml")
    text = msg.get("body.text")
    commercial = Evidence("body.text", 0, 3, "Buy", note="commercial.reasons[0]")
    deciding = Evidence("body.text", text.index("pills"), text.index("pills") + 5, "pills")
    findings = tuple(Finding(rule, Status.VIOLATION, rule, "US", ("c",), "s",
                             evidence=(own, commercial))
                     for rule, own in (("A", deciding), ("B", Evidence("subject", 0, 5, "Cheap"))))
    context, _html = _analysis(msg, AuditResult("o.eml", msg.sha256, msg.size, findings=findings))
    first = context["findings"][0]["entries"]
    assert first[0]["kind"] == "item" and first[0]["item"]["quote"] == "pills"
    assert first[1] == {"kind": "shared", "group": "the commercial purpose of the message",
                        "refs": ["S1"], "text": "S1"}


def test_message_exhibit_cover_explains_itself_without_a_path(ruleset, tmp_path):
    raw = (SAMPLES / "can-spam" / "no-opt-out.eml").read_bytes()
    msg = Message(raw, source_id="/tmp/analyst/work/no-opt-out.eml")
    options = ExhibitOptions(custodian="Trap network operator", collection="Trap export 2025-06",
                             legend="CONFIDENTIAL - ATTORNEYS' EYES ONLY")
    made = render_exhibit(msg, audit(ruleset, msg), options, ruleset.sha256,
                          rule_statuses=rule_statuses(ruleset))
    pages = pdf_pages_text(made.pdf)
    text = " ".join(" ".join(pages).split())
    assert "/tmp/" not in text and "/tmp/" not in PdfReader(io.BytesIO(made.pdf)).metadata.title
    assert "Trap network operator" in text and "Trap export 2025-06" in text
    assert re.search(r"Email received by trap address \S+ at \S+ on \d{4}-\d\d-\d\d "
                     r"\d\d:\d\d:\d\d UTC \(trusted Received hop\)\.", text)
    assert "rule status: draft" in text  # the findings in brief say the rules are drafts
    for page in pages:
        assert "CONFIDENTIAL - ATTORNEYS' EYES ONLY" in " ".join(page.split())
    # the running header of later pages names no Bates number: only the footer does
    for index, page in enumerate(pages[1:], start=2):
        numbers = re.findall(r"\b\d{7}\b", page)
        assert numbers == [f"{index:07d}"], (index, numbers)


def test_cover_says_the_date_is_the_senders_claim_without_a_trusted_hop():
    msg = Message(build_message(None, "hi"), source_id="n.eml")
    made = render_exhibit(msg, None, ExhibitOptions(trusted_hops=0))
    text = " ".join(pdf_pages_text(made.pdf)[0].split())
    assert "No trusted Received hop gives the time it was received" in text
    assert "that date is the sender's claim, not a receipt time" in text


def test_mail_program_header_lines_head_the_rendering():
    msg = Message(build_message("<p>Hello</p>", subject="=?utf-8?q?Caf=C3=A9_deals?="),
                  source_id="m.eml")
    made = render_exhibit(msg, None, ExhibitOptions())
    text = "\n".join(pdf_pages_text(made.pdf))
    render = text[text.index("recipient saw it"):text.index("Full header block")]
    for line in ('From: "Deals" <deals@spam.example>', "To: victim@trap.example",
                 "Subject: Café deals", "Date: Tue, 10 Sep 2024 09:59:50 -0400"):
        assert line in render.replace(":\n", ": "), line


def test_analysis_has_its_own_bates_range_and_evidence_type_of_8pt_or_more(ruleset):
    msg = Message((SAMPLES / "can-spam" / "freemail-spoof.eml").read_bytes(), source_id="f.eml")
    result = audit(ruleset, msg)
    made = render_analysis(msg, result, ExhibitOptions(bates=BatesSpec("AGO", 20, 7)),
                           ruleset.sha256)
    pages = pdf_pages_text(made.pdf)
    assert made.bates_first == "AGO0000020" and len(pages) > 1
    assert "Analysis AGO0000020" in pages[0]  # labelled as what it is, not as an exhibit
    for index, page in enumerate(pages):
        assert f"AGO{20 + index:07d}" in page
        if index:  # the running header offers no second number
            assert re.findall(r"AGO\d{7}", page) == [f"AGO{20 + index:07d}"], page
    sizes = _font_sizes(made.pdf, skip_margin=True)
    assert sizes and min(sizes) >= 7.99  # (PDF sizes are 8 less a rounding error)


def _font_sizes(pdf: bytes, skip_margin: bool) -> list[float]:
    """Sizes of the text drawn inside the page body (pypdf reads them independently)."""
    sizes = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        height = float(page.mediabox.height)

        def visit(text, cm, tm, font, size, height=height):
            y = tm[5] * cm[3] + cm[5]
            if text.strip() and (not skip_margin or 0.95 * 72 < y < height - 0.85 * 72):
                sizes.append(abs(size * tm[3] * cm[3]) or size)

        page.extract_text(visitor_text=visit)
    return sizes


SCRIPTS = {
    "Latin": "Ærøskøbing façade naïve", "Cyrillic": "Съешь же ещё этих мягких булок",
    "Greek": "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία", "Arabic": "نص حكيم له سر قاطع",
    "Hebrew": "דג סקרן שט בים מאוכזב", "Thai": "เป็นมนุษย์สุดประเสริฐเลิศคุณค่า",
    "Chinese": "我能吞下玻璃而不伤身体", "Japanese": "いろはにほへと ちりぬるを",
    "Korean": "다람쥐 헌 쳇바퀴에 타고파",
}


def _notdef_fonts(pdf: bytes) -> list[str]:
    """Fonts of the PDF that draw .notdef (CID 0 given a width: WeasyPrint only writes one
    when a character had no glyph in any font)."""
    found = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", []):
                widths = descendant.get_object().get("/W", [])
                if len(widths) >= 2 and widths[0] == 0:
                    found.append(str(font.get("/BaseFont")))
    return found


def test_every_script_renders_without_a_missing_glyph():
    text = "\n".join(f"{name}: {line}" for name, line in SCRIPTS.items())
    msg = Message(build_message(f"<p>{text}</p>", text, subject=SCRIPTS["Korean"]),
                  source_id="scripts.eml")
    made = render_exhibit(msg, None, ExhibitOptions())
    assert _notdef_fonts(made.pdf) == []
    assert not [line for line in made.log if ".notdef" in line]
    # the check can fail: a private-use character has a glyph in no font
    missing = render_exhibit(Message(build_message(None, "x \ue000"), source_id="p.eml"),
                             None, ExhibitOptions())
    assert _notdef_fonts(missing.pdf)


def test_hidden_format_characters_are_shown_as_stand_ins():
    raw = build_message(None, "pay here", subject="Invoice \u202egpj.exe").replace(
        b'"Deals"', '"secure-bank\u202ecom"'.encode())
    made = render_exhibit(Message(raw, source_id="bidi.eml"), None, ExhibitOptions())
    text = "\n".join(pdf_pages_text(made.pdf))
    assert "⟨U+202E⟩" in text and "\u202e" not in text


def test_wide_html_stays_inside_the_frame(tmp_path):
    """A table wider than the page is cut at the frame: nothing is drawn in the right
    margin, where the Bates number lives (corpus spam_2/00262 ran into it)."""
    import subprocess

    from PIL import Image

    wide = ('<table width="1900" bgcolor="#000000"><tr><td><font color="#ffffff">LEFT</font>'
            '</td><td align="right"><font color="#ffffff">RIGHT EDGE</font></td></tr></table>')
    made = render_exhibit(Message(build_message(wide, subject="wide"), source_id="w.eml"), None,
                          ExhibitOptions())
    (tmp_path / "w.pdf").write_bytes(made.pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(tmp_path / "w.pdf"), str(tmp_path / "p")],
                   check=True)
    for png in sorted(tmp_path.glob("p-*.png")):
        image = Image.open(png).convert("L")
        dpi = 40
        right = image.width - int(0.6 * dpi)  # inside the 0.7 in right margin
        band = image.crop((right, int(0.9 * dpi), image.width, image.height - int(1.0 * dpi)))
        assert band.getextrema()[0] > 200, f"{png.name}: something drawn in the right margin"


def _raw_field_pattern() -> re.Pattern:
    """A registered field's path as the engine writes it ("pictures.blocking",
    "authentication_results[1].raw"), an index, or the engine's search words."""
    from checker.fields import all_fields

    roots = sorted({name.split(".")[0] for name in all_fields()}, key=len, reverse=True)
    return re.compile(rf"\b(?:{'|'.join(roots)})(?:\[[\d*]+\])?\.[a-z_]+\b|\b[a-z_]+_[a-z_]+\b"
                      r"|\[\d+\]|\bany item\b|the list is empty")


def _analysis_words(html: str) -> str:
    """The analysis as a reader reads it: the text outside tags, styles and the
    message's own quoted lines (those are the message's words, not ours)."""
    html = re.sub(r"<style.*?</style>|<div class=\"exh-excerpt\">.*?</div>\s*</div>|"
                  r"<span class=\"exh-quote\">.*?</span>", "", html, flags=re.DOTALL)
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", html))


def test_no_sample_analysis_prints_a_field_path_or_engine_words(ruleset):
    """Issue 10 §2 / 12 §1: every evidence label is in words ("pictures that could hold the
    missing opt-out notice or postal address: none", not "pictures.blocking … any item /
    the list is empty")."""
    statuses = rule_statuses(ruleset)
    for path in sorted(SAMPLES.rglob("*.eml")):
        msg = Message(path.read_bytes(), source_id=path.name)
        _context, html = _analysis(msg, audit(ruleset, msg), statuses)
        words = _analysis_words(html)
        raw = _raw_field_pattern().findall(words)
        assert not raw, (path.name, raw)


def test_every_registered_field_has_a_label_in_words():
    from checker.display import FIELD_LABELS
    from checker.fields import all_fields

    assert sorted(set(all_fields()) - set(FIELD_LABELS)) == []


def test_text_read_from_a_picture_names_the_picture():
    msg = Message((SAMPLES / "modern" / "img-opt-out-in-png.eml").read_bytes(), source_id="i.eml")
    records = msg.get("body.image_text")
    assert records, "the sample's picture is read"
    text = records[0]["text"]
    word = text.split()[0]
    start = text.index(word)
    finding = Finding("R", Status.NEEDS_REVIEW, "t", "US", ("c",), "s",
                      evidence=(Evidence("body.image_text[0].text", start, start + len(word), word),))
    context, html = _analysis(msg, AuditResult("i.eml", msg.sha256, msg.size, findings=(finding,)))
    assert context["evidence"][0]["field_label"] == f"text read from {records[0]['label']}"
    assert re.match(r"picture \d+ \(image/png, \d+×\d+\)", records[0]["label"])
    assert "character recognition (OCR)" in html and "body.image_text" not in _analysis_words(html)


def test_an_authentication_result_is_marked_in_the_header_that_holds_it():
    """authentication_results has one record per method result: the fourth record here is
    the spf result of the third header, not a fourth header (the phishing sample's
    'spf=softfail' was left unmarked although the header holds it verbatim)."""
    raw = build_message(None, "hello", extra_headers=(
        "Authentication-Results: third.example; dkim=pass header.d=bank.example;\r\n"
        "\tspf=fail smtp.mailfrom=spam.example\r\n"))
    msg = Message(raw, source_id="ar.eml")
    records = msg.get("authentication_results")
    index = max(i for i, r in enumerate(records) if r["method"] == "spf")
    raw_value = records[index]["raw"]
    start = raw_value.index("spf=fail")
    finding = Finding("R", Status.NEEDS_REVIEW, "t", "US", ("c",), "s", evidence=(
        Evidence(f"authentication_results[{index}].raw", start, start + 8, "spf=fail"),))
    context, html = _analysis(msg, AuditResult("ar.eml", msg.sha256, msg.size, findings=(finding,)))
    item = context["evidence"][0]
    assert item["field_label"] == "Authentication-Results header 3"
    assert _marks(html) == {"E1": "spf=fail"}
    block = header_block(raw)
    line = item["anchor"]["lines"][0][0]
    third = block.entries_named("Authentication-Results")[2]
    assert third.first_line <= line <= third.last_line


def test_a_no_violation_resting_on_an_address_read_from_a_picture_is_shown(ruleset):
    """The postal address of img-address-in-png is only in a PNG: the analysis says the
    'no violation' rests on text read from that picture, naming it as findings do."""
    msg = Message((SAMPLES / "modern" / "img-address-in-png.eml").read_bytes(), source_id="a.eml")
    result = audit(ruleset, msg)
    _context, html = _analysis(msg, result)
    label = msg.get("body.image_text")[0]["label"]
    words = " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split())
    assert f"text read from {label}: 1440 Coral Ridge Road" in words
    assert "rule CANSPAM-POSTAL-ADDRESS : compliant" in words


def test_problems_say_in_words_what_could_not_be_read(monkeypatch):
    """A field that fails, one this build lacks, and a MIME defect are sentences: no
    'field X unavailable: RuntimeError: …', no 'MIME:' or 'audit:' prefix, no class names."""
    import dataclasses

    from checker import fields

    def broken(_msg):
        raise RuntimeError("boom in the extractor")

    links = dataclasses.replace(fields.get_field("links"), extract=broken)
    monkeypatch.setitem(fields.FIELDS, "links", links)
    monkeypatch.setitem(fields.FIELDS, "mime.defects", dataclasses.replace(
        fields.get_field("mime.defects"), extract=lambda _m: ["CloseBoundaryNotFoundDefect in part 1"]))
    monkeypatch.delitem(fields.FIELDS, "date.skew")
    msg = Message(build_message(None, "hello"), source_id="p.eml")
    context = build_context(msg, None, ExhibitOptions(), "", lambda url: False, PROVENANCE,
                            with_render=False)
    problems = context["problems"]
    assert "Could not read the links of this message; the rules that need it could not be evaluated." in problems
    assert ("The hours between the Date header and the receipt time could not be read: this "
            "version of the program does not provide it.") in problems
    assert "The MIME structure is broken: a part's closing boundary is missing (part 1)." in problems
    text = " ".join(problems)
    assert not re.search(r"RuntimeError|Defect\b|unavailable|MIME:|audit:|date\.skew", text), text
    assert msg.field_errors["links"].startswith("RuntimeError")  # the detail is kept for engineers
