"""Round 5 of hand labelling: the new pools (books, reportage, forum posts, open news).

A keyword search or a uniform draw only *chooses what to read* (``selected_by``); every label
is written by an annotator reading the passage against ``labeler/rubric.md``.

    python -m training.round5 draw ../shared/data/pools training/labelling/round5
    python -m training.round5 draw-more ../shared/data/pools training/labelling/round5
    python -m training.round5 merge training/labelling/round5 training/data/round5/data.jsonl

Round 5a (``draw``) found too few threats (109) and graphic passages (356) for the issue's
500 / 300, so round 5b (``draw-more``) read every remaining passage with threat speech or a
gore word from the books and reportage, a fresh uniform draw beside them, and a further
2,400 forum posts drawn uniformly (threats there are scattered: 2.4% of 5a's random posts).

``draw`` writes ``batches/batch-K.jsonl`` (id and text only: annotators never see the source
or why a row was chosen) and ``candidates.jsonl`` (the provenance). ``DOUBLE`` rows, drawn
uniformly, appear in a second annotator's batch too. ``merge`` joins ``labels/*.jsonl`` to the
candidates, taking ``adjudication.jsonl`` where two annotators differed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

from training.candidates import GORE, VIOLENT_WORD
from training.round4 import THREAT

SEED = 20261207
BATCHES = 4
DOUBLE = 460
RANDOM_SHARE = 0.3
# pool -> passages to read; RANDOM_SHARE of them a uniform draw, the rest keyword hits
PLAN = {
    "gutenberg_books": 1700,
    "gutenberg_reportage": 1000,
    "stormfront_posts": 1300,
    "gum_gentle": 500,
}
INCITE = re.compile(
    r"\b(kill|shoot|hang|lynch|exterminat|gas|wipe out|string .{0,10}up|deserve to die|"
    r"should be (shot|hanged|killed)|rope|gun|weapon|war\b|fight|blood|violen|burn)",
    re.I,
)
THREAT_SPEECH = re.compile(
    r"\b(i|we|i'll|we'll|you'll|he'll|they'll)\s*(will|shall|'ll|am going to|are going to|gonna)?"
    r"\s*(kill|shoot|hang|murder|cut your|burn|slaughter|exterminate|string|lynch|blow your|"
    r"beat you|wipe)|\b(should|ought to|must|deserve to|needs? to) (be )?(all )?(shot|hanged|hung|"
    r"killed|lynched|exterminated|gassed|burned|executed|die)\b|\bdeath to\b|"
    r"\bkill (them|him|her|you|all|every)\b|\bhang (them|him|her)\b|"
    r"\bi'?ll (kill|murder|have your)\b|\b(take up arms|race war|day of the rope|rahowa)\b|"
    r"\bthreat(en|ened|ening|s)?\b|\bor (i|we)('ll| will| shall)\b|\byou shall (die|hang|be)\b|"
    r"\b(blow|knock|beat) (your|his) (brains|head)",
    re.I,
)
# round 5b: pool -> (uniform draw, [(pattern, at most this many hits)])
PLAN_MORE = {
    "gutenberg_books": (450, [(THREAT_SPEECH, 1000), (GORE, 500)]),
    "gutenberg_reportage": (190, [(THREAT_SPEECH, 1000), (GORE, 1000)]),
    "stormfront_posts": (2400, []),
}
KEYWORDS = {
    "gutenberg_books": GORE,
    "gutenberg_reportage": GORE,
    "stormfront_posts": INCITE,
    "gum_gentle": re.compile(f"{VIOLENT_WORD.pattern}|{THREAT.pattern}", re.I),
}


def read_pool(pools: Path, name: str) -> list[dict]:
    with gzip.open(pools / name / "pool.jsonl.gz", "rt", encoding="utf-8") as lines:
        return sorted((json.loads(line) for line in lines), key=lambda r: r["id"])


def pick(rows: list[dict], pattern: re.Pattern, n: int, rng: random.Random):
    """A uniform draw of ``RANDOM_SHARE * n``, then keyword hits (random fill if too few)."""
    randoms = rng.sample(rows, round(n * RANDOM_SHARE))
    taken = {r["id"] for r in randoms}
    hits = [r for r in rows if r["id"] not in taken and pattern.search(r["text"])]
    keywords = rng.sample(hits, min(n - len(randoms), len(hits)))
    taken |= {r["id"] for r in keywords}
    rest = [r for r in rows if r["id"] not in taken]
    fill = rng.sample(rest, n - len(randoms) - len(keywords))
    return [(r, "random") for r in randoms + fill] + [(r, "keyword") for r in keywords]


def candidate(row: dict, selected_by: str, round_: str = "5a") -> dict:
    meta = row.get("meta") or {}
    return {
        "id": "r5-" + hashlib.sha1(f"{row['id']}\0{row['text']}".encode()).hexdigest()[:12],
        "round": round_,
        "source_id": row["id"],
        "source": row["source"],
        "group": row["group"],
        "selected_by": selected_by,
        "title": meta.get("title"),
        "text": row["text"].strip(),
    }


def pick_more(rows: list[dict], n_random: int, patterns, rng: random.Random):
    """Round 5b from the rows 5a did not draw: a uniform draw, then each pattern's hits."""
    randoms = rng.sample(rows, min(n_random, len(rows)))
    taken = {r["id"] for r in randoms}
    picked = [(r, "random") for r in randoms]
    for pattern, most in patterns:
        hits = [r for r in rows if r["id"] not in taken and pattern.search(r["text"])]
        hits = rng.sample(hits, min(most, len(hits)))
        taken |= {r["id"] for r in hits}
        picked += [(r, "keyword") for r in hits]
    return picked


def draw(pools: Path, out: Path) -> None:
    rng = random.Random(SEED)
    cands = [
        candidate(r, how)
        for name, n in PLAN.items()
        for r, how in pick(read_pool(pools, name), KEYWORDS[name], n, rng)
    ]
    rng.shuffle(cands)
    batches: list[list[dict]] = [cands[k::BATCHES] for k in range(BATCHES)]
    doubles = rng.sample(range(len(cands)), DOUBLE)
    for j, i in enumerate(doubles):  # into another annotator's batch than its own
        batches[(i % BATCHES + 1 + j % (BATCHES - 1)) % BATCHES].append(cands[i])
    write(out, cands, batches, "batch", rng)


def draw_more(pools: Path, out: Path, n_batches: int = 3) -> None:
    rng = random.Random(SEED + 1)
    known = [json.loads(line) for line in open(out / "candidates.jsonl", encoding="utf-8")]
    seen = {c["source_id"] for c in known if c["round"] == "5a"}
    cands = [
        candidate(r, how, "5b")
        for name, (n, patterns) in PLAN_MORE.items()
        for r, how in pick_more(
            [r for r in read_pool(pools, name) if r["id"] not in seen], n, patterns, rng
        )
    ]
    rng.shuffle(cands)
    old = [c for c in known if c["round"] == "5a"]
    write(out, old + cands, [cands[k::n_batches] for k in range(n_batches)], "more", rng)


def write(out: Path, cands: list[dict], batches: list[list[dict]], name: str, rng) -> None:
    """candidates.jsonl (every round's provenance) and the blind batches of this round."""
    (out / "batches").mkdir(parents=True, exist_ok=True)
    (out / "labels").mkdir(exist_ok=True)
    with open(out / "candidates.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(c, ensure_ascii=False) + "\n" for c in cands)
    for k, batch in enumerate(batches):
        rng.shuffle(batch)
        with open(out / "batches" / f"{name}-{k}.jsonl", "w", encoding="utf-8") as f:
            f.writelines(
                json.dumps({"id": c["id"], "text": c["text"]}, ensure_ascii=False) + "\n"
                for c in batch
            )
    print(f"{len(cands)} candidates, {len(batches)} {name} batches -> {out}")


def read_labels(folder: Path) -> dict[str, list[dict]]:
    """Every label given to each id, by annotator."""
    labels: dict[str, list[dict]] = defaultdict(list)
    for path in sorted((folder / "labels").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                labels[row["id"]].append(row)
    return labels


def merge(folder: Path, out: Path) -> None:
    """Candidates plus their label (the adjudicated one where two annotators differed)."""
    labels = read_labels(folder)
    adjudicated = {}
    adj_path = folder / "adjudication.jsonl"
    if adj_path.exists():
        for line in adj_path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                adjudicated[row["id"]] = row
    rows = []
    for line in (folder / "candidates.jsonl").read_text(encoding="utf-8").splitlines():
        c = json.loads(line)
        given = adjudicated.get(c["id"]) or next(iter(labels.get(c["id"], [])), None)
        if given is None:
            continue
        c.pop("title")
        rows.append(
            {
                **c,
                **{k: given[k] for k in ("violence", "graphic", "severity", "labelled_by")},
                "labelled_at": given.get("labelled_at", "2026-12-07"),
                **{k: given[k] for k in ("hard_case", "note") if given.get(k)},
            }
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    print(f"{len(rows)} labelled rows -> {out}")


if __name__ == "__main__":
    command, src, dst = sys.argv[1:4]
    {"draw": draw, "draw-more": draw_more, "merge": merge}[command](Path(src), Path(dst))
