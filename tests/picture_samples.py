"""Builds the picture samples samples/modern/img-*.eml (run: python tests/picture_samples.py).

Pictures are drawn with Pillow in DejaVu Sans (Debian fonts-dejavu-core) and embedded as
`cid:` parts of a multipart/related HTML message, the way ESPs send a footer drawn as a
picture. The .eml files are committed; tests read them and never need the font.
"""

from __future__ import annotations

import hashlib
import io
import sys
from email.message import EmailMessage
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "modern"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def text_png(lines: list[str], size: tuple[int, int], font_size: int = 20,
             colours: tuple[str, str] = ("white", "black")) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, font_size)
    image = Image.new("RGB", size, colours[0])
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(lines):
        draw.text((12, 10 + n * (font_size + 12)), line, fill=colours[1], font=font)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _headers(msg: EmailMessage, sender: str, subject: str, date: str, domain: str) -> None:
    msg["Return-Path"] = f"<{sender.split('<')[-1].rstrip('>')}>"
    msg["Received"] = (f"from mta1.{domain} (mta1.{domain} [198.51.100.23]) by mx.trap.example "
                       f"(Postfix) with ESMTPS id 4F1A2B3C; {date}")
    msg["Authentication-Results"] = (f"mx.trap.example; spf=pass smtp.mailfrom={domain}; "
                                     f"dkim=pass header.d={domain}; dmarc=pass header.from={domain}")
    msg["From"] = sender
    msg["To"] = "trap1@trap.example"
    msg["Subject"] = subject
    msg["Date"] = date
    msg["Message-ID"] = f"<img.{hashlib.sha256(subject.encode()).hexdigest()[:12]}@{domain}>"


def html_only(html: str, sender: str, subject: str, date: str, domain: str) -> EmailMessage:
    msg = EmailMessage()
    _headers(msg, sender, subject, date, domain)
    msg.set_content(html, subtype="html")
    return msg


def related(msg: EmailMessage, html: str, text: str, pictures: dict[str, bytes]) -> EmailMessage:
    """multipart/alternative (text, multipart/related (html, pictures))."""
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    html_part = msg.get_payload()[1]
    for cid, data in pictures.items():
        html_part.add_related(data, "image", "png", cid=f"<{cid}>", filename=f"{cid.split('@')[0]}.png")
    return msg


def address_in_png() -> EmailMessage:
    png = text_png(["Acme Outdoor Supply, Inc.", "1440 Coral Ridge Road, Suite 210",
                    "Fort Lauderdale, FL 33304"], (600, 120))
    html = """<html><body style="font-family:Arial">
<p><img src="https://cdn.acme-outdoor.example/logo.png" width="180" height="48" alt="Acme Outdoor"></p>
<h1>Summer sale: 40% off every tent</h1>
<p>Our best-selling Ridge 3 tent is now only $149 (was $249). Free shipping on orders over $50,
and every order ships within one business day. Shop now at
<a href="https://acme-outdoor.example/sale?utm_source=email">acme-outdoor.example/sale</a>.</p>
<p>Hiking boots from $59, sleeping bags from $39. Offer ends Sunday.</p>
<hr>
<p style="font-size:12px">You are receiving this email because you signed up at acme-outdoor.example.
<a href="https://acme-outdoor.example/unsubscribe?u=8812">Unsubscribe</a> at any time.
&copy; 2025 Acme Outdoor Supply, Inc.</p>
<p><img src="cid:footer-address@acme-outdoor.example" width="600" height="120" alt=""></p>
<img src="https://t.acme-outdoor.example/open.gif?u=8812" width="1" height="1" alt="">
</body></html>"""
    text = ("Summer sale: 40% off every tent. Ridge 3 tent now $149. Shop now: "
            "https://acme-outdoor.example/sale\nUnsubscribe: https://acme-outdoor.example/unsubscribe?u=8812\n")
    msg = EmailMessage()
    _headers(msg, "Acme Outdoor <deals@acme-outdoor.example>", "Summer sale: 40% off every tent",
             "Tue, 10 Jun 2025 14:00:00 +0000", "acme-outdoor.example")
    return related(msg, html, text, {"footer-address@acme-outdoor.example": png})


def opt_out_in_png() -> EmailMessage:
    png = text_png(["To stop receiving these offers, unsubscribe at",
                    "www.bright-lenses.example/unsubscribe",
                    "Bright Lenses LLC, 200 Market Street, Denver, CO 80202"], (640, 110), 18)
    html = """<html><body>
<h2>Contact lenses at 50% off</h2>
<p>Order a year's supply of daily lenses for just $199 and get free express delivery.
Use code BRIGHT50 at checkout. Offer valid until June 30.</p>
<p><a href="https://bright-lenses.example/shop">Shop now</a></p>
<p>Questions? Call 1-800-555-0142 or write to care@bright-lenses.example.</p>
<p><img src="cid:legal@bright-lenses.example" alt=""></p>
</body></html>"""
    text = "Contact lenses at 50% off. Order now: https://bright-lenses.example/shop\n"
    msg = EmailMessage()
    _headers(msg, "Bright Lenses <offers@bright-lenses.example>", "Contact lenses at 50% off",
             "Wed, 11 Jun 2025 09:30:00 +0000", "bright-lenses.example")
    return related(msg, html, text, {"legal@bright-lenses.example": png})


def chinese_banner() -> EmailMessage:
    """A self-labelled Chinese ad with a text footer and one remote sale banner with alt
    text; no postal address anywhere."""
    html = """<html><body>
<p>【广告】尊敬的会员：</p>
<p><img src="https://img.haomai-shop.example/banner/1111.jpg" width="600" height="200" alt="双11预售 全场低至5折"></p>
<p>双11预售今日开启！全场商品低至5折，满300减50，iPhone 配件仅需￥39起，
家电数码限时抢购，前1000名下单再送精美礼品一份。活动时间：11月1日至11月11日。</p>
<p>立即抢购：<a href="https://haomai-shop.example/sale1111">https://haomai-shop.example/sale1111</a></p>
<p>会员专享：下单即可获得双倍积分，积分可抵现金使用。所有商品支持七天无理由退货，
全国包邮，最快次日送达。</p>
<hr>
<p>客服热线：400-820-1111（每天9:00-21:00）</p>
<p>如不希望再收到此类邮件，请点击<a href="https://haomai-shop.example/unsubscribe?id=5521">退订</a>。</p>
<p>© 2025 好买商城 版权所有</p>
<img src="https://t.haomai-shop.example/o.gif?id=5521" width="1" height="1">
</body></html>"""
    return html_only(html, "好买商城 <news@haomai-shop.example>", "【广告】双11预售开启 全场低至5折",
                     "Sat, 01 Nov 2025 02:00:00 +0000", "haomai-shop.example")


def footer_picture_remote() -> EmailMessage:
    """A text ad whose footer is a remote picture without alt text: an address may be in it."""
    html = """<html><body>
<h2>Save 60% on premium coffee beans</h2>
<p>Single-origin Colombian and Ethiopian beans, roasted to order and shipped fresh.
Two-pound bags from $18.99 this week only. Subscribe and save an extra 10% on every delivery.</p>
<p><a href="https://roastery-direct.example/shop">Order now</a> and get a free grinder with
orders over $75.</p>
<p><a href="https://roastery-direct.example/optout">Unsubscribe</a></p>
<p><img src="https://cdn.roastery-direct.example/f/footer.png" width="600" height="90"></p>
</body></html>"""
    return html_only(html, "Roastery Direct <deals@roastery-direct.example>", "Save 60% on premium coffee",
                     "Thu, 12 Jun 2025 16:00:00 +0000", "roastery-direct.example")


SAMPLES_BUILT = {
    "img-address-in-png.eml": address_in_png,
    "img-opt-out-in-png.eml": opt_out_in_png,
    "img-chinese-banner-text-footer.eml": chinese_banner,
    "img-remote-footer-picture.eml": footer_picture_remote,
}


def main() -> int:
    SAMPLES.mkdir(parents=True, exist_ok=True)
    for name, build in SAMPLES_BUILT.items():
        (SAMPLES / name).write_bytes(bytes(build()))
        print(SAMPLES / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
