"""`--exclude` / `--include` with aws-cli's meaning: rules in the order given, the last match
wins, each pattern matched against the path relative to the source (or to the prefix)."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence

EXCLUDE, INCLUDE = "exclude", "include"


class Filters:
    """An ordered list of exclude and include rules. Everything is included by default."""

    def __init__(self, rules: Sequence[tuple[str, str]] = ()) -> None:
        self.rules = tuple((kind, pattern) for kind, pattern in rules)
        for kind, _pattern in self.rules:
            if kind not in (EXCLUDE, INCLUDE):
                raise ValueError(f"unknown filter kind {kind!r}")
        self._compiled = [
            (kind == INCLUDE, re.compile(fnmatch.translate(pattern))) for kind, pattern in rules
        ]

    def __bool__(self) -> bool:
        return bool(self.rules)

    def included(self, relative_path: str) -> bool:
        """True when the last rule that matches `relative_path` is an include (or none does)."""
        result = True
        for include, pattern in self._compiled:
            if pattern.match(relative_path):
                result = include
        return result
