"""The monitor's tests deliver alerts to receivers on 127.0.0.1, as a deployment whose
receivers live on its own network does: with ``OI_WEBHOOK_ALLOW_PRIVATE=1`` (set before
any module starts a server, which inherits it). tests/services/test_webhooks.py checks
that without it such receivers are refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from open_interpreter.services.webhooks import ALLOW_PRIVATE


@pytest.fixture(scope="package", autouse=True)
def receivers_on_this_machine() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ALLOW_PRIVATE, "1")
        yield
