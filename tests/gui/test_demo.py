"""The demo: its server and data, its screenshot mode, and the real window under Xvfb."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage

from s3desk.core.planner import make_plan
from s3desk.demo import PSD_NAME, start_demo
from s3desk.gui.app import SCREENSHOT_SIZE
from s3desk.gui.plan_model import OP_LOOKS

REPO = Path(__file__).resolve().parents[2]


def test_demo_serves_the_previous_release_on_loopback(tmp_path: Path) -> None:
    demo = start_demo(tmp_path / "demo")
    try:
        assert demo.endpoint_url.startswith("http://127.0.0.1:")
        assert (demo.build_dir / PSD_NAME).is_file()
        plan = make_plan(demo.build_dir, demo.target, demo.options, demo.connection)
    finally:
        demo.stop()
    summary = plan.summary
    assert (summary.upload, summary.update, summary.delete) == (4, 5, 4)
    assert summary.skip > 15
    assert not plan.blocked
    assert plan.identity.account == "123456789012"
    assert not any(a.key.endswith(".psd") for a in plan.actions)
    deleted = sorted(a.key for a in plan.actions if a.op == "delete")
    assert deleted[0] == "site/blog/2023-12-holidays.html"


def test_sample_site_is_small_and_made_of_web_files() -> None:
    demo = REPO / "resources" / "demo"
    files = [p for p in demo.rglob("*") if p.is_file() and "private-reports" not in p.parts]
    assert 20 <= len(files) <= 60
    assert {p.suffix for p in files} <= {".html", ".css", ".js", ".svg", ".json", ".txt", ".xml"}
    reports = list((demo / "private-reports").iterdir())
    assert reports and all(p.read_bytes().startswith(b"%PDF-") for p in reports)


def _run_demo(png: Path, env: dict[str, str], *prefix: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "s3desk", "demo", "--screenshot", str(png)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _delete_pixels(image: QImage) -> int:
    """How many pixels have the delete rows' background (sampled every 4th pixel)."""
    red = QColor(OP_LOOKS["delete"].background).rgb()
    return sum(
        1
        for y in range(0, image.height(), 4)
        for x in range(0, image.width(), 4)
        if image.pixel(x, y) == red
    )


def test_screenshot_mode_writes_the_review_window(tmp_path: Path) -> None:
    png = tmp_path / "shots" / "review.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = _run_demo(png, env)
    assert result.returncode == 0, result.stderr
    image = QImage(str(png))
    assert (image.width(), image.height()) == SCREENSHOT_SIZE
    assert _delete_pixels(image) > 1000  # the highlighted delete rows are in the picture
    assert "Traceback" not in result.stderr


def test_screenshot_mode_refuses_to_draw_without_fonts(tmp_path: Path) -> None:
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
        f"<fontconfig><cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>"
    )
    png = tmp_path / "review.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", FONTCONFIG_FILE=str(config))
    result = _run_demo(png, env)
    assert result.returncode == 1
    assert "No fonts found" in result.stderr
    assert "fonts-dejavu-core" in result.stderr
    assert not png.exists()


@pytest.mark.xvfb
@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed")
def test_real_window_under_xvfb_opens_plans_and_closes(tmp_path: Path) -> None:
    png = tmp_path / "xcb.png"
    env = dict(os.environ, QT_QPA_PLATFORM="xcb")
    result = _run_demo(png, env, "xvfb-run", "-a", "-s", "-screen 0 1600x1000x24")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Qt platform xcb" in result.stdout
    image = QImage(str(png))
    assert (image.width(), image.height()) == SCREENSHOT_SIZE
    assert _delete_pixels(image) > 1000
