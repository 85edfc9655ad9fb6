"""Leg Check: an Alexa skill for post-run check-ins on tingling, itchy or aching legs."""

__version__ = "0.1.0"  # the only place the version is kept: pyproject.toml reads it from here
