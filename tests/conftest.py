"""drupe's own tests use the same opt-in pytest plugin that plugin authors use."""

pytest_plugins = ["drupe.testing"]
