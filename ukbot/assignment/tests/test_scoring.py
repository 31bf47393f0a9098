"""The scoring core on its own: every part, every exclusion, the order and its tie-breaks; no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ukbot.assignment.scoring import (
    AT_CAPACITY,
    LACKS_SPECIALIZATION,
    NOT_VERIFIED,
    OFF_SHIFT,
    WOULD_MISS_DEADLINE,
    Candidate,
    Excluded,
    Job,
    Point,
    Rules,
    Scored,
    Shift,
    Weights,
    haversine_km,
    judge,
    rank,
    weights_problems,
)

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
AMIR_TEMUR = Point(41.3111, 69.2797)  # Amir Temur square, Tashkent
CHORSU = Point(41.3267, 69.2347)  # Chorsu bazaar, about 4 km west-north-west of it
JOB = Job(number="261203-001", specialization="plumber", location=AMIR_TEMUR, deadline=NOW + timedelta(hours=4))


def rated(candidate: Candidate, job: Job, rules: Rules, now: datetime) -> Scored:
    verdict = judge(candidate, job, rules, now)
    assert isinstance(verdict, Scored), verdict
    return verdict


def refused(candidate: Candidate, job: Job, rules: Rules, now: datetime) -> Excluded:
    verdict = judge(candidate, job, rules, now)
    assert isinstance(verdict, Excluded), verdict
    return verdict


def on_shift(**fields) -> Shift:
    values = {"shift_id": 1, "specialization": "plumber", "active": True, "start": NOW - timedelta(hours=1)}
    return Shift(**{**values, **fields})


def plumber(executor_id: int = 1, **fields) -> Candidate:
    values = {"executor_id": executor_id, "levels": {"plumber": 3}, "shifts": (on_shift(shift_id=executor_id),)}
    return Candidate(**{**values, **fields})


def test_haversine_measures_kilometres_between_two_tashkent_landmarks():
    assert haversine_km(AMIR_TEMUR, CHORSU) == pytest.approx(4.11, abs=0.05)
    assert haversine_km(AMIR_TEMUR, AMIR_TEMUR) == 0


@pytest.mark.parametrize(("level", "value"), [(1, 0.0), (3, 0.5), (5, 1.0)])
def test_the_skill_part_grows_with_the_level_in_the_trade(level, value):
    scored = rated(plumber(levels={"plumber": level}), JOB, Rules(), NOW)
    assert scored.part("skill").value == value
    assert scored.part("skill").raw == {"level": level}


def test_a_universal_executor_is_scored_at_their_universal_level():
    scored = rated(plumber(levels={"universal": 5}), JOB, Rules(), NOW)
    assert scored.part("skill").raw == {"level": 5}


def test_travel_is_the_straight_line_times_the_road_factor_at_city_speed():
    candidate = plumber(shifts=(on_shift(live_point=CHORSU),))
    scored = rated(candidate, JOB, Rules(road_factor=1.5, speed_kmh=30), NOW)

    km = haversine_km(CHORSU, AMIR_TEMUR) * 1.5
    assert scored.travel_km == round(km, 2)
    assert scored.travel_minutes == round(km / 30 * 60, 1)
    assert scored.part("travel").value == pytest.approx(1 / (1 + km / 30 * 60 / 20), abs=1e-4)
    assert scored.part("travel").raw["origin"] == "live"
    assert scored.arrival == NOW + timedelta(minutes=km / 30 * 60)


def test_travel_starts_from_the_live_location_else_the_shift_start_else_the_last_job():
    far = Point(41.35, 69.35)
    live = rated(plumber(shifts=(on_shift(live_point=CHORSU, start_point=far),), last_job_point=far), JOB, Rules(), NOW)
    start = rated(plumber(shifts=(on_shift(start_point=CHORSU),), last_job_point=far), JOB, Rules(), NOW)
    last = rated(plumber(last_job_point=CHORSU), JOB, Rules(), NOW)
    unknown = rated(plumber(), JOB, Rules(), NOW)

    assert [s.origin for s in (live, start, last, unknown)] == ["live", "shift_start", "last_job", None]
    assert live.travel_km == start.travel_km == last.travel_km
    assert unknown.travel_km is None and unknown.part("travel").value == 0.5 and unknown.can_reach is None


def test_the_load_part_is_the_share_of_capacity_still_free():
    scored = rated(plumber(open_load=2), JOB, Rules(capacity=8), NOW)
    assert scored.part("load").value == 0.75
    assert scored.part("load").raw == {"open": 2, "capacity": 8}


def test_the_rating_part_is_the_average_pulled_towards_four_for_few_ratings():
    newcomer = rated(plumber(), JOB, Rules(), NOW)
    praised = rated(plumber(ratings=(5, 5, 5, 5, 5, 5, 5, 5, 5)), JOB, Rules(), NOW)
    panned = rated(plumber(ratings=(1, 2)), JOB, Rules(), NOW)

    assert newcomer.part("rating").raw == {"average": 4.0, "rated": 0}
    assert newcomer.part("rating").value == 0.75
    assert praised.part("rating").raw == {"average": 4.75, "rated": 9}
    assert panned.part("rating").value < newcomer.part("rating").value < praised.part("rating").value


def test_the_returns_part_falls_with_the_share_of_work_sent_back():
    clean = rated(plumber(finished=10), JOB, Rules(), NOW)
    sloppy = rated(plumber(finished=10, returned=4), JOB, Rules(), NOW)

    assert clean.part("returns").value == 1.0
    assert sloppy.part("returns").raw == {"rate": 0.4, "returned": 4, "finished": 10}
    assert sloppy.part("returns").value == pytest.approx(1 - 4 / 12, abs=1e-4)


def test_the_shift_time_part_falls_as_the_shift_nears_its_end():
    fresh = rated(plumber(shifts=(on_shift(end=NOW + timedelta(hours=6)),)), JOB, Rules(), NOW)
    ending = rated(plumber(shifts=(on_shift(end=NOW + timedelta(minutes=60)),)), JOB, Rules(), NOW)
    unplanned = rated(plumber(shifts=(on_shift(start=NOW - timedelta(hours=7)),)), JOB, Rules(), NOW)

    assert fresh.part("shift_time").value == 1.0
    assert ending.part("shift_time").value == 0.25
    assert ending.part("shift_time").raw["minutes_left"] == 60
    assert unplanned.part("shift_time").raw["minutes_left"] == 60  # started on the spot: 8 hours from the start


def test_the_total_is_the_weighted_mean_of_the_parts_and_a_zero_weight_switches_a_part_off():
    rules = Rules(weights=Weights(skill=1, travel=0, load=0, rating=0, returns=0, shift_time=0))
    scored = rated(plumber(levels={"plumber": 4}), JOB, rules, NOW)

    assert scored.score == 0.75
    assert sum(p.contribution for p in scored.parts) == pytest.approx(scored.score, abs=1e-3)
    assert [p.contribution for p in scored.parts if p.name != "skill"] == [0, 0, 0, 0, 0]


def test_an_unverified_executor_is_excluded_and_says_so():
    verdict = refused(plumber(verified=False), JOB, Rules(), NOW)
    assert verdict.reasons == (NOT_VERIFIED,)


def test_an_executor_without_the_trade_is_excluded():
    verdict = refused(plumber(levels={"electrician": 5}), JOB, Rules(), NOW)
    assert verdict.reasons == (LACKS_SPECIALIZATION,)


def test_an_executor_off_shift_or_on_shift_in_another_trade_is_excluded():
    off = refused(plumber(shifts=()), JOB, Rules(), NOW)
    other_trade = refused(plumber(shifts=(on_shift(specialization="cleaning"),)), JOB, Rules(), NOW)
    assert off.reasons == other_trade.reasons == (OFF_SHIFT,)
    assert off.scored is None


def test_a_planned_shift_counts_only_if_it_starts_before_the_reaction_deadline():
    job = replace(JOB, reaction_deadline=NOW + timedelta(hours=2))
    soon = on_shift(active=False, start=NOW + timedelta(hours=1), start_point=None)
    late = on_shift(active=False, start=NOW + timedelta(hours=3))

    planned = rated(plumber(shifts=(soon,), last_job_point=CHORSU), job, Rules(), NOW)
    too_late = refused(plumber(shifts=(late,)), job, Rules(), NOW)

    assert planned.on_shift is False
    assert planned.arrival is not None and planned.travel_minutes is not None
    setting_out = planned.arrival - timedelta(minutes=planned.travel_minutes)  # sets out when the shift starts
    assert abs(setting_out - (NOW + timedelta(hours=1))) < timedelta(seconds=5)
    assert too_late.reasons == (OFF_SHIFT,)


def test_an_executor_at_capacity_is_excluded():
    verdict = refused(plumber(open_load=8), JOB, Rules(capacity=8), NOW)
    assert verdict.reasons == (AT_CAPACITY,)
    assert verdict.scored is not None and verdict.scored.part("load").value == 0


def test_an_executor_who_cannot_reach_the_building_before_the_deadline_is_excluded():
    job = replace(JOB, deadline=NOW + timedelta(minutes=10))
    near = rated(plumber(1, shifts=(on_shift(live_point=AMIR_TEMUR),)), job, Rules(), NOW)
    far = refused(plumber(2, shifts=(on_shift(live_point=CHORSU),)), job, Rules(), NOW)

    assert near.can_reach is True
    assert far.reasons == (WOULD_MISS_DEADLINE,)
    assert far.scored is not None and far.scored.can_reach is False


def test_a_deadline_already_past_excludes_nobody():
    job = replace(JOB, deadline=NOW - timedelta(minutes=1))
    verdict = rated(plumber(shifts=(on_shift(live_point=CHORSU),)), job, Rules(), NOW)
    assert verdict.can_reach is False
    assert verdict.score > 0


def test_every_reason_that_applies_is_given_in_a_fixed_order():
    verdict = refused(plumber(verified=False, levels={}, shifts=(), open_load=9), JOB, Rules(), NOW)
    assert verdict.reasons == (NOT_VERIFIED, LACKS_SPECIALIZATION, OFF_SHIFT, AT_CAPACITY)


def test_the_ranking_puts_the_best_first_and_breaks_ties_by_load_then_id():
    near = plumber(5, shifts=(on_shift(shift_id=5, live_point=AMIR_TEMUR),))
    twin_a, twin_b = plumber(3), plumber(2)
    busier = plumber(1, open_load=1)
    excluded = plumber(4, verified=False)

    ranking = rank(JOB, [twin_a, busier, excluded, near, twin_b], Rules(), NOW)

    assert [s.executor_id for s in ranking.ranked] == [5, 2, 3, 1]
    assert [e.executor_id for e in ranking.excluded] == [4]
    assert ranking.best is not None and ranking.best.executor_id == 5
    place, _scored, exclusion = ranking.find(4)
    assert ranking.find(3)[0] == 3 and place is None and exclusion is not None and exclusion.reasons == (NOT_VERIFIED,)


def test_the_ranking_is_the_same_whatever_order_the_candidates_come_in():
    people = [plumber(i, open_load=i % 3, ratings=(i % 5 + 1,)) for i in range(1, 30)]
    first = rank(JOB, people, Rules(), NOW)
    again = rank(JOB, list(reversed(people)), Rules(), NOW)
    assert first == again


@pytest.mark.parametrize(
    ("weights", "problems"),
    [
        ({"skill": 1, "travel": 0}, {}),
        ({"skill": -1, "travel": 1}, {"skill": "negative"}),
        ({"skill": 0, "travel": 0}, {"": "all_zero"}),
        ({"skill": float("nan"), "travel": 1}, {"skill": "negative"}),
    ],
)
def test_weights_must_be_non_negative_and_not_all_zero(weights, problems):
    assert weights_problems(weights) == problems
