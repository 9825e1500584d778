"""The client against a live server: JOBGATE_URL and JOBGATE_KEY (a tenant key), with a
`demo` queue whose handler runs {"ms", "stages", "fail"} payloads (Jobgate's demo handler).

    JOBGATE_URL=http://127.0.0.1:8080 JOBGATE_KEY=jg_... python3 -m unittest discover -s clients/python
"""

import os
import unittest

from jobgate import ApiError, Client, is_not_found, parse_sse

URL = os.environ.get("JOBGATE_URL", "http://127.0.0.1:8080")
KEY = os.environ.get("JOBGATE_KEY")


class SseTest(unittest.TestCase):
    def test_parses_messages_and_skips_keep_alives(self):
        lines = [": keep-alive", "", "id: 1", 'data: {"kind":"snapshot"}', "", "id: 2", 'data: {"kind":"queued"}', ""]
        messages = list(parse_sse(lines))
        self.assertEqual([m["id"] for m in messages], ["1", "2"])
        self.assertEqual(messages[1]["data"], {"kind": "queued"})


@unittest.skipIf(KEY is None, "JOBGATE_KEY is not set: the live cases need a server")
class LiveTest(unittest.TestCase):
    def setUp(self):
        self.client = Client(URL, key=KEY)

    def test_submit_get_and_wait_with_progress(self):
        job = self.client.submit("demo", {"ms": 300, "stages": ["load", "render"]})
        self.assertIn(job["status"], ("queued", "running", "scheduled"))
        self.assertIn("usage", job)
        seen = []
        done = self.client.wait(job["id"], timeout=20, on_event=seen.append)
        self.assertEqual(done["status"], "completed")
        self.assertEqual(seen[0]["kind"], "snapshot")
        self.assertTrue(any(e["kind"] == "progress" for e in seen), seen)
        self.assertEqual(self.client.get(job["id"])["id"], job["id"])

    def test_idempotency_key_answers_the_same_job(self):
        first = self.client.submit("demo", {"ms": 10}, idempotency_key="py-client-once")
        again = self.client.submit("demo", {"ms": 10}, idempotency_key="py-client-once")
        self.assertEqual(first["id"], again["id"])

    def test_list_pages_and_iterates(self):
        ids = {self.client.submit("demo", {"ms": 1}, type="listed")["id"] for _ in range(5)}
        page = self.client.list(type="listed", limit=2)
        self.assertEqual(len(page["items"]), 2)
        self.assertTrue(page["nextCursor"])
        listed = {job["id"] for job in self.client.iter_jobs(type="listed", limit=2)}
        self.assertTrue(ids <= listed)

    def test_cancel_then_retry(self):
        job = self.client.submit("demo", {"ms": 60000})
        self.client.cancel(job["id"])
        cancelled = self.client.wait(job["id"], timeout=20)
        self.assertEqual(cancelled["status"], "cancelled")
        retried = self.client.retry(job["id"])
        self.assertIn(retried["status"], ("queued", "running"))
        self.client.cancel(job["id"])

    def test_failed_job_carries_its_error(self):
        job = self.client.submit("demo", {"ms": 10, "fail": True}, maxAttempts=1)
        done = self.client.wait(job["id"], timeout=20)
        self.assertEqual(done["status"], "failed")
        self.assertTrue(done["error"]["message"])

    def test_errors_are_typed(self):
        with self.assertRaises(ApiError) as caught:
            self.client.get("no-such-job")
        self.assertTrue(is_not_found(caught.exception))
        self.assertEqual(caught.exception.code, "JOBGATE_ERR_JOB_NOT_FOUND")
        with self.assertRaises(ApiError) as bad:
            self.client.submit("demo", priority=99)
        self.assertEqual(bad.exception.status, 400)

    def test_unreachable_server_is_status_zero(self):
        with self.assertRaises(ApiError) as caught:
            Client("http://127.0.0.1:9", key=KEY, timeout=2).get("x")
        self.assertEqual(caught.exception.status, 0)


if __name__ == "__main__":
    unittest.main()
