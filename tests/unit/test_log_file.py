"""The log file is written by one thread behind a queue: every record from every thread is in
it when the process ends, one line each, control characters escaped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import logging, threading
from s3desk.core.logs import setup_logging
path = setup_logging()
log = logging.getLogger("s3desk.core.apply")
def work(n):
    for i in range(250):
        log.info("upload key-%d-%03d: done", n, i)
threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
for t in threads: t.start()
for t in threads: t.join()
log.info("a key with a line break\\nforged INFO line")
print(path)
"""


def test_every_record_from_every_thread_reaches_the_file(tmp_path: Path) -> None:
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"), HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          env=env, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = Path(done.stdout.strip()).read_text(encoding="utf-8").splitlines()
    uploads = [line for line in lines if "upload key-" in line]
    assert len(uploads) == 8 * 250
    assert len({line.split("upload ", 1)[1] for line in uploads}) == 8 * 250
    assert any("line break\\x0aforged INFO line" in line for line in lines)
    assert not any(line.startswith("forged") for line in lines)
