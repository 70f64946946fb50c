"""The PDF exhibit, read back with independent tools (pdftotext, pypdf, qpdf)."""

from __future__ import annotations

import base64
import hashlib
import io
import re

import pytest
from exhibit_support import (
    CITATIONS,
    build_message,
    flat,
    pdf_pages_text,
    qpdf_check,
    sample_result,
)
from pypdf import PdfReader

from checker.exhibits import (
    BatesSpec,
    ExhibitError,
    ExhibitOptions,
    render_analysis,
    render_exhibit,
)
from checker.exhibits.bates import BatesError, css_string
from checker.exhibits.render import check_options
from checker.exhibits.sanitize import MAX_HTML_CHARS
from checker.exhibits.views import MAX_VIEW_CHARS
from checker.message import Message

OPT_OUT_TEXT = "Reply STOP to nowhere"
LONG_TEXT = "\n".join(f"Paragraph {i}: buy now, limited offer, act today." for i in range(180))
TEXT = f"Hello friend,\n{LONG_TEXT}\n{OPT_OUT_TEXT}\n"
HTML = (
    "<html><head><style>.x{display:none}</style></head><body bgcolor='#ffffee'>"
    "<h1>Big Sale</h1><p>Visible offer text.</p><p class='x'>SECRET-CLASS-HIDDEN</p>"
    "<a href='https://shop.spam.example/buy?id=1'>Buy now</a>"
    "<img src='http://track.spam.example/p.gif' alt='pixel'></body></html>"
)
OPTIONS = ExhibitOptions(label="Exhibit 12", bates=BatesSpec("TRAP", 41, 7))


@pytest.fixture(scope="module")
def message() -> Message:
    return Message(build_message(HTML, TEXT), source_id="trap/0001.eml")


@pytest.fixture(scope="module")
def exhibit(message):
    return render_exhibit(message, sample_result(message, text_quote=OPT_OUT_TEXT), OPTIONS,
                          ruleset_sha256="c0ffee" * 10 + "abcd")


@pytest.fixture(scope="module")
def pages(exhibit) -> list[str]:
    return pdf_pages_text(exhibit.pdf)


@pytest.fixture(scope="module")
def analysis(message):
    return render_analysis(message, sample_result(message, text_quote=OPT_OUT_TEXT),
                           ExhibitOptions(bates=BatesSpec("TRAP", 90, 7)),
                           ruleset_sha256="c0ffee" * 10 + "abcd")


@pytest.fixture(scope="module")
def analysis_pages(analysis) -> list[str]:
    return pdf_pages_text(analysis.pdf)


def test_every_page_has_its_bates_number_and_page_x_of_y(exhibit, pages):
    assert exhibit.pages == len(pages) >= 3  # the long text makes several pages
    for index, text in enumerate(pages):
        assert f"TRAP{41 + index:07d}" in text, f"page {index + 1} lacks its Bates number"
        assert f"Page {index + 1} of {len(pages)}" in text
    assert exhibit.bates_first == "TRAP0000041"
    assert exhibit.bates_last == f"TRAP{41 + len(pages) - 1:07d}"


def test_first_page_carries_label_range_hashes_and_receipt(exhibit, message, pages):
    first = pages[0]
    raw = message.raw
    assert "Exhibit 12" in first
    assert f"TRAP0000041 – {exhibit.bates_last}" in first  # the range, end from layout
    assert message.sha256 in first
    assert hashlib.md5(raw).hexdigest() in first
    assert hashlib.sha1(raw).hexdigest() in first
    assert f"{len(raw):,} bytes" in first
    # the original's file name, never the folder it sat in on the analyst's machine
    assert "0001.eml" in first and "trap/0001.eml" not in first
    # the cover explains itself: receipt by the trap from the trusted (topmost) hop
    assert ("Email received by trap address victim@trap.example at inbound.trap.example "
            "on 2024-09-10 14:00:05 UTC (trusted Received hop)") in " ".join(first.split())
    # the Date header is the sender's claim, in UTC
    assert "The Date header, written by the sender, says 2024-09-10 13:59:50 UTC" in first


def test_label_is_on_the_first_page_only(pages):
    later = "".join(pages[1:])
    # later pages have a running header naming the exhibit, but no boxed label line
    assert all(not line.strip() == "Exhibit 12" for line in later.splitlines())
    assert any(line.strip() == "Exhibit 12" for line in pages[0].splitlines())


def test_cover_lists_the_findings_in_brief_without_engine_vocabulary(pages):
    text = " ".join(" ".join(pages).split())
    brief = text[text.index("Findings in brief"):text.index("The message as the recipient")]
    for citation in CITATIONS:
        assert flat(citation) in flat(brief)
    assert "Violation — No working opt-out" in brief and "Needs review" in brief
    for jargon in ("CANSPAM-", "body.text", "E1", "Searched"):
        assert jargon not in text


def test_analysis_lists_every_citation_and_evidence(analysis, analysis_pages):
    text = " ".join(" ".join(analysis_pages).split())
    for citation in CITATIONS:
        assert flat(citation) in flat(text)
    assert "VIOLATION" in text and "NEEDS REVIEW" in text and "CANSPAM-OPT-OUT" in text
    assert "Searched (nothing found): body.visible_text; body.text" in text
    assert OPT_OUT_TEXT in text
    assert analysis.bates_first == "TRAP0000090" and "TRAP0000090" in analysis_pages[0]
    assert PdfReader(io.BytesIO(analysis.pdf)).attachments == {}  # the exhibit carries it


def test_key_headers_as_received(pages):
    text = "\n".join(pages)
    for value in ("<bounce@spam.example>", "replies@elsewhere.example",
                  "<20240910.abc@spam.example>", "victim@trap.example",
                  "spf=fail smtp.mailfrom=spam.example", "dkim=pass header.d=bank.example"):
        assert value in text


def test_header_block_marks_the_trust_boundary_after_the_trusted_hop(pages):
    text = "\n".join(pages)
    block = text[text.index("Full header block"):]
    first_hop = block.index("for <victim@trap.example>; Tue, 10 Sep 2024 14:00:05")
    boundary = block.index("TRUST BOUNDARY")
    second_hop = block.index("Received: from sender.spam.example")
    assert first_hop < boundary < second_hop


def test_trusted_hops_option_moves_the_boundary_and_receipt(message):
    made = render_exhibit(message, None, ExhibitOptions(trusted_hops=2))
    text = "\n".join(pdf_pages_text(made.pdf))
    block = text[text.index("Full header block"):]
    assert block.index("Received: from sender.spam.example") < block.index("TRUST BOUNDARY")
    assert "2024-09-10 13:59:58 UTC" in text  # the lower trusted hop's time


def test_evidence_is_marked_where_it_occurs(analysis, analysis_pages):
    html = analysis.html
    assert re.search(r'<mark class="exh-mark" data-ref="E1">Reply STOP to nowhere</mark>', html)
    # violations come first (E1 text span, E2 an absence), then the subject quote (E3),
    # which lands in the raw header block
    assert re.search(r'Subject: <mark class="exh-mark" data-ref="E3">Cheap meds NOW</mark>',
                     html)
    text = " ".join(" ".join(analysis_pages).split())
    assert "text line" in text and "header block line 12" in text


def test_sanitized_render_is_labelled_and_honest(exhibit, pages):
    text = "\n".join(pages)
    assert "The message as the recipient saw it" in text
    assert "Visible offer text." in text
    # hidden by a class in <style>: still hidden in the render, but present in the source
    render = exhibit.html[exhibit.html.index('class="exh-render"'):]
    render = render[:render.index("Full header block")]
    assert re.search(r'style="display: none"[^>]*>SECRET-CLASS-HIDDEN', render)
    assert "image not loaded: hxxp[://]track[.]spam[.]example/p.gif" in text
    # a link shows its text only, as a mail program shows it; never a live target
    assert "Buy now" in render and "shop" not in render and "href" not in render


def test_html_source_is_escaped_and_line_numbered(exhibit):
    assert "&lt;p class=&#39;x&#39;&gt;SECRET-CLASS-HIDDEN" in exhibit.html
    assert re.search(r'<span class="exh-n">1</span>&lt;html&gt;', exhibit.html)


def test_original_eml_is_embedded_byte_exact(exhibit, message):
    reader = PdfReader(io.BytesIO(exhibit.pdf))
    attachments = reader.attachments
    assert list(attachments) == ["0001.eml"]
    (data,) = attachments["0001.eml"]
    assert hashlib.sha256(data).hexdigest() == message.sha256
    root = reader.trailer["/Root"]
    # PDF/A-3 associated file (WeasyPrint lists the one file spec twice in /AF)
    specs = {ref.idnum: ref.get_object() for ref in root["/AF"]}
    assert [spec["/F"] for spec in specs.values()] == ["0001.eml"]
    assert all(spec["/AFRelationship"] == "/Source" for spec in specs.values())
    assert b'pdfaid:part="3"' in root["/Metadata"].get_object().get_data()


def test_rendering_twice_gives_identical_bytes(exhibit, message):
    again = render_exhibit(message, sample_result(message, text_quote=OPT_OUT_TEXT), OPTIONS,
                           ruleset_sha256="c0ffee" * 10 + "abcd")
    assert again.pdf == exhibit.pdf
    other = render_exhibit(message, sample_result(message, text_quote=OPT_OUT_TEXT), OPTIONS,
                           ruleset_sha256="0" * 64)
    assert other.pdf != exhibit.pdf  # the ruleset hash is shown and feeds the identifier


def test_qpdf_check_passes(exhibit, tmp_path):
    path = tmp_path / "exhibit.pdf"
    path.write_bytes(exhibit.pdf)
    checked = qpdf_check(path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_footer_names_tool_ruleset_and_weasyprint_but_no_render_date(pages):
    import weasyprint

    from checker import __version__

    text = " ".join(" ".join(pages).split())
    assert f"spamlaw {__version__}" in text
    assert f"WeasyPrint {weasyprint.__version__}" in text
    assert ("c0ffee" * 10 + "abcd") in text.replace(" ", "")


@pytest.mark.parametrize("corner", ["top-left", "top-right", "bottom-left", "bottom-right"])
def test_label_goes_to_the_configured_corner(corner):
    msg = Message(build_message(None, "short text"), source_id="c.eml")
    made = render_exhibit(msg, None, ExhibitOptions(label="EXHIBIT 7", label_corner=corner))
    page = PdfReader(io.BytesIO(made.pdf)).pages[0]
    height, width = float(page.mediabox.height), float(page.mediabox.width)
    found = []

    def visit(text, cm, tm, font, size):
        if "EXHIBIT 7" in text:
            found.append((tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]))

    page.extract_text(visitor_text=visit)
    # outside the content box (margins 0.85in top, 0.95in bottom): page furniture only
    boxed = [(x, y) for x, y in found if y > height - 0.85 * 72 or y < 0.95 * 72]
    assert boxed, f"no label in a page margin: {found}"
    x, y = boxed[0]
    assert (y > height / 2) == corner.startswith("top")
    assert (x > width / 2) == corner.endswith("right")
    assert "0000001" in pdf_pages_text(made.pdf)[0]  # the Bates number stays on page 1


def test_default_label_is_the_first_bates_number():
    msg = Message(build_message(None, "short"), source_id="d.eml")
    made = render_exhibit(msg, None, ExhibitOptions(bates=BatesSpec("ACME-", 7, 5)))
    first = pdf_pages_text(made.pdf)[0]
    assert "Exhibit ACME-00007" in first


def test_bad_options_are_usage_errors():
    with pytest.raises(BatesError):
        check_options(ExhibitOptions(label_corner="middle"))
    with pytest.raises(BatesError):
        BatesSpec('X"; } @page { }', 1, 7)
    with pytest.raises(BatesError):
        BatesSpec("X", 1, 0)


def test_css_string_cannot_break_out():
    quoted = css_string('a"b</style>\\c\n')
    assert quoted.count('"') == 2 and "<" not in quoted and "\n" not in quoted


def test_label_text_is_escaped_not_interpreted():
    msg = Message(build_message(None, "x"), source_id="e.eml")
    made = render_exhibit(msg, None, ExhibitOptions(label='<b>Ex "1"</b> & co'))
    assert "<b>Ex" not in made.html.split("<body", 1)[1]
    assert '<b>Ex "1"</b> & co' in pdf_pages_text(made.pdf)[0]


def test_huge_html_part_is_truncated_with_a_visible_note():
    # mostly markup, little text: a big part that stays quick to lay out
    html = ("<html><body><p>Start of offer</p>"
            + '<span style="display:none">padding padding</span>\n' * 4000
            + "<p>END-OF-PART</p></body></html>")
    msg = Message(build_message(html), source_id="huge.eml")
    made = render_exhibit(msg, None, ExhibitOptions())
    text = " ".join(" ".join(pdf_pages_text(made.pdf)).split())
    assert f"only the first {MAX_HTML_CHARS:,} are rendered here" in text
    render = text[text.index("recipient saw it"):text.index("Full header block")]
    assert "Start of offer" in render and "END-OF-PART" not in render
    shown = f"Shown: the first {MAX_VIEW_CHARS:,} of {len(html):,} characters"
    assert shown in text and "The embedded original holds the rest" in text


def test_html_that_breaks_layout_falls_back_to_text(monkeypatch):
    from checker.exhibits import render as render_module

    real = render_module.layout
    calls = []

    def flaky(html, fetcher):
        calls.append(html)
        if len(calls) == 1:
            raise RecursionError("maximum recursion depth exceeded")
        return real(html, fetcher)

    monkeypatch.setattr(render_module, "layout", flaky)
    msg = Message(build_message("<p>deep</p>", "deep text"), source_id="f.eml")
    made = render_exhibit(msg, None, ExhibitOptions())
    assert made.layout_fallback.startswith("RecursionError")
    assert "could not be laid out" in " ".join(" ".join(pdf_pages_text(made.pdf)).split())


def test_a_render_that_cannot_finish_raises_exhibit_error(monkeypatch):
    from checker.exhibits import render as render_module

    def broken(html, fetcher):
        raise MemoryError("out of memory")

    monkeypatch.setattr(render_module, "layout", broken)
    msg = Message(build_message(None, "x"), source_id="g.eml")
    with pytest.raises(ExhibitError, match="layout failed"):
        render_exhibit(msg, None, ExhibitOptions())


def test_garbage_bytes_still_make_an_exhibit():
    msg = Message(bytes(range(256)) * 20, source_id="garbage.bin")
    made = render_exhibit(msg, None, ExhibitOptions())
    assert made.pages >= 1
    (data,) = PdfReader(io.BytesIO(made.pdf)).attachments.values()
    assert data[0] == msg.raw


def test_message_text_is_escaped_everywhere_outside_the_sanitized_render():
    text = 'Hi <img src="http://t.example/x.gif"> <script>alert(1)</script>'
    msg = Message(build_message(None, text, subject="<b>bold</b> & <i>x</i>"),
                  source_id="<escape>.eml")
    made = render_exhibit(msg, None, ExhibitOptions())
    body = made.html.split("<body", 1)[1]
    assert "<b>bold</b>" not in body and "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;" in body
    assert "<script>" not in body and '<img src="http' not in body
    assert "&lt;escape&gt;.eml" in body
    assert made.refused_urls == ()


def test_exhibit_css_is_scoped_to_exhibit_classes():
    """Every selector starts at one of the exhibit's own classes, and only
    bookmark-level reaches into the message's elements."""
    import tinycss2

    from checker.paths import templates_dir

    css = (templates_dir() / "exhibit.css").read_text()
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        assert rule.type == "qualified-rule", rule
        body = tinycss2.serialize(rule.content)
        for selector in tinycss2.serialize(rule.prelude).split(","):
            selector = selector.strip()
            assert selector.startswith(".exh-"), selector
            if selector.startswith(".exh-render "):
                assert body.strip() == "bookmark-level: none;", selector


def test_inventories_list_links_blocked_resources_and_hidden_text(pages, analysis_pages):
    text = " ".join(" ".join(pages).split())
    inventory = text[text.index("Links Every link"):]
    assert "Buy now" in inventory
    assert flat("hxxps[://]shop[.]spam[.]example/buy?id=1") in flat(inventory)
    assert "<img src>" in inventory and flat("hxxp[://]track[.]spam[.]example/p.gif") in flat(
        inventory)
    analysis = " ".join(" ".join(analysis_pages).split())
    hidden = analysis[analysis.index("Hidden text"):]
    assert "SECRET-CLASS-HIDDEN" in hidden and "display:none" in hidden


def test_attachments_are_listed_with_type_size_and_hash():
    payload = b"%PDF-1.4 fake invoice " * 50
    raw = build_message(None, "see attached").replace(
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        b"see attached",
        b'Content-Type: multipart/mixed; boundary="M"\r\n\r\n--M\r\n'
        b"Content-Type: text/plain\r\n\r\nsee attached\r\n--M\r\n"
        b'Content-Type: application/pdf; name="invoice.pdf"\r\n'
        b'Content-Disposition: attachment; filename="invoice.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(payload) + b"--M--\r\n")
    made = render_exhibit(Message(raw, source_id="att.eml"), None, ExhibitOptions())
    text = " ".join(" ".join(pdf_pages_text(made.pdf)).split())
    section = text[text.index("Attachments"):]
    assert "invoice.pdf" in section and "application/pdf" in section
    assert f"{len(payload):,} bytes" in section
    assert hashlib.sha256(payload).hexdigest() in flat(section)


@pytest.mark.parametrize("probe", [
    "{{ title.__class__.__mro__[1].__subclasses__() }}",  # reach Python's internals
    "{% set _ = title.__class__ %}{{ _ }}",
    "{{ {}.update({'a': 1}) }}",  # change what it was given
])
def test_exhibit_templates_are_sandboxed(tmp_path, probe):
    """A templates folder (a copy a firm edits) cannot reach Python's internals or change
    the data it is given: the exhibit fails instead of printing or doing either."""
    import shutil

    from checker.paths import templates_dir

    folder = tmp_path / "templates"
    shutil.copytree(templates_dir(), folder)
    page = folder / "exhibit.html.j2"
    page.write_text(page.read_text().replace("</body>", probe + "</body>", 1))
    msg = Message(build_message(None, "hello"), source_id="s.eml")
    with pytest.raises(Exception, match="unsafe|undefined|attribute|not safely callable"):
        render_exhibit(msg, None, ExhibitOptions(), templates=folder)
