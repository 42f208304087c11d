"""Request signatures and message encryption of the WeChat Official Account protocol.

- signature     = sha1 of the sorted, concatenated [token, timestamp, nonce]           (every request)
- msg_signature = sha1 of the sorted, concatenated [token, timestamp, nonce, Encrypt]  (compatible/safe mode)
- Encrypt       = base64(AES-256-CBC(key, iv=key[:16],
                         PKCS#7-32(random16 | len(msg) as 4 bytes big-endian | msg | appid)))
  with key = base64decode(EncodingAESKey + "=").

WeChat pads to 32-byte blocks (Tencent's samples: block_size = 32). Unlike those samples, the padding is
checked strictly here: a wrong key or a tampered ciphertext is rejected instead of yielding garbage.
During a key rotation the previous EncodingAESKey is tried after the current one, and the reply is
encrypted with whichever key worked.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK_SIZE = 32
RANDOM_BYTES = 16


class CryptoError(ValueError):
    """A message that does not decrypt to a well-formed WeChat plaintext."""


class AppIdMismatch(CryptoError):
    """The message decrypted, but for another Official Account."""


def sha1_signature(*parts: str) -> str:
    """WeChat's signature: sha1 hex digest of the parts sorted lexicographically and concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def check_signature(signature: str | None, *parts: str) -> bool:
    """Constant-time comparison of a received signature with the expected one."""
    if not signature:
        return False
    return hmac.compare_digest(
        sha1_signature(*parts).encode("ascii"), signature.strip().lower().encode("ascii", "replace")
    )


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key of a 43-character EncodingAESKey."""
    if len(encoding_aes_key) != 43:
        raise ValueError("an EncodingAESKey has 43 characters")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as exc:
        raise ValueError("an EncodingAESKey is base64 (A-Z, a-z, 0-9, +, /)") from exc
    if len(key) != 32:
        raise ValueError("an EncodingAESKey decodes to 32 bytes")
    return key


def pkcs7_pad(data: bytes, block_size: int = BLOCK_SIZE) -> bytes:
    n = block_size - len(data) % block_size
    return data + bytes([n]) * n


def pkcs7_unpad(data: bytes, block_size: int = BLOCK_SIZE) -> bytes:
    """Remove PKCS#7 padding, checking the length, the pad value (1..block_size) and every pad byte."""
    if not data or len(data) % block_size:
        raise CryptoError("decrypted length is not a multiple of the padding block")
    n = data[-1]
    if not 1 <= n <= block_size or data[-n:] != bytes([n]) * n:
        raise CryptoError("bad padding")
    return data[:-n]


def _cipher(key: bytes) -> Cipher:
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


@dataclass(frozen=True)
class Decrypted:
    """A decrypted message and which key opened it (0 = current, 1 = previous)."""

    message: bytes
    key_index: int


class MessageCrypto:
    """Encryption and msg_signature of one Official Account (token, appid, current and previous key)."""

    def __init__(self, token: str, appid: str, encoding_aes_keys: Sequence[str]) -> None:
        if not encoding_aes_keys:
            raise ValueError("at least one EncodingAESKey is needed")
        self.token = token
        self.appid = appid
        self._keys = [aes_key(k) for k in encoding_aes_keys]

    def msg_signature(self, timestamp: str, nonce: str, encrypted: str) -> str:
        return sha1_signature(self.token, timestamp, nonce, encrypted)

    def check_msg_signature(
        self, signature: str | None, timestamp: str, nonce: str, encrypted: str
    ) -> bool:
        return check_signature(signature, self.token, timestamp, nonce, encrypted)

    def encrypt(self, message: str | bytes, key_index: int = 0, random: bytes | None = None) -> str:
        """Base64 ciphertext of `message` (random prefix from os.urandom unless given, e.g. by tests)."""
        body = message.encode("utf-8") if isinstance(message, str) else message
        prefix = os.urandom(RANDOM_BYTES) if random is None else random
        if len(prefix) != RANDOM_BYTES:
            raise ValueError("the random prefix has 16 bytes")
        plain = pkcs7_pad(prefix + struct.pack(">I", len(body)) + body + self.appid.encode("utf-8"))
        encryptor = _cipher(self._keys[key_index]).encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")

    def _decrypt_with(self, key: bytes, raw: bytes) -> bytes:
        decryptor = _cipher(key).decryptor()
        content = pkcs7_unpad(decryptor.update(raw) + decryptor.finalize())
        if len(content) < RANDOM_BYTES + 4:
            raise CryptoError("decrypted message too short")
        (length,) = struct.unpack(">I", content[RANDOM_BYTES : RANDOM_BYTES + 4])
        start = RANDOM_BYTES + 4
        if start + length > len(content):
            raise CryptoError("message length field exceeds the decrypted data")
        message, appid = content[start : start + length], content[start + length :]
        if not hmac.compare_digest(appid, self.appid.encode("utf-8")):
            raise AppIdMismatch("the message is for another appid")
        return message

    def decrypt(self, encrypted: str) -> Decrypted:
        """Decrypt with the current key, else the previous one; strict padding and appid check."""
        try:
            raw = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CryptoError("Encrypt is not base64") from exc
        if not raw or len(raw) % 16:
            raise CryptoError("ciphertext length is not a multiple of the AES block")
        errors: list[CryptoError] = []
        for index, key in enumerate(self._keys):
            try:
                return Decrypted(self._decrypt_with(key, raw), index)
            except CryptoError as exc:
                errors.append(exc)
        # An appid mismatch is the more telling error (the key was right, the account was not).
        raise next((e for e in errors if isinstance(e, AppIdMismatch)), errors[0])

    def verify_and_decrypt(
        self, msg_signature: str | None, timestamp: str, nonce: str, encrypted: str
    ) -> Decrypted:
        """Check msg_signature over the ciphertext first (authenticates the body), then decrypt."""
        if not self.check_msg_signature(msg_signature, timestamp, nonce, encrypted):
            raise CryptoError("bad msg_signature")
        return self.decrypt(encrypted)
