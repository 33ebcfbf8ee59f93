"""Secrets are owner-only from their first byte, whatever the umask: the pseudonym key, the
PACS settings (passwords), study keys, witnesses and receipts."""

from __future__ import annotations

import os
import stat

import pytest

from inference.files import atomic


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_secret_file_is_never_readable_by_others_even_before_it_is_renamed(
        tmp_path, umask_022, monkeypatch):
    seen = []
    real_replace = os.replace

    def watching(src, dst):
        seen.append(stat.S_IMODE(os.stat(src).st_mode))
        return real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", watching)
    atomic.write_bytes(tmp_path / "secret", b"key", mode=0o600)
    assert seen == [0o600]
    assert stat.S_IMODE((tmp_path / "secret").stat().st_mode) == 0o600


def test_the_pseudonym_key_and_the_pacs_settings_are_owner_only(tmp_path, umask_022,
                                                                 monkeypatch):
    from inference import pseudonym
    from inference.pacs.nodes import PacsNode, save_nodes

    monkeypatch.delenv("DCREVIEW_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    pseudonym._key.cache_clear()
    try:
        assert pseudonym.pseudonymise("MRN-1")
    finally:
        pseudonym._key.cache_clear()
    key = tmp_path / "config" / "dcreview" / "pseudonym.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    nodes = save_nodes({"web": PacsNode("web", kind="dicomweb", url="https://x/dicom-web",
                                        password="secret")}, tmp_path / "nodes.json")
    assert stat.S_IMODE(nodes.stat().st_mode) == 0o600
