from django.contrib.auth import views as auth_views
from django.urls import path

from .views import (
    appeals,
    common,
    deadlines,
    evidence,
    lists,
    order,
    proactive,
    supervision,
    unreasonable,
    workspaces,
)

app_name = "web"
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", common.home, name="home"),
    path("intake/", workspaces.intake, name="intake"),
    path("intake/suggest/", workspaces.intake_suggest, name="intake_suggest"),
    path("intake/done/<int:order_id>/", workspaces.intake_done, name="intake_done"),
    path("dispatch/", workspaces.dispatch_board, name="dispatch"),
    path("inbox/", workspaces.inbox, name="inbox"),
    path("review/", workspaces.review_queue, name="review"),
    path("callback/", workspaces.callback_console, name="callback"),
    path("verify/", proactive.verify_queue, name="verify"),
    path("proactive/new/", proactive.new_proactive, name="proactive_new"),
    path("orders/", lists.order_list, name="orders"),
    path("orders/export.<str:fmt>", lists.order_export, name="export"),
    path("orders/<int:order_id>/", order.order_page, name="order"),
    path("orders/<int:order_id>/act/<str:verb>/", order.act, name="act"),
    path("orders/<int:order_id>/phone/", order.view_phone, name="view_phone"),
    path("orders/<int:order_id>/evidence/<int:evidence_id>/", evidence.evidence_file, name="evidence"),
    path("orders/<int:order_id>/reply-check/", order.reply_check, name="reply_check"),
    path("overview/", lists.overview, name="overview"),
    path("deadlines/", deadlines.deadline_rules, name="deadlines"),
    path("unreasonable/", unreasonable.reports, name="unreasonable"),
    path("marks/", unreasonable.marks, name="marks"),
    path("appeals/", appeals.appeals, name="appeals"),
    path("appeals/score/file/", appeals.file_score_appeal, name="score_appeal_file"),
    path("appeals/score/<int:appeal_id>/evidence/", appeals.score_appeal_evidence, name="score_appeal_evidence"),
    path("appeals/score/<int:appeal_id>/<str:verb>/", appeals.score_appeal_step, name="score_appeal_step"),
    path("supervision/", supervision.supervision_list, name="supervision"),
]
