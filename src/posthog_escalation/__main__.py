"""``python -m posthog_escalation`` and the ``posthog-escalation`` script: the command line.

The cyclic garbage collector is off while the command starts: importing the package, the
MCP SDK and the engines allocates a great many objects and almost no garbage cycles, and
collecting through them costs about a tenth of the start. A command turns it back on
(after ``gc.freeze()``, so the start-up objects are never scanned again) before its own
work: :func:`posthog_escalation.cli.common.started`.
"""

from __future__ import annotations

import gc


def main() -> None:
    """Run the command line with the collector off until the command has started."""
    gc.disable()
    from posthog_escalation.cli import main as run_cli

    run_cli()


if __name__ == "__main__":
    main()
