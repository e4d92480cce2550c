"""Loaded by every Python process the tests start (it is on their PYTHONPATH): refuses any
connection or name lookup that is not loopback, so no test can reach AWS or any other host."""

from tests.guard.loopback import install

install()
