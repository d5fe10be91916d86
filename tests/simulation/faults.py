"""What goes wrong in a simulated history, chosen by the history's seeded dice.

Two kinds of fault, both raised where a real one would surface:

- `Killed` is a process dying at that point (kill -9, a power cut). It is a BaseException,
  so no `except Exception` in remit can swallow it, exactly as nothing runs in a killed
  process. The open transaction rolls back, as the database does for a dead connection.
- A dropped database connection is Django's `OperationalError`, raised in place of the
  statement it interrupted ("terminating connection due to administrator command").

`StatementFaults` is installed with `connection.execute_wrapper` for the whole history:
an operation may arm it to strike at its k-th SQL statement, which reaches every step of
every transaction (before the attempt row commits, inside the recording of an answer...).
It is suspended while the gateway double runs the sandbox: the gateway's store stands for
another company's database, whose faults the double scripts itself.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import OperationalError

DROPPED = "terminating connection due to administrator command"


class Killed(BaseException):
    """The simulated process died here; nothing after this point of it runs."""


class Dice:
    """The history's one source of chance: every choice is drawn here, in order, so a seed
    replays the same history exactly."""

    def __init__(self, seed: int, *, fault_rate: float) -> None:
        self.rng = random.Random(seed)
        self.fault_rate = fault_rate
        self.faults_on = True

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def fault(self, options: dict[str, float]) -> str:
        """'none', or one of `options` (weights), at the history's fault rate."""
        if not self.faults_on or not self.chance(self.fault_rate):
            return "none"
        names = sorted(options)
        return self.rng.choices(names, weights=[options[n] for n in names])[0]


class StatementFaults:
    """An execute wrapper that kills the process, or drops its connection, at the k-th
    statement of the operation that armed it."""

    def __init__(self) -> None:
        self._armed: list[tuple[int, str] | None] = []  # one entry per running operation
        self._suspended = 0

    def __call__(self, execute, sql, params, many, context):
        # Savepoints stand for transactions here (the test runs inside one); a real fault
        # ends a transaction without any statement, so none strikes at these.
        bookkeeping = sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))
        if self._armed and self._armed[-1] is not None and not self._suspended and not bookkeeping:
            countdown, kind = self._armed[-1]
            if countdown <= 1:
                self._armed[-1] = None
                if kind == "kill":
                    raise Killed(f"killed before: {sql.split()[0]} …")
                raise OperationalError(DROPPED)
            self._armed[-1] = (countdown - 1, kind)
        return execute(sql, params, many, context)

    @contextmanager
    def operation(self, dice: Dice) -> Iterator[str]:
        """Arm (or not) a statement fault for one operation; yields what was armed."""
        fault = dice.fault({"kill": 2, "drop": 1})
        armed = None if fault == "none" else (dice.rng.randint(1, 40), fault)
        self._armed.append(armed)
        try:
            yield "" if armed is None else f"{armed[1]}@{armed[0]}"
        finally:
            self._armed.pop()

    @contextmanager
    def suspended(self) -> Iterator[None]:
        self._suspended += 1
        try:
            yield
        finally:
            self._suspended -= 1


def shuffled(rng: random.Random, items: list) -> list:
    items = list(items)
    rng.shuffle(items)
    return items
