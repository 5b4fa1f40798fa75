"""Talking to the studio's own HTTP systems (CRM, operations, finance ...)."""
