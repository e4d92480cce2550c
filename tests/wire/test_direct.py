"""Plans without boto3 on plain-HTTP endpoints: the same identity, listing and plan as through
botocore, and botocore wherever it must resolve something itself."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from s3desk.core.direct import DirectEndpoint, resolve_region, static_credentials
from s3desk.core.errors import S3DeskError
from s3desk.core.identity import identify
from s3desk.core.listing import list_prefix
from s3desk.core.plan import Options
from s3desk.core.planner import make_plan
from s3desk.core.session import Connection, StaticKeys, make_client
from s3desk.core.target import Target, parse_s3_url
from tests.perf.test_fastlist import AWKWARD_KEYS, _put
from tests.servers import Server

pytestmark = pytest.mark.integration

TARGET = Target("bucket", "site/", endpoint_url="http://127.0.0.1:9000")


def keys_of(server: Server) -> Connection:
    return Connection(
        endpoint_url=server.endpoint_url,
        region="us-east-1",
        keys=StaticKeys(server.access_key, server.secret_key),
    )


# -- when the direct route is taken ------------------------------------------------------


def test_keys_typed_into_s3desk_are_used() -> None:
    keys = StaticKeys("AKIDTYPED", "typed-secret", "token")
    found = static_credentials(Connection(keys=keys))
    assert (found.access_key, found.secret_key, found.token) == ("AKIDTYPED", "typed-secret",
                                                                  "token")  # fmt: skip


def test_environment_keys_are_used_unless_a_profile_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "env-token")
    found = static_credentials(Connection())
    assert (found.access_key, found.token) == ("AKIDENV", "env-token")
    assert "env-secret" not in repr(found)
    # botocore drops its environment provider when a profile is named: so must this.
    assert static_credentials(Connection(profile="work")) is None


def test_no_keys_in_the_environment_means_botocore(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    assert static_credentials(Connection()) is None


@pytest.fixture
def aws_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """write(text): an AWS config file of that text, and no region or profile in the env."""
    for name in ("AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)

    def write(text: str) -> None:
        config = tmp_path / "config"
        config.write_text(text)
        monkeypatch.setenv("AWS_CONFIG_FILE", str(config))

    return write


def test_region_resolves_as_botocore_resolves_it(
    aws_config, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws_config("[default]\nregion = eu-west-3\n[profile work]\nregion = ap-south-1\n")

    assert resolve_region(Connection(region="us-west-2")) == "us-west-2"
    assert resolve_region(Connection()) == "eu-west-3"
    assert resolve_region(Connection(profile="work")) == "ap-south-1"
    assert resolve_region(Connection(profile="missing")) is None  # botocore says what is wrong
    monkeypatch.setenv("AWS_PROFILE", "work")
    assert resolve_region(Connection()) == "ap-south-1"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ca-central-1")  # the environment comes first
    assert resolve_region(Connection()) == "ca-central-1"
    assert resolve_region(Connection(profile="work")) == "ca-central-1"


def test_ambiguous_default_profile_is_left_to_botocore(aws_config) -> None:
    aws_config("[default]\nregion = eu-west-3\n[profile default]\nregion = eu-west-1\n")
    assert resolve_region(Connection()) is None


@pytest.mark.parametrize(
    ("endpoint", "env", "why"),
    [
        ("https://127.0.0.1:9000", {}, "TLS settings are botocore's"),
        ("http://127.0.0.1:9000", {"HTTP_PROXY": "http://127.0.0.1:3128"}, "a proxy"),
        ("http://127.0.0.1:9000", {"S3DESK_WIRE": "0"}, "switched off"),
        (None, {}, "AWS itself"),
    ],
)
def test_botocore_keeps_what_it_alone_resolves(
    monkeypatch: pytest.MonkeyPatch, endpoint: str | None, env: dict[str, str], why: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    keys = StaticKeys("AKIDTYPED", "typed-secret")
    connection = Connection(endpoint_url=endpoint, region="us-east-1", keys=keys)
    target = Target("bucket", "site/", endpoint_url=endpoint)
    assert DirectEndpoint.for_connection(connection, target) is None, why


def test_a_plan_never_loads_boto3_on_a_plain_http_endpoint(
    rclone_server: Server, tmp_path: Path
) -> None:
    """Measured as behaviour: the whole dry run, in a fresh interpreter, never imports boto3."""
    import subprocess

    rclone_server.make_bucket("nob3")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text("a")
    script = (
        "import sys\n"
        "from s3desk.core.planner import make_plan\n"
        "from s3desk.core.plan import Options\n"
        "from s3desk.core.session import Connection, StaticKeys\n"
        "from s3desk.core.target import parse_s3_url\n"
        f"t = parse_s3_url('s3://nob3/site/', endpoint_url={rclone_server.endpoint_url!r})\n"
        f"c = Connection(region='us-east-1', keys=StaticKeys({rclone_server.access_key!r}, "
        f"{rclone_server.secret_key!r}))\n"
        f"p = make_plan({str(tmp_path / 'src')!r}, t, Options(), c)\n"
        "print(p.summary.upload, 'boto3' in sys.modules, 'botocore.session' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=dict(os.environ), timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "False", "False"]


# -- what it answers, against the real servers ---------------------------------------------


@pytest.mark.parametrize("server_name", ["moto_server", "rclone_server"])
def test_identity_is_the_one_botocore_reports(
    request: pytest.FixtureRequest, server_name: str
) -> None:
    server: Server = request.getfixturevalue(server_name)
    connection = keys_of(server)
    target = Target("bucket", "", endpoint_url=server.endpoint_url)
    endpoint = DirectEndpoint.for_connection(connection, target)
    assert endpoint is not None
    mine, botocores = endpoint.identify(), identify(connection)
    assert mine == botocores
    if server.kind == "moto":
        assert mine.verified and mine.arn.startswith("arn:aws:sts::123456789012:")
    else:  # rclone serves no STS: the access key id stands for the principal
        assert not mine.verified and mine.arn == f"access key {server.access_key}"


def test_wrong_secret_is_refused_in_the_same_words(rclone_server: Server) -> None:
    connection = Connection(
        endpoint_url=rclone_server.endpoint_url,
        region="us-east-1",
        keys=StaticKeys(rclone_server.access_key, "not-the-secret"),
    )
    rclone_server.make_bucket("refused")
    target = parse_s3_url("s3://refused/site/", endpoint_url=rclone_server.endpoint_url)
    endpoint = DirectEndpoint.for_connection(connection, target)
    with pytest.raises(S3DeskError) as direct_error:
        list(endpoint.list(target))
    with pytest.raises(S3DeskError) as boto_error:
        list(list_prefix(make_client(connection), target))
    assert direct_error.value.title == boto_error.value.title
    assert direct_error.value.code == boto_error.value.code


def test_unreachable_endpoint_says_so() -> None:
    from tests.servers import free_port

    url = f"http://127.0.0.1:{free_port()}"
    connection = Connection(endpoint_url=url, region="us-east-1", keys=StaticKeys("AKID", "s"))
    endpoint = DirectEndpoint.for_connection(connection, Target("bucket", "", endpoint_url=url))
    with pytest.raises(S3DeskError) as caught:
        endpoint.identify()
    assert caught.value.code == "EndpointUnreachable"


@pytest.mark.parametrize("server_name", ["moto_server", "rclone_server"])
def test_listing_is_botocores_for_awkward_keys_over_many_pages(
    request: pytest.FixtureRequest, server_name: str
) -> None:
    server: Server = request.getfixturevalue(server_name)
    server.make_bucket("direct")
    keys = [*AWKWARD_KEYS, *(f"site/many/{i:05d}.txt" for i in range(1100))]
    _put(server, "direct", [*keys, "other/outside.txt"])
    connection = keys_of(server)
    target = parse_s3_url("s3://direct/site/", endpoint_url=server.endpoint_url)
    endpoint = DirectEndpoint.for_connection(connection, target)

    mine = list(endpoint.list(target))
    botocores = list(list_prefix(make_client(connection), target))

    assert sorted(mine, key=lambda o: o.key) == sorted(botocores, key=lambda o: o.key)
    assert len(mine) == len(keys)


@pytest.mark.parametrize("server_name", ["moto_server", "rclone_server"])
def test_plan_is_the_same_either_way(
    request: pytest.FixtureRequest, server_name: str, tmp_path: Path
) -> None:
    """The streamed, direct plan and the botocore plan agree action for action."""
    server: Server = request.getfixturevalue(server_name)
    server.make_bucket("same")
    source = tmp_path / "src"
    for i in range(1500):  # more than one page and one chunk
        path = source / f"d{i % 7}" / f"f{i:04d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"file {i}")
    client = server.client()
    for i in range(0, 1500, 3):  # a third unchanged, a third changed, a third new
        body = f"file {i}" if i % 2 else f"changed {i}"
        client.put_object(Bucket="same", Key=f"site/d{i % 7}/f{i:04d}.txt", Body=body.encode())
    for i in range(20):
        client.put_object(Bucket="same", Key=f"site/gone/{i}.txt", Body=b"x")
    target = parse_s3_url("s3://same/site/", endpoint_url=server.endpoint_url)
    options = Options(delete=True, max_delete=100)

    streamed = make_plan(source, target, options, keys_of(server))
    botocores = make_plan(source, target, options, keys_of(server), lister=list_prefix)

    def shape(plan):
        return [(a.op, a.key, a.reason, a.remote_etag) for a in plan.actions]

    assert shape(streamed) == shape(botocores)
    assert streamed.identity == botocores.identity
    counts = streamed.summary
    assert (counts.upload, counts.update, counts.delete, counts.skip) == (1000, 250, 20, 250)
