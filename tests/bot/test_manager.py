"""The manager's screens against the fake Bot API: lists, the card's actions, materials, invitations, apartment links
and verifications with their documents, and what a manager must not be able to do twice or at all."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection

from bot.i18n import in_language
from bot.menus import BUTTONS
from tests.factories import executor, media_bytes, media_file, person, telegram_person
from ukbot.core.events.relay import drain
from ukbot.notifications.services import delivery
from ukbot.requests import public as requests_public
from ukbot.requests import selectors as requests_selectors
from ukbot.requests import services as requests_services
from ukbot.users import public as users_public
from ukbot.users import services as users_services
from ukbot.users.services import invitations, verification

pytestmark = pytest.mark.django_db(transaction=True)
MONA = 8101


def _manager(bot, telegram_id: int = MONA, *, language: str = "en", role: str = "manager"):
    account_id = telegram_person(role, telegram_id, language=language)
    return account_id, bot.person(telegram_id, "Mona", language_code=language)


def _request(category: str = "plumbing", description: str = "The kitchen tap leaks") -> str:
    return requests_services.request_create(
        applicant_id=person("applicant"), category=category, description=description
    ).number


def _status(number: str) -> str:
    return requests_selectors.request_get(number=number).status


def _completed(number: str, *, manager_id: int, executor_id: int) -> None:
    requests_services.request_reassign(number=number, executor_id=executor_id, actor_id=manager_id)
    requests_services.request_move(number=number, to_status="in_progress", actor_kind="executor", actor_id=executor_id)
    requests_services.request_complete(number=number, actor_id=executor_id, photos=[media_file(executor_id)])


def _last_reason(number: str, to_status: str) -> str:
    return requests_selectors.history_of(number=number).filter(to_status=to_status).last().reason


def _events(type_name: str) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute('SELECT data FROM "core"."outbox" WHERE type = %s ORDER BY time, sequence', [type_name])
        return [json.loads(row[0]) if isinstance(row[0], str) else row[0] for row in cursor.fetchall()]


def _label(name: str, language: str = "en") -> str:
    return in_language(language, BUTTONS[name])


# --- assigning and checking -------------------------------------------------------------------------------------


def test_a_manager_assigns_a_new_request_to_the_least_busy_plumber_then_confirms_the_work(bot):
    manager_id, mona = _manager(bot)
    busy, free = executor("plumber"), executor("plumber")
    executor("electrician")  # another trade: not offered
    in_hand = _request(description="Bathroom pipe")
    requests_services.request_reassign(number=in_hand, executor_id=busy, actor_id=manager_id)
    number = _request()

    [listed] = mona.send(_label("mgr_new"))
    assert number in listed.text and in_hand not in listed.text
    assert listed.text.startswith("<b>🆕 New requests</b> — 1")
    [card] = mona.tap(f"🔎 {number}")
    assert card.buttons == ["👷 Assign", "❓ Clarify", "✖️ Cancel"]
    [choice] = mona.tap("👷 Assign")
    assert choice.text == f"Who will do request {number} (Plumbing)? The least busy come first."
    assert choice.buttons == [f"#{free} · level 3 · 0 in hand", f"#{busy} · level 3 · 1 in hand"]

    [done] = mona.tap(f"#{free} ·")

    assert done.text == f"Request {number} is assigned to #{free}."
    request = requests_selectors.request_get(number=number)
    assert (request.status, request.executor_id) == ("assigned", free)
    assert {"number": number, "executor_id": free}.items() <= _events("request.assigned")[-1].items()

    # the executor does the work; the manager finds it awaiting the check and confirms it
    requests_services.request_move(number=number, to_status="in_progress", actor_kind="executor", actor_id=free)
    requests_services.request_complete(number=number, actor_id=free, photos=[media_file(free)])
    [check] = mona.send(_label("mgr_check"))
    assert number in check.text
    [card] = mona.tap(f"🔎 {number}")
    assert card.buttons == ["❓ Clarify", "✅ Confirm", "↩️ Return to work", "⭐ Accept on behalf", "✖️ Cancel"]
    [confirmed] = mona.tap("✅ Confirm")
    assert confirmed.text == f"Done: request {number} is now “confirmed”."
    assert _status(number) == "confirmed"


def test_lists_come_in_pages_of_five(bot):
    _manager_id, mona = _manager(bot)
    numbers = [_request(description=f"Leak {i}") for i in range(6)]

    [first] = mona.send(_label("mgr_new"))
    assert first.text.startswith("<b>🆕 New requests</b> — 6 · page 1 of 2")
    assert [n for n in numbers if n in first.text] == numbers[:5]
    assert first.buttons == [f"🔎 {n}" for n in numbers[:5]] + ["▶️"]
    [second] = mona.tap("▶️")

    assert second.method == "editMessageText"
    assert second.text.startswith("<b>🆕 New requests</b> — 6 · page 2 of 2")
    assert second.buttons == [f"🔎 {numbers[5]}", "◀️"]
    [empty] = mona.send(_label("mgr_returned"))
    assert empty.text == "No returned requests."


def test_an_overdue_request_is_listed_and_the_sla_alert_opens_its_card(bot):
    _manager_id, mona = _manager(bot)
    late = requests_services.request_create(
        applicant_id=person("applicant"), category="plumbing", description="Flooding", urgency="critical"
    ).number
    on_time = _request()
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE "requests"."request" SET reaction_deadline = now() - interval '1 minute' WHERE number = %s""",
            [late],
        )

    [overdue] = mona.send(_label("mgr_overdue"))
    assert late in overdue.text and on_time not in overdue.text
    [new] = mona.send(_label("mgr_new"))
    assert f"⏰ 🆕 <b>{late}</b>" in new.text and f"⏰ 🆕 <b>{on_time}</b>" not in new.text

    assert requests_services.sla_sweep() == 1
    drain(max_seconds=10)
    delivery.deliver_due(max_seconds=5)
    [alert] = [r for r in bot.shown_to(mona) if r.buttons == ["Open"]]
    assert alert.text.startswith(f"⚠️ Request <b>{late}</b> (critical) is overdue")
    [card] = mona.tap("Open", on=alert)

    assert card.text.startswith(f"🆕 <b>Request {late}</b>")
    assert "👷 Assign" in card.buttons


def test_a_double_tap_on_confirm_makes_one_move(bot):
    manager_id, mona = _manager(bot)
    plumber = executor("plumber")
    number = _request()
    _completed(number, manager_id=manager_id, executor_id=plumber)
    [card] = mona.press(f"req:open:{number}")
    confirm = card.data_of("Confirm")

    [first] = mona.press(confirm)
    second = mona.press(confirm)

    assert first.text == f"Done: request {number} is now “confirmed”."
    assert second[0].text == f"Somebody changed request {number} meanwhile; nothing was done. Here it is now:"
    assert "Confirm" not in second[1].buttons
    assert requests_selectors.history_of(number=number).filter(to_status="confirmed").count() == 1


def test_assigning_a_request_somebody_else_assigned_meanwhile_is_refused_clearly(bot):
    _manager_id, mona = _manager(bot)
    first, second = executor("plumber"), executor("plumber")
    number = _request()
    mona.press(f"req:open:{number}")
    mona.tap("👷 Assign")

    other_manager = person("manager")
    requests_services.request_reassign(number=number, executor_id=first, actor_id=other_manager)
    replies = mona.tap(f"#{second} ·")

    assert replies[0].text == f"Somebody changed request {number} meanwhile; nothing was done. Here it is now:"
    assert "assigned" in replies[1].text
    assert requests_selectors.request_get(number=number).executor_id == first


def test_a_manager_returns_completed_work_with_a_reason_and_an_empty_one_is_asked_again(bot):
    manager_id, mona = _manager(bot)
    plumber = executor("plumber")
    number = _request()
    _completed(number, manager_id=manager_id, executor_id=plumber)
    mona.press(f"req:open:{number}")

    [prompt] = mona.tap("↩️ Return to work")
    assert prompt.text == f"Why does request {number} go back to work? The executor will read it."
    [again] = mona.send("   ")
    assert again.text == "Write why the work goes back, as a text message, or /cancel."
    [hint] = mona.sticker()
    assert hint.text == again.text
    [invite] = mona.send(_label("mgr_invite"))  # a menu button mid-dialog is not taken for the reason
    assert invite.text == "Whom are you inviting?"
    assert _status(number) == "completed"
    mona.press(f"req:open:{number}")
    mona.tap("↩️ Return to work")
    [done] = mona.send("The tap <still> drips")

    assert done.text == f"Done: request {number} is now “in progress”."
    assert _status(number) == "in_progress"
    assert _last_reason(number, "in_progress") == "The tap <still> drips"


def test_a_manager_asks_the_applicant_a_question(bot):
    _manager_id, mona = _manager(bot)
    number = _request()
    mona.press(f"req:open:{number}")
    mona.tap("❓ Clarify")

    [sent] = mona.send("Which entrance and floor?")

    assert sent.text == f"Your question on request {number} was sent to the applicant."
    assert _status(number) == "clarification"
    assert _last_reason(number, "clarification") == "Which entrance and floor?"


def test_a_manager_accepts_on_the_applicants_behalf_with_a_comment(bot):
    manager_id, mona = _manager(bot)
    plumber = executor("plumber")
    number = _request()
    _completed(number, manager_id=manager_id, executor_id=plumber)
    mona.press(f"req:open:{number}")
    [prompt] = mona.tap("⭐ Accept on behalf")
    assert prompt.text == f"You accept request {number} on the applicant's behalf. Write a comment: why?"

    mona.send("The resident confirmed by phone")

    assert _status(number) == "accepted"
    assert _last_reason(number, "accepted") == "The resident confirmed by phone"


def test_a_russian_speaking_manager_cancels_a_request_with_a_reason(bot):
    _manager_id, mona = _manager(bot, language="ru")
    number = _request()

    [listed] = mona.send(_label("mgr_new", "ru"))
    assert number in listed.text
    assert requests_public.label(field="category", value="plumbing", language="ru") in listed.text
    mona.tap(f"🔎 {number}")
    mona.tap("✖️")
    [done] = mona.send("Дубликат заявки")

    assert _status(number) == "cancelled"
    assert requests_public.label(field="status", value="cancelled", language="ru") in done.text
    assert _last_reason(number, "cancelled") == "Дубликат заявки"


def test_a_non_manager_pressing_a_managers_button_is_refused(bot):
    plumber = executor("plumber")
    manager_id = person("manager")
    number = _request()
    _completed(number, manager_id=manager_id, executor_id=plumber)
    telegram_person("applicant", 8150, language="en")
    anna = bot.person(8150, "Anna", language_code="en")
    version = requests_selectors.request_get(number=number).version

    anna.press(f"mgr:confirm:{number}:{version}")
    anna.press(f"mgras:{number}:{plumber}:{version}")

    answers = [c.params.get("text") for c in bot.fake.calls("answerCallbackQuery")[-2:]]
    assert answers == ["Only managers can do this.", "Only managers can do this."]
    assert _status(number) == "completed"


# --- materials ----------------------------------------------------------------------------------------------------


def test_a_manager_approves_one_material_line_and_rejects_another_with_a_reason(bot):
    manager_id, mona = _manager(bot)
    plumber = executor("plumber")
    number = _request()
    requests_services.request_reassign(number=number, executor_id=plumber, actor_id=manager_id)
    tap, hose = requests_services.materials_request(
        number=number,
        actor_kind="executor",
        actor_id=plumber,
        items=[{"item": "Tap", "quantity": 1, "unit": "pcs"}, {"item": "Hose", "quantity": "1.5", "unit": "m"}],
    )

    [listed] = mona.send(_label("mgr_materials"))
    assert f"<b>#{tap.pk}</b> Tap — 1 pcs · requested\n   {number}" in listed.text
    assert f"<b>#{hose.pk}</b> Hose — 1.5 m · requested" in listed.text
    [approved] = mona.tap(f"✅ Approve #{tap.pk}")
    assert approved.text == f"#{tap.pk} Tap: approved."
    [prompt] = mona.tap(f"❌ Reject #{hose.pk}")
    assert prompt.text == f"Why is #{hose.pk} Hose rejected? The executor will read it."
    [rejected] = mona.send("We have one in stock")
    assert rejected.text == f"#{hose.pk} Hose: rejected."

    briefs = [requests_public.material_brief(material_id=m.pk) for m in (tap, hose)]
    assert [(b.status, b.reason) for b in briefs] == [("approved", ""), ("rejected", "We have one in stock")]
    # from the card: the approved line can now be issued
    mona.press(f"req:open:{number}")
    [lines] = mona.tap("📦 Materials")
    assert lines.buttons == [f"📤 Issue #{tap.pk}", f"❌ Reject #{tap.pk}"]
    mona.tap(f"📤 Issue #{tap.pk}")
    assert requests_public.material_brief(material_id=tap.pk).status == "issued"


# --- invitations --------------------------------------------------------------------------------------------------


def test_an_invitation_for_a_plumber_gives_a_code_the_person_can_use(bot):
    _manager_id, mona = _manager(bot)
    [roles] = mona.send(_label("mgr_invite"))
    assert roles.buttons == ["Executor", "Inspector"]  # managers are invited by administrators only
    mona.tap("Executor")
    mona.tap("Plumber")
    mona.tap("4")
    [issued] = mona.tap("24 hours")

    code = re.search(r"<code>(\w+)</code>", issued.text).group(1)
    assert f"Link: https://t.me/uk_test_bot?start=inv_{code}" in issued.text
    assert issued.text.startswith("✉️ Invitation for: Executor — Plumber, level 4\nValid for: 24 hours, once.")
    newcomer = person(profile=False)
    invitations.invitation_accept(code=code, account_id=newcomer)
    assert users_public.specializations_of(account_id=newcomer) == {"plumber": 4}
    assert "executor" in users_public.access_profile(account_id=newcomer).roles


def test_an_administrator_may_invite_a_manager(bot):
    _admin_id, ada = _manager(bot, role="admin")
    [roles] = ada.send(_label("mgr_invite"))
    assert roles.buttons == ["Executor", "Inspector", "Manager"]
    ada.tap("Manager")
    [issued] = ada.tap("1 hour")
    code = re.search(r"<code>(\w+)</code>", issued.text).group(1)
    newcomer = person(profile=False)
    invitations.invitation_accept(code=code, account_id=newcomer)
    assert "manager" in users_public.access_profile(account_id=newcomer).roles


# --- apartment links and verifications ------------------------------------------------------------------------------


def _apartment(number: str) -> int:
    yard = users_services.yard_create(name=f"Yard {number}")
    building = users_services.building_create(yard_id=yard.pk, address=f"Amir Temur {number}")
    entrance = users_services.entrance_create(building_id=building.pk, number=1)
    return users_services.apartment_create(entrance_id=entrance.pk, number=number, floor=2).pk


def _link(apartment_id: int, *, first_name: str, document: bytes | None) -> int:
    resident = person(first_name=first_name, last_name="Karimova")
    media_id = media_file(resident, "jpeg", content=document) if document else None
    return users_services.apartment_link_request(
        account_id=resident, apartment_id=apartment_id, relation="owner", document_media_id=media_id
    ).pk


def test_a_manager_sees_the_identity_document_and_approves_one_link_and_rejects_another(bot):
    _manager_id, mona = _manager(bot)
    passport = media_bytes("jpeg")
    first = _link(_apartment("12"), first_name="Dilnoza", document=passport)
    second = _link(_apartment("7"), first_name="Malika", document=None)

    photo, shown = mona.send(_label("mgr_apartments"))

    assert (photo.method, photo.text) == ("sendPhoto", "Document 1 of 1")
    assert photo.call.files["photo"] == passport
    assert shown.text.startswith("<b>🏠 Apartment link 1 of 2</b>\nWho: Dilnoza Karimova\n")
    assert "Apartment: Amir Temur 12, apt. 12\nRelation: owner" in shown.text
    assert shown.buttons == ["✅ Approve", "❌ Reject", "➡️ Next"]
    approved, following = mona.tap("✅ Approve")
    assert approved.text == "Approved: Dilnoza Karimova, Amir Temur 12, apt. 12."
    assert users_public.apartment_link_brief(link_id=first).status == "approved"
    assert "Who: Malika Karimova" in following.text and "No identity document was attached." in following.text

    mona.tap("❌ Reject")
    [again] = mona.send(" ")
    assert again.text == "Write why the apartment link is rejected, as a text message, or /cancel."
    rejected, empty = mona.send("No such resident in the house register")

    assert rejected.text == "Rejected: Malika Karimova. They will be told why."
    assert empty.text == "No apartment links are waiting. 👍"
    brief = users_public.apartment_link_brief(link_id=second)
    assert (brief.status, brief.reason) == ("rejected", "No such resident in the house register")


def test_a_manager_verifies_an_executor_after_seeing_their_documents(bot):
    _manager_id, mona = _manager(bot)
    applicant = person(first_name="Bobur", last_name="Aliev")
    diploma = media_bytes("jpeg")
    verification.verification_apply(
        account_id=applicant, specialization="plumber", documents=[media_file(applicant, content=diploma)]
    )

    photo, shown = mona.send(_label("mgr_verifications"))
    assert photo.call.files["photo"] == diploma
    assert shown.text.startswith("<b>🪪 Verification 1 of 1</b>\nWho: Bobur Aliev\nTrade: Plumber")
    [levels] = mona.tap("✅ Approve")
    assert levels.buttons == ["1", "2", "3", "4", "5"]
    verified, empty = mona.tap("4")

    assert verified.text == "Verified: Bobur Aliev works as Plumber, level 4."
    assert empty.text == "No verification applications are waiting. 👍"
    assert users_public.specializations_of(account_id=applicant) == {"plumber": 4}
    assert "executor" in users_public.access_profile(account_id=applicant).roles


def test_a_document_that_is_not_a_picture_is_sent_as_a_file_and_a_rejection_needs_a_reason(bot):
    _manager_id, mona = _manager(bot)
    applicant = person(first_name="Bobur", last_name="Aliev")
    certificate = media_bytes("pdf")
    application = verification.verification_apply(
        account_id=applicant,
        specialization="electrician",
        documents=[media_file(applicant, "pdf", name="certificate.pdf", content=certificate)],
        comment="10 years <b>experience</b>",
    )

    document, shown = mona.send(_label("mgr_verifications"))
    assert (document.method, document.text) == ("sendDocument", "Document 1 of 1")
    assert document.call.files["document"] == certificate
    assert "Comment: 10 years &lt;b&gt;experience&lt;/b&gt;" in shown.text
    [prompt] = mona.tap("❌ Reject")
    assert prompt.text == "Why is the application rejected? The person will read it."
    [again] = mona.send("  ")
    assert again.text == "Write why the application is rejected, as a text message, or /cancel."
    rejected, _empty = mona.send("The certificate is expired")

    assert rejected.text == "Rejected: Bobur Aliev. They will be told why."
    brief = users_public.verification_brief(application_id=application.pk)
    assert (brief.status, brief.reason) == ("rejected", "The certificate is expired")


def test_a_manager_hands_a_request_in_work_to_another_executor(bot):
    manager_id, mona = _manager(bot)
    first, second = executor("plumber"), executor("plumber")
    number = _request()
    requests_services.request_reassign(number=number, executor_id=first, actor_id=manager_id)
    requests_services.request_move(number=number, to_status="in_progress", actor_kind="executor", actor_id=first)

    [active] = mona.send(_label("mgr_active"))
    assert number in active.text
    [card] = mona.tap(f"🔎 {number}")
    assert card.buttons == ["👷 Reassign", "❓ Clarify", "✖️ Cancel"]
    [choice] = mona.tap("👷 Reassign")
    assert choice.text.endswith(f"\nNow with: #{first}.")
    assert choice.buttons == [f"#{second} · level 3 · 0 in hand"]
    mona.tap(f"#{second} ·")

    request = requests_selectors.request_get(number=number)
    assert (request.status, request.executor_id) == ("in_progress", second)
    assert {"executor_id": second, "previous_executor_id": first}.items() <= _events("request.assigned")[-1].items()


def test_an_uzbek_speaking_manager_reads_the_awaiting_check_list_in_uzbek(bot):
    manager_id, mona = _manager(bot, MONA, language="uz")
    plumber = executor("plumber")
    number = _request()
    _completed(number, manager_id=manager_id, executor_id=plumber)

    [listed] = mona.send(_label("mgr_check", "uz"))

    assert number in listed.text
    for field, value in (("category", "plumbing"), ("status", "completed")):
        assert requests_public.label(field=field, value=value, language="uz") in listed.text
    [card] = mona.tap(f"🔎 {number}")
    mona.press(card.data_of("✅"))
    assert _status(number) == "confirmed"


def test_next_goes_through_the_waiting_links_and_a_link_decided_meanwhile_is_refused_clearly(bot):
    _manager_id, mona = _manager(bot)
    first = _link(_apartment("3"), first_name="Dilnoza", document=None)
    _link(_apartment("4"), first_name="Malika", document=None)
    [shown] = mona.send(_label("mgr_apartments"))
    assert "Who: Dilnoza Karimova" in shown.text

    [following] = mona.tap("➡️ Next")
    assert following.text.startswith("<b>🏠 Apartment link 2 of 2</b>\nWho: Malika Karimova")
    [again] = mona.tap("➡️ Next", on=following)
    assert again.text.startswith("<b>🏠 Apartment link 1 of 2</b>\nWho: Dilnoza Karimova")

    users_services.apartment_link_approve(link_id=first, reviewer_id=person("manager"))
    refused, rest = mona.tap("✅ Approve", on=again)
    assert refused.text == "This apartment link was already reviewed (approved)."
    assert "Who: Malika Karimova" in rest.text
    assert users_public.apartment_link_brief(link_id=first).status == "approved"
