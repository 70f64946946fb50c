"""The detectors' shared helpers: spans, folding, the trigger scanner, domains, lists."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import checker.detectors  # noqa: F401  (builds every scanner)
from checker.detectors import _text
from checker.detectors._text import (
    SCANNERS,
    ListFileError,
    Scanner,
    TextSource,
    fold,
    found_spans,
    registrable_domain,
    related,
    scan_regions,
    span,
    trie_regex,
    word_list,
    words_pattern,
)
from checker.detectors.adult import patterns as adult_patterns

SNIPPETS = [
    "To be removed from our list reply with REMOVE in the subject.",
    "Save up to 70% on Life Insurance! Only $9.95 per month. Call 1-800-555-1212 now.",
    "ORDER NOW and get FREE shipping. Click here to order. 50% off clearance sale!",
    "This is NOT spam. You are receiving this e-mail because you opted in.",
    "Transfer of the sum of US$25,600,000 to a foreign account, strictest confidence.",
    "Thank you for your order. Your order has shipped; tracking number 1Z999.",
    "Write to 123 Main Street, Springfield, IL 62704 or P.O. Box 77, Boston, MA 02101.",
    "ÉCRIVEZ-NOUS: désinscription gratuite — Straße 12, 10115 Berlin; 無料 広告 수신거부",
    "If you no longer wish to receive these emails, take you off our mailing list.",
    "Hot teens! XXX porn, live sex cams. Barely legal amateur videos. Masturbation.",
    "This is an advertisement. ADVERTISEMENT. Promotional message. Sponsored content.",
    "",
    # Words a trigger once missed: a hyphen, a word no trigger named, upper-case Cyrillic.
    "Enter our give-away! Buy from our online pharmacy. Our company produces widgets. ДЕНЬГИ!",
]


@pytest.fixture(scope="module", autouse=True)
def _all_scanners():
    adult_patterns()  # the adult scanners are built on first use


def plain(scanner: Scanner, text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for lo, hi in scan_regions(text)
            for m in scanner.pattern.finditer(text, lo, hi)]


def windowed(scanner: Scanner, text: str) -> list[tuple[int, int]]:
    return [(s, e) for s, e, _ in found_spans(scanner, text)]


@pytest.mark.parametrize("text", SNIPPETS)
def test_every_scanner_finds_what_a_plain_scan_finds(text):
    for scanner in SCANNERS:
        assert windowed(scanner, text) == plain(scanner, text), scanner.pattern.pattern[:80]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(SNIPPETS + [" ", "\n", "$5", "remove", "x" * 300]), max_size=12))
def test_scanners_agree_with_plain_scans_on_mixed_text(parts):
    text = " ".join(parts)
    for scanner in SCANNERS:
        assert windowed(scanner, text) == plain(scanner, text)


def test_a_scanner_that_finds_many_triggers_scans_the_whole_text():
    scanner = Scanner(r"\bbuy\s+now\b", ["buy"])
    text = "buy " * (Scanner.MAX_TRIGGER_HITS + 5) + "buy now"
    assert windowed(scanner, text) == plain(scanner, text) != []


@given(st.text(max_size=200))
def test_fold_keeps_every_offset(text):
    folded = fold(text)
    assert len(folded) == len(text)
    assert all(a == b or a.lower() == b for a, b in zip(text, folded, strict=True))


def test_fold_lowercases_ascii_latin_greek_and_cyrillic_letters():
    assert fold("ÀÉÎ Straße ĞİŞ Ωmega ДЕНЬГИ 中文") == "àéî straße ğİş ωmega деньги 中文"  # İ would grow


def test_trie_regex_matches_exactly_its_literals():
    words = ["an", "anal", "adult", "b", "porn", "porno", "a.b"]
    pattern = re.compile(f"^(?:{trie_regex(words)})$")
    assert all(pattern.match(w) for w in words)
    assert not any(pattern.match(w) for w in ["a", "ana", "pornos", "axb", ""])


def test_words_pattern_matches_whole_words_phrases_and_stems():
    scanner = words_pattern(["oral sex", "masturbat*", "sex", "hard-core"])
    text = "Sussex ORAL  SEX masturbating sexy sex hard-core"
    found = [m.group(0) for _, _, m in found_spans(scanner, text)]
    assert found == ["ORAL  SEX", "masturbating", "sex", "hard-core"]


def test_span_quote_is_exactly_the_text_and_is_clipped():
    text = "a" * 1000
    record = span("body.visible_text", text, 10, 900)
    assert record["quote"] == text[record["start"] : record["end"]]
    assert record["end"] - record["start"] == _text.MAX_SPAN_CHARS
    assert span("subject", "abc", -5, 99) == {"field": "subject", "start": 0, "end": 3,
                                              "quote": "abc"}


def test_huge_texts_are_scanned_head_and_tail_only():
    text = "x" * (_text.MAX_SCAN_CHARS * 2)
    regions = scan_regions(text)
    assert regions[0][0] == 0 and regions[-1][1] == len(text)
    assert sum(hi - lo for lo, hi in regions) == _text.MAX_SCAN_CHARS


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("mx3.mail.example.co.uk", "example.co.uk"),
        ("smtp.Example.COM.", "example.com"),
        ("example.com", "example.com"),
        ("localhost", None),
        ("192.0.2.1", None),
        ("[192.0.2.1]", None),
        ("", None),
        (None, None),
    ],
)
def test_registrable_domain(host, expected):
    assert registrable_domain(host) == expected


def test_related_hosts_share_an_organisational_domain():
    assert related("mail.yahoo.com", "web13708.mail.yahoo.com")
    assert not related("yahoo.com.evil.example", "yahoo.com")
    assert not related(None, "example.com")


def test_word_list_reads_the_rule_list_format(tmp_path, monkeypatch):
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "demo.yaml").write_text(
        "description: demo\nkind: values\nused_by: tests\nitems:\n  - alpha\n  - ' beta '\n"
    )
    (tmp_path / "lists" / "empty.yaml").write_text("description: empty\nitems: []\n")
    monkeypatch.setattr(_text, "lists_dir", lambda: tmp_path / "lists")
    word_list.cache_clear()
    try:
        assert word_list("demo") == ("alpha", "beta")
        # A missing or empty list is an error, never "no words" (that would silently turn
        # a detection off).
        with pytest.raises(ListFileError, match="absent"):
            word_list("absent")
        with pytest.raises(ListFileError, match="no items"):
            word_list("empty")
    finally:
        word_list.cache_clear()


def test_shipped_lists_load_and_say_who_uses_them():
    import yaml

    for name in ("adult_strong", "adult_weak", "brands", "free_mail_domains",
                 "transactional_subject_phrases"):
        assert word_list(name), name
        data = yaml.safe_load((_text.lists_dir() / f"{name}.yaml").read_text(encoding="utf-8"))
        assert "checker/detectors/" in data["used_by"]


def test_text_source_defaults_to_visible():
    assert TextSource("subject", "x").visible is True


@pytest.mark.slow
@pytest.mark.corpus
def test_every_scanner_finds_on_real_spam_what_a_plain_scan_finds():
    # The trigger prefilter must never hide a match: a missing trigger or an unfolded
    # script is a silent miss that no hand-written snippet shows.
    from checker.message import Message
    from tests.detector_support import corpus_dir

    for path in sorted(corpus_dir("spam").glob("*.eml")):
        msg = Message(path.read_bytes(), source_id=str(path))
        for text in (msg.get("body.visible_text") or "", msg.get("subject") or ""):
            for scanner in SCANNERS:
                assert windowed(scanner, text) == plain(scanner, text), (path.name, scanner.pattern.pattern[:80])
