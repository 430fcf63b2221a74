"""Peak resident memory of a streamed image run (`ImageFolderStream`) against the number of images.

For each N it writes N synthetic RGB PNGs (64x64 unless `--image-size` says otherwise) (two classes: a bright square or a disc on noise) into
a temporary folder, trains one short streamed run on it in a fresh subprocess, and records the child's
peak resident set (`VmHWM` of /proc/self/status, read by the child at its end; not `ru_maxrss`, which a
child started by `subprocess` inherits from its parent when the parent's was larger). With
`--in-memory` it also trains the same folder through `load_images`, which decodes every image into one
array, for comparison. Prints a markdown table; memory that stays flat as N grows is what streaming
promises.

    .venv/bin/python bench/bench_image_memory.py                       # N = 1000, 4000, 10000
    .venv/bin/python bench/bench_image_memory.py --sizes 40 80 --in-memory
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

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

CHILD = """
import json, sys, time
from kerasrecipes import train
folder, road, epochs, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if road == "stream":
    from kerasrecipes.streaming import ImageFolderStream
    data = ImageFolderStream(folder, image_size=size)
else:
    from kerasrecipes.data import load_images
    data = load_images(folder, image_size=size)
start = time.perf_counter()
result = train(data, recipe={"epochs": epochs, "batch_size": 64, "filters": 8, "conv_blocks": 2}, seed=0,
               tracking="none", verbose=0)
print(json.dumps({"seconds": time.perf_counter() - start, "accuracy": result.test_metrics.get("accuracy"),
                  "max_rss_kib": next(int(line.split()[1]) for line in open("/proc/self/status")
                                      if line.startswith("VmHWM:"))}))
"""


def write_images(folder: Path, n: int, seed: int = 0, size: int = 64) -> None:
    """N RGB PNGs, `size` pixels a side, in two class folders (every other image a square, else a disc)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] * 64 // size  # the same shapes at any size
    masks = {"square": (abs(yy - 32) < 14) & (abs(xx - 32) < 14), "disc": (yy - 32) ** 2 + (xx - 32) ** 2 < 200}
    for i in range(n):
        kind = ("square", "disc")[i % 2]
        image = rng.integers(0, 80, (size, size, 3)).astype(np.uint8)
        image[masks[kind]] = 220
        (folder / kind).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(folder / kind / f"{i:06d}.png")


def run_child(folder: Path, road: str, epochs: int, size: int = 64) -> dict:
    """Train once in a fresh Python process; its JSON line (seconds, accuracy, max_rss_kib)."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), road, str(epochs), str(size)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(sizes: list[int], roads: list[str], epochs: int = 1, size: int = 64) -> tuple[list[str], list[dict]]:
    """For each N, a folder of N images trained once per road ("stream", "memory"): a markdown table and points."""
    rows = ["| images | road | peak RSS (MiB) | train seconds | test accuracy |", "|---:|---|---:|---:|---:|"]
    points = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-images-") as tmp:
            folder = Path(tmp) / "images"
            started = time.perf_counter()
            write_images(folder, n, size=size)
            print(f"wrote {n} images in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
            for road in roads:
                got = run_child(folder, road, epochs, size)
                points.append({"images": n, "road": road, **got})
                rows.append(
                    f"| {n} | {road} | {got['max_rss_kib'] / 1024:.0f} | {got['seconds']:.1f} | {got['accuracy']:.3f} |"
                )
                print(rows[-1], file=sys.stderr, flush=True)
    return rows, points


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 10000], help="numbers of images")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--image-size", type=int, default=64, help="image side in pixels")
    p.add_argument("--in-memory", action="store_true", help="also train each folder in memory (load_images)")
    args = p.parse_args(argv)
    roads = ["stream", "memory"] if args.in_memory else ["stream"]
    print("\n".join(measure(args.sizes, roads, args.epochs, args.image_size)[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
