import os

from django.core.wsgi import get_wsgi_application

# A web process: its SQL statements get a time limit below gunicorn's (WEB_STATEMENT_TIMEOUT_MS in settings).
os.environ.setdefault("PORTAL_PROCESS", "web")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()
