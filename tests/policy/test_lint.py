"""The lint on bad policies (every pitfall) and on good ones."""

from __future__ import annotations

import json

import pytest

from s3desk.core.errors import UsageError
from s3desk.core.policy import Access, Finding, lint, load_policy

B = "arn:aws:s3:::my-bucket"
SITE = Access("site", "my-bucket", "site/", deletes=True, reads=True, name="www")
IMAGES = Access("images", "my-bucket", "assets/images/", reads=True, name="pics")


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(sid: str, action, resource, **extra) -> dict:
    return {"Sid": sid, "Effect": "Allow", "Action": action, "Resource": resource, **extra}


LIST_SITE = allow(
    "List", "s3:ListBucket", B, Condition={"StringLike": {"s3:prefix": ["site/", "site/*"]}}
)
WRITE_SITE = allow("Write", ["s3:PutObject", "s3:AbortMultipartUpload"], f"{B}/site/*")


def codes(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.statement, f.code) for f in findings]


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (allow("All", "s3:*", "*"), ["wildcard-action", "resource-anything"]),
        (allow("All", "*", f"{B}/*"), ["wildcard-action"]),
        (allow("Puts", ["s3:Put*", "s3:AbortMultipartUpload"], f"{B}/*"), ["wildcard-action"]),
        (allow("Reads", "s3:Get?bject", f"{B}/*"), ["wildcard-action"]),
        (allow("Everywhere", "s3:GetObject", "arn:aws:s3:::*"), ["resource-anything"]),
        (
            {"Sid": "Not", "Effect": "Allow", "NotAction": "iam:*", "Resource": f"{B}/*"},
            ["not-action"],
        ),
        (allow("F13", "s3:ListBucket", f"{B}/*"), ["list-on-object-arn"]),
        (
            allow("OnBucket", ["s3:GetObject", "s3:DeleteObject"], B),
            ["object-action-on-bucket-arn"],
        ),
        (allow("NoAbort", "s3:PutObject", f"{B}/site/*"), ["missing-abort-multipart"]),
        (
            {
                "Sid": "Public",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"{B}/*",
            },
            ["principal-anyone"],
        ),
        (
            {
                "Sid": "Public",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "s3:GetObject",
                "Resource": f"{B}/*",
            },
            ["principal-anyone"],
        ),
    ],
)
def test_each_pitfall_is_found_without_a_job(statement: dict, expected: list[str]) -> None:
    findings = lint(doc(statement))

    assert [f.code for f in findings] == expected
    for finding in findings:
        assert finding.statement == f"'{statement['Sid']}' (statement 1)"
        assert finding.problem and finding.fix
        assert finding.statement in str(finding) and "Fix:" in str(finding)


def test_f13_fix_names_the_bucket_arn() -> None:
    (finding,) = lint(doc(allow("F13", ["s3:ListBucket"], f"{B}/*")))
    assert "bucket ARN (arn:aws:s3:::my-bucket) with an s3:prefix condition" in finding.fix


def test_missing_abort_names_the_resource() -> None:
    (finding,) = lint(doc(allow("NoAbort", "s3:PutObject", f"{B}/site/*")))
    assert f"Add s3:AbortMultipartUpload on {B}/site/*." == finding.fix


def test_abort_in_another_statement_or_wider_resource_is_enough() -> None:
    assert lint(doc(allow("P", "s3:PutObject", f"{B}/site/*"), allow("A", ABORT, f"{B}/*"))) == []


ABORT = "s3:AbortMultipartUpload"


def test_principal_anyone_with_a_condition_is_not_a_finding() -> None:
    statement = {
        "Sid": "Vpc",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"{B}/*",
        "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
    }
    assert lint(doc(statement)) == []


def test_deny_statements_may_use_wildcards() -> None:
    deny = {
        "Sid": "NoTls",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [B, f"{B}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert lint(doc(LIST_SITE, WRITE_SITE, deny)) == []


def test_delete_where_the_job_never_deletes() -> None:
    policy = doc(
        LIST_SITE | {"Condition": {"StringLike": {"s3:prefix": ["assets/images/*"]}}},
        allow("Read", "s3:GetObject", f"{B}/assets/images/*"),
        allow("Write", ["s3:PutObject", ABORT, "s3:DeleteObject"], f"{B}/assets/images/*"),
    )
    assert codes(lint(policy, IMAGES)) == [("'Write' (statement 3)", "delete-not-needed")]
    assert lint(policy) == []  # without the job, a delete is not wrong in itself


def test_with_a_job_wider_than_the_prefix_and_unlimited_listing() -> None:
    policy = doc(
        allow("List", "s3:ListBucket", B),
        allow("Rw", ["s3:GetObject", "s3:PutObject", ABORT, "s3:DeleteObject"], f"{B}/*"),
    )
    findings = lint(policy, SITE)
    assert codes(findings) == [
        ("'Rw' (statement 2)", "outside-prefix"),
        ("'List' (statement 1)", "list-without-prefix"),
    ]
    assert '"s3:prefix": ["site/", "site/*"]' in findings[1].fix


def test_with_a_job_what_is_missing() -> None:
    policy = doc(allow("Write", ["s3:PutObject", ABORT], f"{B}/site/*"))
    missing = [f for f in lint(policy, SITE) if f.code == "missing-permission"]
    assert [f.problem.split(" on ")[0] for f in missing] == [
        "Nothing grants s3:ListBucket",
        "Nothing grants s3:GetObject",
        "Nothing grants s3:DeleteObject",
    ]


def test_listing_for_another_prefix_is_missing_for_the_job() -> None:
    other = LIST_SITE | {"Condition": {"StringLike": {"s3:prefix": ["other/*"]}}}
    policy = doc(other, allow("Rw", ["s3:GetObject", "s3:PutObject", ABORT, "s3:DeleteObject"],
                              f"{B}/site/*"))  # fmt: skip
    assert codes(lint(policy, SITE)) == [("(policy)", "missing-permission")]


def test_a_statement_object_instead_of_a_list_is_read() -> None:
    assert [f.code for f in lint({"Statement": allow("All", "s3:*", f"{B}/*")})] == [
        "wildcard-action"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"Version": "2012-10-17"}', "no Statement"),
        ('{"Statement": "nope"}', "list of objects"),
    ],
)
def test_not_a_policy(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        load_policy(text)


def test_cli_output_of_get_policy_version_is_accepted() -> None:
    wrapped = {"PolicyVersion": {"Document": doc(allow("All", "s3:*", "*")), "VersionId": "v1"}}
    policy = load_policy(json.dumps(wrapped))
    assert [f.code for f in lint(policy)] == ["wildcard-action", "resource-anything"]
