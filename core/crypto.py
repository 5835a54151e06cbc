"""Encryption of personal data at rest (``cryptography``'s Fernet), with key rotation.

``settings.FIELD_ENCRYPTION_KEYS`` is a list of Fernet keys: the first encrypts, every key decrypts, so a
new key can be put first and ``manage.py rotate_field_keys`` re-encrypts the rows. Without configured keys
(development) a key is generated once in ``var/``. Lookups on encrypted values use a keyed hash
(:func:`blind_index`), never the plaintext.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "fernet:"


def _dev_key_file(name: str) -> bytes:
    path = settings.VAR_DIR / name
    if not path.exists():
        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
    return path.read_bytes().strip()


@functools.cache
def _fernet() -> MultiFernet:
    keys = list(settings.FIELD_ENCRYPTION_KEYS) or [_dev_key_file("field_encryption_key").decode()]
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be url-safe base64 Fernet keys") from exc


def reset_keys_cache() -> None:
    _fernet.cache_clear()
    _index_key.cache_clear()


def encrypt(plaintext: str) -> str:
    return PREFIX + _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    if not token.startswith(PREFIX):
        raise ValueError("value is not an encrypted token")
    try:
        return _fernet().decrypt(token[len(PREFIX):].encode()).decode()
    except InvalidToken as exc:
        raise ValueError("no configured key decrypts this value") from exc


def rotate(token: str) -> str:
    return PREFIX + _fernet().rotate(token[len(PREFIX):].encode()).decode()


@functools.cache
def _index_key() -> bytes:
    configured = getattr(settings, "FIELD_INDEX_KEY", "")
    return configured.encode() if configured else _dev_key_file("field_index_key")


def blind_index(value: str) -> str:
    """A keyed hash of a normalised value, for equality lookups without storing the plaintext."""
    normalised = "".join(value.split()).upper()
    return hmac.new(_index_key(), normalised.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """Stores ``fernet:<token>``; Python code sees the plaintext. Not searchable: pair it with a
    ``blind_index`` column where lookups are needed."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)


class EncryptedJSONField(EncryptedTextField):
    """JSON data (lists, dicts) stored as ``fernet:<token>`` of its JSON text; Python code sees the data.
    For structured personal data, e.g. the list of documents a denouncer handed over (their titles name
    people). Not queryable by content."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", list)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return json.loads(decrypt(value))

    def to_python(self, value):
        if isinstance(value, str) and value.startswith(PREFIX):
            return json.loads(decrypt(value))
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        return encrypt(json.dumps(value, ensure_ascii=False, sort_keys=True))

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), ensure_ascii=False)
