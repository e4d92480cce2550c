"""The app's SVG icons as QIcons, loaded once."""

from __future__ import annotations

import functools
import logging

from PySide6.QtGui import QIcon

from s3desk.gui.resources import icon_path

logger = logging.getLogger(__name__)


@functools.cache
def icon(name: str) -> QIcon:
    """The icon `name` from resources/icons; an empty icon (logged) when the file is missing."""
    path = icon_path(name)
    if not path.is_file():
        logger.warning("icon missing: %s", path)
        return QIcon()
    return QIcon(str(path))
