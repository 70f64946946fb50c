"""The detector fields as the engine sees them: registered, typed, robust, evidence-shaped."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.fields import all_fields
from checker.message import Message
from tests.detector_support import assert_evidence, eml, message

DETECTOR_FIELDS = {
    "commercial.status": "text", "commercial.reasons": "list[record]",
    "commercial.score": "int", "commercial.transactional_at_beginning": "bool",
    "opt_out.status": "text", "opt_out.notices": "list[record]",
    "ad_label.found": "bool", "ad_label.matches": "list[record]",
    "ad_label.denials": "list[record]",
    "postal_address.status": "text", "postal_addresses": "list[record]",
    "header_integrity.indicators": "list[record]",
    "received.trusted": "list[record]", "received.untrusted": "list[record]",
    "received.handoff_ip": "text", "received.handoff_rdns": "text",
    "received.handoff_helo": "text", "authentication_results.trusted": "list[record]",
    "subject_integrity.indicators": "list[record]",
    "adult.indicators": "list[record]", "adult.likely": "bool",
    "adult.subject_explicit": "bool", "adult.label": "text", "adult.label_detail": "text",
}

STATUS_VALUES = {
    "commercial.status": {"commercial", "commercial_uncertain", "transactional", "non_commercial"},
    "opt_out.status": {"visible", "notice_only", "hidden_only", "header_only", "none"},
    "postal_address.status": {"visible", "incomplete", "hidden_only", "none"},
    "adult.label": {"exact", "malformed", "missing"},
}

PY_TYPES = {"text": (str, type(None)), "bool": (bool,), "int": (int,), "list[record]": (list,)}


def check_values(msg: Message) -> None:
    fields = all_fields()
    for name, type_ in DETECTOR_FIELDS.items():
        value = msg.get(name)
        assert isinstance(value, PY_TYPES[type_]), (name, value)
        if type_ == "list[record]":
            declared = set(fields[name].item_fields)
            for record in value:
                assert set(record) <= declared, (name, set(record) - declared)
            assert_evidence(msg, value)
    for name, allowed in STATUS_VALUES.items():
        assert msg.get(name) in allowed


def test_every_detector_field_is_registered_with_its_type():
    fields = all_fields()
    for name, type_ in DETECTOR_FIELDS.items():
        assert fields[name].type == type_, name
        assert fields[name].doc


def test_a_realistic_spam_end_to_end():
    html = (
        "<html><body bgcolor='#ffffff'>"
        "<h1>SAVE 70% on Life Insurance!</h1><p>Only $9.95 per month. "
        "<a href='http://quotes.example/order'>Order now</a></p>"
        "<p>This is an advertisement. Acme Quotes, 77 Sunset Blvd, Los Angeles, CA 90028</p>"
        "<p style='font-size:1px'>To be removed reply with REMOVE</p>"
        "<p>To be removed from our list <a href='http://quotes.example/remove'>click here</a></p>"
        "</body></html>"
    )
    msg = message(html, html=True, subject="Re: your quote", from_="Acme <x123@hotmail.com>")
    check_values(msg)
    assert msg.get("commercial.status") == "commercial"
    assert msg.get("opt_out.status") == "visible"
    assert msg.get("postal_address.status") == "visible"
    assert msg.get("ad_label.found") is True
    assert "fake_reply" in {i["indicator"] for i in msg.get("subject_integrity.indicators")}


def test_personal_note_end_to_end():
    msg = message("Hi Mum,\n\nthe train gets in at 6. See you at the station!\n\nLove, K",
                  subject="train")
    check_values(msg)
    assert msg.get("commercial.status") == "non_commercial"
    assert msg.get("opt_out.status") == "none"
    assert msg.get("subject_integrity.indicators") == []


def test_non_ascii_message_end_to_end():
    body = "Größte Auswahl! Nur 19,99 EUR. Jetzt bestellen: http://shop.example/kaufen\n" \
           "Abmelden: abmelden@shop.example\nShop GmbH, Hauptstraße 12, 10115 Berlin"
    msg = message(body, subject="Angebot der Woche – 50% Rabatt")
    check_values(msg)
    assert msg.get("opt_out.status") == "visible"
    assert msg.get("postal_address.status") == "visible"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_random_bytes_never_raise(raw):
    check_values(Message(raw, source_id="fuzz"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000), st.text(max_size=80))
def test_random_text_bodies_never_raise(body, subject):
    subject = " ".join(subject.split())
    check_values(Message(eml(body, subject=subject), source_id="fuzz"))
