"""Pure values and rules of the logistics domain: no I/O, no transport types."""
