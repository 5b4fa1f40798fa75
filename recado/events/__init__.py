"""Events from the studio's systems: their payloads and validation (docs/reference.md §4.3, §5)."""
