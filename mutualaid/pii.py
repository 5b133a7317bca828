"""Personal data at rest: resident ID numbers, phone numbers (and later diagnoses).

Values are encrypted with AES-256-GCM under a key from the environment, never the database.
Each ciphertext starts with the id of its key, so keys can rotate without downtime: new values
use the first key of PII_ENCRYPTION_KEYS, old ones decrypt with whichever key wrote them until
re-encrypted. Exact lookups (the province-wide duplicate check, member search) go through a
keyed hash, the "blind index", under PII_INDEX_KEY, so the database can match a number without
ever holding it.

In DEBUG and in the tests the keys are derived from SECRET_KEY so that the demo needs no setup;
production refuses to start without them (see settings).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

VERSION = 1
NONCE_BYTES = 12
INDEX_BYTES = 16


@lru_cache(maxsize=1)
def _keys() -> tuple[int, dict[int, AESGCM]]:
    """(current key id, every key by id) from 'id:base64key,id:base64key' (current first)."""
    spec = settings.PII_ENCRYPTION_KEYS
    keys: dict[int, AESGCM] = {}
    current = -1
    for item in spec.split(","):
        key_id, _, material = item.strip().partition(":")
        raw = base64.urlsafe_b64decode(material + "=" * (-len(material) % 4))
        if len(raw) != 32 or not key_id.isdigit() or not 0 <= int(key_id) < 256:
            raise ImproperlyConfigured("PII_ENCRYPTION_KEYS: each item is '<0-255>:<32 bytes in base64>'.")
        keys[int(key_id)] = AESGCM(raw)
        if current < 0:
            current = int(key_id)
    return current, keys


@lru_cache(maxsize=1)
def _index_key() -> bytes:
    material = settings.PII_INDEX_KEY
    return base64.urlsafe_b64decode(material + "=" * (-len(material) % 4))


def encrypt(value: str) -> bytes:
    key_id, keys = _keys()
    nonce = os.urandom(NONCE_BYTES)
    return bytes((VERSION, key_id)) + nonce + keys[key_id].encrypt(nonce, value.encode(), None)


def decrypt(blob: bytes | memoryview) -> str:
    data = bytes(blob)
    if not data:  # anonymised when its retention period ended (mutualaid/retention.py)
        return ""
    if data[0] != VERSION:
        raise ValueError("unknown ciphertext version")
    _, keys = _keys()
    nonce = data[2 : 2 + NONCE_BYTES]
    return keys[data[1]].decrypt(nonce, data[2 + NONCE_BYTES :], None).decode()


def encrypt_bytes(data: bytes) -> bytes:
    """For files holding personal data (uploaded member lists, card PDFs): same scheme, bytes in."""
    key_id, keys = _keys()
    nonce = os.urandom(NONCE_BYTES)
    return bytes((VERSION, key_id)) + nonce + keys[key_id].encrypt(nonce, data, None)


def decrypt_bytes(blob: bytes) -> bytes:
    if blob[:1] != bytes((VERSION,)):
        raise ValueError("unknown ciphertext version")
    _, keys = _keys()
    return keys[blob[1]].decrypt(blob[2 : 2 + NONCE_BYTES], blob[2 + NONCE_BYTES :], None)


def current_key_id() -> int:
    """The key new values are written with (the first of PII_ENCRYPTION_KEYS)."""
    return _keys()[0]


def key_id_of(blob: bytes | memoryview) -> int:
    return bytes(blob)[1]


def blind_index(value: str) -> bytes:
    """The keyed hash used to find a value without decrypting anything."""
    return hmac.new(_index_key(), value.encode(), hashlib.sha256).digest()[:INDEX_BYTES]


def phone_tail_index(number: str) -> bytes | None:
    """The blind index of a phone number's last four digits (None without four digits): what a
    member search by "the last digits of the phone" compares, with nothing of the number in clear."""
    digits = "".join(c for c in number if c.isascii() and c.isdigit())
    return blind_index("phone-tail:" + digits[-4:]) if len(digits) >= 4 else None


def mask_id(number: str) -> str:
    """4401**********123X: enough to tell people apart on a list, not enough to misuse."""
    if len(number) < 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_phone(number: str) -> str:
    digits = number.replace("-", "")
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 7 else "*" * len(digits)


def derive_development_keys(secret_key: str) -> tuple[str, str]:
    """Keys for DEBUG and tests only, derived from SECRET_KEY."""
    enc = hashlib.sha256(b"pii-encryption:" + secret_key.encode()).digest()
    idx = hashlib.sha256(b"pii-index:" + secret_key.encode()).digest()
    return "1:" + base64.urlsafe_b64encode(enc).decode(), base64.urlsafe_b64encode(idx).decode()


# Where personal data is encrypted at rest, for `manage.py reencrypt_pii`: the app that owns a
# model registers its encrypted columns and files when it loads, so this module names no app.
ENCRYPTED_COLUMNS: dict[str, tuple[str, ...]] = {}
ENCRYPTED_FILES: list[str] = []


def register_encrypted(model_label: str, *, columns: tuple[str, ...] = (), file: bool = False) -> None:
    """Declare that `model_label` (app_label.ModelName) holds ciphertexts in `columns`, and with
    `file`, an encrypted file in its `file` field."""
    if columns:
        ENCRYPTED_COLUMNS[model_label] = columns
    if file and model_label not in ENCRYPTED_FILES:
        ENCRYPTED_FILES.append(model_label)
