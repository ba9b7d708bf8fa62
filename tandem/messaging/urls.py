from django.urls import path

from tandem.messaging import views

urlpatterns = [
    path("messages/", views.inbox, name="messaging_inbox"),
    path("messages/<uuid:enrollment>/", views.conversation_view, name="messaging_conversation"),
    path("messages/<uuid:enrollment>/send/", views.send, name="messaging_send"),
    path("messages/<uuid:enrollment>/draft/", views.draft, name="messaging_draft"),
    path("messages/<uuid:enrollment>/moves/", views.moves_checklist, name="messaging_moves"),
    path("messages/<uuid:enrollment>/read/", views.mark_read, name="messaging_mark_read"),
    path("messages/pulse/<uuid:pulse>/", views.pulse, name="messaging_pulse"),
    path("messaging/templates/", views.template_list, name="messaging_templates"),
    path("messaging/templates/new/", views.template_new, name="messaging_template_new"),
    path(
        "messaging/templates/<uuid:template>/", views.template_edit, name="messaging_template_edit"
    ),
    path("messaging/settings/", views.policy, name="messaging_policy"),
    path("messaging/reply-times/", views.stats, name="messaging_stats"),
    path(
        "messaging/reply-times/<uuid:user>/",
        views.stats_therapist,
        name="messaging_stats_therapist",
    ),
    path("messaging/absences/", views.absences, name="messaging_absences"),
    path("messaging/absences/<uuid:absence>/end/", views.absence_end, name="messaging_absence_end"),
]
