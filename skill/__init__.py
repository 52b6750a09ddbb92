"""The Claude skill, installed as ``posthog_escalation.skill_files`` for the MCP server."""
