import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_standings_are_correct_on_the_embedded_sqlite_default(tmp_path):
    # A subprocess: this test session's settings are PostgreSQL's; the scenario migrates a fresh file.
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'portal.sqlite3'}", DJANGO_SETTINGS_MODULE="config.settings.local")
    result = subprocess.run([sys.executable, "-m", "tests.competitions.sqlite_scenario"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "sqlite scenario ok" in result.stdout
