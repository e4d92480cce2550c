"""The job list and editor: defaults by kind, validation as the user types, masked keys."""

from __future__ import annotations

import json
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from s3desk.core import jobs, secrets
from s3desk.core.jobs import Credentials, CredentialSource, Kind, new_job
from s3desk.core.session import StaticKeys
from s3desk.gui.jobs_view import JobsView
from tests.jobs.conftest import Folders

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYJOBSGUI0001"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "build"
    folder.mkdir()
    return folder


def make_view(qtbot: QtBot) -> JobsView:
    view = JobsView()
    qtbot.addWidget(view)
    view.show()
    return view


def problem(view: JobsView, name: str) -> str:
    return view.editor.shown_problem(name)


def type_into(qtbot: QtBot, edit: QLineEdit, text: str) -> None:
    edit.clear()
    qtbot.keyClicks(edit, text)


def test_lists_saved_jobs_and_selecting_one_emits_it(qtbot: QtBot, source: Path) -> None:
    site = new_job("site-prod", "site", str(source), "example-site", production=True)
    backup = new_job("nightly", "backup", str(source), "example-backups")
    jobs.save_jobs([site, backup])
    view = make_view(qtbot)
    assert view.job_list.count() == 2
    assert "PRODUCTION" in view.job_list.item(0).text()

    with qtbot.waitSignal(view.job_selected) as signal:
        view.job_list.setCurrentRow(1)
    assert signal.args == [backup]
    assert view.editor.name_edit.text() == "nightly"
    assert view.editor.prefix_edit.text() == "backups/{date}/"
    assert not view.editor.delete_check.isEnabled()
    assert view.editor.save_button.isEnabled()


def test_the_last_selected_job_is_selected_at_the_next_start(
    qtbot: QtBot, source: Path, folders: Folders
) -> None:
    jobs.save_jobs([new_job(n, "site", str(source), "example-site") for n in ("a", "b", "c")])
    first = make_view(qtbot)
    first.select("b")
    before = jobs.jobs_path().read_bytes()
    second = make_view(qtbot)
    assert second.editor.name_edit.text() == "b"
    assert jobs.jobs_path().read_bytes() == before  # the selection is machine state
    assert jobs.state_path().is_relative_to(folders.state)


@pytest.mark.parametrize("kind", list(Kind))
def test_new_job_from_kind_fills_that_kinds_defaults(qtbot: QtBot, kind: Kind) -> None:
    view = make_view(qtbot)
    view.new_actions[kind].trigger()
    editor = view.editor
    rules = jobs.KINDS[kind]
    assert editor.kind() is kind
    assert editor.prefix_edit.text() == rules.prefix
    assert editor.cache_edit.text() == (rules.cache_control or "")
    assert (editor.storage_combo.currentData() or None) == rules.storage_class
    assert editor.delete_check.isChecked() is rules.delete
    assert editor.delete_check.isEnabled() is rules.delete_allowed
    assert editor.filters_edit.toPlainText().splitlines() == [
        f"exclude {p}" for p in rules.excludes
    ]
    assert editor.name_edit.text() == kind.value
    assert not editor.save_button.isEnabled()  # no bucket, no folder yet


def test_changing_the_kind_carries_the_defaults_the_user_kept(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.new_job_from_kind(Kind.SITE)
    editor = view.editor
    editor.kind_combo.setCurrentIndex(editor.kind_combo.findData("backup"))
    assert editor.prefix_edit.text() == "backups/{date}/"
    assert editor.storage_combo.currentData() == "STANDARD_IA"
    assert not editor.delete_check.isChecked() and not editor.delete_check.isEnabled()
    type_into(qtbot, editor.prefix_edit, "mine/")
    editor.kind_combo.setCurrentIndex(editor.kind_combo.findData("images"))
    assert editor.prefix_edit.text() == "mine/"
    assert editor.cache_edit.text() == "public,max-age=31536000,immutable"


def test_validation_as_the_user_types(qtbot: QtBot, source: Path) -> None:
    view = make_view(qtbot)
    editor = view.editor
    type_into(qtbot, editor.source_edit, str(source / "missing"))
    assert problem(view, "source") == "the folder does not exist"
    type_into(qtbot, editor.source_edit, str(source))
    assert problem(view, "source") == ""

    type_into(qtbot, editor.bucket_edit, "My_Bucket")
    assert "lowercase" in problem(view, "bucket")
    assert not editor.save_button.isEnabled()
    type_into(qtbot, editor.bucket_edit, "192.168.1.1")
    assert "IP address" in problem(view, "bucket")
    type_into(qtbot, editor.bucket_edit, "example-site")
    assert problem(view, "bucket") == ""

    type_into(qtbot, editor.prefix_edit, "site/../etc/")
    assert "'..'" in problem(view, "prefix")
    type_into(qtbot, editor.prefix_edit, "site/")

    type_into(qtbot, editor.endpoint_edit, "localhost:9000")
    assert "https://host:port" in problem(view, "endpoint")
    type_into(qtbot, editor.endpoint_edit, "http://127.0.0.1:9000")

    editor.header_rules_edit.setPlainText("*.html=no-cache\n*.css")
    assert problem(view, "header_rules").startswith("line 2:")
    editor.header_rules_edit.setPlainText("*.html=no-cache")
    editor.filters_edit.setPlainText("skip *.tmp")
    assert "line 1" in problem(view, "filters")
    editor.filters_edit.setPlainText("exclude *.tmp\ninclude keep.tmp")

    assert editor.save_button.isEnabled()
    type_into(qtbot, editor.name_edit, "bad name")
    assert problem(view, "name")
    assert not editor.save_button.isEnabled()
    type_into(qtbot, editor.name_edit, "site-prod")
    assert editor.save_button.isEnabled()


def test_save_writes_the_job_and_selects_it(qtbot: QtBot, source: Path) -> None:
    view = make_view(qtbot)
    editor = view.editor
    view.new_job_from_kind(Kind.IMAGES)
    type_into(qtbot, editor.name_edit, "photos")
    type_into(qtbot, editor.source_edit, str(source))
    type_into(qtbot, editor.bucket_edit, "example-media")
    editor.credentials_combo.setCurrentIndex(editor.credentials_combo.findData("profile"))
    assert problem(view, "profile")
    editor.profile_combo.setCurrentText("media")
    editor.header_rules_edit.setPlainText("*.svg=;image/svg+xml")
    editor.production_check.setChecked(True)
    with qtbot.waitSignals([view.job_saved, view.job_selected]):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    saved = jobs.load_job("photos")
    assert saved.credentials == Credentials.from_profile("media")
    assert saved.production and saved.target.prefix == "assets/images/"
    assert saved.header_rules == (jobs.HeaderRule("*.svg", None, "image/svg+xml"),)
    assert view.job_list.currentItem().data(Qt.ItemDataRole.UserRole) == "photos"

    view.new_job_from_kind(Kind.IMAGES)
    type_into(qtbot, editor.name_edit, "photos")
    assert problem(view, "name") == "a job with this name exists"


def test_secret_fields_are_masked(qtbot: QtBot) -> None:
    editor = make_view(qtbot).editor
    assert editor.secret_edit.echoMode() is QLineEdit.EchoMode.Password
    assert editor.token_edit.echoMode() is QLineEdit.EchoMode.Password
    editor.secret_edit.setText(SECRET)
    assert SECRET not in editor.secret_edit.displayText()


def test_typed_keys_go_to_the_keyring_only(qtbot: QtBot, source: Path, folders: Folders) -> None:
    view = make_view(qtbot)
    editor = view.editor
    type_into(qtbot, editor.name_edit, "photos")
    type_into(qtbot, editor.source_edit, str(source))
    type_into(qtbot, editor.bucket_edit, "example-media")
    editor.credentials_combo.setCurrentIndex(editor.credentials_combo.findData("keyring"))
    assert "access key id" in problem(view, "keys")
    type_into(qtbot, editor.access_key_edit, "AKIAJOBSGUI000000001")
    type_into(qtbot, editor.secret_edit, SECRET + " x")
    assert "spaces" in problem(view, "keys")
    type_into(qtbot, editor.secret_edit, SECRET)
    assert view.save_current() is not None

    raw = keyring.get_password("s3desk", "job:photos")
    assert json.loads(raw)["secret_access_key"] == SECRET
    assert editor.secret_edit.text() == "" and editor.access_key_edit.text() == ""
    assert jobs.load_job("photos").credentials.entry == "job:photos"
    for path in folders.all_files():
        assert SECRET.encode() not in path.read_bytes(), path

    # Editing the saved job without retyping keeps the keys.
    view.select("photos")
    assert editor.save_button.isEnabled()
    editor.production_check.setChecked(True)
    assert view.save_current() is not None
    assert secrets.load_keys("job:photos").secret_access_key == SECRET

    # Renaming moves the keys to the new entry.
    type_into(qtbot, editor.name_edit, "pictures")
    assert view.save_current() is not None
    assert keyring.get_password("s3desk", "job:photos") is None
    assert secrets.load_keys("job:pictures").secret_access_key == SECRET
    assert list(jobs.load_jobs()) == ["pictures"]

    # Switching to a profile removes the keys.
    editor.credentials_combo.setCurrentIndex(editor.credentials_combo.findData("profile"))
    editor.profile_combo.setCurrentText("media")
    assert view.save_current() is not None
    assert keyring.get_password("s3desk", "job:pictures") is None


def test_without_a_secure_keyring_only_profiles_are_offered(qtbot: QtBot) -> None:
    keyring.set_keyring(fail.Keyring())
    view = make_view(qtbot)
    editor = view.editor
    assert "No secure system keyring" in editor.keyring_note.text()
    assert editor.keyring_note.isVisibleTo(editor)
    index = editor.credentials_combo.findData(CredentialSource.KEYRING.value)
    item = editor.credentials_combo.model().item(index)
    assert not item.isEnabled()
    editor.credentials_combo.setCurrentIndex(index)  # even if forced, keys cannot be typed
    assert not editor.secret_edit.isEnabled()
    assert "No secure system keyring" in problem(view, "credentials")


def test_remove_deletes_the_job_and_its_keys(qtbot: QtBot, source: Path) -> None:
    secrets.store_keys("job:photos", StaticKeys("AKIAJOBSGUI000000001", SECRET))
    job = new_job(
        "photos", "images", str(source), "example-media",
        credentials=Credentials.from_keyring("job:photos"),
    )  # fmt: skip
    jobs.save_jobs([job])
    view = make_view(qtbot)
    with qtbot.waitSignal(view.job_removed) as signal:
        view.remove("photos")
    assert signal.args == ["photos"]
    assert jobs.load_jobs() == {}
    assert keyring.get_password("s3desk", "job:photos") is None
    assert view.job_list.count() == 0


def test_a_broken_jobs_file_is_shown_not_raised(qtbot: QtBot) -> None:
    path = jobs.jobs_path()
    path.parent.mkdir(parents=True)
    path.write_text("schema_version = 9\n")
    view = make_view(qtbot)
    assert "schema version 9" in view.status_label.text()
    assert view.job_list.count() == 0
