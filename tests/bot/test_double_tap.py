"""A double tap on every step that writes: both presses reach the bot in one batch and aiogram handles them
concurrently, as Telegram delivers an impatient thumb's taps. One press does the thing once; the other finds it
done and is told so (or that the button is no longer active). Nothing is written twice, nothing crashes, and every
press is answered exactly once (the fake Bot API refuses a second answer, as Telegram does)."""

from __future__ import annotations

import pytest

from tests.factories import executor, media_bytes, media_file, on_shift, person, telegram_person
from ukbot.auth import public as auth_public
from ukbot.requests import services as requests
from ukbot.requests.models import Request, StatusChange
from ukbot.users import services as users
from ukbot.users.models import Consent, RoleGrant

pytestmark = pytest.mark.django_db(transaction=True)
SORRY = "Sorry, something went wrong on our side. Please try again in a minute."


def answered_once(bot) -> None:
    """Every press of the test was answered, once, and Telegram took each answer."""
    answers = bot.answers()
    assert sorted(answers) == sorted(bot.pressed)
    assert {press: [c.status for c in calls] for press, calls in answers.items()} == {
        press: [200] for press in bot.pressed
    }


def texts(replies) -> list[str]:
    return [reply.text for reply in replies if reply.method == "sendMessage"]


def _home(account_id: int) -> None:
    yard = users.yard_create(name="Chilonzor")
    building = users.building_create(yard_id=yard.pk, address="Bunyodkor 5")
    entrance = users.entrance_create(building_id=building.pk, number=1)
    apartment = users.apartment_create(entrance_id=entrance.pk, number="7").pk
    link = users.apartment_link_request(account_id=account_id, apartment_id=apartment, relation="owner")
    users.apartment_link_approve(link_id=link.pk, reviewer_id=person("manager"))


def test_a_double_tap_on_confirm_files_one_request_and_tells_the_second_tap(bot):
    account = telegram_person("applicant", 9101, language="en")
    _home(account)
    anna = bot.person(9101, "Anna", language_code="en")
    anna.send("📝 New request")
    anna.tap("Plumbing")
    anna.tap("medium")
    anna.tap("Bunyodkor")
    anna.send("Water on the floor")
    anna.tap("Skip")
    summary = [r for r in anna.tap("Any time") if "✅ Confirm" in r.buttons][-1]

    replies = anna.double_tap("✅ Confirm", on=summary)

    [request] = Request.objects.filter(applicant_id=account)
    said = texts(replies)
    assert sum(request.number in text for text in said) == 1, said
    assert SORRY not in said
    answers = [c.params.get("text") for c in bot.fake.calls("answerCallbackQuery")[-2:]]
    assert "This button is no longer active." in answers
    answered_once(bot)


def test_a_double_tap_on_agree_registers_once(bot):
    yard = users.yard_create(name="Chilonzor")
    users.building_create(yard_id=yard.pk, address="Bunyodkor 5")
    anna = bot.person(9102, "Anna", language_code="en")
    anna.send("/start")
    anna.tap("English")
    anna.tap("resident")
    anna.contact("+998901112299")
    consent = anna.last
    assert "✅ Agree" in consent.buttons

    replies = anna.double_tap("Agree", on=consent)

    said = texts(replies)
    assert said.count("You are registered! Now let us find your apartment.") == 1, said
    assert said.count("Choose your residential complex:") == 1
    assert SORRY not in said
    account = auth_public.account_by_telegram(telegram_id=9102)
    assert Consent.objects.filter(account_id=account.id).count() == 1
    answered_once(bot)


def test_a_double_tap_on_yes_cancel_it_cancels_once(bot):
    account = telegram_person("applicant", 9103, language="en")
    number = requests.request_create(applicant_id=account, category="plumbing", description="Tap drips").number
    aziz = bot.person(9103, "Aziz", language_code="en")
    aziz.press(f"req:open:{number}")
    [confirm] = [r for r in aziz.tap("✖️ Cancel request") if r.buttons]

    replies = aziz.double_tap("Yes, cancel it", on=confirm)

    assert Request.objects.get(pk=number).status == "cancelled"
    assert StatusChange.objects.filter(request_id=number, to_status="cancelled").count() == 1
    assert SORRY not in texts(replies)
    answered_once(bot)


def test_a_double_tap_on_a_rating_rates_once(bot):
    account = telegram_person("applicant", 9104, language="en")
    number = requests.request_create(applicant_id=account, category="plumbing", description="Tap drips").number
    manager, plumber = person("manager"), executor("plumber")
    requests.request_move(
        number=number, to_status="assigned", actor_kind="manager", actor_id=manager, executor_id=plumber
    )
    requests.request_move(number=number, to_status="in_progress", actor_kind="executor", actor_id=plumber)
    requests.request_complete(number=number, actor_id=plumber, photos=[media_file(plumber)])
    requests.request_move(number=number, to_status="confirmed", actor_kind="manager", actor_id=manager)
    anna = bot.person(9104, "Anna", language_code="en")
    [stars] = anna.press(f"req:accept:{number}")

    replies = anna.double_tap("4 ⭐", on=stars)

    said = texts(replies)
    assert SORRY not in said
    # one tap asks for a word of feedback; the other finds the step over
    assert len([r for r in replies if r.buttons == ["Skip"]]) == 1, replies
    anna.send("All dry now")
    request = Request.objects.get(pk=number)
    assert (request.status, request.rating) == ("accepted", 4)
    assert StatusChange.objects.filter(request_id=number, to_status="accepted").count() == 1
    answered_once(bot)


def test_a_double_tap_on_claim_and_on_start_work_moves_once(bot):
    account = telegram_person("executor", 9105, language="en", trades=("plumber",))
    on_shift(account, "plumber")
    number = requests.request_create(applicant_id=person("applicant"), category="plumbing", description="Leak").number
    ivan = bot.person(9105, "Ivan", language_code="en")
    ivan.press(f"req:open:{number}")

    claimed = texts(ivan.double_tap("✋ Claim"))
    assert claimed.count(f"👍 Request {number} is yours now. Press “Start work” when you begin.") == 1
    assert f"Request {number} is already yours." in claimed
    assert StatusChange.objects.filter(request_id=number, to_status="assigned").count() == 1

    started = texts(ivan.double_tap("🔧 Start work"))
    assert started.count(f"🔧 Work on request {number} has started.") == 1, started
    assert SORRY not in started
    assert StatusChange.objects.filter(request_id=number, to_status="in_progress").count() == 1
    answered_once(bot)


def test_a_double_tap_on_an_executor_in_the_assign_list_assigns_once(bot):
    telegram_person("manager", 9106, language="en")
    plumber = executor("plumber")
    number = requests.request_create(applicant_id=person("applicant"), category="plumbing", description="Leak").number
    mona = bot.person(9106, "Mona", language_code="en")
    mona.press(f"req:open:{number}")
    mona.tap("👷 Assign")

    replies = mona.double_tap(f"#{plumber} ·")

    said = texts(replies)
    assert said.count(f"Request {number} is assigned to #{plumber}.") == 1, said
    assert SORRY not in said
    assert StatusChange.objects.filter(request_id=number, to_status="assigned").count() == 1
    answered_once(bot)


def test_a_name_sent_twice_at_once_uses_the_invitation_once(bot):
    from ukbot.users.services import invitations

    issued = invitations.invitation_create(
        role="executor", created_by=person("manager"), expires_in="24h", specialization="plumber", level=3
    )
    code = issued.code
    bek = bot.person(9107, "Bek", language_code="en")
    bek.send("/start")
    bek.tap("English")
    bek.tap("staff")
    bek.contact("+998901112277")
    bek.tap("Agree")

    bek.send(code)

    replies = bek.send_twice({"text": "Bek Usmonov"})  # the name is the step that uses the invitation

    said = texts(replies)
    assert said.count("Welcome, Bek! You work as: Executor.") == 1, said
    assert SORRY not in said
    account = auth_public.account_by_telegram(telegram_id=9107)
    assert RoleGrant.objects.filter(profile_id=account.id, role="executor").count() == 1
    answered_once(bot)


# --- a press answered once, and the explanation after it -----------------------------------------------------------


def test_an_old_start_work_button_is_explained_in_a_message_after_the_press_is_answered(bot):
    """The handler answers the press, then the service refuses (the request was cancelled meanwhile): the error
    handler must not answer again (Telegram refuses that) and must still send the explanation."""
    account = telegram_person("executor", 9108, language="en", trades=("plumber",))
    manager = person("manager")
    number = requests.request_create(applicant_id=person("applicant"), category="plumbing", description="Leak").number
    requests.request_move(
        number=number, to_status="assigned", actor_kind="manager", actor_id=manager, executor_id=account
    )
    requests.request_move(number=number, to_status="cancelled", actor_kind="manager", actor_id=manager, reason="Dup")
    ivan = bot.person(9108, "Ivan", language_code="en")

    replies = ivan.press(f"req:start:{number}")  # the Start work button of the assignment's notification

    said = texts(replies)
    assert said and SORRY not in said
    assert f"Request {number} was cancelled." in said[0], said
    answered_once(bot)


def test_start_work_pressed_while_working_as_a_resident_switches_to_the_executor_role(bot):
    account = telegram_person("executor", 9109, language="en", trades=("plumber",))
    users.role_grant(account_id=account, role="applicant", granted_by=None)
    users.active_role_switch(account_id=account, role="applicant")
    manager = person("manager")
    number = requests.request_create(applicant_id=person("applicant"), category="plumbing", description="Leak").number
    requests.request_move(
        number=number, to_status="assigned", actor_kind="manager", actor_id=manager, executor_id=account
    )
    olim = bot.person(9109, "Olim", language_code="en")

    replies = olim.press(f"req:start:{number}")

    said = texts(replies)
    assert said[0] == "You now work as: Executor."
    assert "🧰 My tasks" in replies[0].keyboard
    assert f"🔧 Work on request {number} has started." in said
    assert Request.objects.get(pk=number).status == "in_progress"
    answered_once(bot)


def test_start_work_pressed_by_someone_without_the_executor_role_is_no_longer_active(bot):
    telegram_person("applicant", 9110, language="en")
    number = requests.request_create(applicant_id=person("applicant"), category="plumbing", description="Leak").number
    anna = bot.person(9110, "Anna", language_code="en")

    assert anna.press(f"req:start:{number}") == []

    assert bot.fake.calls("answerCallbackQuery")[-1].params.get("text") == "This button is no longer active."
    assert Request.objects.get(pk=number).status == "new"
    answered_once(bot)


# --- more steps that write -----------------------------------------------------------------------------------


def test_double_taps_through_an_executors_shift_and_completion(bot):
    from ukbot.requests.models import Attachment
    from ukbot.shifts.models import Shift

    account = telegram_person("executor", 9111, language="en", trades=("plumber",))
    manager = person("manager")
    number = requests.request_create(applicant_id=person("applicant"), category="plumbing", description="Leak").number
    ivan = bot.person(9111, "Ivan", language_code="en")

    [status] = ivan.send("⏱ Shift")
    ivan.double_tap("▶️ Start shift", on=status)
    replies = ivan.send_twice({"text": "➡️ Without location"})
    assert SORRY not in texts(replies)
    assert Shift.objects.filter(executor_id=account).count() == 1

    requests.request_move(
        number=number, to_status="assigned", actor_kind="manager", actor_id=manager, executor_id=account
    )
    requests.request_move(number=number, to_status="in_progress", actor_kind="executor", actor_id=account)
    ivan.press(f"req:open:{number}")
    ivan.tap("✅ Complete")
    ivan.photo(media_bytes("jpeg"))
    ivan.double_tap("✅ Done")
    replies = ivan.send_twice({"text": "Washer replaced"})  # the comment, sent twice on a shaky network
    said = texts(replies)
    assert sum("is completed" in text for text in said) == 1, said
    assert SORRY not in said
    assert StatusChange.objects.filter(request_id=number, to_status="completed").count() == 1
    assert Attachment.objects.filter(request_id=number, kind="after").count() == 1

    [status] = ivan.send("⏱ Shift")
    ivan.double_tap("🏁 End shift", on=status)
    replies = ivan.send_twice({"text": "➡️ Without location"})
    assert SORRY not in texts(replies)
    assert Shift.objects.filter(executor_id=account, actual_end__isnull=False).count() == 1
    answered_once(bot)


def test_double_taps_on_a_managers_approvals(bot):
    from ukbot.requests.models import Material
    from ukbot.users.models import ApartmentLink, Specialization
    from ukbot.users.services import verification

    manager = telegram_person("manager", 9112, language="en")
    plumber = executor("plumber")
    number = requests.request_create(applicant_id=person("applicant"), category="plumbing", description="Leak").number
    requests.request_move(
        number=number, to_status="assigned", actor_kind="manager", actor_id=manager, executor_id=plumber
    )
    [tap] = requests.materials_request(
        number=number, actor_kind="executor", actor_id=plumber, items=[{"item": "Tap", "quantity": 1, "unit": "pcs"}]
    )
    yard = users.yard_create(name="Chilonzor")
    building = users.building_create(yard_id=yard.pk, address="Bunyodkor 5")
    entrance = users.entrance_create(building_id=building.pk, number=1)
    apartment = users.apartment_create(entrance_id=entrance.pk, number="7").pk
    newcomer = person(first_name="Olim", last_name="Tursunov")
    link = users.apartment_link_request(account_id=newcomer, apartment_id=apartment, relation="tenant")
    applicant = person(first_name="Bobur", last_name="Aliev")
    verification.verification_apply(
        account_id=applicant, specialization="plumber", documents=[media_file(applicant, content=media_bytes("jpeg"))]
    )
    mona = bot.person(9112, "Mona", language_code="en")

    [listed] = mona.send("📦 Materials")
    replies = mona.double_tap(f"✅ Approve #{tap.pk}", on=listed)
    assert SORRY not in texts(replies)
    assert Material.objects.get(pk=tap.pk).status == "approved"

    shown = mona.send("🏠 Apartment links")[-1]
    replies = mona.double_tap("✅ Approve", on=shown)
    assert SORRY not in texts(replies)
    assert ApartmentLink.objects.get(pk=link.pk).status == "approved"

    shown = mona.send("🪪 Verifications")[-1]
    [levels] = mona.tap("✅ Approve", on=shown)
    replies = mona.double_tap("4", on=levels)
    assert SORRY not in texts(replies)
    assert Specialization.objects.filter(profile_id=applicant, key="plumber").count() == 1
    answered_once(bot)


def test_texts_sent_twice_at_once_are_taken_once(bot):
    from ukbot.requests.models import Comment

    account = telegram_person("applicant", 9113, language="en")
    number = requests.request_create(applicant_id=account, category="plumbing", description="Tap drips").number
    anna = bot.person(9113, "Anna", language_code="en")
    anna.press(f"req:open:{number}")
    anna.tap("💬 Comment")

    replies = anna.send_twice({"text": "I am home after six"})

    assert Comment.objects.filter(request_id=number, text="I am home after six").count() == 1
    said = texts(replies)
    assert SORRY not in said and len(said) == 2  # the comment is added; the copy meets no dialog and gets a hint
    answered_once(bot)
