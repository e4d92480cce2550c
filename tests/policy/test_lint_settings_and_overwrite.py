"""Lint rules found missing by a new user: bucket-setting actions, and a backup that can
overwrite."""

from __future__ import annotations

from s3desk.core.policy import Access, generate, lint

BACKUP = Access(kind="backup", bucket="example-bucket", prefix="backups/*/")


def test_generated_backup_policy_is_clean() -> None:
    assert lint(generate([BACKUP]), BACKUP) == []


def test_backup_put_without_create_only_condition_is_reported() -> None:
    document = generate([BACKUP])
    for statement in document["Statement"]:
        if statement.get("Sid") == "CreateBackupObjectsOnly":
            statement.pop("Condition")
    findings = lint(document, BACKUP)
    assert [(f.code, "CreateBackupObjectsOnly" in f.statement) for f in findings] == [
        ("backup-can-overwrite", True)
    ]
    assert "s3:if-none-match" in findings[0].fix


def test_bucket_setting_actions_are_reported_for_any_job() -> None:
    site = Access(kind="site", bucket="example-bucket", prefix="site/", deletes=True)
    document = generate([site])
    document["Statement"].append(
        {
            "Sid": "TooMuch",
            "Effect": "Allow",
            "Action": ["s3:PutBucketPolicy", "s3:PutBucketAcl"],
            "Resource": "arn:aws:s3:::example-bucket",
        }
    )
    codes = [(f.code, f.statement) for f in lint(document, site)]
    assert codes == [("bucket-settings-not-needed", "'TooMuch' (statement 4)")]
