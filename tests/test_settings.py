"""Settings: every bad value stops the start with one line naming the variable."""

import os
import subprocess
import sys

import pytest

from service import create_app
from service.settings import SETTINGS, SettingError, effective, load_settings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BAD_VALUES = {
    "TOLK_LOCK_TIMEOUT": ["abc", "-1", "nan", "inf", "1e9"],
    "TOLK_MAX_QUERY_CHARS": ["12.5", "0", "lots"],
    "TOLK_MAX_CONTENT_LENGTH": ["10MB", "-5"],
    "TOLK_MAX_BATCH_DOCS": ["0", "x"],
    "TOLK_RESULT_CACHE": ["-1", "many"],
    "TOLK_POSTING_CACHE_MB": ["-0.5", "big"],
    "TOLK_LOG_FORMAT": ["xml", "JSONL"],
    "TOLK_SENSES": ["maybe", "yes", "cooccurrence"],
    "TOLK_WORDVEC": ["yes", "usem3", "1"],
    "TOLK_LOG_LEVEL": ["verbose", "5"],
    "TOLK_PAGE": ["maybe"],
    "TOLK_METRICS": ["yes please"],
    "TOLK_PRELOAD": ["maybe", "1"],
    "TOLK_DECOMPOUND": ["yes", "1"],
    "TOLK_EMBEDDER": ["bert", "on"],
    "TOLK_DEFAULT_LANGUAGE": ["de", "dutch"],
    "TOLK_HEADER_TIMEOUT": ["0", "soon", "1.5"],
    "TOLK_BODY_TIMEOUT": ["0", "x"],
    "TOLK_BODY_MIN_RATE": ["-1", "fast"],
    "TOLK_BACKEND": ["solr", "elasticsearch"],
    "TOLK_OPENSEARCH_TIMEOUT": ["0", "-1", "later"],
}


@pytest.mark.parametrize("env,value", [(e, v) for e, vs in BAD_VALUES.items() for v in vs])
def test_a_bad_value_names_the_variable_and_what_it_accepts(env, value):
    with pytest.raises(SettingError) as caught:
        load_settings(environ={env: value})
    message = str(caught.value)
    assert env in message and repr(value) in message
    assert "give " in message and "\n" not in message


def test_every_setting_is_checked_and_its_default_is_accepted():
    names = [s.env for s in SETTINGS]
    assert len(names) == len(set(names))
    for setting in SETTINGS:
        if setting.type in (int, float) or setting.choices:
            assert setting.env in BAD_VALUES, f"{setting.env} has no bad-value test"
        # the default, written as text, reads back as the default
        assert load_settings(environ={setting.env: str(setting.default)})[setting.name] \
            == setting.default


def test_good_values_are_typed_and_choices_case_insensitive():
    values = load_settings(environ={"TOLK_LOCK_TIMEOUT": " 2.5 ", "TOLK_RESULT_CACHE": "0",
                                    "TOLK_LOG_FORMAT": "TEXT", "TOLK_LOG_LEVEL": "Debug"})
    assert values["LOCK_TIMEOUT"] == 2.5 and values["RESULT_CACHE"] == 0
    assert values["LOG_FORMAT"] == "text" and values["LOG_LEVEL"] == "debug"


def test_a_secret_value_is_never_shown_in_an_error():
    setting = next(s for s in SETTINGS if s.secret)
    error = setting._error("hunter2")
    assert "hunter2" not in str(error)


def test_create_app_checks_overrides_too(seed_index):
    with pytest.raises(SettingError, match="TOLK_MAX_QUERY_CHARS"):
        create_app({"INDEX_DIR": str(seed_index), "MAX_QUERY_CHARS": 0})
    with pytest.raises(SettingError, match="TOLK_PAGE"):
        create_app({"INDEX_DIR": str(seed_index), "PAGE": "sometimes"})


def test_tolk_commands_stop_with_one_line_on_a_bad_setting(runner):
    for argv in (["config"], ["search", "x"], ["index", "seeds"]):
        result = runner(argv, env={"TOLK_LOCK_TIMEOUT": "abc"})
        assert result.exit_code == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("tolk: TOLK_LOCK_TIMEOUT='abc'")
        assert "Traceback" not in result.stderr


def test_tolk_config_masks_secrets_and_says_where_values_come_from(runner):
    result = runner(["config"], env={"TOLK_API_KEY": "admin-secret-1",
                                     "TOLK_READ_KEYS": "reader-a, reader-b",
                                     "TOLK_RESULT_CACHE": "7"})
    assert result.exit_code == 0
    assert "admin-secret-1" not in result.output and "reader-a" not in result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert "***" in lines["TOLK_API_KEY"] and "2 keys" in lines["TOLK_READ_KEYS"]
    assert " 7 " in lines["TOLK_RESULT_CACHE"] and "[environment]" in lines["TOLK_RESULT_CACHE"]
    assert "[default]" in lines["TOLK_LOCK_TIMEOUT"]
    assert set(lines) == {s.env for s in SETTINGS}


def test_tolk_config_json_lists_every_setting(runner):
    import json

    result = runner(["config", "--json"], env={"TOLK_API_KEY": "admin-secret-1"})
    config = json.loads(result.output)
    assert set(config) == {s.env for s in SETTINGS}
    assert config["TOLK_API_KEY"]["value"].startswith("***")
    assert config["TOLK_LOG_LEVEL"]["accepts"] == "one of debug, info, warning, error"
    assert effective(environ={})[0]["source"] == "default"


def test_gunicorn_with_the_config_refuses_a_bad_setting_in_one_line(seed_index):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOLK_")}
    env.update(TOLK_INDEX_DIR=str(seed_index), TOLK_LOG_FORMAT="xml")
    proc = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--config", "python:service.gunicorn_conf",
         "--bind", "127.0.0.1:0", "service:create_app()"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    tolk_lines = [line for line in proc.stderr.splitlines() if line.startswith("tolk:")]
    assert tolk_lines == ["tolk: TOLK_LOG_FORMAT='xml' is not valid: give one of json, text "
                          "(default json); " + next(s.help for s in SETTINGS
                                                    if s.env == "TOLK_LOG_FORMAT")]


def test_tolk_serve_refuses_a_bad_setting_before_starting(runner, seed_index):
    result = runner(["serve", "--index-dir", seed_index], env={"TOLK_RESULT_CACHE": "-3"})
    assert result.exit_code == 2 and "TOLK_RESULT_CACHE" in result.stderr
