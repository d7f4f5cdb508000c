"""The moderation action's pure parts: S3 tag values, quarantine keys, settings."""

import pytest

from vforensics.pipeline import moderation
from vforensics.pipeline.moderation import ModerationSettings, quarantine_key, tag_value

AID = "ab" * 32


def test_tag_values_keep_only_what_s3_accepts_and_fit_256_characters():
    assert tag_value("Likely manipulated") == "Likely manipulated"
    assert tag_value("Inconclusive: no analyzer produced a score") == "Inconclusive: no analyzer produced a score"
    assert tag_value('a\nb\t<c>  "d" & e\'s') == "a b c d e s"  # control characters, quotes, <>&' are not allowed
    assert (
        tag_value("Fälschung wahrscheinlich + 99/100 @ 12:00 = hoch_.")
        == "Fälschung wahrscheinlich + 99/100 @ 12:00 = hoch_."
    )
    long = tag_value("x" * 1000)
    assert len(long) == moderation.MAX_TAG_VALUE == 256
    assert tag_value("\x00\x1b[2J") == "2J"
    assert tag_value("") == ""


def test_quarantine_keys_name_the_analysis_and_fit_s3s_1024_bytes():
    assert quarantine_key("quarantine/", AID, "users/7/photo.jpg") == f"quarantine/{AID}/photo.jpg"
    assert quarantine_key("q/", AID, "dir/") == f"q/{AID}/upload"  # no file name: a fixed one
    assert quarantine_key("q/", AID, "a\nb\x7f.jpg") == f"q/{AID}/a_b_.jpg"
    huge = quarantine_key("quarantine/", AID, "é" * 2000)
    assert len(huge.encode()) <= moderation.MAX_KEY_BYTES and huge.encode().decode() == huge  # whole characters


@pytest.mark.parametrize("prefix", ["analyses/", "work/", "work/held/", "quarantine", "/q/", "a"])
def test_a_quarantine_prefix_that_is_not_a_folder_of_its_own_is_refused(prefix):
    with pytest.raises(RuntimeError, match=moderation.PREFIX_ENV):
        ModerationSettings("up", "res", tag_uploads=False, quarantine_prefix=prefix)


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv(moderation.UPLOADS_ENV, "up")
    monkeypatch.setenv("VF_RESULTS_BUCKET", "res")
    monkeypatch.setenv(moderation.TAG_ENV, "true")
    monkeypatch.setenv(moderation.PREFIX_ENV, "held/")
    assert ModerationSettings.from_env() == ModerationSettings("up", "res", True, "held/")
    monkeypatch.setenv(moderation.TAG_ENV, "yes")
    with pytest.raises(RuntimeError, match="'true' or 'false'"):
        ModerationSettings.from_env()
    monkeypatch.delenv(moderation.UPLOADS_ENV)
    with pytest.raises(RuntimeError, match=moderation.UPLOADS_ENV):
        ModerationSettings.from_env()


def test_events_it_must_not_act_on_are_answered_without_touching_s3():
    """No endpoint is reachable here: these must be decided from the event alone."""
    settings = ModerationSettings("up", "res", tag_uploads=True, quarantine_prefix="q/")
    detail = {"analysis_id": AID, "bucket": "up", "key": "k.jpg", "etag": "e", "verdict": "Likely manipulated"}
    event = {"source": "vforensics", "detail-type": "Analysis Completed", "detail": {**detail, "risk": "MEDIUM"}}
    assert moderation.moderate(event, settings)["reason"] == "risk MEDIUM"
    assert moderation.moderate({**event, "source": "aws.s3"}, settings)["action"] == "ignored"
    assert (
        moderation.moderate({**event, "detail": {**detail, "risk": "HIGH", "bucket": "x"}}, settings)["action"]
        == "ignored"
    )
    assert "verdict" in moderation.moderate({**event, "detail": {"risk": "HIGH"}}, settings)["reason"]
    assert moderation.moderate(None, settings)["action"] == "ignored"
