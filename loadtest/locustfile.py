"""The load of `make loadtest`: residents, executors and dispatchers using the API as on a working day.

Each simulated user signs in through ``/api/v1/auth/login`` as the next seeded account of its kind (the accounts
``loadtest/run.py`` creates; their usernames come in ``LOADTEST_ACCOUNTS``, a JSON file ``{"resident": [...],
"executor": [...], "dispatcher": [...]}``). Request names group endpoints with ids replaced and carry the user
kind, e.g. ``[executor] POST /requests/{number}/claim``. Any answer but 2xx is a failure, except the 4xx the
scenario expects and documents where it may happen (``_expect``): two people racing for the same request.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading

from locust import HttpUser, between, events, task

PASSWORD = "loadtest-password-not-a-secret"  # noqa: S105 - throw-away accounts in a throw-away database
API = "/api/v1"
CATEGORIES = ("plumbing", "electricity", "heating")
URGENCIES = ("low", "medium", "high")
# The trades the seeded executors have, one per category above (users.specializations maps them).
TRADES = ("plumber", "electrician", "heating")

_lock = threading.Lock()
_accounts: dict[str, list[str]] | None = None
_counters: dict[str, itertools.count] = {}
_environment = None


def next_account(kind: str) -> str:
    """The username of the next seeded account of ``kind``, round robin over the simulated users."""
    global _accounts
    with _lock:
        if _accounts is None:
            with open(os.environ["LOADTEST_ACCOUNTS"], encoding="utf-8") as handle:
                _accounts = json.load(handle)
        names = _accounts[kind]
        counter = _counters.setdefault(kind, itertools.count())
        return names[next(counter) % len(names)]


@events.init.add_listener
def _keep_environment(environment, **_kwargs) -> None:
    global _environment
    _environment = environment


@events.quit.add_listener
def _write_stats(**_kwargs) -> None:
    """Write the final figures to ``LOADTEST_STATS`` (JSON) when set; locust's own CSV lags by up to a second."""
    path = os.environ.get("LOADTEST_STATS")
    if not path or _environment is None or _environment.stats is None:
        return
    stats = _environment.stats
    seconds = max(1e-9, (stats.total.last_request_timestamp or 0) - stats.total.start_time)

    def row(entry) -> dict:
        return {
            "name": entry.name,
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "rps": entry.num_requests / seconds,
            "p50": entry.get_response_time_percentile(0.50),
            "p95": entry.get_response_time_percentile(0.95),
        }

    figures = {
        "endpoints": [row(entry) for _, entry in sorted(stats.entries.items())],
        "total": row(stats.total),
        "errors": [
            {"name": error.name, "method": error.method, "error": str(error.error), "occurrences": error.occurrences}
            for error in stats.errors.values()
        ],
    }
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(figures, handle)


class _ApiUser(HttpUser):
    abstract = True
    kind = ""
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        self.rng = random.Random()  # noqa: S311 - picks test data, not secrets
        self.username = next_account(self.kind)
        self.client.headers.update({"Accept-Language": "en", "Accept": "application/json"})
        with self.client.post(
            f"{API}/auth/login",
            json={"username": self.username, "password": PASSWORD},
            name=f"[{self.kind}] POST /auth/login",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                self.token = ""
                return
            self.token = response.json()["data"]["access"]
            self.account_id = 0
        self.client.headers["Authorization"] = f"Bearer {self.token}"
        me = self._call("GET", "/users/me")
        if me is not None:
            self.account_id = me["id"]

    def _call(self, method: str, path: str, name: str | None = None, *, expect: tuple[int, ...] = (), **kwargs):
        """Make a call named ``[kind] METHOD name``; return ``data`` of a 2xx answer, else None.

        ``expect``: the 4xx statuses this call may get in a correct run (a race lost); they count as successes.
        """
        label = f"[{self.kind}] {method} {name or path}"
        with self.client.request(method, f"{API}{path}", name=label, catch_response=True, **kwargs) as response:
            if 200 <= response.status_code < 300:
                response.success()
                return response.json().get("data") if response.content else None
            if response.status_code in expect:
                response.success()
                return None
            response.failure(f"{response.status_code}: {response.text[:200]}")
            return None


class Resident(_ApiUser):
    """A resident: mostly looks at their requests, sometimes files one and writes a comment."""

    kind = "resident"
    weight = 6

    @task(5)
    def list_own(self) -> None:
        self._call("GET", "/requests?per_page=20", "/requests")

    @task(3)
    def read_one(self) -> None:
        items = self._call("GET", "/requests?per_page=5", "/requests")
        if items:
            number = self.rng.choice(items)["number"]
            self._call("GET", f"/requests/{number}", "/requests/{number}")
            self._call("GET", f"/requests/{number}/history", "/requests/{number}/history")

    @task(2)
    def file_request(self) -> None:
        self._call(
            "POST",
            "/requests",
            json={
                "category": self.rng.choice(CATEGORIES),
                "urgency": self.rng.choice(URGENCIES),
                "description": f"Water is leaking from the ceiling ({self.rng.randrange(10**6)})",
            },
        )

    @task(1)
    def comment(self) -> None:
        items = self._call("GET", "/requests?per_page=5", "/requests")
        if items:
            number = self.rng.choice(items)["number"]
            self._call(
                "POST", f"/requests/{number}/comments", "/requests/{number}/comments", json={"text": "Any news?"}
            )


class Executor(_ApiUser):
    """An executor on shift: watches the pool and their tasks, takes requests and works them."""

    kind = "executor"
    weight = 3

    def on_start(self) -> None:
        super().on_start()
        self.shift_id = None
        self._start_shift()

    def _start_shift(self) -> None:
        # 409: another simulated user signed in as the same account already has the shift open (expected).
        shift = self._call("POST", "/shifts/start", json={}, expect=(409,))
        self.shift_id = shift["id"] if shift else None

    @task(4)
    def pool(self) -> None:
        self._call("GET", "/requests/pool")

    @task(4)
    def assigned(self) -> None:
        self._call("GET", f"/requests?executor={self.account_id}&per_page=20", "/requests?executor={id}")

    @task(3)
    def take_and_work(self) -> None:
        pool = self._call("GET", "/requests/pool")
        if not pool:
            return
        card = self.rng.choice(pool)
        number = card["number"]
        # 409: another executor claimed it first, or the pool card was stale (first claim wins); 403/404 don't.
        claimed = self._call("POST", f"/requests/{number}/claim", "/requests/{number}/claim", json={}, expect=(409,))
        if claimed:
            self._call("PUT", f"/requests/{number}/status", "/requests/{number}/status", json={"status": "in_progress"})
            self._call(
                "POST",
                f"/requests/{number}/comments",
                "/requests/{number}/comments",
                json={"text": "On my way"},
            )

    @task(1)
    def end_and_restart_shift(self) -> None:
        if self.shift_id is None:
            return
        self._call("PUT", f"/shifts/{self.shift_id}/end", "/shifts/{id}/end", json={})
        self._start_shift()


class Dispatcher(_ApiUser):
    """A dispatcher (manager): lists, filters and searches requests, assigns new ones, looks people up."""

    kind = "dispatcher"
    weight = 1

    @task(4)
    def list_new(self) -> None:
        category = self.rng.choice(CATEGORIES)
        self._call("GET", f"/requests?status=new&category={category}&per_page=20", "/requests?status&category")

    @task(2)
    def search(self) -> None:
        self._call("GET", "/requests?search=leaking&per_page=20", "/requests?search")

    @task(2)
    def overdue(self) -> None:
        self._call("GET", "/requests?overdue=true&ordering=resolution_deadline", "/requests?overdue")

    @task(2)
    def assign(self) -> None:
        index = self.rng.randrange(len(CATEGORIES))
        items = self._call(
            "GET", f"/requests?status=new&category={CATEGORIES[index]}&per_page=5", "/requests?status&category"
        )
        people = self._call("GET", f"/users?role=executor&specialization={TRADES[index]}", "/users?role&specialization")
        if not items or not people:
            return
        number = self.rng.choice(items)["number"]
        # 409: an executor claimed it, or another dispatcher assigned it, since the list was read (expected).
        self._call(
            "POST",
            f"/requests/{number}/assign",
            "/requests/{number}/assign",
            json={"executor_id": self.rng.choice(people)["id"]},
            expect=(409,),
        )

    @task(1)
    def read_person(self) -> None:
        people = self._call("GET", "/users?role=applicant", "/users?role")
        if people:
            account_id = self.rng.choice(people)["id"]
            self._call("GET", f"/users/{account_id}", "/users/{id}")
