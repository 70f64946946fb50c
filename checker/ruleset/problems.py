"""One problem type for every message about a ruleset: YAML syntax, structure, names,
templates, and the linter's warnings. Each one points at `file:line:col` (1-based)."""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    col: int
    message: str
    level: str = ERROR  # "error" | "warning"
    code: str = ""  # the validator id, e.g. "unknown-key"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.level}: {self.message} [{self.code}]"

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "level": self.level,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True)
class Pos:
    """Where something was written: display path and 1-based line and column."""

    file: str
    line: int = 1
    col: int = 1

    def problem(self, message: str, code: str, level: str = ERROR) -> Problem:
        return Problem(self.file, self.line, self.col, message, level, code)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class RulesetError(Exception):
    """The ruleset did not load. `problems` holds every error found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        errors = [p for p in self.problems if p.level == ERROR]
        first = str(errors[0]) if errors else "no details"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"the ruleset has errors: {first}{more}")
