"""Shared helpers for the exhibit tests: messages built in code, hand-made audit
results (independent of the rule engine), and independent PDF readers (poppler's
pdftotext, qpdf, pypdf)."""

from __future__ import annotations

import base64
import io
import shutil
import subprocess
from pathlib import Path

import pytest

from checker.findings import AuditResult, Evidence, Finding, Status
from checker.message import Message

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "spamassassin"


def corpus_dir(name: str = "spam") -> Path:
    folder = CORPUS / name
    if not folder.is_dir():
        pytest.skip(f"corpus not found at {folder} (expected ../shared/corpus beside the repo)")
    return folder


def tiny_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 0, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


def build_message(html: str | None = None, text: str | None = None, *,
                  subject: str = "Cheap meds NOW", extra_headers: str = "",
                  inline_png_cid: str | None = None) -> bytes:
    """A small but realistic message: a Received chain, key headers, a text and/or HTML
    body and optionally an inline PNG (multipart/related)."""
    headers = (
        "Return-Path: <bounce@spam.example>\r\n"
        "Received: from mx.trap.example (mx.trap.example [192.0.2.1])\r\n"
        "\tby inbound.trap.example with ESMTP id ABC123\r\n"
        "\tfor <victim@trap.example>; Tue, 10 Sep 2024 14:00:05 +0000\r\n"
        "Authentication-Results: inbound.trap.example; spf=fail smtp.mailfrom=spam.example\r\n"
        "Received: from sender.spam.example (unknown [203.0.113.9])\r\n"
        "\tby mx.trap.example with SMTP id XYZ; Tue, 10 Sep 2024 09:59:58 -0400\r\n"
        "Authentication-Results: forged.example; dkim=pass header.d=bank.example\r\n"
        "From: \"Deals\" <deals@spam.example>\r\n"
        "Reply-To: replies@elsewhere.example\r\n"
        "To: victim@trap.example\r\n"
        f"Subject: {subject}\r\n"
        "Date: Tue, 10 Sep 2024 09:59:50 -0400\r\n"
        "Message-ID: <20240910.abc@spam.example>\r\n"
        f"{extra_headers}"
        "MIME-Version: 1.0\r\n"
    )
    parts = []
    if text is not None:
        parts.append(("text/plain", text))
    if html is not None:
        parts.append(("text/html", html))
    if len(parts) == 1 and not inline_png_cid:
        ctype, body = parts[0]
        return (headers + f"Content-Type: {ctype}; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\n" + body).encode()
    outer = "related" if inline_png_cid else "alternative"
    lines = [headers + f'Content-Type: multipart/{outer}; boundary="BOUND"\r\n\r\n'
             "This is a multi-part message.\r\n"]
    for ctype, body in parts:
        lines.append(f"--BOUND\r\nContent-Type: {ctype}; charset=utf-8\r\n"
                     f"Content-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n")
    if inline_png_cid:
        encoded = base64.encodebytes(tiny_png()).decode().replace("\n", "\r\n")
        lines.append(f"--BOUND\r\nContent-Type: image/png\r\nContent-ID: <{inline_png_cid}>\r\n"
                     f"Content-Transfer-Encoding: base64\r\n\r\n{encoded}\r\n")
    lines.append("--BOUND--\r\n")
    return "".join(lines).encode()


CITATIONS = ("15 U.S.C. § 7704(a)(5)(A)(iii)", "16 C.F.R. § 316.4",
             "Cal. Bus. & Prof. Code § 17529.5(a)(2)")


def sample_result(msg: Message, *, text_quote: str | None = None) -> AuditResult:
    """Findings as the engine would give them, built by hand: one with a span in the
    plain text (when `text_quote` is given), one on a header, one absence."""
    findings = []
    text = msg.get("body.text") or ""
    if text_quote:
        start = text.index(text_quote)
        findings.append(Finding(
            "CANSPAM-OPT-OUT", Status.VIOLATION, "No working opt-out", "US", (CITATIONS[0],),
            "The message offers no opt-out mechanism.", "high",
            (Evidence("body.text", start, start + len(text_quote), text_quote),)))
    subject = msg.get("subject") or ""
    findings.append(Finding(
        "CA-SUBJECT", Status.NEEDS_REVIEW, "Possibly misleading subject", "US-CA",
        (CITATIONS[2],), "The subject line may mislead about the content.", "medium",
        (Evidence("subject", 0, len(subject), subject),)))
    findings.append(Finding(
        "CANSPAM-POSTAL-ADDRESS", Status.VIOLATION, "No postal address", "US",
        (CITATIONS[0], CITATIONS[1]), "No physical postal address appears.", "high",
        (Evidence("postal_addresses", searched=("body.visible_text", "body.text")),)))
    return AuditResult(source=msg.source_id, sha256=msg.sha256, size=msg.size,
                       findings=tuple(findings))


def flat(text: str) -> str:
    """Text with all white space removed: a check that survives line wrapping."""
    return "".join(text.split())


def need_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; run `make system-deps`")
    return path


def pdf_pages_text(pdf: bytes, layout: bool = False) -> list[str]:
    """Text of each page as poppler's pdftotext reads it (independent of WeasyPrint);
    reading order by default, so a table cell's lines stay together."""
    need_tool("pdftotext")
    command = ["pdftotext", *(["-layout"] if layout else []), "-", "-"]
    out = subprocess.run(command, input=pdf, capture_output=True,
                         check=True).stdout.decode("utf-8", "replace")
    pages = out.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def qpdf_check(path: Path) -> subprocess.CompletedProcess:
    need_tool("qpdf")
    return subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
