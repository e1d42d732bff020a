"""drupe's bundled `project` plugin (entry point `project` in the `drupe.plugins` group)."""
