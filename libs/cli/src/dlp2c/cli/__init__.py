"""The ``dlp2c`` command line."""
