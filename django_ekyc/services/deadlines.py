"""How long a waiting verification can still move: what sync expires by, and what the operator's day summaries
wait for before a day is final."""

from __future__ import annotations

from datetime import timedelta

# After the provider's completion window, a last result may still be settling.
COMPLETION_MARGIN = timedelta(seconds=60)
# A waiting transaction no pass could check this long after the provider's deadline is expired unchecked.
STALE_AFTER_DEADLINE = timedelta(days=1)
