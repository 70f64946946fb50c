"""`spamlaw exhibit` against hostile input and hostile targets (issue 12 §4)."""

from __future__ import annotations

import os
import stat

import pytest
from exhibit_support import build_message, pdf_pages_text, tiny_png
from typer.testing import CliRunner

from checker import exitcodes
from checker.cli import app
from checker.exhibits import ExhibitOptions, render_exhibit
from checker.exhibits.sanitize import MAX_NESTING, nesting_depth, sanitize_html
from checker.exhibits.views import MAX_LINE_CHARS
from checker.message import Message


def _text(made) -> str:
    return " ".join(" ".join(pdf_pages_text(made.pdf)).split())


def test_a_megabyte_subject_is_cut_before_layout_with_a_note():
    msg = Message(build_message(None, "hello", subject="A" * 1_000_000), source_id="s.eml")
    made = render_exhibit(msg, None, ExhibitOptions())
    text = _text(made)
    assert "cut here: 1,000,000 characters; the embedded original holds all" in text
    assert made.pages < 10


def test_a_megabyte_body_line_is_cut_before_layout_with_a_note():
    msg = Message(build_message(None, "B" * 1_000_000), source_id="b.eml")
    made = render_exhibit(msg, None, ExhibitOptions())
    text = _text(made)
    assert f"line cut here: {60_000 - MAX_LINE_CHARS:,} more characters" in text  # render
    assert f"line cut here: {1_000_000 - MAX_LINE_CHARS:,} more characters" in text  # source
    assert made.pages < 10


def test_a_header_section_larger_than_shown_says_its_real_size():
    hops = "".join(f"Received: from relay{i}.example by relay{i + 1}.example with SMTP id "
                   f"X{i}; Tue, 10 Sep 2024 09:59:58 -0400\r\n" for i in range(4000))
    raw = build_message(None, "hi", extra_headers=hops)
    made = render_exhibit(Message(raw, source_id="h.eml"), None, ExhibitOptions())
    size = raw.index(b"\r\n\r\n") + 2
    assert size > 262_144  # past what the header block reads
    text = _text(made)
    assert f"The header section has {size:,} bytes; the exhibit shows its first" in text
    assert "of 262,144" not in text


def test_html_nested_past_the_limit_is_not_inlined_and_says_so():
    deep = "<div>" * 12_000 + "deep text" + "</div>" * 12_000
    assert nesting_depth(deep) == 12_000
    assert sanitize_html(deep).too_deep == 12_000  # returned before the CSS inliner runs
    # unclosed paragraphs and cells do not nest; a real newsletter stays rendered
    assert nesting_depth("<p>x" * 5000 + "<table><tr><td>y" * 3) == 3
    msg = Message(build_message(deep, "deep text"), source_id="d.eml")
    made = render_exhibit(msg, None, ExhibitOptions())
    assert f"levels deep (more than {MAX_NESTING:,}); it was not laid out" in _text(made)


def test_an_inline_image_that_cannot_be_decoded_is_a_listed_placeholder():
    raw = build_message('<p>logo: <img src="cid:logo@x"></p>', inline_png_cid="logo@x")
    broken = raw.replace(
        __import__("base64").encodebytes(tiny_png()).decode().replace("\n", "\r\n").encode(),
        b"bm90IGFuIGltYWdl\r\n")  # "not an image"
    assert broken != raw
    made = render_exhibit(Message(broken, source_id="c.eml"), None, ExhibitOptions())
    text = _text(made)
    assert "inline image cid:logo@x could not be shown" in text
    listed = text[text.index("Pictures and other resources not shown"):]
    assert "cid:logo@x" in listed


@pytest.fixture()
def eml(tmp_path):
    path = tmp_path / "m.eml"
    path.write_bytes(build_message(None, "Buy now"))
    return path


def test_out_onto_a_fifo_or_device_is_refused(eml, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for target in (fifo, "/dev/null", tmp_path):
        result = CliRunner().invoke(app, ["exhibit", str(eml), "--out", str(target),
                                          "--documents", "message"])
        assert result.exit_code == exitcodes.USAGE, result.output
        assert "is not a regular file" in result.output
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # left alone


def test_output_files_follow_the_umask(eml, tmp_path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "e.pdf"
        result = CliRunner().invoke(app, ["exhibit", str(eml), "--out", str(out)])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    for path in (out, tmp_path / "e-analysis.pdf"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_documents_option_and_its_usage_errors(eml, tmp_path):
    only = tmp_path / "analysis-only.pdf"
    result = CliRunner().invoke(app, ["exhibit", str(eml), "--out", str(only),
                                      "--documents", "analysis"])
    assert result.exit_code == 0, result.output
    assert "Analysis of the email message" in _text_of(only)
    assert not (tmp_path / "analysis-only-analysis.pdf").exists()
    for args in (["--documents", "all"], ["--legend", "x" * 200], ["--timeout", "-1"]):
        bad = CliRunner().invoke(app, ["exhibit", str(eml), "--out", str(tmp_path / "x.pdf"),
                                       *args])
        assert bad.exit_code == exitcodes.USAGE, (args, bad.output)


def test_a_render_that_runs_out_of_time_is_a_one_line_error(eml, tmp_path, monkeypatch):
    from checker.exhibits import render as render_module

    def slow(html, fetcher):
        import time
        while True:
            time.sleep(0.05)

    monkeypatch.setattr(render_module, "layout", slow)
    result = CliRunner().invoke(app, ["exhibit", str(eml), "--out", str(tmp_path / "t.pdf"),
                                      "--timeout", "0.5"])
    assert result.exit_code == exitcodes.USAGE
    assert "rendering stopped after 0.5 s (time bound)" in result.output
    assert not (tmp_path / "t.pdf").exists()


def _text_of(path) -> str:
    return " ".join(" ".join(pdf_pages_text(path.read_bytes())).split())
