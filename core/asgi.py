"""Django's ASGI handler with a bound on the requests one process runs at once (issue 18).

Django runs every HTTP request in a thread of its own (``ThreadSensitiveContext``): a burst of 250
simultaneous requests on one Daphne is 250 threads taking turns on one GIL. Each request then costs more
CPU (switches, cache misses), every one of them finishes late instead of most finishing early, and all of
them start — and pass any early check, such as the full-slot flag of ``scheduling.fast_refusal`` — before
the first has finished. ``HTTP_MAX_CONCURRENT_REQUESTS`` (default: the database pool's size, beyond which
requests would wait for a connection anyway) lets that many run the middleware and the view at once; the
others wait in the event loop (a few hundred bytes each), in arrival order. Reading the request body and
sending the response stay outside the bound (a slow client does not hold a place); WebSockets are not HTTP
requests and are not bounded.
"""

from __future__ import annotations

import asyncio
import weakref

from django.conf import settings
from django.core.handlers.asgi import ASGIHandler


class BoundedASGIHandler(ASGIHandler):
    def __init__(self):
        super().__init__()
        self._limit = settings.HTTP_MAX_CONCURRENT_REQUESTS
        # One bound per event loop (Daphne runs one; tests may call the application from several).
        self._semaphores: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    async def get_response_async(self, request):
        if not self._limit:
            return await super().get_response_async(request)
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = asyncio.Semaphore(self._limit)
        async with semaphore:
            return await super().get_response_async(request)
