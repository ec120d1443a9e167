from functools import partial

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from ninja.openapi.views import openapi_view

from leadgate.api.urls import api, unknown_path
from leadgate.leads import views as lead_views

urlpatterns = [
    path("", lead_views.home, name="home"),
    path("healthz", lead_views.healthz, name="healthz"),
    path("readyz", lead_views.readyz, name="readyz"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", include("leadgate.leads.profile_urls")),  # one's name, time zone, password
    path("", include("leadgate.workspace.queue_urls")),  # /desk/: the live queue
    path("", include("leadgate.workspace.list_urls")),  # /leads/: lists, saved views, bulk
    path("", include("leadgate.workspace.urls")),
    path("", include("leadgate.workspace.account_urls")),  # /accounts/<id>/edit
    path("", include("leadgate.workspace.touch_urls")),  # /leads/<id>/touch, /desk/aging/
    path("", include("leadgate.intake.urls")),  # /f/<key> (public) and /intake/forms/
    path("duplicates/", include("leadgate.intake.review_urls")),
    path("sales/", include("leadgate.handoff.urls")),
    path("reports/", include("leadgate.reports.urls")),
    path("intake/import/", include("leadgate.intake.import_urls")),
    path("scoring/", include("leadgate.scoring.urls")),
    path("routing/", include("leadgate.routing.urls")),
    path("settings/webhooks/", include("leadgate.api.webhook_urls")),
    path("nurture/", include("leadgate.nurture.urls")),
    # Public: the links in emails (unsubscribe, tracking) and the inbound mail hook.
    path("mail/", include("leadgate.mail.urls")),
    path("mail/", include("leadgate.mail.inbound_urls")),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/(?P<rest>.*)$", unknown_path),  # after the API: what it did not match
    path("api/docs", partial(openapi_view, api=api), name="api-docs"),
    path("admin/", admin.site.urls),
]
