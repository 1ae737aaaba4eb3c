"""The checkpoint key is held by the signing process, never by the database: made once with
0600 permissions (two processes racing end up with one key), refused when others may read it,
or given as an environment secret; ``ballot witness`` keeps its key the same way."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ballot.checkpoint_key import (
    KEY_ENV,
    KEY_FILE_ENV,
    CheckpointKeyError,
    create_key_file,
    load_checkpoint_key,
    read_key_file,
)
from ballot.cli import main


def test_the_key_file_is_made_once_private_and_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keys" / "checkpoint.key"
    monkeypatch.setenv(KEY_FILE_ENV, str(path))
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(CheckpointKeyError):  # no file, and not asked to make one
        load_checkpoint_key(create=False)
    made = load_checkpoint_key(create=True)
    assert made.created and stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_checkpoint_key(create=True)
    assert not again.created and again.key.encode() == made.key.encode()
    assert [p.name for p in path.parent.iterdir()] == ["checkpoint.key"]  # no temporary left


def test_two_processes_racing_keep_one_key(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.key"
    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(lambda _: create_key_file(path), range(8)))
    assert made.count(True) == 1
    read_key_file(path)


def test_a_key_others_may_read_or_a_malformed_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.key"
    create_key_file(path)
    path.chmod(0o644)
    with pytest.raises(CheckpointKeyError, match="too open"):
        read_key_file(path)
    path.chmod(0o600)
    path.write_text("not hex\n")
    with pytest.raises(CheckpointKeyError, match="hex"):
        read_key_file(path)


def test_an_environment_secret_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "absent.key"))
    monkeypatch.setenv(KEY_ENV, "11" * 32)
    loaded = load_checkpoint_key(create=True)
    assert loaded.source == KEY_ENV and not (tmp_path / "absent.key").exists()
    monkeypatch.setenv(KEY_ENV, "11" * 31)
    with pytest.raises(CheckpointKeyError, match="64 hex digits"):
        load_checkpoint_key(create=True)


def test_ballot_witness_makes_its_key_and_prints_the_public_half(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "witness.key"
    assert main(["witness", "--key-file", str(key), "--public-key"]) == 0
    first = capsys.readouterr().out.strip()
    assert main(["witness", "--key-file", str(key), "--public-key"]) == 0
    assert capsys.readouterr().out.strip() == first and len(first) == 43
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert main(["witness", "--key-file", str(key)]) == 2  # no server, session or id
