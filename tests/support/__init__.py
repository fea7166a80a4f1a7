"""Helpers shared by the tests, one module per concern; fixtures stay in ``conftest.py``."""
