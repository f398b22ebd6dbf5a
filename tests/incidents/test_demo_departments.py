"""The demo's cameras belong to Metro's departments, and a department-limited supervisor is made with
its password printed beside the admin's."""

from __future__ import annotations

import re
from pathlib import Path

from wawai import accounts
from wawai.cli import main
from wawai.config.loader import load_config
from wawai.db.base import make_sessionmaker


def test_demo_cameras_in_departments_and_a_limited_supervisor(tmp_path: Path, capsys) -> None:
    storage = tmp_path / "demo"
    assert main(["demo", "--storage", str(storage), "--prepare-only"]) == 0
    out = capsys.readouterr().out
    admin = re.search(r"sign in as 'demo' with the password (\S+)", out)
    limited = re.search(r"or as 'pengawas-putr' \(a supervisor who sees Dinas PUTR only\) "
                        r"with the password (\S+);", out)
    assert admin and limited and admin.group(1) != limited.group(1)
    config = load_config(storage / "config")
    assert {camera.group for camera in config.cameras.values()} == {
        "Dinas PUTR", "Dinas Lingkungan Hidup", "RSU A. Yani", "Kecamatan Metro Pusat"}
    assert config.site.site.timezone == "Asia/Jakarta"
    sessions = make_sessionmaker(config.database_url)
    try:
        with sessions() as db:
            user = accounts.authenticate(db, "pengawas-putr", limited.group(1))
            assert user is not None and user.role == "supervisor" and user.groups == ["Dinas PUTR"]
            assert user.may_see_group("Dinas PUTR") and not user.may_see_group("RSU A. Yani")
    finally:
        sessions.kw["bind"].dispose()
    assert main(["demo", "--storage", str(storage), "--prepare-only"]) == 0
    assert "pengawas-putr" not in capsys.readouterr().out  # passwords are shown once only
