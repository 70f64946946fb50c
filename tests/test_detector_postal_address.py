"""Physical postal address (15 U.S.C. § 7704(a)(5)(A)(iii); 16 C.F.R. § 316.2(p))."""

from __future__ import annotations

import pytest

from checker.detectors._text import TextSource
from checker.detectors.postal_address import detect_postal_addresses, find_addresses
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
    ],
)
def test_foreign_addresses(text):
    addresses = found(text)
    assert [a["kind"] for a in addresses] == ["foreign"] and addresses[0]["complete"]


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
