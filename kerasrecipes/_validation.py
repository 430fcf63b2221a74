"""One place that renders every validation message, so wording stays consistent.

Message shape: what is wrong, what was expected, what was
received, and how to fix it when that is not obvious::

    `patience` must be an integer >= 0. Received: patience=-1
    `mode` must be one of: 'auto', 'max', 'min'. Received: mode='up'
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kerasrecipes.errors import UserError


def _fmt(value: Any) -> str:
    return repr(value)


def invalid(name: str, expected: str, received: Any, fix: str | None = None) -> str:
    """Render the one message style: "`name` must be EXPECTED. Received: name=VALUE"."""
    message = f"`{name}` must be {expected}. Received: {name}={_fmt(received)}"
    if fix:
        message += f". {fix}"
    return message


def choices_text(options: Iterable[Any]) -> str:
    return ", ".join(_fmt(o) for o in sorted(options, key=str))


def unknown_name(kind: str, name: str, valid: Iterable[str]) -> str:
    """Message for an unknown key, with a close-match suggestion and the sorted valid names."""
    valid = sorted(valid)
    close = difflib.get_close_matches(str(name), valid, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"Unknown {kind} {name!r}.{hint} Expected one of: {', '.join(valid)}"


@dataclass(frozen=True)
class Interval:
    """A numeric constraint: `kind` is "integer" or "real"; bounds are optional. `words` are strings
    accepted besides the numbers (`learning_rate`'s "find")."""

    kind: str
    low: float | None = None
    high: float | None = None
    closed: str = "both"  # "both", "left", "right", "neither"
    words: tuple[str, ...] = ()

    def describe(self) -> str:
        return self._numbers() + "".join(f" or {word!r}" for word in self.words)

    def _numbers(self) -> str:
        noun = "an integer" if self.kind == "integer" else "a real number"
        lo_in = self.closed in ("both", "left")
        hi_in = self.closed in ("both", "right")
        if self.low is not None and self.high is not None:
            left = "[" if lo_in else "("
            right = "]" if hi_in else ")"
            return f"{noun} in {left}{self.low}, {self.high}{right}"
        if self.low is not None:
            return f"{noun} {'>=' if lo_in else '>'} {self.low}"
        if self.high is not None:
            return f"{noun} {'<=' if hi_in else '<'} {self.high}"
        return noun

    def check(self, name: str, value: Any) -> Any:
        """Return `value` as int/float if it satisfies the interval (or one of `words` as it is), else raise."""
        if isinstance(value, str) and value in self.words:
            return value
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise UserError(invalid(name, self.describe(), value))
        if self.kind == "integer":
            if isinstance(value, numbers.Integral):
                value = int(value)
            elif float(value).is_integer():
                value = int(value)
            else:
                raise UserError(invalid(name, self.describe(), value))
        else:
            value = float(value)
            if not math.isfinite(value):
                raise UserError(invalid(name, self.describe(), value))
        lo_in = self.closed in ("both", "left")
        hi_in = self.closed in ("both", "right")
        if self.low is not None and (value < self.low or (value == self.low and not lo_in)):
            raise UserError(invalid(name, self.describe(), value))
        if self.high is not None and (value > self.high or (value == self.high and not hi_in)):
            raise UserError(invalid(name, self.describe(), value))
        return value


@dataclass(frozen=True)
class Options:
    """A closed set of string choices."""

    values: frozenset

    def describe(self) -> str:
        return f"one of: {choices_text(self.values)}"

    def check(self, name: str, value: Any) -> Any:
        if not isinstance(value, str):
            raise UserError(invalid(name, self.describe(), value))
        if value not in self.values:
            raise UserError(invalid(name, self.describe(), value))
        return value


def options(*values: str) -> Options:
    return Options(frozenset(values))


@dataclass(frozen=True)
class Boolean:
    def describe(self) -> str:
        return "a boolean (true or false)"

    def check(self, name: str, value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if hasattr(value, "dtype") and getattr(value.dtype, "kind", "") == "b":
            return bool(value)
        raise UserError(invalid(name, self.describe(), value))


@dataclass(frozen=True)
class FilePath:
    """`none`, or the path of a file whose name ends in one of `suffixes` (any case). Whether the file
    exists is checked where it is read, so a recipe naming it stays valid on a machine without it."""

    suffixes: tuple[str, ...]
    none: str = "none"

    def describe(self) -> str:
        ends = (
            ", ".join(self.suffixes[:-1]) + f" or {self.suffixes[-1]}" if len(self.suffixes) > 1 else self.suffixes[0]
        )
        return f"{self.none!r} or the path of a file ending in {ends}"

    def check(self, name: str, value: Any) -> Any:
        if isinstance(value, str) and (value == self.none or value.strip().lower().endswith(self.suffixes)):
            return value if value == self.none else value.strip()
        raise UserError(invalid(name, self.describe(), value))


def check(name: str, value: Any, *constraints: Any, allow_none: bool = False) -> Any:
    """Validate `value` against any of `constraints` (first that accepts wins)."""
    if value is None:
        if allow_none:
            return None
        expected = " or ".join(c.describe() for c in constraints)
        raise UserError(invalid(name, expected, value))
    errors: list[Exception] = []
    for constraint in constraints:
        try:
            return constraint.check(name, value)
        except (TypeError, ValueError) as exc:
            errors.append(exc)
    if len(constraints) == 1:
        raise errors[0]
    expected = " or ".join(c.describe() for c in constraints)
    if allow_none:
        expected += " or None"
    raise UserError(invalid(name, expected, value))
