"""Fetch the real PostHog docs (or copy a local folder) and index them.

``sync_docs`` stages everything in a scratch folder first: a shallow, sparse, blob-less
git clone of only ``contents/docs`` (or a copy of a local folder), then the index build.
Only when both succeed does the staged folder replace the previous one, so a failure
(offline, a bad URL, an empty folder) leaves the previous docs and index untouched.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ...errors import ConfigError, InputError, UnavailableError
from .index import build_index, index_store, open_folder_index, synced_docs_dir
from .models import DocsSource, SyncResult
from .parse import find_docs_root, iter_doc_files
from .search import RankingParams

DEFAULT_REPO = "https://github.com/PostHog/posthog.com.git"
DOCS_PATH = "contents/docs"
GIT_TIMEOUT_SECONDS = 900

Progress = Callable[[str], None]


def sync_docs(
    data_dir: Path,
    *,
    from_path: Path | None = None,
    repo: str = DEFAULT_REPO,
    branch: str | None = None,
    params: RankingParams | None = None,
    git: str = "git",
    progress: Progress | None = None,
) -> SyncResult:
    """Replace the synced docs under ``data_dir`` and index them.

    Args:
        data_dir: The data folder (docs go to ``<data_dir>/docs/source``).
        from_path: Copy and index this local folder instead of cloning.
        repo: Git URL (or local path) of a posthog.com-shaped repository.
        branch: Branch to check out (default: the repository's default branch).
        params: Ranking parameters for the index.
        git: The git executable.
        progress: Called with a short line at each step.

    Raises:
        InputError: ``from_path`` is not a folder.
        ConfigError: The data folder cannot be written.
        UnavailableError: git is missing, the repository cannot be reached, or it has no
            ``contents/docs``. Nothing under ``data_dir`` changes.
        BackendError: The fetched docs hold nothing indexable. Nothing changes either.
    """
    say = progress or (lambda _line: None)
    docs_home = data_dir / "docs"
    try:
        docs_home.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".sync-", dir=docs_home))
    except OSError as exc:
        raise ConfigError(
            f"docs sync: cannot write to {docs_home} ({exc.strerror})",
            "check the data folder (--data-dir or POSTHOG_ESCALATION_DATA_DIR)",
        ) from None
    try:
        staged = staging / "source"
        if from_path is not None:
            source = _copy_folder(from_path, staged, say)
        else:
            source = _clone(repo, branch, staging / "clone", staged, git, say)
        say("building the index")
        store = index_store(data_dir)
        build_index(staged, source=source, params=params, store=store)
        _swap(staged, synced_docs_dir(data_dir))
        (docs_home / "source.json").write_text(source.model_dump_json(indent=1), encoding="utf-8")
        index = open_folder_index(synced_docs_dir(data_dir), store, source=source, params=params)
        return SyncResult(source=source, stats=index.stats)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _copy_folder(folder: Path, staged: Path, say: Progress) -> DocsSource:
    if not folder.is_dir():
        raise InputError(
            f"docs sync --from {folder}: not a folder", "pass a folder of .md/.mdx docs"
        )
    root = find_docs_root(folder)
    files = iter_doc_files(root)
    if not files:
        raise InputError(
            f"docs sync --from {folder}: no .md or .mdx files found",
            "pass a posthog.com checkout, its contents/docs, or a folder of docs",
        )
    say(f"copying {len(files)} files from {root}")
    target_root = staged / DOCS_PATH
    for path in files:
        target = target_root / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return DocsSource(
        kind="local-copy", location=str(folder.resolve()), synced_at=datetime.now(UTC)
    )


def _clone(
    repo: str, branch: str | None, checkout: Path, staged: Path, git: str, say: Progress
) -> DocsSource:
    url = _as_url(repo)
    shown = display_url(url)
    say(f"fetching {DOCS_PATH} from {shown} (shallow, sparse)")
    clone = [
        "-c", "http.lowSpeedLimit=1000", "-c", "http.lowSpeedTime=20",
        "clone", "--depth", "1", "--filter=blob:none", "--sparse", "--no-tags",
        "--single-branch",
    ]  # fmt: skip
    if branch:
        clone += ["--branch", branch]
    _git(git, [*clone, "--", url, str(checkout)], shown)
    _git(git, ["-C", str(checkout), "sparse-checkout", "set", DOCS_PATH], shown)
    commit = _git(git, ["-C", str(checkout), "rev-parse", "HEAD"], shown).strip()
    docs = checkout / DOCS_PATH
    if not docs.is_dir() or not iter_doc_files(docs):
        raise UnavailableError(
            f"docs sync: {shown} has no {DOCS_PATH} with .md/.mdx files",
            "pass the posthog.com repository (or a fork) with --repo",
        )
    (staged / "contents").mkdir(parents=True)
    shutil.move(str(docs), str(staged / DOCS_PATH))
    return DocsSource(kind="git", location=shown, commit=commit, synced_at=datetime.now(UTC))


def _git(git: str, args: list[str], shown: str) -> str:
    env = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "true",
        "GIT_SSH_COMMAND": "ssh -o BatchMode=yes -o ConnectTimeout=10",
        "LC_ALL": "C",
    }
    try:
        done = subprocess.run(
            [git, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError:
        raise UnavailableError(
            "docs sync: git is not installed", "install git, or use docs sync --from PATH"
        ) from None
    except subprocess.TimeoutExpired:
        raise UnavailableError(
            f"docs sync: fetching {shown} took longer than {GIT_TIMEOUT_SECONDS} s",
            "check the network and try again; the previous docs are unchanged",
        ) from None
    if done.returncode != 0:
        raise UnavailableError(
            f"docs sync: cannot fetch {shown}: {_git_error(done.stderr)}",
            "check the network or the --repo URL; the previous docs and index are unchanged",
        )
    return done.stdout


def _git_error(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
    text = (fatal or lines or ["git failed"])[-1]
    text = re.sub(r"^(fatal|error):\s*", "", text)
    return display_url(text) if "://" in text else text


def _as_url(repo: str) -> str:
    candidate = Path(repo).expanduser()
    if "://" not in repo and not repo.startswith("git@") and candidate.exists():
        return candidate.resolve().as_uri()
    return repo


def display_url(text: str) -> str:
    """``text`` with any credentials in URLs removed (``https://user:token@host`` ->
    ``https://host``)."""

    def scrub(match: re.Match[str]) -> str:
        parts = urlsplit(match.group())
        if parts.username or parts.password:
            host = parts.hostname or ""
            if parts.port:
                host = f"{host}:{parts.port}"
            return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
        return match.group()

    return re.sub(r"[a-z][a-z0-9+.-]*://[^\s'\"]+", scrub, text)


def _swap(staged: Path, live: Path) -> None:
    """Put ``staged`` where ``live`` is, removing the old folder only after the move."""
    old = live.with_name(f".old-{live.name}")
    shutil.rmtree(old, ignore_errors=True)
    if live.exists():
        os.replace(live, old)
    os.replace(staged, live)
    shutil.rmtree(old, ignore_errors=True)
