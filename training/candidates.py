"""Draw the candidate passages for the hand-labelled seed set from ../shared/data.

A keyword search only *chooses what to read*: graphic passages are rare, so we
oversample texts with gore-like words, and add keyword-free and harmless-use
passages as hard negatives. The labels themselves are written by a person
reading each passage (see training/data/README.md); nothing here labels.

    python -m training.candidates ../shared/data > /tmp/candidates.jsonl
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys
from pathlib import Path

from training.build_data import read_jsonl

GORE = re.compile(
    r"\b(charred|burnt alive|burned alive|burnt to death|burned to death|blood|bleed|mutilat|"
    r"severed|corpse|bodies|body of|hacked|stabbed|slit|wound|gore|guts|skull|entrails|behead|"
    r"decapitat|limbs|flesh|dismember|lynch|roasted|bullet-ridden|bludgeon|gouged|disembowel|brains)",
    re.I,
)
VIOLENT_WORD = re.compile(
    r"\b(kill|shoot|shot|attack|bomb|war\b|dead|injur|fight|beat|crush|blast|fire|mob|riot|"
    r"murder|assault|massacre|explo|gun|violen|clash)",
    re.I,
)


def _rows(path: Path) -> list[dict]:
    return list(read_jsonl(path))


def _take(rows: list[dict], n: int, rng: random.Random) -> list[dict]:
    rows = sorted(rows, key=lambda r: r["id"])
    return rng.sample(rows, min(n, len(rows)))


def _candidate(row: dict, group: str, pool: str) -> dict:
    return {
        "source_id": row["id"],
        "source": row["source"],
        "group": group,
        "pool": pool,
        "text": row["text"].strip(),
    }


def police(data: Path, rng: random.Random) -> list[dict]:
    rows = [
        r
        for r in _rows(data / "india_police_events/india_police_events_sents.jsonl")
        if len(r["text"].strip()) >= 40
    ]
    group = lambda r: f"police-doc-{r['labels']['doc_id']}"  # noqa: E731
    gore = [r for r in rows if GORE.search(r["text"])]
    violent = [r for r in rows if not GORE.search(r["text"]) and VIOLENT_WORD.search(r["text"])]
    plain = [r for r in rows if not VIOLENT_WORD.search(r["text"]) and not GORE.search(r["text"])]
    out = [_candidate(r, group(r), "police-gore-word") for r in _take(gore, 400, rng)]
    out += [_candidate(r, group(r), "police-violent-word") for r in _take(violent, 70, rng)]
    out += [_candidate(r, group(r), "police-random") for r in _take(plain, 40, rng)]
    return out


def ag_news(data: Path, rng: random.Random) -> list[dict]:
    rows = _rows(data / "ag_news_test/ag_news_test.jsonl")
    world = [r for r in rows if r["labels"]["topic"] == "World"]
    other = [r for r in rows if r["labels"]["topic"] != "World" and VIOLENT_WORD.search(r["text"])]
    gore = [r for r in world if GORE.search(r["text"])]
    violent = [r for r in world if not GORE.search(r["text"]) and VIOLENT_WORD.search(r["text"])]
    plain = [r for r in world if not VIOLENT_WORD.search(r["text"]) and not GORE.search(r["text"])]
    group = lambda r: r["id"]  # noqa: E731
    out = [_candidate(r, group(r), "ag-world-gore-word") for r in _take(gore, 200, rng)]
    out += [_candidate(r, group(r), "ag-world-violent-word") for r in _take(violent, 60, rng)]
    out += [_candidate(r, group(r), "ag-world-random") for r in _take(plain, 20, rng)]
    out += [_candidate(r, group(r), "ag-other-violent-word") for r in _take(other, 60, rng)]
    return out


def trigger_warnings(data: Path, rng: random.Random) -> list[dict]:
    rows = _rows(data / "trigger_warnings_passages/trigger_warnings_passages.jsonl")
    vdw = [r for r in rows if r["labels"]["warning"] in ("violence", "death", "war")]
    pos = [r for r in vdw if r["labels"]["warning_majority"] == 1]
    group = lambda r: f"tw-work-{r['labels']['work_id']}"  # noqa: E731
    out = [_candidate(r, group(r), "tw-positive-gore-word") for r in pos if GORE.search(r["text"])]
    rest = [r for r in pos if not GORE.search(r["text"])]
    out += [_candidate(r, group(r), "tw-positive") for r in _take(rest, 60, rng)]
    neg = [r for r in vdw if r["labels"]["warning_majority"] == 0 and GORE.search(r["text"])]
    out += [_candidate(r, group(r), "tw-negative-gore-word") for r in _take(neg, 40, rng)]
    return out


def xstest(data: Path, rng: random.Random) -> list[dict]:
    rows = _rows(data / "xstest/xstest.jsonl")
    kinds = ("historical_events", "safe_contexts")
    return [
        _candidate(r, f"xstest-{r['labels']['focus']}", f"xstest-{r['labels']['type']}")
        for r in rows
        if r["labels"]["type"] in kinds
    ]


def third_round(data: Path, used: set[str]) -> list[dict]:
    """Rows the public sets left unlabelled for our sense: HateCheck counter-speech and
    negations of threats, and the remaining XSTest prompts (definitions, unsafe twins...)."""
    with (data / "hatecheck/test_suite_cases.csv").open(encoding="utf-8") as f:
        templ = {c["case_id"]: c["ref_templ_id"] or c["templ_id"] for c in csv.DictReader(f)}
    out = [
        _candidate(r, f"hatecheck-templ-{templ[r['id'].split('-')[1]]}", "r3-hatecheck-null")
        for r in _rows(data / "hatecheck/hatecheck.jsonl")
        if r["violence"] is None
    ]
    out += [
        _candidate(r, f"xstest-{r['labels']['focus']}", f"r3-xstest-{r['labels']['type']}")
        for r in _rows(data / "xstest/xstest.jsonl")
        if r["violence"] is None and r["id"] not in used
    ]
    return out


def main(data: Path) -> None:
    rng = random.Random(20261124)
    first = [c for pool in (police, ag_news, trigger_warnings, xstest) for c in pool(data, rng)]
    second = second_round(data, {c["source_id"] for c in first}, rng)
    third = third_round(data, {c["source_id"] for c in first + second})
    seen: set[str] = set()
    for cand in first + second + third:
        if cand["text"].lower() not in seen:
            seen.add(cand["text"].lower())
            print(json.dumps(cand, ensure_ascii=False))


VIVID = re.compile(
    r"\b(burnt|burned|burning|ablaze|torched|charred|scream|agony|wound|injur|bleed|blood|stab|"
    r"knife|knives|sword|acid|hack|chopp|slash|bruis|bones?\b|flesh|skin|skull|throat|limb|"
    r"dead bod|remains|pyre|corpse|bodies|gore|gut|entrail|torture|mutilat|sever|behead|lynch|"
    r"ripp|shatter|gash|bullet|maim|disfigur|scald|roast|alive)",
    re.I,
)
STRONG = re.compile(
    r"\b(burnt|burned|charred|bodies|stab|sword|hack|acid|alive|bleed|blood|limb)", re.I
)


def second_round(data: Path, used: set[str], rng: random.Random) -> list[dict]:
    """More candidates with vivid words, for a second labelling round (graphic is rare)."""

    def fresh(path: str) -> list[dict]:
        return [
            r
            for r in _rows(data / path)
            if r["id"] not in used and len(r["text"].strip()) >= 40 and VIVID.search(r["text"])
        ]

    tw = fresh("trigger_warnings_passages/trigger_warnings_passages.jsonl")
    police_rows = fresh("india_police_events/india_police_events_sents.jsonl")
    strong = [r for r in police_rows if STRONG.search(r["text"])]
    ag = fresh("ag_news_test/ag_news_test.jsonl")
    eth = fresh("ethos/ethos.jsonl")
    out = [
        _candidate(r, f"tw-work-{r['labels']['work_id']}", "r2-tw-vivid")
        for r in _take(tw, 260, rng)
    ]
    out += [
        _candidate(r, f"police-doc-{r['labels']['doc_id']}", "r2-police-vivid")
        for r in _take(strong, 300, rng)
    ]
    out += [_candidate(r, r["id"], "r2-ag-vivid") for r in _take(ag, 120, rng)]
    out += [_candidate(r, r["id"], "r2-ethos-vivid") for r in eth]
    return out


if __name__ == "__main__":
    main(Path(sys.argv[1]))
