"""Key press to next passage painted, in a real browser, on a store of 1,000,000 passages.

Builds (once, cached under the temp dir) a SQLite store of --passages synthetic scored
passages, written with the app's own ``store.documents.add_many``; starts ``streamlit run app.py``
on a copy of it; and in chromium (/usr/bin/chromium, never downloaded) signs in and
decides --decisions passages with the "N" key. Each time is from the key going down to
the first animation frame in which a different passage is the one highlighted, both
read in the page (``performance.now()``). Between decisions the reviewer pauses
--pause seconds, as the dashboard refuses a decision made under 500 ms after its passage
was served. Prints p50, p95 and max in ms. With --history N, the reviewer has already decided N
passages (recorded through the store's own claim and review calls, cached like the store),
so that what a key press costs as a reviewer's history grows is measured too.

    python benchmarks/bench_review_latency.py                      # this checkout, 1M
    python benchmarks/bench_review_latency.py --history 10000      # a reviewer's 10k decisions
    python benchmarks/bench_review_latency.py --app /tmp/old       # another checkout's app
    python benchmarks/bench_review_latency.py --profile            # and the store's calls

``--app`` runs another checkout's app.py with its own ``labeler`` package (an older
schema gets its own store, built by its own code). ``--profile`` times, in this process,
the store calls one decision makes (this checkout only).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.dashboard_server import start_dashboard  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PER_DOCUMENT = 10
BATCH = 2_000  # documents per add_many transaction
THRESHOLDS = {"violence": 0.5, "graphic": 0.5}
MODEL = "bench-synthetic"
REVIEWER = "bench-reviewer"  # the one reviewer: the history's and the browser's
# The passage being reviewed is the highlighted paragraph (in every version of the app).
CURRENT = "[data-testid='stMain'] p[style*='border-left: 4px solid']"
SENTENCES = [
    ("Soldiers shot {n} protesters in the square", "violence", "shot"),
    ("A man was stabbed {n} times and bled to death in the alley", "graphic", "bled to death"),
    ("The council approved {n} new bus routes", None, None),
    ("Rain is expected for {n} days over the coast", None, None),
    ("Police said {n} people were wounded in the attack", "violence", "wounded"),
    ("The library extended its hours for {n} weeks", None, None),
]


def synthetic_document(number: int, rng: random.Random) -> tuple[dict, str]:
    """A scored record in the README's schema (scores, flags, severity, evidence per
    passage), and its text: PER_DOCUMENT passages, each text unique in the store."""
    passages, texts, start = [], [], 0
    for index in range(PER_DOCUMENT):
        template, label, term = SENTENCES[rng.randrange(len(SENTENCES))]
        text = template.format(n=number * PER_DOCUMENT + index) + f", report {number}-{index}."
        violence = rng.betavariate(2, 2) if label else rng.betavariate(1, 6)
        graphic = violence * rng.random() if label == "graphic" else violence * 0.1
        flags = [name for name, s in (("violence", violence), ("graphic", graphic)) if s >= 0.5]
        if "graphic" in flags and "violence" not in flags:
            flags.insert(0, "violence")
        severity = 3 if "graphic" in flags else (rng.choice([1, 2]) if flags else 0)
        evidence = []
        if term and flags:
            at = text.index(term)
            evidence = [
                {"label": flag, "term": term, "start": at, "end": at + len(term), "weight": 0.4}
                for flag in flags
            ]
        passages.append(
            {
                "index": index,
                "start": start,
                "end": start + len(text),
                "text": text,
                "scores": {"violence": round(violence, 4), "graphic": round(graphic, 4)},
                "flags": flags,
                "review": flags,  # the review point at the flag (older apps ignore it)
                "severity": severity,
                "evidence": evidence,
            }
        )
        texts.append(text)
        start += len(text) + 2
    record = {
        "id": f"bench/doc-{number}.txt",
        "model": MODEL,
        "flags": sorted({f for p in passages for f in p["flags"]}),
        "severity": max(p["severity"] for p in passages),
        "source": {"path": f"bench/feed-{number % 20}.jsonl", "line": number},
        "passages": passages,
    }
    return record, "\n\n".join(texts)


def build(db: str, n: int) -> None:
    """Fill a new store at ``db`` with ``n`` passages, with the ``labeler`` on sys.path (this
    runs in a child process whose path starts with the app's checkout)."""
    from labeler.store.store import Store

    rng = random.Random(9)
    store = Store(db)
    began = time.perf_counter()
    documents = n // PER_DOCUMENT
    for first in range(0, documents, BATCH):
        batch = [synthetic_document(i, rng) for i in range(first, min(documents, first + BATCH))]
        store.documents.add_many(batch, THRESHOLDS)
        done = min(documents, first + BATCH) * PER_DOCUMENT
        if first % (BATCH * 25) == 0 or done == n:
            print(f"  {done:,} passages in {time.perf_counter() - began:.0f} s", flush=True)
    store.close()


def seed_history(db: str, decisions: int) -> None:
    """Let REVIEWER decide ``decisions`` passages of the store at ``db`` (document order,
    "not violent"), through the store's own calls, as the dashboard records them."""
    from labeler.store.review import NOT_VIOLENT
    from labeler.store.store import Store

    store = Store(db)
    began = time.perf_counter()
    for done in range(1, decisions + 1):
        claimed = store.queue.next(REVIEWER, order="document")
        store.reviews.record(claimed["claim"], "correct", NOT_VIOLENT)
        if done % 2_000 == 0 or done == decisions:
            print(f"  {done:,} decisions in {time.perf_counter() - began:.0f} s", flush=True)
    store.close()


def schema(app: Path) -> str:
    """The app's store schema, as the names of its migrations and the text of its
    migrations module where it has one (a migration edited under the same name makes
    another schema): a store built by one checkout serves another with the same."""
    sources = sorted((app / "labeler").glob("store*.py")) + sorted(
        (app / "labeler" / "store").glob("*.py")
    )  # labeler/store.py before the layout step, the labeler/store/ package after it
    text = "".join(path.read_text() for path in sources)
    names = sorted(set(re.findall(r'"(\d{4}_[a-z0-9_]+)"', text)))
    module = app / "labeler" / "store" / "migrations.py"
    migrations = module.read_text() if module.exists() else ""
    return hashlib.sha256((" ".join(names) + migrations).encode()).hexdigest()[:12]


def cached_store(app: Path, n: int, history: int, cache: Path) -> Path:
    """A store of ``n`` passages, ``history`` of them decided by REVIEWER, for ``app``'s
    schema, built by ``app``'s own code once (the history on a copy of the bare store)."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / (f"store-{schema(app)}-{n}" + (f"-history-{history}" if history else "") + ".db")
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    for stale in cache.glob(partial.name + "*"):
        stale.unlink()
    if history:
        shutil.copyfile(cached_store(app, n, 0, cache), partial)
        print(f"building {path} ({history:,} decisions, with {app}/labeler)", flush=True)
        command = ["--seed", str(partial), "--history", str(history)]
    else:
        print(f"building {path} ({n:,} passages, with {app}/labeler)", flush=True)
        command = ["--build", str(partial), "--passages", str(n)]
    subprocess.run(
        [sys.executable, __file__, *command],
        cwd=app,
        env={**os.environ, "PYTHONPATH": str(app)},
        check=True,
    )
    partial.rename(path)
    return path


# In the page: when a key went down, and, polled every animation frame, the time from it
# to the first frame in which another passage is highlighted.
PRESS_CLOCK = (
    "document.addEventListener('keydown', () => { window.__pressed = performance.now() }, true)"
)
CHANGED = (
    '(before) => { const p = document.querySelector("' + CURRENT + '");'
    " if (!p || p.textContent === before || window.__pressed === undefined) return false;"
    " return performance.now() - window.__pressed; }"
)


def measure(url: str, decisions: int, pause: float, width: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.add_init_script(PRESS_CLOCK)
        page.goto(url, timeout=120_000)
        name = page.get_by_label("Reviewer name")
        name.fill(REVIEWER)
        name.press("Enter")
        current = page.locator(CURRENT).first
        current.wait_for(timeout=120_000)
        page.locator("[data-testid='stMain'] h3").first.click()  # keys go to the page
        times = []
        for _ in range(decisions):
            before = current.text_content()
            time.sleep(pause)
            page.keyboard.press("n")
            handle = page.wait_for_function(CHANGED, arg=before, polling="raf", timeout=60_000)
            times.append(float(handle.json_value()))
        browser.close()
    return times


def profile(db: Path, rounds: int = 20) -> None:
    """Time the store calls behind one decision, in this process, on a copy of the store."""
    from labeler.store.review import NOT_VIOLENT
    from labeler.store.store import Store

    store = Store(db)
    reviewer = REVIEWER
    calls: dict[str, list[float]] = {}

    def timed(name: str, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        out = fn(*args, **kwargs)
        calls.setdefault(name, []).append((time.perf_counter() - began) * 1000)
        return out

    for _ in range(rounds):
        claim = timed("queue.next (active order)", store.queue.next, reviewer, order="active")
        claim = claim["claim"]
        p = timed("passage", store.documents.passage, claim.passage_id)
        timed(
            "documents.passages_of",
            store.documents.passages_of,
            p["document_id"],
            p["model"],
        )
        timed("progress", store.queue.progress, reviewer)
        timed("reviews.last", store.reviews.last, reviewer)
        timed("reviews.of (history)", store.reviews.of, claim.passage_id)
        timed("warnings.of_documents", store.warnings.of_documents)
        timed("reviews.record", store.reviews.record, claim, "correct", NOT_VIOLENT)
    store.close()
    print(f"{'store call (in process)':32} {'p50 ms':>8} {'max ms':>8}")
    for name, ms in calls.items():
        print(f"{name:32} {statistics.median(ms):8.1f} {max(ms):8.1f}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--decisions", type=int, default=100)
    parser.add_argument(
        "--history", type=int, default=0, help="decisions the reviewer made before (default 0)"
    )
    parser.add_argument("--pause", type=float, default=0.7, help="seconds between decisions")
    parser.add_argument("--app", type=Path, default=ROOT, help="checkout whose app.py to run")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "labeler-bench-latency",
        help="folder of built stores, reused across runs",
    )
    parser.add_argument("--width", type=int, default=1440, help="browser viewport width")
    parser.add_argument("--profile", action="store_true", help="also time the store's calls")
    parser.add_argument("--build", help=argparse.SUPPRESS)  # child process: build this store
    parser.add_argument("--seed", help=argparse.SUPPRESS)  # child process: add the history
    args = parser.parse_args()
    if args.build:
        build(args.build, args.passages)
        return
    if args.seed:
        seed_history(args.seed, args.history)
        return
    app = args.app.resolve()
    built = cached_store(app, args.passages, args.history, args.cache)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "review.db"
        shutil.copyfile(built, db)  # every run starts from the same, unreviewed store
        server, url = start_dashboard(app, db, Path(tmp) / "home", Path(tmp) / "streamlit.log")
        try:
            times = measure(url, args.decisions, args.pause, args.width)
        finally:
            server.terminate()
            server.wait(timeout=20)
        print(
            json.dumps(
                {
                    "app": str(app),
                    "passages": args.passages,
                    "history": args.history,
                    "decisions": len(times),
                    "p50_ms": round(statistics.median(times), 1),
                    "p95_ms": round(percentile(times, 0.95), 1),
                    "max_ms": round(max(times), 1),
                }
            )
        )
        print(
            f"key press to next passage painted, {args.passages:,} passages, {args.history:,}"
            f" decisions before, {len(times)} decisions: p50 {statistics.median(times):.0f} ms"
            f" · p95 {percentile(times, 0.95):.0f} ms · max {max(times):.0f} ms"
        )
        if args.profile:
            if app != ROOT:
                raise SystemExit("--profile times this checkout's store only")
            profile(db)


if __name__ == "__main__":
    main()
