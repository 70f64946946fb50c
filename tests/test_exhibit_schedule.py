"""The damages schedule: counts per rule and jurisdiction, and statutory figures per
remedy, on hand-built audit messages. Penalty facts come from the shipped registry
(rules/authorities.yaml, through the compiled rules) so every shape really used is
tested; expected figures are worked out by hand from the registry's amounts."""

from __future__ import annotations

import json
import random
from functools import lru_cache

import pytest

from checker.exhibits.schedule import build_schedule
from checker.ruleset import load_ruleset

DAY1 = "Tue, 10 Sep 2024 09:59:50 -0400"
DAY2 = "Wed, 11 Sep 2024 23:30:00 -0400"  # 12 Sep in UTC: the day as written counts
DAY3 = "Thu, 12 Sep 2024 08:00:00 +0000"

CAN_SPAM_A5 = "CANSPAM-POSTAL-ADDRESS"  # § 7704(a)(5): inside the AG and ISP caps
CAN_SPAM_A1 = "CANSPAM-HEADER-ROUTING"  # § 7704(a)(1): outside them, ISP $100
CA_RULES = ("CA-17529.5-A1-THIRD-PARTY-DOMAIN", "CA-17529.5-A2-HEADER",
            "CA-17529.5-A3-SUBJECT")


@lru_cache(maxsize=1)
def _rules() -> dict:
    return {rule.id: rule for rule in load_ruleset().rules}


def finding(rule_id: str, status: str = "violation") -> dict:
    rule = _rules()[rule_id]
    penalty = rule.penalty if status in ("violation", "needs_review") else None
    return {"rule": rule.id, "status": status, "jurisdiction": rule.jurisdiction,
            "citations": [], "title": rule.title, "penalty": penalty}


def message(n: int, *findings: dict, date: str | None = DAY1, sha: str | None = None,
            errors: tuple[str, ...] = ()) -> dict:
    return {"source": f"trap/{n}.eml", "sha256": sha or f"{n:064x}", "date": date,
            "errors": list(errors), "findings": list(findings)}


def remedy(schedule: dict, key: str) -> dict:
    (entry,) = [r for r in schedule["remedies"] if r["remedy"] == key]
    return entry


def facts(rule_id: str, key: str) -> dict:
    (entry,) = [r for r in _rules()[rule_id].penalty["remedies"] if r["remedy"] == key]
    return entry


def test_three_california_rules_of_one_message_count_it_once():
    schedule = build_schedule([
        message(1, *(finding(r) for r in CA_RULES)),
        message(2, finding(CA_RULES[2], "needs_review")),
    ])
    ca = remedy(schedule, "ca-17529-5-damages")
    per_message = facts(CA_RULES[0], "ca-17529-5-damages")["amount"]
    assert ca["jurisdictions"] == ["CA"] and ca["rules"] == sorted(CA_RULES)
    assert ca["established"]["messages"] == 1
    assert ca["established"]["total"] == per_message
    assert ca["if_confirmed"]["messages"] == 1
    assert ca["if_confirmed"]["total"] == per_message
    # the cap is per incident: not applied, and said so, with the one-incident figure
    assert ca["cap_unit"] == "incident"
    assert ca["established"]["cap_applied"] is False
    assert any("incident" in note for note in ca["established"]["notes"])
    with_review = ca["if_confirmed"]["with_established"]
    assert with_review["total_if_one_incident"] == min(2 * per_message, ca["cap"])
    # the rule counts still show three findings on message 1
    counts = {r["rule"]: r["counts"] for r in schedule["rules"]}
    assert counts[CA_RULES[0]]["violation"] == 1 and counts[CA_RULES[2]]["needs_review"] == 1


def test_state_ag_cap_applies_except_to_a1_messages():
    ag = facts(CAN_SPAM_A5, "state-ag-damages")
    assert ag["cap"] and "15 U.S.C. § 7704(a)(1)" in ag["cap_exceptions"]
    capped = ag["cap"] // ag["amount"] + 1  # one message more than the cap allows
    messages = [message(i, finding(CAN_SPAM_A5)) for i in range(capped)]
    messages += [message(capped + i, finding(CAN_SPAM_A1), finding(CAN_SPAM_A5))
                 for i in range(3)]
    schedule = build_schedule(messages)

    state = remedy(schedule, "state-ag-damages")["established"]
    assert state["messages"] == capped + 3
    assert state["outside_cap"] == 3
    assert state["base_total"] == (capped + 3) * ag["amount"]
    assert state["cap_applied"] is True
    assert state["total"] == ag["cap"] + 3 * ag["amount"]

    isp_a5 = facts(CAN_SPAM_A5, "isp-damages")
    isp_a1 = facts(CAN_SPAM_A1, "isp-damages")
    assert isp_a1["amount"] > isp_a5["amount"]  # $100 for (a)(1), $25 otherwise
    isp = remedy(schedule, "isp-damages")
    # the (a)(1) messages also violate (a)(5): counted once each, at the (a)(1) amount
    assert isp["established"]["messages"] == capped + 3
    assert isp["established"]["total"] == capped * isp_a5["amount"] + 3 * isp_a1["amount"]
    assert isp["established"]["cap_applied"] is False
    assert [v["amount"] for v in isp["amount_variants"]] == [isp_a1["amount"], isp_a5["amount"]]


def test_isp_cap_binds_only_the_capped_share():
    isp = facts(CAN_SPAM_A5, "isp-damages")
    capped = isp["cap"] // isp["amount"] + 10
    messages = [message(i, finding(CAN_SPAM_A5)) for i in range(capped)]
    messages.append(message(capped, finding(CAN_SPAM_A1)))
    entry = remedy(build_schedule(messages), "isp-damages")["established"]
    assert entry["total"] == isp["cap"] + facts(CAN_SPAM_A1, "isp-damages")["amount"]


@pytest.mark.parametrize("key, take", [("tx-321-102-civil-penalty", "lesser"),
                                       ("tx-321-106-emsp-damages", "greater")])
def test_texas_per_message_or_per_day(key, take):
    shape = facts("TX-321.051-FALSITY", key)
    alt = shape["alternative"]
    assert (alt["unit"], alt["take"]) == ("day", take)
    rule = "TX-321.051-FALSITY"
    # few messages over three days: per message is lower, per day is higher
    few = [message(1, finding(rule), date=DAY1), message(2, finding(rule), date=DAY2),
           message(3, finding(rule), date=DAY3), message(4, finding(rule), date=DAY3)]
    entry = remedy(build_schedule(few), key)["established"]
    assert entry["days"] == 3
    assert entry["base_total"] == 4 * shape["amount"]
    assert entry["alternative_total"] == 3 * alt["amount"]
    pick = min if take == "lesser" else max
    assert entry["total"] == pick(4 * shape["amount"], 3 * alt["amount"])
    # many messages on one day: the per-day figure is the lower one
    many_count = alt["amount"] // shape["amount"] + 100
    many = [message(i, finding(rule), date=DAY1) for i in range(many_count)]
    entry = remedy(build_schedule(many), key)["established"]
    assert entry["days"] == 1
    assert entry["total"] == pick(many_count * shape["amount"], alt["amount"])


def test_virginia_lesser_of_per_message_or_per_day_and_undated_messages():
    rule = "VA-18.2-152.3-1-FORGED-ROUTING"
    shape = facts(rule, "va-18-2-152-12-damages")
    assert shape["alternative"]["take"] == "lesser"
    messages = [message(1, finding(rule), date=DAY1), message(2, finding(rule), date=None),
                message(3, finding(rule), date="Mon, 02 Sep 0102 10:00:00 +0000"),
                message(4, finding(rule), date="not a date")]
    entry = remedy(build_schedule(messages), "va-18-2-152-12-damages")["established"]
    assert entry["days"] == 1 and entry["undated"] == 3
    assert entry["total"] == min(4 * shape["amount"], 1 * shape["alternative"]["amount"])
    assert any("no usable date" in note for note in entry["notes"])


def test_multipliers_are_listed_and_never_added():
    schedule = build_schedule([message(i, finding(CAN_SPAM_A5)) for i in range(4)])
    ag = remedy(schedule, "state-ag-damages")
    assert [m["factor"] for m in ag["multipliers"]] == [3]
    assert "willfully" in ag["multipliers"][0]["when"]
    assert ag["established"]["total"] == 4 * ag["amount"]
    ca = build_schedule([message(1, finding(CA_RULES[0]))])
    reduction = remedy(ca, "ca-17529-5-damages")
    assert reduction["multipliers"][0]["factor"] == 0.1
    assert reduction["established"]["total"] == reduction["amount"]


def test_needs_review_only_goes_to_if_confirmed_only():
    schedule = build_schedule([message(i, finding(CAN_SPAM_A1, "needs_review"))
                               for i in range(5)])
    for key in ("ftc-civil-penalty", "state-ag-damages", "isp-damages"):
        entry = remedy(schedule, key)
        assert entry["established"]["messages"] == 0
        assert entry["established"]["total"] == 0
        assert entry["if_confirmed"]["messages"] == 5
        assert entry["if_confirmed"]["total"] == 5 * facts(CAN_SPAM_A1, key)["amount"]
    assert schedule["messages"]["with_status"]["violation"] == 0


def test_review_of_a1_on_an_established_message_is_an_upgrade_not_a_new_message():
    schedule = build_schedule([message(1, finding(CAN_SPAM_A5),
                                       finding(CAN_SPAM_A1, "needs_review"))])
    isp = remedy(schedule, "isp-damages")
    low = facts(CAN_SPAM_A5, "isp-damages")["amount"]
    high = facts(CAN_SPAM_A1, "isp-damages")["amount"]
    assert isp["established"]["total"] == low
    assert isp["if_confirmed"]["messages"] == 0
    assert isp["if_confirmed"]["upgraded"] == 1
    assert isp["if_confirmed"]["total"] == high - low
    assert isp["if_confirmed"]["with_established"]["outside_cap"] == 1


def test_if_confirmed_adds_nothing_beyond_a_reached_cap():
    ag = facts(CAN_SPAM_A5, "state-ag-damages")
    over = ag["cap"] // ag["amount"] + 5
    messages = [message(i, finding(CAN_SPAM_A5)) for i in range(over)]
    messages += [message(over + i, finding(CAN_SPAM_A5, "needs_review")) for i in range(7)]
    entry = remedy(build_schedule(messages), "state-ag-damages")
    assert entry["established"]["total"] == ag["cap"]
    assert entry["if_confirmed"]["messages"] == 7
    assert entry["if_confirmed"]["total"] == 0


def test_errors_are_counted_and_kept_out_of_damages():
    schedule = build_schedule([
        message(1, finding(CAN_SPAM_A5)),
        message(2, sha=None, date=None, errors=("not found",)),
        message(3, finding(CAN_SPAM_A5, "error"), finding(CA_RULES[0], "not_applicable")),
        # audited despite a note in `errors`: its violation counts
        message(4, finding(CAN_SPAM_A5), errors=("date: implausible year 102",)),
    ])
    counts = schedule["messages"]
    assert counts == {"inputs": 4, "audited": 3, "not_audited": 1, "with_errors": 2,
                      "duplicates": 0,
                      "with_status": {"violation": 2, "needs_review": 0, "error": 1,
                                      "compliant": 0, "not_applicable": 1}}
    rules = {r["rule"]: r["counts"] for r in schedule["rules"]}
    assert rules[CAN_SPAM_A5]["violation"] == 2 and rules[CAN_SPAM_A5]["error"] == 1
    assert remedy(schedule, "state-ag-damages")["established"]["messages"] == 2
    jurisdictions = {j["jurisdiction"]: j["messages"] for j in schedule["jurisdictions"]}
    assert jurisdictions["US"]["violation"] == 2 and jurisdictions["US"]["error"] == 1
    assert jurisdictions["CA"]["not_applicable"] == 1


def test_byte_identical_inputs_are_one_message():
    same = "ab" * 32
    schedule = build_schedule([message(1, finding(CAN_SPAM_A5), sha=same),
                               message(2, finding(CAN_SPAM_A5), sha=same)])
    assert schedule["messages"]["duplicates"] == 1
    assert remedy(schedule, "state-ag-damages")["established"]["messages"] == 1


def test_per_violation_unit_is_explained():
    schedule = build_schedule([message(1, finding(CAN_SPAM_A5))])
    ftc = remedy(schedule, "ftc-civil-penalty")
    assert ftc["unit"] == "violation"
    assert any("one violation" in note for note in ftc["remedy_notes"])
    assert ftc["established"]["total"] == ftc["amount"]


def test_amount_not_stated_and_uncomputable_shapes_give_no_figure():
    def custom(amount, **extra):
        return {"rule": "X-1", "status": "violation", "jurisdiction": "XX", "citations": [],
                "title": "t", "penalty": {"remedies": [
                    {"remedy": "x", "who": "w", "basis": "Act § 1", "amount": amount,
                     "unit": extra.pop("unit", "message"), "citations": ["Act § 1"],
                     **extra}]}}

    none = remedy(build_schedule([message(1, custom(None))]), "x")
    assert none["amount_stated"] is False and none["established"]["total"] is None
    assert "amount not stated" in none["established"]["notes"]
    incident = remedy(build_schedule([message(1, custom(5, unit="incident"))]), "x")
    assert incident["established"]["total"] is None
    per_day_cap = custom(5, cap=7, cap_unit="day")
    dated = build_schedule([message(i, per_day_cap) for i in range(3)])
    assert remedy(dated, "x")["established"]["total"] == 7
    undated = build_schedule([message(1, per_day_cap, date=None)])
    assert remedy(undated, "x")["established"]["total"] is None


def test_exhibit_labels_behind_each_figure():
    messages = [message(i, finding(CAN_SPAM_A5)) for i in range(1, 4)]
    messages.append(message(4, finding(CAN_SPAM_A5, "needs_review")))
    labels = {"trap/1.eml": "Exhibit 10", "trap/2.eml": "Exhibit 9",
              "trap/4.eml": "Exhibit 11"}
    entry = remedy(build_schedule(messages, labels), "state-ag-damages")
    assert entry["established"]["exhibits"] == ["Exhibit 9", "Exhibit 10"]
    assert entry["established"]["not_exhibited"] == 1
    assert entry["if_confirmed"]["exhibits"] == ["Exhibit 11"]


def test_order_of_input_does_not_change_the_schedule():
    messages = [message(1, *(finding(r) for r in CA_RULES), date=DAY2),
                message(2, finding(CAN_SPAM_A1), finding("TX-321.051-FALSITY"), date=DAY1),
                message(3, finding(CAN_SPAM_A5, "needs_review"), date=DAY3),
                message(4, finding("WA-19.190.020-1B-SUBJECT"), date=None)]
    schedule = build_schedule(messages)
    shuffled = messages[:]
    random.Random(7).shuffle(shuffled)
    assert build_schedule(shuffled) == schedule
    assert json.dumps(schedule, sort_keys=False) == json.dumps(build_schedule(messages))
    keys = [(r["jurisdictions"], r["remedy"]) for r in schedule["remedies"]]
    assert keys == sorted(keys)
    assert [r["rule"] for r in schedule["rules"]] == sorted(r["rule"] for r in schedule["rules"])


def test_every_registry_remedy_gets_a_figure_for_dated_messages():
    """A new penalty shape in the registry must be taught to the schedule, not guessed."""
    messages = [message(i, finding(rule.id), date=DAY1 if i % 2 else DAY3)
                for i, rule in enumerate(_rules().values()) if rule.penalty]
    schedule = build_schedule(messages)
    for entry in schedule["remedies"]:
        established = entry["established"]
        assert established["messages"] >= 1, entry["remedy"]
        assert established["total"] is not None, (entry["remedy"], established["notes"])
        assert not any(n.startswith("not computed") for n in established["notes"])


def test_days_are_the_days_the_trap_received_the_messages_not_the_date_headers():
    rule = "TX-321.051-FALSITY"
    shape = facts(rule, "tx-321-106-emsp-damages")  # greater of per message or per day
    year_0102 = "Thu, 22 Aug 0102 12:07:35 +0800"  # a real mailer bug in the corpus
    messages = [{**message(1, finding(rule), date=year_0102), "received": "2002-08-22T04:07:40+00:00"},
                {**message(2, finding(rule), date=year_0102),
                 "received": "2002-08-23T01:00:00+00:00"},
                {**message(3, finding(rule), date=DAY1), "received": "garbage"}]
    entry = remedy(build_schedule(messages), "tx-321-106-emsp-damages")["established"]
    assert entry["days"] == 3 and entry["undated"] == 0
    assert entry["total"] == max(3 * shape["amount"], 3 * shape["alternative"]["amount"])
    # a sender who back-dates every message to one day does not collapse the day count
    same_claim = [{**message(n, finding(rule), date=DAY1), "received": f"2025-01-0{n}T12:00:00+00:00"}
                  for n in (1, 2, 3)]
    entry = remedy(build_schedule(same_claim), "tx-321-106-emsp-damages")["established"]
    assert entry["days"] == 3
    assert any("received" in note for note in entry["notes"])
    without = remedy(build_schedule([message(1, finding(rule), date=year_0102),
                                     message(2, finding(rule), date=year_0102)]),
                     "tx-321-106-emsp-damages")["established"]
    assert without["days"] == 0 and without["undated"] == 2
    assert without["total"] == shape["alternative"]["amount"]  # one day at least, no more


def test_a_state_ag_schedule_shows_only_the_attorney_generals_remedies():
    ma_rule = "MA-93A-CANSPAM"
    messages = [message(1, finding(ma_rule, "needs_review"), finding(CAN_SPAM_A5))]
    everything = {r["remedy"] for r in build_schedule(messages)["remedies"]}
    assert {"ma-consumer-damages", "ma-ag-civil-penalty", "isp-damages"} <= everything
    ag = build_schedule(messages, plaintiff="state_ag")
    shown = {r["remedy"] for r in ag["remedies"]}
    assert shown == {"ma-ag-civil-penalty", "state-ag-damages"}
    assert {r["remedy"] for r in ag["remedies_left_out"]} == everything - shown
    assert any("state_ag" in note and "ma-consumer-damages" in note for note in ag["notes"])
    on_request = build_schedule(messages, plaintiff="state_ag", all_remedies=True)
    assert {r["remedy"] for r in on_request["remedies"]} == everything
    # the § 4 civil penalty states its knowledge condition
    penalty = remedy(ag, "ma-ag-civil-penalty")
    assert any("knew or should have known" in c for c in penalty["conditions"])


def test_an_aggravated_finding_is_no_damages_line_of_its_own():
    aggravated = "CANSPAM-AGGRAVATED-DICTIONARY"
    assert _rules()[aggravated].penalty is None
    cited = {**finding(aggravated, "needs_review"),
             "citations": list(_rules()[aggravated].citation_texts)}
    schedule = build_schedule([message(1, finding(CAN_SPAM_A5), cited), message(2, cited)])
    assert all(aggravated not in r["rules"] for r in schedule["remedies"])
    assert remedy(schedule, "state-ag-damages")["established"]["messages"] == 1
    assert schedule["aggravating"]["messages"] == {"violation": 0, "needs_review": 2}
    assert any("trebling" in note for note in schedule["notes"])
