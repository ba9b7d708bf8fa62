"""Demo wellbeing data: the demo patient's safety plan (two versions, patient and
therapist) and check-ins over eight weeks."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone

from tandem.accounts.models import CareTeamMember, Patient
from tandem.core import events
from tandem.wellbeing.models import CheckIn, SafetyPlan, SafetyPlanVersion

PLAN_V1 = {
    "warning_signs": 'I stop answering my phone. I lie awake after 3 am. I think "nothing '
    'will change".',
    "coping": "Calm breathing for three minutes. A shower. Music from my 'slow' playlist. "
    "Walking around the block.",
    "distractions": "The library café on Saturdays. My sister's kitchen.",
    "helpers": "My sister Anna. My friend Jussi.",
    "professionals": "My care team in Tandem (weekdays). Health centre. MIELI crisis line "
    "09 2525 0111. Emergency 112.",
    "safe_environment": "",
}
PLAN_V2_EXTRA = {
    "safe_environment": "Anna keeps the extra sleeping pills at her place. I keep only a "
    "week's medicine at home.",
}
MOODS = [3, 4, 3, 5, 4, 4, 5, 6, 5, 4, 6, 6, 5, 7, 6, 6]
NOTES = {
    2: "Hard week at work, but I went for a walk.",
    7: "Saw Anna. Felt lighter afterwards.",
    13: "Slept better after the worry time.",
}


def seed() -> None:
    patient = Patient.objects.filter(user__email="patient@example.org").first()
    if patient is None or CheckIn.objects.filter(patient=patient).exists():
        return
    now = timezone.now()
    for index, mood in enumerate(MOODS):
        at = now - timedelta(days=56 - index * 3.5, hours=(index % 3) * 5)
        emotions = {"anxiety": 2, "tiredness": 2} if mood < 5 else {"calm": 2, "hope": 1}
        if mood <= 3:
            emotions["sadness"] = 3
        checkin = CheckIn.objects.create(
            patient=patient,
            recorded_at=at,
            created_at=at,
            mood=mood,
            emotions=emotions,
            note=NOTES.get(index, ""),
            client_token=uuid.uuid4(),
        )
        events.record(
            patient=patient,
            kind="checkin.recorded",
            actor=patient.user,
            ref=checkin,
            occurred_at=at,
            data={"mood": mood, "emotions": emotions, "has_note": index in NOTES},
        )
    therapist = (
        CareTeamMember.objects.active()
        .filter(patient=patient, team_role=CareTeamMember.TeamRole.PRIMARY)
        .select_related("therapist")
        .first()
    )
    plan = SafetyPlan.objects.create(patient=patient, version=1)
    SafetyPlanVersion.objects.create(
        plan=plan,
        number=1,
        content=PLAN_V1,
        edited_by=patient.user,
        created_at=now - timedelta(days=30),
    )
    if therapist is not None:
        plan.version = 2
        plan.save(update_fields=["version"])
        SafetyPlanVersion.objects.create(
            plan=plan,
            number=2,
            content={**PLAN_V1, **PLAN_V2_EXTRA},
            edited_by=therapist.therapist,
            created_at=now - timedelta(days=21),
        )
