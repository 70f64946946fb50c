"""Loading counsel's YAML: every problem at its exact file:line:col, all at once."""

from __future__ import annotations

import email
import os
from pathlib import Path

import pytest
from rules_support import register_fake_fields, rule_file, unregister, write_ruleset

from checker.ruleset import Problem, RulesetError, load_ruleset
from checker.ruleset.compile import build_ruleset

GOOD_RULE = """\
- id: T-ONE
  title: One
  citations: [act-1]
  severity: high
  violation_when: {field: t.text, contains: spam}
  finding: Spam found.
"""


@pytest.fixture(autouse=True)
def fake_fields():
    names = register_fake_fields()
    yield
    unregister(names)


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # problems print paths relative to the working directory


def problems_of(root: Path) -> list[Problem]:
    with pytest.raises(RulesetError) as info:
        load_ruleset(root)
    return info.value.problems


def where(problem: Problem) -> str:
    return f"{problem.file}:{problem.line}:{problem.col}"


def test_a_good_ruleset_loads(tmp_path):
    ruleset = load_ruleset(write_ruleset(tmp_path / "rules", rule_file(GOOD_RULE)))
    (rule,) = ruleset.rules
    assert rule.id == "T-ONE" and rule.citation_texts == ("Act § 1",) and rule.jurisdiction == "US"
    assert ruleset.referenced_fields == {"t.text"}
    assert rule.status == "draft"


def test_problem_string_format():
    problem = Problem("rules/us/x.yaml", 3, 5, "unknown key 'x'", "error", "unknown-key")
    assert str(problem) == "rules/us/x.yaml:3:5: error: unknown key 'x' [unknown-key]"


def test_typo_in_a_rule_key(tmp_path):
    body = GOOD_RULE.replace("violation_when", "violaton_when")
    found = problems_of(write_ruleset(tmp_path / "rules", rule_file(body)))
    assert [(where(p), p.code) for p in found] == [
        ("rules/us/test.yaml:3:5", "missing-key"),  # the rule now lacks violation_when too
        ("rules/us/test.yaml:7:5", "unknown-key"),
    ]
    assert "did you mean 'violation_when'" in found[1].message


def test_unknown_field(tmp_path):
    body = GOOD_RULE.replace("field: t.text", "field: t.txet")
    (problem,) = problems_of(write_ruleset(tmp_path / "rules", rule_file(body)))
    assert (where(problem), problem.code) == ("rules/us/test.yaml:7:29", "unknown-field")
    assert "did you mean 't.text'" in problem.message


def test_unknown_operator(tmp_path):
    body = GOOD_RULE.replace("contains: spam", "containz: spam")
    (problem,) = problems_of(write_ruleset(tmp_path / "rules", rule_file(body)))
    assert (where(problem), problem.code) == ("rules/us/test.yaml:7:37", "unknown-operator")
    assert "did you mean 'contains'" in problem.message


def test_invalid_regex(tmp_path):
    body = GOOD_RULE.replace("contains: spam", "matches: '(unclosed'")
    (problem,) = problems_of(write_ruleset(tmp_path / "rules", rule_file(body)))
    assert (where(problem), problem.code) == ("rules/us/test.yaml:7:46", "invalid-regex")


def test_unresolved_citation(tmp_path):
    body = GOOD_RULE.replace("[act-1]", "[act-1, act-9]")
    (problem,) = problems_of(write_ruleset(tmp_path / "rules", rule_file(body)))
    assert (where(problem), problem.code) == ("rules/us/test.yaml:5:24", "unknown-citation")


def test_duplicate_ids_across_files(tmp_path):
    root = write_ruleset(tmp_path / "rules", {"us/a.yaml": rule_file(GOOD_RULE), "ma/b.yaml": rule_file(GOOD_RULE, "MA")})
    (problem,) = problems_of(root)
    # files are read in sorted order: ma/b.yaml first, so us/a.yaml holds the duplicate
    assert (where(problem), problem.code) == ("rules/us/a.yaml:3:9", "duplicate-id")
    assert "first defined at rules/ma/b.yaml:3:9" in problem.message


def test_template_errors(tmp_path):
    syntax = GOOD_RULE.replace("finding: Spam found.", "finding: 'Spam {{ subject'")
    (problem,) = problems_of(write_ruleset(tmp_path / "a", rule_file(syntax)))
    assert (problem.code, problem.line, problem.col) == ("template-error", 8, 14)
    assert "syntax error" in problem.message
    typo = GOOD_RULE.replace("finding: Spam found.", "finding: 'Spam in {{ subjetc }}'")
    (problem,) = problems_of(write_ruleset(tmp_path / "b", rule_file(typo)))
    assert "unknown template variable 'subjetc' (did you mean 'subject'?)" in problem.message
    attribute = GOOD_RULE.replace("finding: Spam found.", "finding: '{% for e in evidence %}{{ e.qoute }}{% endfor %}'")
    (problem,) = problems_of(write_ruleset(tmp_path / "c", rule_file(attribute)))
    assert "template fails with sample evidence" in problem.message
    field = GOOD_RULE.replace("finding: Spam found.", "finding: '{{ field(\"t.nope\") }}'")
    (problem,) = problems_of(write_ruleset(tmp_path / "d", rule_file(field)))
    assert "unknown field" in problem.message


def test_yaml_syntax_error_position(tmp_path):
    body = GOOD_RULE.replace("title: One", "title: [One")
    (problem, *_rest) = problems_of(write_ruleset(tmp_path / "rules", rule_file(body)))
    assert problem.code == "yaml-syntax" and problem.file == "rules/us/test.yaml"
    assert problem.line >= 4


def test_duplicate_key_python_tag_and_alias(tmp_path):
    body = GOOD_RULE + "  severity: low\n"
    found = problems_of(write_ruleset(tmp_path / "a", rule_file(body)))
    assert [(where(p), p.code) for p in found] == [("a/us/test.yaml:9:5", "duplicate-key")]
    tagged = GOOD_RULE.replace("title: One", "title: !!python/object/apply:os.system [echo hi]")
    found = problems_of(write_ruleset(tmp_path / "b", rule_file(tagged)))
    assert any(p.code == "yaml-tag" and p.line == 4 for p in found)
    aliased = GOOD_RULE.replace("title: One", "title: &t One").replace("finding: Spam found.", "finding: *t")
    found = problems_of(write_ruleset(tmp_path / "c", rule_file(aliased)))
    assert any(p.code == "yaml-alias" for p in found)


def test_where_checks_item_keys_and_operator_types(tmp_path):
    body = """\
    - id: T-LINKS
      title: Links
      citations: [act-1]
      severity: low
      violation_when:
        all:
          - any_of: t.links
            where: {field: adress, contains: x}
          - {field: t.links, contains: x}
          - {field: t.flag, contains: x}
      finding: x
    """
    found = problems_of(write_ruleset(tmp_path / "rules", rule_file(body)))
    assert [(where(p), p.code) for p in found] == [
        ("rules/us/test.yaml:10:26", "unknown-item-key"),
        ("rules/us/test.yaml:11:28", "bad-operator-use"),
        ("rules/us/test.yaml:12:27", "bad-operator-use"),
    ]
    assert "its items have: text, url, visible" in found[0].message
    assert "any_of: t.links" in found[1].message and "equals: true or false" in found[2].message


def test_cycles_are_errors(tmp_path):
    rules = """\
    - id: T-A
      title: A
      citations: [act-1]
      severity: low
      violation_when: {rule: T-B, status_in: [violation]}
      finding: a
    - id: T-B
      title: B
      citations: [act-1]
      severity: low
      violation_when: {rule: T-A, status_in: [violation]}
      finding: b
    """
    predicates = """\
    predicates:
      p1: {description: one, when: {use: p2}}
      p2: {description: two, when: {use: p1}}
    """
    found = problems_of(write_ruleset(tmp_path / "rules", rule_file(rules), predicates=predicates))
    codes = {(p.code, p.message) for p in found}
    assert ("dependency-cycle", "rule dependency cycle: T-A → T-B → T-A") in codes
    assert ("predicate-cycle", "predicate cycle: p1 → p2 → p1") in codes


def test_every_error_is_reported_not_just_the_first(tmp_path):
    root = write_ruleset(
        tmp_path / "rules",
        {
            "us/a.yaml": rule_file(GOOD_RULE.replace("[act-1]", "[nope]")),
            "us/b.yaml": rule_file(GOOD_RULE.replace("T-ONE", "T-TWO").replace("field: t.text", "field: nope")),
        },
        predicates="predicates:\n  p: {description: d, when: {field: t.text, matches: '['}}\n",
    )
    found = problems_of(root)
    assert {p.code for p in found} == {"unknown-citation", "unknown-field", "invalid-regex"}
    assert {p.file for p in found} == {"rules/us/a.yaml", "rules/us/b.yaml", "rules/predicates.yaml"}


def test_review_when_needs_a_reason(tmp_path):
    body = GOOD_RULE.replace("violation_when", "review_when")
    (problem,) = problems_of(write_ruleset(tmp_path / "rules", rule_file(body)))
    assert problem.code == "missing-key" and "review_reason" in problem.message


def test_yaml_booleans_are_text_where_text_is_expected(tmp_path):
    body = GOOD_RULE.replace("contains: spam", "equals: no")
    ruleset = load_ruleset(write_ruleset(tmp_path / "rules", rule_file(body)))
    assert ruleset.rules[0].violation_when.arg_text == '"no"'


def test_one_file_of_a_ruleset(tmp_path):
    root = write_ruleset(
        tmp_path / "rules",
        {"us/a.yaml": rule_file(GOOD_RULE), "us/b.yaml": rule_file(GOOD_RULE.replace("T-ONE", "T-TWO"))},
    )
    ruleset = load_ruleset(root / "us" / "b.yaml")
    assert ruleset.reported == {"T-TWO"}
    assert {r.id for r in ruleset.rules} == {"T-ONE", "T-TWO"}
    broken = root / "us" / "a.yaml"
    broken.write_text(broken.read_text().replace("[act-1]", "[nope]"))
    assert build_ruleset(root / "us" / "b.yaml").problems == []  # the other file's errors are not this file's


def test_sha256_covers_every_file(tmp_path):
    root = write_ruleset(tmp_path / "rules", rule_file(GOOD_RULE), lists={"words": "description: w\nitems: [a]\n"})
    first = load_ruleset(root).sha256
    assert load_ruleset(root).sha256 == first
    (root / "lists" / "words.yaml").write_text("description: w\nitems: [a, b]\n")
    assert load_ruleset(root).sha256 != first
    os.utime(root / "authorities.yaml")  # touching a file changes nothing
    second = load_ruleset(root).sha256
    assert load_ruleset(root).sha256 == second


def test_inline_test_messages_are_real_rfc5322(tmp_path):
    body = GOOD_RULE + """\
  tests:
    - inline:
        headers: {From: "Zoë <z@example.com>", Subject: "Prix réduits", Received: [one, two]}
        text: plain body
        html: <p>html body</p>
      expect: compliant
"""
    raw = load_ruleset(write_ruleset(tmp_path / "rules", rule_file(body))).rules[0].tests[0].inline
    assert b"\r\n" in raw and raw.isascii()
    parsed = email.message_from_bytes(raw)
    assert str(email.header.make_header(email.header.decode_header(parsed["Subject"]))) == "Prix réduits"
    assert parsed.get_all("Received") == ["one", "two"]
    assert parsed.get_content_type() == "multipart/alternative"


def test_penalty_facts_follow_the_citations(tmp_path):
    body = GOOD_RULE + GOOD_RULE.replace("T-ONE", "T-TWO").replace("[act-1]", "[act-2]")
    ruleset = load_ruleset(write_ruleset(tmp_path / "rules", rule_file(body)))
    one, two = (ruleset.rule(i).penalty["remedies"][0] for i in ("T-ONE", "T-TWO"))
    assert (one["amount"], one["capped"], one["citations"]) == (500, False, ["Act § 1"])
    assert (two["amount"], two["capped"], two["cap"]) == (100, True, 1000)
    assert two["cap_exceptions"] == ["Act § 1"]


def test_a_missing_ruleset_folder(tmp_path):
    (problem,) = problems_of(tmp_path / "nowhere")
    assert problem.code == "missing-file"


def test_missing_authorities_file(tmp_path):
    root = write_ruleset(tmp_path / "rules", rule_file(GOOD_RULE))
    (root / "authorities.yaml").unlink()
    found = problems_of(root)
    assert any(p.code == "missing-file" and p.file == "rules/authorities.yaml" for p in found)


@pytest.mark.parametrize(
    "template",
    [
        "'{{ evidence.__class__.__mro__ }}'",  # no Python internals
        "'{{ quotes.append(1) }}'",  # immutable sandbox
        "'{{ 100000 * \"x\" }}'",  # bounded repetition
        "'{{ 2 ** 64 }}'",
    ],
)
def test_templates_run_sandboxed(tmp_path, template):
    body = GOOD_RULE.replace("finding: Spam found.", f"finding: {template}")
    (problem,) = problems_of(write_ruleset(tmp_path / "rules", rule_file(body)))
    assert problem.code == "template-error"


# ---------------------------------------------------------------- errors a lawyer reads (issue 14)


def test_a_yaml_syntax_error_is_reported_first_alone_and_in_words(tmp_path):
    other = rule_file("""\
        - id: T-TWO
          title: Two
          citations: [act-1]
          severity: low
          violation_when: {rule: T-ONE, status_in: [violation]}
          finding: x
        """)
    broken = rule_file(GOOD_RULE + "  tests:\n    - {inline: {headers: {Subject: a}}, expect: violation}\n"
                       "   - {inline: {headers: {Subject: b}}, expect: compliant}\n")
    root = write_ruleset(tmp_path / "rules", {"us/test.yaml": broken, "us/other.yaml": other})
    (problem,) = problems_of(root)  # no follow-on "unknown rule T-ONE" from the other file
    assert problem.code == "yaml-syntax"
    assert problem.message == ("YAML syntax: line 11, column 6: this list item is indented one space less "
                               "than the items above it (line 10); line them up")
    assert "<block end>" not in problem.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("rules:\n  - id: A\n    title: Opt-out: ten days\n", "a colon followed by a space inside a value"),
        ("rules:\n\t- id: A\n", "a tab character: YAML indents with spaces only"),
        ("rules:\n  - id: A\n    title\n    severity: low\n", "'title' is not followed by a colon"),
        ("rules:\n  - id: 'A\n    title: x\n", "the quote that starts here is never closed"),
        ("rules:\n  - id: A\n    title: x\n     severity: low\n",
         "this line is indented one space more than the line above it (line 3)"),
    ],
)
def test_yaml_syntax_errors_in_words(tmp_path, text, words):
    (problem,) = problems_of(write_ruleset(tmp_path / "rules", {"us/test.yaml": text}))
    assert words in problem.message and "expected" not in problem.message


def test_a_misplaced_key_names_itself(tmp_path):
    body = GOOD_RULE.replace("  finding: Spam found.\n",
                             "  finding:\n    violation: Spam found.\n    evidence: [t.text]\n")
    (problem,) = problems_of(write_ruleset(tmp_path / "rules", rule_file(body)))
    assert problem.code == "misplaced-key"
    assert problem.message == "`evidence` is indented under `finding`; it belongs at the rule's level (lined up with id:)"
    in_test = GOOD_RULE + "  tests:\n    - {inline: {headers: {Subject: a}}, expect: violation, severity: low}\n"
    (problem,) = problems_of(write_ruleset(tmp_path / "b", rule_file(in_test)))
    assert problem.message.startswith("`severity` is indented under rule T-ONE: test 1; it belongs at the rule's level")


def test_an_unknown_operator_lists_the_valid_ones(tmp_path):
    body = GOOD_RULE.replace("contains: spam", "contians: spam")
    (problem,) = problems_of(write_ruleset(tmp_path / "rules", rule_file(body)))
    assert "unknown operator 'contians' (did you mean 'contains'?)" in problem.message
    assert "the operators are equals, equals_any, contains," in problem.message
    assert "less_than" in problem.message and "matches_any" in problem.message


def _verdict(root, **metadata):
    from rules_support import message

    from checker.engine import audit

    ruleset = load_ruleset(root)
    return {f.rule: (str(f.status), f.finding) for f in audit(ruleset, message(**metadata)).findings}


def test_number_operators_and_at_least_beside_field(tmp_path):
    body = GOOD_RULE.replace("{field: t.text, contains: spam}",
                             "{all: [{field: t.num, at_least: 2}, {field: t.num, at_most: 4}, "
                             "{not: {field: t.num, less_than: 3}}]}")
    root = write_ruleset(tmp_path / "rules", rule_file(body))
    assert [_verdict(root, **{"t.num": n})["T-ONE"][0] for n in (2, 3, 4, 5)] == [
        "compliant", "violation", "violation", "compliant"]
    alone = GOOD_RULE.replace("{field: t.text, contains: spam}", "{at_least: 2}")
    (problem,) = problems_of(write_ruleset(tmp_path / "b", rule_file(alone)))
    assert "at_least with a number is an operator and needs a field" in problem.message


def test_named_constants_in_conditions_and_templates(tmp_path):
    text = ("jurisdiction: US\nconstants:\n  MAX_DAYS: 10\n  WORDS: [spam, junk]\nrules:\n"
            + "  - id: T-ONE\n    title: One\n    citations: [act-1]\n    severity: high\n"
            "    violation_when:\n      all:\n        - {field: t.num, greater_than: {constant: MAX_DAYS}}\n"
            "        - {field: t.text, contains_any: {constant: WORDS}}\n"
            "    finding: 'More than {{ constants.MAX_DAYS }} days.'\n")
    root = write_ruleset(tmp_path / "rules", {"us/test.yaml": text})
    assert _verdict(root, **{"t.num": 11, "t.text": "junk"})["T-ONE"] == ("violation", "More than 10 days.")
    assert _verdict(root, **{"t.num": 10, "t.text": "junk"})["T-ONE"][0] == "compliant"
    typo = text.replace("{constant: MAX_DAYS}}", "{constant: MAX_DAY}}")
    (problem,) = problems_of(write_ruleset(tmp_path / "b", {"us/test.yaml": typo}))
    assert "unknown constant 'MAX_DAY' (did you mean 'MAX_DAYS'?)" in problem.message
    bad_template = text.replace("constants.MAX_DAYS }}", "constants.MAX_DAY }}")
    (problem,) = problems_of(write_ruleset(tmp_path / "c", {"us/test.yaml": bad_template}))
    assert problem.code == "template-error" and "MAX_DAY" in problem.message


def test_matches_any_over_a_word_list(tmp_path):
    body = GOOD_RULE.replace("{field: t.text, contains: spam}", "{field: t.text, matches_any: {list: spammy}}")
    lists = {"spammy": "description: d\nitems: ['\\bfree\\b', 'win(ner)?']\n"}
    root = write_ruleset(tmp_path / "rules", rule_file(body), lists=lists)
    assert _verdict(root, **{"t.text": "a winner"})["T-ONE"][0] == "violation"
    assert _verdict(root, **{"t.text": "freedom"})["T-ONE"][0] == "compliant"


def test_a_state_definition_is_a_predicate_of_its_own_rule_file(tmp_path):
    state = ("jurisdiction: OK\npredicates:\n  ok_commercial:\n    description: Okla. § 776.5(5)\n"
             "    when: {field: t.text, contains: sale}\nrules:\n"
             "  - id: OK-ONE\n    title: One\n    citations: [act-1]\n    severity: high\n"
             "    violation_when: {use: ok_commercial}\n    finding: x\n")
    other = rule_file(GOOD_RULE.replace("{field: t.text, contains: spam}", "{use: ok_commercial}"))
    root = write_ruleset(tmp_path / "rules", {"us-ok/776.yaml": state})
    assert _verdict(root, **{"t.text": "big sale"})["OK-ONE"][0] == "violation"
    both = write_ruleset(tmp_path / "b", {"us-ok/776.yaml": state, "us/test.yaml": other})
    (problem,) = problems_of(both)
    assert problem.message == ("unknown predicate 'ok_commercial'; 'ok_commercial' is defined in "
                               "b/us-ok/776.yaml and only the rules of b/us-ok/ can use it")
    # another file of the state's own folder (its rule set) sees it
    sibling = rule_file(GOOD_RULE.replace("T-ONE", "OK-TWO").replace(
        "{field: t.text, contains: spam}", "{use: ok_commercial}"), jurisdiction="OK")
    folder = write_ruleset(tmp_path / "c", {"us-ok/776.yaml": state, "us-ok/776-2.yaml": sibling})
    assert _verdict(folder, **{"t.text": "big sale"})["OK-TWO"][0] == "violation"


def test_a_remedy_amount_to_verify(tmp_path):
    from rules_support import AUTHORITIES

    authorities = AUTHORITIES.replace("    amount: 100\n", "    amount: verify\n").replace(
        "    amount_for: {act-1: 500}\n", "")
    ruleset = load_ruleset(write_ruleset(tmp_path / "rules", rule_file(GOOD_RULE), authorities=authorities))
    (remedy,) = ruleset.rules[0].penalty["remedies"]
    assert remedy["amount"] is None and remedy["amount_to_verify"] is True
    wrong = AUTHORITIES.replace("    amount: 100\n", "    amount: unknown\n")
    (problem,) = problems_of(write_ruleset(tmp_path / "b", rule_file(GOOD_RULE), authorities=wrong))
    assert "amount must be a number, or verify when it is not yet known" in problem.message


# ------------------------------------------------------------------ libyaml for loading

ROOT = Path(__file__).resolve().parents[1]
TRICKY_YAML = [
    "a: 'it''s'\nb: \"tab\\there é ü 中文\"\nc: |\n  line one\n  line two\nd: >\n  folded\n  text\n",
    "- id: X\r\n  when: {field: subject, matches: '(?i)free'}\r\n  date: 2004-01-01\r\n  n: 3\r\n  f: 1.5\r\n",
    "key: [a, b, {c: d}]\nempty:\nnull_value: ~\nyes_value: yes\nstamp: 2004-01-01 10:00:00\n",
    "k: v\nk: w\n",  # duplicate key: reported at the second one's position
    "base: &a {x: 1}\nother: *a\n",  # alias: refused at its position
    "t: !custom 1\n",  # tag: refused
    "a: 1\n---\nb: 2\n",  # two documents
    "  - x\n - y\n",  # a syntax error: the pure parser's words and position
    "title: Opt-out: ten days\n",
    "é: 'unterminated\n",
]


def _shape(node):
    from checker.ruleset.yaml_loader import YMap, YScalar, YSeq

    where = (node.pos.line, node.pos.col) if node is not None else None
    if isinstance(node, YMap):
        return ("map", where, [(k, _shape(key), _shape(v)) for k, (key, v) in node.entries.items()])
    if isinstance(node, YSeq):
        return ("seq", where, [_shape(item) for item in node.items])
    if isinstance(node, YScalar):
        return ("scalar", where, repr(node.value), node.text, node.style)
    return None


def _loaded(data: bytes, fast: bool):
    from checker.ruleset.yaml_loader import load_yaml_bytes

    node, problems = load_yaml_bytes(data, "f.yaml", fast=fast)
    return _shape(node), [str(p) for p in problems]


@pytest.mark.parametrize("path", sorted([*ROOT.glob("rules/**/*.yaml"), *ROOT.glob("cases/**/*.yaml")]),
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_libyaml_loads_every_shipped_file_exactly_as_the_pure_parser(path):
    data = path.read_bytes()
    assert _loaded(data, fast=True) == _loaded(data, fast=False)


@pytest.mark.parametrize("text", TRICKY_YAML)
def test_libyaml_gives_the_same_values_positions_and_problems_as_the_pure_parser(text):
    assert _loaded(text.encode(), fast=True) == _loaded(text.encode(), fast=False)


def test_a_syntax_error_met_while_loading_reads_as_lint_says_it(tmp_path):
    root = write_ruleset(tmp_path, {"us/bad.yaml": "- id: T-ONE\n  title: Opt-out: ten days\n"})
    loaded = [str(p) for p in problems_of(root)]
    linted = [str(p) for p in build_ruleset(root).errors]
    assert loaded == linted and any("line 2" in p for p in loaded)
