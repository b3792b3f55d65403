"""The terminal report of `labeler score`: wrapped on word boundaries at the terminal's
width, each label's evidence in its own colour with a legend, a repeated headline once, no
offsets, and no colour codes anywhere but a terminal. The CLI runs in a subprocess, on a
pseudo-terminal where a terminal is meant."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata

from labeler.batch.writers import LABEL_COLOURS, report
from labeler.scoring import score_text

from .conftest import EXAMPLE, ROOT
from .test_batch_cli import tty_run

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def on_a_terminal(*args: str, columns: int = 100) -> str:
    """`labeler score ...` with its stdout on a pseudo-terminal ``columns`` wide."""
    env = {"COLUMNS": str(columns), "TERM": "xterm-256color"}
    return tty_run([*args, "--quiet"], env).replace("\r\n", "\n")


def piped(*args: str, columns: int = 100) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "labeler", "score", *args, "--quiet"],
        cwd=ROOT,
        env={**os.environ, "COLUMNS": str(columns)},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def columns(line: str) -> int:
    plain = ANSI.sub("", line)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in plain)


def test_text_is_wrapped_at_the_terminals_width_on_word_boundaries():
    shown = on_a_terminal(str(EXAMPLE), columns=60)
    lines = shown.splitlines()
    assert max(columns(line) for line in lines) <= 60
    words = ANSI.sub("", shown).split()
    text = EXAMPLE.read_text()
    # every word of the report's passages is a whole word of the article: none cut in two
    body = [w for w in words if w in text.split()]
    assert "Iraqi" in body and "Iraq" in body
    assert not {w for w in words if w not in text.split()} & {"Iraq", "i", "Ira", "qi"}


def test_each_label_has_its_own_colour_and_a_legend_line():
    shown = on_a_terminal(str(EXAMPLE))
    legend = next(line for line in shown.splitlines() if "Evidence:" in line)
    for label, code in LABEL_COLOURS.items():
        assert f"{code}{label}\x1b[0m" in legend  # the legend names each label in its colour
    violence, graphic = LABEL_COLOURS["violence"], LABEL_COLOURS["graphic"]
    assert violence != graphic
    assert violence + "killed" in shown  # violence evidence of a violence-only passage


def test_a_repeated_headline_is_shown_once():
    shown = piped(str(EXAMPLE), "--format", "report")
    assert shown.count("of defectors who") == 1  # the headline, in passages 2 and 3
    assert "#2 (also #3)" in shown


def test_offsets_stay_out_of_the_report():
    shown = piped(str(EXAMPLE), "--format", "report")
    assert not re.search(r"\[\d+:\d+\]", shown)
    assert re.search(
        r"^  #4  violence(; to review: graphic)?  violence 0\.\d\d  graphic 0\.\d\d$", shown, re.M
    )


def test_format_report_writes_no_colour_codes_into_a_pipe_or_a_file(tmp_path):
    assert "\x1b" not in piped(str(EXAMPLE), "--format", "report")
    out = tmp_path / "report.txt"
    piped(str(EXAMPLE), "--format", "report", "-o", str(out))
    written = out.read_text()
    assert "\x1b" not in written and "Warning: Contains graphic" in written
    assert "Evidence: [violence] {graphic}" in written  # marks a file can show, with their key


def test_a_mark_inside_a_word_keeps_the_word_whole():
    record = score_text("Gunmen shot dead eleven Iraqi villagers in the town square.")
    passage = record["passages"][0]
    passage["evidence"] = [{"label": "violence", "term": "iraq", "start": 24, "end": 28}]
    lines = report(record, colour=False, width=30).splitlines()
    assert any("[Iraq]i" in line for line in lines)
    assert all(columns(line) <= 30 for line in lines[2:])


VIOLENT = "Gunmen stormed the village at dawn and shot dead eleven people."
THREAT = "He said he would hurt her if she told anyone."  # under the flag, at the review point
CALM = "The council approved a new budget for the library."
FLAGGED_HEADING = "  flagged:"
REVIEW_HEADING = "  to review (under the flag, at the review point):"


def to_review_only(model, text: str) -> dict:
    """``text``'s one passage, checked to be what the test needs: to review, not flagged."""
    (passage,) = score_text(text, "t", model)["passages"]
    assert passage["review"] and not passage["flags"], passage  # else pick another sentence
    return passage


def scores_of(passage: dict) -> str:
    return "  ".join(f"{label} {v:.2f}" for label, v in passage["scores"].items())


def test_passages_to_review_are_shown_apart_from_flagged_ones_with_their_scores(tmp_path, model):
    threat = to_review_only(model, THREAT)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(
        json.dumps({"id": k, "text": v}) + "\n"
        for k, v in {"mixed": f"{VIOLENT}\n\n{THREAT}\n\n{CALM}", "quiet": f"{CALM}\n\n{THREAT}",
                     "calm": CALM}.items()
    ))  # fmt: skip
    mixed, quiet, calm = piped(str(src), "--format", "report").split("\n\n")[:3]
    lines = mixed.splitlines()
    flagged, review = lines.index(FLAGGED_HEADING), lines.index(REVIEW_HEADING)
    assert flagged < review
    assert [line[:5] for line in lines[flagged:review] if line.startswith("  #")] == ["  #1 "]
    to_review = [line for line in lines[review:] if line.startswith("  #")]
    marks = ", ".join(threat["review"])
    assert to_review == [f"  #2  to review: {marks}  {scores_of(threat)}"]  # the calm one: neither
    assert THREAT in mixed and CALM not in mixed
    # nothing flagged, something to review: the document says so, in its heading too
    assert quiet.splitlines()[0] == f"quiet  severity 0  (to review: {marks})"
    assert "  nothing flagged; to review (under the flag, at the review point):" in quiet
    assert f"  #2  to review: {marks}  {scores_of(threat)}" in quiet
    assert FLAGGED_HEADING not in quiet and "highest-scoring" not in quiet
    # neither: the near miss, as before
    assert "highest-scoring passage (below every threshold)" in calm and "to review" not in calm
