"""The index PDF: what a reader finds in it (labels, Bates ranges, figures, page
numbers), that it is reproducible, that hostile subjects stay text and fetch nothing,
and that thousands of rows render in bounded time. Text is read with poppler's
pdftotext and pypdf, independently of WeasyPrint."""

from __future__ import annotations

import io
import json
import re
import time
from dataclasses import replace

import pytest
from exhibit_support import flat, pdf_pages_text
from pypdf import PdfReader

from checker.exhibits.index import (
    IndexOptions,
    IndexRow,
    InputLine,
    money,
    render_index,
    render_schedule,
)
from checker.exhibits.render import ExhibitError
from checker.exhibits.schedule import build_schedule
from checker.ruleset import load_ruleset

RULESET = "5e" * 32
DATES = ("Tue, 10 Sep 2024 09:59:50 -0400", "Wed, 11 Sep 2024 10:00:00 -0400")


@pytest.fixture(scope="module")
def rules() -> dict:
    return {rule.id: rule for rule in load_ruleset().rules}


def audit_message(rules: dict, n: int, violations=(), reviews=(), subject="Cheap meds") -> dict:
    findings = [{"rule": r, "status": status, "jurisdiction": rules[r].jurisdiction,
                 "citations": [], "title": rules[r].title, "penalty": rules[r].penalty}
                for status, ids in (("violation", violations), ("needs_review", reviews))
                for r in ids]
    return {"source": f"trap/{n}.eml", "sha256": f"{n:064x}", "date": DATES[n % 2],
            "subject": subject, "from": f"Deals <d{n}@spam.example>", "errors": [],
            "findings": findings}


def index_row(message: dict, number: int, first_page: int, pages: int = 2, note: str = "",
              subject: str | None = None) -> IndexRow:
    by_status = {"violation": [], "needs_review": []}
    for f in message["findings"]:
        by_status.setdefault(f["status"], []).append(f["rule"])
    return IndexRow(
        number=number, label=f"Exhibit {number}", bates_first=f"TRAP{first_page:07d}",
        bates_last=f"TRAP{first_page + pages - 1:07d}", pages=pages,
        source=message["source"], sha256=message["sha256"],
        pdf_file=f"exhibits/{number:05d}.pdf", pdf_sha256="cd" * 32,
        subject=message["subject"] if subject is None else subject,
        sender=message["from"], date=message["date"],
        violations=tuple(by_status["violation"]), reviews=tuple(by_status["needs_review"]),
        note=note)


def case(rules: dict, count: int = 3, subjects: dict[int, str] | None = None):
    """`count` messages; every third has a violation, the rest need review."""
    subjects = subjects or {}
    messages, rows, page = [], [], 1
    for n in range(1, count + 1):
        if n % 3 == 1:
            m = audit_message(rules, n, violations=["CANSPAM-POSTAL-ADDRESS"])
        else:
            m = audit_message(rules, n, reviews=["CANSPAM-HEADER-ROUTING"])
        messages.append(m)
        rows.append(index_row(m, n, page, subject=subjects.get(n)))
        page += 2
    labels = {m["source"]: f"Exhibit {i}" for i, m in enumerate(messages, 1)}
    return build_schedule(messages, labels), rows


OPTIONS = IndexOptions(title="Index of exhibits", case_name="State v. Spammer LLC",
                       ruleset_sha256=RULESET,
                       accounting={"exhibit": 3, "not_selected": 5, "error": 1},
                       selection="Every message with a violation or needs_review finding.",
                       bates_prefix="TRAP")
OTHERS = (InputLine(4, "not_selected", "not selected: no violation or needs_review finding",
                    "trap/4.eml", "ab" * 32),
          InputLine(5, "error", "cannot read: not a message", "trap/5.eml", ""))


def test_index_lists_every_input_with_numbers_of_its_own_and_no_damages(rules):
    schedule, rows = case(rules)
    pdf = render_index(rows, OPTIONS, others=OTHERS)
    pages = pdf_pages_text(pdf)
    text = "\n".join(pages)
    squeezed = flat(text)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == len(pages)
    assert f"Page 1 of {len(pages)}" in pages[0]
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]
    # its own series, on every page, never one of the exhibits' numbers
    assert [re.findall(r"TRAPINDEX-\d{4}", page)[-1] for page in pages] == \
        [f"TRAPINDEX-{n:04d}" for n in range(1, len(pages) + 1)]
    # cover: case, selection, accounting, ruleset
    assert "State v. Spammer LLC" in text and flat(OPTIONS.selection) in squeezed
    assert flat("3 became exhibits") in squeezed and flat("5 were not selected") in squeezed
    assert flat("1 could not be read or rendered") in squeezed
    assert flat("9 input messages in all") in squeezed
    assert RULESET in squeezed
    # table of exhibits
    for row in rows:
        assert row.label in text
        assert flat(f"{row.bates_first} – {row.bates_last}") in squeezed
        assert row.sha256 in squeezed
    # the inputs that are not exhibits, with why
    for line in OTHERS:
        assert line.source in text and flat(line.reason) in squeezed
    # the damages are a document of their own
    assert "Schedule of statutory damages" not in text.replace("separate document", "")
    assert "not findings of liability" not in text


def test_the_schedule_is_a_demonstrative_of_its_own(rules):
    schedule, _ = case(rules)
    pdf = render_schedule(schedule, OPTIONS)
    pages = pdf_pages_text(pdf)
    text = "\n".join(pages)
    squeezed = flat(text)
    assert "Demonstrative" in text and "State v. Spammer LLC" in text
    assert [re.findall(r"TRAPSCHEDULE-\d{4}", page)[-1] for page in pages] == \
        [f"TRAPSCHEDULE-{n:04d}" for n in range(1, len(pages) + 1)]
    assert "not findings of liability" in text and flat("are not violations") in squeezed
    # counts and schedule figures, as computed
    assert "CANSPAM-POSTAL-ADDRESS" in text and "Counts per jurisdiction" in text
    ag = next(r for r in schedule["remedies"] if r["remedy"] == "state-ag-damages")
    assert ag["established"]["total"] == 250  # one (a)(5) violation
    assert ag["if_confirmed"]["total"] == 2 * 250
    assert flat(money(ag["established"]["total"])) in squeezed
    assert flat("adds " + money(ag["if_confirmed"]["total"])) in squeezed
    assert flat("up to ×3 when") in squeezed  # multiplier shown, apart from totals
    assert flat("at most $2,000,000 per action") in squeezed
    isp = next(r for r in schedule["remedies"] if r["remedy"] == "isp-damages")
    assert flat(money(isp["if_confirmed"]["total"])) in squeezed  # 2 x $100 for (a)(1)
    assert "as of 2025-01-17" in text  # the FTC amount's date


def test_same_inputs_give_the_same_bytes_and_changes_show(rules):
    schedule, rows = case(rules)
    first = render_index(rows, OPTIONS)
    assert render_index(list(rows), OPTIONS) == first
    assert render_index(list(reversed(rows)), OPTIONS) == first  # sorted by number
    assert render_schedule(schedule, OPTIONS) == render_schedule(schedule, OPTIONS)
    changed = [*rows[:-1], replace(rows[-1], subject="Another subject")]
    other = render_index(changed, OPTIONS)
    assert other != first
    assert PdfReader(io.BytesIO(other)).trailer["/ID"] != PdfReader(io.BytesIO(first)).trailer["/ID"]


def test_the_schedule_travels_inside_the_pdf_and_it_claims_pdf_a(rules):
    schedule, rows = case(rules)
    pdf = render_schedule(schedule, OPTIONS)
    reader = PdfReader(io.BytesIO(pdf))
    (data,) = reader.attachments["schedule.json"]
    assert json.loads(data) == json.loads(json.dumps(schedule))
    metadata = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in metadata and b'pdfaid:conformance="U"' in metadata
    info = reader.metadata or {}
    assert "/CreationDate" not in info and "/ModDate" not in info




def test_hostile_subjects_render_as_text_and_fetch_nothing(rules, server):
    base = f"http://127.0.0.1:{server.server_port}"
    hostile = f'<script>alert(1)</script><img src={base}/beacon.png>'
    sender = f'<link rel=stylesheet href="{base}/x.css"><style>@import url({base}/i.css)</style>'

    long_word = "A" * 5000
    subjects = {1: hostile, 2: "Spec\u202eial gpj.exe \x07 Привет € Ωμέγα", 3: long_word}
    schedule, rows = case(rules, subjects=subjects)
    options = IndexOptions(case_name=f'<img src="{base}/case.png">', ruleset_sha256=RULESET,
                           accounting={"exhibit": 3}, selection=f"</p><iframe src={base}/f>")
    rows = [replace(row, sender=sender) for row in rows]
    pdf = render_index(rows, options)
    assert server.seen == []
    text = "\n".join(pdf_pages_text(pdf))
    squeezed = flat(text)
    assert flat("<script>alert(1)</script>") in squeezed
    assert "<img" in text and f"src={base}/beacon.png>" in squeezed  # cells interleave
    assert flat(f'<img src="{base}/case.png">') in squeezed
    assert flat(f'<link rel=stylesheet href="{base}/x.css">') in squeezed
    assert flat(f"</p><iframe src={base}/f>") in squeezed
    # the bidi override and the bell are shown, not obeyed; non-ASCII survives
    assert "<U+202E>" in squeezed and "^G" in squeezed
    assert "Привет" in text and "€" in text and "Ωμέγα" in text
    # the 5,000-character subject is cut to a bound
    shown_a = sum(len(run) for run in re.findall("A{8,}", text))  # wrapped over lines
    assert 100 <= shown_a < 200 and "…" in text


def test_a_row_with_a_slip_sheet_note_and_no_findings(rules):
    schedule, rows = case(rules, count=1)
    slip = IndexRow(2, "Exhibit 2", "TRAP0000003", "TRAP0000003", 1, "trap/broken.eml",
                    "ef" * 32, "exhibits/00002.pdf", "01" * 32, "", "", "", (), (),
                    note="slip sheet: could not be rendered: time bound exceeded")
    text = "\n".join(pdf_pages_text(render_index([*rows, slip], OPTIONS)))
    assert flat("slip sheet: could not be rendered: time bound exceeded") in flat(text)
    assert "TRAP0000003" in text and "TRAP0000003 – TRAP0000003" not in text


def test_an_unusable_template_directory_is_an_exhibit_error(rules, tmp_path):
    schedule, rows = case(rules, count=1)
    with pytest.raises(ExhibitError, match="index"):
        render_index(rows, OPTIONS, templates=tmp_path)


@pytest.mark.slow
def test_two_thousand_rows_render_in_bounded_time(rules):
    schedule, rows = case(rules, count=2000)
    started = time.process_time()
    pdf = render_index(rows, OPTIONS)
    elapsed = time.process_time() - started
    reader = PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    assert elapsed < 120, f"{elapsed:.1f} s CPU for 2,000 rows ({pages} pages)"
    last = reader.pages[-1].extract_text()
    assert f"Page {pages} of {pages}" in last
    # the header repeats on every page of the table
    table_pages = [p.extract_text() for p in reader.pages[1:-3]]
    assert all("Bates range" in page for page in table_pages)
    whole = "".join(p.extract_text() for p in reader.pages)
    assert "Exhibit 2000" in whole and "TRAP0003999" in whole
