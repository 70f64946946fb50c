"""Case settings: nexus, trap provenance, the opt-out log and business-day arithmetic."""

from datetime import date

import pytest

from checker.case import (
    CaseSettings,
    CaseSettingsError,
    business_days_after,
    federal_holidays,
    load_case_settings,
)
from checker.message import Message

CASE_YAML = """\
case: Commonwealth v. Example Ring
trusted: {hops: 1, authserv_ids: [mx.trap.example]}
traps:
  - {address: alice@trap.example, state: MA, published: false}
  - {address: "*@ca-trap.example", state: CA}
  - {address: "@wa-trap.example", state: WA}
opt_outs:
  - {address: alice@trap.example, date: 2004-06-14, sender_domains: [deals.example]}
registries:
  - {state: UT, address: alice@trap.example, registered: 2004-01-02}
"""


def make(rcpt="alice@trap.example", date_hdr="Mon, 28 Jun 2004 10:00:00 -0400",
         sender="offers@deals.example", extra="", received=None):
    raw = (
        f"Received: from relay.example (relay.example [192.0.2.7]) by mx.trap.example "
        f"with SMTP id 1 for <{rcpt}>; {received or date_hdr}\n"
        f"From: Deals <{sender}>\nTo: someone@else.example\nSubject: hi\nDate: {date_hdr}\n"
        f"{extra}\nBody\n"
    ).encode()
    return raw


@pytest.fixture
def case(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text(CASE_YAML)
    return load_case_settings(path)


def test_federal_holidays_follow_observance_rules():
    days = federal_holidays(2004)
    assert date(2004, 7, 5) in days  # 4 July was a Sunday
    assert date(2004, 12, 24) in days  # Christmas on a Saturday
    assert date(2004, 12, 31) in days  # New Year's Day 2005 on a Saturday
    assert date(2022, 6, 20) in federal_holidays(2022)  # Juneteenth on a Sunday
    assert not any(d.month == 6 and d.day in (19, 20) for d in federal_holidays(2020))


def test_business_days_skip_weekends_and_holidays():
    assert business_days_after(date(2004, 6, 14), date(2004, 6, 28)) == 10
    assert business_days_after(date(2004, 6, 14), date(2004, 6, 29)) == 11
    # 5 July 2004 is the observed Independence Day
    assert business_days_after(date(2004, 7, 2), date(2004, 7, 6)) == 1
    assert business_days_after(date(2004, 6, 14), date(2004, 6, 14)) == 0


def test_recipient_from_trusted_received_for_clause_maps_state(case):
    msg = Message(make(), metadata={"case": case})
    assert msg.get("recipient.address") == "alice@trap.example"
    assert msg.get("recipient.state") == "MA"
    assert "mapped to MA" in msg.get("recipient.nexus")
    assert msg.get("recipient.never_published") is True


def test_glob_and_domain_traps(case):
    assert Message(make("bob@ca-trap.example"), metadata={"case": case}).get(
        "recipient.state") == "CA"
    assert Message(make("x@wa-trap.example"), metadata={"case": case}).get(
        "recipient.state") == "WA"


def test_unmapped_recipient_and_no_case_say_why(case):
    msg = Message(make("nobody@elsewhere.example"), metadata={"case": case})
    assert msg.get("recipient.state") is None
    assert "not mapped to a state" in msg.get("recipient.nexus")
    bare = Message(make())
    assert bare.get("recipient.state") is None
    assert "no case settings" in bare.get("recipient.nexus")


def test_forced_state_overrides(case):
    msg = Message(make("nobody@elsewhere.example"), metadata={"case": case.with_state("ny")})
    assert msg.get("recipient.state") == "NY"
    assert "--state" in msg.get("recipient.nexus")
    with pytest.raises(CaseSettingsError):
        CaseSettings().with_state("ZZ")


def test_opt_out_counts_business_days_for_same_sender(case):
    later = Message(make(date_hdr="Tue, 29 Jun 2004 09:00:00 -0400"), metadata={"case": case})
    assert later.get("case.opt_out.business_days_after") == 11
    assert "2004-06-14" in later.get("case.opt_out.record")
    other = Message(make(sender="x@unrelated.example"), metadata={"case": case})
    assert other.get("case.opt_out.business_days_after") is None


def test_opt_out_counts_to_the_day_the_trap_received_the_message(case):
    """A sender who back-dates its mail to before the opt-out request is still counted
    from the day the trap received it (trusted Received line)."""
    backdated = Message(make(date_hdr="Tue, 01 Jun 2004 09:00:00 -0400",
                             received="Tue, 29 Jun 2004 09:00:05 -0400"), metadata={"case": case})
    assert backdated.get("case.opt_out.business_days_after") == 11
    record = backdated.get("case.opt_out.record")
    assert "received on 2004-06-29" in record and "2004-06-01" not in record
    assert backdated.get("case.registry_states") == ["UT"]
    # without a trusted Received line the Date header is used, and said to be the sender's
    untrusted = Message(make(date_hdr="Tue, 29 Jun 2004 09:00:00 -0400",
                             extra="Delivered-To: alice@trap.example\n"),
                        metadata={"case": CaseSettings(**{**case.__dict__, "trusted_hops": 0})})
    assert untrusted.get("case.opt_out.business_days_after") == 11
    assert "by its Date header (the sender's claim)" in untrusted.get("case.opt_out.record")


def test_registry_needs_thirty_days(case):
    msg = Message(make(), metadata={"case": case})
    assert msg.get("case.registry_states") == ["UT"]


def test_plaintiff_custodian_and_collection_are_read(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text("plaintiff: state_ag\ncustodian: Jane Roe, Records Officer\n"
                    "collection: trap mailboxes at trap.example, exported 2025-07-01\n")
    settings = load_case_settings(path)
    assert settings.plaintiff == "state_ag"
    assert settings.custodian == "Jane Roe, Records Officer"
    assert settings.collection.startswith("trap mailboxes")
    assert load_case_settings(tmp_path / "case.yaml").traps == ()
    path.write_text("plaintiff: attorney general\n")
    with pytest.raises(CaseSettingsError) as info:
        load_case_settings(path)
    assert "plaintiff" in str(info.value)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("traps: [{state: MA}]\n", "address"),
        ("traps: [{address: a@b.example, state: ZZ}]\n", "ZZ"),
        ("colour: blue\n", "colour"),
        ("traps: [\n", "invalid YAML"),
    ],
)
def test_bad_case_files_give_one_clear_line(tmp_path, text, expected):
    path = tmp_path / "case.yaml"
    path.write_text(text)
    with pytest.raises(CaseSettingsError) as info:
        load_case_settings(path)
    assert expected in str(info.value)
    assert str(path) in str(info.value)
