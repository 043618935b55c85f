"""Kosodate settings: one module, driven by the environment (see .env.example).

Safe by default: DEBUG is off unless DJANGO_DEBUG=1 (the dev command sets it), and without DEBUG
the process refuses to start without SECRET_KEY and FIELD_ENCRYPTION_KEYS.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Variables already in the environment win over the file. DJANGO_ENV_FILE names another file, or
# none when empty: the test run sets it empty so that a leftover .env cannot change what is tested.
_env_file = env.str("DJANGO_ENV_FILE", default=str(BASE_DIR / ".env"))
if _env_file and Path(_env_file).is_file():
    environ.Env.read_env(_env_file, overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DJANGO_DEBUG is off. On a developer's machine, use the "
            "Makefile (make run) or set DJANGO_DEBUG=1; in production, see docs/deploy.md."
        )
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105

# Fernet keys (urlsafe base64, 32 bytes), comma-separated; the first encrypts, all decrypt, so a
# key can be rotated by putting the new one first. Used for 住民票コード and second-step secrets.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
if not FIELD_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set when DJANGO_DEBUG is off.")
    FIELD_ENCRYPTION_KEYS = ["ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZCE="]

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The address residents are told to type in themselves (emails name it; phishing advice).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "kosodate.core",
    "kosodate.accounts",
    "kosodate.backoffice",
    "kosodate.events",
    "kosodate.health",
    "kosodate.childcare",
    "kosodate.consultations",
    "kosodate.familysupport",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
]

MIDDLEWARE = [
    # First: the request id on every log line and in X-Request-ID, and the latency for /metrics.
    "kosodate.core.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A NUL character in the path, query or form is a 400 (PostgreSQL refuses it in any text).
    "kosodate.core.middleware.NulCharactersRefusedMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Cache-Control: private, no-store on every response to a signed-in person.
    "kosodate.core.middleware.PrivatePagesNotCachedMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "kosodate.core.middleware.MaintenanceModeMiddleware",
    # A service switched off (Municipality.*_enabled) answers 404 everywhere.
    "kosodate.core.middleware.ServiceSwitchMiddleware",
    # New terms while signed in: accept them before anything else (the sign-in asks via a stage).
    "kosodate.accounts.middleware.TermsRequiredMiddleware",
    # Idle timeout and absolute session lifetime (SECURITY.md "Sessions").
    "kosodate.accounts.middleware.SessionLifetimeMiddleware",
    # Back-office accounts without an authenticator app or passkey set one up first.
    "kosodate.accounts.middleware.StaffSecondStepMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kosodate.core.context_processors.site",
            ],
        },
    },
]

# Form templates come from TEMPLATES, so templates/django/forms/ can make every form accessible
# (label above the field, errors linked by aria-describedby, an error summary); "django.forms" in
# INSTALLED_APPS supplies the built-in widget templates.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Database -------------------------------------------------------------------------------
# SQLite (WAL, BEGIN IMMEDIATE) is the embedded default; PostgreSQL 15+ via psycopg 3 in production.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # IMMEDIATE takes the write lock at BEGIN, so the locking contract holds on SQLite too
            # and concurrent writers wait (timeout) instead of failing with "database is locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, sessions, rate limits ------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "kosodate.core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="kosodate"),
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Background work --------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# --- Email and SMS ----------------------------------------------------------------------------
# EMAIL_URL (smtp://user:pass@host:587, smtp+tls://…, smtp+ssl://…) or the EMAIL_* variables.
# Without either, the dev run keeps mail in the outbox table only (open /dev/outbox/).
if "EMAIL_URL" in env:
    _email = env.email_url("EMAIL_URL")
    _email_backend = _email["EMAIL_BACKEND"]
    _email_options = {
        "host": _email.get("EMAIL_HOST", ""),
        "port": _email.get("EMAIL_PORT", 25),
        "username": _email.get("EMAIL_HOST_USER", ""),
        "password": _email.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": _email.get("EMAIL_USE_TLS", False),
        "use_ssl": _email.get("EMAIL_USE_SSL", False),
    }
else:
    _email_backend = env.str(
        "EMAIL_BACKEND",
        default="django.core.mail.backends.dummy.EmailBackend"
        if DEBUG
        else "django.core.mail.backends.smtp.EmailBackend",
    )
    _email_options = {
        "host": env.str("EMAIL_HOST", default="localhost"),
        "port": env.int("EMAIL_PORT", default=25),
        "username": env.str("EMAIL_HOST_USER", default=""),
        "password": env.str("EMAIL_HOST_PASSWORD", default=""),
        "use_tls": env.bool("EMAIL_USE_TLS", default=False),
        "use_ssl": env.bool("EMAIL_USE_SSL", default=False),
    }
_email_options["timeout"] = env.int("EMAIL_TIMEOUT", default=20)
MAILERS = {
    "default": {
        "BACKEND": _email_backend,
        "OPTIONS": _email_options if _email_backend.endswith("smtp.EmailBackend") else {},
    }
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="kosodate@example.jp")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Without a provider backend, production SMS fail loudly and stay in the admin as failed
# (docs/operations.md, "SMS provider interface").
SMS_BACKEND = env.str(
    "SMS_BACKEND",
    default="kosodate.core.sms.OutboxOnlyBackend"
    if DEBUG
    else "kosodate.core.sms.NotConfiguredBackend",
)
SMS_SENDER_ID = env.str("SMS_SENDER_ID", default="KOSODATE")
# How often a message is tried before it is marked failed and shown to staff.
MESSAGE_MAX_ATTEMPTS = env.int("MESSAGE_MAX_ATTEMPTS", default=5)
# A message carrying a secret (reset or confirmation link, sign-in code) keeps it, encrypted, only
# until delivery. With DEBUG the dev outbox IS the delivery (nothing leaves the machine), so it
# keeps the secret to show it at /dev/outbox/; never without DEBUG (docs/operations.md).
DEV_OUTBOX_KEEPS_SECRETS = DEBUG and env.bool("DEV_OUTBOX_KEEPS_SECRETS", default=True)

# --- Auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# One backend, one password hash per attempt whether or not the account exists (it is allauth's,
# and Django's ModelBackend through it for permissions): see kosodate/accounts/backends.py.
AUTHENTICATION_BACKENDS = ["kosodate.accounts.backends.SignInBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "kosodate.accounts.validators.MaximumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    # Django's similarity rule, extended to kana, phone and birth dates in the family.
    {"NAME": "kosodate.accounts.validators.PersonalInformationValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # The municipality's letters-and-digits rule (on by default; docs/security.md).
    {"NAME": "kosodate.accounts.validators.LettersAndDigitsValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "mypage"

# --- allauth: sign-in, reset, lockout, sessions (SECURITY.md; docs/security.md maps each row) ---
ACCOUNT_ADAPTER = "kosodate.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "kosodate.accounts.forms_signin.SignInForm",
    "reset_password": "kosodate.accounts.forms_signin.PasswordResetRequestForm",
    "reset_password_from_key": "kosodate.accounts.forms_signin.PasswordResetKeyForm",
    "change_password": "kosodate.accounts.forms_signin.PasswordChangeForm",
}
# Residents sign in with their email address or their 利用者番号 (member number = username).
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# Verification link: 24 h, single use (allauth's HMAC key only confirms an unverified address).
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 1
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# "Remember me" is a checkbox, off by default: with it the session lasts SESSION_REMEMBER_SECONDS
# on that browser, without it the cookie ends with the browser (and the server-side session after
# SESSION_COOKIE_AGE = 12 h at most). kosodate.accounts.forms_signin.SignInForm sets the expiry.
ACCOUNT_SESSION_REMEMBER = None
SESSION_REMEMBER_SECONDS = 14 * 24 * 60 * 60
# Reset link: 60 min; single use and void once the password changes (Django's token hashes the
# password and the last sign-in). A reset never signs in: the second step still applies.
PASSWORD_RESET_TIMEOUT = 60 * 60
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# Changing the password keeps this session; the adapter ends every other one explicitly.
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Password changed / reset / email changed notices (templates: kosodate/accounts/templates/account/email/).
ACCOUNT_EMAIL_NOTIFICATIONS = True
# Changing email (My Page, or staff at the counter): the new address replaces the old one only once
# verified, and the old address is told (kosodate.accounts.views_mypage.EmailChangeView).
ACCOUNT_CHANGE_EMAIL = True
# allauth's own email page (/accounts/email/) asks for the password again too, like My Page's.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 5 * 60
# Throttles (kept in the cache: Redis in production, so every web process shares them). One story
# with the per-account lock (AccountLock; docs/security.md, "Failed sign-ins"): the lock counts
# consecutive wrong passwords per account, persisted, and emails the owner; these limits count
# per IP (spraying) and per address (mail flooding). Nothing here counts wrong passwords per
# account or identifier: a second count would refuse the owner with "wait a few minutes" before
# the lock (and its email) ever happened.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip",
    # The reset form: per IP here; per address and requester, and per address overall, in
    # kosodate.accounts.services.password_reset_email_allowed (a stranger's requests never stop
    # the owner's, and the form never answers 429 for an address).
    "reset_password": "20/m/ip",
    "reset_password_email": "3/h/key",
    "reset_password_address": "10/h/key",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    # "Send the confirmation email again" (registration): per IP, on top of confirm_email's
    # per-address cooldown.
    "register_resend": "3/m/ip,20/h/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
    "manage_email": "10/m/user",
    # SMS / email second-step codes (kosodate.accounts.mfa): per account and per IP.
    "second_step_send": "5/m/ip,30/h/ip,3/5m/key,10/h/key",
}
# RATE_LIMITS=0 switches every throttle above off, for a security scan of a local instance
# (docs/security.md, "Scanning"). Refused with DEBUG off unless SECURITY_SCAN=1 says a scan is
# what this instance is for. The per-account lock and the second-step block stay on.
RATE_LIMITS = env.bool("RATE_LIMITS", default=True)
if not RATE_LIMITS:
    if not DEBUG and not env.bool("SECURITY_SCAN", default=False):
        raise ImproperlyConfigured(
            "RATE_LIMITS=0 is for a security scan of a local instance: it is refused with "
            "DJANGO_DEBUG off unless SECURITY_SCAN=1 is set too (docs/security.md)."
        )
    ACCOUNT_RATE_LIMITS = False
# Behind a load balancer the client's address is in X-Forwarded-For: how many proxies to trust
# there, so per-IP throttles count people, not the proxy (0 = use REMOTE_ADDR).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# The sessions list (device, place, last seen) and "sign out everywhere" rely on allauth's
# UserSession rows. allauth's own tracking rewrites the row on every request; ours
# (kosodate.accounts.middleware.SessionLifetimeMiddleware) at most once a minute.
USERSESSIONS_TRACK_ACTIVITY = False

# --- Second step (issue 4; SECURITY.md "Second step"; docs/security.md maps each row) ----------
# allauth.mfa: authenticator app (TOTP), recovery codes and passkeys (WebAuthn); SMS and email
# codes are our own login stage (kosodate.accounts.mfa).
MFA_ADAPTER = "kosodate.accounts.mfa.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_DIGITS = 6
MFA_TOTP_PERIOD = 30
MFA_TOTP_TOLERANCE = 0
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Kosodate")
MFA_RECOVERY_CODE_COUNT = 10
# Shown once at setup (and after each regeneration), then only how many are left.
MFA_RECOVERY_CODES_SHOW_ONCE = True
# "Trust this browser": allauth's cookie; its age is the municipality's trusted_browser_days
# default (14). kosodate.accounts.mfa.MFAAdapter reads the municipality at run time.
MFA_TRUST_ENABLED = True
MFA_TRUST_COOKIE_AGE = timedelta(days=14)
# WebAuthn demands HTTPS except for tests against http://localhost (never on in production).
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env.bool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", default=False)
# SMS and email codes: 6 digits, valid 5 minutes, 5 wrong tries, resend after 60 s.
SECOND_STEP_CODE_SECONDS = 5 * 60
SECOND_STEP_CODE_MAX_ATTEMPTS = 5
SECOND_STEP_CODE_RESEND_SECONDS = 60
# Guessing codes after a right password: this many wrong codes in a row (any code method) block
# the second step for this many minutes, email the owner and log it (issue 10 item 7).
SECOND_STEP_LOCKOUT_ATTEMPTS = 5
SECOND_STEP_LOCKOUT_MINUTES = 30
# Sessions (kosodate.accounts.middleware.SessionLifetimeMiddleware): idle timeout without
# "remember me", and the absolute lifetime with and without it.
SESSION_IDLE_SECONDS = 30 * 60
SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("STATIC_MANIFEST", default=not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security headers and cookies (SECURITY.md) -----------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "manifest-src": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "kosodate.core.views.csrf_failure"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 60 * 60

SECURE_SSL = env.bool("SECURE_SSL", default=not DEBUG)
if SECURE_SSL:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    # The __Host- prefix pins cookies to this host over HTTPS with Path=/ (SECURITY.md).
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    LANGUAGE_COOKIE_NAME = "__Host-language"
    if env.bool("BEHIND_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# LOG_FORMAT=json (production, `make prod-local`): one JSON object a line, with the request id (the
# load balancer's X-Request-ID) and, in the worker, the task id and the id of the request that
# enqueued it. Otherwise plain lines for a developer's terminal.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "kosodate.core.observability.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(task_id)s",
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "plain": {"format": "%(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own default config gives the "django" logger a console handler of its own (shown
        # with DEBUG on); with the root's console as well, every django.* line (the worker's task
        # lines, the autoreloader's) was printed twice in `make run`. One handler: the root's.
        "django": {
            "handlers": [],
            "level": env.str("LOG_LEVEL", default="INFO"),
            "propagate": True,
        },
        "django.db.backends": {"level": "WARNING"},
    },
}

# /metrics answers the loopback, or anyone sending "Authorization: Bearer <METRICS_TOKEN>".
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
