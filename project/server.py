"""The Daphne command line with one shutdown fix; run it as ``python -m project.server`` with Daphne's own
arguments (the Procfile, the tests and the benchmarks do).

Daphne 4.2 cancels every application when the server stops (SIGTERM on a deploy), in a "before shutdown"
trigger, ``Server.kill_all_applications``. That trigger reads ``details["application_instance"]`` of every
connection, but the HTTP request that upgraded to a WebSocket stays in the connection table, without an
application, for up to a second after the upgrade. A SIGTERM in that second raises ``KeyError``: the trigger
fails, no application is cancelled, and the process exits without any room consumer recording its
participant's drop (``tests/test_room_integration.py``, shutdown test). With thousands of sockets, an
upgrade in the last second before a deploy is the rule, not the exception.
"""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import signal
import sys

import daphne.cli
from daphne.cli import CommandLineInterface
from daphne.server import Server
from twisted.internet import defer

from core.logsafety import RedactingAccessLogGenerator

# The access log never carries a join link's token or a phone number (issue 13): Daphne's CLI builds its
# AccessLogGenerator by this module-level name.
daphne.cli.AccessLogGenerator = RedactingAccessLogGenerator

logger = logging.getLogger("daphne.server")


class ReceptionServer(Server):
    def kill_all_applications(self):
        """As Daphne's, skipping connections that have no application (yet, or any more)."""
        wait_for = []
        for details in list(self.connections.values()):
            application_instance = details.get("application_instance")
            if application_instance is not None and not application_instance.done():
                application_instance.cancel()
                wait_for.append(application_instance)
        logger.info("Killed %i pending application instances", len(wait_for))
        wait_deferred = defer.Deferred.fromFuture(asyncio.gather(*wait_for))
        wait_deferred.addErrback(lambda _failure: None)
        return wait_deferred


class ReceptionCommandLine(CommandLineInterface):
    server_class = ReceptionServer


def dump_stacks(_signum=None, _frame=None) -> None:
    """Every thread's stack and every pending asyncio task's, to stderr (the server's log)."""
    faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
    try:
        tasks = asyncio.all_tasks(asyncio.get_event_loop())
    except RuntimeError:
        tasks = set()
    for task in tasks:
        print(f"--- {task!r}", file=sys.stderr)
        awaited = task.get_coro()
        while awaited is not None:  # the whole chain of awaits, not only the task's own frame
            frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
            if frame is not None:
                print(f"  {frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}", file=sys.stderr)
            awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    sys.stderr.flush()


def main() -> None:
    # ``kill -USR1 <pid>`` prints every thread's and task's stack to the log: how to see why a server does not
    # stop.
    signal.signal(signal.SIGUSR1, dump_stacks)
    ReceptionCommandLine.entrypoint()


if __name__ == "__main__":
    main()
