"""Backups, as docs/operations.md says to take and restore them: a pg_dump of the production
shape's database restored into a fresh database opens with the same keys — a restored account signs
in and its 住民票コード still decrypts — and does not without them."""

import subprocess

from .shape import PYTHON, ROOT, database_drop, database_recreate

CODE = "12345678901"

CHECK = """
from django.test import Client
from kosodate.accounts.models import User
client = Client(HTTP_HOST="127.0.0.1")
response = client.post("/accounts/login/", {"login": "hanako@example.jp",
                                            "password": "Kosodate-demo-2026"})
assert response.status_code == 302 and "/login" not in response["Location"], response.status_code
assert client.get("/mypage/").status_code == 200, "the restored account is not signed in"
print("code", User.objects.get(email="hanako@example.jp").household.residence_code)
"""


def django(shape, database_url: str, code: str, keys_file=None) -> subprocess.CompletedProcess:
    env = shape.env()
    env["DJANGO_ENV_FILE"] = str(keys_file or shape.state / "env")
    env["DATABASE_URL"] = database_url
    return subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_restored_dump_signs_in_and_decrypts_with_the_kept_keys(shape, tmp_path):
    done = django(
        shape,
        shape.database_url,
        "from kosodate.accounts.models import User\n"
        "h = User.objects.get(email='hanako@example.jp').household\n"
        f"h.residence_code = '{CODE}'\nh.save(update_fields=['residence_code'])\n",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    stored = shape.sql("SELECT residence_code FROM accounts_household WHERE residence_code <> ''")
    assert stored and CODE not in stored[0][0]  # encrypted at rest

    dump = tmp_path / "kosodate.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", shape.database_url],
        check=True,
    )
    server = shape.database_url.rsplit("/", 1)[0]
    restored_name = shape.database_url.rsplit("/", 1)[1] + "_restored"
    database_recreate(shape.database_url, restored_name)
    try:
        subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                "--exit-on-error",
                f"--dbname={server}/{restored_name}",
                str(dump),
            ],
            check=True,
        )
        restored = f"{server}/{restored_name}"
        with_keys = django(shape, restored, CHECK)
        assert with_keys.returncode == 0, with_keys.stderr[-2000:]
        assert f"code {CODE}" in with_keys.stdout

        # The same dump with other keys (the database restored, the key file lost).
        other = tmp_path / "other.env"
        fresh = subprocess.run(
            [
                PYTHON,
                "-c",
                "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        lines = (shape.state / "env").read_text().splitlines()
        other.write_text(
            "\n".join(
                f"FIELD_ENCRYPTION_KEYS={fresh}"
                if line.startswith("FIELD_ENCRYPTION_KEYS=")
                else line
                for line in lines
            )
            + "\n"
        )
        without_keys = django(shape, restored, CHECK, keys_file=other)
        assert f"code {CODE}" not in without_keys.stdout
    finally:
        database_drop(shape.database_url, restored_name)
