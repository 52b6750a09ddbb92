"""Fixtures for the docs search tests: small docs folders written by the tests themselves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from posthog_escalation.config import Settings

WriteDocs = Callable[[Path, dict[str, str | bytes]], Path]


def write_docs(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (path under contents/docs -> text or bytes) and return the root."""
    docs = root / "contents" / "docs"
    for rel, content in files.items():
        path = docs / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


FIXTURE_DOCS: dict[str, str | bytes] = {
    "session-replay/troubleshooting.mdx": """---
title: Replay troubleshooting
---

Things to check when replays misbehave.

## Recordings are blank

A blank recording usually means the recorder script was blocked by an extension,
or the stylesheets could not be fetched by the player.

## Playback is slow

Very large pages make the player slow. This section mentions masking only in passing.
""",
    "session-replay/privacy.mdx": """---
title: Replay privacy
---

import Shared from '../_snippets/privacy-note.mdx'

## Masking inputs

Inputs are masked by default in the browser before upload.

<Shared />

## Masking text {#custom-text-anchor}

Text is recorded unless a mask selector is configured.
""",
    "_snippets/privacy-note.mdx": """Masked values never leave the device.
""",
    "feature-flags/local-evaluation.mdx": """---
title: Local evaluation
---

Server SDKs can evaluate flags in process with a personal API key.

## Person properties

Pass person properties to the flag call so conditions can be evaluated locally.
""",
    "libraries/node/index.mdx": """---
title: Node.js
---

The Node SDK batches events in the background.

## Shutdown

Call shutdown before the process exits, otherwise queued events are lost.

```js
await posthog.shutdown()
```

## Serverless

In Lambda set flushAt to 1 and flushInterval to 0 and await the flush.
""",
    "libraries/python/index.mdx": """---
title: Python
---

## Sync mode

Use sync_mode so each capture call sends its request before returning.
""",
    "data/ingestion-warnings.mdx": """---
title: Ingestion warnings
---

## Refused to merge an already identified user

Two identified persons cannot be merged by identify.

## Event too large

Events over the size limit are dropped.
""",
    "index.mdx": """---
title: Docs home
---

Welcome to the docs.
""",
}


@pytest.fixture
def docs_writer() -> WriteDocs:
    """``write_docs(root, {path: content})``: lay out a docs folder, return its root."""
    return write_docs


@pytest.fixture
def fixture_files() -> dict[str, str | bytes]:
    """The fixture pages (a fresh copy per test)."""
    return dict(FIXTURE_DOCS)


@pytest.fixture
def fixture_docs(tmp_path: Path) -> Path:
    """A small posthog.com-shaped checkout (root containing contents/docs)."""
    return write_docs(tmp_path / "checkout", FIXTURE_DOCS)


@pytest.fixture
def settings_for(tmp_path: Path) -> Callable[..., Settings]:
    """Settings with a temporary data folder and no .env file."""

    def make(**overrides: object) -> Settings:
        values = {"data_dir": tmp_path / "data", "docs_dir": None, **overrides}
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make
