from django.urls import path

from tandem.blended.views import feed, patient, session, staff, work

ENROLLMENT = "enrollments/<uuid:enrollment>/"
SESSION = "sessions/<uuid:appointment>/"

urlpatterns = [
    # therapist (and supervisor reading)
    path("sessions/", staff.schedule_view, name="blended_schedule"),
    path(ENROLLMENT, staff.enrollment_view, name="blended_enrollment"),
    path(ENROLLMENT + "since-last-session/", staff.digest_view, name="blended_digest"),
    path(ENROLLMENT + "sessions/new/", staff.appointment_new, name="blended_appointment_new"),
    path(ENROLLMENT + "plan/", work.plan_view, name="blended_plan"),
    path(ENROLLMENT + "load-limit/", work.load_limit_view, name="blended_load_limit"),
    path(ENROLLMENT + "homework/new/", work.homework_new, name="blended_homework_new"),
    path(SESSION, staff.appointment_view, name="blended_appointment"),
    path(SESSION + "reschedule/", staff.appointment_reschedule, name="blended_reschedule"),
    path(SESSION + "cancel/", staff.appointment_cancel, name="blended_cancel"),
    path(SESSION + "attendance/", staff.appointment_attendance, name="blended_attendance"),
    path(SESSION + "agenda/", session.agenda_view, name="blended_agenda"),
    path(SESSION + "agenda/prepare/", session.agenda_prepare, name="blended_agenda_prepare"),
    path(SESSION + "agenda/add/", session.agenda_add, name="blended_agenda_add"),
    path("agenda-items/<uuid:item>/", session.agenda_item, name="blended_agenda_item"),
    path(SESSION + "note/", session.note_view, name="blended_note"),
    path(SESSION + "note/sign/", session.note_sign, name="blended_note_sign"),
    path(SESSION + "note/addenda/", session.note_addendum, name="blended_note_addendum"),
    path("homework/<uuid:homework>/review/", work.homework_review, name="blended_homework_review"),
    path(
        "homework/<uuid:homework>/withdraw/",
        work.homework_withdraw,
        name="blended_homework_withdraw",
    ),
    # patient
    path("my-sessions/", patient.my_sessions, name="blended_my_sessions"),
    path("my-sessions/<uuid:appointment>/topics/", patient.topic_add, name="blended_topic_add"),
    path(
        "my-sessions/topics/<uuid:item>/remove/", patient.topic_remove, name="blended_topic_remove"
    ),
    path(
        "my-sessions/homework/<uuid:homework>/", patient.homework_tick, name="blended_homework_tick"
    ),
    path(SESSION + "calendar.ics", patient.appointment_ics, name="blended_ics"),
    # calendar feeds
    path("calendar/", feed.calendar_settings, name="blended_calendar"),
    path("calendar/<str:token>.ics", feed.calendar_feed, name="blended_feed"),
]
