"""Hostile inputs, end to end (issue 16, items 7-11, 18, 21 and 29's CSV messages).

Each test reads real files (or a real pipe) through ``labeler score`` in a subprocess, or
through ``html_to_text`` where the exact extracted text is the point, and checks what a
user gets: every document scored once, with exact offsets, and every record that cannot
be scored named, never silently dropped or merged.
"""

from __future__ import annotations

import array
import fcntl
import json
import os
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from labeler.batch.html_text import html_to_text

from .conftest import ROOT
from .test_hostile_paths import CALM, VIOLENT, clean, docs, jsonl, labeler, one_line


def records(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


def assert_offsets_exact(record: dict, text: str) -> None:
    """Every passage is the slice of the document text its offsets name."""
    assert record["passages"], record["id"]
    for passage in record["passages"]:
        assert text[passage["start"] : passage["end"]] == passage["text"], passage


# 7. HTML as browsers read it ------------------------------------------------------------

SHOUT = "Shouting, the gunmen stormed the village at dawn."
# name: (page, words a reader sees, words nobody sees)
PAGES = {
    "minified, no </head>": (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Raid</title>"
        "<link rel=stylesheet href=s.css><script>var x='<p>'</script>"
        f"<body><h1>Village raid</h1><p>{VIOLENT}</p><p>{CALM}</p></body></html>",
        ["Village raid", VIOLENT, CALM],
        ["var x", "Raid"],
    ),
    "no </head> and no <body>": (
        "<html><head><meta charset=utf-8><style>p{color:red}</style>"
        f"<div class=story><p>{VIOLENT}</p></div>",
        [VIOLENT],
        ["color:red"],
    ),
    "text closes <head>": (
        f"<head><title>T</title><meta name=x>{VIOLENT}<p>{CALM}",
        [VIOLENT, CALM],
        [],
    ),
    "unclosed <noscript>": (
        f"<p>{CALM}</p><noscript><img src=pixel.gif><p>{VIOLENT}</p>",
        [CALM, VIOLENT],
        [],
    ),
    "unclosed <template>": (f"<p>{CALM}</p><template><p>{VIOLENT}</p>", [CALM, VIOLENT], []),
    "unclosed <object>": (
        f"<p>{CALM}</p><object data=movie.swf><param name=q value=high><p>{VIOLENT}",
        [CALM, VIOLENT],
        [],
    ),
    "closed hidden elements stay hidden": (
        "<noscript>Please enable JavaScript</noscript><template><p>row</p></template>"
        f"<p>{VIOLENT}</p><object data=x>fallback</object>",
        [VIOLENT],
        ["enable JavaScript", "row", "fallback"],
    ),
    "end tags inside a script": (
        "<head><script>document.write('</noscript></head><body>injected')</script></head>"
        f"<noscript>no js</noscript><p>{VIOLENT}</p>",
        [VIOLENT],
        ["injected", "no js", "document.write"],
    ),
    "comments, CDATA and entities": (
        "<!-- <head> --><html><head><!--[if IE]><script>old()</script><![endif]-->"
        f"<meta charset=utf-8></head><body><p>Police &amp; witnesses said: {SHOUT}</p>"
        "<!-- </body> --><svg><![CDATA[<p>vector</p>]]></svg>"
        f"<p>&lt;{CALM}&gt;&nbsp;&#8220;quoted&#8221;</p></body></html>",
        [f"Police & witnesses said: {SHOUT}", f"<{CALM}> \u201cquoted\u201d"],
        ["old()", "vector"],
    ),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_html_text_is_what_a_browser_shows(name):
    html, shown, hidden = PAGES[name]
    text = html_to_text(html)
    for words in shown:
        assert words in text, (name, text)
    for words in hidden:
        assert words not in text, (name, text)


def test_real_world_pages_are_scored_with_exact_offsets(tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    names = {}
    for i, (name, (html, _, _)) in enumerate(PAGES.items()):
        path = folder / f"page{i}.html"
        path.write_text(html, encoding="utf-8")
        names[str(path)] = name
    result = labeler("score", folder)
    assert result.returncode == 0, clean(result)
    got = {record["id"]: record for record in records(result)}
    assert sorted(got) == sorted(names)
    for path, name in names.items():
        html, shown, _ = PAGES[name]
        text = html_to_text(html)
        assert_offsets_exact(got[path], text)
        passages = " ".join(p["text"] for p in got[path]["passages"])
        assert all(" ".join(words.split()) in passages for words in shown), name


# 8 and 21. Folders: symlinked subfolders, loops, deep nesting ------------------------------


def test_a_symlinked_subfolder_is_scored_and_loops_are_named(tmp_path):
    tree, other = tmp_path / "tree", tmp_path / "other"
    tree.mkdir()
    other.mkdir()
    jsonl(tree / "a.jsonl", [{"id": "a", "text": CALM}])
    jsonl(other / "o.jsonl", [{"id": "o", "text": VIOLENT}])
    (tree / "linkdir").symlink_to("../other")
    (tree / "again").symlink_to("../other")  # the same folder by a second way
    (other / "back").symlink_to("../tree")  # a loop
    (tree / "self").symlink_to(".")  # a loop
    result = labeler("score", tree)
    stderr = clean(result)
    assert result.returncode == 0, stderr
    assert [(r["id"], r["source"]["path"]) for r in records(result)] == [
        ("a", str(tree / "a.jsonl")),
        ("o", str(tree / "again" / "o.jsonl")),
    ]
    assert f"skipped {tree / 'linkdir'}: the same folder as {tree / 'again'}" in stderr
    assert f"skipped {tree / 'again' / 'back'}: a link back to {tree}" in stderr
    assert f"skipped {tree / 'self'}: a link back to {tree}" in stderr


def test_folders_nested_1100_deep_are_read(tmp_path):
    top = bottom = tmp_path / "deep"
    top.mkdir()
    for _ in range(1100):  # Path.mkdir(parents=True) recurses too
        bottom = bottom / "d"
        bottom.mkdir()
    jsonl(bottom / "x.jsonl", [{"id": "deepest", "text": VIOLENT}])
    try:
        result = labeler("score", top)
        assert result.returncode == 0, clean(result)
        assert [r["id"] for r in records(result)] == ["deepest"]
    finally:  # shutil.rmtree, and so pytest's clean-up, recurse one level a frame
        (bottom / "x.jsonl").unlink()
        while bottom != tmp_path:
            bottom.rmdir()
            bottom = bottom.parent


# 9. Piped JSONL that starts with blank lines ----------------------------------------------


def unread(fd: int) -> int:
    """Bytes written to a pipe and not read yet (Linux answers on either end)."""
    count = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, count)
    return count[0]


def piped(*chunks: bytes) -> subprocess.CompletedProcess:
    """``labeler score`` reading a real pipe written in ``chunks``, each written only
    once the reader has taken everything before it, as a slow producer's would be."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "labeler", "score"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdin is not None
    for chunk in chunks:
        deadline = time.monotonic() + 60
        while unread(proc.stdin.fileno()) and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.stdin.write(chunk)
        proc.stdin.flush()
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_piped_jsonl_whose_first_chunk_is_blank_is_read_as_jsonl():
    line = json.dumps({"id": "p1", "text": VIOLENT}).encode()
    result = piped(b"\n \r\n", line + b"\n" + line.replace(b"p1", b"p2") + b"\n")
    assert result.returncode == 0, clean(result)
    assert [(r["id"], r["source"]["line"]) for r in records(result)] == [("p1", 3), ("p2", 4)]


def test_piped_text_that_starts_with_blank_lines_keeps_them():
    text = f"\n\n  {VIOLENT}\n\n{CALM}\n"
    result = piped(b"\n\n  ", text[4:].encode())
    assert result.returncode == 0, clean(result)
    (record,) = records(result)
    assert record["id"] == "<stdin>"
    assert_offsets_exact(record, text)


# 10. Integers beyond 64 bits ---------------------------------------------------------------


def test_jsonl_ids_beyond_64_bits_keep_their_digits(tmp_path):
    big = [123456789012345678901234567890, 123456789012345678901234567891, 2**64, -(2**63) - 1]
    src = tmp_path / "ids.jsonl"
    src.write_text(
        "".join(f'{{"id": {n}, "text": "{VIOLENT}"}}\n' for n in big)
        + f'{{"id": "e", "text": "{CALM}", "n": {2**70}}}\n'
        + f'{{"id": "f", "text": "{CALM}", "n": 1e19, "m": {2**64 - 1}}}\n'
    )
    errors = tmp_path / "errors.jsonl"
    result = labeler("score", src, "--errors", errors)
    stderr = clean(result)
    assert result.returncode == 1, stderr
    got = records(result)
    assert [r["id"] for r in got] == [*map(str, big), "f"]
    assert got[-1]["fields"] == {"n": 1e19, "m": 2**64 - 1}
    expected = f"{src}:5: field 'n' holds an integer beyond 64 bits, which cannot be written"
    assert expected in stderr
    assert [e["line"] for e in map(json.loads, errors.read_text().splitlines())] == [5]


# 11. NUL bytes in JSONL are judged line by line --------------------------------------------


@pytest.mark.parametrize("before", [0, 1, 500], ids=["first line", "second line", "after 8 KB"])
def test_a_block_of_nul_bytes_rejects_only_its_line(tmp_path, before):
    rows = [json.dumps(r).encode() for r in docs(before + 2)]
    block = b"\0" * 4096
    lines = [*rows[:before], block, *rows[before:]]
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    result = labeler("score", src)
    stderr = clean(result)
    assert result.returncode == 1, stderr
    assert f"{src}:{before + 1}: binary data in the line (a NUL byte at byte 1)" in stderr
    assert [r["id"] for r in records(result)] == [f"d{i}" for i in range(before + 2)]


# 18. File names that are not UTF-8 -------------------------------------------------------


def test_a_file_name_that_is_not_utf8_is_scored_under_a_readable_name(tmp_path):
    folder = tmp_path / "names"
    folder.mkdir()
    jsonl(folder / "good.jsonl", [{"id": "good", "text": VIOLENT}])
    bad = os.fsdecode(bytes(folder) + b"/caf\xe9.txt")
    Path(bad).write_text(CALM, encoding="utf-8")
    os.mkdir(os.fsdecode(bytes(folder) + b"/sub\xff"))
    Path(os.fsdecode(bytes(folder) + b"/sub\xff/x\xfe.bin")).write_bytes(b"?")
    shown = f"{folder}/caf\\xe9.txt"
    for args in ([folder], [bad, folder / "good.jsonl"], [folder, "--format", "csv"]):
        result = labeler("score", *args)
        stderr = clean(result)
        assert result.returncode == 0, stderr
        if "csv" in args:
            assert shown in result.stdout.decode()
            continue
        assert sorted(r["id"] for r in records(result)) == sorted(["good", shown])
    assert f"skipped {folder}/sub\\xff/x\\xfe.bin: unsupported type (.bin)" in stderr


# 29. CSV messages -----------------------------------------------------------------------


def test_a_multi_line_csv_row_is_named_by_its_first_line(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(
        f'id,text\nr1,"{VIOLENT}\nsecond line\nthird"\nr2,"{CALM}\nmore",extra\nr3,{CALM}\n',
        encoding="utf-8",
    )
    result = labeler("score", src)
    stderr = clean(result)
    assert result.returncode == 1, stderr
    assert [(r["id"], r["source"]["line"]) for r in records(result)] == [("r1", 2), ("r3", 7)]
    assert f"{src}:5: row has 3 fields, the header has 2" in stderr


def test_a_duplicate_csv_column_is_one_error_naming_it(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(f"id,text,desk,text\nr1,{VIOLENT},metro,{CALM}\n", encoding="utf-8")
    errors = tmp_path / "errors.jsonl"
    result = labeler("score", src, "--errors", errors)
    stderr = clean(result)
    assert result.returncode == 1, stderr
    assert records(result) == []
    assert f"{src}:1: the header names column 'text' twice" in stderr
    assert len(errors.read_text().splitlines()) == 1


def test_an_output_in_a_folder_reached_through_a_link_is_refused(tmp_path):
    tree, other = tmp_path / "tree", tmp_path / "other"
    tree.mkdir()
    other.mkdir()
    jsonl(tree / "a.jsonl", [{"id": "a", "text": CALM}])
    (tree / "linkdir").symlink_to("../other")
    errors = other / "bad.jsonl"  # reading tree would read it through linkdir
    result = labeler("score", tree, "--errors", errors)
    assert result.returncode == 2
    assert f"--errors {errors} is inside the input folder {tree}" in one_line(result)
    assert list(other.iterdir()) == []
