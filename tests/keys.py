"""A GitHub App private key for the tests: what GitHub hands out (RSA 2048), as PEM text."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def rsa_pem() -> str:
    """A new RSA private key, PKCS#8 PEM, unencrypted (as the apps' inputs take it)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()
