#!/usr/bin/python3
"""OSProfiler's driver for a connection string (Redis, or SQLAlchemy for mysql+pymysql:// and postgresql+psycopg2://)
writing N points with notify() in a loop, as an OSProfiler-instrumented service does.

Usage: /usr/bin/python3 osprofiler_ingest.py CONNECTION_STRING POINTS PAYLOAD_BYTES TRACES RUN_PREFIX
Prints one JSON object: points, seconds, points_per_second. Points are built before timing, like profiler bench's.
"""
import datetime
import json
import sys
import time

from osprofiler.drivers import base

url, count, payload_bytes, traces, prefix = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
# OSProfiler's own factory, as osprofiler.initializer.init_from_conf picks the driver; defaults: no [profiler] config.
driver = base.get_driver(url, project="bench", service="bench", host="bench", conf={})
filler = "x" * payload_bytes
at = datetime.datetime.utcnow()
points = []
for i in range(count):
    base_id = "%s-%d" % (prefix, i // 2 % traces)
    info = {"host": "bench"}
    if payload_bytes:
        info["payload"] = filler
    points.append({
        "name": "db-start" if i % 2 == 0 else "db-stop",
        "base_id": base_id, "trace_id": "%s-op%d" % (prefix, i // 2), "parent_id": base_id,
        "timestamp": (at + datetime.timedelta(microseconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "info": info,
    })
started = time.perf_counter()
for p in points:
    driver.notify(p)
seconds = time.perf_counter() - started
print(json.dumps({"points": count, "seconds": round(seconds, 4), "points_per_second": round(count / seconds)}))
