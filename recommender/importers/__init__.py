"""See commands.py."""
