"""`spamlaw rules new ID --jurisdiction XX`: a new rule file that lints and passes as is.

Writes, inside the rule set folder DIR (created if needed):

    DIR/authorities.yaml            only when DIR has none: a placeholder citation
    DIR/schema.json                 only when DIR has none: editor completion
    DIR/<jurisdiction>/<id>.yaml    the rule: schema modeline, commented skeleton, two tests
    DIR/samples/<id>/violation.eml  a message the rule finds a violation in
    DIR/samples/<id>/compliant.eml  a message it finds compliant

The skeleton's logic is a placeholder (a message without a Subject line) that counsel
replaces; its status is draft and its citation names itself as a placeholder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from checker.ruleset.compile import AUTHORITIES_FILE, RULE_ID, SCHEMA_FILE

JURISDICTION = re.compile(r"^[A-Za-z]{2,10}$")


class ScaffoldError(Exception):
    """The rule cannot be scaffolded; the message says why."""


@dataclass(frozen=True)
class Scaffold:
    rule_file: Path
    written: tuple[Path, ...]
    citation: str


def folder_for(jurisdiction: str) -> str:
    code = jurisdiction.lower()
    return "us" if code == "us" else code if code == "policy" else f"us-{code}"


def new_rule(rule_id: str, jurisdiction: str, root: Path) -> Scaffold:
    if not RULE_ID.match(rule_id):
        raise ScaffoldError(f"rule id {rule_id!r}: use upper-case letters, digits, '-', '_' or '.' (e.g. OK-776-6)")
    if not JURISDICTION.match(jurisdiction):
        raise ScaffoldError(f"--jurisdiction {jurisdiction!r}: US, a state code such as OK, or policy")
    jurisdiction = jurisdiction.upper() if jurisdiction.lower() != "policy" else "policy"
    slug = rule_id.lower()
    rule_path = root / folder_for(jurisdiction) / f"{slug}.yaml"
    samples = root / "samples" / slug
    if rule_path.exists():
        raise ScaffoldError(f"{rule_path} already exists")
    _refuse_known_id(root, rule_id)
    written: list[Path] = []
    citation = f"{slug}-citation"
    authorities = root / AUTHORITIES_FILE
    if not authorities.exists():
        _write(authorities, AUTHORITIES.format(citation=citation, jurisdiction=jurisdiction), written)
    else:
        citation = _existing_or_appended(authorities, citation, jurisdiction)
    schema = root / SCHEMA_FILE
    if not schema.exists():
        from checker.ruleset.schema import schema_text

        _write(schema, schema_text(), written)
    depth = len(rule_path.relative_to(root).parts) - 1
    modeline = "../" * depth + SCHEMA_FILE
    _write(rule_path, RULE.format(modeline=modeline, id=rule_id, jurisdiction=jurisdiction,
                                  citation=citation, slug=slug), written)
    _write(samples / "violation.eml", VIOLATION, written)
    _write(samples / "compliant.eml", COMPLIANT, written)
    return Scaffold(rule_path, tuple(written), citation)


def _refuse_known_id(root: Path, rule_id: str) -> None:
    if not (root / AUTHORITIES_FILE).is_file():
        return
    from checker.ruleset.compile import build_ruleset

    build = build_ruleset(root)
    if build.ruleset is not None and any(r.id == rule_id for r in build.ruleset.rules):
        raise ScaffoldError(f"the rule set {root} already has a rule {rule_id}")


def _existing_or_appended(authorities: Path, citation: str, jurisdiction: str) -> str:
    """Append a placeholder authority under the file's `authorities:` when that is the
    last top-level key (checked by reloading); otherwise ask counsel to add one."""
    from checker.ruleset.yaml_loader import YMap, load_yaml_bytes

    text = authorities.read_text(encoding="utf-8")
    node, problems = load_yaml_bytes(text.encode(), str(authorities))
    if problems or not isinstance(node, YMap) or "authorities" not in node:
        raise ScaffoldError(f"{authorities} does not load; run spamlaw rules lint first")
    entries = node.get("authorities")
    if isinstance(entries, YMap) and citation in entries:
        return citation
    if list(node.entries)[-1] != "authorities" or not isinstance(entries, YMap) or not entries.entries:
        raise ScaffoldError(f"add an authority {citation!r} to {authorities} (under authorities:) and run this again")
    indent = entries.pos.col - 1
    block = AUTHORITY.format(citation=citation, jurisdiction=jurisdiction)
    block = "".join(" " * indent + line if line.strip() else line for line in block.splitlines(True))
    updated = text.rstrip("\n") + "\n" + block
    check, problems = load_yaml_bytes(updated.encode(), str(authorities))
    if problems or not isinstance(check, YMap) or citation not in check.get("authorities").entries:
        raise ScaffoldError(f"add an authority {citation!r} to {authorities} (under authorities:) and run this again")
    authorities.write_text(updated, encoding="utf-8")
    return citation


def _write(path: Path, text: str, written: list[Path]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    written.append(path)


AUTHORITY = """\
{citation}:
  # TODO: the provision as a court cites it, its title, and where its text is read.
  citation: "TODO: cite the provision (placeholder made by spamlaw rules new)"
  title: TODO the provision's subject
  jurisdiction: {jurisdiction}
  # url: https://...
  # remedies: [a remedy key from remedies:]
"""

AUTHORITIES = """\
# yaml-language-server: $schema=schema.json
# The citation registry: every citation a rule names, and the penalty facts (remedies)
# a violation supports. See docs/rule-language.md.
description: Citations of this rule set.
remedies: {{}}
authorities:
""" + "".join("  " + line if line.strip() else line for line in AUTHORITY.splitlines(True))

RULE = """\
# yaml-language-server: $schema={modeline}
# A new rule made by `spamlaw rules new`. It lints and its tests pass as is; replace each
# TODO with counsel's reading, then run:
#   spamlaw rules lint --rules DIR       (load errors and warnings)
#   spamlaw rules test --rules DIR       (the tests below)
#   spamlaw rules explain {id} MESSAGE --rules DIR
jurisdiction: {jurisdiction}
rules:
  - id: {id}
    title: TODO one line naming the requirement (placeholder - a message without a subject line)
    description: >-
      TODO the elements of the provision, what the rule can and cannot see, and why any
      outcome is needs_review rather than violation.
    citations: [{citation}]
    severity: medium
    status: draft
    version: 1
    # effective: {{from: 2004-01-01}}          # first day the provision is in force
    # requires:                               # gates: not_applicable, with a reason
    #   - when: {{use: commercial}}
    #     otherwise: the message is not commercial
    # applies_when: {{field: from.address, exists: true}}
    # review_when: {{...}}                      # needs_review, with review_reason:
    violation_when:
      not: {{field: subject, not_empty: true}}
    finding: >-
      TODO the finding sentence a court reads: the message has no subject line.
    # evidence: [from.raw, date.raw]
    tests:
      - name: the placeholder violation
        message: samples/{slug}/violation.eml
        expect: violation
      - name: a compliant message
        message: samples/{slug}/compliant.eml
        expect: compliant
"""

VIOLATION = """\
From: Sender <sender@example.com>
To: recipient@example.org
Date: Mon, 02 Jun 2025 10:00:00 +0000
Message-ID: <violation@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

TODO: a message that breaks the rule (this one has no subject line).
"""

COMPLIANT = """\
From: Sender <sender@example.com>
To: recipient@example.org
Subject: A message that follows the rule
Date: Mon, 02 Jun 2025 10:00:00 +0000
Message-ID: <compliant@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

TODO: a message that follows the rule.
"""
