"""Hostile input stays contained: rendering an exhibit makes no network request and
reads no local file, whatever the message's HTML and CSS point at."""

from __future__ import annotations

import io
import sys

import pytest
import weasyprint
from exhibit_support import build_message, pdf_pages_text, tiny_png
from pypdf import PdfReader

from checker.exhibits import ExhibitOptions, render_exhibit
from checker.exhibits.fetcher import EvidenceFetcher, FetchRefused, inline_parts
from checker.message import Message

_OPENED: list[str] = []


def _audit(event: str, args) -> None:
    if event == "open" and args and "spamlaw-canary" in str(args[0]):
        _OPENED.append(str(args[0]))


sys.addaudithook(_audit)  # hooks cannot be removed; this one only records canary opens




@pytest.fixture
def canary(tmp_path):
    path = tmp_path / "spamlaw-canary.css"
    path.write_text("td { color: green } /* CANARY-CONTENT-7781 */")
    _OPENED.clear()
    return path


def hostile_html(base: str, canary_url: str) -> str:
    """Every way we know for HTML or CSS to make a renderer fetch something."""
    host = base.split("//", 1)[1]
    return f"""<html><head>
<base href="{base}/base/">
<link rel="stylesheet" href="{base}/link.css">
<link rel="stylesheet" href="{canary_url}">
<link rel="attachment" href="{canary_url}">
<style>
@import url("{base}/import.css");
@import "{canary_url}";
@font-face {{ font-family: evil; src: url({base}/font.woff); }}
.bg {{ background-image: url({base}/class-bg.png); }}
.hid {{ display: none }}
p {{ font-family: evil; list-style-image: url({base}/list.png) }}
</style></head>
<body background="{base}/body-bg.png">
<table background="{base}/table-bg.png"><tr>
<td background="//{host}/td-bg.png" class="bg">cell</td>
<td style="background: url('{base}/inline-bg.png')">inline</td></tr></table>
<img src="{base}/pixel.gif" width="1" height="1">
<img src="//{host}/protocol-relative.png">
<img src="relative.png">
<img src="{canary_url}">
<img src="cid:logo@spam.example" alt="inline logo">
<img srcset="{base}/srcset.png 2x">
<svg width="10" height="10"><image href="{base}/svg.png" width="10" height="10"/></svg>
<object data="{base}/object.svg"></object><embed src="{base}/embed.svg">
<iframe src="{base}/iframe.html"></iframe>
<video poster="{base}/poster.png"></video>
<input type="image" src="{base}/input.png">
<a rel="attachment" href="{canary_url}">attach me</a>
<p class="hid">HIDDEN-BY-CLASS</p>
<script>document.write("SCRIPT-RAN")</script>
<form action="{base}/form"><input name="q" value="FORM-FIELD"></form>
<a href="{base}/click" onclick="alert(1)">Click here</a>
</body></html>"""


def test_exhibit_of_hostile_message_fetches_nothing_and_reads_no_file(server, canary):
    base = f"http://127.0.0.1:{server.server_port}"
    raw = build_message(hostile_html(base, canary.as_uri()), "plain part",
                        inline_png_cid="logo@spam.example")
    msg = Message(raw, source_id="hostile.eml")
    made = render_exhibit(msg, None, ExhibitOptions())

    assert server.seen == []
    assert _OPENED == []
    text = "\n".join(pdf_pages_text(made.pdf))
    assert "CANARY-CONTENT" not in text
    render = text[text.index("recipient saw it"):text.index("Full header block")]
    assert "SCRIPT-RAN" not in render and "FORM-FIELD" not in render
    assert "HIDDEN-BY-CLASS" not in render  # hidden by <style>, so hidden in the render
    assert "Click here" in render
    assert made.pages >= 1
    # the inline cid: image is served from the message itself, nothing else is
    pages = PdfReader(io.BytesIO(made.pdf)).pages
    assert len({img.name for page in pages for img in page.images}) == 1
    # what was blocked is listed, defanged
    for name in ("pixel.gif", "body-bg.png", "table-bg.png", "td-bg.png", "inline-bg.png",
                 "import.css", "font.woff", "class-bg.png", "protocol-relative.png"):
        assert name in text, f"{name} missing from the blocked-resources list"
    assert f"hxxp[://]127[.]0[.]0[.]1:{server.server_port}/pixel.gif" in text
    # link targets stay visible as evidence (in the link list, not in the rendering)
    assert f"hxxp[://]127[.]0[.]0[.]1:{server.server_port}/click" in text
    assert "/click" not in render


def test_fetcher_alone_refuses_everything_but_cid_even_on_unsanitized_html(server, canary):
    """Defence in depth: WeasyPrint fed the raw hostile HTML (no sanitizer) with
    presentational hints on and a base URL pointing at the server."""
    base = f"http://127.0.0.1:{server.server_port}"
    raw = build_message("x", inline_png_cid="logo@spam.example")
    fetcher = EvidenceFetcher(inline_parts(Message(raw).parsed))
    html = weasyprint.HTML(string=hostile_html(base, canary.as_uri()), base_url=base + "/",
                           url_fetcher=fetcher)
    stylesheet = weasyprint.CSS(string=f"@import url({base}/user.css); "
                                f"body {{ background: url({canary.as_uri()}) }}",
                                url_fetcher=fetcher)
    attachment = weasyprint.Attachment(url=f"{base}/attachment.bin", url_fetcher=fetcher)
    canary_attachment = weasyprint.Attachment(url=canary.as_uri(), url_fetcher=fetcher)
    html.write_pdf(stylesheets=[stylesheet], attachments=[attachment, canary_attachment],
                   presentational_hints=True)

    assert server.seen == []
    assert _OPENED == []
    assert any(url.startswith(base) for url in fetcher.refused)
    assert any(url.startswith("file:") for url in fetcher.refused)
    assert fetcher.served == ["cid:logo@spam.example"]


def test_fetcher_serves_only_image_parts_of_this_message():
    raw = build_message("x", inline_png_cid="logo@spam.example")
    fetcher = EvidenceFetcher(inline_parts(Message(raw).parsed))
    response = fetcher.fetch("cid:logo%40spam.example")
    assert response.content_type == "image/png" and response.read() == tiny_png()
    for url in ("cid:other@spam.example", "http://127.0.0.1/x", "file:///etc/passwd",
                "data:image/png;base64,AAAA", "//example.com/x", "relative.png"):
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)


def test_fetcher_refuses_a_decompression_bomb():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (10000, 10000)).save(buffer, format="PNG")  # 100 Mpx, ~15 KB
    fetcher = EvidenceFetcher({"bomb": ("image/png", buffer.getvalue())})
    with pytest.raises(FetchRefused, match="too large"):
        fetcher.fetch("cid:bomb")


def test_control_the_harness_sees_fetches_when_the_default_fetcher_is_used(server, canary):
    """Without our fetcher WeasyPrint does fetch: the two tests above could fail."""
    base = f"http://127.0.0.1:{server.server_port}"
    weasyprint.HTML(string=hostile_html(base, canary.as_uri()), base_url=base + "/").write_pdf(
        presentational_hints=True)
    assert any("pixel.gif" in line for line in server.seen)
    assert any("body-bg.png" in line for line in server.seen)
    assert _OPENED, "the canary file was not opened by the default fetcher"
