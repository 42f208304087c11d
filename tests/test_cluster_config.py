"""Fast checks of the production configuration (no servers): the nginx template, the REST message id."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bot.channels.rest import MAX_MESSAGE_ID_CHARS, parse_body
from bot.runtime import cluster


def test_rendered_nginx_config_is_accepted_by_nginx(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        cluster.nginx_config(tmp_path, "127.0.0.1", 18080, 18090, [18101, 18102], [18103, 18104])
    )
    result = subprocess.run(
        [
            cluster.nginx_binary(),
            "-t",
            "-p",
            str(tmp_path),
            "-c",
            str(conf),
            "-e",
            str(tmp_path / "error.log"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    text = conf.read_text()
    assert text.count("server 127.0.0.1:18101;") == 2  # by conversation and by client address
    assert "{{" not in text and "X-Assistant-Replica" not in text


def test_template_placeholders_must_match_the_values() -> None:
    assert cluster.render_template("a {{x}} b", {"x": 1}) == "a 1 b"
    with pytest.raises(ValueError, match="no value"):
        cluster.render_template("a {{x}} {{y}}", {"x": 1})
    with pytest.raises(ValueError, match="not used"):
        cluster.render_template("a {{x}}", {"x": 1, "z": 2})


@pytest.mark.parametrize(("given", "expected"), [("m-1", "m-1"), (42, "42"), (None, None)])
def test_message_id_is_optional(given: object, expected: str | None) -> None:
    body = {"sender": "s", "message": "hi"}
    if given is not None:
        body["message_id"] = given
    parsed, problem = parse_body(json.dumps(body).encode())
    assert problem is None and parsed is not None
    assert parsed["message_id"] == expected


@pytest.mark.parametrize(
    "bad", [True, [], {}, "", "  ", "a\x00b", "x" * (MAX_MESSAGE_ID_CHARS + 1)]
)
def test_bad_message_ids_are_refused(bad: object) -> None:
    parsed, problem = parse_body(
        json.dumps({"sender": "s", "message": "hi", "message_id": bad}).encode()
    )
    assert parsed is None and "message_id" in (problem or "")
