"""Where the shipped `rules/` and `templates/` live.

From a checkout (editable install) they sit beside the `checker` package; from a built
wheel they are packaged as `checker/_data/rules` and `checker/_data/templates`.
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


def project_root() -> Path:
    """The checkout root (meaningful only for an editable install)."""
    return _PACKAGE_DIR.parent
