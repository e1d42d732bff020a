"""drupe's bundled `settings` plugin (entry point `settings` in the `drupe.plugins` group)."""
