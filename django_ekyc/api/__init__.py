"""The DRF API: start a verification, list and read one's own, refresh one."""
