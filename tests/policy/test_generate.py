"""The generated policy for each kind, statement by statement."""

from __future__ import annotations

import re

import pytest

from s3desk.core.errors import UsageError
from s3desk.core.jobs import HeaderRule, new_job
from s3desk.core.policy import Access, from_job, generate, granting, lint

B = "arn:aws:s3:::my-bucket"


def by_sid(policy: dict) -> dict[str, dict]:
    return {s["Sid"]: s for s in policy["Statement"]}


def test_site_job_with_deletes() -> None:
    access = from_job(new_job("www", "site", "/build", "my-bucket"))
    assert (access.kind, access.prefix, access.deletes, access.reads) == (
        "site",
        "site/",
        True,
        True,
    )

    statements = by_sid(generate(access))

    assert list(statements) == [
        "ListJobPrefixesMyBucket",
        "ReadJobObjects",
        "WriteJobObjects",
        "DeleteJobObjects",
    ]
    assert statements["ListJobPrefixesMyBucket"] == {
        "Sid": "ListJobPrefixesMyBucket",
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": B,
        "Condition": {"StringLike": {"s3:prefix": ["site/", "site/*"]}},
    }
    assert statements["ReadJobObjects"]["Action"] == "s3:GetObject"
    assert statements["ReadJobObjects"]["Resource"] == f"{B}/site/*"
    assert statements["WriteJobObjects"]["Action"] == ["s3:PutObject", "s3:AbortMultipartUpload"]
    assert statements["WriteJobObjects"]["Resource"] == f"{B}/site/*"
    assert statements["DeleteJobObjects"] == {
        "Sid": "DeleteJobObjects",
        "Effect": "Allow",
        "Action": "s3:DeleteObject",
        "Resource": f"{B}/site/*",
    }


def test_site_job_without_deletes_has_no_delete_statement() -> None:
    access = from_job(new_job("www", "site", "/build", "my-bucket", delete=False))
    assert "DeleteJobObjects" not in by_sid(generate(access))


def test_images_job_never_deletes_by_default() -> None:
    access = from_job(new_job("pics", "images", "/img", "my-bucket"))
    statements = by_sid(generate(access))

    assert list(statements) == ["ListJobPrefixesMyBucket", "ReadJobObjects", "WriteJobObjects"]
    assert statements["ListJobPrefixesMyBucket"]["Condition"] == {
        "StringLike": {"s3:prefix": ["assets/images/", "assets/images/*"]}
    }
    assert statements["WriteJobObjects"]["Resource"] == f"{B}/assets/images/*"


def test_backup_job_is_create_only_and_never_deletes() -> None:
    access = from_job(new_job("vault", "backup", "/docs", "my-bucket"))
    assert access.prefix == "backups/{date}/" and access.create_only and not access.deletes

    statements = by_sid(generate(access))

    assert list(statements) == [
        "ListJobPrefixesMyBucket",
        "ReadJobObjects",
        "CreateBackupObjectsOnly",
        "UploadBackupParts",
        "AbortFailedBackupUploads",
    ]
    # Any day's folder, nothing beside it.
    assert statements["ListJobPrefixesMyBucket"]["Condition"] == {
        "StringLike": {"s3:prefix": ["backups/*/", "backups/*/*"]}
    }
    objects = f"{B}/backups/*/*"
    # PutObject and CompleteMultipartUpload only with If-None-Match: no overwrite path ...
    assert statements["CreateBackupObjectsOnly"] == {
        "Sid": "CreateBackupObjectsOnly",
        "Effect": "Allow",
        "Action": "s3:PutObject",
        "Resource": objects,
        "Condition": {"Null": {"s3:if-none-match": "false"}},
    }
    # ... and the multipart steps that take no conditional header.
    assert statements["UploadBackupParts"]["Condition"] == {
        "Bool": {"s3:ObjectCreationOperation": "false"}
    }
    assert statements["AbortFailedBackupUploads"]["Action"] == "s3:AbortMultipartUpload"
    actions = {a for s in statements.values() for a in _actions(s)}
    assert not any("Delete" in a for a in actions)


def test_backup_cannot_be_given_deletes() -> None:
    with pytest.raises(UsageError, match="never deletes"):
        Access("backup", "my-bucket", "backups/", deletes=True)


def test_share_job_lists_and_reads_only() -> None:
    access = from_job(new_job("reports", "share", "/reports", "my-bucket"))
    statements = by_sid(generate(access))

    assert list(statements) == ["ListJobPrefixesMyBucket", "ReadJobObjects"]
    assert statements["ReadJobObjects"]["Resource"] == f"{B}/assets/private-reports/*"


def test_header_rules_and_custom_endpoint_need_reads_but_can_be_left_out() -> None:
    job = new_job(
        "www",
        "site",
        "/build",
        "my-bucket",
        header_rules=[HeaderRule("*.html", cache_control="no-cache")],
    )
    assert "ReadJobObjects" in by_sid(generate(from_job(job)))
    assert "ReadJobObjects" not in by_sid(generate(from_job(job, reads=False)))


def test_no_action_has_a_wildcard_and_every_sid_is_readable() -> None:
    for kind in ("site", "images", "backup", "share"):
        policy = generate(Access(kind, "my-bucket", f"{kind}/", reads=True))
        for statement in policy["Statement"]:
            assert not any("*" in a for a in _actions(statement))
            assert re.fullmatch(r"[A-Z][A-Za-z0-9]{5,}", statement["Sid"])
            assert statement["Resource"] != "*"


def test_prefix_condition_on_the_document() -> None:
    """moto ignores StringLike, so the s3:prefix limit is checked on the document itself."""
    policy = generate(Access("site", "my-bucket", "site/"))

    def lists(prefix: str) -> bool:
        return bool(granting(policy, "s3:ListBucket", B, {"s3:prefix": prefix}))

    assert lists("site/") and lists("site/docs/")
    assert not lists("other/") and not lists("") and not lists("sites/")
    assert not granting(policy, "s3:PutObject", f"{B}/other/x.html")
    assert not granting(policy, "s3:PutObject", "arn:aws:s3:::other-bucket/site/x.html")
    assert granting(policy, "s3:PutObject", f"{B}/site/x.html")


def test_several_jobs_give_one_statement_per_purpose() -> None:
    site = from_job(new_job("www", "site", "/build", "my-bucket"))
    images = from_job(new_job("pics", "images", "/img", "my-bucket"))
    backup = from_job(new_job("vault", "backup", "/docs", "vault-bucket"))

    statements = by_sid(generate([site, images, backup]))

    assert list(statements) == [
        "ListJobPrefixesMyBucket",
        "ReadJobObjects",
        "WriteJobObjects",
        "DeleteJobObjects",
        "ListJobPrefixesVaultBucket",
        "CreateBackupObjectsOnly",
        "UploadBackupParts",
        "AbortFailedBackupUploads",
    ]
    assert statements["ListJobPrefixesMyBucket"]["Condition"]["StringLike"]["s3:prefix"] == [
        "site/",
        "site/*",
        "assets/images/",
        "assets/images/*",
    ]
    assert statements["ReadJobObjects"]["Resource"] == [
        f"{B}/site/*",
        f"{B}/assets/images/*",
        "arn:aws:s3:::vault-bucket/backups/*/*",
    ]
    assert statements["WriteJobObjects"]["Resource"] == [f"{B}/site/*", f"{B}/assets/images/*"]
    # Only the site job deletes.
    assert statements["DeleteJobObjects"]["Resource"] == f"{B}/site/*"


def test_root_prefix_lists_the_whole_bucket() -> None:
    statements = by_sid(generate(Access("site", "my-bucket", "")))
    assert "Condition" not in statements["ListJobPrefixesMyBucket"]
    assert statements["WriteJobObjects"]["Resource"] == f"{B}/*"


@pytest.mark.parametrize("kind", ["site", "images", "backup", "share"])
def test_generated_policies_lint_clean(kind: str) -> None:
    access = from_job(new_job("job1", kind, "/src", "my-bucket"))
    policy = generate(access)
    assert lint(policy) == []
    assert lint(policy, access) == []


def _actions(statement: dict) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def test_without_large_uploads_there_is_no_abort() -> None:
    access = Access("images", "my-bucket", "img/", large_uploads=False)
    assert by_sid(generate(access))["WriteJobObjects"]["Action"] == "s3:PutObject"
    assert lint(generate(access), access) == []
    # Without the job the lint cannot know, and asks for the abort.
    assert [f.code for f in lint(generate(access))] == ["missing-abort-multipart"]


def test_buckets_whose_names_give_the_same_sid_keep_apart() -> None:
    policy = generate([Access("site", "my-bucket", "a/"), Access("site", "my.bucket", "b/")])
    lists = [s for s in policy["Statement"] if s["Action"] == "s3:ListBucket"]
    assert [
        (s["Sid"], s["Resource"], s["Condition"]["StringLike"]["s3:prefix"]) for s in lists
    ] == [
        ("ListJobPrefixesMyBucket", "arn:aws:s3:::my-bucket", ["a/", "a/*"]),
        ("ListJobPrefixesMyBucket2", "arn:aws:s3:::my.bucket", ["b/", "b/*"]),
    ]
