"""Settings: one model read from TOML and ``HOTFOLDER_<SECTION>__<KEY>`` variables."""

from config.settings import Settings, SettingsError, load_settings

__all__ = ["Settings", "SettingsError", "load_settings"]
