"""Settings shared by every environment. Values that differ come from the environment (config.env)."""

import os
from pathlib import Path

from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_database, env_int, env_list, env_redis_url, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("SECRET_KEY", "insecure-embedded-default-key-change-me-in-production-0123456789")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served from our own static files (see CSP below)
    "import_export",
    "members.apps.LoginLockConfig",  # django-axes: the login lockout (members/lockout.py)
    "members",
    "competitions",
    "reviews",
]

MIDDLEWARE = [
    "config.db_health.ConnectionCheckMiddleware",
    "config.db_health.StatementTimeoutMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "members.middleware.PasswordChangeRequiredMiddleware",
    "members.middleware.NoStoreMiddleware",
    "config.middleware.MessageMiddleware",  # not for /api/
    "config.middleware.AdminParametersMiddleware",  # the admin refuses NUL and overlong date drill-downs
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "members.navigation.portal_nav",
            ],
            # Numbers, points, months and dates shown one way on every page (|points, |month …).
            "builtins": ["config.formatting"],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL")}
# psycopg prepares a server-side-bound statement the first time it runs (Django's default of None
# turns preparing off). Only the API's hot reads are server-side bound (config/api/db.py); Django's
# own client-side cursors never prepare. (Behind a transaction-pooling PgBouncer, set None.)
DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 0
# No page may run into gunicorn's worker timeout (30 s, README): in the web processes (config/wsgi.py sets
# PORTAL_PROCESS=web) PostgreSQL cancels a statement after this many milliseconds and the person gets a
# "try again" page (config.db_health.StatementTimeoutMiddleware) instead of a killed worker. Long work
# belongs in Celery, whose workers have no such limit. 0 turns it off.
WEB_STATEMENT_TIMEOUT_MS = env_int("WEB_STATEMENT_TIMEOUT_MS", 20_000, minimum=0)
if os.environ.get("PORTAL_PROCESS") == "web" and WEB_STATEMENT_TIMEOUT_MS:
    DATABASES["default"]["OPTIONS"]["options"] = (
        f"{DATABASES['default']['OPTIONS'].get('options', '')} -c statement_timeout={WEB_STATEMENT_TIMEOUT_MS}"
    ).strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "members.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes' backend sits in front of every password check (portal, admin, API) and refuses a locked
# login before the password is tried; the rule (per account and address, known devices, growing
# delays) is members/lockout.py's. Failures are rows in PostgreSQL: the lockout needs no Redis.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)  # one employee number from one address
LOGIN_IP_FAILURE_LIMIT = env_int("LOGIN_IP_FAILURE_LIMIT", 20, minimum=1)  # per address (depots share NAT)
LOGIN_ACCOUNT_FAILURE_LIMIT = env_int("LOGIN_ACCOUNT_FAILURE_LIMIT", 50, minimum=1)  # one number, every address
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60, minimum=1)  # the first lock; then doubling
LOGIN_LOCKOUT_MAX_SECONDS = env_int("LOGIN_LOCKOUT_MAX_SECONDS", 24 * 60 * 60, minimum=LOGIN_LOCKOUT_SECONDS)
LOGIN_DEVICE_DAYS = env_int("LOGIN_DEVICE_DAYS", 180, minimum=1)  # how long a device stays "known"
AXES_HANDLER = "members.lockout.LoginLockHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT  # what the admin's per-row status compares with
AXES_COOLOFF_TIME = "members.lockout.cool_off"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # for axes' own log lines; LoginLockHandler counts
AXES_RESET_ON_SUCCESS = True  # the account's rows only: LoginLockHandler.reset_user_attempts
AXES_CLIENT_IP_CALLABLE = "members.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "members.lockout.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # no row per successful login; failures are what staff need to see
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

# People see Chinese first and can switch to English.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Change lists of 223,000 workers: never let a stray admin form post 100k ids.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20000
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Celery -------------------------------------------------------------------------------------
# With no REDIS_URL the embedded default runs tasks in-process, so a newcomer needs nothing but Python.
REDIS_URL = env_redis_url("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker that loses Redis reconnects for as long as it takes (Celery's default gives up after 100
# tries and the worker exits); the supervisor (config/deploy/systemd/) restarts it if it exits anyway.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A web request that sends a task after its commit waits at most about a second for a Redis that is
# down; the work is not lost (what it was for is re-done by a sweep, e.g. reviews.tasks.sweep_flags).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2,
                                    "interval_max": 0.5}

# How often the standings are recomputed during the day, on top of the nightly run (0 = nightly only).
STANDINGS_INTRADAY_MINUTES = env_int("STANDINGS_INTRADAY_MINUTES", 0, minimum=0)

# One beat schedule, in code. Each entry expires before its next run would start, so a backlog
# after an outage never queues several copies of the same recompute.
CELERY_BEAT_SCHEDULE = {
    # Nightly ranking of every active competition, for the day that has just ended.
    "standings-nightly": {
        "task": "competitions.tasks.recompute_active_competitions",
        "schedule": crontab(hour=1, minute=0),
        "options": {"expires": 60 * 60 * 20},
    },
    # Monthly: a finished month's daily standings partitions merged into one (competitions.standings).
    # The 3rd, so that the month's last day is neither the base nor the previous day of any run to come.
    # Every few minutes: queue flags of months whose scheduled recompute could not be sent or was lost
    # (reviews.flags.flags_sweep); a no-op query when nothing is overdue.
    "flags-sweep": {
        "task": "reviews.tasks.sweep_flags",
        "schedule": 5 * 60,
        "options": {"expires": 4 * 60},
    },
    "standings-compact-monthly": {
        "task": "competitions.tasks.compact_standings",
        "schedule": crontab(day_of_month=3, hour=3, minute=30),
        "options": {"expires": 60 * 60 * 20},
    },
    # A run killed outright cannot record its end: its row is marked failed here, so staff never see a
    # dead run "running" for long (the next run of the same competition does it too).
    "standings-dead-runs": {
        "task": "competitions.tasks.mark_dead_standings_runs",
        "schedule": 10 * 60,
        "options": {"expires": 5 * 60},
    },
}
if STANDINGS_INTRADAY_MINUTES:
    # Optional daytime refresh of today's provisional standings.
    CELERY_BEAT_SCHEDULE["standings-intraday"] = {
        "task": "competitions.tasks.recompute_active_competitions",
        "schedule": STANDINGS_INTRADAY_MINUTES * 60,
        "kwargs": {"intraday": True},
        "options": {"expires": STANDINGS_INTRADAY_MINUTES * 60 - 5},
    }

# --- Caches -------------------------------------------------------------------------------------
if REDIS_URL:
    # Tolerant: a Redis outage makes cache reads misses and writes no-ops, never errors (config/cache.py).
    CACHES = {"default": {"BACKEND": "config.cache.TolerantRedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- REST framework (/api/v1/) -----------------------------------------------------------------
REST_FRAMEWORK = {
    # Bearer tokens for the mobile app first (so a request without credentials gets 401 with a
    # WWW-Authenticate header), the portal's session cookie second.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "members.api.authentication.BearerTokenAuthentication",
        "members.api.authentication.PortalSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.KeysetPagination",
    "DEFAULT_RENDERER_CLASSES": ["config.api.renderers.SafeJSONRenderer",
                                 "rest_framework.renderers.BrowsableAPIRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.api.parsers.BoundedJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "config.api.negotiation.ApiContentNegotiation",
    "DEFAULT_SCHEMA_CLASS": "config.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.errors.exception_handler",
    # One counter per request: "user" per signed-in account, "anon" per address (config/api/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": ["config.api.throttling.RateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "60/min"),
        "user": env_str("API_THROTTLE_USER", "600/min"),
        # Failed logins only: per account (password guessing) and per address (account guessing).
        "login_account": env_str("API_THROTTLE_LOGIN_ACCOUNT", "5/min"),
        "login_ip": env_str("API_THROTTLE_LOGIN_IP", "20/min"),
    },
    "NUM_PROXIES": env_int("API_NUM_PROXIES", 0, minimum=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
API_ACCESS_TOKEN_SECONDS = env_int("API_ACCESS_TOKEN_SECONDS", 2 * 60 * 60, minimum=60)
API_REFRESH_TOKEN_SECONDS = env_int("API_REFRESH_TOKEN_SECONDS", 30 * 24 * 60 * 60, minimum=60)
API_IDEMPOTENCY_STALE_SECONDS = 120

SPECTACULAR_SETTINGS = {
    "TITLE": "劳动竞赛门户 API",
    "DESCRIPTION": (
        "“轨道上的京津冀”劳动竞赛门户的移动端接口（/api/v1/）。\n\n"
        "* 认证：POST /api/v1/auth/login/ 用工号和密码换取令牌，之后请求头带 `Authorization: Bearer <access>`；"
        "access 过期后用 refresh 换新（/auth/refresh/），注销（/auth/logout/）后两者立即失效。"
        "修改密码（/auth/password/，或在门户、由录入员重置）后该账号的所有令牌失效；密码由他人设置的账号"
        "须先修改密码，其他接口返回 403 password_change_required。"
        "门户的会话（Cookie）同样有效。\n"
        "* 错误：所有失败都返回 `{\"error\": {\"code\", \"message\", \"details\"}}`，code 稳定不变。\n"
        "* 分页：列表用游标分页，取响应中的 next / previous 链接翻页。\n"
        "* 幂等：POST 可带 `Idempotency-Key` 头，重试返回第一次的结果。\n"
        "* 可见范围：职工只看到本人的数据，录入员看到所负责单位的，审核员看到所负责业务系统的；"
        "不在范围内的对象一律返回 404。"
    ),
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.schema.forbid_unknown_request_fields",
    ],
}

# --- Content-Security-Policy (django-csp) --------------------------------------------------------
# The portal's own scripts and styles only: no inline <script>, <style>, style="" or on*="" handlers in
# any template (behaviour lives in static/portal/*.js), nothing from another origin. A page that injected
# markup could then neither run script nor send data anywhere. The API docs pages relax only what their
# vendored viewers need (config/api_router.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # the admin's and Swagger UI's icons are data: URIs in their CSS
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# --- Review ---------------------------------------------------------------------------------------
# A month is signed off (locked) once it has ended; True lets departments that close the month on its
# last afternoon sign it off that day (reviews.workflow.first_sign_off_day).
SIGN_OFF_GRACE = env_bool("SIGN_OFF_GRACE", False)

# --- Import / export ----------------------------------------------------------------------------
# Uploads parked between an import's preview and its confirmation (config/parked_uploads.py): a
# directory every web process can read (shared storage when there are several web hosts).
PARKED_UPLOADS_DIR = env_str("PARKED_UPLOADS_DIR", str(BASE_DIR / "var" / "parked-uploads"))
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = True

# --- Logging ------------------------------------------------------------------------------------
# Personal data never reaches logs: requests are logged by path only, and no model's __str__
# contains an ID number or phone.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# Weekly: the latest published standings day of every active competition recomputed from the raw entries
# and checked against its stored rows and the digest ledger (competitions.verify); Monday morning, after
# the nightly run and clear of the monthly compaction.
CELERY_BEAT_SCHEDULE["standings-verify-weekly"] = {
    "task": "competitions.tasks.verify_latest_standings",
    "schedule": crontab(day_of_week=1, hour=4, minute=0),
    "options": {"expires": 60 * 60 * 20},
}

# Nightly: this month's and the next three months' partitions of the work entries (reviews.partitions),
# long before the first entry of a month arrives; a catalog query when they exist.
CELERY_BEAT_SCHEDULE["entry-partitions-nightly"] = {
    "task": "reviews.tasks.create_entry_partitions",
    "schedule": crontab(hour=0, minute=30),
    "options": {"expires": 60 * 60 * 20},
}

# Who is mailed when a verification finds published standings that differ (competitions.verify), as
# Django mails a server error: comma-separated addresses.
ADMINS = [("", address) for address in env_list("ADMINS", [])]

# --- Files the portal writes --------------------------------------------------------------------
# Background jobs' results (competitions.Job: exports). Private: no URL serves MEDIA_ROOT; a file is
# downloaded through its job's page, by the person who started the job.
MEDIA_ROOT = env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media"))

# --- Award documents ------------------------------------------------------------------------------
# Files the portal makes for staff (the 表彰名单 and certificates of a finalized round) are kept under
# MEDIA_ROOT/private (MEDIA_ROOT above), which no URL serves: staff download them through gated pages.
# A TrueType font with Chinese glyphs for the certificates; empty: the bundled WenQuanYi Micro Hei
# (competitions.honours.documents.certificate_font).
CERTIFICATE_FONT = env_str("CERTIFICATE_FONT", "")

# --- Notifications --------------------------------------------------------------------------------
# The portal's address as people open it, for links in messages sent outside it (企业微信 group robots);
# empty: those messages carry no link.
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "")
# 企业微信 group robots post only to https://qyapi.weixin.qq.com; hosts listed here (host or host:port) are
# allowed too, over http as well: a local fake endpoint in tests, a proxy in a closed network.
WECOM_WEBHOOK_TEST_HOSTS = env_list("WECOM_WEBHOOK_TEST_HOSTS", [])
# Daily: the reviewers of a month that can be signed off and is not yet are told, once per month and system.
CELERY_BEAT_SCHEDULE["notify-sign-off-due"] = {
    "task": "members.tasks.sign_off_due_notify",
    "schedule": crontab(hour=8, minute=30),
    "options": {"expires": 60 * 60 * 20},
}
# Weekly, Monday morning after the nightly standings: the rank change digest of the workers who opted in.
CELERY_BEAT_SCHEDULE["notify-rank-digest"] = {
    "task": "members.tasks.rank_digest_notify",
    "schedule": crontab(day_of_week=1, hour=7, minute=30),
    "options": {"expires": 60 * 60 * 20},
}
# The union leaders' dashboard (competitions.dashboard): its figures that need a scan of a month of entries
# are recomputed in the background this often, for every active competition; the page says how fresh they are.
DASHBOARD_REFRESH_MINUTES = env_int("DASHBOARD_REFRESH_MINUTES", 10, minimum=1)
CELERY_BEAT_SCHEDULE["dashboard-refresh"] = {
    "task": "competitions.tasks.refresh_dashboards",
    "schedule": DASHBOARD_REFRESH_MINUTES * 60,
    "options": {"expires": DASHBOARD_REFRESH_MINUTES * 60 - 5},
}

# --- Read replicas (config/db_router.py) ------------------------------------------------------------
# Imported here rather than at the top so this block stays one appended piece.
from config.env import env_databases  # noqa: E402

# DATABASE_REPLICA_URLS: comma-separated postgres:// URLs of streaming replicas of DATABASE_URL, named
# replica1, replica2, … Unset: one database, as before. Standings, leaderboard, history and catalog reads of
# a GET request may go to a replica; everything else, and every read of someone who wrote in the last
# seconds, goes to the primary (config/db_router.py says which and why).
# A replica replaying more than this many seconds behind the primary is skipped until it catches up.
DATABASE_REPLICA_MAX_LAG_SECONDS = env_int("DATABASE_REPLICA_MAX_LAG_SECONDS", 10, minimum=0)
for _number, _replica in enumerate(env_databases("DATABASE_REPLICA_URLS"), start=1):
    # The primary's options (prepared statements, the web processes' statement timeout), and a short
    # connect timeout: a replica host that does not answer costs one request a few seconds, after which
    # the router leaves it alone for a while.
    _replica["OPTIONS"] = {**DATABASES["default"]["OPTIONS"], **_replica.get("OPTIONS", {}), "connect_timeout": 3}
    # In tests a replica alias is the test database itself (Django's test mirror), never a second one.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica{_number}"] = _replica
DATABASE_REPLICAS = [alias for alias in DATABASES if alias != "default"]
DATABASE_ROUTERS = ["config.db_router.PrimaryReplicaRouter"]
# Last: it marks the view's reads as allowed on a replica (GET, HEAD), and sends a read that failed on a
# replica again to the primary.
MIDDLEWARE += ["config.db_router.ReplicaReadsMiddleware"]

# --- Background jobs whose process died (competitions.jobs) ---------------------------------------------
# A running job renews its heartbeat this often; one whose heartbeat is older than JOB_STALE_MINUTES lost
# its process (a worker killed by the OOM killer or a deploy) and is marked failed, so its person can start
# it again instead of waiting for the broker to redeliver its message (up to an hour).
from django.core.exceptions import ImproperlyConfigured  # noqa: E402 (this block stays one appended piece)

JOB_HEARTBEAT_SECONDS = env_int("JOB_HEARTBEAT_SECONDS", 30, minimum=1)
JOB_STALE_MINUTES = env_int("JOB_STALE_MINUTES", 10, minimum=1)
if JOB_STALE_MINUTES * 60 < 3 * JOB_HEARTBEAT_SECONDS:
    # Two missed heartbeats (a slow database for a minute) must not fail a job that is alive.
    raise ImproperlyConfigured("JOB_STALE_MINUTES must cover at least three JOB_HEARTBEAT_SECONDS.")
CELERY_BEAT_SCHEDULE["jobs-fail-stale"] = {
    "task": "competitions.tasks.fail_stale_jobs",
    "schedule": 5 * 60,
    "options": {"expires": 4 * 60},
}

# --- Old messages (members.notifications.notifications_purge) --------------------------------------------
# Read messages are deleted this many days after they were sent, unread ones after NOTIFICATION_UNREAD_KEEP_DAYS
# (a person away for months still finds what they were told); daily, in the quiet hours after the nightly run.
NOTIFICATION_KEEP_DAYS = env_int("NOTIFICATION_KEEP_DAYS", 90, minimum=1)
NOTIFICATION_UNREAD_KEEP_DAYS = env_int("NOTIFICATION_UNREAD_KEEP_DAYS", 365, minimum=NOTIFICATION_KEEP_DAYS)
CELERY_BEAT_SCHEDULE["notifications-purge"] = {
    "task": "members.tasks.purge_notifications",
    "schedule": crontab(hour=2, minute=30),
    "options": {"expires": 60 * 60 * 20},
}
