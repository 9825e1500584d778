"""The Jobgate HTTP API from Python (urllib only). Every non-2xx answer raises ApiError."""

import json
import time
import urllib.error
import urllib.parse
import urllib.request

from .errors import ApiError
from .sse import parse_sse

TERMINAL = ("completed", "failed", "cancelled")


def _quote(value):
    return urllib.parse.quote(str(value), safe="")


class Client:
    """A client for one server and one API key (tenant or admin)."""

    def __init__(self, url, key=None, timeout=30):
        self.url = url.rstrip("/")
        self.key = key
        self.timeout = timeout

    # ---- transport -------------------------------------------------------------------

    def _open(self, method, path, body=None, headers=None, timeout=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("accept", "application/json")
        if self.key:
            request.add_header("authorization", "Bearer " + self.key)
        if data is not None:
            request.add_header("content-type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            return urllib.request.urlopen(request, timeout=timeout or self.timeout)
        except urllib.error.HTTPError as error:
            raise _api_error(error) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ApiError(0, "JOBGATE_ERR_NETWORK", f"Cannot reach {self.url}: {reason}") from None

    def request(self, method, path, body=None, headers=None, timeout=None):
        """One API call; answers the decoded JSON body (None when empty)."""
        with self._open(method, path, body, headers, timeout) as response:
            text = response.read()
            return json.loads(text) if text else None

    # ---- jobs --------------------------------------------------------------------------

    def submit(self, queue, payload=None, idempotency_key=None, wait=None, **fields):
        """Submits a job; `fields` are the other submit fields in the API's camelCase
        (priority, delayMs, runAt, maxAttempts, timeoutMs, projectId, type, ...).
        `wait` (seconds) holds the call until the job ends, when the server supports it."""
        body = {"queue": queue, **fields}
        if payload is not None:
            body["payload"] = payload
        headers = {"idempotency-key": idempotency_key} if idempotency_key else None
        path = "/api/v1/jobs" + (f"?wait={int(wait)}" if wait else "")
        return self.request("POST", path, body, headers, timeout=(wait or 0) + self.timeout)

    def submit_batch(self, jobs):
        return self.request("POST", "/api/v1/jobs/batch", {"jobs": jobs})

    def get(self, job_id):
        return self.request("GET", f"/api/v1/jobs/{_quote(job_id)}")

    def list(self, **query):
        """One page: {items, nextCursor}. Filters: status, queue, type, owner, limit, cursor."""
        params = {k: v for k, v in query.items() if v is not None}
        qs = urllib.parse.urlencode(params)
        return self.request("GET", "/api/v1/jobs" + (f"?{qs}" if qs else ""))

    def iter_jobs(self, **query):
        """Every job matching the filters, page after page."""
        cursor = None
        while True:
            page = self.list(**query, cursor=cursor)
            yield from page["items"]
            cursor = page.get("nextCursor")
            if not cursor:
                return

    def cancel(self, job_id):
        return self.request("POST", f"/api/v1/jobs/{_quote(job_id)}/cancel")

    def retry(self, job_id):
        return self.request("POST", f"/api/v1/jobs/{_quote(job_id)}/retry")

    def confirm(self, job_id):
        return self.request("POST", f"/api/v1/jobs/{_quote(job_id)}/confirm")

    def usage(self):
        return self.request("GET", "/api/v1/usage")

    # ---- following a job ---------------------------------------------------------------

    def events(self, job_id, last_event_id=None, timeout=None):
        """The job's live events (Server-Sent Events) as dicts, ending after its final one.

        The first is its current state (kind `snapshot`). A dropped stream is resumed from
        the last event id it delivered."""
        last = last_event_id
        while True:
            headers = {"accept": "text/event-stream"}
            if last:
                headers["last-event-id"] = last
            try:
                with self._open("GET", f"/api/v1/jobs/{_quote(job_id)}/events", None, headers, timeout) as response:
                    lines = (raw.decode("utf-8") for raw in response)
                    for message in parse_sse(lines):
                        last = message["id"] or last
                        event = message["data"]
                        yield event
                        if _final(event):
                            return
            except ApiError as error:
                if error.status in (0, 502, 503, 504):
                    time.sleep(0.5)
                    continue
                raise
            except (OSError, ValueError):
                time.sleep(0.2)
                continue

    def wait(self, job_id, timeout=None, on_event=None):
        """Follows the job until it ends and answers it as `get` does (result or error).

        `on_event` sees every event on the way (progress, stages, transitions)."""
        deadline = time.monotonic() + timeout if timeout else None
        for event in self.events(job_id, timeout=timeout):
            if on_event:
                on_event(event)
            if deadline and time.monotonic() > deadline:
                raise ApiError(0, "JOBGATE_ERR_NETWORK", f"Timed out waiting for job {job_id}")
        return self.get(job_id)

    # ---- artifacts ---------------------------------------------------------------------

    def artifacts(self, job_id):
        """The job's artifacts: {items: [{name, size, contentType, sha256, createdAt, url}]}."""
        return self.request("GET", f"/api/v1/jobs/{_quote(job_id)}/artifacts")

    def download(self, job_id, name, path):
        """Streams one artifact to a file; answers the bytes written."""
        written = 0
        with self._open("GET", f"/api/v1/jobs/{_quote(job_id)}/artifacts/{_quote(name)}") as response:
            with open(path, "wb") as out:
                while True:
                    chunk = response.read(64 * 1024)
                    if not chunk:
                        return written
                    out.write(chunk)
                    written += len(chunk)

    # ---- queues ------------------------------------------------------------------------

    def queues(self):
        return self.request("GET", "/api/v1/queues")

    def queue_status(self, queue):
        return self.request("GET", f"/api/v1/queues/{_quote(queue)}/status")


def _final(event):
    return event.get("kind") == "removed" or event.get("status") in TERMINAL


def _api_error(error):
    try:
        body = json.loads(error.read() or b"{}").get("error", {})
    except ValueError:
        body = {}
    retry_after = error.headers.get("retry-after") if error.headers else None
    return ApiError(
        error.code,
        body.get("code", "JOBGATE_ERR_HTTP"),
        body.get("message", str(error.reason)),
        body.get("details"),
        float(retry_after) if retry_after and retry_after.replace(".", "", 1).isdigit() else None,
    )
