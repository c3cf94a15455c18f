"""LocalNodeTls: a private CA, alive for one server run, for the embedded farm's own nodes over mTLS.

With TLS on, the local nodes cannot use the operator's certificates: the server certificate may name
a host other than 127.0.0.1, and the operator's client CA key is not the server's to hold. So the
server mints a CA in memory (its key never touches disk), a server certificate for 127.0.0.1 that the
local nodes pin, and one client certificate per local node. A restart mints new ones, so a copied
local-node certificate stops working with the run that issued it.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOOPBACK = "127.0.0.1"
VALIDITY = datetime.timedelta(days=365)
CLOCK_SKEW = datetime.timedelta(minutes=5)
PRIVATE_FILE_MODE = 0o600


_CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
    key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
)  # fmt: skip


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_private(path: Path, data: bytes) -> None:
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


class LocalNodeTls:
    """Issues the certificates of the local mTLS listener and of each local node, under `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._subject = _name("Hearth local-node CA")
        cert = (
            self._builder(self._subject, self._key)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_CA_KEY_USAGE, critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.ca_path = directory / "local-ca.pem"
        self.ca_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.server_cert, self.server_key = self._issue("server", LOOPBACK, ExtendedKeyUsageOID.SERVER_AUTH)

    def _builder(self, subject: x509.Name, key: ec.EllipticCurvePrivateKey) -> x509.CertificateBuilder:
        now = datetime.datetime.now(datetime.UTC)
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self._subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - CLOCK_SKEW)
            .not_valid_after(now + VALIDITY)
        )

    def _issue(self, stem: str, common_name: str, usage: x509.ObjectIdentifier) -> tuple[Path, Path]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = self._builder(_name(common_name), key).add_extension(
            x509.ExtendedKeyUsage([usage]), critical=False
        )
        if usage == ExtendedKeyUsageOID.SERVER_AUTH:
            san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(LOOPBACK))])
            builder = builder.add_extension(san, critical=False)
        cert_path, key_path = self.directory / f"{stem}.pem", self.directory / f"{stem}.key"
        cert = builder.sign(self._key, hashes.SHA256())
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        private = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _write_private(key_path, private)
        return cert_path, key_path

    def issue_node(self, name: str) -> tuple[Path, Path]:
        """A client certificate and key for local node `name`."""
        return self._issue(f"node-{name}", name, ExtendedKeyUsageOID.CLIENT_AUTH)
