"""``python -m posthog_escalation``: the same command line as ``posthog-escalation``."""

from posthog_escalation.cli import main

if __name__ == "__main__":
    main()
