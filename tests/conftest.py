"""Project-wide fixtures: our loopback HTTP server is part of the product (orchestrator.testing)."""

pytest_plugins = ["orchestrator.testing"]
