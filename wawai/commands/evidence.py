"""``wawai evidence export ID -o FILE | verify PACKAGE | pubkey``: signed incident evidence packages.

Export works without a running node (it reads the recording index and the files directly) and is
audited; verify checks the package against the site's public key (or ``--pubkey FILE``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from wawai import audit
from wawai.commands.common import CommandError, config_from, database, operator_name
from wawai.evidence import fingerprint, load_public, public_pem, site_key, verify_package
from wawai.recordings import NothingRecorded


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("evidence", help="export and verify signed incident evidence packages")
    commands = parser.add_subparsers(dest="evidence_command", metavar="COMMAND", required=True)
    export = commands.add_parser("export", help="write an incident's evidence package (ZIP)")
    export.add_argument("incident", type=int, help="incident id")
    export.add_argument("-o", "--output", required=True, type=Path, help="the ZIP file to write")
    export.add_argument("--user", default=None, help="who exports, for the manifest and the audit log")
    export.set_defaults(func=run_export)
    verify = commands.add_parser("verify", help="check a package: OK, or the file that changed")
    verify.add_argument("package", type=Path)
    verify.add_argument("--pubkey", type=Path, default=None,
                        help="a PEM public key (default: this site's, from --config)")
    verify.set_defaults(func=run_verify)
    pubkey = commands.add_parser("pubkey", help="print the site's public key (PEM) and its fingerprint")
    pubkey.set_defaults(func=run_pubkey)


def run_export(args: argparse.Namespace) -> int:
    from wawai.db.incidents import Incident
    from wawai.evidence_export import export_evidence

    config = config_from(args)
    sessions = database(config)
    # The recorder's own joiner (stream copy), as `wawai export` does: no node is running here.
    from recorder.service import RecordingsService

    user = args.user or operator_name()
    try:
        with sessions() as db:
            incident = db.get(Incident, args.incident)
            if incident is None:
                raise CommandError(f"no incident {args.incident}")
            try:
                service = RecordingsService(config.storage_path, sessions)
                package = export_evidence(service, config.storage_path, incident,
                                          config.cameras.get(incident.camera_id or ""), user,
                                          config.site.site.timezone, args.output)
            except NothingRecorded as exc:
                raise CommandError(f"nothing recorded for incident {args.incident}") from exc
            audit.record(db, user, "evidence.export", camera_id=incident.camera_id, incident=incident.id,
                         sha256=package.sha256, files=package.manifest["files"], file=str(args.output),
                         via="cli")
            db.commit()
    finally:
        sessions.kw["bind"].dispose()
    print(f"{args.output} sha256 {package.sha256}")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    if args.pubkey is not None:
        try:
            key = load_public(args.pubkey.read_bytes())
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read the public key {args.pubkey}: {exc}") from exc
    else:
        key = site_key(config_from(args).storage_path).public_key()
    if not args.package.is_file():
        raise CommandError(f"no file {args.package}")
    verdict = verify_package(args.package, key)
    if not verdict.ok:
        raise CommandError(f"{args.package}: FAILED: {verdict.problem}")
    assert verdict.manifest is not None
    files = ", ".join(verdict.manifest.get("files", {}))
    print(f"{args.package}: OK (incident {verdict.manifest['incident']['id']}; {files}; signed by "
          f"{fingerprint(key)[:16]})")
    return 0


def run_pubkey(args: argparse.Namespace) -> int:
    key = site_key(config_from(args).storage_path)
    print(public_pem(key), end="")
    print(f"fingerprint (SHA-256 of the raw key): {fingerprint(key)}")
    return 0
