"""Project settings. The defaults suit spaceflights; see docs/settings.md for the options."""
