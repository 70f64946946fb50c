"""Physical postal address (15 U.S.C. § 7704(a)(5)(A)(iii); 16 C.F.R. § 316.2(p))."""

from __future__ import annotations

import pytest

from checker.detectors._text import TextSource
from checker.detectors.postal_address import close_up, detect_postal_addresses, find_addresses
from tests.detector_support import assert_evidence, message


def found(text: str) -> list[dict]:
    return find_addresses(TextSource("body.visible_text", text))


@pytest.mark.parametrize(
    ("text", "kind", "state", "zip_"),
    [
        ("Acme Inc., 123 Main Street, Springfield, IL 62704", "street", "IL", "62704"),
        ("Acme Inc.\n1600 Pennsylvania Ave NW\nWashington, DC 20500-0003\n", "street", "DC",
         "20500-0003"),
        ("2711 Centerville Rd, Suite 400, Wilmington, DE 19808", "street", "DE", "19808"),
        ("Mail us at 9 Old Mill Rd.\nSuite 7\nGreenwich, Conn. 06830", "street", "Conn.", "06830"),
        ("One Microsoft Way, Redmond, WA 98052", "street", "WA", "98052"),
        ("Route 9, Albany, NY 12207", "street", "NY", "12207"),
        ("SELLERS COMMUNICATIONS\n2714 WEST 5th\nNorth Platte, Ne 69101", "street", "Ne", "69101"),
        ("GGII Ministries, 160 White Pines Dr., Alpharetta Ga, 30004", "street", "Ga", "30004"),
        ("Steve Kann - 520 8th Ave #2300 NY 10018 - (212) 555-0100", "street", "NY", "10018"),
        ("1314-B Center Drive #514\nMedford,OR 97501", "street", "OR", "97501"),
        ("> 716 Congress, Suite 200\n> Austin, TX  78701", "street", "TX", "78701"),
        ("PO Box 21442 <BR>\nBillings, MT 59104 <BR>", "po_box", "MT", "59104"),
        ("Send to P.O. Box 1234, Boca Raton FL 33431", "po_box", "FL", "33431"),
        ("Post Office Box 55\nAustin, Texas 78701-1234", "po_box", "Texas", "78701-1234"),
        ("Government Grants\nP.O. Box 101262\nCape Coral FL 33910", "po_box", "FL", "33910"),
        ("3 Park Plaza PMB 123\nIrvine CA 92614", "pmb", "CA", "92614"),
        ("PMB #77, Reno, Nevada 89501", "pmb", "Nevada", "89501"),
    ],
)
def test_us_addresses(text, kind, state, zip_):
    addresses = found(text)
    assert [a["kind"] for a in addresses] == [kind]
    address = addresses[0]
    assert address["complete"] and address["state"] == state and address["zip"] == zip_
    assert text[address["start"] : address["end"]] == address["quote"]
    assert "\n" not in address["text"]


def test_cmra_hash_unit_is_kept():
    address = found("1234 Elm St #305, Reno, NV 89501")[0]
    assert address["unit"] == "#305" and address["kind"] == "street"


@pytest.mark.parametrize(
    "text",
    [
        "10 Downing Street, London SW1A 2AA",
        "106 Walcot St\nBath BA1 5BG",
        "200 Bay Street, Toronto, ON M5J 2J2",
        "601 St-Malo Est\nIle Bizard, Quebec H9C2P2",
        "Firma GmbH, Hauptstraße 12, 10115 Berlin",
        "123 rue de Rivoli, 75001 Paris",
        # The country between the province and the postal code.
        "Acme\n1300 Don Mills Road Suite 211\nDon Mills Ontario, Canada \nM3B 2W6\n",
        # Lower-case street word, alphanumeric house number.
        "Acme\n2135A des Laurentides Blvd\nSuite 174\nLaval, Quebec, Canada H7M 4M2\n",
        # Canadian street address without a postal code (as a US one without a ZIP).
        "85 Thorncliffe Park Drive Suite 3602\nToronto, Ontario",
        # Irish: no house number, no postcode.
        "or contact Acme Airways plc, Dublin Airport, Co Dublin, Ireland.",
        "Acme Recruitment\n68 Pearse Street\nDublin 2\nTel: 01 555 0100",
        # British without a house number.
        "Acme Ltd, The Old Mill, Bath BA1 5BG",
        # A street, places, and a country by name.
        "23 Hing Yip St, Kwun Tong, Hong Kong",
    ],
)
def test_foreign_addresses(text):
    addresses = found(text)
    assert [a["kind"] for a in addresses] == ["foreign"] and addresses[0]["complete"]
    assert text[addresses[0]["start"] : addresses[0]["end"]] == addresses[0]["quote"]


def test_foreign_address_quote_covers_the_whole_address():
    text = "Send to:\n\nAcme\n2135A des Laurentides Blvd\nSuite 174\nLaval, Quebec, Canada H7M 4M2\n"
    assert found(text)[0]["text"] == "2135A des Laurentides Blvd Suite 174 Laval, Quebec, Canada H7M 4M2"
    irish = found("or contact Acme Airways plc, Dublin Airport, Co Dublin, Ireland.")[0]
    assert irish["text"] == "Acme Airways plc, Dublin Airport, Co Dublin, Ireland"


def test_a_number_on_the_line_before_is_not_the_house_number():
    text = "Ultra Trim 2002\n4132 Pompton Ct.\nDayton, Ohio 45405"
    (address,) = found(text)
    assert address["quote"] == "4132 Pompton Ct.\nDayton, Ohio 45405"


# ------------------------------------------------------------ letter spacing

SPACED = ("Contact us:\n\nD a t a C o m   M a r k e t i n g   C o r p\n"
          "1 4 4 0   C o r a l   R i d g e   D r.  #3 3 6\n"
          "C o r a l   S p r i n g s,  F l  3 3 0 7 1\n\n(9 5 4) 7 5 3-2 8 4 6 voice\n")


def test_letter_spaced_address_is_found_with_offsets_into_the_real_text():
    (address,) = found(SPACED)
    assert address["letter_spaced"] and address["complete"] and address["kind"] == "street"
    assert address["text"] == "1440 Coral Ridge Dr. #336 Coral Springs, Fl 33071"
    assert SPACED[address["start"] : address["end"]] == address["quote"]
    assert address["quote"].startswith("1 4 4 0") and address["quote"].endswith("3 3 0 7 1")
    assert detect_postal_addresses([TextSource("body.visible_text", SPACED)])["status"] == "visible"


def test_a_box_abroad_is_a_complete_box():
    # Still kind po_box: the rule asks whether a box alone sufficed before 16 C.F.R. 316.2(p).
    (address,) = found("write us at: P.O. Box 1200, Oranjestad, Aruba")
    assert (address["kind"], address["complete"]) == ("po_box", True)
    assert address["text"] == "P.O. Box 1200, Oranjestad, Aruba"


def test_letter_spaced_box_with_a_country():
    text = "write us at:\nUAS , P O B 1 2 0 0, O r a n g e s t a d, A r u b a\n\nTO48 6-8 C3 P"
    (address,) = found(text)
    assert address["letter_spaced"] and address["text"] == "POB 1200, Orangestad, Aruba"
    assert (address["kind"], address["complete"]) == ("po_box", True)
    assert text[address["start"] : address["end"]] == address["quote"]


def test_close_up_maps_every_character_back():
    text = "Box: P O B 1 2 0 0, a b c d!"
    closed, offsets = close_up(text)
    assert closed == "Box: POB 1200, abcd!"
    assert len(offsets) == len(closed)
    assert all(text[o] == c for o, c in zip(offsets, closed, strict=True) if c != " ")


def test_plain_addresses_are_not_reported_as_letter_spaced():
    (address,) = found("a b c d e f\nAcme, 123 Main Street, Springfield, IL 62704")
    assert not address["letter_spaced"]


@pytest.mark.parametrize(
    "text",
    [
        "Call 1-800-555-1212 now! Only $19.95 plus $4.95 shipping",
        "Over 500 Million Customers, Dallas TX",
        "We sold 2,000 units in New York NY 10001 last year",
        "I have 3 cats in OR 97501 hmm",
        "ZIP 12345 and 99999",
        "Box 3 is here",
        "mail me at skip@pobox.com, PO boxes are cheap",
        "you get 5 free hours, Mon to Fri",
        "299 JVC XV-S502SL",
        "8S Q,38V-C @/&1O7W!A9V5?9F%U;'0K,\"\\T9F(^\"E1R86-E.R!C M,#$P.&0R8R",
        # Foreign forms need a street or box, places and a postcode or country.
        "We ship to Canada, Mexico and 40 other countries",
        "Get the New Player, Sony Walkman, Apple MP3 2GB.",
        "Pioneer Elite VSX49TX Sony HTDDW840 Yamaha HTR5560 BOSE LS122BK\n",
        "Buy 2 Get 1 Free Street Party, Paris, France",
        "the walk (from Sat 2002-08-24, Doolin, Co. Clare, Ireland, for a small donation)",
        "I a m a b o u t to say 1 2 3 4 things",
    ],
)
def test_not_addresses(text):
    assert found(text) == []


def test_incomplete_forms_are_reported_as_incomplete():
    result = detect_postal_addresses([TextSource("body.visible_text",
                                                 "Our offices: Boca Raton, FL 33431. PO Box 9.")])
    assert result["status"] == "incomplete"
    assert {a["kind"] for a in result["addresses"]} == {"locality", "po_box"}
    assert not any(a["complete"] for a in result["addresses"])


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        ("5863 Le s lie Street\nT oronto, Ont a rio", "5863 Le s lie Street"),
        ("Send your order to our P.O. Box.", "P.O. Box"),
        ("Ultra Mail, Coral Springs FL 33071", "FL 33071"),
        ("Order form: Suite# 909 -10175-114th St.", "Suite# 909"),
    ],
)
def test_address_like_text_makes_the_status_incomplete_not_none(text, quote):
    result = detect_postal_addresses([TextSource("body.visible_text", text)])
    assert result["status"] == "incomplete"
    assert [(a["kind"], a["quote"], a["complete"]) for a in result["addresses"]] == [
        ("fragment", quote, False)]


@pytest.mark.parametrize(
    "text",
    [
        "mail me at skip@pobox.com; the founder of pobox",
        'roo "/.../ssl_glossary.html" OK 15092 4726 69pct.',
        "[043] - Koch-Suite 0.7 (Development)",
        "We have 12 years of experience on Wall St",
    ],
)
def test_no_fragment_in_text_that_only_looks_like_an_address(text):
    assert detect_postal_addresses([TextSource("body.visible_text", text)])["status"] == "none"


def test_fragments_are_not_reported_beside_an_address():
    text = "Acme, 123 Main Street, Springfield, IL 62704. Visit Suite 5."
    result = detect_postal_addresses([TextSource("body.visible_text", text)])
    assert result["status"] == "visible"
    assert [a["kind"] for a in result["addresses"]] == ["street"]


def test_hidden_address_only():
    sources = [TextSource("body.visible_text", "Buy now!"),
               TextSource("body.hidden_text[0].text", "123 Main St, Springfield, IL 62704",
                          False, "font-size:1px")]
    result = detect_postal_addresses(sources)
    assert result["status"] == "hidden_only"
    assert result["addresses"][0]["hidden_reason"] == "font-size:1px"


def test_no_address():
    assert detect_postal_addresses([TextSource("body.visible_text", "Hi!")])["status"] == "none"


def test_html_message_end_to_end():
    html = ("<html><body><p>Great deals!</p><p>Acme Corp<br>77 Sunset Blvd, Suite 5<br>"
            "Los Angeles, CA 90028</p>"
            "<div style='display:none'>PO Box 9, Reno, NV 89501</div></body></html>")
    msg = message(html, html=True)
    assert msg.get("postal_address.status") == "visible"
    addresses = msg.get("postal_addresses")
    assert [(a["kind"], a["visible"]) for a in addresses] == [("street", True), ("po_box", False)]
    assert_evidence(msg, addresses)


def test_letter_spaced_message_end_to_end():
    msg = message("Great databases at low prices!\n\n" + SPACED)
    assert msg.get("postal_address.status") == "visible"
    addresses = msg.get("postal_addresses")
    assert [a["letter_spaced"] for a in addresses] == [True]
    assert_evidence(msg, addresses)


def test_a_street_after_a_box_abroad_is_still_a_street():
    text = ("Order from:\nGreg Grant\nPo Box 385\nWilberforce, ON\nCanada\nK0L 3C0\n\n"
            "Order from:\nLW\n50 Burnhamthorpe Rd W Suite 401\nMississauga, ON\nCanada\nL5B 3C2\n")
    assert [a["kind"] for a in found(text)] == ["po_box", "foreign"]


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        ("Acme, Calle Mayor 10, 28013 Madrid, España", "Calle Mayor 10, 28013 Madrid"),
        ("Acme S.r.l., Via Roma 10, 00184 Roma, Italia", "Via Roma 10, 00184 Roma"),
        ("Acme Lda, Rua Augusta 100, 1100-053 Lisboa, Portugal", "Rua Augusta 100, 1100-053 Lisboa"),
        ("Level 5, 100 George Street, Sydney NSW 2000, Australia", "100 George Street, Sydney NSW 2000"),
        ("Acme Pty Ltd\n22 Smith St\nFitzroy VIC 3065", "22 Smith St\nFitzroy VIC 3065"),
    ],
)
def test_southern_european_and_australian_addresses(text, quote):
    from checker.detectors._text import TextSource
    from checker.detectors.postal_address import find_addresses

    found = find_addresses(TextSource("body.visible_text", text))
    assert [(a["quote"], a["complete"]) for a in found] == [(quote, True)]


@pytest.mark.parametrize("text", ["Shop via our app 10, 2000 Users love it",
                                  "We have 100 George Street offices in WA 2000 style"])
def test_lookalikes_of_those_forms_are_not_addresses(text):
    from checker.detectors._text import TextSource
    from checker.detectors.postal_address import find_addresses

    assert not [a for a in find_addresses(TextSource("body.visible_text", text)) if a["complete"]]


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        ("株式会社サンプル 〒100-0001 東京都千代田区千代田1-1", "〒100-0001 東京都千代田区千代田1-1"),
        ("地址：北京市朝阳区建国路88号 邮编100022", "北京市朝阳区建国路88号"),
        ("서울특별시 강남구 테헤란로 123, 06234", "서울특별시 강남구 테헤란로 123"),
        ("Acme B.V., Damrak 1, 1012 LG Amsterdam, Nederland", "Damrak 1, 1012 LG Amsterdam"),
        ("Acme AB, Drottninggatan 10, 111 51 Stockholm, Sweden", "Drottninggatan 10, 111 51 Stockholm"),
        ("Acme Sp. z o.o., ul. Marszałkowska 10, 00-590 Warszawa", "ul. Marszałkowska 10, 00-590"),
        ("ООО Акме, ул. Тверская, д. 7, Москва, 125009", "ул. Тверская, д. 7"),
        ("Acme Ltd, Unit 3, 12 Queen's Road Central, Hong Kong", "12 Queen's Road Central, Hong Kong"),
        ("Acme, Av. Paulista 1000, São Paulo - SP, 01310-100, Brasil", "Av. Paulista 1000, São Paulo"),
    ],
)
def test_addresses_as_the_rest_of_the_world_writes_them(text, quote):
    found = find_addresses(TextSource("body.visible_text", text))
    assert [(a["quote"][:len(quote)], a["kind"], a["complete"]) for a in found] == [(quote, "foreign", True)]


@pytest.mark.parametrize("text", ["Version 2, 2000 AD Company", "Call 12 times, Singapore is great",
                                  "我们的产品质量好，价格低，欢迎来电", "Order 3 items, 10000 Happy Customers"])
def test_world_lookalikes_are_not_addresses(text):
    assert not [a for a in find_addresses(TextSource("body.visible_text", text)) if a["complete"]]


def test_a_one_line_footer_with_bars_between_town_state_and_zip():
    found = find_addresses(TextSource("body.visible_text", "Acme Inc | 1 Infinite Loop | Cupertino | CA | 95014"))
    assert [(a["quote"], a["complete"]) for a in found] == [("1 Infinite Loop | Cupertino | CA | 95014", True)]
