"""Keyring backends for tests, selected with ``PYTHON_KEYRING_BACKEND`` so subprocesses (the CLI) use them too.

``support.fake_keyring.EnvKeyring`` serves the secrets in ``LLMSPELL_TEST_KEYRING`` (JSON: {"provider": "key"}) and
stores nothing; the suite's default is keyring's null backend, so no test ever reads the user's real keychain.
"""

from __future__ import annotations

import json
import os

import keyring.backend


class EnvKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return json.loads(os.environ.get("LLMSPELL_TEST_KEYRING", "{}")).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("read-only test keyring")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.PasswordDeleteError("read-only test keyring")
