"""What the tests share that is not a test: helpers, builders and strategies.

Fixtures live in ``tests/conftest.py``; everything a test module imports lives here, so no
test module imports another.
"""
