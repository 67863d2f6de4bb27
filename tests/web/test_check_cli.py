"""`flask check`: copy from stdin, a text file, JSON lines or a CSV, against a brand's rules."""

from __future__ import annotations

import json

import pytest

from studio.kits import operations as ops

RULES = {
    "name": "Lintable",
    "voice": {
        "banned": [
            {"phrase": "guaranteed returns", "suggestion": "potential returns", "severity": "block"}
        ],
        "required": [{"phrase": "#ad", "tags": ["sponsored"], "severity": "warn"}],
    },
}


@pytest.fixture
def brand(app, make):
    brand = make.brand(make.workspace(), name="Lintable", slug="lintable")
    with app.app_context():
        ops.save_kit(ops.get_kit(brand), RULES, None)
    from studio.extensions import db

    db.session.commit()
    return brand


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["check", *args], input=input)


def test_stdin_clean_copy_exits_zero(app, brand):
    result = run(app, "--brand", "lintable", input="A calm, honest post.")
    assert result.exit_code == 0, result.output
    assert "no finding" in result.output


def test_blocking_finding_exits_one_with_json(app, brand):
    result = run(app, "--brand", "lintable", "--json", input="Guaranteed returns for all.")
    assert result.exit_code == 1
    data = json.loads(result.output.strip())
    finding = data["findings"][0]
    assert finding["rule"] == "banned_phrase" and finding["severity"] == "block"
    assert (finding["start"], finding["end"]) == (0, 18)
    assert finding["suggestion"] == "Potential returns"
    assert set(finding) == {"rule", "severity", "start", "end", "message", "suggestion"}


def test_jsonl_checks_one_post_a_line(app, brand, tmp_path):
    plan = tmp_path / "plan.jsonl"
    plan.write_text(
        "\n".join(
            json.dumps(row)
            for row in (
                {"text": "Fresh post", "platform": "x", "tags": []},
                {"text": "Our partner's blend", "platform": "threads", "tags": ["sponsored"]},
            )
        )
    )
    result = run(app, "--brand", "lintable", "--json", str(plan))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.strip().splitlines()]
    assert [len(r["findings"]) for r in lines] == [0, 1]
    assert lines[1]["platform"] == "threads"
    assert lines[1]["findings"][0]["rule"] == "required_phrase"


def test_csv_checks_the_text_column(app, brand, tmp_path):
    sheet = tmp_path / "plan.csv"
    sheet.write_text('date,text\n2026-12-01,"Guaranteed returns, again"\n2026-12-02,Fine copy\n')
    result = run(app, "--brand", "lintable", str(sheet))
    assert result.exit_code == 1
    assert "row 2: 1 finding(s)" in result.output and "row 3: no finding(s)" in result.output


def test_bad_inputs_get_clear_messages(app, brand, tmp_path):
    assert "no brand with the slug" in run(app, "--brand", "nope", input="x").output
    sheet = tmp_path / "wrong.csv"
    sheet.write_text("caption\nhello\n")
    result = run(app, "--brand", "lintable", str(sheet))
    assert result.exit_code == 2 and "needs a 'text' column" in result.output
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "ok"}\n{not json}\n')
    result = run(app, "--brand", "lintable", "--json", str(broken))
    assert result.exit_code == 2 and "broken.jsonl:2: not valid JSON" in result.output


def test_platform_adds_length_limit_remaining_and_validity(app, brand):
    result = run(app, "--brand", "lintable", "--platform", "x", "--json", input="a" * 290)
    data = json.loads(result.output.strip())
    assert (data["length"], data["limit"], data["remaining"], data["valid"]) == (
        290,
        280,
        -10,
        False,
    )
    assert any(
        f["rule"].startswith("platform.") and f["severity"] == "block" for f in data["findings"]
    )
    assert result.exit_code == 1


def test_platform_only_without_a_brand_applies_platform_rules(app):
    result = run(app, "--platform", "bluesky", "--json", input="Family 👨‍👩‍👧‍👦 day")
    data = json.loads(result.output.strip())
    assert result.exit_code == 0, result.output
    assert (data["length"], data["limit"], data["valid"]) == (12, 300, True)
    assert data["findings"] == []


def test_instagram_without_media_is_not_valid(app):
    result = run(app, "--platform", "instagram", "--json", input="Caption only")
    data = json.loads(result.output.strip())
    assert data["valid"] is False and result.exit_code == 1


def test_unknown_platform_and_nothing_to_check(app):
    assert "unknown platform 'myspace'" in run(app, "--platform", "myspace", input="x").output
    assert "name a --brand" in run(app, input="x").output
