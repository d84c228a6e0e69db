"""The CLI, run against each backend: what a user types and what they see."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner, Result

from streamkit.cli.main import app
from streamkit.log import partition_for_key

runner = CliRunner()


def cli(broker_url: str, *args: str, input: str | None = None) -> Result:
    """Run ``streamkit ARGS --broker URL`` in-process."""
    return runner.invoke(app, [*args, "--broker", broker_url], input=input)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def test_topics_create_list_describe_delete(broker_url: str, topic_name: str) -> None:
    ok(cli(broker_url, "topics", "create", topic_name, "--partitions", "3", "--compact",
           "--config", "retention.ms=3600000"))

    assert topic_name in ok(cli(broker_url, "topics", "list")).stdout.splitlines()
    described = ok(cli(broker_url, "topics", "describe", topic_name)).stdout
    assert "partitions: 3" in described
    assert "cleanup.policy=compact" in described
    assert "retention.ms=3600000" in described

    ok(cli(broker_url, "topics", "delete", topic_name))
    assert topic_name not in ok(cli(broker_url, "topics", "list")).stdout.splitlines()


def test_produce_then_consume_with_keys_timestamps_and_meta(broker_url: str, topic_name: str) -> None:
    ok(cli(broker_url, "topics", "create", topic_name, "--partitions", "2"))
    lines = [
        {"user": "user-42", "ts": 1_700_000_000_000, "n": 1},
        {"user": "user-7", "ts": "2023-11-14T22:13:21Z", "n": 2},
    ]
    produced = ok(cli(broker_url, "produce", topic_name, "--key-field", "user",
                      "--timestamp-field", "ts",
                      input="\n".join(json.dumps(x) for x in lines) + "\n\n"))
    assert "produced 2 record(s)" in produced.output

    out = ok(cli(broker_url, "consume", topic_name, "--from-beginning", "--max", "2", "--meta"))
    records = sorted((json.loads(line) for line in out.stdout.splitlines()), key=lambda r: r["value"]["n"])
    assert [r["key"] for r in records] == ["user-42", "user-7"]
    assert [r["timestamp"] for r in records] == [1_700_000_000_000, 1_700_000_001_000]
    assert [r["value"] for r in records] == lines
    assert records[0]["partition"] == partition_for_key(b"user-42", 2)
    assert set(records[0]) == {"key", "value", "topic", "partition", "offset", "timestamp", "headers"}


def test_consume_from_offset_and_since_and_stop_after_timeout(broker_url: str, topic_name: str) -> None:
    ok(cli(broker_url, "topics", "create", topic_name))
    docs = "".join(json.dumps({"n": i, "ts": 1000 * (i + 1)}) + "\n" for i in range(5))
    ok(cli(broker_url, "produce", topic_name, "--timestamp-field", "ts", input=docs))

    from_offset = ok(cli(broker_url, "consume", topic_name, "--offset", "3", "--timeout", "2"))
    assert [json.loads(x)["n"] for x in from_offset.stdout.splitlines()] == [3, 4]

    since = ok(cli(broker_url, "consume", topic_name, "--since", "2500", "--timeout", "2"))
    assert [json.loads(x)["n"] for x in since.stdout.splitlines()] == [2, 3, 4]


def test_string_values_round_trip(broker_url: str, topic_name: str) -> None:
    ok(cli(broker_url, "topics", "create", topic_name))
    ok(cli(broker_url, "produce", topic_name, "--value-format", "string", input="hello\nété\n"))

    out = ok(cli(broker_url, "consume", topic_name, "--from-beginning", "--max", "2",
                 "--value-format", "string"))
    assert [json.loads(x) for x in out.stdout.splitlines()] == ["hello", "été"]


def test_avro_values_round_trip(broker_url: str, topic_name: str, tmp_path) -> None:
    schema = tmp_path / "click.avsc"
    schema.write_text(json.dumps({"type": "record", "name": "Click", "fields": [
        {"name": "page", "type": "string"}, {"name": "ms", "type": "long"}]}))
    ok(cli(broker_url, "topics", "create", topic_name))
    avro = ["--value-format", "avro", "--schema", str(schema)]
    ok(cli(broker_url, "produce", topic_name, *avro, input='{"page": "/a", "ms": 5}\n'))

    out = ok(cli(broker_url, "consume", topic_name, "--from-beginning", "--max", "1", *avro))
    assert json.loads(out.stdout) == {"page": "/a", "ms": 5}


def test_group_consumption_commits_and_groups_describe_shows_lag(
    broker_url: str, topic_name: str
) -> None:
    group = f"{topic_name}-group"
    ok(cli(broker_url, "topics", "create", topic_name))
    ok(cli(broker_url, "produce", topic_name, input="".join(f'{{"n": {i}}}\n' for i in range(5))))

    ok(cli(broker_url, "consume", topic_name, "--group", group, "--from-beginning", "--max", "3"))

    assert group in ok(cli(broker_url, "groups", "list")).stdout.splitlines()
    row = [line.split() for line in ok(cli(broker_url, "groups", "describe", group)).stdout.splitlines()
           if line.startswith(topic_name)]
    assert row == [[topic_name, "0", "3", "5", "2"]]

    rest = ok(cli(broker_url, "consume", topic_name, "--group", group, "--timeout", "3"))
    assert [json.loads(x)["n"] for x in rest.stdout.splitlines()] == [3, 4]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["topics", "describe", "{topic}"], None, "does not exist"),
        (["topics", "create", "{topic}", "--config", "oops"], None, "KEY=VALUE"),
        (["produce", "{topic}"], "{}\n", "does not exist"),
        (["consume", "{topic}", "--max", "1"], None, "does not exist"),
        (["groups", "describe", "{topic}-nobody"], None, "no committed offsets"),
        (["consume", "{topic}", "--offset", "1", "--since", "1h"], None, "choose one"),
    ],
)
def test_user_errors_print_one_line_and_exit_1(
    broker_url: str, topic_name: str, args: list[str], stdin: str | None, message: str
) -> None:
    result = cli(broker_url, *[a.format(topic=topic_name) for a in args], input=stdin)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_bad_json_line_is_reported_with_its_number(broker_url: str, topic_name: str) -> None:
    ok(cli(broker_url, "topics", "create", topic_name))
    result = cli(broker_url, "produce", topic_name, input='{"ok": 1}\n{oops\n')
    assert result.exit_code == 1
    assert "line 2 is not valid JSON" in result.output
    out = cli(broker_url, "consume", topic_name, "--from-beginning", "--timeout", "1")
    assert out.stdout == "", "a bad line produces nothing"


def test_console_script_has_help_for_every_command() -> None:
    for command in ([], ["topics"], ["topics", "create"], ["produce"], ["consume"],
                    ["groups"], ["groups", "describe"]):
        result = subprocess.run([sys.executable, "-m", "streamkit.cli", *command, "--help"],
                                check=False, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert "Usage" in result.stdout
