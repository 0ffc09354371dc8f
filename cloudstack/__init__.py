"""cloudstack: an OpenStack-compatible cloud in one Python process tree."""
