"""The `gui` and `demo` commands, and `s3desk` alone opening the window."""

from __future__ import annotations

from s3desk.cli import _default_command, build_parser
from s3desk.gui.app import run_window


def test_gui_and_demo_commands_are_registered() -> None:
    parser = build_parser()
    args = parser.parse_args(["demo", "--screenshot", "out.png"])
    assert args.screenshot == "out.png"
    assert args.func.__module__ == "s3desk.cli.gui"
    args = parser.parse_args(["gui", "--profile", "deploy"])
    assert args.profile == "deploy"
    help_text = parser.format_help()
    assert "demo" in help_text and "gui" in help_text


def test_no_command_opens_the_window() -> None:
    assert _default_command(build_parser()) is run_window
