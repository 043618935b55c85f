"""The scripts behind `make run`, `make test` and CI: they must refuse loudly, never skip."""

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"


def _run(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own scripts)
        [str(a) for a in args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgres") else "postgres://postgres@127.0.0.1:5432/postgres"


def _redis_url() -> str:
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


# --- scripts/check-services ---------------------------------------------------------------------
def test_check_services_passes_when_postgresql_and_redis_answer():
    result = _run(SCRIPTS / "check-services", _pg_url(), _redis_url())
    assert result.returncode == 0, result.stderr
    assert "reachable" in result.stdout


def test_check_services_fails_when_postgresql_is_unreachable():
    port = _unused_port()
    result = _run(
        SCRIPTS / "check-services", f"postgres://postgres@127.0.0.1:{port}/kosodate", _redis_url()
    )
    assert result.returncode != 0
    assert f"PostgreSQL is not reachable at postgres://postgres@127.0.0.1:{port}/" in result.stderr
    assert "Redis" not in result.stderr.splitlines()[0]


def test_check_services_fails_when_redis_is_unreachable():
    port = _unused_port()
    result = _run(SCRIPTS / "check-services", _pg_url(), f"redis://127.0.0.1:{port}/0")
    assert result.returncode != 0
    assert f"Redis is not reachable at redis://127.0.0.1:{port}/0" in result.stderr
    assert "PostgreSQL is not reachable" not in result.stderr


def test_check_services_never_prints_a_password():
    port = _unused_port()
    result = _run(
        SCRIPTS / "check-services",
        f"postgres://kosodate:s3cret-pw@127.0.0.1:{port}/kosodate",
        _redis_url(),
    )
    assert result.returncode != 0
    assert "s3cret-pw" not in result.stdout + result.stderr


# --- scripts/find-python ------------------------------------------------------------------------
FAKE_PYTHON_311 = """#!/bin/sh
# Stands in for a Python 3.11: fails find-python's version check, as a real 3.11 does.
case "$1" in --version) echo "Python 3.11.7" ;; *) exit 1 ;; esac
"""


def _machine_with_python_311(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH has only a python3 that is 3.11, and an empty pyenv."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    python3 = bin_dir / "python3"
    python3.write_text(FAKE_PYTHON_311)
    python3.chmod(0o755)
    home = tmp_path / "home"
    (home / ".pyenv" / "versions").mkdir(parents=True)
    return {"PATH": str(bin_dir), "HOME": str(home), "PYENV_ROOT": str(home / ".pyenv")}


def test_find_python_finds_a_python_3_12_or_newer():
    result = _run(SCRIPTS / "find-python")
    assert result.returncode == 0, result.stderr
    found = result.stdout.strip()
    version = _run(found, "-c", "import sys; print(sys.version_info[:2] >= (3, 12))")
    assert version.stdout.strip() == "True"


def test_find_python_refuses_a_machine_with_only_python_3_11(tmp_path):
    env = _machine_with_python_311(tmp_path)
    result = _run("/bin/sh", SCRIPTS / "find-python", env=env)
    assert result.returncode != 0
    assert result.stdout == ""
    assert "needs Python 3.12 or newer" in result.stderr


def test_find_python_takes_pyenvs_3_13_when_python3_is_3_11(tmp_path):
    env = _machine_with_python_311(tmp_path)
    version_bin = Path(env["PYENV_ROOT"]) / "versions" / "3.13.9" / "bin"
    version_bin.mkdir(parents=True)
    (version_bin / "python3.13").symlink_to(sys._base_executable)
    result = _run("/bin/sh", SCRIPTS / "find-python", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(version_bin / "python3.13")


def test_find_python_refuses_an_explicit_python_that_is_too_old(tmp_path):
    env = _machine_with_python_311(tmp_path) | {"PYTHON": "python3"}
    result = _run("/bin/sh", SCRIPTS / "find-python", env=env)
    assert result.returncode != 0
    assert "PYTHON=python3 is not a Python 3.12 or newer" in result.stderr


# --- configuration docs -------------------------------------------------------------------------
def _variables_settings_read() -> set[str]:
    source = (ROOT / "config" / "settings.py").read_text(encoding="utf-8")
    read = re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", source)
    read += re.findall(r"\"([A-Z][A-Z0-9_]*)\" in env\b", source)
    return set(read)


def test_settings_read_variables():
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_URL"} <= _variables_settings_read()


def test_env_example_documents_every_variable_settings_read():
    documented = set(
        re.findall(
            r"^#? ?([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text("utf-8"), re.MULTILINE
        )
    )
    missing = sorted(_variables_settings_read() - documented)
    assert not missing, f".env.example does not document {missing}"


def test_readme_configuration_table_names_every_variable():
    readme = (ROOT / "README.md").read_text("utf-8")
    missing = sorted(v for v in _variables_settings_read() if f"`{v}`" not in readme)
    assert not missing, f"README.md's configuration table does not name {missing}"


@pytest.mark.parametrize(
    ("args", "site"),
    [
        (["PORT=8011"], "http://127.0.0.1:8011"),
        (["HOST=0.0.0.0", "PORT=8080"], "http://127.0.0.1:8080"),
        (["SITE_URL=https://kosodate.example.jp"], "https://kosodate.example.jp"),
    ],
)
def test_make_run_names_the_address_it_serves(args, site):
    """Issue 12 item 5: emails and pages take the address from SITE_URL, which `make run` sets
    from HOST and PORT (a server on every interface is reached at 127.0.0.1)."""
    dry = subprocess.run(  # noqa: S603 (our own Makefile, fixed arguments)
        [shutil.which("make") or "make", "-n", "run", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f'SITE_URL="{site}"' in dry
    assert f'demo_data --url "{site}/"' in dry
