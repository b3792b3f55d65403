"""Make docs/report.png: `labeler score` on the example article, in a real terminal.

    python docs/report_screenshot.py          (needs tmux, and chromium for Playwright)

The command runs in a detached tmux session 100 columns by 40 rows; the pane (with its
scrollback, so the whole report) is captured with its colours (``capture-pane -e``),
turned into an HTML page of the same cells, and that page photographed by chromium.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
COLUMNS, ROWS = 100, 40
SESSION = "labeler-report-screenshot"
COMMAND = "labeler score examples/news_isis_executions.txt"
# The SGR codes the report uses (and tmux's resets), as CSS properties; others are ignored.
STYLES = {
    "1": ("font-weight", "bold"),
    "2": ("opacity", "0.6"),
    "22": ("font-weight", None),
    "31": ("color", "#e5534b"),
    "33": ("color", "#d4a72c"),
    "39": ("color", None),
}
SGR = re.compile(r"\x1b\[([0-9;]*)m")


def capture() -> str:
    """The pane after the command ends, colour codes kept."""
    tmux = ["tmux", "-L", SESSION]
    subprocess.run(
        [*tmux, "new-session", "-d", "-s", SESSION, "-x", str(COLUMNS), "-y", str(ROWS)],
        check=True,
        env={"PATH": "/usr/bin:/bin", "TERM": "xterm-256color", "HOME": str(ROOT)},
    )
    try:
        python = Path(sys.executable)
        setup = f"cd {ROOT} && export PS1='$ ' PATH={python.parent}:$PATH PYTHONPATH={ROOT}"
        subprocess.run([*tmux, "send-keys", "-t", SESSION, setup, "Enter", "clear", "Enter"])
        time.sleep(1)
        subprocess.run([*tmux, "send-keys", "-t", SESSION, COMMAND, "Enter"], check=True)
        for _ in range(120):
            time.sleep(0.5)
            shown = subprocess.run(
                [*tmux, "capture-pane", "-t", SESSION, "-p", "-e", "-S", "-"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            if "labeler: 1 document" in shown:
                return shown
        raise RuntimeError(f"the command never finished:\n{shown}")
    finally:
        subprocess.run([*tmux, "kill-server"], check=False)


def to_html(text: str) -> str:
    """The captured cells as a page: each SGR run a styled span, every text escaped."""
    out, styles, pos = [], {}, 0
    for m in SGR.finditer(text):
        out.append(_span(text[pos : m.start()], styles))
        for code in m.group(1).split(";"):
            if code in ("", "0"):
                styles = {}
            elif code in STYLES:
                name, value = STYLES[code]
                styles = {**styles, name: value}
        pos = m.end()
    out.append(_span(text[pos:], styles))
    body = "".join(out).rstrip()
    return (
        "<html><body style='margin:0;background:#1e1e1e'><pre style='margin:0;padding:12px;"
        f"width:{COLUMNS}ch;font:15px/1.35 DejaVu Sans Mono,monospace;color:#d4d4d4;"
        f"background:#1e1e1e'>{body}</pre></body></html>"
    )


def _span(text: str, styles: dict[str, str | None]) -> str:
    css = ";".join(f"{name}:{value}" for name, value in styles.items() if value)
    if not text or not css:
        return html.escape(text)
    return f"<span style='{css}'>{html.escape(text)}</span>"


def main() -> None:
    page_html = to_html(capture().strip("\n"))
    out = ROOT / "docs" / "report.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1000, "height": 400})
        page.set_content(page_html)
        page.locator("pre").screenshot(path=str(out))
        browser.close()
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
