"""The one request scheduler of extraction and write-back, with a fake portal: answers stored in
the calling thread, budgets, refusals sent again up to a limit, errors and interrupts."""

import threading
import time

import pytest

from b24metrics import errors
from b24metrics.portal import scheduler as scheduling
from b24metrics.portal.budget import OperatingBudget
from b24metrics.portal.scheduler import Jobs, Scheduler, Verdict


class Fake(Jobs):
    """Jobs are names; a job's method is its name before the dot. `answer` decides what send does."""

    def __init__(self, answer=lambda job: job):
        self.answer = answer
        self.sent, self.stored_jobs, self.threads = [], [], set()
        self.lock = threading.Lock()
        self.now = self.most = 0

    def methods(self, job):
        return [job.split(".")[0]]

    def send(self, job):
        with self.lock:
            self.sent.append(job)
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            return self.answer(job)
        finally:
            with self.lock:
                self.now -= 1

    def settle(self, job, answer, error):
        if isinstance(error, errors.RetryError):
            return Verdict(again=job, refused=error, count="fake")
        if error is not None:
            return Verdict(error=error)
        return Verdict(lambda: self.store(job))

    def store(self, job):
        self.threads.add(threading.current_thread().name)
        self.stored_jobs.append(job)


def run(jobs, queued, workers=2, budget=None, **options):
    Scheduler(jobs, budget or OperatingBudget(), workers=workers, thread_name="test-sched", **options).run(queued)


def test_every_answer_is_stored_once_in_the_calling_thread_with_at_most_workers_in_flight():
    def slowly(job):
        time.sleep(0.01)
        return job

    jobs = Fake(slowly)
    names = [f"m.{i}" for i in range(30)]
    run(jobs, names, workers=3)
    assert sorted(jobs.sent) == sorted(jobs.stored_jobs) == sorted(names)
    assert jobs.threads == {threading.current_thread().name}
    assert 1 <= jobs.most <= 3


def test_jobs_are_drawn_from_a_source_only_as_they_are_needed():
    made = []

    def source():
        for i in range(6):
            made.append(i)
            yield f"m.{i}"

    jobs = Fake()
    scheduler = Scheduler(jobs, OperatingBudget(), workers=2, thread_name="test-sched")
    scheduler.run(source=source())
    assert len(jobs.stored_jobs) == 6 and made == list(range(6))


def test_a_job_short_of_its_budget_lets_the_others_go_first():
    budget = OperatingBudget()
    budget.blocked("slow", time.time() + 60)
    jobs = Fake()
    run(jobs, ["slow.1", "fast.1", "fast.2", "fast.3"], budget=budget)
    # Nothing else left and nothing under way: it goes anyway (the client itself waits).
    assert jobs.sent[-1] == "slow.1" and set(jobs.sent[:3]) == {"fast.1", "fast.2", "fast.3"}


def test_a_refusal_goes_back_in_line_until_its_count_passes_the_limit(monkeypatch):
    monkeypatch.setattr(scheduling, "MAX_DEFERRALS", 3)
    refusals = iter(range(2))

    def refuse_twice(job):
        if job == "m.again" and next(refusals, None) is not None:
            raise errors.RateLimited("busy", code="QUERY_LIMIT_EXCEEDED")
        if job == "m.never":
            raise errors.RateLimited("busy", code="QUERY_LIMIT_EXCEEDED")
        return job

    jobs = Fake(refuse_twice)
    run(jobs, ["m.again"])
    assert jobs.sent.count("m.again") == 3 and jobs.stored_jobs == ["m.again"]
    jobs = Fake(refuse_twice)
    with pytest.raises(errors.RateLimited):
        run(jobs, ["m.never"])
    assert jobs.sent.count("m.never") == 4 and not jobs.stored_jobs  # the first try and 3 more


def test_an_error_stops_new_work_and_the_answers_under_way_are_stored_first():
    failed = threading.Event()

    def answer(job):
        if job == "m.bad":
            raise errors.InvalidRequest("no", code="INVALID_REQUEST")
        assert failed.wait(10)
        return job

    jobs = Fake(answer)
    settle = jobs.settle

    def note_the_failure(job, answer, error):
        if error is not None:
            failed.set()
        return settle(job, answer, error)

    jobs.settle = note_the_failure
    with pytest.raises(errors.InvalidRequest):
        run(jobs, ["m.bad", "m.slow", "m.later"])
    assert sorted(jobs.sent) == ["m.bad", "m.slow"] and jobs.stored_jobs == ["m.slow"]


@pytest.mark.parametrize("finish", [True, False])
def test_an_interrupt_while_storing_stores_the_answers_under_way_only_when_asked(finish):
    interrupted = threading.Event()

    def answer(job):
        if job == "m.slow":
            assert interrupted.wait(10)
        return job

    jobs = Fake(answer)
    store = jobs.store
    later_out = []

    def interrupt_on_the_first(job):
        if job == "m.fast":
            # m.later went out before m.fast is stored (the next requests do not wait for storing);
            # its worker thread may start it a moment later, after m.slow's or before
            deadline = time.monotonic() + 10
            while "m.later" not in jobs.sent and time.monotonic() < deadline:
                time.sleep(0.01)
            later_out.append("m.later" in jobs.sent)
            interrupted.set()
            raise KeyboardInterrupt
        store(job)

    jobs.store = interrupt_on_the_first
    with pytest.raises(KeyboardInterrupt):
        run(jobs, ["m.fast", "m.slow", "m.later"], finish_on_interrupt=finish)
    assert later_out == [True] and sorted(jobs.sent) == ["m.fast", "m.later", "m.slow"]
    assert sorted(jobs.stored_jobs) == (["m.later", "m.slow"] if finish else [])


class Idler(Fake):
    """A fake whose one job's answer is held until `answer` is set, and whose idle_now() says yes
    once `reader` is set (the write-back: a reader marked that it waits for the warehouse)."""

    idle_check = 0.01

    def __init__(self, idle_after=None):
        self.idle_after = idle_after
        self.in_flight, self.answer_now, self.reader, self.idled = (threading.Event() for _ in range(4))
        self.events = []
        super().__init__(self.held)

    def held(self, job):
        self.events.append("sent")
        self.in_flight.set()
        assert self.answer_now.wait(30)
        self.events.append("answered")
        return job

    def idle_now(self):
        return self.reader.is_set()

    def idle(self):
        self.events.append("idle")
        self.idled.set()

    def store(self, job):
        self.events.append("stored")
        super().store(job)


def _run_aside(jobs):
    failures = []

    def target():
        try:
            run(jobs, ["m.1"], workers=1)
        except BaseException as exc:  # pragma: no cover (shown by the assertion below)
            failures.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    return thread, failures


def test_a_waiting_reader_makes_the_calling_thread_let_go_while_the_answer_is_still_awaited():
    """idle() is called as soon as idle_now() says so, with the request still in flight and no
    idle_after at all (before: only after idle_after seconds, or after the next answer); once."""
    jobs = Idler(idle_after=None)
    thread, failures = _run_aside(jobs)
    try:
        assert jobs.in_flight.wait(30)
        assert not jobs.idled.is_set()   # nobody waits: nothing is let go
        jobs.reader.set()
        assert jobs.idled.wait(30), "the reader's mark was not seen while the answer was awaited"
        assert not jobs.answer_now.is_set()
    finally:
        jobs.answer_now.set()
        thread.join(30)
    assert not failures and not thread.is_alive()
    assert jobs.events == ["sent", "idle", "answered", "stored"]   # idle once per wait, though still asked for


def test_without_a_reader_the_calling_thread_lets_go_after_idle_after():
    jobs = Idler(idle_after=0.05)
    thread, failures = _run_aside(jobs)
    try:
        assert jobs.idled.wait(30)
        assert not jobs.answer_now.is_set() and not jobs.reader.is_set()
    finally:
        jobs.answer_now.set()
        thread.join(30)
    assert not failures and jobs.events == ["sent", "idle", "answered", "stored"]
