"""Who is asking: login and logout, password hashing, and what each role may do."""

from flask import Flask
from flask_login import current_user, user_logged_in

from auth.impersonation import current_impersonator, impersonation_blueprint
from auth.session_binding import bind_session_to_browser
from auth.session_cookie import SlidingSessionInterface
from auth.views import auth_blueprint, load_user_by_session_token
from extensions import login_manager


def init_auth(app: Flask) -> None:
    app.session_interface = SlidingSessionInterface()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    # Flask-Login's "strong" protection lets a permanent session (all of ours) through, merely
    # "not fresh": auth.session_binding binds each session to its browser instead.
    login_manager.session_protection = None
    user_logged_in.connect(bind_session_to_browser, app)
    login_manager.user_loader(load_user_by_session_token)

    @app.before_request
    def load_session_user() -> None:
        """The session's user before any other hook asks for a config stamp: the user's statement
        reads the stamps too (`forms_config.stamp.with_stamps`), one round trip for both."""
        current_user._get_current_object()

    app.register_blueprint(auth_blueprint)
    app.register_blueprint(impersonation_blueprint)
    app.context_processor(lambda: {"impersonator": current_impersonator()})
