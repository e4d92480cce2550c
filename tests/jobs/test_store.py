"""The jobs file: a TOML file with a schema version in the config folder; state kept apart."""

from __future__ import annotations

import stat
import tomllib

import pytest

from s3desk.core import jobs
from s3desk.core.errors import UsageError
from s3desk.core.jobs import Credentials, HeaderRule, new_job
from tests.jobs.conftest import Folders


def sample_jobs() -> list[jobs.Job]:
    return [
        new_job(
            "site-prod",
            "site",
            "/home/ana/site/build",
            "example-site",
            region="eu-west-1",
            credentials=Credentials.from_profile("deploy-prod"),
            production=True,
            filters=[("exclude", "drafts/*"), ("include", "drafts/ok.html")],
            header_rules=[
                HeaderRule("*.html", cache_control="no-cache"),
                HeaderRule("*.json", content_type="application/json; charset=utf-8"),
            ],
        ),
        new_job(
            "photos",
            "images",
            '/Users/ana/Pictures/Café "été" \\ 2024',
            "example-media",
            endpoint_url="http://127.0.0.1:9000",
            credentials=Credentials.from_keyring("job:photos"),
        ),
        new_job("nightly", "backup", "C:\\Users\\ana\\Documents", "example-backups"),
        new_job("reports", "share", "/srv/reports", "example-reports", max_delete=3),
    ]


def test_round_trip_keeps_every_field_and_the_order(folders: Folders) -> None:
    saved = sample_jobs()
    path = jobs.save_jobs(saved)
    assert path == folders.config / "s3desk" / "jobs.toml"
    loaded = jobs.load_jobs()
    assert list(loaded) == [job.name for job in saved]
    assert list(loaded.values()) == saved


def test_file_has_schema_version_and_is_plain_toml(folders: Folders) -> None:
    jobs.save_jobs(sample_jobs())
    text = jobs.jobs_path().read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert data["schema_version"] == jobs.SCHEMA_VERSION
    assert data["jobs"]["site-prod"]["credentials"] == {
        "source": "profile",
        "profile": "deploy-prod",
    }
    assert data["jobs"]["nightly"]["prefix"] == "backups/{date}/"
    assert data["jobs"]["photos"]["source"] == '/Users/ana/Pictures/Café "été" \\ 2024'
    assert all(len(line) <= 100 for line in text.splitlines())


def test_file_is_private_to_the_user() -> None:
    path = jobs.save_jobs(sample_jobs())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_missing_file_means_no_jobs() -> None:
    assert jobs.load_jobs() == {}


def test_newer_schema_is_refused_with_a_plain_message() -> None:
    path = jobs.jobs_path()
    path.parent.mkdir(parents=True)
    path.write_text("schema_version = 2\n")
    with pytest.raises(UsageError, match="schema version 2"):
        jobs.load_jobs()


def test_invalid_toml_names_the_file() -> None:
    path = jobs.jobs_path()
    path.parent.mkdir(parents=True)
    path.write_text("schema_version = 1\n[jobs.x\n")
    with pytest.raises(UsageError, match="not valid TOML"):
        jobs.load_jobs()


def test_invalid_job_in_file_names_the_job() -> None:
    path = jobs.jobs_path()
    path.parent.mkdir(parents=True)
    path.write_text('schema_version = 1\n[jobs.broken]\nkind = "site"\nsource = "/d"\n')
    with pytest.raises(UsageError, match=r"'broken'.*incomplete"):
        jobs.load_jobs()


def test_add_refuses_a_duplicate_unless_replacing() -> None:
    first, second = sample_jobs()[:2]
    jobs.add_job(first)
    with pytest.raises(UsageError, match="already exists"):
        jobs.add_job(first)
    changed = new_job(first.name, "site", "/other", "example-site")
    jobs.add_job(changed, replace=True)
    jobs.add_job(second)
    assert jobs.load_job(first.name).source == "/other"
    assert list(jobs.load_jobs()) == [first.name, second.name]


def test_load_unknown_job_lists_the_saved_ones() -> None:
    jobs.save_jobs(sample_jobs())
    with pytest.raises(UsageError, match=r"No job called 'nope'.*site-prod, photos"):
        jobs.load_job("nope")


def test_remove_job() -> None:
    jobs.save_jobs(sample_jobs())
    removed = jobs.remove_job("photos")
    assert removed.name == "photos"
    assert "photos" not in jobs.load_jobs()
    with pytest.raises(UsageError):
        jobs.remove_job("photos")


def test_machine_state_is_kept_apart_from_settings(folders: Folders) -> None:
    jobs.save_jobs(sample_jobs())
    before = jobs.jobs_path().read_bytes()
    jobs.record_plan("site-prod", "/tmp/plan.json", "2024-05-01T10:00:00Z")
    jobs.remember_selected("site-prod")
    assert jobs.jobs_path().read_bytes() == before
    assert jobs.state_path().parent == folders.state / "s3desk"
    assert jobs.job_state("site-prod") == jobs.JobState("/tmp/plan.json", "2024-05-01T10:00:00Z")
    assert jobs.job_state("photos") == jobs.JobState()
    assert jobs.selected_job_name() == "site-prod"


def test_state_of_unknown_version_is_started_afresh() -> None:
    path = jobs.state_path()
    path.parent.mkdir(parents=True)
    path.write_text('{"schema_version": 99, "selected": "x"}')
    assert jobs.selected_job_name() is None


@pytest.mark.parametrize(
    "text",
    ["plain", 'quote " and \\ back', "tab\tnew\nline\r", "ctrl \x01 \x7f", "ünï ☃ 😀", ""],
)
def test_toml_writer_round_trips_strings(text: str) -> None:
    document = {"schema_version": 1, "t": {text or "empty": {"v": text, "a": [[text, text]]}}}
    assert tomllib.loads(jobs.dump_toml(document)) == document


def test_toml_writer_round_trips_long_arrays_and_inline_tables() -> None:
    rows = [{"glob": f"dir{n}/*.html", "cache_control": "no-cache"} for n in range(8)]
    document = {"x": {"rules": rows, "flags": [True, False], "n": 3}}
    text = jobs.dump_toml(document)
    assert tomllib.loads(text) == document
    assert all(len(line) <= 100 for line in text.splitlines())
