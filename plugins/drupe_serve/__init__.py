"""drupe's bundled `serve` plugin (entry point `serve` in the `drupe.plugins` group)."""
