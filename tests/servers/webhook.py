#!/usr/bin/env python3
"""A webhook receiver for the notification tests: records every POST it receives, as one JSON
line (path, Idempotency-Key, body) in the file named by its first argument, and prints the port it
listens on (127.0.0.1, chosen by the system) as its first line of output.

How it answers is read from files beside the record, so a test can change it between runs:
RECORD.status holds the HTTP status to answer (200 by default); RECORD.refuse holds an event name
(`escalated`), and a notification of that event is answered 503; while RECORD.hang exists, a
request is recorded and then never answered, as a server that stops in the middle does.
"""
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RECORD = sys.argv[1]


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8")
        entry = {
            "path": self.path,
            "idempotency_key": self.headers.get("Idempotency-Key"),
            "content_type": self.headers.get("Content-Type"),
            "body": json.loads(body),
        }
        with open(RECORD, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())
        while os.path.exists(RECORD + ".hang"):
            time.sleep(0.05)
        status = 200
        if os.path.exists(RECORD + ".status"):
            with open(RECORD + ".status", encoding="utf-8") as f:
                status = int(f.read().strip())
        if os.path.exists(RECORD + ".refuse"):
            with open(RECORD + ".refuse", encoding="utf-8") as f:
                if entry["body"].get("event") == f.read().strip():
                    status = 503
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"receiver says no")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the sender was stopped while it waited: what a test of that expects

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
