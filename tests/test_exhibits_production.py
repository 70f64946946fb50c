"""The production set beside the exhibits, read as a review platform would: the Concordance
DAT and Opticon OPT load files are parsed here by a reader written for this test (not the
writer's code) and every row is checked against the PDFs (pypdf page counts, the Bates
numbers printed on the pages) and the natives (hashes of the original bytes)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import sqlite3
from pathlib import Path

import pytest
from pypdf import PdfReader
from test_exhibits_batch import ROOT, copy_samples, numbered, run

from checker import exitcodes

CUSTODIAN = "Trap Operations, Example ISP"
OPTIONS = ("--bates-prefix", "AGO", "--bates-start", "7", "--bates-digits", "5")
NAMES = ("can-spam/no-opt-out.eml", "can-spam/compliant-newsletter.eml",
         "states/forged-path.eml", "can-spam/no-postal-address.eml")


def read_dat(path: Path) -> list[dict[str, str]]:
    """A Concordance DAT: UTF-8, fields þ-quoted and separated by DC4, CRLF lines, header row."""
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff") and text.endswith("\r\n")
    lines = text[1:].split("\r\n")[:-1]

    def fields(line: str) -> list[str]:
        cells = line.split("\x14")
        for cell in cells:
            assert len(cell) >= 2 and cell[0] == cell[-1] == "\xfe", cell
        return [cell[1:-1] for cell in cells]

    header = fields(lines[0])
    return [dict(zip(header, fields(line), strict=True)) for line in lines[1:]]


def read_opt(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("utf-8")
    assert text.endswith("\r\n")
    rows = [line.split(",") for line in text.split("\r\n")[:-1]]
    assert all(len(row) == 7 for row in rows)
    return rows


def local(path: str) -> Path:
    assert path.startswith(".\\")
    return Path(*path[2:].split("\\"))


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    base = tmp_path_factory.mktemp("production")
    inputs = copy_samples(base / "in", NAMES)
    out = base / "out"
    case = base / "case.yaml"
    case.write_text((ROOT / "cases" / "ma-trap.yaml").read_text()
                    + f"custodian: {CUSTODIAN}\n")
    code, _, text = run([inputs], out, *OPTIONS, "--case", str(case))
    assert code == exitcodes.OK, text
    return inputs, out, case


def test_load_files_match_the_pdfs_and_the_natives(production):
    inputs, out, _ = production
    dat = read_dat(out / "DATA" / "AGO.dat")
    opt = read_opt(out / "DATA" / "AGO.opt")
    assert list(dat[0]) == ["BEGBATES", "ENDBATES", "BEGATTACH", "ENDATTACH", "PAGECOUNT",
                            "FROM", "TO", "CC", "BCC", "SUBJECT", "DATESENT", "DATERCVD",
                            "MESSAGEID", "MD5", "SHA1", "SHA256", "CUSTODIAN", "NATIVEPATH",
                            "TEXTPATH", "FINDINGS"]
    originals = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in inputs.iterdir()}
    exhibits = numbered(out)
    assert len(dat) == len(exhibits) == 3  # one document per exhibit, none for the rest

    expected_page = 7
    opt_by_document: dict[str, list[list[str]]] = {}
    current = None
    for line in opt:
        if line[3] == "Y":
            current = line[0]
            opt_by_document[current] = []
        opt_by_document[current].append(line)
    for record in dat:
        native = out / local(record["NATIVEPATH"])
        raw = native.read_bytes()
        assert record["SHA256"] in originals and raw == originals[record["SHA256"]].read_bytes()
        assert record["MD5"] == hashlib.md5(raw).hexdigest()
        assert record["SHA1"] == hashlib.sha1(raw).hexdigest()
        assert native.name == f"{record['BEGBATES']}.eml"
        assert record["CUSTODIAN"] == CUSTODIAN
        text = (out / local(record["TEXTPATH"])).read_text(encoding="utf-8")
        assert record["SUBJECT"] and f"Subject: {record['SUBJECT']}" in text

        lines = opt_by_document[record["BEGBATES"]]
        pdf_path = out / local(lines[0][2])
        pages = PdfReader(io.BytesIO(pdf_path.read_bytes())).pages
        assert int(record["PAGECOUNT"]) == len(pages) == len(lines) == int(lines[0][6])
        assert all(line[2] == lines[0][2] and line[3] == "" for line in lines[1:])
        numbers = [line[0] for line in lines]
        assert numbers == [f"AGO{n:05d}" for n in range(expected_page,
                                                          expected_page + len(pages))]
        assert (record["BEGBATES"], record["ENDBATES"]) == (numbers[0], numbers[-1])
        assert (record["BEGATTACH"], record["ENDATTACH"]) == (numbers[0], numbers[-1])
        printed = [re.findall(r"AGO\d{5}", page.extract_text())[-1] for page in pages]
        assert printed == numbers
        expected_page += len(pages)
        assert re.fullmatch(r"(violation|needs_review): .+", record["FINDINGS"])
        assert record["DATESENT"].startswith("20")  # ISO 8601, as the sender wrote it


def test_the_manifest_carries_the_same_metadata_for_every_input(production):
    _, out, _ = production
    rows = json.loads((out / "manifest.json").read_text())["inputs"]
    dat = {record["SHA256"]: record for record in read_dat(out / "DATA" / "AGO.dat")}
    assert len(rows) == len(NAMES)
    for row in rows:
        assert row["md5"] and row["sha1"] and row["from"] and row["subject"]
        assert row["custodian"] == CUSTODIAN
        if row["status"] == "exhibit":
            record = dat[row["sha256"]]
            assert (row["from"], row["to"], row["subject"], row["md5"]) == \
                (record["FROM"], record["TO"], record["SUBJECT"], record["MD5"])
            assert row["native_file"] == f"NATIVES/{row['bates_first']}.eml"
        else:
            assert row["native_file"] is None and row["sha256"] not in dat


def test_outputs_follow_the_umask(production):
    _, out, _ = production
    mask = os.umask(0o022)
    os.umask(mask)
    for path in [*out.glob("exhibits/*.pdf"), *out.glob("NATIVES/*"), out / "manifest.csv"]:
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask, path


def test_an_emptied_ledger_beside_exhibits_is_refused(production, tmp_path):
    inputs, out, case = production
    import shutil

    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    before = {p: p.read_bytes() for p in copy.glob("exhibits/*.pdf")}
    (copy / "case.sqlite").write_bytes(b"")
    for name in ("case.sqlite-wal", "case.sqlite-shm"):
        (copy / name).unlink(missing_ok=True)
    code, _, text = run([inputs], copy, *OPTIONS, "--case", str(case))
    assert code == exitcodes.USAGE
    assert "case.sqlite" in text and "--fresh" in text and "Traceback" not in text
    assert {p: p.read_bytes() for p in copy.glob("exhibits/*.pdf")} == before


def test_a_pdf_the_ledger_does_not_know_is_reported(production, tmp_path):
    inputs, out, case = production
    import shutil

    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    (copy / "exhibits" / "exhibit-00099.pdf").write_bytes(b"%PDF-1.7 left over")
    code, summary, text = run([inputs], copy, *OPTIONS, "--case", str(case))
    assert code == exitcodes.OK
    assert "exhibits/exhibit-00099.pdf" in text and "not in the case ledger" in text
    with sqlite3.connect(copy / "case.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM inputs WHERE pdf_file LIKE '%00099%'"
                          ).fetchone()[0] == 0


def test_hostile_header_values_cannot_break_a_dat_row(tmp_path):
    """A subject carrying the DAT's own delimiter, quote and line breaks stays in its cell."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    raw = (ROOT / "samples" / "can-spam" / "no-opt-out.eml").read_bytes()
    head, _, body = raw.partition(b"\n\n")
    head = re.sub(rb"(?m)^Subject:.*$", "Subject: a\x14b\u00fec".encode(), head)
    (inputs / "hostile.eml").write_bytes(head + b"\nCc: x@example.org,\n y@example.org\n\n" + body)
    code, _, text = run([inputs], tmp_path / "out", "--bates-prefix", "H")
    assert code == exitcodes.OK, text
    [record] = read_dat(tmp_path / "out" / "DATA" / "H.dat")
    assert record["SUBJECT"] == "a⟨U+0014⟩b⟨U+00FE⟩c"
    assert "x@example.org" in record["CC"] and "\n" not in record["CC"]
