"""The exit-code table, one meaning per code (documented in `spamlaw --help` and README)."""

OK = 0            # nothing at or above --fail-on
FINDINGS = 1      # findings at or above --fail-on (or failing rule tests)
USAGE = 2         # usage or input error (bad path, unreadable input, bad option)
RULE_ERRORS = 3   # the ruleset does not load or lint with errors

TABLE = {
    OK: "success; nothing at or above --fail-on",
    FINDINGS: "findings at or above --fail-on (audit), failing tests (rules test)",
    USAGE: "usage or input error",
    RULE_ERRORS: "rule errors: the ruleset failed to load or lint",
}
