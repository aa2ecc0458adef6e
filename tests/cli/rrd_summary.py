"""Summarises a Rerun .rrd file for the embody tests: runs `rerun rrd verify` on it, then reads
it back and prints one JSON object {"entities": {path: {"rows": N, "static": bool,
"<timeline>": distinct values}}, "blueprints": count}.

Usage: python rrd_summary.py FILE   (with rerun-sdk installed in that Python)
"""

import json
import os
import subprocess
import sys

import rerun.experimental as rx


def main() -> None:
    path = sys.argv[1]
    rerun_cli = os.path.join(os.path.dirname(sys.executable), "rerun")
    verify = subprocess.run([rerun_cli, "rrd", "verify", path], capture_output=True, text=True)
    if verify.returncode != 0:
        sys.exit(f"rerun rrd verify failed:\n{verify.stdout}\n{verify.stderr}")
    reader = rx.RrdReader(path)
    entities: dict = {}
    for chunk in reader.stream().to_chunks():
        path = str(chunk.entity_path).lstrip("/")
        entry = entities.setdefault(path, {"rows": 0, "static": False})
        entry["rows"] += chunk.num_rows
        if chunk.is_static:
            entry["static"] = True
            continue
        batch = chunk.to_record_batch()
        for timeline in chunk.timeline_names:
            values = entry.setdefault("_" + timeline, set())
            # Sequence, duration and timestamp timelines alike, as integers.
            column = batch.column(timeline).cast("int64")
            values.update(v for v in column.to_pylist() if v is not None)
    for entry in entities.values():
        for key in [k for k in entry if k.startswith("_")]:
            entry[key[1:]] = len(entry.pop(key))
    print(json.dumps({"entities": entities, "blueprints": len(reader.blueprints())}))


if __name__ == "__main__":
    main()
