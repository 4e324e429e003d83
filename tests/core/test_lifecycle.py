"""The lifecycle table and the docs that draw it."""

from __future__ import annotations

from pathlib import Path

import pytest

from redis_message_queue.core.errors import LifecycleError
from redis_message_queue.core.lifecycle import (
    TERMINAL_STATES,
    TRANSITIONS,
    Move,
    State,
    apply_move,
    mermaid_diagram,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize(("state", "move"), sorted(TRANSITIONS, key=str))
def test_every_legal_move_reaches_its_state(state: State, move: Move) -> None:
    """Each table entry is what apply_move does."""
    assert apply_move(state, move) is TRANSITIONS[state, move]


ILLEGAL_MOVES = [
    (state, move)
    for state in State
    for move in Move
    if (state, move) not in TRANSITIONS
]


@pytest.mark.parametrize(("state", "move"), ILLEGAL_MOVES)
def test_moves_outside_the_table_raise(state: State, move: Move) -> None:
    """Anything not in the table is refused with a LifecycleError."""
    with pytest.raises(LifecycleError, match=move.value):
        apply_move(state, move)


def test_terminal_states_have_no_way_out() -> None:
    """Completed, failed and dropped messages never move again."""
    assert not [key for key in TRANSITIONS if key[0] in TERMINAL_STATES]


def test_every_state_is_reachable_from_pending() -> None:
    """No state in the enum is dead code."""
    reached = {State.PENDING}
    frontier = [State.PENDING]
    while frontier:
        state = frontier.pop()
        for (before, _), after in TRANSITIONS.items():
            if before is state and after not in reached:
                reached.add(after)
                frontier.append(after)
    assert reached == set(State)


def test_architecture_doc_draws_the_table() -> None:
    """The diagram in docs/architecture.md is the one the table produces."""
    assert mermaid_diagram() in (DOCS / "architecture.md").read_text()
