"""Throughput and peak memory of ``labeler score`` (default and ``--fast``) against
alt-profanity-check.

One run, same input: a mixed corpus of real passages from training/data, most of them
harmless as in a real archive (every passage labelled not violent, and one violent
passage for every nine of those), repeated to --passages JSONL documents (one passage
each). Each tool runs as its own process, start-up and JSON included; we also time each
model alone, in process, on the same texts, and say how many passages the word model's
screen clears before the encoder, and what the evidence of the passages flagged or to
review costs.

    pip install -e '.[bench]'
    python benchmarks/bench_score.py                          # 20k passages
    python benchmarks/bench_score.py --passages 200000 --fast-only
    python benchmarks/bench_score.py --rss-mb 2048            # also: peak RSS on a 2 GB JSONL
    python benchmarks/bench_score.py --evidence-only          # what evidence costs, alone
    python benchmarks/bench_score.py --tokens-only            # ASCII split as bytes vs regex
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


VIOLENT_SHARE = 0.1


def training_texts() -> list[str]:
    """Real passages, most harmless: the not-violent ones of training/data, and violent
    ones making up VIOLENT_SHARE of the whole, interleaved in a fixed order."""
    calm, violent = [], []
    for path in sorted((ROOT / "training" / "data").rglob("*.jsonl")):
        if path.name == "regression_cases.jsonl":
            continue
        with path.open(encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                text = row["text"].strip()
                if text and len(text) <= 600 and row.get("violence") is not None:
                    (violent if row["violence"] else calm).append(text)
    keep = int(len(calm) * VIOLENT_SHARE / (1 - VIOLENT_SHARE))
    mixed = calm + violent[:: max(1, len(violent) // keep)][:keep]
    return [mixed[i] for i in random.Random(7).sample(range(len(mixed)), len(mixed))]


def write_input(path: Path, texts: list[str], n: int) -> None:
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"d{i}", "text": texts[i % len(texts)]}) + "\n")


def timed(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) and CPU seconds (user + system: less at the mercy of
    other work on a shared machine) of one child process; labeler may exit 1 (some
    records failed), anything else stops the benchmark."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    allowed = (0, 1) if "labeler" in cmd else (0,)
    if os.waitstatus_to_exitcode(status) not in allowed:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode() if proc.stderr else ''}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def labeler(src: Path, out: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "labeler", "score", str(src), "-o", out, "--quiet", *extra]


def in_process(texts: list[str]) -> dict[str, float]:
    """Passages/s of each model alone on a list of texts (no I/O, no JSON), and the share
    of passages the word model's screen clears before the encoder."""
    from profanity_check import predict_prob

    from labeler import load_model

    model = load_model()
    chunks = [texts[i : i + 2000] for i in range(0, len(texts), 2000)]  # as the CLI batches
    out = {}
    for name, predict in (("words", model.words_only().predict_proba), ("apc", predict_prob)):
        start = time.perf_counter()
        for chunk in chunks:
            predict(chunk)
        out[name] = len(texts) / (time.perf_counter() - start)
    out["screened"] = float(model.score(texts[:20_000]).screened.mean())
    return out


def evidence_cost(texts: list[str]) -> None:
    """Print what evidence costs in the default mode: ``labeler score``'s code scores the
    texts in process (evidence included), then the evidence of every passage flagged or to
    review is computed again alone and timed."""
    from labeler import load_model
    from labeler.scoring import passage_evidence, score_documents

    model = load_model()
    docs = [(str(i), t) for i, t in enumerate(texts)]
    start = time.perf_counter()
    records = [
        r for i in range(0, len(docs), 2000) for r in score_documents(docs[i : i + 2000], model)
    ]
    total = time.perf_counter() - start
    asked = [p for r in records for p in r["passages"] if p["review"]]
    start = time.perf_counter()
    for p in asked:
        passage_evidence(model.lexicon, p["text"], p["review"])
    spent = time.perf_counter() - start
    n = sum(len(r["passages"]) for r in records)
    print(
        f"evidence, in process on {n:,} passages: {len(asked):,} flagged or to review "
        f"({len(asked) / n:.1%}), {spent / max(len(asked), 1) * 1e6:,.0f} us each, "
        f"{spent / total:.1%} of scoring; default mode {n / total:,.0f}/s with evidence, "
        f"{n / (total - spent):,.0f}/s without"
    )


def token_cost(texts: list[str], repeat: int) -> None:
    """Print what splitting ASCII texts as bytes saves in the word features (``FastTfidf``)
    against the token pattern's regex for every text: in process, batches of 2,000 as the
    CLI's, best of ``repeat`` interleaved, the outputs checked equal."""
    import numpy as np

    from labeler import load_model
    from labeler.features import FastTfidf

    params = load_model().tfidf
    by_bytes, by_regex = FastTfidf(params), FastTfidf(params)
    by_regex._byte_ids = None  # every text by the regex, as a custom token pattern is
    chunks = [texts[i : i + 2000] for i in range(0, len(texts), 2000)]
    best = {"bytes": float("inf"), "regex": float("inf")}
    for _ in range(repeat):
        for name, fast in (("bytes", by_bytes), ("regex", by_regex)):
            start = time.process_time()
            for chunk in chunks:
                fast.transform(chunk)
            best[name] = min(best[name], time.process_time() - start)
    same = all(
        np.array_equal(a.indptr, b.indptr)
        and np.array_equal(a.indices, b.indices)
        and np.array_equal(a.data, b.data)
        for a, b in ((by_bytes.transform(c), by_regex.transform(c)) for c in chunks[:5])
    )
    bytes_us, regex_us = (best[name] / len(texts) * 1e6 for name in ("bytes", "regex"))
    print(
        f"word features in process, {len(texts):,} passages, CPU best of {repeat}: ASCII split "
        f"as bytes {bytes_us:.1f} us a passage, the regex for all {regex_us:.1f} us "
        f"({regex_us / bytes_us:.2f}x); outputs equal: {same}"
    )


def best_of(
    runs: dict[str, list[str]], repeat: int, passages: int
) -> dict[str, tuple[float, float]]:
    """Run each command ``repeat`` times, interleaved (machine noise hits all alike);
    print the best wall time of each, its passages/s, peak RSS and best CPU time;
    return passages/s by wall time and by CPU time."""
    best = {name: (float("inf"), 0.0) for name in runs}
    cpu = dict.fromkeys(runs, float("inf"))
    for _ in range(repeat):
        for name, cmd in runs.items():
            seconds, rss, cpu_seconds = timed(cmd)
            best[name] = min(best[name], (seconds, rss))
            cpu[name] = min(cpu[name], cpu_seconds)
    head = f"whole process, best of {repeat}"
    print(f"{head:34} {'seconds':>8} {'passages/s':>11} {'peak RSS MB':>12} {'CPU s':>7}")
    rates = {}
    for name, (seconds, rss) in best.items():
        rates[name] = (passages / seconds, passages / cpu[name])
        print(f"{name:34} {seconds:8.2f} {rates[name][0]:11,.0f} {rss:12.0f} {cpu[name]:7.2f}")
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=20_000, help="for the default mode")
    parser.add_argument("--fast-passages", type=int, default=200_000, help="for --fast and apc")
    parser.add_argument("--rss-mb", type=int, default=0, help="also score a JSONL this large")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each tool (best is kept)")
    parser.add_argument("--evidence-only", action="store_true", help="the evidence cost alone")
    parser.add_argument("--fast-only", action="store_true", help="--fast and apc alone")
    parser.add_argument("--tokens-only", action="store_true", help="ASCII split vs regex")
    args = parser.parse_args()
    texts = training_texts()
    if args.tokens_only:
        token_cost((texts * (100_000 // len(texts) + 1))[:100_000], max(args.repeat, 5))
        return
    if args.evidence_only:
        evidence_cost(texts[: args.passages])
        return
    with tempfile.TemporaryDirectory() as tmp:
        src, many = Path(tmp) / "input.jsonl", Path(tmp) / "many.jsonl"
        write_input(src, texts, args.passages)
        write_input(many, texts, args.fast_passages)
        print(
            f"input: {args.passages:,} and {args.fast_passages:,} passages "
            f"({len(texts):,} distinct real texts, {VIOLENT_SHARE:.0%} violent), "
            f"{src.stat().st_size / 1e6:.0f} and {many.stat().st_size / 1e6:.0f} MB"
        )
        if not args.fast_only:
            print(f"default mode, {args.passages:,} passages:")
            best_of(
                {"labeler score --jobs 1": labeler(src, f"{tmp}/a.jsonl", "--jobs", "1")},
                args.repeat,
                args.passages,
            )
        print(f"--fast and alt-profanity-check, {args.fast_passages:,} passages:")
        apc = [
            sys.executable,
            str(ROOT / "benchmarks" / "apc_score.py"),
            str(many),
            f"{tmp}/c.jsonl",
        ]
        rates = best_of(
            {
                "labeler score --fast --jobs 1": labeler(
                    many, f"{tmp}/b.jsonl", "--fast", "--jobs", "1"
                ),
                "alt-profanity-check": apc,
            },
            args.repeat,
            args.fast_passages,
        )
        fast, apc_rates = rates["labeler score --fast --jobs 1"], rates["alt-profanity-check"]
        print(
            "ratio, one process each (labeler --fast / alt-profanity-check): "
            f"{fast[0] / apc_rates[0]:.2f}x by wall time, {fast[1] / apc_rates[1]:.2f}x by CPU time"
        )
        if args.rss_mb:
            big = Path(tmp) / "large.jsonl"
            n = int(args.fast_passages * args.rss_mb / (many.stat().st_size / 1e6))
            write_input(big, texts, n)
            seconds, rss, _ = timed(labeler(big, f"{tmp}/d.jsonl", "--fast"))
            print(
                f"large input, --fast: {big.stat().st_size / 1e6:,.0f} MB, {n:,} passages in "
                f"{seconds:,.0f} s ({n / seconds:,.0f}/s), peak RSS {rss:.0f} MB"
            )
        # in process last: on Linux a child's peak RSS starts at its parent's
        alone = in_process(texts * (args.fast_passages // len(texts) + 1))
        print(
            f"models alone, in process: labeler's word model {alone['words']:,.0f}/s (2 labels), "
            f"alt-profanity-check {alone['apc']:,.0f}/s (1 label); "
            f"ratio {alone['words'] / alone['apc']:.2f}x"
        )
        print(f"the word model's screen clears {alone['screened']:.1%} of the passages")
    if not args.fast_only:
        evidence_cost(texts[: args.passages])


if __name__ == "__main__":
    main()
