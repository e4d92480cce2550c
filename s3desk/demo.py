"""The demo: a real S3 server inside this process, with a site to publish.

It starts moto's S3 server on 127.0.0.1 (a free port), creates a demo bucket holding the
"previous release" of the sample site in `resources/demo/`, and lays out the "new build" in a
temporary folder: some pages changed, some new, some removed, and a Photoshop file that the
job excludes. Nothing leaves this machine. No Qt here: the window and tests both use it.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from s3desk.core.errors import S3DeskError
from s3desk.core.plan import Options
from s3desk.core.session import Connection, StaticKeys
from s3desk.core.target import Target
from s3desk.gui.resources import demo_dir

logger = logging.getLogger(__name__)

# moto accepts any keys; these are not secrets.
DEMO_KEYS = StaticKeys(access_key_id="DEMOACCESSKEY", secret_access_key="demo-secret-not-real")
DEMO_REGION = "us-east-1"
PSD_NAME = "design/hero-banner.psd"


@dataclass
class DemoDescription:
    """What resources/demo/demo.json says about the job."""

    bucket: str
    prefix: str
    new_in_build: tuple[str, ...]
    excludes: tuple[str, ...]
    cache_control: str
    share_prefix: str = "assets/private-reports/"

    @classmethod
    def load(cls, folder: Path) -> DemoDescription:
        data = json.loads((folder / "demo.json").read_text(encoding="utf-8"))
        return cls(
            bucket=data["bucket"],
            prefix=data["prefix"],
            new_in_build=tuple(data["new_in_build"]),
            excludes=tuple(data["excludes"]),
            cache_control=data["cache_control"],
            share_prefix=data.get("share_prefix", "assets/private-reports/"),
        )


@dataclass
class Demo:
    """A running demo: the server, the bucket and the new build folder."""

    endpoint_url: str
    description: DemoDescription
    build_dir: Path
    workdir: Path
    server: Any = field(repr=False)
    keys: StaticKeys = DEMO_KEYS
    owns_workdir: bool = True

    @property
    def connection(self) -> Connection:
        return Connection(region=DEMO_REGION, endpoint_url=self.endpoint_url, keys=self.keys)

    @property
    def target(self) -> Target:
        return Target(
            bucket=self.description.bucket,
            prefix=self.description.prefix,
            region=DEMO_REGION,
            endpoint_url=self.endpoint_url,
        )

    @property
    def share_target(self) -> Target:
        """The private prefix whose files the demo's Share links tab offers."""
        return Target(
            bucket=self.description.bucket,
            prefix=self.description.share_prefix,
            region=DEMO_REGION,
            endpoint_url=self.endpoint_url,
        )

    @property
    def options(self) -> Options:
        return Options(
            delete=True,
            filters=tuple(("exclude", p) for p in self.description.excludes),
            cache_control=self.description.cache_control,
        )

    def stop(self) -> None:
        """Stop the server and remove the temporary folder."""
        try:
            self.server.stop()
        finally:
            if self.owns_workdir:
                shutil.rmtree(self.workdir, ignore_errors=True)
        logger.info("demo stopped")


def start_demo(workdir: Path | None = None) -> Demo:
    """Start the server, fill the bucket with the previous release and lay out the new build.

    Raises:
        S3DeskError: the sample site is missing or the server cannot start.
    """
    from moto.server import ThreadedMotoServer

    # The server logs every request at INFO; keep the terminal for what matters.
    for name in ("werkzeug", "moto"):
        if logging.getLogger(name).level == logging.NOTSET:
            logging.getLogger(name).setLevel(logging.WARNING)

    folder = demo_dir()
    if not (folder / "demo.json").is_file():
        raise S3DeskError(
            "Demo files missing",
            f"The demo site is not in {folder}. Reinstall s3desk.",
            code="Resources",
        )
    description = DemoDescription.load(folder)
    owns = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="s3desk-demo-")) if workdir is None else workdir
    # Port 0: the system picks a free port, read back below.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    try:
        server.start()
    except OSError as exc:
        raise S3DeskError(
            "Demo server did not start", f"The local S3 server could not start: {exc}."
        ) from exc
    host, port = server.get_host_and_port()
    demo = Demo(
        endpoint_url=f"http://{host}:{port}",
        description=description,
        build_dir=workdir / "new-build",
        workdir=workdir,
        server=server,
        owns_workdir=owns,
    )
    try:
        _reset_server(demo.endpoint_url)
        publish_previous_release(demo, folder)
        lay_out_new_build(demo.build_dir, folder)
    except Exception:
        demo.stop()
        raise
    logger.info("demo ready at %s: %s", demo.endpoint_url, demo.target.url)
    return demo


def _reset_server(endpoint_url: str) -> None:
    """Empty moto's in-process state, so a second demo in one process starts afresh."""
    import urllib.request

    request = urllib.request.Request(f"{endpoint_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


def previous_release(folder: Path, description: DemoDescription) -> dict[str, Path]:
    """The files of the previous release: the site without its new pages, with the files of
    `previous/` (older versions, and pages since removed) laid over it."""
    site, previous = folder / "site", folder / "previous"
    files = {path.relative_to(site).as_posix(): path for path in site.rglob("*") if path.is_file()}
    for name in description.new_in_build:
        files.pop(name, None)
    for path in previous.rglob("*"):
        if path.is_file():
            files[path.relative_to(previous).as_posix()] = path
    return files


def publish_previous_release(demo: Demo, folder: Path) -> None:
    """Create the bucket and upload the previous release with the headers the job sets."""
    from s3desk.core.planner import headers_for
    from s3desk.core.session import make_client

    client = make_client(demo.connection)
    client.create_bucket(Bucket=demo.description.bucket)
    options = demo.options
    for relative, path in sorted(previous_release(folder, demo.description).items()):
        headers = headers_for(relative, options)
        extra = {
            "CacheControl": headers.cache_control,
            "ContentType": headers.content_type,
            "ContentEncoding": headers.content_encoding,
        }
        client.put_object(
            Bucket=demo.description.bucket,
            Key=demo.description.prefix + relative,
            Body=path.read_bytes(),
            **{k: v for k, v in extra.items() if v},
        )
    for path in sorted((folder / "private-reports").glob("*")):
        client.put_object(
            Bucket=demo.description.bucket,
            Key=demo.description.share_prefix + path.name,
            Body=path.read_bytes(),
            ContentType="application/pdf",
        )


def lay_out_new_build(build_dir: Path, folder: Path) -> None:
    """Copy the site as the new build, plus a design file that the job's excludes skip."""
    shutil.copytree(folder / "site", build_dir)
    psd = build_dir / PSD_NAME
    psd.parent.mkdir(parents=True, exist_ok=True)
    # A Photoshop header and some padding: enough to be recognisably a .psd.
    psd.write_bytes(b"8BPS\x00\x01" + bytes(6) + b"\x00\x03" + bytes(2048))
