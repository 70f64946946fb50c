"""`spamlaw rules ...` through Typer's runner: output and every exit code."""

from __future__ import annotations

import json

import pytest
from rules_support import register_fake_fields, rule_file, unregister, write_ruleset
from typer.testing import CliRunner

from checker.cli import app
from checker.paths import project_root
from checker.ruleset.schema import schema_text

SAMPLES = project_root() / "samples"

RULE = """\
- id: T-CLI
  title: Subject mentions spam
  citations: [act-2]
  severity: medium
  violation_when: {field: subject, contains: spam}
  finding: 'The subject "{{ subject }}" mentions spam.'
  tests:
    - {inline: {headers: {Subject: spam offer}}, expect: violation}
    - {inline: {headers: {Subject: hello}}, expect: compliant}
"""


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    names = register_fake_fields()
    yield CliRunner()
    unregister(names)


def invoke(runner, *args):
    return runner.invoke(app, ["rules", *args])


def ruleset(tmp_path, rules=RULE, **kwargs):
    return str(write_ruleset(tmp_path / "rules", rule_file(rules), **kwargs))


def test_lint_of_the_shipped_rules_is_clean(runner):
    result = invoke(runner, "lint")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("0 error(s), 0 warning(s) in ")


def test_lint_errors_exit_3_with_positions(runner, tmp_path):
    result = invoke(runner, "lint", ruleset(tmp_path, RULE.replace("[act-2]", "[act-7]")))
    assert result.exit_code == 3
    assert "rules/us/test.yaml:5:17: error: unknown citation 'act-7'" in result.output
    assert "1 error(s)" in result.output


def test_lint_warnings_pass_unless_strict(runner, tmp_path):
    path = ruleset(tmp_path, RULE.replace("expect: compliant", "expect: violation"))
    lenient = invoke(runner, "lint", path)
    assert lenient.exit_code == 0 and "warning: rule T-CLI has no test that expects compliant" in lenient.output
    assert invoke(runner, "lint", "--strict", path).exit_code == 3


def test_lint_json(runner, tmp_path):
    result = invoke(runner, "lint", "--format", "json", ruleset(tmp_path, RULE.replace("[act-2]", "[act-7]")))
    data = json.loads(result.output)
    assert [(p["line"], p["col"], p["code"]) for p in data["problems"]] == [(5, 17, "unknown-citation")]


def test_missing_path_is_a_usage_error(runner):
    for command in ("lint", "test", "list"):
        result = invoke(runner, command, "no/such/rules")
        assert result.exit_code == 2 and "no such file or directory" in result.output


def test_test_of_the_shipped_rules_passes(runner):
    result = invoke(runner, "test")
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output.splitlines()[-1]


def test_test_reports_each_result_and_fails_with_1(runner, tmp_path):
    failing = RULE.replace("{Subject: hello}}, expect: compliant", "{Subject: hello}}, expect: violation")
    result = invoke(runner, "test", ruleset(tmp_path, failing))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "rules/us/test.yaml:10:9: PASS T-CLI test 1 (inline message #1): violation"
    assert lines[1] == "rules/us/test.yaml:11:9: FAIL T-CLI test 2 (inline message #2): expected violation, got compliant"
    assert lines[-1] == "2 tests of 1 rules: 1 passed, 1 failed"


def test_todo_tests_report_but_do_not_fail(runner, tmp_path):
    todo = RULE.replace("{Subject: hello}}, expect: compliant}", "{Subject: hello}}, expect: violation, todo: true}")
    result = invoke(runner, "test", ruleset(tmp_path, todo))
    assert result.exit_code == 0
    assert "TODO T-CLI test 2" in result.output and "1 todo" in result.output


def test_test_exits_3_when_the_rules_do_not_load(runner, tmp_path):
    result = invoke(runner, "test", ruleset(tmp_path, RULE.replace("contains:", "containz:")))
    assert result.exit_code == 3 and "unknown operator 'containz'" in result.output


def test_test_evidence_expectations(runner, tmp_path):
    rules = RULE.replace(
        "{inline: {headers: {Subject: spam offer}}, expect: violation}",
        "{inline: {headers: {Subject: spam offer}}, expect: violation, expect_evidence: [{field: subject, quote: Spam}]}",
    )
    result = invoke(runner, "test", ruleset(tmp_path, rules))
    assert result.exit_code == 1 and "no evidence with field='subject', quote='Spam'" in result.output


def test_list(runner):
    result = invoke(runner, "list")
    assert result.exit_code == 0
    assert result.output.splitlines()[0].split() == ["ID", "JURISDICTION", "SEVERITY", "STATUS", "TESTS", "CITATIONS"]
    row = next(line for line in result.output.splitlines() if line.startswith("CANSPAM-OPT-OUT-MISSING "))
    assert "US" in row and "high" in row and "15 U.S.C. § 7704(a)(3);" in row
    data = json.loads(invoke(runner, "list", "--format", "json", "--jurisdiction", "MA").output)
    assert [r["id"] for r in data["rules"]] == ["MA-93A-CANSPAM"]
    assert len(data["ruleset_sha256"]) == 64


def test_explain(runner):
    sample = str(SAMPLES / "can-spam" / "no-opt-out.eml")
    result = invoke(runner, "explain", "CANSPAM-OPT-OUT-MISSING", sample)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("CANSPAM-OPT-OUT-MISSING: violation")
    assert 'opt_out.status equals "none": TRUE' in result.output
    assert "use shows_pictures: FALSE" in result.output
    data = json.loads(invoke(runner, "explain", "--format", "json", "CANSPAM-OPT-OUT-MISSING", sample).output)
    assert data["label"] == "CANSPAM-OPT-OUT-MISSING: violation"


def test_explain_usage_errors(runner):
    sample = str(SAMPLES / "can-spam" / "no-opt-out.eml")
    unknown = invoke(runner, "explain", "CANSPAM-OPT-OUT-MISING", sample)
    assert unknown.exit_code == 2 and "did you mean CANSPAM-OPT-OUT-MISSING" in unknown.output
    assert invoke(runner, "explain", "CANSPAM-OPT-OUT-MISSING", "nope.eml").exit_code == 2


def test_schema(runner, tmp_path):
    result = invoke(runner, "schema")
    assert result.exit_code == 0 and result.output == schema_text()
    target = tmp_path / "schema.json"
    assert invoke(runner, "schema", "-o", str(target)).exit_code == 0
    assert target.read_text(encoding="utf-8") == schema_text()


def _pdf_text(path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


def test_book_renders_every_rule_id_and_citation_with_the_hash_on_every_page(runner, tmp_path):
    second = RULE.replace("T-CLI", "T-CLI-TWO").replace("[act-2]", "[act-1, act-2]").replace(
        "violation_when: {field: subject, contains: spam}",
        "violation_when: {all: [{field: subject, contains: spam}, {not: {field: t.num, less_than: 3}}]}")
    path = ruleset(tmp_path, RULE + second)
    out = tmp_path / "rulebook.pdf"
    result = invoke(runner, "book", "--rules", path, "--out", str(out))
    assert result.exit_code == 0, result.output
    from pypdf import PdfReader

    from checker.ruleset import load_ruleset

    shipped = load_ruleset(tmp_path / "rules")
    pages = [page.extract_text() for page in PdfReader(str(out)).pages]
    text = "\n".join(pages)
    for rule in shipped.rules:
        assert rule.id in text
        for citation in rule.citation_texts:
            assert citation in text
    assert all(f"Ruleset SHA-256 {shipped.sha256}" in " ".join(page.split()) for page in pages)
    assert "Index by citation" in text and "Violation when:" in text
    assert 'subject contains "spam"' in text and "t.num is less than 3" in text  # elements in words
    assert "The subject \"{{ subject }}\" mentions spam." in text  # the outcome wording as written
    assert "USD 500 per message" in text  # the penalty


def test_book_html_and_its_errors(runner, tmp_path):
    out = tmp_path / "book.html"
    result = invoke(runner, "book", "--rules", ruleset(tmp_path), "--out", str(out), "--format", "html")
    assert result.exit_code == 0, result.output
    assert "T-CLI" in out.read_text(encoding="utf-8")
    bad = invoke(runner, "book", "--out", str(out), "--format", "docx")
    assert bad.exit_code == 2 and "spamlaw rules book: error: --format must be pdf or html" in bad.output
    nowhere = invoke(runner, "book", "--rules", ruleset(tmp_path), "--out", str(tmp_path / "no" / "b.html"),
                     "--format", "html")
    assert nowhere.exit_code == 2 and "spamlaw rules book: error: --out " in nowhere.output


@pytest.mark.slow
def test_book_of_the_shipped_rules_names_every_rule_and_citation(runner, tmp_path):
    from checker.ruleset import load_ruleset

    out = tmp_path / "rulebook.pdf"
    assert invoke(runner, "book", "--out", str(out)).exit_code == 0
    text = "".join(_pdf_text(out).split())  # a table cell may wrap a citation anywhere
    shipped = load_ruleset()
    for rule in shipped.reported_rules:
        assert rule.id in text
        for citation in rule.citation_texts:
            assert "".join(citation.split()) in text, citation
