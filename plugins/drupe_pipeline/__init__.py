"""drupe's bundled `pipeline` plugin (entry point `pipeline` in the `drupe.plugins` group)."""
