"""Where the shipped `rules/`, `templates/`, `samples/` and `cases/` live.

From a checkout (editable install) they sit beside the `checker` package; from a built
wheel they are packaged as `checker/_data/<name>` (pyproject's force-include), so in
both places `rules/` has `samples/` and `cases/` as siblings.

Rule tests name their message and case files relative to the rule set: see
`sample_file_candidates` for where a name such as `samples/can-spam/x.eml` is looked for.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    packaged = _PACKAGE_DIR / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE_DIR.parent / name


def rules_dir() -> Path:
    """The shipped ruleset directory."""
    return _data_dir("rules")


def templates_dir() -> Path:
    """The shipped Jinja2 templates directory."""
    return _data_dir("templates")


def shipped_root() -> Path:
    """The folder holding the shipped rules/, samples/ and cases/ (the checkout root, or
    checker/_data in a wheel)."""
    return rules_dir().parent


def project_root() -> Path:
    """The checkout root (meaningful only for an editable install)."""
    return _PACKAGE_DIR.parent


def sample_file_candidates(ruleset_root: Path, name: str) -> list[Path]:
    """Where a rule test's `message:` or `case:` file NAME is looked for, in order:

    1. inside the rule set's own folder (counsel's folder may carry samples/ and cases/);
    2. beside the rule set (the checkout and the wheel: rules/ next to samples/);
    3. beside the shipped rules (a copy of the shipped rules keeps finding the shipped
       samples its tests name).
    """
    out: list[Path] = []
    for base in (ruleset_root, ruleset_root.parent, shipped_root()):
        candidate = (base / name).resolve() if base.exists() else base / name
        if candidate not in out:
            out.append(candidate)
    return out


def find_sample_file(ruleset_root: Path, name: str) -> tuple[Path | None, list[Path]]:
    """The first existing candidate for NAME (or None) and every place looked."""
    candidates = sample_file_candidates(ruleset_root, name)
    for candidate in candidates:
        if candidate.is_file():
            return candidate, candidates
    return None, candidates
