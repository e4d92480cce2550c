"""The Permissions view: the policy with Copy, the lint paste box, and the checks list."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from s3desk.core.jobs import new_job
from s3desk.core.policy import Access, from_job, generate
from s3desk.core.session import Connection
from s3desk.core.target import Target
from s3desk.gui.permissions_view import PermissionsView


def items(widget: Any) -> list[tuple[str, str]]:
    return [
        (widget.item(i).data(Qt.ItemDataRole.UserRole), widget.item(i).text())
        for i in range(widget.count())
    ]


@pytest.fixture
def view(qtbot: Any) -> PermissionsView:
    widget = PermissionsView()
    qtbot.addWidget(widget)
    return widget


def test_without_a_job_nothing_can_be_copied_or_checked(view: PermissionsView) -> None:
    assert view.policy_text.toPlainText() == ""
    assert not view.copy_button.isEnabled() and not view.checks_button.isEnabled()


def test_a_job_shows_its_policy_and_copy_puts_it_on_the_clipboard(
    view: PermissionsView, qtbot: Any
) -> None:
    job = new_job("www", "site", "/build", "web-bucket")
    view.set_job(job)

    assert view.policy_document() == generate(from_job(job))
    assert "www" in view.policy_note.text()
    with qtbot.waitSignal(view.policy_copied) as copied:
        qtbot.mouseClick(view.copy_button, Qt.MouseButton.LeftButton)
    assert json.loads(copied.args[0]) == generate(from_job(job))
    assert QGuiApplication.clipboard().text() == view.policy_text.toPlainText()


def test_pasted_policy_is_linted_against_the_job(view: PermissionsView, qtbot: Any) -> None:
    view.set_access(Access("images", "web-bucket", "assets/images/", reads=True, name="pics"))
    bad = {
        "Statement": [
            {"Sid": "All", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        ]
    }
    view.lint_input.setPlainText(json.dumps(bad))

    with qtbot.waitSignal(view.lint_finished) as finished:
        qtbot.mouseClick(view.lint_button, Qt.MouseButton.LeftButton)

    codes = [f.code for f in finished.args[0]]
    assert codes == ["wildcard-action", "resource-anything", "list-without-prefix"]
    listed = items(view.lint_list)
    assert len(listed) == 3 and all(severity == "warning" for severity, _ in listed)
    assert listed[0][1].startswith("'All' (statement 1): It grants wildcard actions")
    assert "\nFix: " in listed[0][1]


def test_the_generated_policy_pasted_back_is_clean(view: PermissionsView) -> None:
    view.set_job(new_job("www", "site", "/build", "web-bucket"))
    view.lint_input.setPlainText(view.policy_text.toPlainText())
    view.lint_pasted()
    assert view.findings == []
    assert items(view.lint_list)[0][0] == "ok"


def test_not_json_is_shown_as_an_error(view: PermissionsView) -> None:
    view.lint_input.setPlainText("{")
    view.lint_pasted()
    ((severity, text),) = items(view.lint_list)
    assert severity == "error" and "not valid JSON" in text


@pytest.fixture
def web_bucket() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="web-bucket")
        yield client


def test_checks_run_off_the_gui_thread_and_fill_the_list(
    view: PermissionsView, qtbot: Any, web_bucket: Any
) -> None:
    access = Access("site", "web-bucket", "site/", reads=True, name="www")
    view.set_access(access, Connection(region="us-east-1"), Target("web-bucket", "site/"))

    with qtbot.waitSignal(view.checks_finished, timeout=20_000) as finished:
        qtbot.mouseClick(view.checks_button, Qt.MouseButton.LeftButton)

    report = finished.args[0]
    assert report.ok
    listed = items(view.checks_list)
    assert [severity for severity, _ in listed] == [str(c.severity) for c in report.checks]
    versioning = next(text for _, text in listed if text.startswith("Versioning off"))
    assert "\nWhat to do: Turn versioning on" in versioning
    assert view.checks_button.isEnabled()


def test_a_missing_bucket_is_listed_as_an_error(
    view: PermissionsView, qtbot: Any, web_bucket: Any
) -> None:
    view.set_access(
        Access("site", "gone-bucket", "site/"),
        Connection(region="us-east-1"),
        Target("gone-bucket", "site/"),
    )
    with qtbot.waitSignal(view.checks_finished, timeout=20_000):
        view.run_checks()
    assert items(view.checks_list)[-1] == (
        "error",
        "Bucket not found: There is no bucket gone-bucket at AWS.\nWhat to do: Check the bucket "
        "name, the endpoint and the account of the credentials.",
    )
