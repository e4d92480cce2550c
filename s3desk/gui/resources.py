"""Where the app's files (icons, the demo site) are, from a source checkout or an install.

No Qt here: the demo's server side uses this too.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from importlib import resources as importlib_resources
from pathlib import Path

from s3desk.core.errors import S3DeskError

logger = logging.getLogger(__name__)


def candidate_dirs() -> list[Path]:
    """Places the resources folder may be, most specific first.

    A PyInstaller bundle unpacks it next to the code (`sys._MEIPASS`); an installed wheel holds
    it as package data `s3desk/resources`; a source checkout has it at the top of the repo.
    """
    found: list[Path] = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        found.append(Path(bundle) / "resources")
    with contextlib.suppress(ModuleNotFoundError, TypeError):  # a zipped install has no path
        found.append(Path(str(importlib_resources.files("s3desk") / "resources")))
    found.append(Path(__file__).resolve().parents[2] / "resources")
    return found


def resources_dir() -> Path:
    """The first resources folder that holds the icons.

    Raises:
        S3DeskError: no candidate exists, which means a broken install.
    """
    for folder in candidate_dirs():
        if (folder / "icons").is_dir():
            return folder
    tried = ", ".join(str(p) for p in candidate_dirs())
    raise S3DeskError(
        "Files missing",
        f"s3desk cannot find its resources folder (looked in {tried}). Reinstall s3desk.",
        code="Resources",
    )


def icon_path(name: str) -> Path:
    """The SVG file of the icon `name` (e.g. `delete`)."""
    return resources_dir() / "icons" / f"{name}.svg"


def demo_dir() -> Path:
    """The demo's sample site and its description."""
    return resources_dir() / "demo"
