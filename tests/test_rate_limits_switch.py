"""RATE_LIMITS=0 lets a security scan of a local instance run without the rate limits (issue 10,
"Done when"); it is refused with DEBUG off unless SECURITY_SCAN=1 (docs/security.md)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRINT_LIMITS = (
    "import django; django.setup(); "
    "from allauth.account import app_settings; "
    "print('LIMITS', bool(app_settings.RATE_LIMITS))"
)


def _settings_with(**env) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_DEBUG", "RATE_LIMITS", "SECURITY_SCAN", "DATABASE_URL", "REDIS_URL"}
    }
    base.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_ENV_FILE="",
        SECRET_KEY="scan-test-secret-key-not-used-anywhere-else-0123456789",
        FIELD_ENCRYPTION_KEYS="ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZCE=",
        DATABASE_URL="sqlite://:memory:",
        **env,
    )
    return subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "-c", PRINT_LIMITS],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_rate_limits_are_on_by_default():
    result = _settings_with()
    assert result.returncode == 0, result.stderr
    assert "LIMITS True" in result.stdout


def test_rate_limits_off_is_refused_without_debug():
    result = _settings_with(RATE_LIMITS="0")
    assert result.returncode != 0
    assert "SECURITY_SCAN=1" in result.stderr


def test_rate_limits_off_for_a_scan():
    for env in (
        {"RATE_LIMITS": "0", "SECURITY_SCAN": "1"},
        {"RATE_LIMITS": "0", "DJANGO_DEBUG": "1"},
    ):
        result = _settings_with(**env)
        assert result.returncode == 0, result.stderr
        assert "LIMITS False" in result.stdout
