"""`python -m bench.recording_stack`: the local stack (`python -m local`, same arguments and settings) with a
call recorder that a benchmark switches on and off, to learn which AWS calls a request makes.

The benchmark names a Unix socket in RECORDER_SOCKET. A connection that sends `start` installs a
CallRecorder (bench/aws_calls.py) in the stack's process; one that sends `stop` uninstalls it and gets back,
as one line of JSON, every call the process made in between. While it is off nothing in the process is
changed, so a benchmark can time the same process. What the stack's own threads do for no request is not
recorded: its scheduled jobs (the stale-pending sweep and the TTL emulation, threads of local/__main__.py), the
pollers of the TEST outcomes and webhook queues (local/aws/event_sources.py) and the readers of the table's
stream (local/aws/table_stream.py), which stand in for Lambda's event source mappings and work on their own
time, after the request that caused their work has been answered.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.aws_calls import ApiCall, CallRecorder
from local.config import Settings
from local.launcher import LocalStackProcess, running_stack
from local.manifest import load_manifest

RECORDER_SOCKET = "RECORDER_SOCKET"


def background_threads(settings: Settings) -> frozenset[str]:
    """The names of a local stack's threads that never work for a request: local/__main__.py's schedules
    (on_schedule), the SQS event sources' pollers of the TEST outcomes and webhook queues, named after their
    queues, the table stream's event source mappings, and the functions those feed, the stream's (the event
    publisher) and the webhook sender, whose runs' pools are named after them (local/stack.py). In AWS these
    work apart from the request that caused their work, so none of their calls is a request's."""
    pollers = {f"sqs-{url.rsplit('/', 1)[-1]}" for url in (settings.test_outcomes_queue_url, settings.webhook_queue_url)}
    stream_functions = {f"{settings.stage}-{handler.name}" for handler in load_manifest().handlers_triggered_by("tableStream")}
    stream_readers = {f"stream-{function}" for function in stream_functions}
    return frozenset({"stale-pending", "ttl", *pollers, *stream_readers, *stream_functions, f"{settings.stage}-webhooks"})


def listen(path: str) -> socket.socket:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen()
    return listener


def serve(listener: socket.socket) -> None:
    """Answer `start` and `stop`, one command per connection."""
    skipped = background_threads(Settings())
    recorder: CallRecorder | None = None
    while True:
        connection, _ = listener.accept()
        with connection, connection.makefile("rwb") as stream:
            command = stream.readline().strip()
            if command == b"start" and recorder is None:
                recorder = CallRecorder(skip_threads=skipped)
                recorder.install()
                answer = b"recording"
            elif command == b"stop" and recorder is not None:
                recorder.uninstall()
                answer = json.dumps([call.as_dict() for call in recorder.calls()]).encode()
                recorder = None
            else:
                answer = f"error: unexpected {command!r}".encode()
            stream.write(answer + b"\n")
            stream.flush()


class RecorderControl:
    """The benchmark's side of the socket."""

    def __init__(self, path: str) -> None:
        self.path = path

    def _ask(self, command: str) -> bytes:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(30)
            connection.connect(self.path)
            with connection.makefile("rwb") as stream:
                stream.write(command.encode() + b"\n")
                stream.flush()
                return stream.readline().strip()

    @contextmanager
    def recording(self) -> Iterator[list[ApiCall]]:
        """The calls the stack's process makes inside the block, once the block is done."""
        answer = self._ask("start")
        if answer != b"recording":
            raise RuntimeError(f"the recorder did not start: {answer!r}")
        calls: list[ApiCall] = []
        try:
            yield calls
        finally:
            answer = self._ask("stop")
            if answer.startswith(b"error"):
                raise RuntimeError(f"the recorder did not stop: {answer!r}")
            calls.extend(ApiCall.from_dict(call) for call in json.loads(answer))


@contextmanager
def recording_stack(api_key: str, env: dict[str, str] | None = None) -> Iterator[tuple[LocalStackProcess, RecorderControl]]:
    """A local stack started as local/launcher.py starts one, with a recorder the caller controls."""
    with tempfile.TemporaryDirectory(prefix="recorder-") as folder:
        path = str(Path(folder) / "socket")
        with running_stack(api_key, {**(env or {}), RECORDER_SOCKET: path}, module="bench.recording_stack") as stack:
            yield stack, RecorderControl(path)


def main(argv: list[str]) -> int:
    from local.__main__ import main as run_local_stack

    # Listening before the stack starts: by its banner, the benchmark may connect.
    listener = listen(os.environ[RECORDER_SOCKET])
    threading.Thread(target=serve, args=(listener,), daemon=True, name="call-recorder").start()
    return run_local_stack(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
