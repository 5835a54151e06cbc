"""Issue 18, back-pressure over HTTP: a request that finds its process's database connection pool
exhausted (every connection busy for longer than DB_POOL_TIMEOUT, as in the registration burst) gets a typed
503 ``busy`` with Retry-After, never a 500."""

import pytest
from django.db import OperationalError, connection
from psycopg_pool import ConnectionPool, PoolTimeout

from core.api import exception_handler


def _real_pool_timeout() -> PoolTimeout:
    """A real exhausted pool: one connection, held, and a second request that times out."""
    params = connection.get_connection_params()
    conninfo = " ".join(f"{k}={v}" for k, v in params.items()
                        if k in ("dbname", "user", "host", "port", "password") and v)
    with ConnectionPool(conninfo, min_size=1, max_size=1, timeout=0.2, open=True) as pool:
        with pool.connection():
            try:
                with pool.connection():
                    pass
            except PoolTimeout as exc:
                return exc
    raise AssertionError("the pool did not time out")


@pytest.mark.django_db
def test_an_exhausted_connection_pool_is_a_typed_busy_503():
    timeout = _real_pool_timeout()
    try:
        raise OperationalError(str(timeout)) from timeout  # how Django's wrapper re-raises it
    except OperationalError as wrapped:
        response = exception_handler(wrapped, {})
    assert response.status_code == 503
    assert response.data["error"]["type"] == "busy" and response.data["error"]["message"]
    assert response["Retry-After"] == "2"
    # Other database errors stay what they were (not disguised as overload).
    assert exception_handler(OperationalError("something else"), {}) is None
