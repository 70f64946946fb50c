"""`spamlaw exhibits --documents message|analysis|both`: each exhibit's analysis (attorney
work product) is a PDF of its own under analysis/, in a Bates series of its own, listed in
the manifest and never in the production's load files; the exhibits are the same bytes,
with the same numbers, whether or not the analysis is made."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from test_exhibits_batch import ROOT, copy_samples, manifest, numbered, run, sha256
from test_exhibits_production import read_dat, read_opt

from checker import exitcodes
from checker.exhibits import index, render

OPTIONS = ("--bates-prefix", "TRAP", "--bates-digits", "6", "--jobs", "1")
CUSTODIAN = "Trap Operations, Example ISP"
COLLECTION = "Spam trap mailboxes, exported by the mail team"


def pages_text(pdf: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf.read_bytes())).pages]


def exhibit_facts(out: Path) -> list[tuple]:
    return [(row["label"], row["bates_first"], row["bates_last"], row["pages"],
             row["pdf_sha256"]) for row in numbered(out)]


def count_renders(monkeypatch) -> list[str]:
    calls: list[str] = []
    for name in ("render_exhibit", "render_analysis"):
        real = getattr(render, name)
        monkeypatch.setattr(render, name, lambda *a, _n=name, _r=real, **k:
                            calls.append(_n) or _r(*a, **k))
    return calls


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """The same inputs made with --documents both (the default) and message."""
    base = tmp_path_factory.mktemp("documents")
    inputs = copy_samples(base / "in")
    case = base / "case.yaml"
    case.write_text((ROOT / "cases" / "ma-trap.yaml").read_text()
                    + f"custodian: {CUSTODIAN}\ncollection: {COLLECTION}\n")
    made = {}
    for documents in ("both", "message"):
        out = base / documents
        code, summary, text = run([inputs], out, *OPTIONS, "--case", str(case),
                                  "--documents", documents)
        assert code == exitcodes.OK, text
        made[documents] = (out, summary)
    return inputs, case, made


def test_both_makes_an_analysis_per_exhibit_in_its_own_series(cases):
    _, _, made = cases
    out, summary = made["both"]
    rows = numbered(out)
    assert len(rows) == 3
    expected = 1
    for row in rows:
        pdf = out / row["analysis_file"]
        assert row["analysis_file"] == f"analysis/analysis-{row['exhibit_number']:05d}.pdf"
        assert sha256(pdf) == row["analysis_sha256"]
        texts = pages_text(pdf)
        assert len(texts) == row["analysis_pages"]
        printed = [re.findall(r"WP-TRAP\d{6}", text)[-1] for text in texts]
        assert printed == [f"WP-TRAP{n:06d}" for n in range(expected, expected + len(texts))]
        assert (row["analysis_bates_first"], row["analysis_bates_last"]) == (printed[0],
                                                                             printed[-1])
        assert f"Analysis of {row['label']}" in texts[0]
        expected += len(texts)
    assert summary["analyses"]["files"] == 3
    assert summary["analyses"]["pages"] == expected - 1
    assert not (made["message"][0] / "analysis").exists()
    assert all(row["analysis_file"] is None for row in manifest(made["message"][0]))


def test_exhibits_are_the_same_bytes_and_numbers_with_or_without_the_analysis(cases):
    _, _, made = cases
    assert exhibit_facts(made["both"][0]) == exhibit_facts(made["message"][0])


def test_the_analysis_is_never_in_the_load_files(cases):
    _, _, made = cases
    both, message = made["both"][0], made["message"][0]
    for name in ("TRAP.dat", "TRAP.opt"):
        assert (both / "DATA" / name).read_bytes() == (message / "DATA" / name).read_bytes()
    dat = read_dat(both / "DATA" / "TRAP.dat")
    opt = read_opt(both / "DATA" / "TRAP.opt")
    assert len(dat) == 3
    flat = " ".join(" ".join(row.values()) for row in dat) + " ".join(map(",".join, opt))
    assert "WP-" not in flat and "analysis" not in flat.lower()
    assert not any(name.startswith("WP-") for name in
                   (p.name for folder in ("NATIVES", "TEXT") for p in (both / folder).iterdir()))


def test_batch_exhibits_show_the_custodian_and_draft_rules(cases):
    _, _, made = cases
    out = made["message"][0]
    cover = pages_text(out / numbered(out)[0]["pdf_file"])[0]
    assert CUSTODIAN in " ".join(cover.split())
    assert COLLECTION in " ".join(cover.split())
    assert "rule status: draft" in " ".join(pages_text(out / row["pdf_file"])[0]
                                            for row in numbered(out))


def test_a_rerun_renders_nothing_and_analysis_added_later_renders_only_analyses(
        cases, tmp_path, monkeypatch):
    inputs, case, made = cases
    calls = count_renders(monkeypatch)
    for name in ("render_index", "render_schedule"):  # nothing they show changed: kept
        real = getattr(index, name)
        monkeypatch.setattr(index, name, lambda *a, _n=name, _r=real, **k:
                            calls.append(_n) or _r(*a, **k))
    before = (made["both"][0] / "index.pdf").read_bytes()
    code, summary, text = run([inputs], made["both"][0], *OPTIONS, "--case", str(case))
    assert code == exitcodes.OK, text
    assert calls == [] and summary["this_run"]["analyses_kept"] == 3
    assert (made["both"][0] / "index.pdf").read_bytes() == before
    (made["both"][0] / "index.pdf").write_bytes(b"altered by hand")
    assert run([inputs], made["both"][0], *OPTIONS, "--case", str(case))[0] == exitcodes.OK
    assert calls == ["render_index"]  # an altered index is made again, the same bytes
    assert (made["both"][0] / "index.pdf").read_bytes() == before
    calls.clear()

    # a copy of the message-only case, then the analysis asked for: only analyses are made,
    # the same bytes as in the case made with both from the start
    import shutil

    later = tmp_path / "later"
    shutil.copytree(made["message"][0], later)
    code, summary, text = run([inputs], later, *OPTIONS, "--case", str(case))
    assert code == exitcodes.OK, text
    assert calls == ["render_analysis"] * 3
    assert exhibit_facts(later) == exhibit_facts(made["both"][0])
    assert [row["analysis_sha256"] for row in numbered(later)] == \
        [row["analysis_sha256"] for row in numbered(made["both"][0])]


def test_analysis_only_holds_the_exhibits_numbered_for_a_later_run(cases, tmp_path,
                                                                     monkeypatch):
    inputs, case, made = cases
    out = tmp_path / "analysis-first"
    code, summary, text = run([inputs], out, *OPTIONS, "--case", str(case),
                              "--documents", "analysis")
    assert code == exitcodes.OK, text
    rows = numbered(out)
    assert [row["status"] for row in rows] == ["held"] * 3
    assert not any((out / "exhibits").glob("*.pdf"))
    assert all((out / row["analysis_file"]).is_file() for row in rows)
    assert read_dat(out / "DATA" / "TRAP.dat") == []
    index_text = " ".join(" ".join(pages_text(out / "index.pdf")).split())
    assert "3 are numbered but their exhibits are not made yet" in index_text
    assert "4 input messages in all" in index_text

    calls = count_renders(monkeypatch)
    code, summary, text = run([inputs], out, *OPTIONS, "--case", str(case))
    assert code == exitcodes.OK, text
    assert calls == ["render_exhibit"] * 3  # the analyses were already made
    assert exhibit_facts(out) == exhibit_facts(made["both"][0])
