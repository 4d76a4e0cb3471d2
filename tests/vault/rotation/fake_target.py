"""A stand-in for an operator's rotation command: it records what it received, then obeys a mode.

Run as ``python fake_target.py RECORD MODE``; MODE is ok, fail, or hang.
"""

import json
import os
import subprocess
import sys
import time

record_path, mode = sys.argv[1], sys.argv[2]
document = json.load(sys.stdin)
with open("/proc/self/cmdline", "rb") as cmdline:
    arguments = cmdline.read().decode("utf-8", "replace")

record = {
    "pid": os.getpid(),
    "argv": sys.argv,
    "cmdline": arguments,
    "environ": dict(os.environ),
    "document": document,
}
if mode == "hang":
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    record["grandchild"] = child.pid

with open(record_path, "a") as records:
    records.write(json.dumps(record) + "\n")

if mode == "fail":
    new = document["new"]["password"]
    print(f"cannot set {new!r} for {json.dumps(document['current'])}", file=sys.stderr)
    sys.exit(3)
if mode == "hang":
    print("hanging with", document["new"]["password"], file=sys.stderr, flush=True)
    time.sleep(120)
