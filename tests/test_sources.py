"""Tests for checker.sources: every input shape gives items with exact bytes and hashes,
and every bad input gives an error item (count in = count out)."""

from __future__ import annotations

import base64
import hashlib
import io
import mailbox
import os
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.sources import SourceItem, count_sources, iter_sources

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
ENVELOPE = b"From sender@example.com Thu Aug 22 13:17:22 2002\n"
BOUNDARY = "part1_13d.2e68ed54_boundary"


def make_message(subject: str = "Hello", body: str = "Body line.\n", eol: str = "\n") -> bytes:
    lines = [
        "From: Sender <sender@example.com>",
        "To: trap@example.org",
        f"Subject: {subject}",
        "Date: Thu, 22 Aug 2002 13:17:22 +0000",
        f"Message-ID: <{subject.replace(' ', '.')}@example.com>",
        "",
        body,
    ]
    return eol.join(lines).replace("\n", eol).encode()


def make_mbox(*messages: bytes, envelope: bytes = ENVELOPE) -> bytes:
    """What an mbox writer stores: envelope line, message, blank separator line."""
    return b"".join(envelope + m + (b"" if m.endswith(b"\n") else b"\n") + b"\n" for m in messages)


def make_arf(
    original: bytes | None,
    *,
    kind: str = "message/rfc822",
    encoding: str | None = None,
    eol: str = "\n",
    recipients: tuple[str, ...] = ("<trap1@example.org>", "<trap2@example.org>"),
) -> bytes:
    """An RFC 5965 feedback report (modelled on the RFC's appendix B example)."""
    header = [
        "From: <abuse@isp.example>",
        "To: <abuse@sender.example>",
        "Subject: FW: complaint about message from 192.0.2.1",
        "Date: Thu, 8 Mar 2005 17:40:36 EDT",
        "Message-ID: <report-1@isp.example>",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=feedback-report;\n\tboundary="{BOUNDARY}"',
        "",
        "This is a multi-part message in MIME format.",
        f"--{BOUNDARY}",
        'Content-Type: text/plain; charset="US-ASCII"',
        "",
        "This is an email abuse report for an email message received from IP",
        "192.0.2.1 on Thu, 8 Mar 2005 14:00:00 EDT.",
        "",
        f"--{BOUNDARY}",
        "Content-Type: message/feedback-report",
        "",
        "Feedback-Type: abuse",
        "User-Agent: SomeGenerator/1.0",
        "Version: 1",
        "Original-Mail-From: <somespammer@example.net>",
        *(f"Original-Rcpt-To: {rcpt}" for rcpt in recipients),
        "Arrival-Date: Thu, 8 Mar 2005 14:00:00 EDT",
        "Reported-Domain: example.net",
        "Source-IP: 192.0.2.1",
        "",
    ]
    text = "\n".join(header).replace("\n", eol).encode()
    if original is None:
        return text + f"--{BOUNDARY}--{eol}".encode()
    part_header = [f"--{BOUNDARY}", f"Content-Type: {kind}", "Content-Disposition: inline"]
    if encoding == "base64":
        part_header.append("Content-Transfer-Encoding: base64")
        payload = base64.encodebytes(original).replace(b"\n", eol.encode())
    else:
        payload = original
    text += (eol.join(part_header) + eol + eol).encode() + payload
    # The line break before a delimiter belongs to the delimiter (RFC 2046 5.1.1).
    return text + f"{eol}--{BOUNDARY}--{eol}".encode()


def collect(*inputs, **kwargs) -> list[SourceItem]:
    return list(iter_sources([str(i) for i in inputs], **kwargs))


def assert_consistent(items: list[SourceItem]) -> None:
    for item in items:
        assert item.sha256 == hashlib.sha256(item.raw).hexdigest()
        assert item.size == len(item.raw)
        if item.error is not None:
            assert item.raw == b"" and "\n" not in item.error and item.error.strip()
            assert not item.error.startswith("internal error"), item.error  # a bug, not input
        else:
            assert item.raw


# --- single messages ------------------------------------------------------------------


def test_single_eml_is_yielded_with_its_exact_bytes(tmp_path):
    raw = make_message(body="Caf\xe9\r\nbare\rCR\n")
    path = tmp_path / "one.eml"
    path.write_bytes(raw)
    [item] = collect(path)
    assert (item.source_id, item.raw, item.error) == (str(path), raw, None)
    assert item.sha256 == hashlib.sha256(raw).hexdigest() and item.size == len(raw)
    assert item.metadata == {"format": "eml", "path": str(path)}
    message = item.message()
    assert message.parsed["Subject"] == "Hello" and message.source_id == str(path)


def test_eml_with_one_envelope_line_is_one_message_hashed_as_stored(tmp_path):
    stored = ENVELOPE + make_message()
    path = tmp_path / "with-envelope.eml"
    path.write_bytes(stored)
    [item] = collect(path)
    assert item.source_id == str(path) and item.raw == stored
    assert item.metadata["format"] == "eml"
    assert item.metadata["envelope_from"] == ENVELOPE.decode().rstrip("\n")
    assert item.message().parsed.get_unixfrom() == ENVELOPE.decode().rstrip("\n")


def test_error_item_refuses_to_become_a_message(tmp_path):
    [item] = collect(tmp_path / "missing.eml")
    with pytest.raises(ValueError, match="not found"):
        item.message()


# --- mbox -----------------------------------------------------------------------------


def test_mbox_detected_by_content_without_extension(tmp_path):
    messages = [make_message(f"number {n}") for n in (1, 2, 3)]
    path = tmp_path / "inbox"
    stored = make_mbox(*messages)
    path.write_bytes(stored)
    items = collect(path)
    assert [i.source_id for i in items] == [f"{path}#{n}" for n in (1, 2, 3)]
    assert [i.raw for i in items] == messages
    for n, item in enumerate(items, start=1):
        assert item.metadata["format"] == "mbox" and item.metadata["index"] == n
        assert item.metadata["envelope_from"] == ENVELOPE.decode().rstrip("\n")
        offset = item.metadata["mbox_offset"]
        assert stored[offset : offset + item.size] == item.raw  # a byte range of the file
    assert count_sources([path]) == 3


def test_mbox_matches_python_mailbox_round_trip(tmp_path):
    originals = [
        make_message("plain"),
        make_message("quoted", body="Hi\n\nFrom the desk of the CEO: buy now.\n"),
        make_message("crlf", eol="\r\n"),
        make_message("no final newline", body="last line"),
        make_message("ends with blank", body="text\n\n"),
    ]
    path = tmp_path / "python.mbox"
    box = mailbox.mbox(str(path))
    for raw in originals:
        box.add(raw)
    box.close()
    items = collect(path)
    expected = [mailbox.mbox(str(path)).get_bytes(key) for key in range(len(originals))]
    assert [i.raw for i in items] == expected
    assert items[0].raw == originals[0] and items[2].raw == originals[2]
    assert items[4].raw == originals[4]  # its own trailing blank line is kept
    assert b"\n>From the desk" in items[1].raw  # the writer quoted it; kept by default


def test_from_line_splits_only_after_blank_line_and_when_it_looks_like_an_envelope(tmp_path):
    body = "Para\n\nFrom here on, prices rise.\nFrom x Thu Aug 22 13:17:22 2002\n"
    first = make_message("one", body=body)
    second = make_message("two")
    path = tmp_path / "box.mbox"
    path.write_bytes(make_mbox(first, second))
    items = collect(path)
    assert [i.raw for i in items] == [first, second]


def test_crlf_mbox_and_missing_final_blank_line(tmp_path):
    first, second = make_message("a", eol="\r\n"), make_message("b", eol="\r\n")
    envelope = ENVELOPE.replace(b"\n", b"\r\n")
    stored = envelope + first + b"\r\n" + envelope + second  # no separator at the end
    path = tmp_path / "crlf.mbox"
    path.write_bytes(stored)
    assert [i.raw for i in collect(path)] == [first, second]


def test_mbox_named_file_with_one_message_keeps_mbox_ids(tmp_path):
    raw = make_message()
    path = tmp_path / "single.mbox"
    path.write_bytes(make_mbox(raw))
    [item] = collect(path)
    assert item.source_id == f"{path}#1" and item.raw == raw and item.metadata["format"] == "mbox"


@pytest.mark.parametrize(
    ("mode", "expected_lines"),
    [
        ("none", [b">From a", b">>From b", b">>>From c"]),
        ("mboxrd", [b"From a", b">From b", b">>From c"]),
        ("mboxo", [b"From a", b">>From b", b">>>From c"]),
    ],
)
def test_from_unquoting_modes(tmp_path, mode, expected_lines):
    body = "Text\n>From a\n>>From b\n>>>From c\n"
    path = tmp_path / "quoted.mbox"
    path.write_bytes(make_mbox(make_message(body=body), make_message("other")))
    first = collect(path, mbox_unescape=mode)[0]
    assert first.raw.splitlines()[-3:] == expected_lines
    assert first.metadata["mbox_unescape"] == mode
    assert first.sha256 == hashlib.sha256(first.raw).hexdigest()


def test_unknown_unquoting_mode_is_a_usage_error():
    with pytest.raises(ValueError, match="mbox_unescape"):
        list(iter_sources([], mbox_unescape="guess"))


def test_large_mbox_is_split_and_only_the_oversized_message_is_an_error(tmp_path):
    small = [make_message(f"small {n}") for n in range(4)]
    big = make_message("big", body="x" * 2000 + "\n")
    path = tmp_path / "mixed.mbox"
    path.write_bytes(make_mbox(small[0], small[1], big, small[2], small[3]))
    assert path.stat().st_size > 1000  # over the limit, so the file is memory-mapped
    items = collect(path, max_bytes=1000)
    too_large = "too large: 2.1 KB > 1000 bytes limit"
    assert [i.error for i in items] == [None, None, too_large, None, None]
    assert [i.raw for i in items if i.error is None] == small
    assert items[2].source_id == f"{path}#3"


def test_empty_and_junk_messages_inside_an_mbox_are_error_items(tmp_path):
    good = make_message()
    stored = ENVELOPE + b"\n" + ENVELOPE + b"%PDF-1.4 junk\n\n" + ENVELOPE + good + b"\n"
    path = tmp_path / "odd.mbox"
    path.write_bytes(stored)
    items = collect(path)
    assert [i.error for i in items] == [
        "empty message",
        "not an email message (no header lines)",
        None,
    ]
    assert items[2].raw == good and count_sources([path]) == 3


# --- folders and Maildir --------------------------------------------------------------


def test_folder_is_recursive_sorted_by_path_parts_and_skips_hidden(tmp_path):
    names = ["b/2.eml", "a.eml", "a/z/1.eml", "b.eml", "A.eml", "10.eml", "9.eml", "a/0.eml"]
    for name in reversed(names):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(make_message(name))
    (tmp_path / ".hidden.eml").write_bytes(make_message("hidden"))
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.eml").write_bytes(make_message("in hidden dir"))
    items = collect(tmp_path)
    expected = sorted((tmp_path / n for n in names), key=lambda p: p.relative_to(tmp_path).parts)
    assert [i.source_id for i in items] == [str(p) for p in expected]
    assert [i.message().parsed["Subject"] for i in items] == [
        str(p.relative_to(tmp_path)) for p in expected
    ]
    assert [i.source_id for i in collect(tmp_path)] == [i.source_id for i in items]
    assert count_sources([tmp_path]) == len(names)


def test_non_message_file_in_folder_is_an_error_item_not_dropped(tmp_path):
    (tmp_path / "1.eml").write_bytes(make_message())
    (tmp_path / "MANIFEST.tsv").write_bytes(b"set\tfile\tbytes\nspam\t1.eml\t100\n")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "notes.txt").write_bytes(b"Note: this is not mail\nat all\n")
    items = collect(tmp_path)
    assert [(Path(i.source_id).name, i.error) for i in items] == [
        ("1.eml", None),
        ("MANIFEST.tsv", "not an email message (no header lines)"),
        ("image.png", "not an email message (no header lines)"),
        (
            "notes.txt",
            "not an email message (no From, To, Subject, Date, Message-ID or Received header)",
        ),
    ]


def make_maildir(root: Path) -> None:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    (root / "cur" / "1000.A.host:2,S").write_bytes(make_message("seen"))
    (root / "cur" / "1001.B.host:2,").write_bytes(make_message("unflagged"))
    (root / "new" / "1002.C.host").write_bytes(make_message("new"))
    (root / "tmp" / "1003.D.host").write_bytes(b"half-delivered")
    (root / "dovecot-uidlist").write_bytes(b"3 V1 N4\n")
    (root / "maildirfolder").write_bytes(b"")


def test_maildir_reads_cur_and_new_and_maildirplusplus_subfolders(tmp_path):
    root = tmp_path / "Maildir"
    make_maildir(root)
    make_maildir(root / ".Spam")
    (root / ".Trash").mkdir()  # hidden, not a Maildir: skipped
    (root / ".Trash" / "x").write_bytes(make_message("trash"))
    items = collect(root)
    assert [i.message().parsed["Subject"] for i in items] == ["seen", "unflagged", "new"] * 2
    assert [i.metadata["maildir_subdir"] for i in items] == ["cur", "cur", "new"] * 2
    assert [i.metadata["maildir_flags"] for i in items[:3]] == ["S", "", ""]
    assert items[0].source_id == str(root / ".Spam" / "cur" / "1000.A.host:2,S")
    assert all(i.metadata["format"] == "maildir" and i.error is None for i in items)
    assert count_sources([root]) == 6


def test_maildir_without_tmp_is_still_a_maildir(tmp_path):
    make_maildir(tmp_path / "box")
    (tmp_path / "box" / "tmp" / "1003.D.host").unlink()
    (tmp_path / "box" / "tmp").rmdir()
    items = collect(tmp_path)
    assert len(items) == 3 and all(i.metadata["format"] == "maildir" for i in items)


def test_symlink_loop_does_not_hang(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "1.eml").write_bytes(make_message())
    (tmp_path / "a" / "loop").symlink_to(tmp_path)
    items = collect(tmp_path)
    assert [i.source_id for i in items] == [str(tmp_path / "a" / "1.eml")]


# --- ARF ------------------------------------------------------------------------------


def test_arf_yields_the_embedded_original_with_feedback_metadata(tmp_path):
    original = ENVELOPE + make_message("Cheap meds", body="Buy\n\n>From us\n")
    report = make_arf(original)
    path = tmp_path / "report.eml"
    path.write_bytes(report)
    [item] = collect(path)
    assert item.error is None and item.source_id == str(path)
    assert item.raw == original and item.sha256 == hashlib.sha256(original).hexdigest()
    assert item.metadata["format"] == "arf" and item.metadata["container_format"] == "eml"
    arf = item.metadata["arf"]
    assert arf["feedback_type"] == "abuse"
    assert arf["arrival_date"] == "Thu, 8 Mar 2005 14:00:00 EDT"
    assert arf["source_ip"] == "192.0.2.1"
    assert arf["original_rcpt_to"] == ["<trap1@example.org>", "<trap2@example.org>"]
    assert arf["original_mail_from"] == "<somespammer@example.net>"
    assert arf["reported_domain"] == ["example.net"]
    assert arf["user_agent"] == "SomeGenerator/1.0" and arf["version"] == "1"
    assert arf["report_sha256"] == hashlib.sha256(report).hexdigest()
    assert arf["original_kind"] == "message/rfc822"
    assert item.message().parsed["Subject"] == "Cheap meds"


def test_arf_with_rfc822_headers_only_and_crlf(tmp_path):
    headers = make_message("Headers only", body="", eol="\r\n")
    report = make_arf(headers, kind="text/rfc822-headers", eol="\r\n")
    path = tmp_path / "headers.eml"
    path.write_bytes(report)
    [item] = collect(path)
    assert item.error is None and item.raw == headers
    assert item.metadata["arf"]["original_kind"] == "text/rfc822-headers"
    assert item.metadata["arf"]["feedback_type"] == "abuse"


def test_arf_with_base64_original_is_decoded(tmp_path):
    original = make_message("Encoded", body="caf\xe9 \u20ac\n")
    path = tmp_path / "b64.eml"
    path.write_bytes(make_arf(original, encoding="base64"))
    [item] = collect(path)
    assert item.error is None and item.raw == original


def test_arf_without_original_is_an_error_with_the_feedback_kept(tmp_path):
    path = tmp_path / "bare.eml"
    path.write_bytes(make_arf(None))
    [item] = collect(path)
    assert item.error == "ARF report without the original message"
    assert item.metadata["arf"]["source_ip"] == "192.0.2.1"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda report: report.replace(f"--{BOUNDARY}".encode(), b"--elsewhere"),
        lambda report: report.replace(b'boundary="', b'boundary="\xff'),  # 8-bit boundary
        lambda report: report.replace(b"boundary=", b"x-boundary="),
    ],
    ids=["no-delimiters", "8bit-boundary", "no-boundary"],
)
def test_arf_whose_parts_cannot_be_found_reports_the_missing_original(mangle):
    report = mangle(make_arf(make_message()))
    [item] = collect("-", stdin=io.BytesIO(report))
    assert item.error == "ARF report without the original message"


@settings(max_examples=200, deadline=None)
@given(
    cut=st.integers(min_value=0, max_value=2000),
    length=st.integers(min_value=0, max_value=60),
    insert=st.sampled_from([b"", b"\n", b"\r\n", b"--", b"Content-Transfer-Encoding: base64\n", b"\xff\x00"]),
    encoding=st.sampled_from([None, "base64"]),
)
def test_damaged_arf_reports_never_raise(cut, length, insert, encoding):
    report = make_arf(make_message(), encoding=encoding)
    cut %= len(report)
    damaged = report[:cut] + insert + report[cut + length :]
    items = collect("-", stdin=io.BytesIO(damaged))
    assert len(items) == 1
    assert_consistent(items)


def test_other_multipart_report_is_an_ordinary_message(tmp_path):
    bounce = make_arf(make_message()).replace(b"feedback-report;", b"delivery-status;")
    path = tmp_path / "bounce.eml"
    path.write_bytes(bounce)
    [item] = collect(path)
    assert item.raw == bounce and item.metadata["format"] == "eml"


def test_arf_reports_inside_an_mbox_and_on_stdin(tmp_path):
    original = make_message("reported")
    stored = make_mbox(make_message("plain"), make_arf(original))
    path = tmp_path / "reports"
    path.write_bytes(stored)
    items = collect(path)
    assert [i.metadata["format"] for i in items] == ["mbox", "arf"]
    assert items[1].raw == original and items[1].source_id == f"{path}#2"
    assert items[1].metadata["container_format"] == "mbox"
    [from_stdin] = collect("-", stdin=io.BytesIO(make_arf(original)))
    assert from_stdin.raw == original and from_stdin.metadata["container_format"] == "stdin"


# --- stdin ----------------------------------------------------------------------------


def test_stdin_single_message():
    raw = make_message()
    [item] = collect("-", stdin=io.BytesIO(raw))
    assert (item.source_id, item.raw, item.metadata["format"]) == ("-", raw, "stdin")


def test_stdin_mbox_gets_numbered_ids():
    messages = [make_message("x"), make_message("y")]
    items = collect("-", stdin=io.BytesIO(make_mbox(*messages)))
    assert [i.source_id for i in items] == ["-#1", "-#2"]
    assert [i.raw for i in items] == messages


def test_stdin_mbox_larger_than_the_limit_is_spooled_and_split():
    messages = [make_message(f"m{n}") for n in range(20)]
    stored = make_mbox(*messages)
    items = collect("-", stdin=io.BytesIO(stored), max_bytes=len(stored) // 4)
    assert [i.raw for i in items] == messages


def test_stdin_errors():
    assert [i.error for i in collect("-", stdin=io.BytesIO(b""))] == ["empty input"]
    [big] = collect("-", stdin=io.BytesIO(make_message(body="x" * 5000)), max_bytes=1024)
    assert big.error.startswith("too large: ") and big.error.endswith("> 1.0 KB limit")
    assert count_sources(["-"]) is None


# --- errors ---------------------------------------------------------------------------


def test_missing_empty_and_too_large_inputs(tmp_path):
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    large = tmp_path / "large.eml"
    large.write_bytes(make_message(body="y" * 3 * 1024 * 1024))
    missing = tmp_path / "nope.eml"
    items = collect(missing, empty, large, max_bytes=2 * 1024 * 1024)
    assert [(i.source_id, i.error) for i in items] == [
        (str(missing), "not found: no such file or directory"),
        (str(empty), "empty file"),
        (str(large), "too large: 3.0 MB > 2 MB limit"),
    ]
    assert_consistent(items)


def test_oversized_file_is_not_read(tmp_path):
    huge = tmp_path / "huge.eml"
    with open(huge, "wb") as handle:  # sparse: 8 GiB that reading would take minutes
        handle.write(make_message())
        handle.truncate(8 * 1024**3)
    started = time.monotonic()
    [item] = collect(huge)
    assert item.error == "too large: 8192 MB > 50 MB limit"
    assert time.monotonic() - started < 5


def test_permission_denied_file_and_folder(tmp_path, monkeypatch):
    secret = tmp_path / "secret.eml"
    secret.write_bytes(make_message())
    closed = tmp_path / "closed"
    closed.mkdir()
    real_open, real_scandir = open, os.scandir

    def deny_open(path, *args, **kwargs):
        if str(path) == str(secret):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    def deny_scandir(path="."):
        if str(path) == str(closed):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr("builtins.open", deny_open)  # works when the tests run as root
    monkeypatch.setattr(os, "scandir", deny_scandir)
    items = collect(secret, closed, tmp_path)
    assert [(i.source_id, i.error) for i in items] == [
        (str(secret), "unreadable: Permission denied"),
        (str(closed), "unreadable folder: Permission denied"),
        (str(closed), "unreadable folder: Permission denied"),
        (str(secret), "unreadable: Permission denied"),
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read files whatever their mode")
def test_permission_denied_for_real(tmp_path):
    secret = tmp_path / "secret.eml"
    secret.write_bytes(make_message())
    secret.chmod(0)
    assert [i.error for i in collect(secret)] == ["unreadable: Permission denied"]


def test_empty_folder_broken_link_and_fifo_are_reported(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".DS_Store").write_bytes(b"x")
    full = tmp_path / "full"
    full.mkdir()
    (full / "dangling").symlink_to(tmp_path / "gone")
    os.mkfifo(full / "pipe")
    items = collect(empty, full)
    assert [(i.source_id, i.error) for i in items] == [
        (str(empty), "no message files found in folder"),
        (str(full / "dangling"), "broken symbolic link"),
        (str(full / "pipe"), "not a regular file"),
    ]
    assert count_sources([empty, full]) == 3


def test_count_in_equals_count_out_for_mixed_inputs(tmp_path):
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "a.eml").write_bytes(make_message())
    (tmp_path / "dir" / "junk.bin").write_bytes(os.urandom(300))
    (tmp_path / "box").write_bytes(make_mbox(make_message("1"), make_message("2"), b""))
    (tmp_path / "arf.eml").write_bytes(make_arf(make_message()))
    (tmp_path / "empty").write_bytes(b"")
    inputs = [tmp_path / n for n in ("dir", "box", "arf.eml", "empty", "missing")]
    items = collect(*inputs)
    assert len(items) == count_sources(inputs) == 2 + 3 + 1 + 1 + 1
    for name in inputs:
        assert any(i.source_id.startswith(str(name)) for i in items)
    assert_consistent(items)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.sampled_from([b"", ENVELOPE, b"Subject: x\n", b"From: a@b\n\n"]),
    data=st.binary(max_size=600),
    separators=st.lists(st.sampled_from([b"\n\n" + ENVELOPE, b"\r\n", b"\n>From ", b"\n"])),
)
def test_random_bytes_never_raise_and_always_give_an_item(prefix, data, separators):
    stored = prefix + data + b"".join(separators) + data[:50]
    items = collect("-", stdin=io.BytesIO(stored), max_bytes=500)
    assert items
    assert_consistent(items)
    assert all(i.source_id == "-" or re.fullmatch(r"-#\d+", i.source_id) for i in items)


# --- the real corpus ------------------------------------------------------------------

needs_corpus = pytest.mark.skipif(
    not (CORPUS / "spamassassin").is_dir(), reason=f"real corpus not found at {CORPUS}"
)


def eml_bytes_after_envelope(path: Path) -> bytes:
    raw = path.read_bytes()
    return raw.split(b"\n", 1)[1] if raw.startswith(b"From ") else raw


@pytest.mark.corpus
@needs_corpus
def test_corpus_folders_yield_every_message_without_error():
    expected = {"easy_ham": 2500, "easy_ham_2": 1400, "hard_ham": 250, "spam": 500, "spam_2": 1396}
    total = 0
    for name, count in expected.items():
        folder = CORPUS / "spamassassin" / name
        items = collect(folder)
        assert len(items) == count == count_sources([folder])
        assert [i.error for i in items if i.error] == []
        assert [i.source_id for i in items] == sorted(str(p) for p in folder.iterdir())
        for item in items[:: max(1, count // 50)]:
            assert item.raw == Path(item.source_id).read_bytes()
        total += len(items)
    assert total == 6046


@pytest.mark.corpus
@needs_corpus
def test_corpus_root_reports_the_manifest_instead_of_dropping_it():
    items = collect(CORPUS / "spamassassin")
    assert len(items) == 6047
    assert [(Path(i.source_id).name, i.error) for i in items if i.error] == [
        ("MANIFEST.tsv", "not an email message (no header lines)")
    ]


@pytest.mark.corpus
@needs_corpus
def test_corpus_mbox_is_byte_identical_to_the_eml_files():
    by_hash = {}
    for path in sorted((CORPUS / "spamassassin").glob("spam*/*.eml")):
        by_hash[hashlib.sha256(eml_bytes_after_envelope(path)).hexdigest()] = path
    mbox_path = CORPUS / "spamassassin-spam.mbox"
    items = collect(mbox_path)
    assert len(items) == 1896 == count_sources([mbox_path])
    assert [i.error for i in items if i.error] == []
    matched = [by_hash.get(i.sha256) for i in items]
    assert None not in matched and len(set(matched)) == 1896
    for item, path in zip(items, matched, strict=True):
        assert item.raw == eml_bytes_after_envelope(path)

    # mboxrd unquoting would rewrite exactly the messages with original ">From " lines.
    quoted = re.compile(rb"(?m)^>+From ")
    unquoted = collect(mbox_path, mbox_unescape="mboxrd")
    changed = {a.source_id for a, b in zip(items, unquoted, strict=True) if a.raw != b.raw}
    assert changed == {i.source_id for i in items if quoted.search(i.raw)}
    assert len(changed) == 25
