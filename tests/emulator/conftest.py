"""Emulator tests use the shared ``emu`` fixture from tests/conftest.py."""
