"""W&B tracking of a run: offline by default, online only when asked (or "auto" and logged in)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

TRACKING = ("offline", "online", "auto", "none")


def logged_in_to_wandb() -> bool:
    """True when a W&B API key is available (WANDB_API_KEY, or `wandb login`'s netrc entry)."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    import netrc
    from urllib.parse import urlparse

    host = urlparse(os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")).hostname or "api.wandb.ai"
    try:
        return netrc.netrc().authenticators(host) is not None
    except (FileNotFoundError, netrc.NetrcParseError, OSError):
        return False


def tracking_mode(mode: str) -> str:
    """Resolve "auto": WANDB_MODE if the user set it, else online when logged in, else offline."""
    if mode != "auto":
        return mode
    env = os.environ.get("WANDB_MODE")
    if env in ("online", "offline", "disabled"):
        return "none" if env == "disabled" else env
    return "online" if logged_in_to_wandb() else "offline"


def start(mode: str, directory: Path, recipe: Any, name: str, group: str | None):
    mode = tracking_mode(mode)
    if mode == "none":
        return None
    import wandb

    return wandb.init(project=os.environ.get("WANDB_PROJECT", "kerasrecipes"), dir=str(directory), mode=mode,
                      config=recipe.to_dict(), name=name, group=group, reinit="finish_previous",
                      settings=wandb.Settings(silent=True))
