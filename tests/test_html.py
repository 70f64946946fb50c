"""Tests for checker.extract.html: what a reader of an HTML email sees, what is hidden and
why, links and images, on hand-written snippets, hostile input and the real corpus."""

from __future__ import annotations

import email
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from checker.extract import html as html_module
from checker.extract.html import HtmlAnalysis, analyze_html

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def hidden_reasons(result: HtmlAnalysis) -> dict[str, str]:
    return {run["text"]: run["reason"] for run in result.hidden}


def reason_for(result: HtmlAnalysis, secret: str) -> str:
    """The reason of the hidden run that contains `secret`."""
    runs = [run for run in result.hidden if secret in run["text"]]
    assert len(runs) == 1, result.hidden
    return runs[0]["reason"]


def assert_hidden(html: str, secret: str, reason_start: str) -> HtmlAnalysis:
    """`secret` is in the text but not in what the reader sees, for the stated reason."""
    result = analyze_html(html)
    assert secret in result.text
    assert secret not in result.visible_text
    reason = reason_for(result, secret)
    assert reason.startswith(reason_start), reason
    return result


def squash(text: str) -> str:
    return "".join(text.split())


# --------------------------------------------------------------------------- hiding techniques


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ('<span style="display:none">SECRET</span>', "display:none"),
        ('<span style="DISPLAY : NONE !important">SECRET</span>', "display:none"),
        ('<div style="visibility:hidden">SECRET</div>', "visibility:hidden"),
        ('<span style="font-size:1px">SECRET</span>', "font-size:1px"),
        ('<span style="font-size:0">SECRET</span>', "font-size:0"),
        ('<span style="font-size:1pt">SECRET</span>', "font-size:1pt"),
        ('<span style="font-size:0.1em">SECRET</span>', "font-size:0.1em"),
        ('<span style="font: bold 1px arial">SECRET</span>', "font-size:1px"),
        ('<span style="opacity:0">SECRET</span>', "opacity:0"),
        ('<p hidden>SECRET</p>', "hidden attribute"),
        ('<div style="max-height:0;overflow:hidden">SECRET</div>', "zero-size"),
        ('<div style="height:0px; overflow: hidden">SECRET</div>', "zero-size"),
        ('<span style="color:transparent">SECRET</span>', "color:transparent"),
        ('<span style="color:rgba(0,0,0,0)">SECRET</span>', "color:transparent"),
        ('<font color="#ffffff">SECRET</font>', "color #ffffff on background #ffffff"),
    ],
)
def test_each_hiding_technique_is_detected_with_its_reason(html, reason):
    result = assert_hidden(f"<p>Visible words {html} more visible</p>", "SECRET", reason)
    assert "Visible words" in result.visible_text and "more visible" in result.visible_text


@pytest.mark.parametrize(
    "html",
    [
        '<font size="1">readable</font>',  # about 10px
        '<font size="-2">readable</font>',
        '<span style="font-size:8px">readable</span>',
        '<span style="font-size:70%">readable</span>',
        '<span style="opacity:0.5">readable</span>',
        '<span style="display:block">readable</span>',
        '<font color="#ff0000">readable</font>',
        '<span style="color:#c0c0c0">readable</span>',  # light grey is low contrast, not hidden
    ],
)
def test_small_or_faint_but_readable_text_is_visible(html):
    result = analyze_html(f"<p>{html}</p>")
    assert result.visible_text == "readable"
    assert result.hidden == []


def test_hiding_is_inherited_by_descendants():
    assert_hidden(
        '<div style="display:none"><table><tr><td><p><b>DEEP</b></p></td></tr></table></div>',
        "DEEP",
        "display:none",
    )
    assert_hidden('<div style="font-size:1px"><p><i>TINY</i></p></div>', "TINY", "font-size:1px")


def test_descendants_can_override_what_css_lets_them():
    result = analyze_html(
        '<div style="font-size:0"><span style="font-size:14px">big enough</span></div>'
        '<div style="visibility:hidden"><span style="visibility:visible">shown</span></div>'
    )
    assert "big enough" in result.visible_text
    assert "shown" in result.visible_text
    # display:none cannot be undone by a descendant
    assert_hidden(
        '<div style="display:none"><span style="display:inline">STILL</span></div>',
        "STILL",
        "display:none",
    )


def test_hidden_text_does_not_join_the_visible_words_around_it():
    assert analyze_html("foo<span style=display:none>junk</span>bar").visible_text == "foobar"
    # invisible ink still takes room on the screen: the reader sees a gap
    assert analyze_html("Buy<font color=white>junk</font>now").visible_text == "Buy now"


# --------------------------------------------------------------------------- colour vs background


def test_text_matching_td_bgcolor_is_hidden_and_contrasting_text_is_not():
    html = (
        '<table><tr><td bgcolor="#000000"><font color="#000000">BLACKONBLACK</font>'
        '<font color="white">white on black</font></td></tr></table>'
    )
    result = assert_hidden(html, "BLACKONBLACK", "color #000000 on background #000000")
    assert "white on black" in result.visible_text


def test_text_matching_a_div_style_background_is_hidden():
    assert_hidden(
        '<div style="background-color: #336699"><span style="color:#336699">BLUE</span></div>',
        "BLUE",
        "color #336699 on background #336699",
    )
    assert_hidden(
        '<div style="background: rgb(10, 20, 30)"><font color="#0a141e">DARK</font></div>',
        "DARK",
        "color",
    )


def test_near_white_on_white_is_hidden():
    assert_hidden("<p>Hi <font color=#fefefe>NEAR</font></p>", "NEAR", "color #fefefe")
    assert_hidden('<p><span style="color:#f8f8f8">NEAR2</span></p>', "NEAR2", "color #f8f8f8")


def test_body_colours_set_the_default_background_and_text_colour():
    assert_hidden('<body bgcolor="black">BODYTEXT</body>', "BODYTEXT", "color #000000")
    assert_hidden('<body text="#ffffff">WHITE</body>', "WHITE", "color #ffffff")
    result = analyze_html('<body bgcolor="navy"><font color="white">readable</font></body>')
    assert result.visible_text == "readable"


def test_body_attributes_apply_wherever_the_body_tag_appears():
    html = "Before body tag<html><body bgcolor=#000000><font color=#fff>after</font></body></html>"
    result = analyze_html(html)
    assert "Before body tag" in hidden_reasons(result)  # black default text on black
    assert result.visible_text == "after"


def test_unknown_background_never_makes_text_hidden():
    # a background image may be dark: white text on it is not called hidden
    html = (
        '<table background="http://x.example/bg.jpg"><tr><td><font color=white>on image</font>'
        '</td></tr></table><div style="background:url(cid:bg) #fff"><font color=#fff>again</font>'
        "</div>"
    )
    result = analyze_html(html)
    assert "on image" in result.visible_text and "again" in result.visible_text
    assert result.hidden == []


def test_links_have_their_own_colour():
    result = analyze_html('<body link="#ffffff"><a href="http://a.example/">LINK</a></body>')
    assert result.links[0]["visible"] is False
    assert result.links[0]["hidden_reason"].startswith("color #ffffff")
    # a white <font> around a link does not recolour the link (browsers use the link colour)
    result = analyze_html('<font color=white><a href="http://a.example/">blue link</a></font>')
    assert result.visible_text == "blue link" and result.links[0]["visible"] is True


def test_colour_syntaxes():
    for colour in ("white", "WHITE", "#FFF", "#ffffff", "ffffff", "rgb(255,255,255)",
                   "rgb(100%, 100%, 100%)"):
        assert_hidden(f'<span style="color:{colour}">X1</span>', "X1", "color #ffffff")
    for colour in ("white", "#FFFFFF", "ffffff", "#fff", " #ffffff "):  # legacy attribute rules
        assert_hidden(f'<font color="{colour}">X2</font>', "X2", "color #ffffff")
    # browsers read a 7-digit value as #fffff0: still near-white on white
    assert_hidden('<font color="#fffffff">X3</font>', "X3", "color #fffff0 on background #ffffff")


# --------------------------------------------------------------------------- <style> blocks


def test_style_block_class_id_and_tag_selectors_hide_text():
    html = (
        "<style>.x{display:none} #y {font-size:1px} p.z, .w {color:#fff}</style>"
        '<p>shown <span class="a x">CLS</span> <b id=y>IDENT</b></p><p class=z>TAGCLS</p>'
        '<div class="w">LISTED</div><div class="z">div is not p.z</div>'
    )
    result = analyze_html(html)
    reasons = hidden_reasons(result)
    assert reasons["CLS"] == "display:none (style rule .x)"
    assert reasons["IDENT"] == "font-size:1px (style rule #y)"
    # consecutive hidden text with the same reason is one run
    assert reasons["TAGCLS LISTED"].startswith("color #ffffff")
    assert result.visible_text == "shown\n\ndiv is not p.z"


def test_style_block_after_the_content_still_applies():
    assert_hidden('<p class=late>LATE</p><style>.late{display:none}</style>', "LATE", "display")


def test_style_cascade_specificity_inline_and_important():
    html = (
        "<style>.h{display:none} #s{display:block} .imp{display:none !important}</style>"
        '<span class=h id=s>ID WINS</span> <span class=h style="display:inline">INLINE WINS</span>'
        ' <span class=imp style="display:inline">IMPORTANT</span>'
    )
    result = analyze_html(html)
    assert "ID WINS" in result.visible_text and "INLINE WINS" in result.visible_text
    assert hidden_reasons(result)["IMPORTANT"].startswith("display:none")


def test_style_rules_we_do_not_understand_are_ignored_not_guessed():
    html = (
        "<style>@media (max-width:480px){.m{display:none}} .a span{display:none} "
        "a:hover{color:#fff} * {display:none}</style>"
        '<p class=m>MEDIA</p><p class=a><span>DESC</span></p><a href="http://x.example/">HOV</a>'
    )
    result = analyze_html(html)
    assert result.hidden == []
    for word in ("MEDIA", "DESC", "HOV"):
        assert word in result.visible_text


def test_commented_out_style_is_not_applied():
    result = analyze_html("<!-- <style>.x{display:none}</style> --><p class=x>shown</p>")
    assert result.visible_text == "shown"


# --------------------------------------------------------------------------- broken HTML


def test_unclosed_hiding_span_in_a_cell_ends_with_the_cell():
    html = (
        "<table><tr><td><span style='display:none'>CELLJUNK</td>"
        "<td>second cell</td></tr><tr><td>next row</td></tr></table><p>after table</p>"
    )
    result = assert_hidden(html, "CELLJUNK", "display:none")
    for words in ("second cell", "next row", "after table"):
        assert words in result.visible_text


def test_unclosed_white_font_in_a_cell_does_not_leak_into_the_next_cell():
    html = "<table><tr><td><font color=white>JUNK<td>visible</table>"
    result = assert_hidden(html, "JUNK", "color")
    assert result.visible_text == "visible"


def test_text_misplaced_in_a_table_is_moved_out_of_it_as_browsers_do():
    # text between <table> and its cells is shown before the table, not on its black
    # background: black text there is readable, not hidden
    html = (
        "<table bgcolor=#000000><font color=#000000>Name: ____</font>"
        "<tr><td><font color=#000000>IN CELL</font></td></tr></table>"
    )
    result = assert_hidden(html, "IN CELL", "color #000000 on background #000000")
    assert result.visible_text == "Name: ____"


def test_stray_end_tags_do_not_close_what_is_still_open():
    result = assert_hidden(
        "<div style=display:none></td></tr></table></span></p>STILLHIDDEN</div>shown",
        "STILLHIDDEN",
        "display:none",
    )
    assert result.visible_text == "shown"


def test_inline_end_tag_does_not_cross_a_table_cell():
    html = "<span style=display:none><table><tr><td>cell</span>CELLTEXT</td></tr></table></span>"
    assert_hidden(html, "CELLTEXT", "display:none")


def test_formatting_closed_by_a_block_is_reopened_like_browsers_do():
    # browsers re-open the unclosed <font> after </div>: "AFTER" is white on white too
    assert_hidden("<div><font color=white>a</div>AFTER", "AFTER", "color #ffffff")
    # ... but an explicitly closed one is not re-opened
    assert analyze_html("<div><font color=white>a</font></div>after").visible_text == "after"


def test_messy_real_world_markup():
    html = (
        "<HTML><BODY BGCOLOR=#FFFFFF><HTML><BODY><P ALIGN=center><FONT COLOR=red SIZE=+2>"
        "Big Offer<BR></FONT><B>Call\x00 now</B><P>Second\x01 para</BODY></HTML>"
        "<p>after the end of html</p>"
    )
    result = analyze_html(html)
    assert result.visible_text == "Big Offer\nCall now\n\nSecond para\n\nafter the end of html"
    assert result.error is None


def test_unbalanced_quote_in_an_attribute_does_not_swallow_the_message():
    # as in quoted-printable damage: size=3D"4=  then a newline
    html = '<font size=3D"4=\n"><br>May 7th, 2002<br></font><p>More text "here".</p>'
    result = analyze_html(html)
    assert "May 7th, 2002" in result.visible_text and 'More text "here".' in result.visible_text


def test_quoted_attribute_may_contain_a_greater_than_sign():
    result = analyze_html('<a href="http://x.example/?a>b" title=">>">link</a> text')
    assert result.visible_text == "link text"
    assert result.links[0]["url"] == "http://x.example/?a>b"


def test_unterminated_comment_and_tag_hide_the_rest_as_browsers_do():
    assert analyze_html("shown<!-- never closed <p>gone").visible_text == "shown"
    assert analyze_html("shown<a href=http://x.example/ junk at the end").visible_text == "shown"


def test_deep_nesting_and_huge_input_are_bounded():
    html = "<font color=red>" * 5000 + "deep" + "<div>" * 5000 + "deeper"
    started = time.process_time()
    result = analyze_html(html)
    assert "deep" in result.visible_text and "deeper" in result.visible_text
    assert result.error is None
    assert time.process_time() - started < 5
    truncated = analyze_html("<p>" + "a" * 100 + "SECRET", max_chars=50)
    assert "SECRET" not in truncated.text


def test_pathological_nesting_is_cut_and_says_so():
    # 300,000 unclosed <div>s would take an HTML5 parser minutes (quadratic in depth)
    started = time.process_time()
    result = analyze_html("<div>x" * 300_000 + "END")
    assert time.process_time() - started < 10
    assert result.error and "cut" in result.error
    assert "END" not in result.text and result.visible_text.startswith("x\nx")


# --------------------------------------------------------------------------- text rendering


def test_entities_are_decoded_with_html5_rules():
    result = analyze_html(
        "<p>A&amp;B &nbspC &#8226; &#x41;&#65 &copy 2002 &bogus; &#99999999999; &#0;</p>"
    )
    assert result.visible_text == "A&B  C \u2022 AA \u00a9 2002 &bogus; \ufffd \ufffd"


def test_entities_in_attributes_follow_attribute_rules():
    result = analyze_html('<a href="http://x.example/?a=1&copy=2&amp;b=3&lt;">x</a>')
    assert result.links[0]["url"] == "http://x.example/?a=1&copy=2&b=3<"


def test_block_elements_give_line_breaks_and_whitespace_collapses():
    html = (
        "<h1>Title</h1>  <p>first   paragraph\n with  spaces</p><div>a div</div>"
        "line one<br>line two<br><br>line four<ul><li>item 1<li>item 2</ul>"
        "<table><tr><td>cell 1</td><td>cell 2</td></tr><tr><td>row 2</td></tr></table>"
        "x<b> bold </b>y<hr>end"
    )
    assert analyze_html(html).visible_text == (
        "Title\n\nfirst paragraph with spaces\n\na div\nline one\nline two\n\nline four\n\n"
        "item 1\nitem 2\n\ncell 1 cell 2\nrow 2\nx bold y\nend"
    )


def test_preformatted_text_keeps_its_whitespace():
    result = analyze_html("<pre>\n  a   b\n  c</pre><textarea>x &amp;  y</textarea>")
    assert result.visible_text == "a   b\nc\n\nx &  y"


def test_non_content_is_not_text_but_noscript_is():
    html = (
        "<html><head><title>TITLE</title><style>p{color:red}</style>"
        "<script>document.write('SCRIPT')</script></head><body>"
        "<!-- COMMENT --><![CDATA[ CDATA ]]><?php echo 'PI' ?><noscript>NOSCRIPT</noscript>"
        "<iframe>IFRAME</iframe><img alt=ALT src=x.gif><input type=hidden value=INPUT>"
        "<template>TEMPLATE</template><p>body"
    )
    result = analyze_html(html)
    assert result.text == "NOSCRIPT\n\nbody" == result.visible_text
    assert result.hidden == []


def test_invisible_characters_and_nbsp():
    result = analyze_html("un\u200bsub\u00adscribe&nbsp;&nbsp;here\ufeff")
    assert result.visible_text == "unsubscribe  here"


def test_output_is_deterministic():
    html = (
        "<style>.x{display:none}</style><p class=x>h1</p><font color=white>h2</font>"
        '<a href="http://b.example/">b</a><a href="mailto:a@a.example">a</a>'
        '<img src="cid:1"><img src="http://c.example/i.gif">'
    )
    assert analyze_html(html) == analyze_html(html)
    assert [link["url"] for link in analyze_html(html).links] == [
        "http://b.example/", "mailto:a@a.example"]


# --------------------------------------------------------------------------- links


def test_links_with_anchor_text_host_and_mailto():
    html = (
        '<a href=" HTTP://User@WWW.Example.COM:8080/path?q=1 ">Click <b>here</b>\n now</a>'
        '<a href="mailto:Remove@Spammer.Example?subject=remove">unsubscribe</a>'
    )
    click, mailto = analyze_html(html).links
    assert click == {"url": "HTTP://User@WWW.Example.COM:8080/path?q=1", "host": "www.example.com",
                     "text": "Click here now", "visible": True, "mailto": False,
                     "hidden_reason": None}
    assert mailto["mailto"] is True and mailto["host"] == "spammer.example"
    assert mailto["text"] == "unsubscribe" and mailto["visible"] is True


def test_hidden_and_empty_links_are_not_visible_and_say_why():
    html = (
        '<div style="display:none"><a href="http://hidden.example/">secret link</a></div>'
        '<a href="http://empty.example/"></a>'
        '<a href="http://white.example/"><font color=white>white text</font></a>'
    )
    hidden, empty, white = analyze_html(html).links
    assert hidden["visible"] is False and hidden["hidden_reason"] == "display:none"
    assert hidden["text"] == "secret link"
    assert empty["visible"] is False and empty["hidden_reason"] == "no visible text or image"
    assert white["visible"] is False and white["hidden_reason"].startswith("color #ffffff")


def test_image_links_use_the_alt_text():
    html = (
        '<a href="http://x.example/"><img src="http://x.example/b.gif" alt="Buy now"></a>'
        '<map><area href="http://y.example/" alt="Area link"></map>'
    )
    image_link, area = analyze_html(html).links
    assert image_link["text"] == "Buy now" and image_link["visible"] is True
    assert area["text"] == "Area link" and area["host"] == "y.example"


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://[::1", None),
        ("http://[::1]:80/", "::1"),
        ("javascript:alert(1)", None),
        ("www.no-scheme.example", None),
        ("//protocol-relative.example/x", "protocol-relative.example"),
        ("http:\\\\backslash.example\\x", "backslash.example"),
        ("http://3627734734/", "216.58.214.206"),
        ("http://0xD8.0x3a.0326.206/", "216.58.214.206"),
        ("http://%77ww.percent.example/", "www.percent.example"),
        ("http://a b.example/", None),
        ("http://", None),
        ("mailto:", None),
        ("\x00\x01http://", None),
    ],
)
def test_link_host_is_robust_to_garbage(url, host):
    links = analyze_html(f'<a href="{url}">x</a>').links
    assert links[0]["host"] == host


def test_base_href_resolves_relative_links_and_images():
    result = analyze_html(
        '<base href="http://spammer.example/dir/"><a href="offer.html">go</a><img src="i.gif">'
    )
    assert result.links[0]["url"] == "http://spammer.example/dir/offer.html"
    assert result.images[0]["host"] == "spammer.example"
    assert result.images[0]["kind"] == "remote"


# --------------------------------------------------------------------------- images


def test_images_of_every_kind():
    html = (
        '<body background="http://bg.example/body.jpg">'
        '<img src="http://remote.example/a.gif" alt=" A  picture ">'
        '<img src="CID:part1@x"><img src="data:image/gif;base64,R0lGOD">'
        '<img src="images/local.gif"><img>'
        '<table><tr><td background="//cell.example/c.gif">x</td></tr></table>'
        '<div style="background-image: url(\'https://css.example/d.png\')">y</div>'
    )
    images = analyze_html(html).images
    assert [(i["kind"], i["host"]) for i in images] == [
        ("remote", "bg.example"), ("remote", "remote.example"), ("cid", None), ("data", None),
        ("other", None), ("remote", "cell.example"), ("remote", "css.example")]
    assert images[1]["alt"] == "A picture"
    assert all(image["visible"] for image in images)


def test_tracking_pixels_and_hidden_images_are_not_visible():
    html = (
        '<img src="http://t.example/p.gif" width=1 height=1>'
        '<div style="display:none"><img src="http://t.example/h.gif"></div>'
        '<font color=white><img src="http://t.example/shown.gif"></font>'
    )
    pixel, hidden, shown = analyze_html(html).images
    assert pixel["visible"] is False and hidden["visible"] is False
    assert shown["visible"] is True  # text colour does not hide an image


# --------------------------------------------------------------------------- hostile input

HTML_PIECES = [
    "<p>", "</p>", "<td>", "</td>", "<tr>", "<table>", "</table>", "<font color=white>",
    "</font>", "<b>", "</b>", '<a href="http://x.example/">', "</a>", "<div style=display:none>",
    "</div>", "<span hidden>", "</span>", "<br>", "<li>", "<style>.x{display:none}</style>",
    "<p class=x>", "<!--", "-->", "<![CDATA[", "]]>", "&amp", "&#x110000;", "<script>",
    "</script>", "<pre>", "</pre>", "<img src=//i.example/a>", "<body bgcolor=white>",
    '"', "'", "=", "<", ">", "/", "\x00", "\r", "\xa0", "\u200b", "<x y='z", "<template>",
    "<div style='font-size:0'>", "<span style='font-size:12px'>", "<textarea>", "<?x", "?>",
    "<svg>", "<math>", "<frameset>", "<noframes>", "<select>", "<option>",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(HTML_PIECES), st.text(max_size=20)), max_size=60))
def test_arbitrary_markup_never_raises_and_visible_is_part_of_text(pieces):
    html = "".join(pieces)
    result = analyze_html(html)
    assert result.error is None
    assert isinstance(result.text, str) and isinstance(result.visible_text, str)
    # what the reader sees is a subsequence of all the text
    remaining = iter(squash(result.text))
    assert all(char in remaining for char in squash(result.visible_text))
    for run in result.hidden:
        assert run["text"] and run["reason"]
    assert analyze_html(html) == result


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_raises(text):
    assert analyze_html(text).error is None


def test_non_string_input_does_not_raise():
    assert analyze_html(b"<p>bytes</p>").visible_text == "bytes"  # type: ignore[arg-type]


# --------------------------------------------------------------------------- internals that
# are fast paths of simpler definitions: each must give what the simple definition gives


def layout_by_definition(run: str) -> str:
    """What a run of layout markers between two words becomes: each <br> a new line, a
    block at least one (a paragraph two), table cells a space."""
    newlines, space = 0, False
    for mark in run:
        if mark == "\x03":
            newlines += 1
        elif mark in "\x01\x02":
            newlines = max(newlines, 1 if mark == "\x01" else 2)
        else:
            space = True
    return "\n" * newlines if newlines else " " if space else ""


def render_by_definition(pieces: list[str]) -> str:
    """Plain text from pieces, chunk by chunk: the words of each stretch of text between
    layout markers, joined by single spaces; between two stretches with words, the
    layout of all the markers in between; then the same clean-up as `_render`."""
    text = "".join(pieces).replace("\xa0", "\x05")
    chunks = re.split("([\x01-\x04]+)", text)
    out: list[str] = []
    pending = ""
    for chunk, marks in zip(chunks[0::2], [*chunks[1::2], ""], strict=True):
        words = chunk.split()
        if words:
            if out:
                out.append(layout_by_definition(pending))
            out.append(" ".join(words))
            pending = marks
        else:
            pending += marks
    text = re.sub("[\u200b\u200c\u200d\u2060\ufeff\xad]+", "", "".join(out))
    text = text.replace("\x05", " ").replace("\x06", "\t")
    text = re.sub(" *\n *", "\n", text)
    return re.sub("\n{4,}", "\n\n\n", text).strip(" \n")


RENDER_PIECES = ["word", "two words", " ", "  ", "\n", "\t", "\x01", "\x02", "\x03", "\x04",
                 "\x05", "\x06", "\xa0", "\u200b", "\xad", "\u3000", "\x1c", "\u2028", "\xe9"]


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(RENDER_PIECES), max_size=40))
def test_layout_of_text_pieces_is_as_defined(pieces):
    assert html_module._render(pieces) == render_by_definition(pieces)


MANY_TAGS = (
    "<!DOCTYPE html><html><head><title>t</title><style>p{}</style><base href=x></head><body>"
    "<p>a<b>b</b><i>i</i><u>u</u><s>s</s><font>f</font><span>s</span><strong>s</strong>"
    "<em>e</em><center>c</center><table><tbody><tr><th>h</th><td>d</td></tr></tbody></table>"
    "<ul><li>l</li></ul><br><hr><img src=x><input><a href=x>a</a><o:p>office</o:p>"
    "<x-custom>c</x-custom><blink>b</blink><svg><title>s</title><foreignObject>f"
    "</foreignObject><a href=y>s</a></svg><math><mi>m</mi></math><!--c--><noscript>n"
    "</noscript><marquee>m</marquee><select><option>o</option></select><xmp>x</xmp>"
)


def test_tags_named_by_id_are_named_as_lexbor_names_them():
    tree = LexborHTMLParser(MANY_TAGS)
    for node in tree.root.traverse(include_text=True):
        known = html_module._KINDS.get(node.tag_id)
        assert known is None or known[0] == node.tag, node.tag


def test_results_do_not_depend_on_what_earlier_documents_left_in_the_caches():
    documents = [
        MANY_TAGS,
        "<font color=white size=1>tiny white</font><table bgcolor=white><tr><td>"
        "<font color=#fefefe>near white</font></td></tr></table>",
        "<style>.x{display:none}</style><p class=x>h</p><a href=http://a.example/>a</a>",
        '<div style="color:rgba(0,0,0,0)">clear</div><span style="font: 1px a">small</span>',
    ]
    first = [analyze_html(html) for html in documents]
    html_module.clear_caches()
    assert [analyze_html(html) for html in reversed(documents)] == first[::-1]


# --------------------------------------------------------------------------- real corpus


def corpus_html_parts():
    """(file name, decoded text) of every text/html part of every corpus message."""
    root = CORPUS / "spamassassin"
    if not root.is_dir():
        pytest.skip(f"corpus not found at {root} (see /work/shared/corpus/README.md)")
    for path in sorted(root.glob("*/*.eml")):
        message = email.message_from_bytes(path.read_bytes())
        for part in message.walk():
            if part.get_content_type() != "text/html":
                continue
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                continue
            try:
                text = payload.decode(part.get_content_charset() or "latin-1", "replace")
            except LookupError:
                text = payload.decode("latin-1")
            yield f"{path.parent.name}/{path.name}", text


@pytest.mark.corpus
def test_every_corpus_html_part_is_analyzed_without_errors():
    count = with_text = 0
    started = time.process_time()
    for name, html in corpus_html_parts():
        count += 1
        result = analyze_html(html)
        assert result.error is None, (name, result.error)
        if not result.text:
            continue
        with_text += 1
        if not result.hidden:
            # nothing hidden: the reader sees all the text (line breaks aside)
            assert result.visible_text, name
            assert squash(result.visible_text) == squash(result.text), name
    assert count > 1000 and with_text > 900
    assert time.process_time() - started < 20
