import os
from pathlib import Path

import pytest

from config import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith("HOTFOLDER_"):
            monkeypatch.delenv(key)


def test_defaults_are_the_embedded_local_setup():
    s = load_settings()
    assert s.storage.backend == "local"
    assert s.launcher.backend == "local"
    assert s.local.root == Path("hotfolder-data")
    assert s.web.host == "127.0.0.1"
    assert s.drive.api_root == "https://www.googleapis.com/"


def test_toml_then_environment_overrides(tmp_path, monkeypatch):
    cfg = tmp_path / "hf.toml"
    cfg.write_text('[drive]\nsettle_seconds = 5\nmax_attempts = 4\n[mail]\nrecipients = ["a@x.cz"]\n')
    monkeypatch.setenv("HOTFOLDER_DRIVE__MAX_ATTEMPTS", "7")
    s = load_settings(cfg)
    assert s.drive.settle_seconds == 5
    assert s.drive.max_attempts == 7
    assert s.mail.recipients == ["a@x.cz"]


def test_config_file_from_environment(tmp_path, monkeypatch):
    cfg = tmp_path / "hf.toml"
    cfg.write_text('[launcher]\nmax_workers = 3\n')
    monkeypatch.setenv("HOTFOLDER_CONFIG", str(cfg))
    assert load_settings().launcher.max_workers == 3


def test_unknown_key_names_key_and_file(tmp_path):
    cfg = tmp_path / "hf.toml"
    cfg.write_text("[drive]\nsettle_secnds = 5\n")
    with pytest.raises(SettingsError) as err:
        load_settings(cfg)
    assert "drive.settle_secnds" in str(err.value) and str(cfg) in str(err.value)


def test_wrong_value_says_what_was_expected(tmp_path):
    cfg = tmp_path / "hf.toml"
    cfg.write_text('[mail]\nsecurity = "tls"\n')
    with pytest.raises(SettingsError) as err:
        load_settings(cfg)
    msg = str(err.value)
    assert "mail.security" in msg and "starttls" in msg


def test_secret_values_never_in_error_messages(tmp_path):
    cfg = tmp_path / "hf.toml"
    cfg.write_text('[web]\ntoken = 12345\n[runpod]\napi_key = ["rpa_SECRETSECRET"]\n')
    with pytest.raises(SettingsError) as err:
        load_settings(cfg)
    assert "SECRETSECRET" not in str(err.value)


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[drive\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(bad)


def test_example_config_is_valid_and_complete():
    example = Path(__file__).resolve().parents[2] / "config" / "hotfolder.example.toml"
    s = load_settings(example)
    import tomllib

    data = tomllib.loads(example.read_text())
    # Every key of the model is documented in the example.
    for section, model in s:
        assert section in data, f"[{section}] missing from the example"
        for key in type(model).model_fields:
            assert key in data[section] or f"# {key} =" in example.read_text(), f"{section}.{key} undocumented"


def test_protocol_settings_become_the_reports_fields(tmp_path):
    cfg = tmp_path / "hf.toml"
    cfg.write_text('[protocol]\ncompany = "Strojírny s.r.o."\nico = "12345678"\nmeasured_by = "Lab X"\n')
    fields = load_settings(cfg).protocol.fields()
    assert (fields.company, fields.ico, fields.measured_by, fields.position) == ("Strojírny s.r.o.", "12345678", "Lab X", "")
    assert fields.time_study == ""  # only a time study fills that
