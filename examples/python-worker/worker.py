#!/usr/bin/env python3
"""A Jobgate worker in Python, standard library only: the `text` queue's handler, run by
the client package's worker (clients/python/jobgate/worker.py; `pip install ./clients/python`
makes `jobgate.worker` importable anywhere).

    JOBGATE_URL=http://127.0.0.1:8080 JOBGATE_KEY=jg_... JOBGATE_QUEUES=text \\
        python3 examples/python-worker/worker.py

Environment: JOBGATE_URL, JOBGATE_KEY (a worker key), JOBGATE_QUEUES (comma-separated,
default: every queue in HANDLERS), JOBGATE_CONCURRENCY (default 1), JOBGATE_WORKER_ID
(optional: a pool names its workers), JOBGATE_GRACE_SEC (default 10).
"""

import os
import sys
import time

try:
    from jobgate.worker import Unrecoverable, run_from_env
except ImportError:  # run from a checkout without installing the client package
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))
    from jobgate.worker import Unrecoverable, run_from_env

# -- handlers -------------------------------------------------------------------------


def reverse_text(job):
    """`text` queue: reverses payload.text in three stages; {"fail": true} fails for good."""
    payload = job.payload or {}
    if payload.get("fail"):
        raise Unrecoverable("asked to fail (payload.fail)")
    step = payload.get("ms", 0) / 3000
    for index, stage in enumerate(["split", "reverse", "join"]):
        job.progress(index * 33, stage, f"Stage {index + 1} of 3")
        end = time.monotonic() + step
        while time.monotonic() < end:
            job.check()
            time.sleep(min(0.05, step))
    reversed_text = str(payload.get("text", ""))[::-1]
    job.put_artifact("reversed.txt", reversed_text.encode(), "text/plain; charset=utf-8")
    return {"reversed": reversed_text, "by": "python", "attempt": job.attempt, "artifact": "reversed.txt"}


HANDLERS = {"text": reverse_text}


if __name__ == "__main__":
    run_from_env(HANDLERS)
