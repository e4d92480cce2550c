"""How far s3desk scales: memory of a 1,000,000-action plan, and a 100,000-action plan shown.

    .venv/bin/python benchmarks/scale.py [--actions N] [--rows N]

Not part of the test suite. Each measurement runs in a fresh interpreter, so its peak resident
memory is its own:

- plan memory: `make_plan` over a synthetic listing of N objects and a synthetic scan of N
  files (no disk, no server: the lister and the scan are stand-ins; half the pairs differ in
  size, so the plan holds N/2 updates and N/2 unchanged), compared by size; the peak RSS of the
  process, and what the interpreter held before planning;
- window: a plan of N rows put into the review window (Qt offscreen) until the first rows are
  painted, and the time of a scroll to the end.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent

PLAN_SCRIPT = textwrap.dedent(
    """
    import json, os, pathlib, resource, sys, tempfile, time
    from s3desk.core import planner
    from s3desk.core.hashing import HashCache
    from s3desk.core.identity import Identity
    from s3desk.core.listing import RemoteObject
    from s3desk.core.plan import Options
    from s3desk.core.scan import LocalFile, ScanResult
    from s3desk.core.session import Connection, StaticKeys
    from s3desk.core.target import Target

    n = int(sys.argv[1])
    root = tempfile.mkdtemp()
    stamp = 1_700_000_000 * 10**9

    def rss_kib():
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def relative(i):
        return f"d{i % 1000:03d}/sub{i % 7}/file-{i:07d}.bin"

    def synthetic_scan(source, filters=None, *, follow_symlinks=False):
        result = ScanResult(root=root)
        for i in range(n):
            rel = relative(i)
            result.files[rel] = LocalFile(rel, root + "/" + rel, rel, 1000 + i % 5, stamp, i, stamp)
        return result

    def synthetic_listing(client, target):
        for i in range(n):
            size = 1000 + i % 5 + (i % 2)  # every other one differs in size
            yield RemoteObject(target.key_for(relative(i)), size, f"{i:032x}", 1.7e9)

    planner.scan = synthetic_scan
    target = Target("scale-bucket", "site/", endpoint_url="http://127.0.0.1:9")
    connection = Connection(region="us-east-1", keys=StaticKeys("AKIDSCALE", "scale-secret"))
    before = rss_kib()
    started = time.perf_counter()
    plan = planner.make_plan(
        root, target, Options(compare="size"), connection,
        identity=Identity("", "scale", verified=False), lister=synthetic_listing,
        hash_cache=HashCache(pathlib.Path(root) / "hashes.sqlite"),
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"actions": len(plan.actions), "seconds": seconds,
                      "rss_before_kib": before, "peak_rss_kib": peak,
                      "summary": plan.summary.__dict__}))
    """
)

WINDOW_SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication
    from s3desk.core.identity import Identity
    from s3desk.core.plan import Action, Op, Options, Plan
    from s3desk.core.target import Target
    from s3desk.gui.window import MainWindow

    n = int(sys.argv[1])
    app = QApplication([])
    ops = [Op.UPLOAD, Op.SKIP, Op.SKIP, Op.UPDATE, Op.SKIP]
    actions = tuple(
        Action(Op.DELETE if i % 50 == 0 else ops[i % 5], f"site/dir{i % 97:02d}/f{i:07d}.html",
               f"dir{i % 97:02d}/f{i:07d}.html", 1000 + i, reason="synthetic")
        for i in range(n)
    )
    plan = Plan(Target("scale-bucket", "site/"), "/tmp/site", Options(delete=True),
                Identity("123456789012", "arn:aws:iam::123456789012:user/scale"), actions)
    window = MainWindow()
    window.resize(1280, 800)
    window.show()
    app.processEvents()
    started = time.perf_counter()
    window._set_plan(plan, None)  # what a finished dry run does, without a planner thread
    window._update_all()
    app.processEvents()
    shown = time.perf_counter() - started
    view = window.table
    started = time.perf_counter()
    view.scrollToBottom()
    app.processEvents()
    scrolled = time.perf_counter() - started
    print(json.dumps({"rows": n, "shown_seconds": shown, "scroll_seconds": scrolled,
                      "visible_rows": window.proxy.rowCount()}))
    """
)


def run(script: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=1800
    )
    if done.returncode != 0:
        raise SystemExit(f"measurement failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    plan = run(PLAN_SCRIPT, str(args.actions))
    print(
        f"plan of {plan['actions']:,} actions: {plan['seconds']:.1f} s, peak RSS "
        f"{plan['peak_rss_kib'] / 1024:.0f} MiB ({plan['rss_before_kib'] / 1024:.0f} MiB before "
        f"planning)"
    )
    window = run(WINDOW_SCRIPT, str(args.rows))
    print(
        f"window with {window['rows']:,} actions: shown in {window['shown_seconds']:.2f} s, "
        f"scroll to the end {window['scroll_seconds'] * 1000:.0f} ms "
        f"({window['visible_rows']:,} rows listed; unchanged ones hidden)"
    )
    out = HERE / "results" / "latest-scale.json"
    out.write_text(json.dumps({"plan": plan, "window": window}, indent=1) + "\n")
    print(f"written to {out.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
