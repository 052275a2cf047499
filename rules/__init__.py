"""All decisions, as pure functions over plain records: no I/O and no clock reads."""
