"""The newcomer's demo: an embedded PostgreSQL under var/ and in-process Celery, unless the environment
says otherwise (DATABASE_URL, REDIS_URL)."""

import os

from config import embedded_db
from config.env import env_bool

# Started here, or found running, so that every manage.py command works in a fresh checkout. Through the
# environment, so that base reads it like any other URL and runserver's reloading child need not look again.
if not os.environ.get("DATABASE_URL", "").strip():
    os.environ["DATABASE_URL"] = embedded_db.ensure_running()

from .base import *  # noqa: E402, F403

DEBUG = env_bool("DEBUG", True)
