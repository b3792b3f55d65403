"""Throughput and peak memory of ``labeler score`` against alt-profanity-check.

One run, same input: real passages from training/data repeated to --passages
JSONL documents (one passage each). Each tool runs as its own process, start-up
and JSON included; we also time each model alone, in process, on the same texts.

    pip install -e '.[bench]'
    python benchmarks/bench_score.py                 # 200k passages
    python benchmarks/bench_score.py --rss-mb 2048   # also: peak RSS on a 2 GB JSONL
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def training_texts() -> list[str]:
    texts = []
    for path in sorted((ROOT / "training" / "data").rglob("*.jsonl")):
        with path.open(encoding="utf-8") as f:
            texts += [json.loads(line)["text"].strip() for line in f]
    return [t for t in texts if t and len(t) <= 600]


def write_input(path: Path, texts: list[str], n: int) -> None:
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"d{i}", "text": texts[i % len(texts)]}) + "\n")


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode() if proc.stderr else ''}")
    return seconds, usage.ru_maxrss / 1024


def labeler(src: Path, out: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "labeler", "score", str(src), "-o", out, "--quiet", *extra]


def in_process(texts: list[str]) -> tuple[float, float]:
    """Passages/s of each model alone on a list of texts (no I/O, no JSON)."""
    from profanity_check import predict_prob

    from labeler import load_model

    model = load_model()
    chunks = [texts[i : i + 2000] for i in range(0, len(texts), 2000)]  # as the CLI batches
    start = time.perf_counter()
    for chunk in chunks:
        model.predict_proba(chunk)
    ours = len(texts) / (time.perf_counter() - start)
    start = time.perf_counter()
    for chunk in chunks:
        predict_prob(chunk)
    theirs = len(texts) / (time.perf_counter() - start)
    return ours, theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=200_000)
    parser.add_argument("--rss-mb", type=int, default=0, help="also score a JSONL this large")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each tool (best is kept)")
    args = parser.parse_args()
    texts = training_texts()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "input.jsonl"
        write_input(src, texts, args.passages)
        size = src.stat().st_size / 1e6
        print(
            f"input: {args.passages:,} passages ({len(texts):,} distinct real texts), {size:.0f} MB"
        )
        runs = {
            "labeler score --jobs 1": labeler(src, f"{tmp}/a.jsonl", "--jobs", "1"),
            "labeler score (all cores)": labeler(src, f"{tmp}/b.jsonl"),
            "alt-profanity-check": [
                sys.executable,
                str(ROOT / "benchmarks" / "apc_score.py"),
                str(src),
                f"{tmp}/c.jsonl",
            ],
        }
        best = {name: (float("inf"), 0.0) for name in runs}
        for _ in range(args.repeat):  # interleaved, best of N: machine noise hits all alike
            for name, cmd in runs.items():
                seconds, rss = timed(cmd)
                best[name] = min(best[name], (seconds, rss))
        rates = {}
        print(
            f"{'whole process, best of ' + str(args.repeat):28} {'seconds':>8} "
            f"{'passages/s':>11} {'peak RSS MB':>12}"
        )
        for name, (seconds, rss) in best.items():
            rates[name] = args.passages / seconds
            print(f"{name:28} {seconds:8.2f} {rates[name]:11,.0f} {rss:12.0f}")
        ratio = rates["labeler score --jobs 1"] / rates["alt-profanity-check"]
        print(f"ratio, one process each (labeler / alt-profanity-check): {ratio:.2f}x")
        ours, theirs = in_process(texts * (args.passages // len(texts) + 1))
        print(
            f"model alone, in process: labeler {ours:,.0f}/s (2 labels), "
            f"alt-profanity-check {theirs:,.0f}/s (1 label); ratio {ours / theirs:.2f}x"
        )
        if args.rss_mb:
            big = Path(tmp) / "large.jsonl"
            n = int(args.passages * args.rss_mb / size)
            write_input(big, texts, n)
            seconds, rss = timed(labeler(big, f"{tmp}/d.jsonl"))
            print(
                f"large input: {big.stat().st_size / 1e6:,.0f} MB, {n:,} passages in "
                f"{seconds:,.0f} s ({n / seconds:,.0f}/s), peak RSS {rss:.0f} MB"
            )


if __name__ == "__main__":
    main()
