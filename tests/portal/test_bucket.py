from hypothesis import given, settings
from hypothesis import strategies as st

from b24metrics.portal.bucket import LeakyBucket


class FakeTime:
    def __init__(self):
        self.now = 0.0

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_burst_then_paced_at_the_rate():
    t = FakeTime()
    bucket = LeakyBucket(2.0, 50, margin=2, clock=t.clock, sleep=t.sleep)
    for _ in range(48):
        assert bucket.acquire() == 0
    bucket.acquire()
    assert abs(t.now - 0.5) < 1e-9        # one more after half a second at 2/s
    for _ in range(10):
        bucket.acquire()
    assert abs(t.now - 5.5) < 1e-9


def test_saturate_believes_the_portal():
    t = FakeTime()
    bucket = LeakyBucket(5.0, 10, margin=0, clock=t.clock, sleep=t.sleep)
    bucket.saturate()
    bucket.acquire()
    assert abs(t.now - 0.2) < 1e-9


@settings(max_examples=200)
@given(
    rate=st.floats(0.5, 50),
    burst=st.integers(3, 300),
    gaps=st.lists(st.floats(0, 2), min_size=1, max_size=400),
)
def test_the_portal_bucket_never_overflows(rate, burst, gaps):
    """Replay the client's send times against the portal's own rule: never above burst."""
    t = FakeTime()
    bucket = LeakyBucket(rate, burst, clock=t.clock, sleep=t.sleep)
    level, last = 0.0, 0.0
    for gap in gaps:
        t.now += gap
        bucket.acquire()
        level = max(0.0, level - (t.now - last) * rate) + 1
        last = t.now
        assert level <= burst + 1e-6
