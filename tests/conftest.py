"""Role fixtures shared by every test: one user per role of DESIGN.md, and an outsider."""

import asyncio

import hypothesis
import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core import roles
from hms.dbroles import as_owner, grant_app_privileges
from tests.factories import NAMES, DoctorFactory, UserFactory


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Refuse `serialized_rollback`: it breaks the suite in some orders.

    After a migrate or a flush the database holds content types, permissions and the role
    groups, all made by post_migrate handlers (Django's, and core's `_sync_role_groups`), which
    a transactional test's flush runs again, giving the rows new ids. A serialized rollback
    restores its snapshot of the same rows under the old ids (update by id, else insert), so
    after a plain transactional test it collides with them (duplicate content type or group);
    and its own flush skips post_migrate, leaving the next transactional test without groups.
    The snapshot holds nothing the handlers do not make, so the suite does without it.
    """
    from pytest_django.fixtures import validate_django_db

    marker = item.get_closest_marker("django_db")
    if (
        (marker is not None and validate_django_db(marker)[3])
        or "django_db_serialized_rollback" in getattr(item, "fixturenames", ())
        or getattr(getattr(item, "cls", None), "serialized_rollback", False)
    ):
        pytest.fail(
            "serialized_rollback is not used in this suite: the flush after a transactional "
            "test brings back the role groups (see tests/conftest.py)",
            pytrace=False,
        )


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Print pytest-randomly's seed at the end too: `-q` hides the header that shows it."""
    if config.pluginmanager.hasplugin("randomly"):
        seed = config.getoption("randomly_seed")
        terminalreporter.write_line(f"Test order: --randomly-seed={seed} replays it")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Hypothesis draws its examples from pytest-randomly's seed (pytest-randomly does not seed
    Hypothesis), so the seed printed at the end replays a run's examples as well as its order.
    """
    if not config.pluginmanager.hasplugin("randomly") or config.getoption("hypothesis_seed"):
        return
    seed = config.getoption("randomly_seed")
    for item in items:
        test = getattr(item, "obj", None)
        test = getattr(test, "__func__", test)  # a test method's function
        if hypothesis.is_hypothesis_test(test):
            hypothesis.seed(seed)(test)


@pytest.fixture(autouse=True)
def _distinct_names_per_test() -> None:
    """Every person name is available again to the factories of each test."""
    NAMES.unique.clear()


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Every test starts with an empty cache: the waiting-room display keeps its board and
    the doctors it shows there for seconds (appointments.queue_pages), longer than a test."""
    cache.clear()


@pytest.fixture(autouse=True, scope="session")
def quick_passwords():
    """Users are made in almost every test; the production hasher (deliberately slow) would
    dominate the run. Logging in with a password still goes through the real auth path."""
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def front_desk(db):
    return UserFactory(username="frontdesk", role=roles.FRONT_DESK)


@pytest.fixture
def doctor(db):
    user = UserFactory(username="doctor", role=roles.DOCTOR)
    DoctorFactory(user=user, first_name=user.first_name, last_name=user.last_name)
    return user


@pytest.fixture
def other_doctor(db):
    user = UserFactory(username="otherdoctor", role=roles.DOCTOR)
    DoctorFactory(user=user, first_name=user.first_name, last_name=user.last_name)
    return user


@pytest.fixture
def billing_clerk(db):
    return UserFactory(username="billing", role=roles.BILLING_CLERK)


@pytest.fixture
def admin_user(db):
    user = UserFactory(username="admin", role=roles.ADMINISTRATOR)
    # An update, not save(): setting up the fixture writes no audit row (core.access_audit).
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    user.is_staff = user.is_superuser = True
    return user


@pytest.fixture
def outsider(db):
    """A logged-in user with no role at all."""
    return UserFactory(username="outsider")


ROLE_FIXTURES = ["front_desk", "doctor", "billing_clerk", "admin_user", "outsider"]


@pytest.fixture
def login(client):
    """Log a user in on the test client: `login(user)` returns the client."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(autouse=True)
def _force_login_includes_second_factor(monkeypatch):
    """`client.force_login(user)` stands for a user fully signed in: for a role that must use a
    second factor (accounts.selectors.second_factor_required) it also gives the user an
    authenticator app, and marks the session as having passed the code step as the code page
    does (or, for a user without an authenticator, as owing nothing, as the gate does on a
    session's first page). The second factor itself is tested through its pages
    (tests/accounts)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.middleware import NOTHING_OWED, nothing_owed_stamp
    from accounts.selectors import second_factor_required

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        session = self.session
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None and second_factor_required(user):
            device = TOTPDevice.objects.create(user=user, name="Test authenticator")
        if device is not None:
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        else:
            # As the gate leaves a session that owes nothing after its first page.
            session[NOTHING_OWED] = nothing_owed_stamp(user)
        session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(autouse=True)
def _job_queue_emptied(request: pytest.FixtureRequest):
    """After a transactional test, the job queue is emptied: the flush that ends such a test
    leaves procrastinate's tables alone (its models are unmanaged), and a job left there would
    be run by the next test's worker."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and marker.kwargs.get("transaction", False)
    if not transactional and "transactional_db" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db")
    from tests.jobs.helpers import queue_emptied

    yield
    queue_emptied()


@pytest.fixture
def jobs_at_once(monkeypatch):
    """Every background job queued during the test runs the moment it is queued, inside the
    queuing transaction, with procrastinate's worker on the test's connection (as if a worker
    were infinitely quick): for tests that drive pages with the test client, which cannot see
    a worker's commits. tests/jobs/helpers.py has the real worker processes."""
    from procrastinate.tasks import Task

    from tests.jobs.helpers import run_jobs_here

    defer = Task.defer
    running = False

    def defer_and_run(self, **task_kwargs):
        nonlocal running
        job_id = defer(self, **task_kwargs)
        if not running:  # a job queued by a job is taken by the worker already running
            running = True
            try:
                run_jobs_here()
            finally:
                running = False
        return job_id

    monkeypatch.setattr(Task, "defer", defer_and_run)


@pytest.fixture(autouse=True)
def _no_event_loop_left_running(request: pytest.FixtureRequest):
    """Outside the browser journeys, the main thread runs no event loop.

    Playwright's sync API (tests/e2e, a browser kept for the session) runs its loop in a
    greenlet of the main thread, and asyncio marks a loop running per thread: from the first
    journey on, `asyncio.run` and `async_to_sync` (a job worker run in a test) would refuse to
    start. The mark is lifted for each other test and put back after it, before the browser's
    loop runs again."""
    loop = asyncio.events._get_running_loop()
    if loop is None or request.node.get_closest_marker("e2e"):
        yield
        return
    asyncio.events._set_running_loop(None)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(loop)


@pytest.fixture
def migrating(transactional_db):
    """A migration executor logged in as the owner (only it may change the schema), for tests
    of a migration on data written before it. Afterwards the schema is brought back to the
    newest migrations, and, as `migrate` does at its end, the tables and functions made again
    get the application role's privileges (and the summaries' writers run as the owner)."""
    with as_owner(connection):
        executor = MigrationExecutor(connection)
        try:
            yield executor
        finally:
            executor.loader.build_graph()
            executor.migrate(executor.loader.graph.leaf_nodes())
            grant_app_privileges(connection)
