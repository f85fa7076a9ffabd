#!/usr/bin/python3
"""Writes one trace of N points as JSON Lines (docs/osprofiler-formats.md §1) for `profiler trace import`: start/stop pairs of operations
nested up to 10 deep, 250 bytes of filler in each point's info. The base id is a UUID, because `osprofiler trace show`
only looks up UUID-like ids.

Usage: /usr/bin/python3 make_trace.py POINTS PAYLOAD_BYTES OUT.jsonl  (prints the base id)
"""
import datetime
import json
import sys
import uuid

count, payload_bytes, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
base_id = str(uuid.uuid4())
at = datetime.datetime.utcnow() - datetime.timedelta(minutes=5)
filler = "x" * payload_bytes
ops = count // 2
with open(out, "w") as f:
    for op in range(ops):
        trace_id = str(uuid.uuid4())
        parent = base_id if op % 10 == 0 else last
        for stop in (False, True):
            info = {"host": "bench"}
            if payload_bytes:
                info["payload"] = filler
            ts = at + datetime.timedelta(microseconds=op * 20 + (15 if stop else 0))
            f.write(json.dumps({"name": "db-stop" if stop else "db-start", "base_id": base_id, "trace_id": trace_id,
                                "parent_id": parent, "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%S.%f"), "info": info,
                                "project": "bench", "service": "bench"}) + "\n")
        last = trace_id
print(base_id)
