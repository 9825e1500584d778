"""Server-Sent Events, as the job event stream sends them (id, event, data lines)."""

import json


def parse_sse(lines):
    """Yields {"id", "event", "data"} per message from an iterable of decoded lines.

    `data` is the JSON-decoded payload; comment lines (keep-alives) are skipped.
    """
    message = {"id": None, "event": "message", "data": []}
    for raw in lines:
        line = raw.rstrip("\r\n")
        if line == "":
            if message["data"]:
                text = "\n".join(message["data"])
                yield {"id": message["id"], "event": message["event"], "data": json.loads(text)}
            message = {"id": message["id"], "event": "message", "data": []}
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "data":
            message["data"].append(value)
        elif field == "id":
            message["id"] = value
        elif field == "event":
            message["event"] = value
