"""Body, link, image, attachment and MIME fields, including the corpus traps."""

from __future__ import annotations

import hashlib

from checker.message import Message


def multipart(subtype: str, *parts: bytes, boundary: bytes = b"BB", head: bytes = b"") -> bytes:
    out = [head + b"Content-Type: multipart/" + subtype.encode() + b"; boundary=" + boundary
           + b"\n\npreamble\n"]
    for part in parts:
        out.append(b"--" + boundary + b"\n" + part + b"\n")
    out.append(b"--" + boundary + b"--\n")
    return b"".join(out)


PLAIN = b"Content-Type: text/plain; charset=us-ascii\n\nHello reader.\nVisit www.shop.example.\n"
HTML = (b"Content-Type: text/html; charset=utf-8\n\n"
        b"<html><body><p>Big <b>sale</b></p>"
        b"<p style=\"display:none\">secret words</p>"
        b"<a href=\"http://Click.Example/offer\">Click here</a>"
        b"<img src=\"cid:logo@x\" alt=\"logo\"><img src=\"https://track.example/p.gif\">"
        b"</body></html>\n")


def test_plain_only_body_text_visible_text_and_text_links():
    msg = Message(b"Subject: x\n" + PLAIN)
    assert msg.get("body.text") == "Hello reader.\nVisit www.shop.example.\n"
    assert msg.get("body.visible_text") == msg.get("body.text")
    assert msg.get("body.html") is None
    assert msg.get("links") == [{"url": "www.shop.example", "host": "www.shop.example",
                                 "text": "www.shop.example", "visible": True, "mailto": False,
                                 "hidden_reason": None}]
    assert msg.get("images") == [] and msg.get("body.hidden_text") == []


def test_plain_text_addresses_and_mailto_are_mailto_links():
    msg = Message(b"\nTo stop, write to remove@lists.example or mailto:stop@x.example.\n")
    links = msg.get("links")
    assert [(link["url"], link["mailto"], link["host"]) for link in links] == [
        ("mailto:remove@lists.example", True, "lists.example"),
        ("mailto:stop@x.example", True, "x.example")]


def test_html_only_visible_text_hidden_text_links_images():
    msg = Message(HTML)
    visible = msg.get("body.visible_text")
    assert "Big sale" in visible and "secret words" not in visible
    assert "secret words" in msg.get("body.text")  # text derived from HTML keeps all text
    hidden = msg.get("body.hidden_text")
    assert [h["text"].strip() for h in hidden] == ["secret words"]
    assert hidden[0]["reason"]
    link = msg.get("links")[0]
    assert (link["url"], link["host"], link["text"], link["visible"], link["mailto"]) == (
        "http://Click.Example/offer", "click.example", "Click here", True, False)
    assert [(i["src"], i["kind"]) for i in msg.get("images")] == [
        ("cid:logo@x", "cid"), ("https://track.example/p.gif", "remote")]
    assert msg.get("body.html").startswith("<html>")


def test_alternative_text_view_takes_plain_html_view_takes_html():
    msg = Message(multipart("alternative", PLAIN, HTML))
    assert msg.get("body.text").startswith("Hello reader.")
    assert "Big sale" in msg.get("body.visible_text")
    assert "Hello reader" not in msg.get("body.visible_text")
    assert [link["host"] for link in msg.get("links")] == ["click.example"]


def test_footer_in_its_own_part_is_part_of_what_the_reader_sees():
    footer = b"Content-Type: text/plain\n\nTo unsubscribe: http://list.example/u\n"
    msg = Message(multipart("mixed", multipart("alternative", PLAIN, HTML, boundary=b"IN"),
                            footer))
    visible = msg.get("body.visible_text")
    assert "Big sale" in visible and visible.endswith("To unsubscribe: http://list.example/u\n")
    assert "To unsubscribe" in msg.get("body.text")
    assert [link["url"] for link in msg.get("links")] == [
        "http://Click.Example/offer", "http://list.example/u"]


def test_text_offsets_are_stable_and_line_ends_normalized():
    crlf = Message(b"Subject: x\r\n\r\nline one\r\nline two\rline three\r\n")
    assert crlf.get("body.text") == "line one\nline two\nline three\n"
    assert crlf.raw == b"Subject: x\r\n\r\nline one\r\nline two\rline three\r\n"  # untouched
    again = Message(crlf.raw)
    assert again.get("body.text") == crlf.get("body.text")


def test_unknown_charsets_fall_back_and_are_recorded():
    for label in (b"default", b"default_charset", b"unknown-8bit", b"x-bogus"):
        msg = Message(b"Content-Type: text/plain; charset=" + label
                      + b"\n\nCaf\xe9 cr\xe8me\n")
        assert msg.get("body.text") == "Café crème\n"
        assert (f'part 1 declares the character set "{label.decode()}", which is unknown; '
                "read as windows-1252" in msg.get("mime.defects"))
    utf8 = Message(b"Content-Type: text/plain; charset=default\n\nCaf\xc3\xa9\n")
    assert utf8.get("body.text") == "Café\n"


def test_known_aliases_and_bad_bytes_in_declared_charset():
    big5 = Message(b"Content-Type: text/plain; charset=chinesebig5\n\n" + "免費".encode("big5"))
    assert big5.get("body.text") == "免費" and big5.get("mime.defects") == []
    bad = Message(b"Content-Type: text/plain; charset=utf-8\n\nok \xff end\n")
    assert bad.get("body.text") == "ok \ufffd end\n"
    assert ("part 1 holds bytes that are not valid utf-8; each was replaced with the "
            "replacement character \ufffd" in bad.get("mime.defects"))
    ascii_8bit = Message(b"Subject: x\n\nna\xefve\n")
    assert ascii_8bit.get("body.text") == "naïve\n"


def test_html_meta_charset_is_used_when_the_header_has_none():
    body = '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><p>Привет</p>'
    msg = Message(b"Content-Type: text/html\n\n" + body.encode("koi8-r"))
    assert "Привет" in msg.get("body.visible_text")
    assert ('part 1 was read as "koi8-r", the character set its HTML <meta> tag names; its '
            "Content-Type declares none") in msg.get("mime.defects")


def _html_part(content_type: bytes, meta: str, text: str, encoding: str) -> Message:
    body = f'<html><head><META CHARSET="{meta}"></head><body><p>{text}</p></body></html>'
    return Message(b"Content-Type: " + content_type + b"\n\n" + body.encode(encoding))


def test_html_meta_charset_replaces_an_unusable_mime_label():
    big5 = _html_part(b"text/html; charset=us-ascii", "big5", "免費試用", "big5")
    assert "免費試用" in big5.get("body.visible_text")
    assert ('part 1 was read as "big5", the character set its HTML <meta> tag names; its '
            'Content-Type declares "us-ascii"') in big5.get("mime.defects")
    bogus = _html_part(b"text/html; charset=x-bogus", "koi8-r", "Привет", "koi8-r")
    assert "Привет" in bogus.get("body.visible_text")
    assert not any("which is unknown" in d for d in bogus.get("mime.defects"))
    mislabeled = _html_part(b"text/html; charset=iso-8859-1", "utf-8", "Café €5", "utf-8")
    assert "Café €5" in mislabeled.get("body.visible_text")
    assert ('part 1 was read as "utf-8", the character set its HTML <meta> tag names; its '
            'Content-Type declares "iso-8859-1" but the bytes are UTF-8'
            ) in mislabeled.get("mime.defects")


def test_a_known_consistent_mime_charset_wins_over_the_meta():
    koi8 = _html_part(b"text/html; charset=koi8-r", "windows-1251", "Привет", "koi8-r")
    assert "Привет" in koi8.get("body.visible_text") and koi8.get("mime.defects") == []
    latin = _html_part(b"text/html; charset=iso-8859-1", "utf-8", "Caf\xe9", "latin-1")
    assert "Caf\xe9" in latin.get("body.visible_text") and latin.get("mime.defects") == []
    plain = Message(b"Content-Type: text/plain\n\n<meta charset=koi8-r> "
                    + "Café".encode())
    assert "Café" in plain.get("body.text")
    ascii_only = _html_part(b"text/html", "iso-8859-1", "plain words", "ascii")
    assert ascii_only.get("mime.defects") == []


def test_multipart_with_no_start_boundary_is_read_as_plain_text():
    raw = (b"Content-Type: multipart/alternative; boundary=\"=Multipart Boundary 0925\"\n\n"
           b"--= Multipart Boundary 0925\nContent-Type: text/plain\n\n"
           b"reply with remove in the subject\n")
    msg = Message(raw)
    assert "reply with remove in the subject" in msg.get("body.visible_text")
    defects = msg.get("mime.defects")
    assert "StartBoundaryNotFoundDefect in part 1" in defects
    assert any("has no parts; its body is read as plain text" in d for d in defects)


def test_invalid_content_type_is_read_leniently():
    msg = Message(b"Content-Type: TEXT/PLAIN charset=US-ASCII\n\nThe offer text\n")
    assert msg.get("body.text") == "The offer text\n"
    assert msg.get("mime.parts")[0]["content_type"] == "text/plain"
    assert msg.get("mime.parts")[0]["charset"] == "US-ASCII"
    assert any(d.startswith('part 1 has the malformed Content-Type "TEXT/PLAIN charset=US-ASCII"')
               for d in msg.get("mime.defects"))
    garbage = Message(b"Content-Type: garbage\n\nstill text\n")
    assert garbage.get("body.text") == "still text\n"
    assert 'part 1 has the invalid Content-Type "garbage"; read as text/plain' in garbage.get(
        "mime.defects")


def test_transfer_encodings_and_bad_base64():
    qp = Message(b"Content-Transfer-Encoding: quoted-printable\n\nsoft=\nbreak =3D ok\n")
    assert qp.get("body.text") == "softbreak = ok\n"
    b64 = Message(b"Content-Transfer-Encoding: base64\n\naGVsbG8gd29ybGQ\n")  # no padding
    assert b64.get("body.text") == "hello world"
    assert ("the base64 encoding of part 1 is damaged; what could be decoded was kept"
            in b64.get("mime.defects"))
    odd = Message(b"Content-Transfer-Encoding: 8-bit\n\nplain\n")
    assert odd.get("body.text") == "plain\n"
    assert ('part 1 declares the unknown Content-Transfer-Encoding "8-bit"; read as unencoded'
            in odd.get("mime.defects"))


def test_attachments_mime_parts_and_paths():
    pdf = b"%PDF-1.4 fake"
    import base64

    attachment = (b"Content-Type: application/pdf; name=\"=?utf-8?Q?Rechnung_M=C3=A4rz.pdf?=\"\n"
                  b"Content-Disposition: attachment\nContent-Transfer-Encoding: base64\n\n"
                  + base64.b64encode(pdf) + b"\n")
    text_attachment = (b"Content-Type: text/plain\nContent-Disposition: attachment; "
                       b"filename=notes.txt\n\nnot the body\n")
    msg = Message(multipart("mixed", PLAIN, attachment, text_attachment))
    assert msg.get("attachments") == [
        {"name": "Rechnung März.pdf", "content_type": "application/pdf", "size": len(pdf),
         "sha256": hashlib.sha256(pdf).hexdigest()},
        {"name": "notes.txt", "content_type": "text/plain", "size": 13,
         "sha256": hashlib.sha256(b"not the body\n").hexdigest()},
    ]
    assert "not the body" not in msg.get("body.text")
    parts = msg.get("mime.parts")
    assert [(p["path"], p["content_type"], p["disposition"]) for p in parts] == [
        ("1", "multipart/mixed", None), ("1.1", "text/plain", None),
        ("1.2", "application/pdf", "attachment"), ("1.3", "text/plain", "attachment")]
    assert parts[0]["size"] is None and parts[2]["size"] == len(pdf)


def test_attached_message_is_one_file_and_not_body_text():
    inner = b"Content-Type: message/rfc822\n\nSubject: inner\n\ninner body text\n"
    msg = Message(multipart("mixed", PLAIN, inner))
    assert "inner body text" not in msg.get("body.text")
    attachments = msg.get("attachments")
    assert [a["content_type"] for a in attachments] == ["message/rfc822"]
    assert attachments[0]["size"] > 0
    assert [p["path"] for p in msg.get("mime.parts")] == ["1", "1.1", "1.2", "1.2.1"]


def test_deep_nesting_is_bounded():
    raw = b"Subject: deep\n"
    for n in range(80):
        raw += b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (n, n)
    raw += b"Content-Type: text/plain\n\ndeep text\n"
    msg = Message(raw)
    assert any("MIME nesting deeper than 50 levels" in d for d in msg.get("mime.defects"))
    assert len(msg.get("mime.parts")) == 51
    assert isinstance(msg.get("body.text"), str)
    assert msg.errors == []


def test_stdlib_defects_are_reported_with_their_part():
    raw = b"Content-Type: multipart/mixed; boundary=XX\n\n--XX\nContent-Type: text/plain\n\nhi\n"
    msg = Message(raw)
    assert "CloseBoundaryNotFoundDefect in part 1" in msg.get("mime.defects")
    assert msg.get("body.text").strip() == "hi"
