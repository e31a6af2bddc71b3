"""Settings for the hospital management system.

One module for every environment; `HMS_ENV=production` switches on the strict parts.
Every variable read here is listed in `.env.example`.
"""

import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from hms.env import (
    env_bool,
    env_int,
    env_list,
    env_str,
    passkey_rp_id_from,
    require_safe_production,
)

BASE_DIR = Path(__file__).resolve().parent.parent

HMS_ENV = env_str("HMS_ENV", "development")
if HMS_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("HMS_ENV must be 'development' or 'production'.")
PRODUCTION = HMS_ENV == "production"

# Published with the source code, so it protects nothing: development only.
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-change-me-3f9a1c7e5b2d4086a1e9c3b7d5f20486"
DEBUG = env_bool("DJANGO_DEBUG", not PRODUCTION)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "" if PRODUCTION else DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION:
    # Refuse to start rather than warn: a deployment check nobody runs protects nothing.
    require_safe_production(
        secret_key=SECRET_KEY,
        published_keys={DEVELOPMENT_SECRET_KEY},
        debug=DEBUG,
        allowed_hosts=ALLOWED_HOSTS,
    )
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",  # passkeys
    # Background jobs: its models, admin and `manage.py procrastinate`; before the apps whose
    # tasks it loads (every app's tasks.py).
    "procrastinate.contrib.django",
    "core",
    "jobs",
    "accounts",
    "patients",
    "doctors",
    "appointments",
    "billing",
    "imports",
    "reports",
    "clinical",
    "fhir",
    "demo",
    "hms",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise, so static files keep their caching: nothing else is stored anywhere.
    "core.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Writes the session when it changed or once a minute (the idle timeout), not every page.
    "core.session_refresh.SessionRefreshMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # user.is_verified(): whether this session gave a second-factor code.
    "django_otp.middleware.OTPMiddleware",
    # Lets services write who and from where into the audit log without passing the request.
    "core.audit.AuditRequestMiddleware",
    # Deny by default: every view needs a login unless marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Until the second factor is given (or enrolled, where the role requires it), only the
    # two-step pages and the logout open.
    "accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    # A NUL character or a malformed admin selection: a 400 page saying so, not a 500.
    "core.middleware.RefuseMalformedInputMiddleware",
]

ROOT_URLCONF = "hms.urls"
WSGI_APPLICATION = "hms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hms.context_processors.navigation",
            ],
        },
    },
]

# --- Database: PostgreSQL only -------------------------------------------------------------
# Two roles (hms/dbroles.py): DATABASE_URL is the application's login, which owns nothing;
# DATABASE_OWNER_URL, given only to `migrate` and `restore`, owns the schema.
DATABASE_URL = env_str("DATABASE_URL")
DATABASE_OWNER_URL = env_str("DATABASE_OWNER_URL")
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    if _db.get("ENGINE") != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point at a PostgreSQL server.")
    _db["CONN_HEALTH_CHECKS"] = True
    if DATABASE_OWNER_URL:
        _owner = dj_database_url.parse(DATABASE_OWNER_URL)
        if any(_owner.get(key) != _db.get(key) for key in ("ENGINE", "HOST", "PORT", "NAME")):
            raise ImproperlyConfigured(
                "DATABASE_OWNER_URL must name the same server and database as DATABASE_URL, "
                "with the owner's login instead of the application's."
            )
        _db["OWNER"] = {"USER": _owner["USER"], "PASSWORD": _owner.get("PASSWORD", "")}
else:
    if DATABASE_OWNER_URL:
        raise ImproperlyConfigured("DATABASE_OWNER_URL needs DATABASE_URL beside it.")
    # Unset: the embedded PostgreSQL under var/, started on the first connection, with both
    # roles made by hms.embedded (its superuser migrates; the application's login owns nothing).
    from hms import embedded

    _db = {
        "NAME": embedded.DATABASE_NAME,
        "USER": embedded.APP_USER,
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "CONN_MAX_AGE": 0,
        "EMBEDDED": True,
        "OWNER": {"USER": embedded.OWNER_USER, "PASSWORD": ""},
    }
_db["ENGINE"] = "hms.dbbackend"
_db.setdefault("TEST", {})["NAME"] = env_str("HMS_TEST_DATABASE_NAME", "test_hms")
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication ------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (core.lockout), for 15 minutes: five failures lock the username at that
# address only (a stranger cannot lock staff out), twenty from one address whatever the
# usernames lock that address (password spraying).
AXES_FAILURE_LIMIT = env_int("HMS_LOGIN_FAILURE_LIMIT", 5)
HMS_LOGIN_ADDRESS_FAILURE_LIMIT = env_int("HMS_LOGIN_ADDRESS_FAILURE_LIMIT", 20)
if HMS_LOGIN_ADDRESS_FAILURE_LIMIT < AXES_FAILURE_LIMIT:
    raise ImproperlyConfigured(
        "HMS_LOGIN_ADDRESS_FAILURE_LIMIT (failures from one address, any usernames) must be at "
        "least HMS_LOGIN_FAILURE_LIMIT (failures of one username from one address)."
    )
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "core.lockout.LoginLockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Client addresses (audit log, login lockout) are the connection's own, unless the hospital's
# proxy passes the client's in a header: then set its name here (e.g. X-Forwarded-For, which
# the proxy appends to), and the right-most address of that header is used, the one the proxy
# added; what a client sends itself is never read (core.audit.client_ip).
HMS_TRUSTED_PROXY_HEADER = env_str("HMS_TRUSTED_PROXY_HEADER", "")
if not re.fullmatch(r"[A-Za-z0-9-]*", HMS_TRUSTED_PROXY_HEADER):
    raise ImproperlyConfigured(
        "HMS_TRUSTED_PROXY_HEADER must be a header name such as X-Forwarded-For or X-Real-IP, "
        f"not {HMS_TRUSTED_PROXY_HEADER!r}."
    )
AXES_CLIENT_IP_CALLABLE = "core.audit.client_ip"

# Two-step sign-in (django-otp): the roles that must use a second factor (superusers count
# as Administrator); the others may turn it on. The issuer names the account in the app.
HMS_2FA_REQUIRED_ROLES = env_list("HMS_2FA_REQUIRED_ROLES", ["Doctor", "Administrator"])
OTP_TOTP_ISSUER = env_str("HMS_OTP_ISSUER", "HMS")

# Passkeys (django-otp-webauthn), a second factor beside the authenticator app, never a
# sign-in without the password. A passkey belongs to one relying-party id, a host name the
# site answers to (or a domain above it): HMS_WEBAUTHN_RP_ID, else the first name (not an
# address) of ALLOWED_HOSTS. Changing it later orphans every passkey made before.
_rp_id = env_str("HMS_WEBAUTHN_RP_ID", "").strip().lower()
HMS_WEBAUTHN_RP_ID = _rp_id or passkey_rp_id_from(ALLOWED_HOSTS)
if not re.fullmatch(
    r"(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*",
    HMS_WEBAUTHN_RP_ID,
):
    raise ImproperlyConfigured(
        "HMS_WEBAUTHN_RP_ID must be a lower-case host name the site answers to, such as "
        f"hms.example.org (no scheme, port or path), not {HMS_WEBAUTHN_RP_ID!r}."
    )
OTP_WEBAUTHN_RP_ID = HMS_WEBAUTHN_RP_ID
OTP_WEBAUTHN_RP_NAME = OTP_TOTP_ISSUER  # some browsers show it when a passkey is made
# The site's HTTPS origin; accounts.passkeys also accepts the origin of the request itself
# when its host is the relying party's (another port, or http://localhost in development).
OTP_WEBAUTHN_ALLOWED_ORIGINS = [f"https://{HMS_WEBAUTHN_RP_ID}"]
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_HELPER_CLASS = "accounts.passkeys.PasskeyHelper"

# Sessions end after 30 minutes without a request.
SESSION_COOKIE_AGE = env_int("HMS_SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = False  # core.session_refresh writes it once a minute instead
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Outgoing e-mail -----------------------------------------------------------------------
# The SMTP server for password-reset mails. Unset: no mail is sent, and the password-reset
# pages answer 404 (hms.auth_urls); an administrator sets a new password instead.
EMAIL_HOST = env_str("HMS_EMAIL_HOST", "")
EMAIL_PORT = env_int("HMS_EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("HMS_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("HMS_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("HMS_EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 10  # seconds: a dead mail server must not hold a request
# A display name ("St. Aurelia Hospital <appointments@hospital.example>") is how messages to
# patients and their calendar entries name the hospital.
DEFAULT_FROM_EMAIL = SERVER_EMAIL = env_str("HMS_EMAIL_FROM", "hms@localhost")
# Without a mail server, development writes every mail as a file under var/mail/ (the worker
# logs each file's name), and production sends no e-mail to patients.
if not EMAIL_HOST and not PRODUCTION:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = BASE_DIR / "var" / "mail"
HMS_PATIENT_EMAIL = bool(EMAIL_HOST) or not PRODUCTION

# --- Messages to patients about appointments (appointments.messaging) -----------------------
# Hours before an appointment its reminder goes out (a periodic job, every five minutes).
HMS_REMINDER_HOURS = env_int("HMS_REMINDER_HOURS", 24)
# Minutes a freed slot stays offered to a waiting patient before it goes to the next one
# (appointments.waitlist).
HMS_WAITLIST_OFFER_MINUTES = env_int("HMS_WAITLIST_OFFER_MINUTES", 30)
# Tries of a message before it shows as failed, and the wait after the first failed try
# (doubled after each further one: 1, 2, 4, 8 minutes by default).
HMS_MESSAGE_ATTEMPTS = env_int("HMS_MESSAGE_ATTEMPTS", 5)
HMS_MESSAGE_RETRY_SECONDS = env_int("HMS_MESSAGE_RETRY_SECONDS", 60)
# Text messages: the dotted path of a class with send(*, to, text) for the hospital's SMS
# gateway (core.sms); core.sms.LogSmsBackend only writes them to the log. Unset: no SMS.
HMS_SMS_BACKEND = env_str("HMS_SMS_BACKEND", "")

# --- The check-in queue (appointments.queue) --------------------------------------------------
# Token numbers per doctor ("doctor": each doctor's patients 1, 2, 3…) or one sequence for the
# whole hospital ("hospital"); either way each doctor calls their own patients.
HMS_QUEUE_SCOPE = env_str("HMS_QUEUE_SCOPE", "doctor")
if HMS_QUEUE_SCOPE not in {"doctor", "hospital"}:
    raise ImproperlyConfigured("HMS_QUEUE_SCOPE must be 'doctor' or 'hospital'.")

# --- Internationalisation, time, money ------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("HMS_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("HMS_STATIC_ROOT", str(BASE_DIR / "var" / "staticfiles")))
if not PRODUCTION:
    # WhiteNoise warns on every request when STATIC_ROOT is missing; development serves
    # from the finders, so an empty folder is all it needs.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploaded files (patients' data); `manage.py backup` copies this folder with the database.
MEDIA_ROOT = Path(env_str("HMS_MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
# Folder of pg_dump and pg_restore for `manage.py backup`/`restore`; unset: the embedded
# server's own, else those matching the server's version (see hms/backup/tools.py).
HMS_PG_BIN = env_str("HMS_PG_BIN")

# Workbook uploads (imports app): the largest upload the page takes, and how long a checked
# upload waits for confirmation before its files (patients' data) are deleted.
HMS_IMPORT_MAX_UPLOAD_MB = env_int("HMS_IMPORT_MAX_UPLOAD_MB", 100)
HMS_IMPORT_KEEP_HOURS = env_int("HMS_IMPORT_KEEP_HOURS", 24)
# What an .xlsx upload may unpack to (imports/archive.py): in all, and its text (shared
# strings, which openpyxl keeps in memory).
HMS_IMPORT_MAX_UNZIPPED_MB = env_int("HMS_IMPORT_MAX_UNZIPPED_MB", 1000)
HMS_IMPORT_MAX_SHARED_STRINGS_MB = env_int("HMS_IMPORT_MAX_SHARED_STRINGS_MB", 32)

# --- Background jobs (procrastinate; the queue lives in this database) ----------------------
# Workers: `python manage.py procrastinate worker`. Tasks live in each app's tasks.py.
PROCRASTINATE_ON_APP_READY = "jobs.engine.on_app_ready"
# Days a finished job (and a failed job's error) is kept before the nightly clean-up.
HMS_JOBS_KEEP_DAYS = env_int("HMS_JOBS_KEEP_DAYS", 30)
# Who gets an e-mail when a nightly check fails (the audit chain broken): comma-separated
# addresses (Django's ADMINS, through the mail server above). The log has it in any case.
ADMINS = [("", address) for address in env_list("HMS_ALERT_EMAILS", [])]

# --- FHIR API (/fhir/R4/, the fhir app) ------------------------------------------------------
# Requests per minute one API token (or one signed-in browser) may make; past it the API
# answers 429 with Retry-After. Counted in the database, so it holds across worker processes.
HMS_FHIR_RATE = env_int("HMS_FHIR_RATE", 120)
if HMS_FHIR_RATE < 1:
    raise ImproperlyConfigured("HMS_FHIR_RATE must be at least 1 (requests per minute).")
# The hospital's own URI that names its identifier systems (MRN, doctor code) and extensions
# in the resources; it need not resolve. Other systems store these names: choose it once.
HMS_FHIR_SYSTEM_BASE = env_str("HMS_FHIR_SYSTEM_BASE", "https://hms.example.org/fhir").rstrip("/")
_FHIR_BASE_URI = r"https?://[^\s/?#]+(/[^\s?#]*)?|urn:[a-z0-9][a-z0-9-]*:\S+"
if not re.fullmatch(_FHIR_BASE_URI, HMS_FHIR_SYSTEM_BASE):
    raise ImproperlyConfigured(
        "HMS_FHIR_SYSTEM_BASE must be an absolute URI of the hospital, such as "
        f"https://hospital.example/fhir, not {HMS_FHIR_SYSTEM_BASE!r}."
    )

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security -------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],  # no inline script anywhere
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("HMS_SECURE_SSL_REDIRECT", True)
    # Load balancers probe the application directly over HTTP; the answer carries no data.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("HMS_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env_bool("HMS_BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("HMS_LOG_LEVEL", "WARNING")},
    # Every run of `audit_verify` logs the audit chain's head, so the log keeps each day's.
    "loggers": {
        "core.audit_chain": {"level": "INFO"},
        # Where development's mail files go, and the log SMS backend's messages.
        "appointments.messaging": {"level": "INFO"},
        "core.sms": {"level": "INFO"},
    },
}
