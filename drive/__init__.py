"""Storage: Drive and local-folder backends behind one interface, OAuth, the per-video state machine."""
