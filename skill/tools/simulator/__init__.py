"""Leg Check's own Alexa simulator: NLU, request envelopes, a console and scripted replays."""
