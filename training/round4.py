"""Round 4 of hand labelling: draw what to read, cut it into annotator batches, merge labels.

A keyword search or a uniform draw only *chooses what to read* (``selected_by``); every label
is written by an annotator reading the passage against ``labeler/rubric.md``.

    python -m training.round4 draw ../shared/data training/labelling/round4
    python -m training.round4 draw-vivid ../shared/data training/labelling/round4
    python -m training.round4 draw-random-police ../shared/data training/labelling/round4
    python -m training.round4 draw-vivid-reddit ../shared/data training/labelling/round4
    python -m training.round4 merge training/labelling/round4 training/data/round4/data.jsonl

``draw`` writes ``batches/batch-K.jsonl`` (id, text only: annotators never see the source or
why a row was chosen) and ``candidates.jsonl`` (the provenance). About 450 rows appear in two
batches, and every round-4b (vivid) row in two, for double annotation; disagreements are
settled in ``adjudication.jsonl``. ``merge`` joins ``labels/*.jsonl`` back to the candidates
as training rows. The working files stay in ``training/labelling`` (not read by training).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
from pathlib import Path

from labeler.passages import split_passages
from training.build_data import read_jsonl
from training.candidates import GORE, VIOLENT_WORD, VIVID

SEED = 20261201
BATCHES = 7
DOUBLE = 450
THREAT = re.compile(
    r"\b(kill|shoot|shot|stab|hang|burn|beat|punch|slap|murder|die|dead|blood|gun|knife|"
    r"bullet|hurt|attack|rape|torture|behead|lynch|execut|bomb|choke|strangl|throat|skull)",
    re.I,
)


def _row(source_id: str, source: str, group: str, selected_by: str, text: str) -> dict:
    return {
        "id": "r4-" + hashlib.sha1(f"{source_id}\0{text}".encode()).hexdigest()[:12],
        "source_id": source_id,
        "source": source,
        "group": group,
        "selected_by": selected_by,
        "text": text,
    }


def _split(rows: list[dict], pattern: re.Pattern, n_keyword: int, n_random: int, rng):
    """A uniform draw of ``n_random`` from the whole pool, then ``n_keyword`` keyword hits."""
    rows = sorted(rows, key=lambda r: r["id"])
    randoms = rng.sample(rows, min(n_random, len(rows)))
    taken = {r["id"] for r in randoms}
    hits = [r for r in rows if r["id"] not in taken and pattern.search(r["text"])]
    keywords = rng.sample(hits, min(n_keyword, len(hits)))
    return [(r, "random") for r in randoms] + [(r, "keyword") for r in keywords]


def _demojibake(text: str) -> str:
    """The police-events copy is UTF-8 read as cp1252 ("courtâ€™s"): undo it where it applies."""
    try:
        return text.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def reddit(data: Path, used: set[str], rng: random.Random) -> list[dict]:
    rows = [
        r
        for r in read_jsonl(data / "goemotions_reddit/goemotions_reddit.jsonl")
        if len(r["text"].strip()) >= 15
    ]
    pick = _split(rows, THREAT, 1900, 1000, rng)
    return [_row(r["id"], "goemotions_reddit", r["id"], s, r["text"].strip()) for r, s in pick]


def ag_news(data: Path, used: set[str], rng: random.Random) -> list[dict]:
    rows = [r for r in read_jsonl(data / "ag_news_test/ag_news_test.jsonl") if r["id"] not in used]
    pick = _split(rows, VIOLENT_WORD, 350, 150, rng)
    return [_row(r["id"], "ag_news_test", r["id"], s, r["text"].strip()) for r, s in pick]


def police_articles(data: Path, used: set[str], rng: random.Random) -> list[dict]:
    """Whole articles, every passage of each: ledes and the body text after them."""
    docs = sorted(
        read_jsonl(data / "india_police_events/india_police_events_docs.jsonl"),
        key=lambda d: d["id"],
    )
    randoms = rng.sample(docs, 55)
    taken = {d["id"] for d in randoms}
    vivid = [d for d in docs if d["id"] not in taken and VIVID.search(d["text"])]
    keywords = rng.sample(vivid, 185)
    out = []
    for doc, how in [(d, "random") for d in randoms] + [(d, "keyword") for d in keywords]:
        doc_id = doc["id"].rsplit("-", 1)[1]
        text = _demojibake(doc["text"])
        for p in split_passages(text):
            if len(p.text) >= 40 and not p.text.startswith("This story is from"):
                sid = f"{doc['id']}-p{p.index}"
                out.append(_row(sid, "india_police_events", f"police-doc-{doc_id}", how, p.text))
    return out


def fiction(data: Path, used: set[str], rng: random.Random) -> list[dict]:
    """Every trigger-warning passage the seed set did not label: the whole remaining pool."""
    rows = read_jsonl(data / "trigger_warnings_passages/trigger_warnings_passages.jsonl")
    return [
        _row(
            r["id"],
            "trigger_warnings_passages",
            f"tw-work-{r['labels']['work_id']}",
            "random",
            r["text"].strip(),
        )
        for r in rows
        if r["id"] not in used
    ]


def ethos(data: Path, used: set[str], rng: random.Random) -> list[dict]:
    rows = [r for r in read_jsonl(data / "ethos/ethos.jsonl") if r["id"] not in used]
    pick = _split(rows, THREAT, 450, 450, rng)
    return [_row(r["id"], "ethos", r["id"], s, r["text"].strip()) for r, s in pick]


def draw(data: Path, out: Path) -> None:
    rng = random.Random(SEED)
    seed_rows = list(read_jsonl(Path("training/data/seed/labels.jsonl")))
    used = {r["source_id"] for r in seed_rows}
    seen = {r["text"].strip().lower() for r in seed_rows}
    rows = []
    for pool in (reddit, ag_news, police_articles, fiction, ethos):
        for row in pool(data, used, rng):
            key = row["text"].lower()
            if key not in seen:
                seen.add(key)
                rows.append(row)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "candidates.jsonl").open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    order = rows[:]
    rng.shuffle(order)
    batches: list[list[dict]] = [order[k::BATCHES] for k in range(BATCHES)]
    for n, row in enumerate(rng.sample(rows, DOUBLE)):
        home = next(k for k, b in enumerate(batches) if row in b)
        batches[(home + 1 + n % (BATCHES - 1)) % BATCHES].append(row)
    (out / "batches").mkdir(exist_ok=True)
    for k, batch in enumerate(batches):
        rng.shuffle(batch)
        with (out / "batches" / f"batch-{k}.jsonl").open("w", encoding="utf-8") as f:
            for row in batch:
                f.write(json.dumps({"id": row["id"], "text": row["text"]}, ensure_ascii=False))
                f.write("\n")
    print(f"{len(rows)} candidates, {sum(map(len, batches))} batch rows", file=sys.stderr)


def draw_vivid(data: Path, out: Path) -> None:
    """Round 4b: graphic passages were still rare, so every passage with a vivid word from
    the police-events articles round 4 did not take, and the AG News items with one. Each
    goes to two of four annotators (``batches/vivid-K.jsonl``): graphic agreement is
    measured where graphic passages are."""
    rng = random.Random(SEED + 1)
    taken = list(read_jsonl(out / "candidates.jsonl"))
    seed_rows = list(read_jsonl(Path("training/data/seed/labels.jsonl")))
    used = {r["source_id"] for r in seed_rows} | {r["source_id"] for r in taken}
    seen = {r["text"].strip().lower() for r in seed_rows + taken}
    docs = {r["group"] for r in taken if r["source"] == "india_police_events"}
    rows = []
    for doc in sorted(
        read_jsonl(data / "india_police_events/india_police_events_docs.jsonl"),
        key=lambda d: d["id"],
    ):
        doc_id = doc["id"].rsplit("-", 1)[1]
        if f"police-doc-{doc_id}" in docs or not GORE.search(doc["text"]):
            continue
        for p in split_passages(_demojibake(doc["text"])):
            if len(p.text) >= 40 and VIVID.search(p.text):
                sid = f"{doc['id']}-p{p.index}"
                rows.append(
                    _row(sid, "india_police_events", f"police-doc-{doc_id}", "keyword", p.text)
                )
    for r in read_jsonl(data / "ag_news_test/ag_news_test.jsonl"):
        if r["id"] not in used and VIVID.search(r["text"]):
            rows.append(_row(r["id"], "ag_news_test", r["id"], "keyword", r["text"].strip()))
    rows = [r for r in rows if r["text"].lower() not in seen]
    with (out / "candidates.jsonl").open("a", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    rng.shuffle(rows)
    for k in range(4):
        batch = rows[k::4] + rows[(k + 1) % 4 :: 4]  # each row in two batches
        rng.shuffle(batch)
        with (out / "batches" / f"vivid-{k}.jsonl").open("w", encoding="utf-8") as f:
            for row in batch:
                f.write(json.dumps({"id": row["id"], "text": row["text"]}, ensure_ascii=False))
                f.write("\n")
    print(f"{len(rows)} vivid candidates, each in two of four batches", file=sys.stderr)


def draw_random_police(data: Path, out: Path, n: int = 160) -> None:
    """Round 4c: the vivid round added keyword-chosen news, so a uniform draw of passages
    from articles not read yet keeps the news random slice above a fifth."""
    rng = random.Random(SEED + 2)
    taken = list(read_jsonl(out / "candidates.jsonl"))
    docs = {r["group"] for r in taken if r["source"] == "india_police_events"}
    seen = {r["text"].strip().lower() for r in taken}
    seen |= {r["text"].strip().lower() for r in read_jsonl(Path("training/data/seed/labels.jsonl"))}
    pool = []
    for doc in sorted(
        read_jsonl(data / "india_police_events/india_police_events_docs.jsonl"),
        key=lambda d: d["id"],
    ):
        doc_id = doc["id"].rsplit("-", 1)[1]
        if f"police-doc-{doc_id}" in docs:
            continue
        for p in split_passages(_demojibake(doc["text"])):
            if len(p.text) >= 40 and not p.text.startswith("This story is from"):
                sid = f"{doc['id']}-p{p.index}"
                pool.append(
                    _row(sid, "india_police_events", f"police-doc-{doc_id}", "random", p.text)
                )
    rows = [r for r in rng.sample(pool, n) if r["text"].lower() not in seen]
    with (out / "candidates.jsonl").open("a", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    with (out / "batches" / "random-0.jsonl").open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps({"id": row["id"], "text": row["text"]}, ensure_ascii=False) + "\n")
    print(f"{len(rows)} random news passages", file=sys.stderr)


# Round 4d draws with a wider net of gore words than VIVID (drawing only: it labels nothing).
VIVID_WIDE = re.compile(
    r"\b(blood|gore\b|gory|guts\b|gutted|brains\b|brain matter|decapitat|behead|dismember|"
    r"mutilat|disembowel|eviscerat|entrail|intestin|severed|skull|corpse|stab|impal|maggot|"
    r"burn(ed|t|s|ing)? alive|gouge|bleed|bled\b|slit|throat|flesh|wound|gash|charred|rotting|"
    r"carcass|limbs?\b|broken bones?|bludgeon|splatter|gunshot|bullet|tortur|lynch|mangled|"
    r"torn apart|ripped (off|apart|open|out)|chopp|machete|dead bod|body parts|eyeball|scalp|"
    r"skinned)",
    re.I,
)
GORY = re.compile("|".join(f"(?:{p.pattern})" for p in (VIVID_WIDE, VIVID, GORE)), re.I)
GORY_OR_THREAT = re.compile(f"(?:{GORY.pattern})|(?:{THREAT.pattern})", re.I)
BATCH_4D = 100


def draw_vivid_reddit(data: Path, out: Path) -> None:
    """Round 4d: graphic passages were still short, so every Reddit comment round 4 did not
    read that has a gore, vivid or threat word (``GORY_OR_THREAT``), with a uniform draw from
    the same unread comments of a third as many again (a quarter of the round's Reddit rows);
    likewise, with gore or vivid words only (``GORY``), the passages of the police-events
    articles no round read and the AG News items not read yet. Blind batches of 100
    (``batches/r4d-K.jsonl``), all read by one annotator (``labels/r4d-K.jsonl``)."""
    rng = random.Random(SEED + 3)
    taken = list(read_jsonl(out / "candidates.jsonl"))
    seed_rows = list(read_jsonl(Path("training/data/seed/labels.jsonl")))
    used = {r["source_id"] for r in seed_rows} | {r["source_id"] for r in taken}
    seen = {r["text"].strip().lower() for r in seed_rows + taken}
    docs = {r["group"] for r in taken if r["source"] == "india_police_events"}

    def fresh(rows):
        return [r for r in rows if r["id"] not in used and r["text"].strip().lower() not in seen]

    def both(rows, pattern):
        """Every keyword hit, and a uniform draw of a third as many from the whole pool (a
        fifth of the rows even if a batch or two stays unread)."""
        n_keyword = sum(bool(pattern.search(r["text"])) for r in rows)
        return _split(rows, pattern, n_keyword, -(-n_keyword // 3), rng)

    comments = fresh(
        r
        for r in read_jsonl(data / "goemotions_reddit/goemotions_reddit.jsonl")
        if len(r["text"].strip()) >= 15
    )
    rows = [
        _row(r["id"], "goemotions_reddit", r["id"], s, r["text"].strip())
        for r, s in both(comments, GORY_OR_THREAT)
    ]
    passages = []
    for doc in sorted(
        read_jsonl(data / "india_police_events/india_police_events_docs.jsonl"),
        key=lambda d: d["id"],
    ):
        doc_id = doc["id"].rsplit("-", 1)[1]
        if f"police-doc-{doc_id}" in docs:
            continue
        for p in split_passages(_demojibake(doc["text"])):
            if len(p.text) >= 40 and not p.text.startswith("This story is from"):
                passages.append(
                    {
                        "id": f"{doc['id']}-p{p.index}",
                        "group": f"police-doc-{doc_id}",
                        "text": p.text,
                    }
                )
    rows += [
        _row(r["id"], "india_police_events", r["group"], s, r["text"])
        for r, s in both(fresh(passages), GORY)
    ]
    news = fresh(read_jsonl(data / "ag_news_test/ag_news_test.jsonl"))
    rows += [
        _row(r["id"], "ag_news_test", r["id"], s, r["text"].strip()) for r, s in both(news, GORY)
    ]
    unique = {}
    for row in rows:
        unique.setdefault(row["text"].lower(), row)
    rows = list(unique.values())
    with (out / "candidates.jsonl").open("a", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    order = rows[:]
    rng.shuffle(order)
    for k in range(0, len(order), BATCH_4D):
        with (out / "batches" / f"r4d-{k // BATCH_4D}.jsonl").open("w", encoding="utf-8") as f:
            for row in order[k : k + BATCH_4D]:
                f.write(json.dumps({"id": row["id"], "text": row["text"]}, ensure_ascii=False))
                f.write("\n")
    print(
        f"{len(rows)} round-4d candidates in {-(-len(rows) // BATCH_4D)} batches", file=sys.stderr
    )


LABEL_KEYS = ("violence", "graphic", "severity")
# Who wrote ``labels/<kind>-<k>.jsonl``: rounds 4-4c had one annotator per batch; every
# round-4d batch was read by the same one.
ANNOTATOR = {
    "batch": "annotator-r4-{k}",
    "vivid": "annotator-r4b-{k}",
    "random": "annotator-r4c-{k}",
    "r4d": "annotator-r4d-0",
}


def annotations(work: Path) -> dict[str, list[tuple[str, dict]]]:
    """Each candidate's labels, by annotator (``labels/batch-K`` is annotator-r4-K,
    ``labels/vivid-K`` annotator-r4b-K, every ``labels/r4d-K`` annotator-r4d-0)."""
    out: dict[str, list[tuple[str, dict]]] = {}
    for path in sorted((work / "labels").glob("*.jsonl")):
        kind, k = path.stem.split("-")
        who = ANNOTATOR[kind].format(k=k)
        for label in read_jsonl(path):
            out.setdefault(label["id"], []).append((who, label))
    return out


def kappa(a: list[int], b: list[int]) -> float:
    """Cohen's kappa of two annotators' binary labels."""
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return (observed - expected) / (1 - expected)


def merge(work: Path, out: Path) -> None:
    """Write the training rows: one label per passage; a passage read twice takes the two
    annotators' labels when they agree, else the adjudicator's (``adjudication.jsonl``).
    Prints κ per label on the double-annotated rows."""
    labels = annotations(work)
    adjudicated = (
        {r["id"]: r for r in read_jsonl(work / "adjudication.jsonl")}
        if (work / "adjudication.jsonl").exists()
        else {}
    )
    doubles = [v for v in labels.values() if len(v) == 2]
    for label in ("violence", "graphic"):
        a, b = [v[0][1][label] for v in doubles], [v[1][1][label] for v in doubles]
        disagree = sum(x != y for x, y in zip(a, b, strict=True))
        print(
            f"{label}: kappa {kappa(a, b):.3f} on {len(doubles)} double rows, "
            f"{disagree} disagreements",
            file=sys.stderr,
        )
    rows, pending = [], []
    for cand in read_jsonl(work / "candidates.jsonl"):
        given = labels.get(cand["id"])
        if not given:
            continue
        who = "; ".join(name for name, _ in given)
        chosen = given[0][1]
        if len(given) == 2 and any(given[0][1][k] != given[1][1][k] for k in LABEL_KEYS):
            if cand["id"] not in adjudicated:
                pending.append(cand["id"])
                continue
            chosen = adjudicated[cand["id"]]
            who += f"; adjudicated by {chosen['adjudicated_by']}"
        row = {
            **cand,
            **{k: chosen[k] for k in LABEL_KEYS},
            "labelled_by": who,
            "labelled_at": chosen.get("labelled_at", LABELLED_AT),
        }
        for extra in ("hard_case", "note"):
            if chosen.get(extra):
                row[extra] = chosen[extra]
        rows.append(row)
    if pending:
        sys.exit(f"{len(pending)} double-annotated rows disagree and are not adjudicated yet")
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} rows written to {out}", file=sys.stderr)


LABELLED_AT = "2026-12-01"  # rounds 4-4c; a round-4d label carries its own ``labelled_at``


if __name__ == "__main__":
    if sys.argv[1] == "draw":
        draw(Path(sys.argv[2]), Path(sys.argv[3]))
    elif sys.argv[1] == "draw-vivid":
        draw_vivid(Path(sys.argv[2]), Path(sys.argv[3]))
    elif sys.argv[1] == "draw-random-police":
        draw_random_police(Path(sys.argv[2]), Path(sys.argv[3]))
    elif sys.argv[1] == "draw-vivid-reddit":
        draw_vivid_reddit(Path(sys.argv[2]), Path(sys.argv[3]))
    elif sys.argv[1] == "disagreements":
        for cid, given in annotations(Path(sys.argv[2])).items():
            if len(given) == 2 and any(given[0][1][k] != given[1][1][k] for k in LABEL_KEYS):
                print(cid)
    elif sys.argv[1] == "merge":
        merge(Path(sys.argv[2]), Path(sys.argv[3]))
