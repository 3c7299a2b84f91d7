"""The command-line client of the zemoga datasets API (`zemoga-datasets`)."""

__version__ = "0.1.0"
