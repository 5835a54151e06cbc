"""``manage.py media_worker``: run one media worker (aiortc SFU) until SIGTERM/SIGINT."""

import asyncio
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from media.worker import MediaWorker


class Command(BaseCommand):
    help = "Run a media worker: the aiortc SFU of the rooms it claims (needs REDIS_URL)."

    def add_arguments(self, parser):
        parser.add_argument("--id", default=None, help="worker id (default: host-pid)")
        parser.add_argument("--relay", choices=("forward", "relay"), default=None,
                            help="forward encoded frames (default, MEDIA_RELAY) or decode/re-encode (benchmark)")

    def handle(self, *args, **options):
        if not settings.REDIS_URL:
            raise CommandError("The media worker needs REDIS_URL: rooms are assigned and signalled through Redis.")
        if settings.MEDIA_EVENT_LOOP == "uvloop":
            import uvloop

            uvloop.run(self._run(options["id"], options["relay"]))
        else:
            asyncio.run(self._run(options["id"], options["relay"]))

    async def _run(self, worker_id, relay=None):
        from media import network

        worker = MediaWorker(worker_id, relay)
        loop = asyncio.get_running_loop()
        network.apply(loop, settings.MEDIA_BIND_ADDRESSES, settings.MEDIA_UDP_PORT_MIN, settings.MEDIA_UDP_PORT_MAX)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.stop)
        await worker.run()
