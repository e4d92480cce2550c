"""`s3desk gui` opens the window; `s3desk demo` opens it on a local demo server."""

from __future__ import annotations

import argparse
import logging

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    gui = subparsers.add_parser(
        "gui",
        parents=[common],
        help="open the review window",
        description="Open the window: choose what to sync, dry run, review, confirm, apply.",
    )
    gui.set_defaults(func=_gui)
    demo = subparsers.add_parser(
        "demo",
        parents=[common],
        help="try s3desk on a local demo server (no AWS account needed)",
        description=(
            "Start an S3 server inside s3desk on 127.0.0.1 with a demo bucket holding the "
            "previous release of a small site, and open the window on the new build. "
            "Nothing leaves this machine."
        ),
    )
    demo.add_argument(
        "--screenshot",
        metavar="FILE.png",
        help="make the dry run without a display, save a picture of the review window, exit",
    )
    demo.set_defaults(func=_demo)


def _gui(args: argparse.Namespace) -> int:
    from s3desk.gui.app import run_window

    return run_window(args)


def _demo(args: argparse.Namespace) -> int:
    from s3desk.gui.app import run_demo

    return run_demo(args)
