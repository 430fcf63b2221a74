"""Render a sweep's report.html in headless Chromium and keep the screenshot under bench/results/.

    .venv/bin/python bench/render_report.py                      # runs a small sweep on wine first
    .venv/bin/python bench/render_report.py runs/sweep-x/report.html --out shot.png

The page is opened from disk with every host name resolving to nothing (`--host-resolver-rules`), so the
screenshot shows what the file holds by itself, offline. Chromium is Debian's `chromium` package
(`apt-get install -y chromium`); without it the script says so and exits 1. The screenshot's blank bottom is
cut off and its colours reduced to a 256-colour palette, so it stays small enough to commit.
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

RESULTS = Path(__file__).parent / "results"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DEMO = """name: report-demo
method: random
metric: {name: epoch/val_loss, goal: minimize}
parameters:
  epochs: {value: 15}
  units: {values: [8, 32, 128]}
  dropout: {values: [0.0, 0.2]}
  learning_rate: {distribution: log_uniform_values, min: 1.0e-4, max: 3.0e-2}
  optimizer: {values: [adam, sgd]}
command: [python, -m, kerasrecipes, train, --dataset, wine, "${args}"]
"""


def demo_report(folder: Path) -> Path:
    """Run a 10-trial random sweep on the bundled wine data (3 best confirmed on 3 seeds) in `folder`."""
    (folder / "report-demo.yaml").write_text(DEMO)
    out = "runs/sweep-report-demo-wine-seed0"
    command = [sys.executable, "-m", "kerasrecipes", "sweep", "report-demo.yaml", "--trials", "10", "--out", out]
    subprocess.run([*command, "--confirm", "3", "--tracking", "none", "--quiet"], cwd=folder, check=True)
    return folder / out / "report.html"


def screenshot(browser: str, page: Path, png: Path, width: int = 1300, height: int = 5000) -> None:
    """Chromium's headless screenshot of `page`, offline, then its blank bottom cut and its colours reduced."""
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",  # as root in a container
            "--disable-gpu",
            "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--window-size={width},{height}",
            f"--screenshot={png}",
            page.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    image = Image.open(png).convert("RGB")
    rows = np.flatnonzero((np.asarray(image) < 250).any(axis=(1, 2)))
    bottom = int(rows[-1]) + 20 if rows.size else image.height
    image.crop((0, 0, image.width, min(bottom, image.height))).quantize(colors=256).save(png, optimize=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", type=Path, help="a report.html (default: run a small sweep first)")
    parser.add_argument("--out", type=Path, help="the screenshot (default bench/results/<date>-report.png)")
    args = parser.parse_args()
    browser = next((b for b in BROWSERS if shutil.which(b)), None)
    if browser is None:
        print(
            f"render_report: no headless browser found (looked for {', '.join(BROWSERS)} on PATH); install "
            "Debian's package with `apt-get install -y chromium` and run again. Nothing was rendered.",
            file=sys.stderr,
        )
        return 1
    png = args.out or RESULTS / f"{datetime.date.today():%Y-%m-%d}-report.png"
    with tempfile.TemporaryDirectory() as folder:
        page = args.report or demo_report(Path(folder))
        screenshot(browser, page, png)
    version = subprocess.run([browser, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"rendered {page.name} with {version} -> {png} ({png.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
