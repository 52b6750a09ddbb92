"""Fixtures for the embedded HogQL engine and seeded worlds (owned by the HogQL suite)."""
