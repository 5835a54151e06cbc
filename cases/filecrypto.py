"""Encryption of file bytes at rest with the same keys as ``core.crypto`` (FIELD_ENCRYPTION_KEYS): the first
key encrypts, every key decrypts, ``rotate_bytes`` re-encrypts with the first key
(``manage.py rotate_case_files``). Stored form: ``b"fernet:" + token``."""

from __future__ import annotations

from core import crypto

PREFIX = b"fernet:"


def encrypt_bytes(data: bytes) -> bytes:
    return PREFIX + crypto._fernet().encrypt(bytes(data))


def is_encrypted(blob: bytes) -> bool:
    return blob.startswith(PREFIX)


def decrypt_bytes(blob: bytes) -> bytes:
    if not is_encrypted(blob):
        raise ValueError("value is not an encrypted file")
    try:
        return crypto._fernet().decrypt(blob[len(PREFIX):])
    except crypto.InvalidToken as exc:
        raise ValueError("no configured key decrypts this file") from exc


def rotate_bytes(blob: bytes) -> bytes:
    if not is_encrypted(blob):
        raise ValueError("value is not an encrypted file")
    return PREFIX + crypto._fernet().rotate(blob[len(PREFIX):])
