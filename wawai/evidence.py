"""Evidence packages: a ZIP of the incident's clip, its snapshot and a signed ``manifest.json``.

The manifest names the incident, the camera, the wall-clock range (UTC and site time), who exported it
and when, and the SHA-256 of every file. ``manifest.sig`` holds the manifest's own SHA-256 and an Ed25519
signature over it, made with the site's key (created on first use under ``<storage>/keys``, readable by
the site's user only). Verification names what changed: the manifest (its hash no longer matches the
signed one), the signature file (the signature does not hold), or a file (its hash or ZIP checksum).

Exports copy gigabytes: the web app runs them in the node's export pool (``wawai.workpool``, shared with
clip exports), which bounds them per user and in total.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from wawai.files import sha256_of

FORMAT = "wawai-evidence/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
KEY_FILE = Path("keys") / "evidence-ed25519.pem"
_key_lock = threading.Lock()


# --- keys --------------------------------------------------------------------------------------------


def site_key(storage: Path) -> Ed25519PrivateKey:
    """The site's signing key, created on first use (0600)."""
    path = storage / KEY_FILE
    with _key_lock:
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
            partial = path.with_suffix(".part")
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
            os.replace(partial, path)
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 key")
    return loaded


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM,
                               serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def fingerprint(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def load_public(pem: bytes) -> Ed25519PublicKey:
    loaded = serialization.load_pem_public_key(pem)
    if not isinstance(loaded, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return loaded


# --- writing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceRange:
    start: float  # epoch seconds of the clip's first picture
    end: float


def _times(epoch: float, zone: ZoneInfo) -> dict[str, str]:
    moment = datetime.fromtimestamp(epoch, UTC)
    return {"utc": moment.isoformat(), "site": moment.astimezone(zone).isoformat()}


def build_package(output: Path, key: Ed25519PrivateKey, *, incident: dict[str, Any],
                  camera: dict[str, Any], files: dict[str, Path], clip_range: EvidenceRange | None,
                  exported_by: str, timezone: str, now: datetime | None = None) -> dict[str, Any]:
    """Write the ZIP at ``output`` (``files``: name in the package -> file); returns the manifest."""
    zone = ZoneInfo(timezone)
    exported_at = (now or datetime.now(UTC)).timestamp()
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "incident": incident,
        "camera": camera,
        "range": None if clip_range is None else {
            "start": _times(clip_range.start, zone), "end": _times(clip_range.end, zone),
            "start_epoch": clip_range.start, "end_epoch": clip_range.end,
        },
        "timezone": timezone,
        "exported_by": exported_by,
        "exported_at": _times(exported_at, zone),
        "files": {name: {"sha256": sha256_of(path), "bytes": path.stat().st_size}
                  for name, path in sorted(files.items())},
        "key": {"algorithm": "Ed25519", "fingerprint": fingerprint(key)},
    }
    body = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8")
    digest = hashlib.sha256(body).hexdigest()
    signature = {"manifest_sha256": digest, "algorithm": "Ed25519", "key_fingerprint": fingerprint(key),
                 "signature": base64.b64encode(key.sign(digest.encode("ascii"))).decode("ascii")}
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".part")
    try:
        # Stored, not deflated: video and JPEG do not shrink, and a reader can find each file's bytes.
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as package:
            for name, path in sorted(files.items()):
                package.write(path, name)
            package.writestr(MANIFEST, body)
            package.writestr(SIGNATURE, _signature_file(signature))
        os.replace(partial, output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


def _signature_file(signature: dict[str, Any]) -> bytes:
    return (json.dumps(signature, indent=2, sort_keys=True) + "\n").encode("ascii")


# --- checking ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    ok: bool
    problem: str | None = None
    file: str | None = None  # the file in the package that changed
    manifest: dict[str, Any] | None = None


def _read(package: zipfile.ZipFile, name: str) -> bytes | Verdict:
    try:
        return package.read(name)
    except KeyError:
        return Verdict(False, f"{name} is missing from the package", name)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:  # the ZIP's own CRC of that file failed
        return Verdict(False, f"{name} changed ({exc})", name)


def _member_sha256(package: zipfile.ZipFile, name: str) -> str | Verdict:
    """Hash one file of the package in 1 MiB chunks (clips run to gigabytes)."""
    digest = hashlib.sha256()
    try:
        with package.open(name) as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except KeyError:
        return Verdict(False, f"{name} is missing from the package", name)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return Verdict(False, f"{name} changed ({exc})", name)
    return digest.hexdigest()


def verify_package(path: Path, public_key: Ed25519PublicKey) -> Verdict:
    try:
        package = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        return Verdict(False, f"{path} is not a readable ZIP ({exc})")
    with package:
        signature_bytes = _read(package, SIGNATURE)
        if isinstance(signature_bytes, Verdict):
            return signature_bytes
        body = _read(package, MANIFEST)
        if isinstance(body, Verdict):
            return body
        try:
            signed = json.loads(signature_bytes)
            signed_digest = str(signed["manifest_sha256"])
            public_key.verify(base64.b64decode(signed["signature"], validate=True), signed_digest.encode())
            # Every byte of the signature file counts, not only the signed digest in it.
            same_key = signed["key_fingerprint"] == fingerprint(public_key)
            if _signature_file(signed) != signature_bytes or not same_key:
                raise ValueError("signature file differs from what was written")
        except (ValueError, KeyError, TypeError, InvalidSignature):
            return Verdict(False, f"{SIGNATURE} does not hold a valid signature of this site's key "
                           "(changed, or signed elsewhere)", SIGNATURE)
        if hashlib.sha256(body).hexdigest() != signed_digest:
            return Verdict(False, f"{MANIFEST} changed after it was signed", MANIFEST)
        manifest = json.loads(body)
        listed: dict[str, Any] = manifest.get("files", {})
        for name, facts in sorted(listed.items()):
            digest = _member_sha256(package, name)
            if isinstance(digest, Verdict):
                return digest
            if digest != facts.get("sha256"):
                return Verdict(False, f"{name} changed (its SHA-256 differs from the manifest)", name)
        extra = sorted(set(package.namelist()) - set(listed) - {MANIFEST, SIGNATURE})
        if extra:
            return Verdict(False, f"{extra[0]} is not part of the signed package", extra[0])
    return Verdict(True, manifest=manifest)
