"""drupe's bundled `config` plugin (entry point `config` in the `drupe.plugins` group)."""
