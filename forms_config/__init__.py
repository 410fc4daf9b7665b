"""Configure Forms (ARCHITECTURE §4): per-role field rules and custom fields, loaded, cached,
applied to the generated forms and enforced on save.

`rules_for(entity, role)` and `custom_fields_for(entity)` are the only way the rest of the app
reads this configuration, and `readability` is the one answer to "may this role read this
field", which every reader of the data goes through. Both come from a per-app cache that is
dropped whenever the `forms` config stamp moves (see `stamp.py`).
"""

from flask import Flask

from extensions import db
from forms_config.readability import may_read, reader_role, reading_as, watch_loaded_records
from forms_config.rule_checks import refuse_invalid_rules
from forms_config.rules import RuleBook, custom_fields_for, rules_for
from forms_config.stamp import watch_config_changes

__all__ = [
    "custom_fields_for",
    "init_forms_config",
    "may_read",
    "reader_role",
    "reading_as",
    "rules_for",
]


def init_forms_config(app: Flask) -> None:
    app.extensions["rule_book"] = RuleBook()
    refuse_invalid_rules()  # first, so that a refused rule does not move the config stamp
    watch_config_changes()
    watch_loaded_records()

    @app.before_request
    def drop_stale_rules() -> None:
        app.extensions["rule_book"].refresh_if_stale(db.session)
