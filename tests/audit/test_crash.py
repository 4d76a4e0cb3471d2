"""A writer killed with SIGKILL in the middle of a burst loses no acknowledged record."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from botwarden.audit.checkpoint import load_audit_key
from botwarden.audit.log import key_path, open_audit_log
from botwarden.audit.stores.files import FileAuditStore
from botwarden.audit.verify import verify_log
from botwarden.config import Settings

ACKNOWLEDGED = re.compile(r"[0-9]+ [0-9]+-[0-9]+\n")
BURST = textwrap.dedent(
    """
    import sys, threading
    import structlog
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sys.stderr))
    from botwarden.audit.log import open_audit_log
    from botwarden.audit.records import prepare_record
    from botwarden.audit.redaction import SecretRedactor
    from botwarden.config import load_settings

    log = open_audit_log(load_settings())
    lock = threading.Lock()

    def work(worker):
        for number in range(100000):
            marker = f"{worker}-{number}"
            seq = log.append(prepare_record("crash.test", actor="bot:burst", target=marker,
                                            redactor=SecretRedactor()))
            with lock:
                sys.stdout.write(f"{seq} {marker}\\n")
                sys.stdout.flush()

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    """
)


def test_kill_9_in_a_burst_keeps_every_acknowledged_record(
    audited_home: Settings, tmp_path: Path
) -> None:
    environ = {**os.environ, "BOTWARDEN_HOME": str(audited_home.home)}
    environ.pop("BOTWARDEN_DEPLOYMENT", None)
    process = subprocess.Popen(
        [sys.executable, "-c", BURST],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=environ,
        text=True,
    )
    acknowledged: dict[int, str] = {}
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    while len(acknowledged) < 3000 and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if ACKNOWLEDGED.fullmatch(line):
            seq, marker = line.split()
            acknowledged[int(seq)] = marker

    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    for line in process.stdout:
        if ACKNOWLEDGED.fullmatch(line):
            seq, marker = line.split()
            acknowledged[int(seq)] = marker
    process.stdout.close()

    log = open_audit_log(audited_home)
    log.close()
    store = FileAuditStore(audited_home.audit_dir)
    stored = {json.loads(data)["seq"]: json.loads(data)["target"] for data in store.read()}

    assert len(acknowledged) >= 3000
    assert {seq: stored.get(seq) for seq in acknowledged} == acknowledged
    report = verify_log(store, load_audit_key(key_path(audited_home)).verifier())
    assert report.size == len(stored)
    assert report.uncovered == 0
