"""Throughput of ``labeler score`` locally and on a dask LocalCluster of 2 workers.

The input is bench_score.py's: a mostly harmless mix of real passages from
training/data, repeated to --passages JSONL documents; default mode (the word screen,
then the sentence encoder, which each worker loads once), or --fast. Every run is a
whole ``labeler score`` process (best of --repeat, interleaved). ``--scheduler``
scores on a cluster started once beforehand, as a standing cluster would be;
``--backend dask`` starts its own, so its time includes the cluster's start-up.
All outputs must be identical.

    pip install -e '.[dask]'
    python benchmarks/bench_dask.py
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from bench_score import labeler, timed, training_texts, write_input
from distributed import LocalCluster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each (best is kept)")
    parser.add_argument("--fast", action="store_true", help="the word model alone")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    with (
        tempfile.TemporaryDirectory() as tmp,
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
    ):
        src = Path(tmp) / "input.jsonl"
        write_input(src, training_texts(), args.passages)
        print(
            f"input: {args.passages:,} passages, {src.stat().st_size / 1e6:.0f} MB; {cores} cores"
        )
        runs = {
            "local --jobs 1": ("--jobs", "1"),
            f"local --jobs {cores} (all cores)": ("--jobs", str(cores)),
            "LocalCluster(2 workers) --scheduler": ("--scheduler", cluster.scheduler_address),
            "--backend dask --jobs 2 (own cluster)": ("--backend", "dask", "--jobs", "2"),
        }
        outputs = {name: f"{tmp}/out{i}.jsonl" for i, name in enumerate(runs)}
        best = dict.fromkeys(runs, float("inf"))
        for _ in range(args.repeat):  # interleaved: machine noise hits all alike
            for name, extra in runs.items():
                mode = ("--fast",) if args.fast else ()
                seconds, _, _ = timed(labeler(src, outputs[name], *extra, *mode))
                best[name] = min(best[name], seconds)
        contents = {Path(path).read_bytes() for path in outputs.values()}
        assert len(contents) == 1, "outputs differ between backends"
        print(
            f"{'whole process, best of ' + str(args.repeat):40} {'seconds':>8} {'passages/s':>11}"
        )
        for name, seconds in best.items():
            print(f"{name:40} {seconds:8.2f} {args.passages / seconds:11,.0f}")
        print("outputs: byte-identical")


if __name__ == "__main__":
    main()
