"""Charset guessing for text parts with a missing or implausible label, and UTF-7.

Each message is built by hand and read the way a user sees it: `body.text` and the
defects in `mime.defects`.
"""

from __future__ import annotations

import re

import charset_normalizer

from checker.message import Message

CHINESE_TRADITIONAL = (
    "不好意思打擾您！本公司提供最優惠的價格，歡迎您來電諮詢。我們專業生產各種電子產品，"
    "品質可靠，服務周到。如果您不想再收到此類郵件，請回覆刪除。訂貨專線：07-3481489\n"
)
CHINESE_SIMPLIFIED = (
    "我们公司提供最优惠的价格，欢迎您来电咨询。本公司专业生产各种电子产品，质量可靠，"
    "服务周到。如果您不想再收到此类邮件，请回复删除。联系电话：0755-83502458\n"
)
JAPANESE = (
    "弊社では最もお得な価格をご提供しております。お気軽にお問い合わせください。"
    "ご注文はお早めに！今後このようなメールが不要な場合は、ご返信ください。\n"
)
THAI = (
    "บริษัทของเรามีราคาที่ดีที่สุดสำหรับคุณ กรุณาติดต่อเราได้ตลอดเวลา "
    "หากคุณไม่ต้องการรับอีเมลนี้อีก กรุณาตอบกลับ พบกับรูปแบบของงานแห่งอนาคต\n"
)
RUSSIAN = (
    "Наша компания предлагает лучшие цены на все виды продукции. Звоните нам в любое "
    "время. Мы работаем без выходных и праздников, доставка по всей России бесплатно. "
    "Если вы не хотите получать эти письма, ответьте нам.\n"
)
FRENCH_GERMAN = (
    "Cher client, vous avez été sélectionné pour une offre exceptionnelle ! Profitez dès "
    "aujourd'hui de réductions allant jusqu'à 70 % sur notre sélection. Très bientôt.\n"
    "Sehr geehrte Damen und Herren, für nur 19,99 erhalten Sie unser Produkt frei Haus. "
    "Überzeugen Sie sich selbst! Größere Mengen auf Anfrage. Mit freundlichen Grüßen.\n"
)
# Latin-1 at its densest: about 15 % of the bytes are accented letters.
ICELANDIC = (
    "Þetta er íslenskur texti sem við skrifuðum til að prófa hvernig forritið bregst við. "
    "Ég hélt að það væri gott að nota mörg sérkennileg orð, t.d. þjóðfélag, hæstiréttur, "
    "ráðherra, útvarp og sjónvarp. Á Íslandi búa um það bil þrjú hundruð þúsund manns. "
    "Kærar þakkir fyrir aðstoðina og góða helgi!\n"
)
GUESSED = re.compile(r"read as (\S+) \(guessed\)$")


def plain(content_type: bytes, body: bytes) -> Message:
    return Message(b"Subject: x\n" + content_type + b"\n\n" + body)


def guessed_codec(msg: Message) -> str | None:
    """The codec named by the one '(guessed)' defect, or None when nothing was guessed."""
    found = [m.group(1) for d in msg.get("mime.defects") if (m := GUESSED.search(d))]
    assert len(found) <= 1, msg.get("mime.defects")
    return found[0] if found else None


def test_big5_without_a_charset_is_guessed():
    msg = plain(b"Content-Type: text/plain", CHINESE_TRADITIONAL.encode("big5"))
    assert msg.get("body.text") == CHINESE_TRADITIONAL
    assert guessed_codec(msg) in ("big5", "cp950", "big5hkscs")
    assert any(d.startswith("part 1 holds bytes outside ASCII but declares no character set (US-ASCII by default); read as ")
               for d in msg.get("mime.defects"))


def test_shift_jis_without_any_content_type_is_guessed():
    msg = Message(b"Subject: x\n\n" + JAPANESE.encode("shift_jis"))
    assert msg.get("body.text") == JAPANESE
    assert guessed_codec(msg) in ("shift_jis", "cp932")


def test_gb2312_labelled_latin1_is_overridden():
    msg = plain(b"Content-Type: text/plain; charset=ISO-8859-1",
                CHINESE_SIMPLIFIED.encode("gb2312"))
    assert msg.get("body.text") == CHINESE_SIMPLIFIED
    assert ("part 1 declares the character set \"ISO-8859-1\", which does not fit its bytes; read as gb18030 "
            "(guessed)") in msg.get("mime.defects")


def test_thai_labelled_us_ascii_is_guessed():
    msg = plain(b"Content-Type: text/plain; charset=us-ascii", THAI.encode("cp874"))
    assert msg.get("body.text") == THAI
    assert guessed_codec(msg) in ("cp874", "tis_620", "iso8859_11")
    assert any(d.startswith("part 1 holds bytes outside ASCII but declares the character set \"us-ascii\"; read as ")
               for d in msg.get("mime.defects"))


def test_koi8_r_with_no_or_an_unknown_charset_is_guessed():
    data = RUSSIAN.encode("koi8_r")
    for content_type in (b"Content-Type: text/plain", b"Content-Type: text/plain; charset=x-rus"):
        msg = plain(content_type, data)
        assert msg.get("body.text") == RUSSIAN
        assert guessed_codec(msg) == "koi8_r"
    unknown = plain(b"Content-Type: text/plain; charset=x-rus", data)
    assert "part 1 declares the character set \"x-rus\", which is unknown; read as koi8_r (guessed)" in unknown.get(
        "mime.defects")


def test_western_text_labelled_us_ascii_stays_windows_1252():
    msg = plain(b"Content-Type: text/plain; charset=us-ascii", FRENCH_GERMAN.encode("latin-1"))
    assert msg.get("body.text") == FRENCH_GERMAN
    assert ("part 1 holds bytes outside ASCII but declares the character set \"us-ascii\"; read as windows-1252"
            in msg.get("mime.defects"))
    assert guessed_codec(msg) is None


def test_a_latin_guess_is_not_taken():
    # Dense enough in accents for the detector to be asked; it answers with a Latin
    # codec (cp1257, mac_iceland, ...), which would read no better than windows-1252.
    msg = plain(b"Content-Type: text/plain", ICELANDIC.encode("latin-1"))
    assert msg.get("body.text") == ICELANDIC
    assert guessed_codec(msg) is None


def test_a_latin1_label_over_latin1_text_is_kept():
    for text in (ICELANDIC, FRENCH_GERMAN):
        msg = plain(b"Content-Type: text/plain; charset=iso-8859-1", text.encode("latin-1"))
        assert msg.get("body.text") == text
        assert msg.get("mime.defects") == []


def test_other_explicit_labels_are_never_overridden():
    data = CHINESE_SIMPLIFIED.encode("gb2312")
    msg = plain(b"Content-Type: text/plain; charset=iso-8859-2", data)
    assert msg.get("body.text") == data.decode("iso8859_2")
    assert guessed_codec(msg) is None


def test_a_few_cjk_bytes_in_english_text_are_not_guessed():
    text = "Click here to enter: 按这里进入 http://www.example.com/girls/ now, it is free!\n"
    msg = plain(b"Content-Type: text/plain", text.encode("gb2312"))
    assert guessed_codec(msg) is None
    assert "Click here to enter:" in msg.get("body.text")


def test_valid_utf8_wins_before_any_guess():
    msg = plain(b"Content-Type: text/plain", CHINESE_SIMPLIFIED.encode("utf-8"))
    assert msg.get("body.text") == CHINESE_SIMPLIFIED
    assert msg.get("mime.defects") == [
        "part 1 holds bytes outside ASCII but declares no character set (US-ASCII by default); read as utf-8"]


def test_an_html_meta_charset_beats_a_guess():
    html = f'<meta charset="big5"><p>{CHINESE_TRADITIONAL}</p>'
    msg = plain(b"Content-Type: text/html", html.encode("big5"))
    assert CHINESE_TRADITIONAL.strip() in msg.get("body.visible_text")
    assert guessed_codec(msg) is None
    assert ('part 1 was read as "big5", the character set its HTML <meta> tag names; its '
            "Content-Type declares none") in msg.get("mime.defects")


def test_html_without_meta_is_guessed():
    html = f"<html><body><p>{CHINESE_TRADITIONAL}</p></body></html>"
    msg = plain(b"Content-Type: text/html", html.encode("big5"))
    assert CHINESE_TRADITIONAL.strip() in msg.get("body.visible_text")
    assert guessed_codec(msg) in ("big5", "cp950", "big5hkscs")


def test_a_long_part_is_decoded_whole_and_bad_bytes_are_recorded():
    lines = CHINESE_SIMPLIFIED * 400  # > 16 KB: the detector sees a prefix only
    msg = plain(b"Content-Type: text/plain", lines.encode("gb2312") + b"\xff\xff end\n")
    text = msg.get("body.text")
    assert text.startswith(lines) and text.endswith(" end\n") and "\ufffd" in text
    assert ("part 1 holds bytes outside ASCII but declares no character set (US-ASCII by default); read as gb18030 (guessed; "
            "bytes it cannot read replaced with \ufffd)") in msg.get("mime.defects")


def test_the_same_bytes_always_decode_the_same():
    raw = b"Subject: x\n\n" + JAPANESE.encode("shift_jis") * 3 + RUSSIAN.encode("koi8_r")
    assert len({Message(raw).get("body.text") for _ in range(3)}) == 1


def test_a_failing_detector_falls_back_to_windows_1252(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("detector bug")

    monkeypatch.setattr(charset_normalizer, "from_bytes", broken)
    data = CHINESE_TRADITIONAL.encode("big5")
    msg = plain(b"Content-Type: text/plain", data)
    assert msg.get("body.text") == data.decode("cp1252", "spamlaw-latin1")  # today's reading
    assert ("part 1 holds bytes outside ASCII but declares no character set (US-ASCII by default); read as windows-1252"
            in msg.get("mime.defects"))


def test_subject_encoded_words_are_not_guessed():
    word = CHINESE_TRADITIONAL.encode("big5").hex().upper()
    qp = "".join(f"={word[i:i + 2]}" for i in range(0, len(word), 2))
    msg = Message(f"Subject: =?x-unknown?Q?{qp}?=\n\nbody\n".encode("ascii"))
    assert CHINESE_TRADITIONAL.strip() not in msg.get("subject")
    assert any("read as windows-1252" in d for d in msg.get("mime.defects"))


def test_ascii_only_utf7_is_decoded():
    msg = plain(b"Content-Type: text/plain; charset=utf-7", b"Caf+AOk- cr+AOg-me +ZeVnLIqe-\n")
    assert msg.get("body.text") == "Café crème 日本語\n"
    assert msg.get("mime.defects") == []
    subject = Message(b"Subject: =?utf-7?Q?Caf+AOk-?=\n\nx\n")
    assert subject.get("subject") == "Café"


def test_utf7_lone_surrogates_become_replacement_characters():
    msg = plain(b"Content-Type: text/plain; charset=UTF-7", b"bad +2D0- end\n")
    assert msg.get("body.text") == "bad \ufffd end\n"
    msg.get("body.text").encode("utf-8")  # printable, serialisable


def test_a_latin_1_label_is_read_as_windows_1252_as_mail_programs_do():
    raw = (b"From: a@example.com\nSubject: x\nContent-Type: text/plain; charset=iso-8859-1\n\n"
           b"Only 1.12 \x80/min \x93quoted\x94 caf\xe9\n")
    text = Message(raw).get("body.text")
    assert "1.12 €/min" in text and "\u201cquoted\u201d" in text and "café" in text
    assert not any("\x80" <= ch <= "\x9f" for ch in text)
