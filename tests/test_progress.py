"""Progress: rich where it can redraw, tenths or timed log lines elsewhere, nothing when quiet."""

import io
import logging
import sys

import pytest

from kerasrecipes import _progress
from kerasrecipes._progress import Progress, eta


def lines(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "kerasrecipes._progress"]


def test_a_counted_task_logs_its_start_each_tenth_and_its_end(caplog):
    caplog.set_level(logging.INFO, logger="kerasrecipes")
    with Progress(force_live=False) as progress:
        task = progress.add("epochs", total=100)
        for epoch in range(100):
            progress.update(task, completed=epoch + 1, info=f"loss {1 / (epoch + 1):.3g}")
    shown = lines(caplog)
    assert shown[0] == "epochs 1/100  loss 1" and shown[-1] == "epochs 100/100  loss 0.01"
    assert [s.split()[1] for s in shown] == ["1/100", *(f"{k}/100" for k in range(10, 101, 10))]


def test_a_timed_task_logs_by_time_and_when_final(caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="kerasrecipes")
    clock = iter(range(0, 10_000, 7))  # 7 "seconds" per call
    monkeypatch.setattr(_progress.time, "monotonic", lambda: next(clock))
    with Progress(force_live=False) as progress:
        task = progress.add("scanning f.csv (MB)", total=8.5, timed=True)
        for mb in range(1, 9):
            progress.update(task, completed=mb)
        progress.update(task, completed=8.5, info="1,000 rows", final=True)
    assert lines(caplog) == ["scanning f.csv (MB) 5/8.5", "scanning f.csv (MB) 8.5/8.5  1,000 rows"]


def test_disabled_shows_nothing(caplog, capsys):
    caplog.set_level(logging.INFO, logger="kerasrecipes")
    with Progress(enabled=False, force_live=True) as progress:
        task = progress.add("epochs", total=3)
        progress.update(task, completed=3)
    assert lines(caplog) == [] and capsys.readouterr() == ("", "")


def test_live_display_draws_a_bar_on_stderr(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    with Progress(force_live=True) as progress:
        task = progress.add("trials", total=3)
        for done in range(1, 4):
            progress.update(task, completed=done, info=f"best val_loss 0.{done}")
    text = stream.getvalue()
    assert "trials" in text and "3/3" in text and "best val_loss 0.3" in text


@pytest.mark.parametrize(
    "done, total, elapsed, text",
    [
        (0, 5, 3.0, "elapsed 0:03"),
        (2, 6, 40.0, "elapsed 0:40, eta 1:20"),
        (1, 2, 4000.0, "elapsed 1:06:40, eta 1:06:40"),
        (3, 3, 10.0, "elapsed 0:10, eta 0:00"),
    ],
)
def test_eta(done, total, elapsed, text):
    assert eta(done, total, elapsed) == text


def test_live_is_a_terminal_or_jupyter(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    assert not _progress.live()
    monkeypatch.setitem(sys.modules, "ipykernel", object())
    assert _progress.live()
