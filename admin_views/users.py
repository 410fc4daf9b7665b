"""The users view: the generic one, plus the "View as" button on a user's page for super admins."""

from typing import Any

from admin_views.generic import RoleAwareModelView
from auth.impersonation import may_view_as


class UserView(RoleAwareModelView):
    details_template = "admin/user_details.html"

    def render(self, template: str, **kwargs: Any) -> str:
        kwargs["may_view_as"] = may_view_as
        return super().render(template, **kwargs)
