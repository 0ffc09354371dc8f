"""Landing on a page that works.

Horizon's Project and Admin dashboards open on their Overview panels, which
need Compute: a user whose catalog lacks it (or whose roles the panel's
policy refuses) would land on a 403 after logging in. The middleware sends
such a user from a dashboard's address to its first panel they may open.
"""
from django import shortcuts
import horizon


def _shown(panel, request):
    context = {'request': request}
    nav = panel.nav(context) if callable(panel.nav) else panel.nav
    return nav and usable(panel, request)


def usable(component, request):
    """What Horizon's menu checks: the catalog's services and roles the
    component asks for, then its policy rules."""
    return (request.user.has_perms(getattr(component, 'permissions', ()))
            and component.can_access({'request': request}))


def first_panel(dashboard, request):
    """The first panel of `dashboard`'s menu that `request`'s user may open."""
    for group in dashboard.get_panel_groups().values():
        for panel in group:
            if _shown(panel, request):
                return panel
    return None


def _dashboard_at(path):
    for dashboard in horizon.get_dashboards():
        try:
            if path == dashboard.get_absolute_url():
                return dashboard
        except Exception:
            continue        # its default panel is not registered
    return None


class DefaultPanelMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # After the URL is resolved: Horizon's dashboards are registered then.
        if request.method != 'GET' or not request.user.is_authenticated:
            return None
        dashboard = _dashboard_at(request.path)
        if dashboard is None or usable(dashboard.get_panel(dashboard.default_panel), request):
            return None
        panel = first_panel(dashboard, request)
        return shortcuts.redirect(panel.get_absolute_url()) if panel is not None else None
