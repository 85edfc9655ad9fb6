"""Leg Check: an Alexa skill for post-run check-ins on tingling, itchy or aching legs."""

__version__ = "0.1.0"
