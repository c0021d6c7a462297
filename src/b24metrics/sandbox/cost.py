"""A deterministic model of how long a Bitrix24 method call takes on the portal.

With ``portal.cost`` set (``SandboxPortal(cost=CostModel())``), every executed
method call (batch sub-commands included; the ``batch`` call itself books
nothing) books :meth:`CostModel.seconds` into the per-method operating meter
and reports it as ``processing`` in its ``time`` block, instead of the
handler's measured run time.  ``portal.cost = None`` (the default) keeps the
measured time.

A call costs::

    per_call + per_row_read    * rows returned
             + per_row_counted * rows counted   (start >= 0: every row matching the filter, for `total`)
             + per_row_skipped * rows skipped   (start = N skips N rows)

so a keyset page (``start=-1``, ``>ID`` filter, ID order) costs the same at
any depth of any table, while a classic page costs more the bigger the table
and the deeper the offset.  :func:`~.methods.list_records` reports the row
counts on the :class:`~.envelope.Outcome`; other methods cost ``per_call``.

Calibration (D:settings/performance/huge-data): on a portal
of 2,387,743 leads the same page took 49.9 s with ``total`` counted and
0.097 s with ``start=-1``.  So a 50-row keyset page costs
``per_call + 50 * per_row_read`` = 0.047 + 0.050 = 0.097 s, and the first
counting page adds 2,387,743 counted rows: ``per_row_counted`` =
(49.9 - 0.097) / 2,387,743 = 2.086e-5 s per row (about 48,000 rows a second),
which makes that page exactly 49.9 s.  The docs give no number for skipping an
offset; ``per_row_skipped`` assumes half a counted row (the offset walks the
ID index without the count's permission checks), so on that portal the last
classic page costs about 74.8 s.  The 480 s operating limit is then ~10
counting pages of a 2.4M-row table per 10 minutes, or ~4,900 keyset pages.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CostModel", "DOCS_ROWS", "DOCS_COUNTING_PAGE", "DOCS_KEYSET_PAGE"]

#: the docs' portal: leads, seconds of one page with ``total``, seconds of one ``start=-1`` page
DOCS_ROWS = 2_387_743
DOCS_COUNTING_PAGE = 49.9
DOCS_KEYSET_PAGE = 0.097

_PER_CALL = 0.047
_PER_ROW_READ = (DOCS_KEYSET_PAGE - _PER_CALL) / 50
_PER_ROW_COUNTED = (DOCS_COUNTING_PAGE - DOCS_KEYSET_PAGE) / DOCS_ROWS


@dataclass(frozen=True)
class CostModel:
    """Simulated portal seconds per call (see the module docstring for the calibration)."""

    per_call: float = _PER_CALL
    per_row_read: float = _PER_ROW_READ
    per_row_counted: float = _PER_ROW_COUNTED
    per_row_skipped: float = _PER_ROW_COUNTED / 2

    def seconds(self, read: int = 0, counted: int = 0, skipped: int = 0) -> float:
        """Portal seconds of one call that returned ``read`` rows, counted ``counted``
        and skipped ``skipped``."""
        return (self.per_call + self.per_row_read * read + self.per_row_counted * counted
                + self.per_row_skipped * skipped)
