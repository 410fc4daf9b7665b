"""The application factory and the `flask --app app ...` commands (ARCHITECTURE §6).

Configuration comes from `settings` (defaults, then the instance folder's `config.py`, then the
environment), then the mapping a caller (a test) passes in.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from extensions import csrf, db
from schema_migrations import init_migrations, upgrade_schema
from settings import configure

PROJECT_ROOT = Path(__file__).resolve().parent

PAGE_COMMANDS = frozenset({"run", "shell", "routes"})
"""Flask's own commands that need the pages; the app's commands load it without them (the
worker loads them itself: `load_pages`)."""


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    configure(app)
    if not app.debug and not (test_config or {}).get("TESTING"):
        app.config["SESSION_COOKIE_SECURE"] = True  # production is served over HTTPS only
    if test_config:
        app.config.from_mapping(test_config)
    _require_secret_key(app)
    _trust_proxies(app)

    db.init_app(app)
    init_migrations(app)
    csrf.init_app(app)
    with app.app_context():
        _tune_sqlite(db.engine)

    from auth import init_auth
    from dashboards.cache import init_dashboard_cache
    from forms_config import init_forms_config
    from jobs import init_jobs

    init_auth(app)
    init_forms_config(app)
    init_jobs(app)
    init_dashboard_cache(app)
    if _serves_pages():
        load_pages(app)

    @app.route("/")
    def root() -> Any:
        from flask import redirect, url_for

        return redirect(url_for("admin.index"))

    register_commands(app)
    return app


def load_pages(app: Flask) -> None:
    """The admin views, once. The worker command asks for them too: a big list export is
    replayed through its list view (`jobs.export_job`)."""
    if "admin" in app.extensions:
        return
    from admin_views import init_admin  # a second of imports a report command never uses

    init_admin(app)


def _require_secret_key(app: Flask) -> None:
    """Serving needs a real secret; maintenance commands sign nothing and may run without one."""
    if app.config.get("SECRET_KEY"):
        return
    if app.debug or app.testing or not _is_serving():
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        return
    raise RuntimeError(
        "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random value "
        "(for example: python -c 'import secrets; print(secrets.token_hex(32))') before serving."
    )


def _trust_proxies(app: Flask) -> None:
    """`request.remote_addr` is the client's IP for login throttling, login history and the audit.

    Behind N reverse proxies (TRUSTED_PROXY_HOPS=N) it is the address the outermost one saw, read
    from X-Forwarded-For; with none, that header is ignored, since any client can send it.
    """
    if hops := app.config["TRUSTED_PROXY_HOPS"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops)


def _is_serving() -> bool:
    """True under a WSGI server or `flask run`; False while another `flask` command runs."""
    ctx = click.get_current_context(silent=True)
    return ctx is None or ctx.command.name == "run"


def _serves_pages() -> bool:
    """False while `flask` loads the app to run one of its own commands (report, import, ...).

    Those commands draw no page, so the admin views (Flask-Admin, every form and list) are left
    out and `flask report aging` starts in a fraction of the time. The server, tests, and
    Flask's `run`, `shell` and `routes` commands get every page.
    """
    ctx = click.get_current_context(silent=True)
    return ctx is None or ctx.command.name in PAGE_COMMANDS


def _tune_sqlite(engine: sa.Engine) -> None:
    """WAL and a busy timeout let parallel workers write without "database is locked" errors."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def register_commands(app: Flask) -> None:
    """The app's commands; what only one of them uses is imported when it runs."""
    from bulk_io.command_line import export_command, import_command
    from dashboards.command_line import dashboards_command
    from models.people import ROLES
    from reports.command_line import report_command

    app.cli.add_command(import_command)  # flask import KIND FILE [--dry-run]
    app.cli.add_command(export_command)  # flask export KIND FILE
    app.cli.add_command(report_command)  # flask report aging --as-of D [--by ...] [--output F]
    app.cli.add_command(dashboards_command)  # flask dashboards warm

    @app.cli.command("init-db")
    def init_db() -> None:
        """Create or upgrade the database schema, and create the guest account."""
        from models.accounts import ensure_guest_account

        upgrade_schema()
        ensure_guest_account(db.session)
        db.session.commit()
        click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")

    @app.cli.command("create-user")
    @click.option("--email", required=True, help="Login e-mail; must be unique.")
    @click.option("--role", required=True, type=click.Choice(ROLES), help="What the user may do.")
    @click.option(
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="Asked for when left out (not echoed).",
    )
    @click.option("--first-name", default=None)
    @click.option("--last-name", default=None)
    def create_user(
        email: str, role: str, password: str, first_name: str | None, last_name: str | None
    ) -> None:
        """Create a user who can log in to the panel."""
        from auth.passwords import hash_password, password_problem
        from models import User

        email = email.strip().lower()
        if "@" not in email:
            raise click.BadParameter("not an e-mail address", param_hint="--email")
        if problem := password_problem(password):
            raise click.BadParameter(problem, param_hint="--password")
        if db.session.scalar(sa.select(User).where(User.email == email)):
            raise click.ClickException(f"A user with the e-mail {email} already exists.")
        db.session.add(
            User(
                email=email,
                role=role,
                first_name=first_name,
                last_name=last_name,
                password_hash=hash_password(password),
            )
        )
        db.session.commit()
        click.echo(f"Created {role} {email}.")

    @app.cli.command("seed-demo")
    @click.option(
        "--accounts",
        default=40,
        show_default=True,
        type=click.IntRange(1, 100_000),
        help="How many customer accounts to create.",
    )
    def seed_demo(accounts: int) -> None:
        """Fill an empty database with realistic demo data and one login per role."""
        from demo.seed import DEMO_LOGINS, seed_demo_data

        created = seed_demo_data(accounts)
        if created:
            click.echo(f"Seeded {accounts} accounts with invoices, payments and activity.")
        else:
            click.echo("The database already holds demo data; nothing was added.")
        click.echo("Demo logins (role, e-mail, password):")
        for role, email, password in DEMO_LOGINS:
            click.echo(f"  {role:<12} {email:<32} {password}")

    @app.cli.command("notify")
    def notify() -> None:
        """Send invoice e-mails and credit-limit alerts that are due, and create due follow-ups.

        Run it every minute from cron: it is safe to repeat and to overlap, each e-mail goes once.
        Without MAIL_SERVER (and MAIL_PORT, MAIL_USERNAME, MAIL_PASSWORD, MAIL_USE_TLS, MAIL_FROM)
        in the environment, e-mails wait in the outbox, listed in the panel under Settings.
        """
        from notifications.runner import run_notify
        from notifications.sending import MailSettings

        report = run_notify(db.session, MailSettings.from_config(app.config))
        click.echo(report.summary())
