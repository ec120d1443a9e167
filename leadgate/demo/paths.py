"""The demo's ways through the lifecycle, read off `lifecycle.TRANSITIONS`.

The demo decides where a lead heads next and when (the odds in `seed._Batch._walk`);
which stages it passes on the way there, and so the StageChange rows written for
it, is the lifecycle's business: the fewest moves through its table, found
breadth first (the table's own order breaks ties). Today every place the demo
heads for is one move away; a stage added to the lifecycle in between is then
walked through, and a target the lifecycle no longer reaches is refused.
"""

from collections import deque
from collections.abc import Mapping

from leadgate.leads.lifecycle import CLOSED, FUNNEL, TRANSITIONS, Move, Stage

# Where every cycle starts: a new lead (from no stage, "", as `create_lead()`
# writes it) and a person who comes back after a closed cycle
# (`Lead.start_new_cycle()`). Neither is a move of the table.
START = FUNNEL[0]
_START = Move(START, frozenset())

Transitions = Mapping[Stage, Mapping[Stage, Move]]
Ways = dict[tuple[str, str], tuple[Move, ...]]


def shortest_way(transitions: Transitions, start: Stage, target: Stage) -> tuple[Move, ...]:
    """The moves from `start` to `target`, fewest first; () when there is none."""
    came_by: dict[Stage, tuple[Stage, Move]] = {}
    queue = deque([start])
    while queue:
        stage = queue.popleft()
        for to, move in transitions.get(stage, {}).items():
            if to == start or to in came_by:
                continue
            came_by[to] = (stage, move)
            if to == target:
                moves = []
                while to != start:
                    to, move = came_by[to]
                    moves.append(move)
                return tuple(reversed(moves))
            queue.append(to)
    return ()


def ways(transitions: Transitions = TRANSITIONS) -> Ways:
    """(from stage, to stage) -> the moves between them, for every pair the
    lifecycle connects; a cycle's start from no stage or from a closed one."""
    table: Ways = {}
    for start in transitions:
        for target in transitions:
            if start != target and (moves := shortest_way(transitions, start, target)):
                table[start, target] = moves
    for end in ("", *CLOSED):
        table[end, START] = (_START,)
    return table


WAYS = ways()
