"""Hostile and malformed input, generated: nothing crashes, offsets stay valid, and what
cannot be read is one clear error naming the file (and line).

About 11,000 generated inputs in all (the ``max_examples`` below) when
``LABELER_FUZZ=full``, as ``benchmarks/fuzz_report.py`` runs it; the suite runs the first
quarter of each test's inputs (and every explicit ``@example``). Reproducible
(``derandomize``, no example database): unicode with control, bidi, zero-width and
surrogate characters and every kind of line break; HTML with broken tags, comments,
marked sections and entities; JSONL with broken, deeply nested and wrongly typed
records; CSV with quoting edge cases; damaged gzip; and ``labeler score`` end to end
on folders of such files. ``benchmarks/fuzz_report.py`` runs this file and prints how
many inputs were tried and how many failed.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
import os
import time
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st

from labeler.batch.documents import Document, InputError, ReadOptions
from labeler.batch.html_text import html_to_text
from labeler.batch.sources import UTF16_BOMS, read_inputs
from labeler.batch.streams import SNIFF_BYTES
from labeler.labels import LABELS
from labeler.passages import Passage, is_junk, split_passages
from labeler.scoring import score_documents, score_text

from .test_batch_cli import run


def records(jsonl: bytes) -> list[dict]:
    """Output records: JSON Lines split at \\n only (a text may hold U+2028 or U+0085)."""
    return [json.loads(line) for line in jsonl.split(b"\n") if line]


SHARE = 1 if os.environ.get("LABELER_FUZZ") == "full" else 4  # of max_examples, in the suite


def fuzz(examples: int, shrink: bool = True) -> settings:
    """Reproducible settings: the same inputs on every run, no deadline on a busy machine.

    The autouse ``isolated_home`` fixture only sets environment variables, so sharing
    it between the examples of one test is harmless.
    """
    return settings(
        max_examples=-(-examples // SHARE),
        phases=list(Phase) if shrink else [Phase.explicit, Phase.generate],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


# --- generated text ------------------------------------------------------------------

HOSTILE = [
    *"\u200f\u200e\u202e\u202d\u202a\u2066\u2067\u2069",  # bidi marks and overrides
    *"\u200b\u200c\u200d\ufeff\u00ad\u2060",  # zero-width, BOM, soft hyphen
    *"\u2028\u2029\x85\x0b\x0c\x1c\x1d\x1e\x1f",  # line breaks other than \n
    *"\x00\x01\x07\x08\x1b\x7f\x9b",  # control characters
    *"\t \u3000\u00a0\u2009",  # spaces
    "\r\n",
    "\r",
    "\n",
    "\n\n",
    " \n \n ",
    *".!?\u2026\"')]\u201d\u2019",  # sentence ends
    "...",
    "?!",
    *"\u0130\u0131\u00df\ufb01\u03a3\u1e9e",  # case mappings that change length or context
    "\u0391\u03a3",
    "\u0301",  # a combining mark
    "\U0001f600",
    "\U0010ffff",
]
WORDS = [
    "killed",
    "Killed",
    "KILLED",
    "shot dead",
    "blood",
    "stabbed",
    "bomb",
    "gunmen",
    "beheaded",
    "buried alive",
    "massacre",
    "the",
    "not",
    "police said",
    "crowds fled",
    "\u0130stanbul",
    "x" * 90,
]
fragment = st.one_of(
    st.sampled_from(HOSTILE),
    st.sampled_from(WORDS).map(lambda w: w + " "),
    st.text(st.characters(), max_size=6),  # any code point but surrogates
    st.characters(categories=["Cs"]),  # lone surrogates: Python strings allow them
)
hostile_text = st.lists(fragment, max_size=120).map("".join)
short_text = st.lists(fragment, max_size=15).map("".join)
encodable_text = st.lists(
    st.one_of(
        st.sampled_from([h for h in HOSTILE if h != "\x00"]),
        st.sampled_from(WORDS).map(lambda w: w + " "),
        st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=6),
    ),
    max_size=40,
).map("".join)


def assert_passages_valid(text: str, passages, max_chars: int) -> None:
    """The invariants of labeler.passages: exact offsets, in order, nothing dropped."""
    assert passages, "every document yields at least one passage"
    last_end = 0
    for i, p in enumerate(passages):
        assert p.index == i
        assert text[p.start : p.end] == p.text
        assert last_end <= p.start <= p.end <= len(text)
        gap = text[last_end : p.start]
        assert not gap or gap.isspace(), "only whitespace lies between passages"
        last_end = p.end
        if text.strip():
            assert p.text.strip() and len(p.text) <= max_chars
    assert not text[last_end:] or text[last_end:].isspace()


@fuzz(3500)
@given(hostile_text, st.sampled_from([1, 2, 7, 40, 600]))
@example("." * 200_000, 600)  # was quadratic: every mark of a run tried as a sentence end
@example("!?" * 50_000 + " x", 600)
def test_split_passages_offsets_are_exact_on_any_unicode(text, max_chars):
    passages = split_passages(text, max_chars)
    assert_passages_valid(text, passages, max_chars)
    for p in passages:
        is_junk(p.text)


@pytest.mark.parametrize(
    "text",
    [
        "word " * 1_000_000,  # 5 MB on one line, no sentence mark
        "x" * 3_000_000,  # 3 MB without a space
        "." * 2_000_000,
        "\u2026" * 1_000_000 + "\u200f" * 1_000_000,
        ("Police said the gunmen killed four. " * 30 + "\n") * 2_000,
        "\r" * 1_000_000 + "a",
        "\n" + " " * 2_000_000 + "a",
    ],
    ids=["words", "no-space", "dots", "ellipses", "crlf-lines", "cr", "spaces"],
)
def test_enormous_lines_split_in_linear_time(text):
    start = time.perf_counter()
    passages = split_passages(text)
    assert time.perf_counter() - start < 10  # quadratic would be hours
    assert_passages_valid(text, passages, 600)


# --- scoring ---------------------------------------------------------------------------


def assert_record_valid(record: dict, text: str) -> None:
    """Scores are probabilities, offsets slice the text, evidence lies in its passage."""
    assert_passages_valid(text, _as_passages(record["passages"]), 600)
    for item in [record, *record["passages"]]:
        assert set(item["scores"]) == set(LABELS)
        assert all(0.0 <= s <= 1.0 for s in item["scores"].values())
        assert set(item["flags"]) <= set(LABELS) and 0 <= item["severity"] <= 3
    for p in record["passages"]:
        assert set(p["flags"]) <= set(p["review"]) <= set(LABELS)
        for e in p["evidence"]:  # evidence is given for the labels flagged or to review
            assert e["label"] in p["review"]
            assert 0 <= e["start"] < e["end"] <= len(p["text"])
            assert p["text"][e["start"] : e["end"]].strip(), e
            assert e["weight"] > 0
    top = [max((p["scores"][k] for p in record["passages"]), default=0.0) for k in LABELS]
    assert [record["scores"][k] for k in LABELS] == top


def _as_passages(passages: list[dict]) -> list[Passage]:
    return [Passage(p["index"], p["start"], p["end"], p["text"]) for p in passages]


@fuzz(1500)
@given(hostile_text)
@example("GUNMEN KILLED \u0130\u0130 THE \u0130stanbul police. " * 30)  # lower() grows: İ
@example("\u0391\u03a3'\u0391 killed \u03a3 blood " * 20)  # lower() depends on context: Σ
def test_score_text_never_crashes_and_scores_are_probabilities(model, text):
    record = score_text(text, "doc", model)
    assert_record_valid(record, text)
    event("flagged" if record["flags"] else "not flagged")


@fuzz(300)
@given(st.lists(hostile_text, min_size=2, max_size=5))
def test_documents_scored_together_score_as_alone(model, texts):
    """A batch joins its texts for one tokenizer pass: nothing may leak between them."""
    together = score_documents([(str(i), t) for i, t in enumerate(texts)], model)
    alone = [score_text(t, str(i), model) for i, t in enumerate(texts)]
    assert together == alone


# --- HTML ----------------------------------------------------------------------------

tag_name = st.sampled_from(["p", "div", "a", "script", "style", "title", "br", "svg", "x-y", "P"])
html_fragment = st.one_of(
    fragment,
    tag_name.map(lambda t: f"<{t}>"),
    tag_name.map(lambda t: f"</{t}>"),
    tag_name.map(lambda t: f"<{t} class='a' data-x=\"b\" hidden>"),
    st.sampled_from(
        [
            "<",
            ">",
            "</",
            "<a ",
            "<a b='",
            '<a b="',
            "<p",
            "<a\x00",
            "<br/>",
            "<!--",
            "-->",
            "--!>",
            "<!-- c -->",
            "<!",
            "<![",
            "<![ x",
            "<![CDATA[",
            "<![cdata[x]]>",
            "]]>",
            "]>",
            "<![if !supportLists]>",
            "<![endif]>",
            "<?xml x?>",
            "<?",
            "<!doctype html>",
            "<!DOCTYPE",
            "&",
            "&#",
            "&#x",
            "&amp;",
            "&amp",
            "&lt;",
            "&#0;",
            "&#xD800;",
            "&#x110000;",
            "&#99999999999;",
            "&bogus;",
            "&nbsp;",
            "<script>alert(1)</script>",
            "</script",
        ]
    ),
)
hostile_html = st.lists(html_fragment, max_size=120).map("".join)


@fuzz(2000)
@given(hostile_html)
@example("<![ x")  # crashed: AssertionError("expected name token") from the stdlib parser
@example("x <![ y> z <![if a b <p>c")
def test_html_to_text_never_crashes_and_its_text_splits_exactly(html):
    text = html_to_text(html)
    assert isinstance(text, str) and text == text.strip()
    assert_passages_valid(text, split_passages(text), 600)


@pytest.mark.parametrize(
    "html",
    [
        "<a " * 100_000,  # each unclosed tag made the stdlib parser rescan the rest
        "<a b='" * 50_000,
        "<p<a " * 50_000,
        "<!--x>" * 50_000,  # unclosed comments, a '>' after each
        "<![CDATA[x]>" * 25_000,
        "<![if x>" * 40_000,
        "</" * 100_000,
        "<p>" + "word " * 1_000_000 + "</p>",  # 5 MB paragraph
    ],
    ids=["tags", "quotes", "nested", "comments", "cdata", "ms-sections", "end-tags", "5MB"],
)
def test_hostile_html_parses_in_linear_time(html):
    start = time.perf_counter()
    html_to_text(html)
    assert time.perf_counter() - start < 10  # these took minutes before


# --- source readers ------------------------------------------------------------------


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def read(path: Path, options: ReadOptions) -> list:
    items = list(read_inputs([str(path)], options))
    assert items, "every input yields at least one document or error"
    for item in items:
        assert isinstance(item, Document | InputError)
        assert item.path == str(path)
        if isinstance(item, InputError):
            assert item.reason and item.message().startswith(f"{path}")
        else:
            assert isinstance(item.text, str) and len(item.text) <= options.max_chars
    return items


def file_level_error(data: bytes, items: list, jsonl: bool = False) -> bool:
    """Whether ``items`` is the one error for an empty, binary or BOM-less UTF-16 file, as
    ``data`` is, or ``data`` starts with a UTF-16 byte-order mark: then its lines are
    UTF-16's, not these bytes' (test_hostile_paths tests such files), and the caller's
    line-by-line checks do not apply.

    Binary is judged on the reader's first look (at least the first 1,024 bytes, at most
    SNIFF_BYTES): NUL bytes in a sample that is not UTF-8 make a file binary; a NUL in
    UTF-8 text does not. JSONL is never called binary as a whole: a line holding a NUL
    is an error of its own, wherever it lies. A file that starts with a UTF-16
    byte-order mark is read as UTF-16, never called binary.
    """
    whole = (
        len(items) == 1
        and isinstance(items[0], InputError)
        and items[0].line is None
        and items[0].reason.startswith(("empty file", "binary file", "UTF-16"))
    )
    head = data[:1024]
    binary = b"\0" in head and not _utf8(head) and head[:2] not in UTF16_BOMS
    if not data or (binary and not jsonl):
        assert whole, items
    if whole and items[0].reason.startswith(("binary", "UTF-16")):
        assert b"\0" in data[:SNIFF_BYTES]
        assert not (jsonl and items[0].reason.startswith("binary")), items
    return whole or data[:2] in UTF16_BOMS


def _utf8(head: bytes) -> bool:
    """Whether ``head`` is UTF-8, but for a character cut at its end."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as err:
        return err.start >= len(head) - 3
    return True


options = st.builds(
    ReadOptions,
    text_field=st.sampled_from(["text", "text", "text", "body", ""]),
    id_field=st.sampled_from(["id", "id", "text", "key"]),
    max_chars=st.sampled_from([10_000_000, 10_000_000, 30, 1]),
)
json_value = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=10),
    ),
    lambda kids: (
        st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=4), kids, max_size=3)
    ),
    max_leaves=5,
)
json_record = st.fixed_dictionaries(
    {},
    optional={
        "id": json_value,
        "key": json_value,
        "text": short_text | json_value,
        "body": short_text,
        "desk": json_value,
    },
)


@st.composite
def json_line(draw) -> bytes:
    kind = draw(st.integers(0, 9))
    if kind <= 3:  # a record, escaped or raw (lone surrogates raw make invalid UTF-8)
        ascii_only = draw(st.booleans())
        text = json.dumps(draw(json_record), ensure_ascii=ascii_only)
        return text.encode("utf-8", "surrogatepass")
    if kind == 4:  # a record cut short
        line = json.dumps(draw(json_record)).encode()
        return line[: draw(st.integers(0, len(line)))]
    if kind == 5:  # nested: opened only, or closed inside a field or the id
        depth = draw(st.integers(1, 1500))
        opener = draw(st.sampled_from([b"[", b"{", b'{"a":']))
        closed = b"[" * depth + b"]" * depth
        return draw(
            st.sampled_from(
                [
                    opener * depth,
                    b'{"text": "x", "a": ' + closed + b"}",
                    b'{"text": "x", "id": ' + closed + b"}",
                    b'{"text": ' + closed + b"}",
                ]
            )
        )
    if kind == 6:
        return draw(st.binary(max_size=40))
    return draw(
        st.sampled_from(
            [
                b"",
                b"   ",
                b"\t\x0c",
                b"\xef\xbb\xbf",
                b'\xef\xbb\xbf{"text": "bom"}',
                b'{"text": "a\x00b"}',
                b'{"text": "a\\u0000b\\u202e"}',
                b'{"text": "\\ud800"}',
                b'{"text": "\\ud83d\\ude00"}',
                b'{"text": "x", "n": 123456789012345678901234567890}',
                b'{"text": "x", "n": 1e999}',
                b'{"text": NaN}',
                b'{"text": "x", "text": 5}',
                b'{"text": "x",}',
                b"[]",
                b'"text"',
                b"null",
                b'{"text": "' + b"long " * 30 + b'"}',
            ]
        )
    )


@fuzz(1200)
@given(
    st.lists(json_line(), max_size=8),
    st.sampled_from([b"\n", b"\r\n"]),
    st.booleans(),
    options,
)
@example(  # crashed the run: orjson reads 1,024 levels but writes only 254
    [b'{"text": "x", "a": ' + b"[" * 300 + b"]" * 300 + b"}"], b"\n", False, ReadOptions()
)
@example(  # crashed: str() of an id nested 1,000 deep overflows the stack
    [b'{"text": "x", "id": ' + b"[" * 1000 + b"]" * 1000 + b"}"], b"\n", False, ReadOptions()
)
def test_jsonl_every_line_is_a_document_or_an_error_naming_it(folder, lines, eol, bom, options):
    data = (b"\xef\xbb\xbf" if bom else b"") + eol.join(lines)
    path = folder / "in.jsonl"
    path.write_bytes(data)
    items = read(path, options)
    if file_level_error(data, items, jsonl=True):
        return
    physical = data.split(b"\n")
    too_long = 4 * options.max_chars
    expected = [n for n, raw in enumerate(physical, 1) if raw.strip() or len(raw) > too_long]
    if not expected:
        assert [(type(i), i.line) for i in items] == [(InputError, None)], "blank: one error"
        return
    assert [item.line for item in items] == expected, "one item per non-blank line, in order"
    for item in items:
        if isinstance(item, Document):
            raw = physical[item.line - 1]
            record = orjson.loads(raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw)
            assert item.text == record[options.text_field]
            orjson.dumps(item.fields)  # what was read can be written
            assert isinstance(item.id, str)


def csv_row(cells: list[str], eol: str, quote_all: int = 0) -> str:
    """One well-formed CSV row. csv.writer quotes a field for the line breaks in its
    lineterminator only: a lone \\r in a field is quoted only with "\\r\\n" or QUOTE_ALL."""
    out = io.StringIO()
    quoting = csv.QUOTE_ALL if quote_all or eol == "\n" else csv.QUOTE_MINIMAL
    csv.writer(out, lineterminator=eol, quoting=quoting).writerow(cells)
    return out.getvalue()


csv_cell = st.lists(
    st.one_of(
        st.sampled_from(['"', '""', ",", "\n", "\r", "\r\n", "\x00", "\ufeff", " ", "'"]),
        st.text(max_size=5),
        st.sampled_from(WORDS),
    ),
    max_size=4,
).map("".join)


@st.composite
def csv_line(draw) -> bytes:
    kind = draw(st.integers(0, 5))
    cells = draw(st.lists(csv_cell, max_size=4))
    if kind <= 1:  # quoted properly
        return csv_row(cells, "\r\n", kind).removesuffix("\r\n").encode("utf-8", "surrogatepass")
    if kind == 2:  # joined raw: stray and unbalanced quotes
        return ",".join(cells).encode("utf-8", "surrogatepass")
    if kind == 3:  # an opening quote never closed
        return ('"' + ",".join(cells)).encode("utf-8", "surrogatepass")
    if kind == 4:
        return draw(st.binary(max_size=20))
    return draw(st.sampled_from([b"", b",", b'""', b'"a"b,c', b"a,b,c,d", b"caf\xe9,x"]))


csv_header = st.sampled_from(
    [
        b"id,text",
        b"\xef\xbb\xbfid,text",
        b'"id","text",desk',
        b"text",
        b"id,body",
        b"text,text",
        b"",
        b'"unterminated',
        b'id,"te\nxt"',
    ]
)


@fuzz(1000)
@given(csv_header, st.lists(csv_line(), max_size=8), st.sampled_from([b"\n", b"\r\n"]), options)
def test_csv_rows_are_documents_or_errors_naming_a_line(folder, header, lines, eol, options):
    data = eol.join([header, *lines])
    path = folder / "in.csv"
    path.write_bytes(data)
    items = read(path, options)
    last_line = data.count(b"\n") + 1
    for item in items:
        assert item.line is None or 1 <= item.line <= last_line, item
        if isinstance(item, Document):
            assert item.line is not None


@fuzz(400)
@given(
    st.lists(st.tuples(encodable_text, encodable_text, encodable_text), max_size=8),
    st.sampled_from(["\n", "\r\n"]),
)
def test_csv_well_formed_rows_come_back_exactly(folder, rows, eol):
    data = "".join(csv_row(list(row), eol) for row in [("id", "text", "desk"), *rows])
    path = folder / "ok.csv"
    path.write_bytes(data.encode())
    items = read(path, ReadOptions())
    if not rows:
        assert items == [InputError(str(path), None, "no documents: a header and no rows")]
        return
    assert all(isinstance(i, Document) for i in items), items
    assert [(d.text, (d.fields or {}).get("desk", "")) for d in items] == [
        (text, desk) for _, text, desk in rows
    ]
    assert [d.id for d in items if not d.id.startswith(f"{path}:")] == [i for i, _, _ in rows if i]


@fuzz(200)
@given(st.lists(encodable_text, min_size=1, max_size=5), st.text("ab,\n'", max_size=20))
@example(["one"], "un\nterminated")
def test_csv_quote_never_closed_is_an_error_not_the_rest_of_the_file(folder, texts, tail):
    """It used to swallow every later line into one document, silently."""
    head = "".join(csv_row(row, "\n") for row in [["id", "text"]] + [["k", t] for t in texts])
    bad_line = head.count("\n") + 1
    path = folder / "open.csv"
    path.write_bytes((head + 'z,"' + tail + "\n").encode())
    items = read(path, ReadOptions())
    assert [i.text for i in items[:-1]] == texts
    assert isinstance(items[-1], InputError) and items[-1].line == bad_line
    assert "quoted field is never closed" in items[-1].reason


@fuzz(500)
@given(
    st.one_of(
        hostile_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
        hostile_html.map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.binary(max_size=60),
    ),
    st.booleans(),
    st.sampled_from([".txt", ".md", ".html", ".htm", ".unknown"]),
    st.sampled_from([10_000_000, 50]),
)
def test_whole_file_is_one_document_or_one_error(folder, data, bom, suffix, max_chars):
    data = (b"\xef\xbb\xbf" if bom else b"") + data
    path = folder / f"doc{suffix}"
    path.write_bytes(data)
    items = read(path, ReadOptions(max_chars=max_chars))
    assert len(items) == 1
    read_as = data
    try:
        if data[:2] in UTF16_BOMS:  # read as UTF-16: as if it were the same text in UTF-8
            text = data[2:].decode(UTF16_BOMS[data[:2]])
            read_as = text.encode("utf-8")
        else:
            text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    fits = len(read_as) <= 4 * max_chars and text is not None and len(text) <= max_chars
    if fits and not file_level_error(read_as, items):
        expected = html_to_text(text) if suffix in (".html", ".htm") else text
        assert items[0] == Document(str(path), expected, str(path))
    else:
        assert isinstance(items[0], InputError)


@st.composite
def damaged_gzip(draw) -> bytes:
    plain = b"".join(draw(st.lists(json_line(), max_size=6)))
    packed = bytearray(gzip.compress(b'{"text": "ok"}\n' + plain, mtime=0))
    damage = draw(st.sampled_from(["truncate", "flip", "insert", "append", "none"]))
    at = draw(st.integers(0, len(packed)))
    if damage == "truncate":
        del packed[at:]
    elif damage == "flip" and at < len(packed):
        packed[at] ^= draw(st.integers(1, 255))
    elif damage == "insert":
        packed[at:at] = draw(st.binary(min_size=1, max_size=8))
    elif damage == "append":
        packed += draw(st.binary(min_size=1, max_size=30))
    return bytes(packed)


# Deflate block type 3 does not exist: zlib.error, which is not an OSError.
BAD_DEFLATE = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + b"\xff" * 12


@fuzz(400)
@given(damaged_gzip(), st.sampled_from([".jsonl.gz", ".txt.gz", ".csv.gz", ".html.gz"]))
@example(BAD_DEFLATE, ".jsonl.gz")  # crashed: zlib.error escaped the reader
@example(BAD_DEFLATE, ".txt.gz")
def test_damaged_gzip_is_an_error_naming_the_file(folder, data, suffix):
    path = folder / f"in{suffix}"
    path.write_bytes(data)
    read(path, ReadOptions())


# --- the CLI, end to end ---------------------------------------------------------------


@st.composite
def malformed_folder(draw) -> dict[str, bytes]:
    files = {
        "a.jsonl": b"\n".join(draw(st.lists(json_line(), min_size=1, max_size=8))),
        "b.csv": b"\n".join([draw(csv_header), *draw(st.lists(csv_line(), max_size=6))]),
        "c.html": draw(hostile_html).encode("utf-8", "surrogatepass"),
        "d.txt": draw(hostile_text).encode("utf-8", "surrogatepass"),
        "e.jsonl.gz": draw(damaged_gzip()),
    }
    files["f.jsonl"] = b'{"id": "last", "text": "Gunmen shot dead eleven people."}\n'
    return files


counter = itertools.count()


@fuzz(4, shrink=False)  # each example is two runs of labeler: shrinking would take minutes
@given(malformed_folder())
@example(
    {
        "deep.jsonl": b'{"text": "x", "a": ' + b"[" * 300 + b"]" * 300 + b"}\n",
        "bad.jsonl.gz": BAD_DEFLATE,
        "tags.html": b"<![ x" + b"<a " * 20_000,
        "open.csv": b'id,text\n1,"never closed\n2,two\n',
    }
)
def test_cli_on_malformed_files_reports_each_and_writes_complete_output(folder, files):
    root, written = folder / f"cli{next(counter)}", folder / f"cli-out{next(counter)}"
    root.mkdir()
    written.mkdir()
    for name, data in files.items():
        (root / name).write_bytes(data)
    expected = list(read_inputs([str(root)], ReadOptions()))
    errors = [i for i in expected if isinstance(i, InputError)]
    out, bad = written / "out.jsonl", written / "bad.jsonl"
    done = run(root, "-o", out, "--errors", bad, "--jobs", "1")
    stderr = done.stderr.decode()
    assert "Traceback" not in stderr
    assert done.returncode == (1 if errors else 0), stderr
    for error in errors[:20]:
        assert f"labeler: {error.message()}\n" in stderr
    got = records(out.read_bytes())
    assert [r["id"] for r in got] == [i.id for i in expected if isinstance(i, Document)]
    for record, doc in zip(got, (i for i in expected if isinstance(i, Document)), strict=True):
        assert_record_valid(record, doc.text)
    kept = records(bad.read_bytes())
    assert [(e["path"], e["line"]) for e in kept] == [(e.path, e.line) for e in errors]
    assert sorted(p.name for p in written.iterdir()) == ["bad.jsonl", "out.jsonl"]
    as_csv = run(root, "--format", "csv", "--jobs", "1")
    assert as_csv.returncode == done.returncode and b"Traceback" not in as_csv.stderr
    rows = list(csv.reader(io.StringIO(as_csv.stdout.decode(), newline="")))
    assert len(rows) == 1 + sum(len(r["passages"]) for r in got)


def test_cli_scores_enormous_lines_and_reports_what_is_too_big(folder):
    big = folder / "big"
    big.mkdir()
    (big / "line.txt").write_text("Police said the gunmen killed four. " * 100_000)  # 3.6 MB
    (big / "line.jsonl").write_bytes(
        orjson.dumps({"id": "big", "text": "word " * 600_000}) + b"\n" + b"[" * 5_000 + b"\n"
    )
    done = run(big, "--max-chars", "3000000", "--jobs", "1")
    stderr = done.stderr.decode()
    assert done.returncode == 1 and "Traceback" not in stderr
    assert f"{big / 'line.jsonl'}:2: malformed JSON: depth limit exceeded" in stderr
    assert f"{big / 'line.txt'}: document is larger than the 3,000,000-character limit" in stderr
    (record,) = records(done.stdout)
    assert record["id"] == "big" and len(record["passages"]) >= 5_000


def test_cli_stdin_garbage_is_scored_or_reported_never_a_crash():
    for data in [b"\x00\x01\x02", b"{not json\n{}\n", b"\xff\xfe\x00t", "\u202e\u200b".encode()]:
        done = run("-", stdin=data)
        assert done.returncode in (0, 1) and b"Traceback" not in done.stderr, data
