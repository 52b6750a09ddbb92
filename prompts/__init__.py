"""The prompts, plain markdown; installed as ``posthog_escalation.prompts``."""
