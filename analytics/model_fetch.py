"""Getting a model's weights: from a local mirror first, else from the upstream URL in its manifest.

Whatever the source, the bytes are written to a temp file in the target folder, their SHA-256 is checked
against the manifest while they are written, and only a complete, matching file is renamed into place
(one atomic rename): a wrong checksum, a cut-off download or a dead network leaves nothing behind.
The target is the first folder of ``detector.model_dirs``, where the detector looks first.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from analytics.manifest import ManifestFile, ModelError, find_manifest, read_spec, search_dirs
from wawai.assets import asset_dirs
from wawai.files import sha256_of

log = logging.getLogger(__name__)

CHUNK = 1 << 20
MAX_BYTES = 2 << 30  # no detector for this system is near 2 GiB; a larger answer is not a model
USER_AGENT = "wawai-model-fetch"


class FetchError(Exception):
    """Why the weights could not be got; one line. Nothing was stored."""


@dataclass(frozen=True)
class Fetched:
    spec: ManifestFile
    path: Path
    source: str  # "already present", "mirror <dir>" or the URL
    sha256: str


def mirror_dirs(extra: Iterable[Path] = ()) -> list[Path]:
    """Folders that may hold the weights, in order: ``--from`` dirs, then each asset mirror's models/."""
    dirs = [Path(d).expanduser() for d in extra]
    dirs += [base / "models" for base in asset_dirs()]
    return dirs


def fetch_model(
    name: str,
    model_dirs: list[str],
    base: Path,
    *,
    mirrors: list[Path],
    timeout: float = 30.0,
    opener: Callable[..., BinaryIO] = urllib.request.urlopen,
) -> Fetched:
    """Make sure the weights of manifest ``name`` are in the first model dir, checked; raise FetchError."""
    dirs = search_dirs(model_dirs, base)
    try:
        manifest_path = find_manifest(name, dirs)
        spec = read_spec(manifest_path)
    except ModelError as exc:
        raise FetchError(str(exc)) from exc
    accepted = spec.accepted_sha256()
    if not accepted:
        raise FetchError(f"{manifest_path.name}: no sha256 in the manifest; an unchecked file is not fetched")
    target = Path(spec.file).expanduser()
    if not target.is_absolute():
        target = dirs[0] / spec.file
    if target.is_file():
        present = sha256_of(target)
        if present in accepted:
            return Fetched(spec, target, "already present", present)
        log.warning("%s has the wrong sha256 (%s...); replacing it", target, present[:12])
    for folder in mirrors:
        for candidate in (folder / Path(spec.file).name, folder / "models" / Path(spec.file).name):
            if not candidate.is_file() or candidate.resolve() == target.resolve():
                continue
            found = sha256_of(candidate)
            if found not in accepted:
                log.warning("mirror copy %s has the wrong sha256 (%s...); not used", candidate, found[:12])
                continue
            with candidate.open("rb") as handle:
                digest = _store(handle, target, accepted, expected_size=None, what=str(candidate))
            return Fetched(spec, target, f"mirror {folder}", digest)
    if not spec.url:
        raise FetchError(
            f"{name}: not in a mirror ({', '.join(map(str, mirrors)) or 'none'}) and the manifest has "
            "no url; "
            f"copy {spec.file} into {target.parent} or use --from DIR"
        )
    return Fetched(spec, target, spec.url, _download(spec.url, target, accepted, timeout, opener))


def _download(
    url: str, target: Path, accepted: set[str], timeout: float, opener: Callable[..., BinaryIO]
) -> str:
    if not url.startswith(("https://", "http://")):
        raise FetchError(f"manifest url {url!r} is not http(s); refused")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310 (checked above)
    try:
        with opener(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length") if hasattr(response, "headers") else None
            expected = int(length) if length and length.isdigit() else None
            return _store(response, target, accepted, expected_size=expected, what=url)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"could not download {url}: HTTP {exc.code} {exc.reason}; nothing stored") from exc
    except urllib.error.URLError as exc:
        raise FetchError(f"could not download {url}: {exc.reason}; nothing stored") from exc
    except (OSError, ValueError, http.client.HTTPException) as exc:  # reset, timeout, IncompleteRead...
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FetchError(f"could not download {url}: {reason}; nothing stored") from exc


def _store(
    source: BinaryIO, target: Path, accepted: set[str], *, expected_size: int | None, what: str
) -> str:
    """Copy ``source`` into ``target`` through a temp file beside it; rename only a whole, matching file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    temp = Path(temp_name)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > MAX_BYTES:
                    raise FetchError(f"{what}: more than {MAX_BYTES} bytes; not a model file, nothing stored")
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if expected_size is not None and size != expected_size:
            raise FetchError(f"{what}: cut off after {size} of {expected_size} bytes; nothing stored")
        actual = digest.hexdigest()
        if actual not in accepted:
            want = " or ".join(f"{value[:12]}..." for value in sorted(accepted))
            raise FetchError(
                f"{what}: sha256 {actual[:12]}... ({size} bytes) does not match the manifest's {want}; "
                "refused, nothing stored"
            )
        temp.chmod(0o644)  # mkstemp makes it private; a model file is readable like any other
        os.replace(temp, target)
        return actual
    finally:
        temp.unlink(missing_ok=True)
