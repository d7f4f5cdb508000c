"""Signed C2PA assets for tests and benchmarks: c2pa-python's own signing, throwaway certificates.

Development tooling (it needs the ``cryptography`` package, which the Lambda layers do not ship).

C2PA signers need an end-entity certificate (not self-signed, digitalSignature key usage,
an allowed extended key usage) issued by a CA; both are generated here for each run and
never trusted by anything.
"""

import datetime
import io
import json

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SOURCE_TYPES = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED_ALGORITHMIC_MEDIA = SOURCE_TYPES + "trainedAlgorithmicMedia"
DIGITAL_CAPTURE = SOURCE_TYPES + "digitalCapture"


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, common_name), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "VF Test")]
    )


def _usage(**enabled: bool) -> x509.KeyUsage:
    names = "digital_signature content_commitment key_encipherment data_encipherment key_agreement"
    names += " key_cert_sign crl_sign encipher_only decipher_only"
    return x509.KeyUsage(**{n: enabled.get(n, False) for n in names.split()})


def signer_credentials() -> tuple[bytes, bytes]:
    """(PEM certificate chain: signer then CA, PEM PKCS#8 private key), ES256."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())

    def builder(subject: str, issuer: x509.Name, public_key) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(_name(subject))
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        )

    ca = (
        builder("VF Test Root", _name("VF Test Root"), ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        builder("VF Test Signer", ca.subject, key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    chain = leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return chain, private


def sign_jpeg(jpeg: bytes, generator: str = "vforensics-tests", source_type: str = DIGITAL_CAPTURE) -> bytes:
    """``jpeg`` with an embedded, signed C2PA manifest (a c2pa.created action)."""
    return sign_image(jpeg, "image/jpeg", generator, [{"action": "c2pa.created", "digitalSourceType": source_type}])


def sign_image(data: bytes, mime: str, generator: str, actions: list[dict]) -> bytes:
    """``data`` (a JPEG or PNG, by ``mime``) with a signed C2PA manifest holding ``actions``.

    An action is a dict as C2PA writes it, e.g. ``{"action": "c2pa.created", "digitalSourceType":
    TRAINED_ALGORITHMIC_MEDIA, "softwareAgent": {"name": "GPT-4o"}}`` for a generator's output.
    """
    import c2pa

    chain, private = signer_credentials()
    manifest = {
        "claim_generator_info": [{"name": generator, "version": "1.0"}],
        "title": "test.png" if mime == "image/png" else "test.jpg",
        "assertions": [{"label": "c2pa.actions", "data": {"actions": actions}}],
    }
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, chain, private, None))
    out = io.BytesIO()
    with c2pa.Builder(json.dumps(manifest)) as builder:
        builder.sign(signer, mime, io.BytesIO(data), out)
    return out.getvalue()
