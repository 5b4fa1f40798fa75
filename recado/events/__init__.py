"""Events from the studio's systems: their payloads and validation (CONTRACT §4.3)."""
