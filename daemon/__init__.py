"""The process: CLI, config, store, scheduler, the run loop, systemd notify, demo."""

__version__ = "0.1.0"
