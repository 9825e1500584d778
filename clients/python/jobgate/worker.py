"""A Jobgate remote worker, standard library only (urllib, threading, json).

    from jobgate.worker import Unrecoverable, run_from_env

    def reverse(job):
        job.progress(50, "reverse")
        return {"reversed": job.payload["text"][::-1]}

    run_from_env({"text": reverse})     # JOBGATE_URL, JOBGATE_KEY, JOBGATE_QUEUES, ...

It speaks the remote worker protocol of docs/WORKERS.md: register, lease by long-poll,
heartbeat (extends leases, brings cancel requests), progress, artifacts, complete, fail,
release, deregister. Handlers are plain functions `handler(job) -> result`, keyed by
queue; raise Unrecoverable to fail a job at once, whatever attempts remain.
SIGTERM / SIGINT: stop leasing, let running jobs finish for the grace, release the rest.
"""

import json
import os
import random
import signal
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request


class Unrecoverable(Exception):
    """Raise from a handler to fail the job at once (no retry)."""


class Stopped(Exception):
    """Raised by job.check() when the job was cancelled, lost its lease, or the worker stops."""


class LeaseLost(Exception):
    pass


class ServerAway(Exception):
    """The server could not be reached or answered 5xx/429: worth retrying."""


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code


class Client:
    def __init__(self, url, key):
        self.url = url.rstrip("/") + "/api/v1"
        self.key = key

    def call(self, method, path, body=None, timeout=15, raw=None, headers=None):
        """`raw`: bytes or a binary file sent as they are (an artifact; a file is streamed)."""
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("authorization", "Bearer " + self.key)
        request.add_header("accept", "application/json")
        if raw is None and data is not None:
            request.add_header("content-type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                text = response.read()
                return json.loads(text) if text else None
        except urllib.error.HTTPError as error:
            try:
                answer = json.loads(error.read() or b"{}").get("error", {})
            except ValueError:
                answer = {}
            code = answer.get("code", "")
            if error.code >= 500 or error.code == 429:
                raise ServerAway(f"{error.code} {code}") from None
            if code == "JOBGATE_ERR_LEASE_LOST":
                raise LeaseLost(answer.get("message", "")) from None
            raise ApiError(error.code, code, answer.get("message", error.reason)) from None
        except (urllib.error.URLError, OSError) as error:
            raise ServerAway(str(error)) from None


class Job:
    """What a handler gets: the job's fields, progress reporting, and stop checks."""

    def __init__(self, worker, data):
        self._worker = worker
        self.data = data
        self.id = data["id"]
        self.queue = data["queue"]
        self.payload = data.get("payload")
        self.attempt = data["attempts"]
        self.token = data["leaseToken"]
        self.cancelled = threading.Event()
        self.lost = threading.Event()

    def should_stop(self):
        return self.cancelled.is_set() or self.lost.is_set() or self._worker.aborting.is_set()

    def check(self):
        """Raise Stopped when the job should stop (call it between steps)."""
        if self.should_stop():
            raise Stopped()

    def progress(self, percent, stage=None, message=None):
        try:
            answer = self._worker.write(self, "progress", {"percent": max(0, min(100, percent)), "stage": stage, "message": message})
            if answer and answer.get("cancelRequested"):
                self.cancelled.set()
        except LeaseLost:
            self.lost.set()

    def put_artifact(self, name, source, content_type="application/octet-stream"):
        """Stores a file the job made (docs/ARTIFACTS.md): `source` is bytes or a file path
        (streamed from disk, never read whole). Raises LeaseLost when the lease is gone."""
        path = (
            f"/workers/{urllib.parse.quote(self._worker.worker_id, safe='')}/jobs/"
            f"{urllib.parse.quote(self.id, safe='')}/artifacts/{urllib.parse.quote(name, safe='')}"
        )
        headers = {"x-lease-token": self.token, "content-type": content_type}
        if isinstance(source, (bytes, bytearray)):
            return self._worker.client.call("PUT", path, raw=bytes(source), headers=headers, timeout=600)
        with open(source, "rb") as file:
            headers["content-length"] = str(os.fstat(file.fileno()).st_size)
            return self._worker.client.call("PUT", path, raw=file, headers=headers, timeout=3600)


class Worker:
    def __init__(self, url, key, queues, handlers, concurrency=1, worker_id=None, grace_sec=10.0):
        self.client = Client(url, key)
        self.queues = queues
        self.handlers = handlers
        self.concurrency = concurrency
        self.worker_id = worker_id
        self.grace_sec = grace_sec
        self.stopping = threading.Event()
        # Set once the shutdown grace is over: running handlers should stop (their jobs are released).
        self.aborting = threading.Event()
        self.done = threading.Event()
        self.active = {}
        self.lock = threading.Lock()
        self.slot_free = threading.Condition(self.lock)
        self.ran_a_job = False
        self.lease_ms = 30000
        self.heartbeat_ms = 10000

    # -- protocol ---------------------------------------------------------------------

    def register(self):
        body = {"queues": self.queues, "concurrency": self.concurrency, "labels": {"language": "python"}}
        if self.worker_id:
            body["id"] = self.worker_id
        answer = self.client.call("POST", "/workers", body)
        self.worker_id = answer["worker"]["id"]
        self.lease_ms = answer["leaseMs"]
        self.heartbeat_ms = answer["heartbeatMs"]

    def state(self):
        if self.stopping.is_set():
            return "draining"
        if self.active:
            return "running"
        return "idle" if self.ran_a_job else "ready"

    def lease(self, count):
        body = {"max": count, "waitMs": 30000, "running": len(self.active), "state": "idle" if self.ran_a_job else "ready"}
        answer = self.client.call("POST", f"/workers/{self.worker_id}/lease", body, timeout=45)
        return answer["jobs"]

    def heartbeat(self):
        with self.lock:
            jobs = list(self.active.values())
        body = {"leases": [{"id": job.id, "token": job.token} for job in jobs], "running": len(jobs), "state": self.state()}
        answer = self.client.call("POST", f"/workers/{self.worker_id}/heartbeat", body)
        by_id = {job.id: job for job in jobs}
        for job_id in answer["cancel"]:
            if job_id in by_id:
                by_id[job_id].cancelled.set()
        for job_id in answer["lost"]:
            if job_id in by_id:
                by_id[job_id].lost.set()

    def write(self, job, action, body):
        """A job write, retried while the server is away until the lease would be over."""
        deadline = time.monotonic() + self.lease_ms / 1000
        delay = 0.2
        while True:
            try:
                return self.client.call("POST", f"/workers/{self.worker_id}/jobs/{job.id}/{action}", dict(body, token=job.token))
            except ServerAway:
                if time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 5)

    # -- running ----------------------------------------------------------------------

    def run_job(self, job):
        try:
            try:
                handler = self.handlers.get(job.queue)
                if handler is None:
                    raise Unrecoverable(f"no handler for queue {job.queue}")
                result = handler(job)
                outcome = ("complete", {"result": result})
            except Stopped:
                outcome = None
            except Unrecoverable as error:
                outcome = ("fail", {"message": str(error) or "Unrecoverable", "retryable": False})
            except Exception as error:  # noqa: BLE001 - any handler error fails the attempt
                outcome = ("fail", {"message": str(error) or type(error).__name__, "retryable": True, "stack": traceback.format_exc()})
            if job.lost.is_set():
                return
            if job.cancelled.is_set():
                outcome = ("fail", {"message": "Cancelled", "retryable": False})
            elif outcome is None:
                outcome = ("release", {})
            self.write(job, *outcome)
        except LeaseLost:
            pass
        except Exception as error:  # noqa: BLE001 - a worker thread must never die silently
            print(f"jobgate python worker: job {job.id}: {error}", file=sys.stderr, flush=True)
        finally:
            with self.lock:
                self.active.pop(job.id, None)
                self.ran_a_job = True
                self.slot_free.notify_all()

    def lease_loop(self):
        delay = 0.5
        while not self.stopping.is_set():
            with self.lock:
                while len(self.active) >= self.concurrency and not self.stopping.is_set():
                    self.slot_free.wait(0.5)
                free = self.concurrency - len(self.active)
            if self.stopping.is_set():
                break
            try:
                jobs = self.lease(free)
                delay = 0.5
            except ServerAway as error:
                print(f"jobgate python worker: server away ({error}); retrying in {delay:.1f} s", file=sys.stderr, flush=True)
                self.stopping.wait(delay + random.random() * delay)
                delay = min(delay * 2, 30)
                continue
            except ApiError as error:
                if error.code == "JOBGATE_ERR_WORKER_NOT_FOUND":
                    self.register()
                    continue
                raise
            for data in jobs:
                job = Job(self, data)
                with self.lock:
                    self.active[job.id] = job
                threading.Thread(target=self.run_job, args=(job,), daemon=True).start()

    def heartbeat_loop(self):
        while not self.done.wait(self.heartbeat_ms / 1000):
            try:
                self.heartbeat()
            except ApiError as error:
                if error.code == "JOBGATE_ERR_WORKER_NOT_FOUND":
                    self.register()
            except (ServerAway, LeaseLost) as error:
                print(f"jobgate python worker: heartbeat: {error}", file=sys.stderr, flush=True)

    def run(self):
        delay = 0.5
        while True:
            try:
                self.register()
                break
            except ServerAway as error:
                print(f"jobgate python worker: cannot register ({error}); retrying", file=sys.stderr, flush=True)
                if self.stopping.wait(delay):
                    return
                delay = min(delay * 2, 30)
        print(f"jobgate python worker {self.worker_id} ready for {', '.join(self.queues)}", flush=True)
        beat = threading.Thread(target=self.heartbeat_loop, daemon=True)
        beat.start()
        leasing = threading.Thread(target=self.lease_loop, daemon=True)
        leasing.start()
        self.stopping.wait()
        self.shutdown(leasing)

    def wait_for_jobs(self, seconds):
        deadline = time.monotonic() + seconds
        with self.lock:
            while self.active and time.monotonic() < deadline:
                self.slot_free.wait(0.1)

    def shutdown(self, leasing):
        try:
            self.heartbeat()  # state "draining": the server ends the pending lease request
        except Exception:  # noqa: BLE001 - best effort; the lease request times out anyway
            pass
        leasing.join(5)
        self.wait_for_jobs(self.grace_sec)
        # Past the grace: handlers that check their job stop, and their jobs are released.
        self.aborting.set()
        self.wait_for_jobs(2)
        with self.lock:
            left = list(self.active.values())
        for job in left:  # handlers that never checked: give their jobs back unrun
            job.lost.set()
            try:
                self.write(job, "release", {})
            except Exception:  # noqa: BLE001 - the lease expires and the reaper requeues it
                pass
        self.done.set()
        try:
            self.client.call("DELETE", f"/workers/{self.worker_id}", timeout=5)
        except Exception:  # noqa: BLE001
            pass


def run_from_env(handlers):
    """Runs a worker configured by the environment (JOBGATE_URL, JOBGATE_KEY, JOBGATE_QUEUES,
    JOBGATE_CONCURRENCY, JOBGATE_WORKER_ID, JOBGATE_GRACE_SEC) until SIGTERM or SIGINT."""
    url = os.environ.get("JOBGATE_URL", "http://127.0.0.1:8080")
    key = os.environ.get("JOBGATE_KEY")
    if not key:
        sys.exit("JOBGATE_KEY is required: a worker API key")
    queues = [q.strip() for q in os.environ.get("JOBGATE_QUEUES", ",".join(handlers)).split(",") if q.strip()]
    worker = Worker(
        url,
        key,
        queues,
        handlers,
        concurrency=int(os.environ.get("JOBGATE_CONCURRENCY", "1")),
        worker_id=os.environ.get("JOBGATE_WORKER_ID") or None,
        grace_sec=float(os.environ.get("JOBGATE_GRACE_SEC", "10")),
    )
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: worker.stopping.set())
    worker.run()
