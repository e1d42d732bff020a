"""drupe's bundled `store` plugin (entry point `store` in the `drupe.plugins` group)."""
