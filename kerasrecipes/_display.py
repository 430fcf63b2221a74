"""Notebook display of results: small HTML tables for `_repr_html_`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def html_table(title: str, values: Mapping[str, Any]) -> str:
    """`values` as a two-column HTML table (nested mappings as `key=value` lists), escaped."""
    import html

    def cell(value: Any) -> str:
        if isinstance(value, Mapping):
            return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in value.items())
        return f"{value:.4g}" if isinstance(value, float) else str(value)

    rows = "".join(
        f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
        f"<td style='text-align:left'>{html.escape(cell(v))}</td></tr>"
        for k, v in values.items()
    )
    return f"<table><caption style='text-align:left'><b>{html.escape(title)}</b></caption>{rows}</table>"
