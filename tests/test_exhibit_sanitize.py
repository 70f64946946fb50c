"""The HTML sanitizer: keeps what a reader saw (layout, hiding styles), drops what could
run or fetch, and says what it removed."""

from __future__ import annotations

from checker.exhibits.sanitize import (
    MAX_HTML_CHARS,
    breakable,
    clean_text,
    defang,
    sanitize_html,
)
from checker.exhibits.views import Mark, build_view, header_block


def clean(html: str, has_cid=lambda url: False):
    return sanitize_html(html, has_cid)


def unbroken(markup) -> str:
    """Markup without the <wbr> break chances put into long URLs."""
    return str(markup).replace("<wbr>", "")


def test_scripts_forms_and_event_handlers_are_dropped():
    out = str(clean('<p onclick="x()" onmouseover="y()">hi</p><script>alert(1)</script>'
                    '<form action="http://a/"><input name=q value=secret><button>Go</button>'
                    '</form><iframe src="http://a/"></iframe>').markup)
    assert "hi" in out
    for gone in ("onclick", "onmouseover", "<script", "alert", "<form", "<input", "secret",
                 "<iframe", "<button"):
        assert gone not in out


def test_styles_that_hide_text_are_kept():
    out = str(clean('<span style="display:none">A</span><font color="#ffffff">B</font>'
                    '<div style="font-size:0px">C</div><p style="visibility:hidden">D</p>'
                    '<div style="height:1px;overflow:hidden">E</div>').markup)
    assert 'style="display: none"' in out
    assert 'color="#ffffff"' in out
    assert "font-size: 0px" in out
    assert "visibility: hidden" in out
    assert "height: 1px; overflow: hidden" in out


def test_class_rules_from_style_blocks_become_inline_so_hidden_text_stays_hidden():
    out = str(clean("<html><head><style>.h { display: none }</style></head>"
                    "<body><p class=h>secret</p></body></html>").markup)
    assert 'style="display: none"' in out and "secret" in out
    assert "class=" not in out  # the message's classes cannot meet the exhibit's CSS


def test_styles_that_load_or_escape_the_frame_are_dropped():
    result = clean('<div style="background:url(http://t.example/a.png); color:red; '
                   'position:absolute; top:-900px; margin-top:-5000px; width:99999px; '
                   'counter-increment: exh-bates; string-set: x content()">x</div>')
    out = str(result.markup)
    assert "color: red" in out
    for gone in ("url(", "position", "top:", "margin", "99999", "counter", "string-set"):
        assert gone not in out
    assert [b.url for b in result.blocked] == ["http://t.example/a.png"]


def test_remote_images_become_labelled_placeholders_with_defanged_urls():
    result = clean('<img src="https://track.example/p.gif?u=1" alt="logo" width="120">'
                   '<img src="//cdn.example/x.png"><img src="cid:missing@x">'
                   '<img src="cid:ok@x"><img src="data:image/png;base64,AAAA">',
                   has_cid=lambda url: url == "cid:ok@x")
    out = unbroken(result.markup)
    assert "image not loaded: hxxps[://]track[.]example/p.gif?u=1" in out
    assert "alt text: “logo”" in out
    assert "width" not in out  # a small marker, not a box the size of the picture
    assert "[//]cdn[.]example/x.png" in out
    assert "inline image cid:missing@x could not be shown" in out
    assert '<img src="cid:ok@x">' in out
    assert "inline data: image" in out
    assert "https://" not in out and "//cdn.example" not in out.replace("[//]cdn", "")
    assert {b.url for b in result.blocked} >= {
        "https://track.example/p.gif?u=1", "//cdn.example/x.png", "cid:missing@x"}


def test_tracking_and_spacer_pictures_are_a_tiny_marker():
    result = clean('<img src="http://t.example/open.gif?id=9" width="1" height="1">'
                   '<img src="http://t.example/spacer.gif" width="600" height="1px">')
    out = unbroken(result.markup)
    assert out.count("[tiny image]") == 2 and "exh-img-tiny" in out
    assert {b.url for b in result.blocked} == {"http://t.example/open.gif?id=9",
                                               "http://t.example/spacer.gif"}  # still listed


def test_links_are_inert_and_show_their_text_only():
    out = unbroken(clean('<a href="http://evil.example/unsub?id=1" style="color:blue">Unsubscribe</a>'
                         '<a href="javascript:alert(1)">js</a><a href="mailto:x@evil.example">m</a>'
                         ).markup)
    assert "href=" not in out
    assert '<a class="exh-link" style="color: blue">Unsubscribe</a>' in out
    assert "javascript" not in out and "evil" not in out


def test_background_attributes_and_style_sheets_are_listed_as_blocked():
    result = clean('<html><head><link rel=stylesheet href="http://s.example/a.css">'
                   '<style>@import url("http://s.example/b.css"); '
                   '@font-face { src: url(http://s.example/f.woff) }</style></head>'
                   '<body background="http://s.example/body.png"><table '
                   'background="http://s.example/t.png"><tr><td>x</td></tr></table></body></html>')
    urls = {b.url for b in result.blocked}
    assert urls >= {"http://s.example/a.css", "http://s.example/b.css",
                    "http://s.example/f.woff", "http://s.example/body.png",
                    "http://s.example/t.png"}
    assert "background=" not in str(result.markup)


def test_body_colours_frame_the_render():
    result = clean('<body bgcolor="#000000" text="#ffffff" background="http://x/y.png">hi</body>')
    assert result.body_style == "background-color: #000000; color: #ffffff"


def test_huge_html_is_truncated_with_a_note():
    result = clean("<p>" + "x" * 400_000 + "</p>")
    assert result.rendered_chars == MAX_HTML_CHARS and result.original_chars == 400_007
    assert f"only the first {MAX_HTML_CHARS:,} are rendered" in result.notes[0]


def test_numbers_in_attributes_are_bounded():
    out = str(clean('<table width="100000"><tr><td colspan="5000" width="50%">x</td></tr>'
                    '</table>').markup)
    assert "100000" not in out and "5000" not in out and 'width="50%"' in out


def test_control_characters_and_surrogates_become_visible():
    assert clean_text("a\x00b\x0cc\x7fd\udce9e\tf\ng") == "a^@b^Lc^?d\ufffde\tf\ng"


def test_long_urls_get_break_chances_not_anywhere_wrapping():
    out = str(breakable("hxxp[://]a[.]example/path/" + "x" * 50 + "?q=<1>"))
    assert out.startswith("hxxp[://]<wbr>a[.]<wbr>example/<wbr>path/<wbr>")
    assert "x" * 24 + "<wbr>" in out and "&lt;1&gt;" in out


def test_defang():
    assert defang("http://a.b.example/x.y") == "hxxp[://]a[.]b[.]example/x.y"
    assert defang("HTTPS://A.example") == "hxxps[://]A[.]example"
    assert defang("x" * 500).endswith("…")


def test_numbered_view_highlights_spans_across_lines():
    view = build_view("t", "T", "one two\nthree\n", [Mark(4, 11, "E1")])
    assert [n for n, _ in view.lines] == [1, 2, 3]
    assert str(view.lines[0][1]) == ('one <span class="exh-ref">E1</span>'
                                     '<mark class="exh-mark">two</mark>')
    assert str(view.lines[1][1]) == '<mark class="exh-mark">thr</mark>ee'
    assert view.located == {"E1": 1}


def test_numbered_view_escapes_markup_and_shows_controls():
    view = build_view("t", "T", "<b>&\x0c</b>", [])
    assert str(view.lines[0][1]) == "&lt;b&gt;&amp;^L&lt;/b&gt;"


def test_header_block_keeps_folding_and_reports_line_endings():
    block = header_block(b"Received: a\r\n\tb\r\nFrom: x\r\nSubject: \xe9\r\n\r\nbody\r\n")
    assert block.text == "Received: a\n\tb\nFrom: x\nSubject: \\xe9"
    assert [(e.name, e.first_line, e.last_line) for e in block.entries] == [
        ("Received", 1, 2), ("From", 3, 3), ("Subject", 4, 4)]
    assert block.line_endings == "CRLF" and block.non_utf8
    assert block.text[block.entries[0].start:block.entries[0].end] == "Received: a\n\tb"
