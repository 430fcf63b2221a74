"""Peak resident memory of a streamed image run (`ImageFolderStream`) against the number of images.

For each N it writes N synthetic 64x64 RGB PNGs (two classes: a bright square or a disc on noise) into
a temporary folder, trains one short streamed run on it in a fresh subprocess, and records the child's
peak resident set (`resource.getrusage(RUSAGE_SELF).ru_maxrss`, read by the child at its end). With
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
import json, resource, sys, time
from kerasrecipes import train
folder, road, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
if road == "stream":
    from kerasrecipes.streaming import ImageFolderStream
    data = ImageFolderStream(folder, image_size=64)
else:
    from kerasrecipes.data import load_images
    data = load_images(folder, image_size=64)
start = time.perf_counter()
result = train(data, recipe={"epochs": epochs, "batch_size": 64, "filters": 8, "conv_blocks": 2}, seed=0,
               tracking="none", verbose=0)
print(json.dumps({"seconds": time.perf_counter() - start, "accuracy": result.test_metrics.get("accuracy"),
                  "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def write_images(folder: Path, n: int, seed: int = 0) -> None:
    """N 64x64 RGB PNGs in two class folders (every other image a square, else a disc)."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:64, :64]
    masks = {"square": (abs(yy - 32) < 14) & (abs(xx - 32) < 14), "disc": (yy - 32) ** 2 + (xx - 32) ** 2 < 200}
    for i in range(n):
        kind = ("square", "disc")[i % 2]
        image = rng.integers(0, 80, (64, 64, 3)).astype(np.uint8)
        image[masks[kind]] = 220
        (folder / kind).mkdir(parents=True, exist_ok=True)
        tf.io.write_file(str(folder / kind / f"{i:06d}.png"), tf.io.encode_png(image))


def run_child(folder: Path, road: str, epochs: int) -> dict:
    """Train once in a fresh Python process; its JSON line (seconds, accuracy, max_rss_kib)."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), road, str(epochs)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 10000], help="numbers of images")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--in-memory", action="store_true", help="also train each folder in memory (load_images)")
    args = p.parse_args(argv)
    roads = ["stream", "memory"] if args.in_memory else ["stream"]
    rows = ["| images | road | peak RSS (MiB) | train seconds | test accuracy |", "|---:|---|---:|---:|---:|"]
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix="bench-images-") as tmp:
            folder = Path(tmp) / "images"
            started = time.perf_counter()
            write_images(folder, n)
            print(f"wrote {n} images in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
            for road in roads:
                got = run_child(folder, road, args.epochs)
                rows.append(
                    f"| {n} | {road} | {got['max_rss_kib'] / 1024:.0f} | {got['seconds']:.1f} | {got['accuracy']:.3f} |"
                )
                print(rows[-1], file=sys.stderr, flush=True)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
