"""Output formats of `spamlaw audit`. One explicit table; `Formatter` is the base class."""

from __future__ import annotations

from checker.formatters.base import Formatter, RulesetInfo, Summary
from checker.formatters.json import JsonFormatter, JsonLinesFormatter
from checker.formatters.text import TextFormatter

FORMATTERS: dict[str, type[Formatter]] = {
    "text": TextFormatter,
    "json": JsonFormatter,
    "jsonl": JsonLinesFormatter,
}

__all__ = ["FORMATTERS", "Formatter", "RulesetInfo", "Summary"]
