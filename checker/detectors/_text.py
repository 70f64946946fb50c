"""Helpers shared by the detectors: text sources, evidence spans, domains, word lists.

A detector never sees a `Message`: it gets `TextSource`s (a named text field, whether the
reader sees it, and why not) and plain dicts, so it can be tested on strings. The thin
registration functions at the bottom of each detector module build those inputs from the
message fields named in the field contract.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

# Spam bodies can be megabytes of repeated filler; the notices and addresses a rule cares
# about sit in the first screens or the footer, so each text is scanned head and tail only.
MAX_SCAN_CHARS = 200_000
# An evidence quote is the exact text between start and end; keep spans short enough to
# read in a findings table.
MAX_SPAN_CHARS = 400


@dataclass(frozen=True)
class TextSource:
    """One text a detector searches: `field` names it for evidence (`body.visible_text`,
    `body.hidden_text[2].text`, `links[3].text`, `subject`)."""

    field: str
    text: str
    visible: bool = True
    hidden_reason: str | None = None


def span(field: str, text: str, start: int, end: int) -> dict[str, Any]:
    """An evidence span: `quote` is exactly `text[start:end]` (clipped to MAX_SPAN_CHARS)."""
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text), start + MAX_SPAN_CHARS))
    return {"field": field, "start": start, "end": end, "quote": text[start:end]}


def whole(field: str, text: str | None) -> dict[str, Any]:
    """A span covering a (short) header value from its first character."""
    text = text or ""
    return span(field, text, 0, len(text))


def scan_regions(text: str) -> list[tuple[int, int]]:
    """(start, end) bounds covering the text, or only its head and tail when huge."""
    if len(text) <= MAX_SCAN_CHARS:
        return [(0, len(text))]
    half = MAX_SCAN_CHARS // 2
    return [(0, half), (len(text) - half, len(text))]


# Lowercase for ASCII, Latin, Greek and Cyrillic letters, one character for one character,
# so offsets into the folded text are offsets into the original (str.lower() can change
# the length). Scanners' lowercase triggers are looked up in the folded text: a script
# left out here would hide its upper-case words ("ДЕНЬГИ") from every trigger.
_FOLD = {
    code: ord(chr(code).lower())
    for code in [*range(0x250), *range(0x370, 0x530)]
    if len(chr(code).lower()) == 1 and chr(code).lower() != chr(code)
}


@lru_cache(maxsize=32)
def fold(text: str) -> str:
    return text.translate(_FOLD)


SCANNERS: list[Scanner] = []


def trie_regex(literals: Iterable[str], special: dict[str, str] | None = None) -> str:
    """A regex matching any of `literals`, factored by common prefixes (`a(?:dult|nal)`):
    `re` tries alternatives one by one, so a flat list of 90 words costs 90 tries per
    character while the factored form costs a few. `special` maps a character to the regex
    it stands for (e.g. " " to any whitespace)."""
    special = special or {}
    trie: dict = {}
    for literal in literals:
        node = trie
        for char in literal:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [special.get(char, re.escape(char)) + build(child)
                    for char, child in sorted(node.items()) if char]
        optional = "" in node
        if not branches:
            return ""
        if len(branches) == 1 and not optional:
            return branches[0]
        return "(?:" + "|".join(branches) + ")" + ("?" if optional else "")

    return build(trie) or "(?!x)x"


class Scanner:
    """A regex that runs only near its trigger substrings.

    Python's `re` tries every branch of a big alternation at every position, which made a
    corpus run take minutes. Every match of `pattern` must contain at least one of
    `triggers` (lowercase literal substrings of the folded text); the pattern then runs
    only in windows around them: `before` characters before a trigger and `after` after
    it, overlapping windows merged. The triggers of all scanners are found together in
    one pass per text (`TextScan`), and a scanner's matches in a text are computed once
    and shared by every detector that asks (see `found_spans`).
    `tests/test_detector_text.py` checks on every scanner that the result equals a plain
    scan.
    """

    MAX_TRIGGER_HITS = 400  # more than this: scan the whole region instead

    def __init__(self, pattern: str | re.Pattern[str], triggers: Iterable[str],
                 flags: int = re.IGNORECASE, before: int = 100, after: int = 140):
        self.pattern = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern, flags)
        self.triggers = tuple(sorted({fold(t) for t in triggers if t}, key=lambda t: (-len(t), t)))
        if not self.triggers:
            raise ValueError("a Scanner needs at least one trigger")
        self.before, self.after = before, after
        self.index = len(SCANNERS)
        SCANNERS.append(self)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return (match for _, _, match in text_scan(text).spans(self))

    def windows(self, text: str) -> list[tuple[int, int]]:
        """The (start, end) bounds the pattern runs in (for tests and diagnostics)."""
        return text_scan(text).windows(self)


def _trigger_automaton():
    """One Aho-Corasick automaton over the triggers of every scanner built so far: each
    trigger maps to (its length, the indices of the scanners that use it)."""
    import ahocorasick

    owners: dict[str, list[int]] = {}
    for scanner in SCANNERS:
        for trigger in scanner.triggers:
            owners.setdefault(trigger, []).append(scanner.index)
    automaton = ahocorasick.Automaton()
    for trigger, indices in owners.items():
        automaton.add_word(trigger, (len(trigger), tuple(indices)))
    automaton.make_automaton()
    return automaton


_AUTOMATON: list[Any] = [None, 0]  # [automaton, number of scanners it covers]


def _automaton():
    if _AUTOMATON[1] != len(SCANNERS):  # scanners built later (e.g. from word lists)
        _AUTOMATON[:] = [_trigger_automaton(), len(SCANNERS)]
    return _AUTOMATON[0]


class TextScan:
    """What the scanners find in one text, computed once and shared by the detectors.

    `windows` are exactly those a scanner running its own trigger search would use:
    per region, the non-overlapping trigger occurrences a left-to-right search finds
    (the longest trigger at each position), each widened by the scanner's `before` and
    `after`, overlapping windows merged; more than MAX_TRIGGER_HITS occurrences: the
    whole region."""

    def __init__(self, text: str):
        self.text = text
        self._windows: dict[int, list[tuple[int, int]]] | None = None
        self._covered = 0
        self._spans: dict[int, list[tuple[int, int, re.Match[str]]]] = {}

    def windows(self, scanner: Scanner) -> list[tuple[int, int]]:
        if self._windows is None or scanner.index >= self._covered:
            self._windows = self._all_windows()
            self._covered = len(SCANNERS)
        return self._windows.get(scanner.index, [])

    def spans(self, scanner: Scanner) -> list[tuple[int, int, re.Match[str]]]:
        found = self._spans.get(scanner.index)
        if found is None:
            finditer, text = scanner.pattern.finditer, self.text
            found = [(m.start(), m.end(), m) for lo, hi in self.windows(scanner)
                     for m in finditer(text, lo, hi)]
            self._spans[scanner.index] = found
        return found

    def _all_windows(self) -> dict[int, list[tuple[int, int]]]:
        folded, automaton = fold(self.text), _automaton()
        out: dict[int, list[tuple[int, int]]] = {}
        for lo, hi in scan_regions(self.text):
            hits: dict[int, list[tuple[int, int]]] = {}
            for end, (length, owners) in automaton.iter(folded, lo, hi):
                start = end - length + 1
                for index in owners:
                    hits.setdefault(index, []).append((start, -length))
            for index, found in hits.items():
                out.setdefault(index, []).extend(_merge(SCANNERS[index], found, lo, hi))
        return out


def _merge(scanner: Scanner, hits: list[tuple[int, int]], lo: int, hi: int) -> list[tuple[int, int]]:
    """Windows from trigger occurrences (start, -length): the longest at each position,
    then left to right without overlap, as `re.finditer` over the triggers would pick."""
    hits.sort()
    merged: list[tuple[int, int]] = []
    before, after = scanner.before, scanner.after
    stop, count = -1, 0
    for start, negative_length in hits:
        if start < stop:
            continue
        stop = start - negative_length
        count += 1
        if count > scanner.MAX_TRIGGER_HITS:
            return [(lo, hi)]
        window_start, window_end = max(lo, start - before), min(hi, stop + after)
        if merged and window_start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], window_end)
        else:
            merged.append((window_start, window_end))
    return merged


@lru_cache(maxsize=16)
def text_scan(text: str) -> TextScan:
    """The shared scan of `text` (the few texts of the message being audited stay cached)."""
    return TextScan(text)


def found_spans(
    pattern: re.Pattern[str] | Scanner, text: str
) -> Iterator[tuple[int, int, re.Match[str]]]:
    """(start, end, match) for each match in the scanned regions (absolute offsets)."""
    if isinstance(pattern, Scanner):
        return iter(text_scan(text).spans(pattern))
    return ((m.start(), m.end(), m) for lo, hi in scan_regions(text)
            for m in pattern.finditer(text, lo, hi))


class Literals:
    """A set of literal strings and one question: does a text contain any of them?
    (Aho-Corasick, one pass in C: a cheap necessary condition before an expensive regex.)"""

    def __init__(self, literals: Iterable[str]):
        import ahocorasick

        self._automaton = ahocorasick.Automaton()
        for literal in {lit for lit in literals if lit}:
            self._automaton.add_word(literal, literal)
        self._automaton.make_automaton()

    def found_in(self, text: str) -> bool:
        return next(self._automaton.iter(text), None) is not None


@lru_cache(maxsize=16)
def cached_spans(pattern: re.Pattern[str], text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of each match of a plain regex in the scanned regions, computed once
    per text (for patterns several detectors or several calls need)."""
    return tuple((start, end) for start, end, _ in found_spans(pattern, text))


def window(text: str, start: int, end: int, before: int, after: int) -> tuple[int, str]:
    """(offset, text) around a match: `before` chars before it and `after` chars after."""
    lo = max(0, start - before)
    return lo, text[lo : min(len(text), end + after)]


def clean(text: str) -> str:
    """One line, single spaces (for `text` keys that summarise a multi-line span)."""
    return " ".join(text.split())


# ------------------------------------------------------------------- domains

# Second-level labels under which registrations happen (co.uk, com.au, ne.jp ...). A short
# built-in list, not the Public Suffix List: enough to tell related from unrelated hosts.
_SECOND_LEVEL = frozenset(
    "co com net org gov edu ac or ne go gob mil nom ltd plc sch".split()
)


def registrable_domain(host: str | None) -> str | None:
    """The organisational part of a host name: `mx3.mail.example.co.uk` -> `example.co.uk`.

    None for empty values, IP literals and names without a dot."""
    if not host:
        return None
    host = host.strip().strip(".[]<>").lower()
    labels = [label for label in host.split(".") if label]
    if len(labels) < 2 or all(label.isdigit() for label in labels):
        return None
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def related(host_a: str | None, host_b: str | None) -> bool:
    """Whether two host names share an organisational domain."""
    a, b = registrable_domain(host_a), registrable_domain(host_b)
    return a is not None and a == b


def domain_of(address: str | None) -> str | None:
    if not address or "@" not in address:
        return None
    return address.rsplit("@", 1)[1].strip(" <>.").lower() or None


# ------------------------------------------------------------------- word lists


def lists_dir() -> Path:
    from checker.paths import rules_dir

    return rules_dir() / "lists"


class ListFileError(Exception):
    """A word list the detectors need is missing or malformed."""


@lru_cache(maxsize=64)
def word_list(name: str) -> tuple[str, ...]:
    """The entries of `rules/lists/<name>.yaml` (the rule lists' format: a mapping with
    `description`, `kind`, `used_by` and `items`). Counsel edit these files; they ship with
    the rules, so a missing file is an installation error, reported, never an empty list
    (an empty list would silently turn detections off)."""
    path = lists_dir() / f"{name}.yaml"
    import yaml

    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as exc:
        raise ListFileError(f"{path}: cannot read word list {name!r}: {exc}") from None
    items = data.get("items") if isinstance(data, dict) else None
    entries = tuple(_entry_text(item) for item in items or [] if _entry_text(item))
    if not entries:
        raise ListFileError(f"{path}: word list {name!r} has no items")
    return entries


def _entry_text(item: Any) -> str:
    if isinstance(item, dict):
        item = item.get("value", item.get("word", item.get("name", "")))
    return str(item).strip() if item is not None else ""


def words_pattern(words: Iterable[str]) -> Scanner:
    """A case-insensitive whole-word scanner for a word list.

    An entry may use `*` for "any word characters" (`masturbat*`); spaces match any run of
    whitespace or hyphens; other characters are literal. Each entry's first word is its
    trigger."""
    entries = sorted({" ".join(w.lower().split()) for w in words if w.strip()})
    if not entries:
        return Scanner(r"(?!x)x", ["x"])
    body = trie_regex(entries, {" ": r"[\s\-]+", "*": r"\w*"})
    triggers = [re.split(r"[ *]", entry)[0] or entry for entry in entries]
    return Scanner(r"(?<!\w)" + body + r"(?!\w)", triggers)


# ------------------------------------------------------------------- message inputs
# The registration layer of every detector reads message fields by their contract names
# here, so a renamed field is fixed in one place. A missing field raises (KeyError from
# the registry): a detector must never answer "no opt-out found" because its input
# field did not exist.


def body_sources(msg: Any) -> list[TextSource]:
    """The visible body text, then each hidden text run, as the reader would (not) see them."""
    sources = [TextSource("body.visible_text", msg.get("body.visible_text") or "")]
    for i, run in enumerate(msg.get("body.hidden_text") or []):
        sources.append(
            TextSource(
                f"body.hidden_text[{i}].text",
                run.get("text") or "",
                visible=False,
                hidden_reason=run.get("reason") or "hidden",
            )
        )
    return sources + picture_sources(msg)


def picture_sources(msg: Any) -> list[TextSource]:
    """The text read by OCR from each picture the message carries (what its reader sees)."""
    return [TextSource(f"body.image_text[{i}].text", picture.get("text") or "")
            for i, picture in enumerate(msg.get("body.image_text") or [])]


def describe_searched(sources: list[TextSource]) -> str:
    """What a search for something absent covered, as a phrase for a finding:
    'the visible text (1,234 characters) and 2 hidden text runs (56 characters)'."""
    pictures = [s for s in sources if s.field.startswith("body.image_text")]
    visible = [s for s in sources if s.visible and s not in pictures]
    hidden = [s for s in sources if not s.visible]
    parts = [f"the visible text ({sum(len(s.text) for s in visible):,} characters)"]
    if hidden:
        runs = "run" if len(hidden) == 1 else "runs"
        parts.append(f"{len(hidden)} hidden text {runs} ({sum(len(s.text) for s in hidden):,} characters)")
    else:
        parts.append("no hidden text")
    if pictures:
        parts[-1:] = [parts[-1], f"the text read from {len(pictures)} picture(s) "
                                 f"({sum(len(s.text) for s in pictures):,} characters)"]
        return ", ".join(parts[:-1]) + " and " + parts[-1]
    return " and ".join(parts)


def message_links(msg: Any) -> list[dict[str, Any]]:
    return list(msg.get("links") or [])


def case_setting(msg: Any, name: str, default: Any) -> Any:
    """A case setting (`trusted_hops`, `trusted_authserv_ids`) from `msg.metadata["case"]`,
    which is a `checker.case.CaseSettings` or, in tests, a plain dict."""
    case = (getattr(msg, "metadata", None) or {}).get("case")
    if case is None:
        return default
    if isinstance(case, dict):
        return case.get(name, default)
    return getattr(case, name, default)
