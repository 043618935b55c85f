"""Settings fail safe (ARCHITECTURE.md habit 10): `check --deploy` is clean with production
settings, and without DEBUG the process refuses to start without its secrets."""

import pytest

from .production import production_env, run


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS"])
@pytest.mark.parametrize("how", ["unset", "empty"])
def test_starting_without_a_secret_fails_with_a_clear_message(tmp_path, missing, how):
    env = production_env(tmp_path)
    if how == "unset":
        del env[missing]
    else:
        env[missing] = ""
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert f"{missing} must be set when DJANGO_DEBUG is off." in result.stderr


def test_the_debug_fallback_key_never_reaches_production(tmp_path):
    # Run the settings as a deployment would and print what they chose.
    result = run(
        [
            "-c",
            "import django; from django.conf import settings; django.setup();"
            "print(settings.DEBUG, settings.SECRET_KEY.startswith('dev-only'))",
        ],
        production_env(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]
