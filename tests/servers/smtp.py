#!/usr/bin/env python3
"""An SMTP server for the notification tests (aiosmtpd, which `.ci/peers` installs): records every
message it accepts as one JSON line (envelope sender, recipients, the message's text) in the file
named by its first argument, and prints the port it listens on (127.0.0.1) as its first line.
"""
import json
import socket
import sys
import time

from aiosmtpd.controller import Controller

RECORD = sys.argv[1]


class Recorder:
    async def handle_DATA(self, server, session, envelope):
        entry = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "message": envelope.content.decode("utf-8", "replace"),
        }
        with open(RECORD, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


port = free_port()
controller = Controller(Recorder(), hostname="127.0.0.1", port=port)
controller.start()
print(port, flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
