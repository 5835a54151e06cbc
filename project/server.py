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
import logging

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


def main() -> None:
    ReceptionCommandLine.entrypoint()


if __name__ == "__main__":
    main()
