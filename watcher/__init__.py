"""The daemon: poll loop, launch policy, reaper, e-mail notifications, web page, history."""
