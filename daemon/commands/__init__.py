"""One module per command (or group of related commands); imported on demand by daemon.cli."""
