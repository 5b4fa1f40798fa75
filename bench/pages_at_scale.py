"""Every operator page on a year of data at 10 k, 100 k and 1 M messages (issue 16).

The rows are the product's own: a studio's day is played against the real daemon once
(``recado.testing.seed_studio``: messages, statuses, attempts, events, deliveries, inbox
bodies, audit rows, incidents), then copied across 400 days until the database holds the
size asked for (``recado.testing.multiply_rows``), so every table grows in proportion. For
each size the real daemon is started on the file as a child process and this prints:
  - start-to-ready (exec to ``READY=1``) and the daemon's peak RSS after the pages;
  - p50 / p95 of every operator GET page, HTML and JSON, warm, and in a table of their own
    the CSV downloads (an export of up to 10,000 rows is not a page); the pages are the ones the
    daemon's own OpenAPI document lists (so a page added tomorrow is measured too), each
    path parameter filled from the database and each list asked with its filters, the
    variants of one page pooled;
  - the ratio of the p50 at the largest size to the p50 at the smallest, per page;
and last, over the largest database, a retention run (``recado.actors.retention``) inside
the daemon keeping the newest ``--keep-days`` of every kind (the oldest days go), while a
writer goes on writing: the longest that writer waited. Targets: p95 < 50 ms at 1 M,
ratio < 2, start-to-ready < 1 s at 1 M, no write waiting > 50 ms during retention.

Built databases are kept in ``--dir`` and reused; the retention run deletes rows, so the
database it ran on is rebuilt next time.

Usage: .venv/bin/python bench/pages_at_scale.py [--sizes 10000,100000,1000000] [--repeat 15]
       [--dir /tmp/recado-pages-at-scale] [--keep-days 390] [--no-retention]
(bench/retention_pause.py runs the retention part alone, on a copy of a built database.)
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sqlite3
import time
from pathlib import Path

import httpx
import trio
from retention_pause import retention_pause

from recado.testing.daemon_process import DaemonProcess, write_config
from recado.testing.multiply_rows import fresh_database, multiply
from recado.testing.page_samples import SAMPLES, query_variants
from recado.testing.seed_studio import seed_studio

# The services and sync job the seed was played with (tests/year_helpers.py), so the pages
# that show them have something to show; nothing answers at that address.
TABLES = (
    '[[services]]\nname = "crm"\nbase_url = "http://127.0.0.1:9"\n'
    '[[flows]]\nevent = "appointment.created"\nactions = ["http:crm:POST:/appointments"]\n'
    '[[sync]]\nname = "clients"\nschedule = "0 3 * * *"\n'
    'source = "crm:GET:/clients?since={cursor}"\ntarget = "crm:POST:/clients"\n'
)
BUILT = "built.json"
MEDIA = {"html": "text/html", "json": "application/json", "csv": "text/csv"}


def is_download(key: str) -> bool:
    """A CSV export is a download of up to 10,000 rows (http/csv_exports.EXPORT_MAX), not a
    page: it has no 50 ms target and its time grows with the rows asked for, so it is shown
    in its own table and kept out of the pages' ratio."""
    return key.endswith("(csv)")


def installed_bytecode(directory: Path) -> dict[str, str]:
    """The daemon's environment for its bytecode as an install has it: ``pip install``
    compiles every module once (the unit cannot write under /opt, ProtectSystem=strict), so a
    start loads cached bytecode. A shell with PYTHONDONTWRITEBYTECODE set (as these
    sessions' shells are) compiles all of recado's 240 modules on every start: 0.5 s of CPU,
    measured in start-to-ready but never paid in production. The cache goes under
    ``directory``, not into the source tree."""
    return {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(directory / "pycache")}


def pages(document: dict[str, object], db: Path) -> dict[str, list[str]]:
    """Each GET path of the operator's OpenAPI document, with its URLs to ask for."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        variants = query_variants(conn)
        found: dict[str, list[str]] = {}
        paths = document["paths"]
        assert isinstance(paths, dict)
        for path, operations in sorted(paths.items()):
            if "get" not in operations or path.startswith(("/static", "/_test")):
                continue
            urls = [path]
            for name in re.findall(r"\{(\w+)\}", path):
                if name not in SAMPLES:
                    raise SystemExit(f"{path}: no sample for {name} in SAMPLES")
                values = SAMPLES[name](conn)
                urls = [u.replace("{" + name + "}", v) for u in urls for v in values]
            queries = variants.get(path.removesuffix(".json"), [""])
            found[path] = [u + q for u in urls for q in queries]
        return found
    finally:
        conn.close()


def seed(directory: Path) -> Path:
    db = directory / "seed" / "var" / "recado.db"
    if not db.exists():
        print("playing the seed studio against the real daemon ...", flush=True)
        trio.run(seed_studio, directory / "seed")
    return db


def one_incident(db: Path) -> tuple[int, int]:
    """Keeps the newest copy of the seed's incident and its timeline. The seed opens one by
    hand and leaves it open; its copies would be thousands of incidents open at once, which
    no studio has (one per cause at a time) and which the incident monitor looks at on each
    of its turns: a cost of the copy, not of a year of data."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("BEGIN")
        newest = "(SELECT MAX(id) FROM incidents)"
        conn.execute(f"DELETE FROM incident_timeline WHERE incident_id < {newest}")
        conn.execute(f"DELETE FROM incidents WHERE id < {newest}")
        conn.execute("COMMIT")
        return (
            conn.execute("SELECT COUNT(*) FROM incidents").fetchone()[0],
            conn.execute("SELECT COUNT(*) FROM incident_timeline").fetchone()[0],
        )
    finally:
        conn.close()


def one_open_alert_per_cause(db: Path) -> int:
    """Resolves every copy of an open alert but the newest of its cause (code, subject), an
    hour after it was raised. The seed's alerts are open when it stops, so each copy of the
    seed added its own open copies (146,663 at 1 M): a studio has one open alert per cause
    at a time (storage/alerts raises a cause once), the rest of a year's alerts are resolved.
    The open count still reads only open alerts (a partial index), so this is the copy's
    cost, not a year's. Returns the alerts left open."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.execute(
            # events_emitted = 2: the outbox sent both of its events long ago, as it would
            # have in that year (left at 1, the daemon would send 146,000 on its start).
            "UPDATE alerts SET resolved_at = strftime('%Y-%m-%dT%H:%M:%fZ', at, '+1 hour'), "
            "events_emitted = 2 "
            "WHERE resolved_at IS NULL AND id NOT IN (SELECT MAX(id) FROM alerts "
            "WHERE resolved_at IS NULL GROUP BY code, subject)"
        )
        conn.execute("COMMIT")
        return int(
            conn.execute("SELECT COUNT(*) FROM alerts WHERE resolved_at IS NULL").fetchone()[0]
        )
    finally:
        conn.close()


def build(seed_db: Path, directory: Path, size: int) -> tuple[Path, dict[str, int]]:
    """``directory``'s database with about ``size`` messages (reused when already built)."""
    db = directory / "var" / "recado.db"
    marker = directory / BUILT
    if marker.exists():
        counts: dict[str, int] = json.loads(marker.read_text())
        return db, counts
    conn = sqlite3.connect(f"file:{seed_db}?mode=ro", uri=True)
    per_copy = conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    conn.close()
    copies = max(1, round(size / per_copy))
    if db.parent.exists():
        shutil.rmtree(db.parent)
    started = time.perf_counter()
    print(f"building {size:,} messages ({copies} copies of the seed) ...", flush=True)
    fresh_database(db)
    counts = multiply(seed_db, db, copies)
    counts["incidents"], counts["incident_timeline"] = one_incident(db)
    counts["open_alerts"] = one_open_alert_per_cause(db)
    counts["build_s"] = round(time.perf_counter() - started)
    counts["bytes"] = db.stat().st_size
    marker.write_text(json.dumps(counts))
    return db, counts


def ready_empty(directory: Path, env: dict[str, str]) -> float:
    """Start-to-ready on an empty data directory: the interpreter's and the imports' share."""
    if directory.exists():
        shutil.rmtree(directory)
    daemon = DaemonProcess(write_config(directory, TABLES), test_hooks=False, env=env)
    started = time.perf_counter()
    daemon.start(timeout_s=120)
    ready_s = time.perf_counter() - started
    daemon.terminate()
    return ready_s


def _ms(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(
    directory: Path, db: Path, repeat: int, env: dict[str, str]
) -> tuple[float, float, dict[str, list[float]]]:
    """(start-to-ready s, peak RSS MiB, ms per page and format) of a daemon on ``db``; the
    keys indented by two spaces are each URL's own (the slowest are named at the end)."""
    config = write_config(directory, TABLES)
    daemon = DaemonProcess(config, test_hooks=False, env=env)
    started = time.perf_counter()
    daemon.start(timeout_s=120)
    ready_s = time.perf_counter() - started
    times: dict[str, list[float]] = {}
    try:
        key_file = daemon.data_dir / "api_key"
        headers = {"X-API-Key": key_file.read_text().strip()} if key_file.exists() else {}
        with httpx.Client(base_url=daemon.operator_url, headers=headers, timeout=60) as client:
            document = client.get("/openapi.json").json()
            # Let the actors' first turns (recovery, their first look at the queues) pass.
            time.sleep(2)
            for path, urls in pages(document, db).items():
                accepts = ("html", "json")
                if path.endswith((".json", ".csv")):
                    accepts = (path.rsplit(".", 1)[1],)
                for accept in accepts:
                    kind = MEDIA[accept]
                    samples = times.setdefault(f"{path} ({accept})", [])
                    for url in urls:
                        # The first answer warms the page cache and the statement cache.
                        client.get(url, headers={"Accept": kind})
                        one = times.setdefault(f"  {url} ({accept})", [])
                        for _ in range(repeat):
                            t0 = time.perf_counter()
                            r = client.get(url, headers={"Accept": kind})
                            one.append((time.perf_counter() - t0) * 1000)
                            samples.append(one[-1])
                            if r.status_code not in (200, 302):
                                raise SystemExit(f"GET {url}: {r.status_code} {r.text[:200]}")
        rss = daemon.peak_rss_mib()
    finally:
        daemon.terminate()
    return ready_s, rss, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/recado-pages-at-scale"))
    parser.add_argument("--keep-days", type=int, default=390)
    parser.add_argument(
        "--no-retention",
        action="store_true",
        help="skip the retention run, keeping the largest database for the next run",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    args.dir.mkdir(parents=True, exist_ok=True)
    seed_db = seed(args.dir)
    env = installed_bytecode(args.dir)
    # The first start compiles the bytecode into the cache, as an install does once.
    first_s = ready_empty(args.dir / "empty", env)
    empty_s = ready_empty(args.dir / "empty", env)
    print(
        f"start-to-ready on an empty data dir: {empty_s * 1000:.0f} ms "
        f"(first start, compiling the bytecode: {first_s * 1000:.0f} ms)",
        flush=True,
    )
    results: dict[int, dict[str, list[float]]] = {}
    for size in sizes:
        directory = args.dir / str(size)
        db, counts = build(seed_db, directory, size)
        ready_s, rss, times = measure(directory, db, args.repeat, env)
        results[size] = times
        rows = ", ".join(f"{t} {n:,}" for t, n in sorted(counts.items()) if n and t != "bytes")
        print(
            f"\n{size:,}: {counts.get('messages', 0):,} messages, file "
            f"{counts.get('bytes', 0) / 2**30:.2f} GiB; start-to-ready {ready_s * 1000:.0f} ms, "
            f"peak RSS {rss:.0f} MiB\n  rows: {rows}",
            flush=True,
        )
    small, large = sizes[0], sizes[-1]
    head = " | ".join(f"{s // 1000:,}k p50 / p95" for s in sizes)
    for title in ("page", "download"):
        print(f"\n| {title} | {head} | p50 {large // 1000}k/{small // 1000}k |")
        print("|---|" + "---|" * (len(sizes) + 1))
        for page in results[small]:
            if page.startswith(" ") or is_download(page) != (title == "download"):
                continue
            cells = [
                f"{_ms(results[s][page], 0.5):.1f} / {_ms(results[s][page], 0.95):.1f}"
                for s in sizes
            ]
            ratio = _ms(results[large][page], 0.5) / _ms(results[small][page], 0.5)
            print(f"| `{page}` | " + " | ".join(cells) + f" | {ratio:.2f} |")
    urls = sorted(
        (p for p in results[large] if p.startswith(" ") and not is_download(p)),
        key=lambda p: -_ms(results[large][p], 0.95),
    )
    print(f"\nslowest URLs at {large:,} (p50 / p95 ms):")
    for url in urls[:8]:
        print(f"{url}: {_ms(results[large][url], 0.5):.1f} / {_ms(results[large][url], 0.95):.1f}")
    if args.no_retention:
        return
    directory = args.dir / str(large)
    (directory / BUILT).unlink()
    figures = trio.run(retention_pause, directory, args.keep_days, 5.0)
    print(
        f"\nretention over {large:,} (keeping {args.keep_days} days of each kind): "
        + ", ".join(f"{k} {v:,.1f}" for k, v in figures.items()),
        flush=True,
    )


if __name__ == "__main__":
    main()
