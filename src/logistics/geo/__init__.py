"""Where riders are: the Redis live index (H3 cells), geofences, distances."""
