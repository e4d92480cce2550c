"""What this machine can physically do, measured in-process for `run.py`.

Runs inside the benchmark's s3desk environment (it needs botocore and s3desk.core) and prints
one JSON object. Each figure is the median of `--repeat` runs, in seconds:

- `stat`: walk the tree and stat every file (warm cache);
- `md5`: read every file and hash its bytes;
- `put`: upload every file with raw signed PUTs (HTTP keep-alive, 2 processes x 8 threads,
  no checksums, unsigned payload): the least a client must spend to send them;
- `list_fast` / `list_botocore`: list the uploaded prefix with s3desk's fast path and with
  botocore's paginator;
- `python` / `boto3_client`: start-up of a bare interpreter, and of one that imports boto3 and
  makes an S3 client, each as a whole process.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, urlsplit

PROCESSES = 2
THREADS = 8
RETRIES = 4


def tree_files(root: Path) -> list[Path]:
    files: list[Path] = []
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    files.append(Path(entry.path))
    return files


def stat_tree(root: Path) -> int:
    count = 0
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                else:
                    entry.stat(follow_symlinks=False)
                    count += 1
    return count


def md5_tree(files: list[Path]) -> int:
    total = 0
    for path in files:
        with open(path, "rb") as handle:
            data = handle.read()
        hashlib.md5(data).hexdigest()
        total += len(data)
    return total


def timed(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class PutSigner:
    """A minimal SigV4 signer for PUTs with an unsigned payload: the signing key is derived
    once, so each request costs one SHA-256 and one HMAC (botocore's signer costs far more)."""

    def __init__(self, host: str, keys: tuple[str, str], region: str = "us-east-1") -> None:
        self.host = host
        self.access_key = keys[0]
        self.date = time.strftime("%Y%m%d", time.gmtime())
        self.scope = f"{self.date}/{region}/s3/aws4_request"
        key = ("AWS4" + keys[1]).encode()
        for part in (self.date, region, "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        self.key = key

    def headers(self, path: str, size: int) -> dict[str, str]:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        signed = "content-length;host;x-amz-content-sha256;x-amz-date"
        canonical = (
            f"PUT\n{path}\n\ncontent-length:{size}\nhost:{self.host}\n"
            f"x-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:{stamp}\n\n{signed}\n"
            "UNSIGNED-PAYLOAD"
        )
        to_sign = (
            f"AWS4-HMAC-SHA256\n{stamp}\n{self.scope}\n"
            + hashlib.sha256(canonical.encode()).hexdigest()
        )
        signature = hmac.new(self.key, to_sign.encode(), hashlib.sha256).hexdigest()
        return {
            "Content-Length": str(size),
            "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
            "x-amz-date": stamp,
            "Authorization": f"AWS4-HMAC-SHA256 Credential={self.access_key}/{self.scope}, "
            f"SignedHeaders={signed}, Signature={signature}",
        }


def _put_slice(args: tuple[str, str, tuple[str, str], list[tuple[str, str]]]) -> int:
    """Upload (path, key) pairs over keep-alive connections, THREADS at a time."""
    endpoint, bucket, keys, items = args
    parts = urlsplit(endpoint)
    chunks = [items[index::THREADS] for index in range(THREADS)]
    signer = PutSigner(parts.netloc, keys)

    def worker(chunk: list[tuple[str, str]]) -> int:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        for path, key in chunk:
            with open(path, "rb") as handle:
                body = handle.read()
            target = f"/{bucket}/{quote(key, safe='/-_.~')}"
            for attempt in range(RETRIES):
                headers = signer.headers(target, len(body))
                conn.request("PUT", target, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    break
                # rclone serve s3 sometimes answers 500 to concurrent PUTs into a new folder
                # ("Dir.Rename error"); every real client retries those, and so does this.
                if response.status < 500 or attempt == RETRIES - 1:
                    raise RuntimeError(f"PUT {key} answered {response.status}")
        conn.close()
        return len(chunk)

    with ThreadPoolExecutor(THREADS) as pool:
        return sum(pool.map(worker, chunks))


def raw_put(endpoint: str, bucket: str, prefix: str, root: Path, keys: tuple[str, str]) -> float:
    files = tree_files(root)
    items = [(str(path), prefix + path.relative_to(root).as_posix()) for path in files]
    slices = [(endpoint, bucket, keys, items[index::PROCESSES]) for index in range(PROCESSES)]
    with ProcessPoolExecutor(PROCESSES) as pool:
        pool.submit(int).result()  # start the workers before the clock does
        start = time.perf_counter()
        done = sum(pool.map(_put_slice, slices))
        elapsed = time.perf_counter() - start
    assert done == len(items)
    return elapsed


def listing(endpoint: str, bucket: str, prefix: str, keys: tuple[str, str], repeat: int) -> dict:
    import boto3
    from botocore.config import Config

    from s3desk.core.fastlist import list_prefix_fast
    from s3desk.core.listing import list_prefix
    from s3desk.core.target import Target

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=keys[0],
        aws_secret_access_key=keys[1],
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}),
    )
    target = Target(bucket, prefix)
    count = len(list(list_prefix_fast(client, target)))
    return {
        "keys": count,
        "list_fast": timed(lambda: list(list_prefix_fast(client, target)), repeat),
        "list_botocore": timed(lambda: list(list_prefix(client, target)), repeat),
    }


def startup(repeat: int) -> dict:
    make_client = (
        "import boto3; boto3.client('s3', region_name='us-east-1', "
        "endpoint_url='http://127.0.0.1:9', aws_access_key_id='a', aws_secret_access_key='b')"
    )
    return {
        "python": timed(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), repeat),
        "boto3_client": timed(
            lambda: subprocess.run([sys.executable, "-c", make_client], check=True), repeat
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=["local", "put", "list", "startup"])
    parser.add_argument("--root", type=Path)
    parser.add_argument("--endpoint")
    parser.add_argument("--bucket", default="bench")
    parser.add_argument("--prefix", default="")
    parser.add_argument("--key", default="")
    parser.add_argument("--secret", default="")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    keys = (args.key, args.secret)
    if args.what == "local":
        files = tree_files(args.root)
        size = md5_tree(files)
        result = {
            "files": len(files),
            "bytes": size,
            "stat": timed(lambda: stat_tree(args.root), args.repeat),
            "md5": timed(lambda: md5_tree(files), args.repeat),
        }
    elif args.what == "put":
        result = {"put": raw_put(args.endpoint, args.bucket, args.prefix, args.root, keys)}
    elif args.what == "list":
        result = listing(args.endpoint, args.bucket, args.prefix, keys, args.repeat)
    else:
        result = startup(args.repeat)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
