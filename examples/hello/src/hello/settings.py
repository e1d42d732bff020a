"""Project settings: the defaults are fine for hello (nothing to set)."""
