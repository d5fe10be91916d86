"""The `remit` program: the command line's subcommands, and `remit worker`.

Like `remit.urls` for the web faces, this is the project's root for the processes started
from a shell: it puts the faces together (the command line, the worker) and belongs to
none of them, so that neither face imports the other.
"""

from __future__ import annotations

import sys

from remit.cli import main as cli
from remit.cli import report
from remit.worker import command as worker


def main(argv: list[str] | None = None) -> int:
    return cli.main(argv, others=[worker, report])


if __name__ == "__main__":
    sys.exit(main())
