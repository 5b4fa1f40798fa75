"""What the daemon's parts share while it runs: the context, wake-ups, the supervisor,
listeners, metrics, reloading and systemd's notify protocol."""
