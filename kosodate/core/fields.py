"""Encryption at rest for identifiers (住民票コード) and second-step secrets.

Hand-written on `cryptography`'s MultiFernet because the Django field libraries that did this
(django-fernet-fields, django-cryptography) are unmaintained; MultiFernet gives key rotation:
the first key in FIELD_ENCRYPTION_KEYS encrypts, every key decrypts, and `rotate()` re-encrypts.
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@cache
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet_for(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_str(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt_str(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # a key was removed before the data was rotated
        raise ValueError("Encrypted value cannot be decrypted with the configured keys") from exc


def rotate_str(token: str) -> str:
    return fernet().rotate(token.encode()).decode()


class EncryptedTextField(models.TextField):
    """Stores a string encrypted; reads it back decrypted. Not searchable or sortable, by design."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt_str(value)

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt_str(value)
