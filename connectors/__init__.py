"""All I/O with the outside world, one module per service; no decisions and no store access."""
