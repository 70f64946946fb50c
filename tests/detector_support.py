"""Shared helpers for the detector tests: messages built in code and an evidence checker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from checker.message import Message

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "spamassassin"

EVIDENCE_KEYS = {"field", "start", "end", "quote"}


def corpus_dir(name: str) -> Path:
    folder = CORPUS / name
    if not folder.is_dir():
        pytest.skip(f"corpus not found at {folder} (expected ../shared/corpus beside the repo)")
    return folder


def eml(
    body: str,
    *,
    subject: str = "Hello",
    html: bool = False,
    headers: str = "",
    from_: str = "Sender <sender@example.com>",
    received: str = (
        "Received: from mail.example.com (mail.example.com [192.0.2.10])\n"
        "\tby mx.trap.example (Postfix) with ESMTP id 1234\n"
        "\tfor <trap@trap.example>; Mon, 2 Jun 2025 10:00:05 +0000\n"
    ),
) -> bytes:
    """A one-part message; `headers` are extra header lines ending in a newline."""
    kind = "html" if html else "plain"
    return (
        f"{received}"
        f"From: {from_}\n"
        "To: trap@trap.example\n"
        f"Subject: {subject}\n"
        "Date: Mon, 2 Jun 2025 10:00:00 +0000\n"
        "Message-ID: <1@example.com>\n"
        f"{headers}"
        "MIME-Version: 1.0\n"
        f"Content-Type: text/{kind}; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n"
        "\n"
        f"{body}"
    ).encode()


def message(body: str, **kwargs: Any) -> Message:
    metadata = kwargs.pop("metadata", None)
    return Message(eml(body, **kwargs), source_id="test", metadata=metadata)


def resolve(msg: Message, path: str) -> str:
    """The text an evidence record's `field` names: `subject`, `links[3].text` ..."""
    if "[" not in path:
        return msg.get(path) or ""
    name, rest = path.split("[", 1)
    index, key = rest.split("].", 1)
    return msg.get(name)[int(index)][key] or ""


def assert_evidence(msg: Message, records: list[dict[str, Any]]) -> None:
    """Every record with a span points at exactly its quote in the field it names."""
    for record in records:
        if EVIDENCE_KEYS <= record.keys():
            text = resolve(msg, record["field"])
            assert text[record["start"] : record["end"]] == record["quote"], record
