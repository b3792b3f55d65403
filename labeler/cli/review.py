"""Commands on the review store: ``dashboard``, ``check``, ``quality``, ``admin-log``,
``rubric``, and the store a command reads and the admin it names for the admin log."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from labeler import config
from labeler.cli.exits import EXIT_FAILED, EXIT_OK


def existing_store(flag: str | None) -> str:
    """The store a command reads: it must exist. Only ``score --store`` and ``dashboard
    --create`` create one, so a mistyped path is an error rather than a new, empty store."""
    from labeler.store.db import StoreError, missing

    target = config.store_target(flag)
    if missing(target):
        raise StoreError(
            f"review store {target} does not exist (labeler score --store, or labeler "
            "dashboard --create, makes one)"
        )
    return target


def admin_name(flag: str | None) -> str:
    """Who the admin log names for an action run here: --admin, else the system user."""
    import getpass

    if flag and flag.strip():
        return flag.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or password database
        return f"uid {os.getuid()}"


def cmd_dashboard(args: argparse.Namespace, streamlit_args: list[str]) -> int:
    """Start the review dashboard (labeler/dashboard/app.py) on a review store.

    The store must exist: a path that does not is refused, so a typo never looks like a
    finished review; --create makes a new, empty one. At start it prints the store, what
    it holds, and the address to open. It never asks anything (no first-run e-mail
    prompt, no usage statistics), and opens a browser only with --open.
    It serves reviewers' text, so it listens on 127.0.0.1 only unless --all-interfaces
    is given. Options it does not know are passed on to streamlit run
    (e.g. --server.baseUrlPath /review).
    Streamlit runs as a child process: a SIGTERM or SIGHUP sent to this one (a service
    manager stopping it, a closed terminal) is passed on, and kill -9 ends it too, so no
    server outlives it.
    Example: labeler dashboard --store review.db --port 8501
    """
    import shutil
    import subprocess

    from labeler.store.db import shown
    from labeler.store.store import Store
    from labeler.store.summary import describe, summary

    target = config.created_store_target(args.store) if args.create else existing_store(args.store)
    with Store(target) as store:  # made here with --create; migrated before it is served
        held = describe(summary(store))
    app = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
    env = {**os.environ, "LABELER_DB": target}
    host = "0.0.0.0" if args.all_interfaces else args.host
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.address",
        host,
        "--server.port",
        str(args.port),
        "--server.headless",  # headless: no browser opened, and no e-mail prompt either
        str(not args.open).lower(),
        "--server.showEmailPrompt",
        "false",
        "--browser.gatherUsageStats",
        "false",
        *streamlit_args,
    ]
    print(f"labeler: review store {shown(target)}: {held}", flush=True)
    print(f"labeler: dashboard at {dashboard_url(host, args.port, streamlit_args)}", flush=True)
    # and if this process is killed outright (-9), the kernel sends streamlit SIGTERM
    # (util-linux's setpriv; without it, as on macOS, it stays)
    orphaned = ["setpriv", "--pdeathsig", "TERM"] if shutil.which("setpriv") else []
    server = subprocess.Popen([*orphaned, *cmd], env=env)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda signum, _frame: server.send_signal(signum))
    return server.wait()  # Ctrl-C: see entry()


def dashboard_url(host: str, port: int, streamlit_args: list[str]) -> str:
    """The address reviewers open: this machine's name when it listens on every
    interface, and the base path if one is passed on to streamlit.

    >>> dashboard_url("127.0.0.1", 8501, ["--server.baseUrlPath", "/desk/"])
    'http://127.0.0.1:8501/desk'
    >>> dashboard_url("127.0.0.1", 8501, ["--server.baseUrlPath=desk", "--theme.base", "dark"])
    'http://127.0.0.1:8501/desk'
    """
    import socket

    base = ""
    for i, arg in enumerate(streamlit_args):
        option, _, value = arg.partition("=")
        if option == "--server.baseUrlPath":
            base = value or (streamlit_args[i + 1] if i + 1 < len(streamlit_args) else "")
    shown_host = socket.gethostname() if host == "0.0.0.0" else host
    path = f"/{base.strip('/')}" if base.strip("/") else ""
    return f"http://{shown_host}:{port}{path}"


def cmd_check(args: argparse.Namespace) -> int:
    """Check the review store's integrity, e.g. after a crash; exit 1 if anything is wrong.

    Example: labeler check --store review.db
    """
    from labeler.store.db import StoreDamaged, shown
    from labeler.store.store import Store

    target = existing_store(args.store)
    try:  # only damage is "damaged": a locked or unreachable store is its own one line
        with Store(target, reading=True) as store:
            problems = store.maintenance.integrity()
            counts = store.maintenance.counts()
            read_only = " (read-only)" if store.db.read_only else ""
    except StoreDamaged as err:  # too damaged to open or to count
        print(f"labeler: {err}", file=sys.stderr)
        print(f"{shown(target)}: integrity FAILED: the store is damaged")
        return EXIT_FAILED
    for problem in problems:
        print(f"labeler: {problem}", file=sys.stderr)
    summary = ", ".join(f"{n:,} {t}" for t, n in counts.items())
    verdict = f"{len(problems)} problems" if problems else "ok"
    print(f"{shown(target)}: {summary}; integrity {verdict}{read_only}")
    return EXIT_FAILED if problems else EXIT_OK


def cmd_quality(args: argparse.Namespace) -> int:
    """List reviews a cross-validated model confidently disagrees with, for a second look.

    Example: labeler quality --store review.db
    """
    import json

    from labeler.learn.quality import find_mistakes, flag_mistakes
    from labeler.model import load_model

    target = existing_store(args.store)
    model = load_model(config.model_dir())
    found = find_mistakes(
        target, config.training_data(args.data), model, folds=args.folds, confidence=args.confidence
    )
    for item in found.suspicious:
        print(json.dumps(item, ensure_ascii=False))
    for group in found.batches:
        print(
            f"labeler: {len(group['passage_ids'])} reviews of passages with "
            f"'{group['phrase']}' go against the model's confident "
            f"{'/'.join(group['labels'])}: a batch to check (retrain holds them back)",
            file=sys.stderr,
        )
    if args.flag:
        flag_mistakes(target, found)
    print(
        f"labeler: {len(found.suspicious)} of {found.reviewed} reviewed passages look mislabelled",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_admin_log(args: argparse.Namespace) -> int:
    """Show the review store's admin log, newest first: when (UTC), who, what action
    (retrain, promote, rollback, rescore, adjudicate, setting) and its detail. The log is
    append-only; the dashboard's model page shows the same entries.

    Example: labeler admin-log --store review.db --limit 20
    """
    from labeler.batch.writers import plain
    from labeler.store.store import Store

    with Store(existing_store(args.store), reading=True) as store:
        entries = store.admin.entries(args.limit)
    for e in entries:
        when = e.at[:19].replace("T", " ")
        print(f"{when}  {plain(e.actor)}  {e.action}  {plain(e.detail)}")
    if not entries:
        print("labeler: no admin action yet", file=sys.stderr)
    return EXIT_OK


def cmd_rubric(args: argparse.Namespace) -> int:
    """Print the labelling rubric. Example: labeler rubric"""
    from labeler.labels import rubric

    print(rubric())
    return EXIT_OK
