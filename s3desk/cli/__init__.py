"""The command line: the same core as the window, for terminals, scripts and CI.

Exit codes: 0 ok; 1 error; 2 usage; 3 blocked by a guard; 4 apply finished with conflicts,
failures or files changed since review.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from typing import Any

from s3desk.core.errors import S3DeskError, UsageError, explain

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_BLOCKED, EXIT_INCOMPLETE = 0, 1, 2, 3, 4

# Each module defines `register(subparsers, common)`; a command's handler is stored as
# `func` on its parser and returns an exit code.
COMMAND_MODULES = (
    "s3desk.cli.sync",
    "s3desk.cli.share",
    "s3desk.cli.jobs",
    "s3desk.cli.policy",
    "s3desk.cli.gui",
)


def _common_options(*, in_command: bool) -> argparse.ArgumentParser:
    """The global options. In a command's own parser they default to SUPPRESS, so that
    `s3desk --endpoint-url URL plan ...` keeps the value given before the command."""
    default = argparse.SUPPRESS if in_command else None
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--profile", default=default, help="AWS profile from your AWS config")
    common.add_argument("--region", default=default, help="AWS region of the bucket")
    common.add_argument("--endpoint-url", default=default, help="URL of an S3-compatible server")
    common.add_argument(
        "-v", "--verbose", action="store_true", default=default, help="log details to stderr"
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="s3desk",
        description="Put files into S3 without fear: dry run, review, confirm, apply.",
        parents=[_common_options(in_command=False)],
    )
    parser.add_argument("--version", action=_Version)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = _common_options(in_command=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers, common)
    return parser


class _Version(argparse.Action):
    """--version, read from the installed package only when asked (it costs an import)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        print(f"s3desk {_version()}")
        parser.exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("s3desk")
    except PackageNotFoundError:
        return "(not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code; errors are printed, never raised."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from s3desk.core.logs import setup_logging

    setup_logging(verbose=getattr(args, "verbose", False))
    func = getattr(args, "func", None)
    if func is None:
        func = _default_command(parser)
    try:
        return func(args)
    except UsageError as exc:
        print(f"s3desk: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except S3DeskError as exc:
        print(f"s3desk: {exc}", file=sys.stderr)
        logger.error("%s", exc, extra={"console": False})
        return EXIT_BLOCKED if exc.code == "Blocked" else EXIT_ERROR
    except KeyboardInterrupt:
        print("s3desk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`s3desk policy ... | head`): stop quietly, as other tools do.
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:
        logger.exception("unexpected error", extra={"console": False})
        print(f"s3desk: {explain(exc)}", file=sys.stderr)
        return EXIT_ERROR


def _default_command(parser: argparse.ArgumentParser):  # type: ignore[no-untyped-def]
    """With no command, open the window when the GUI is installed, else print help."""
    try:
        gui = importlib.import_module("s3desk.gui.app")
    except ImportError:
        return lambda args: (parser.print_help(), EXIT_USAGE)[1]
    return gui.run_window
