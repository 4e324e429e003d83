"""How long and how fast a failed server call is retried: one validated value.

The numbers only. The runtime turns them into a tenacity loop
(``redis_message_queue/_async/retrying.py``); a gateway takes them as its
``retry_*`` arguments. Both validate through :class:`RetryPolicy`, so the rules
live in one place.
"""

from __future__ import annotations

import attrs

from redis_message_queue.core import validation
from redis_message_queue.core.errors import ConfigurationError

DEFAULT_RETRY_BUDGET_SECONDS = 120
DEFAULT_RETRY_MAX_DELAY_SECONDS = 5.0
DEFAULT_RETRY_INITIAL_DELAY_SECONDS = 0.01

RETRY_EXPONENT_BASE = 2
"""Each pause is about twice the one before, up to the maximum."""

RETRY_JITTER_SECONDS = 0.1
"""Up to this much random time is added to each pause, so clients spread out."""

SETTLE_RECORD_MARGIN_SECONDS = 60
"""How much longer than the retry budget a settle's outcome stays readable."""


@attrs.frozen
class RetryPolicy:
    """The retry knobs of 6.0.0, checked once when the value is built.

    Args:
        retry_budget_seconds: Stop retrying once this many seconds have passed
            since the first attempt; 0 makes a single attempt.
        retry_max_delay_seconds: The longest pause between two attempts.
        retry_initial_delay_seconds: The pause after the first failed attempt.

    Raises:
        TypeError: A value has the wrong type (bools are refused).
        ConfigurationError: The budget is negative, a delay is not a finite number
            above 0, or the first delay exceeds the longest.
    """

    retry_budget_seconds: int = DEFAULT_RETRY_BUDGET_SECONDS
    retry_max_delay_seconds: float = DEFAULT_RETRY_MAX_DELAY_SECONDS
    retry_initial_delay_seconds: float = DEFAULT_RETRY_INITIAL_DELAY_SECONDS

    def __attrs_post_init__(self) -> None:
        budget = validation.require_int(
            "retry_budget_seconds", self.retry_budget_seconds
        )
        if budget < 0:
            raise ConfigurationError(
                f"'retry_budget_seconds' must be >= 0, got {budget}"
            )

        longest = validation.positive_number(
            "retry_max_delay_seconds", self.retry_max_delay_seconds
        )
        first = validation.positive_number(
            "retry_initial_delay_seconds", self.retry_initial_delay_seconds
        )
        if first > longest:
            raise ConfigurationError(
                "'retry_initial_delay_seconds' must not exceed "
                f"'retry_max_delay_seconds', got {first!r} > {longest!r}"
            )

    @property
    def retries(self) -> bool:
        """Whether a failed call is tried again at all."""
        return self.retry_budget_seconds > 0

    @property
    def settle_record_seconds(self) -> int:
        """How long a settle's success must stay readable by a repeated settle.

        Longer than the budget, so every retry of a settle whose reply was lost
        still finds it.
        """
        return self.retry_budget_seconds + SETTLE_RECORD_MARGIN_SECONDS
