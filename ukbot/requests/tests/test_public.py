"""What other apps read from `requests`: briefs of a request, a comment and a material line, and labels."""

from __future__ import annotations

import pytest

from tests.factories import executor, person
from ukbot.requests import public, services

pytestmark = pytest.mark.django_db


def test_request_brief_names_the_people_and_the_problem():
    applicant, manager = person("applicant"), person("manager")
    plumber = executor("plumber")
    number = services.request_create(
        applicant_id=applicant, created_by=manager, source="phone", category="plumbing", description="Leak"
    ).number
    services.request_reassign(number=number, executor_id=plumber, actor_id=manager)

    assert public.request_brief(number=number) == public.RequestBrief(
        number=number,
        applicant_id=applicant,
        created_by=manager,
        executor_id=plumber,
        category="plumbing",
        urgency="medium",
        status="assigned",
        address="",
        description="Leak",
    )
    assert public.request_brief(number="000000-000") is None


def test_comment_and_material_briefs():
    applicant, manager = person("applicant"), person("manager")
    plumber = executor("plumber")
    number = services.request_create(applicant_id=applicant, category="plumbing", description="Leak").number
    services.request_reassign(number=number, executor_id=plumber, actor_id=manager)
    comment = services.comment_add(number=number, author_id=manager, actor_kind="manager", text="Rude", internal=True)
    (line,) = services.materials_request(
        number=number,
        actor_kind="executor",
        actor_id=plumber,
        items=[{"item": "Tap", "quantity": "2.50", "unit": "pcs"}],
    )

    assert public.comment_brief(comment_id=comment.pk) == public.CommentBrief(
        comment_id=comment.pk, number=number, author_id=manager, text="Rude", internal=True
    )
    assert public.material_brief(material_id=line.pk) == public.MaterialBrief(
        material_id=line.pk,
        number=number,
        item="Tap",
        quantity="2.5",
        unit="pcs",
        status="requested",
        requested_by=plumber,
        decided_by=None,
        reason="",
    )
    assert public.comment_brief(comment_id=comment.pk + 1000) is None
    assert public.material_brief(material_id=line.pk + 1000) is None


def test_labels_read_in_the_language_asked():
    assert public.label(field="status", value="in_progress", language="ru") == "в работе"
    assert public.label(field="category", value="plumbing", language="uz") == "Santexnika"
    assert public.label(field="urgency", value="critical", language="en") == "critical"
    assert public.label(field="material_status", value="issued", language="ru") == "выдано"
    assert public.label(field="status", value="exploded", language="ru") == "exploded"
