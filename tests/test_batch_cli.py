"""End-to-end tests of ``labeler score`` as a subprocess: formats, errors, resume."""

from __future__ import annotations

import csv
import gzip
import json
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labeler import score_text

from .conftest import EXAMPLE, ROOT

VIOLENT = "Gunmen stormed the village at dawn and shot dead eleven people."
CALM = "The council approved a new budget for the library."
THREAT = "He said he would hurt her if she told anyone."  # under the flag, at the review point


def run(*args, stdin: bytes | None = None, env: dict | None = None, cwd: Path = ROOT):
    return subprocess.run(
        [sys.executable, "-m", "labeler", "score", *map(str, args)],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


def records(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode().splitlines()]


def jsonl_file(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture()
def corpus(tmp_path):
    """One small file of every supported format, in a folder tree."""
    root = tmp_path / "corpus"
    (root / "b").mkdir(parents=True)
    (root / "a.txt").write_text(VIOLENT, encoding="utf-8")
    (root / "b" / "c.md").write_text(f"# Notes\n\n{CALM}", encoding="utf-8")
    (root / "b" / "d.html").write_text(f"<p>{VIOLENT}</p><script>{CALM}</script>", encoding="utf-8")
    jsonl_file(root / "e.jsonl", [{"id": "e1", "text": VIOLENT, "desk": "world"}])
    (root / "f.ndjson").write_text(json.dumps({"id": "f1", "text": CALM}) + "\n")
    (root / "g.csv").write_text(f'id,text,desk\ng1,"{VIOLENT}",metro\n', encoding="utf-8")
    with gzip.open(root / "h.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(json.dumps({"id": "h1", "text": CALM}) + "\n")
    with gzip.open(root / "i.txt.gz", "wt", encoding="utf-8") as f:
        f.write(VIOLENT)
    with gzip.open(root / "j.csv.gz", "wt", encoding="utf-8") as f:
        f.write(f"id,text\nj1,{CALM}\n")
    (root / "k.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0")  # unknown type: not an input
    return root


def test_every_format_in_a_folder_in_sorted_order(corpus):
    out = run(corpus, "--jobs", "1")
    assert out.returncode == 0, out.stderr
    got = records(out.stdout)
    assert [r["id"] for r in got] == [
        str(corpus / "a.txt"),
        str(corpus / "b" / "c.md"),
        str(corpus / "b" / "d.html"),
        "e1",
        "f1",
        "g1",
        "h1",
        str(corpus / "i.txt.gz"),
        "j1",
    ]
    flagged = {r["id"]: r["flags"] for r in got}
    assert "violence" in flagged["e1"] and "violence" in flagged["g1"]
    assert flagged["f1"] == [] and flagged["h1"] == []
    html = got[2]
    assert html["passages"][0]["text"] == VIOLENT  # tags and script stripped
    assert got[3]["fields"] == {"desk": "world"} and got[5]["fields"] == {"desk": "metro"}
    assert got[3]["source"] == {"path": str(corpus / "e.jsonl"), "line": 1}


def test_stdin_text_and_jsonl_to_stdout():
    text = run("-", stdin=VIOLENT.encode())
    assert records(text.stdout)[0]["id"] == "<stdin>"
    lines = (json.dumps({"id": 1, "text": VIOLENT}) + "\n" + json.dumps({"text": CALM})).encode()
    got = records(run(stdin=lines).stdout)
    assert [r["id"] for r in got] == ["1", "<stdin>:2"]


def test_custom_text_and_id_fields(tmp_path):
    src = jsonl_file(tmp_path / "in.jsonl", [{"key": "k1", "body": VIOLENT, "text": 5}])
    got = records(run(src, "--text-field", "body", "--id-field", "key").stdout)
    assert got[0]["id"] == "k1" and got[0]["fields"] == {"text": 5}


def test_id_field_that_is_the_text_field_still_carries_the_other_fields(tmp_path):
    src = jsonl_file(tmp_path / "in.jsonl", [{"text": VIOLENT, "desk": "world"}])
    got = records(run(src, "--id-field", "text").stdout)
    assert got[0]["id"] == VIOLENT and got[0]["fields"] == {"desk": "world"}


def test_csv_output_one_row_per_passage_with_formulas_escaped(tmp_path):
    src = jsonl_file(
        tmp_path / "in.jsonl",
        [
            {"id": '=HYPERLINK("http://x")', "text": f"{VIOLENT}\n\n{CALM}"},
        ],
    )
    out = run(src, "--format", "csv")
    lines = out.stdout.decode().splitlines()
    assert lines[0] == (
        "id,passage,start,end,violence,graphic,severity,flags,review,"
        "violence_evidence,graphic_evidence,warning,warning_categories"
    )
    assert len(lines) == 3
    rows = list(csv.reader(lines[1:]))
    assert rows[0][0] == '\'=HYPERLINK("http://x")' and rows[0][1:3] == ["0", "0"]
    assert rows[0][7] == "violence" and rows[0][9]  # its violence evidence terms
    assert rows[1][6:11] == ["0", "", "", "", ""]  # the calm passage: no flag, no evidence
    assert rows[0][11] == rows[1][11] != ""  # the document's warning on each of its rows
    assert rows[0][11].startswith("Contains descriptions of violence")
    assert rows[0][12] == rows[1][12] != ""  # and its categories, space-separated keys


def test_csv_review_column_holds_each_passages_review_labels_like_the_flags_column(tmp_path, model):
    text = f"{VIOLENT}\n\n{THREAT}\n\n{CALM}"
    passages = score_text(text, "d", model)["passages"]
    assert passages[1]["review"] and not passages[1]["flags"]  # the case this test needs
    out = run(jsonl_file(tmp_path / "in.jsonl", [{"id": "d", "text": text}]), "--format", "csv")
    rows = list(csv.DictReader(out.stdout.decode().splitlines()))
    assert [(r["flags"], r["review"]) for r in rows] == [
        (" ".join(p["flags"]), " ".join(p["review"])) for p in passages
    ]
    assert rows[1]["flags"] == "" and rows[1]["review"] == "violence"  # to review, not flagged


def test_thresholds_and_filters(tmp_path):
    src = jsonl_file(
        tmp_path / "in.jsonl", [{"id": "v", "text": VIOLENT}, {"id": "c", "text": CALM}]
    )
    assert [r["id"] for r in records(run(src, "--only-flagged").stdout)] == ["v"]
    assert records(run(src, "--threshold", "violence=1.0", "--only-flagged").stdout) == []
    loose = records(run(src, "--threshold", "violence=0.0").stdout)
    assert all("violence" in r["flags"] for r in loose)
    assert records(run(src, "--min-severity", "3").stdout) == []


def test_only_review_outputs_documents_flagged_or_to_review(tmp_path, model):
    assert score_text(THREAT, "t", model)["review"] == ["violence"]  # the case this test needs
    rows = [{"id": "v", "text": VIOLENT}, {"id": "t", "text": THREAT}, {"id": "c", "text": CALM}]
    src = jsonl_file(tmp_path / "in.jsonl", rows)
    assert [r["id"] for r in records(run(src, "--only-review").stdout)] == ["v", "t"]
    table = list(
        csv.DictReader(run(src, "--only-review", "--format", "csv").stdout.decode().splitlines())
    )
    assert [r["id"] for r in table] == ["v", "t"]  # CSV: the passages flagged or to review
    both = run(src, "--only-flagged", "--only-review")
    assert both.returncode == 2 and b"not allowed with argument" in both.stderr
    assert b"Traceback" not in both.stderr and both.stdout == b""


def test_parallel_jobs_give_identical_output(tmp_path):
    rows = [{"id": str(i), "text": VIOLENT if i % 3 else CALM} for i in range(3000)]
    src = jsonl_file(tmp_path / "in.jsonl", rows)
    one, two = run(src, "--jobs", "1"), run(src, "--jobs", "2")
    assert one.returncode == two.returncode == 0
    assert one.stdout == two.stdout and len(one.stdout.splitlines()) == 3000


BAD_CASES = {
    "malformed": (b'{"id": "x", "text": \n', "malformed JSON"),
    "missing": (b'{"id": "x", "body": "hi"}\n', "no 'text' field (fields: body, id)"),
    "not a string": (
        b'{"id": "x", "text": ["a"]}\n',
        "field 'text' is an array, expected a string",
    ),
    "invalid utf-8": (b'{"id": "x", "text": "caf\xe9"}\n', "not valid UTF-8 (byte 24)"),
}


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_jsonl_line_is_reported_kept_and_the_rest_scored(tmp_path, case):
    line, reason = BAD_CASES[case]
    good = json.dumps({"id": "ok", "text": VIOLENT}).encode() + b"\n"
    src = tmp_path / "in.jsonl"
    src.write_bytes(good + line + good)
    errors = tmp_path / "errors.jsonl"
    out = run(src, "--errors", errors)
    assert out.returncode == 1
    assert f"{src}:2: {reason}".encode() in out.stderr
    assert [r["id"] for r in records(out.stdout)] == ["ok", "ok"]
    (error,) = [json.loads(x) for x in errors.read_text().splitlines()]
    assert error["path"] == str(src) and error["line"] == 2 and reason in error["reason"]
    assert error["original"]


def test_bad_files_each_give_one_clear_error(tmp_path):
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\0\0\0binary")
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("line one\nCaf\xe9 attack".encode("latin-1"))
    missing = tmp_path / "missing.txt"
    huge = tmp_path / "huge.jsonl"
    with huge.open("wb") as f:  # a 50 MB single-line document, then a good one
        f.write(b'{"id": "huge", "text": "' + b"word " * 10_000_000 + b'"}\n')
        f.write(json.dumps({"id": "after", "text": VIOLENT}).encode() + b"\n")
    errors = tmp_path / "errors.jsonl"
    out = run(binary, empty, latin, missing, huge, EXAMPLE, "--errors", errors)
    stderr = out.stderr.decode()
    assert out.returncode == 1
    assert f"{binary}: binary file (contains NUL bytes), not text" in stderr
    assert f"{empty}: empty file: no documents" in stderr
    assert f"{latin}:2: not valid UTF-8 (byte 12)" in stderr
    assert f"{missing}: cannot read: No such file or directory" in stderr
    assert f"{huge}:1: line is larger than the 10,000,000-character limit" in stderr
    assert [r["id"] for r in records(out.stdout)] == ["after", str(EXAMPLE)]
    assert len(errors.read_text().splitlines()) == 5


def test_bad_csv_rows(tmp_path):
    src = tmp_path / "in.csv"
    src.write_bytes(
        b'id,text\na,"' + VIOLENT.encode() + b'"\nb,x,extra\nc,caf\xe9\nd,fine text here\n'
    )
    out = run(src)
    stderr = out.stderr.decode()
    assert out.returncode == 1
    assert f"{src}:3: row has 3 fields, the header has 2" in stderr
    assert f"{src}:4: not valid UTF-8 (byte 5)" in stderr
    assert [r["id"] for r in records(out.stdout)] == ["a", "d"]
    no_column = tmp_path / "cols.csv"
    no_column.write_text("id,body\n1,hello\n")
    assert "no 'text' column (columns: id, body)" in run(no_column).stderr.decode()


@pytest.mark.parametrize(
    "args",
    [
        ["--threshold", "violence=2"],
        ["--threshold", "gore=0.5"],
        ["--resume"],
        ["--jobs", "0"],
        ["--nonsense"],
        ["--min-severity", "7"],
    ],
)
def test_usage_errors_exit_2(args):
    out = run(EXAMPLE, *args)
    assert out.returncode == 2 and out.stdout == b""
    assert out.stderr


def test_output_file_is_atomic_and_complete(tmp_path):
    out_path = tmp_path / "out.jsonl"
    out = run(EXAMPLE, "-o", out_path)
    assert out.returncode == 0 and out.stdout == b""
    assert [r["id"] for r in records(out_path.read_bytes())] == [str(EXAMPLE)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_kill_9_then_resume_gives_exactly_the_uninterrupted_output(tmp_path):
    """Killed after its first batch (BATCH_DOCS) is committed, mid-way through the second."""
    rows = [
        {"id": f"d{i}", "text": f"{VIOLENT} Report {i}." if i % 4 else CALM} for i in range(3_000)
    ]
    src = jsonl_file(tmp_path / "in.jsonl", rows + ["not an object"])
    args = [src, "--jobs", "1", "--errors"]
    whole, whole_err = tmp_path / "whole.jsonl", tmp_path / "whole_err.jsonl"
    assert run(*args, whole_err, "-o", whole).returncode == 1
    out, err = tmp_path / "out.jsonl", tmp_path / "err.jsonl"
    state = tmp_path / "out.jsonl.partial.json"
    cmd = [sys.executable, "-m", "labeler", "score", *map(str, args), str(err), "-o", str(out)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if state.exists() and json.loads(state.read_text())["items"] >= 2000:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not out.exists(), "a killed run leaves no file that looks complete"
    assert run(*args, err, "-o", out).returncode == 2  # refuses to clobber without --resume
    resumed = run(*args, err, "-o", out, "--resume")
    assert resumed.returncode == 1
    assert out.read_bytes() == whole.read_bytes()
    assert err.read_bytes() == whole_err.read_bytes()
    assert b"3,000 documents" in resumed.stderr


def tty_run(args: list[str], env: dict) -> str:
    """`labeler score ARGS` with its output on a pseudo-terminal: what it shows there."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.execve(
            sys.executable, [sys.executable, "-m", "labeler", "score", *args], {**os.environ, **env}
        )
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.waitpid(pid, 0)
    return b"".join(chunks).decode()


def test_terminal_gets_a_readable_report_with_highlighted_evidence():
    plain = tty_run([str(EXAMPLE), "--jobs", "1"], {"NO_COLOR": "1"})
    assert "severity 3" in plain and "#2 (also #3)" in plain  # numbered from 1
    assert "{alive}" in plain and "[killed]" in plain  # graphic's and violence's brackets
    coloured = tty_run([str(EXAMPLE), "--jobs", "1"], {})
    assert "\x1b[1;31malive\x1b[0m" in coloured


def test_progress_bar_only_on_a_terminal(tmp_path):
    shown = tty_run([str(EXAMPLE), "--jobs", "1", "-o", str(tmp_path / "o.jsonl")], {})
    assert "passages/s" in shown.split("labeler:")[0]
    quiet = tty_run([str(EXAMPLE), "--jobs", "1", "-o", str(tmp_path / "q.jsonl"), "--quiet"], {})
    assert quiet == ""
    piped = run(EXAMPLE, "-o", tmp_path / "p.jsonl")
    assert b"passages/s" in piped.stderr and b"\r" not in piped.stderr  # summary only


def test_no_input_on_a_terminal_is_a_usage_error_not_a_hang():
    out = tty_run([], {})
    assert "no INPUT given and nothing piped in" in out


def test_error_messages_cannot_drive_the_terminal(tmp_path):
    """A CSV header is untrusted: its escape codes are shown escaped, never sent raw."""
    src = tmp_path / "export.csv"
    src.write_text("\x1b]0;pwned\x07title,\x1b[2Jbody\nx,y\n")
    result = run(src, "--quiet")
    assert result.returncode == 1
    assert b"\x1b" not in result.stderr and b"\\x1b[2Jbody" in result.stderr


def test_a_folder_scan_names_the_files_it_skipped_and_why(tmp_path):
    (tmp_path / "a.txt").write_text(VIOLENT)
    (tmp_path / "e_notes.docx").write_bytes(b"PK\x03\x04 not ours")
    (tmp_path / "README").write_text("no extension")
    out = run(tmp_path, "--jobs", "1")
    assert out.returncode == 0
    err = out.stderr.decode()
    assert f"skipped {tmp_path / 'e_notes.docx'}: unsupported type (.docx)" in err
    assert f"skipped {tmp_path / 'README'}: unsupported type (no extension)" in err
    assert len(out.stdout.splitlines()) == 1  # a.txt alone was scored
