#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""One QMP command to a running QEMU, optionally waiting for an event.

    qmp.py SOCKET COMMAND [JSON-ARGUMENTS] [--wait-event NAME] [--timeout S]

Prints QEMU's reply; exits 0 if the command returned without error (and
the event arrived in time), 1 otherwise.
"""
import json
import socket
import sys
import time


def main():
    args = sys.argv[1:]
    wait_event, timeout = None, 60.0
    if "--wait-event" in args:
        i = args.index("--wait-event")
        wait_event = args[i + 1]
        del args[i:i + 2]
    if "--timeout" in args:
        i = args.index("--timeout")
        timeout = float(args[i + 1])
        del args[i:i + 2]
    if len(args) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    path, command = args[0], args[1]
    arguments = json.loads(args[2]) if len(args) == 3 else {}

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.connect(path)
    stream = sock.makefile("rw")

    def send(obj):
        stream.write(json.dumps(obj) + "\n")
        stream.flush()

    def receive():
        line = stream.readline()
        if not line:
            raise EOFError("QEMU closed the monitor")
        return json.loads(line)

    receive()  # the greeting
    send({"execute": "qmp_capabilities"})
    while "return" not in receive():
        pass
    send({"execute": command, "arguments": arguments})
    events = []
    while True:
        msg = receive()
        if "event" in msg:
            events.append(msg)
            continue
        print(json.dumps(msg))
        if "error" in msg:
            return 1
        break
    if not wait_event:
        return 0
    deadline = time.monotonic() + timeout
    if any(e["event"] == wait_event for e in events):
        return 0
    while time.monotonic() < deadline:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            msg = receive()
        except (socket.timeout, EOFError):
            break
        if msg.get("event") == wait_event:
            print(json.dumps(msg))
            return 0
    print(f"no {wait_event} event within {timeout} s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
