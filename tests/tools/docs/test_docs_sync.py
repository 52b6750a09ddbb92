"""`docs sync`: a shallow, sparse checkout of contents/docs from a local bare repository
standing in for github.com, and copying a local folder; failures change nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from posthog_escalation.errors import InputError, UnavailableError
from posthog_escalation.tools.docs import open_docs_index, sync_docs
from posthog_escalation.tools.docs.sync import display_url

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "PATH": "/usr/bin:/bin:/usr/local/bin",
    "HOME": "/tmp",
}


def _git(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=GIT_ENV, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture
def remote(tmp_path: Path, fixture_files: dict[str, str | bytes]) -> Path:
    """A bare repository shaped like posthog.com: contents/docs plus other folders."""
    work = tmp_path / "work"
    for rel, text in fixture_files.items():
        path = work / "contents" / "docs" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(str(text), encoding="utf-8")
    (work / "contents" / "blog").mkdir(parents=True)
    (work / "contents" / "blog" / "post.md").write_text("---\ntitle: Blog\n---\n\nNot docs.\n")
    (work / "src").mkdir()
    (work / "src" / "app.js").write_text("console.log('site code')\n")
    (work / "README.md").write_text("site\n")
    _git("init", "-q", "-b", "main", cwd=work)
    _git("add", "-A", cwd=work)
    _git("commit", "-q", "-m", "docs", cwd=work)
    bare = tmp_path / "posthog.com.git"
    _git("clone", "-q", "--bare", str(work), str(bare), cwd=tmp_path)
    return bare


def _push_change(remote: Path, tmp_path: Path, rel: str, text: str) -> None:
    clone = tmp_path / "pusher"
    _git("clone", "-q", str(remote), str(clone), cwd=tmp_path)
    path = clone / "contents" / "docs" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    _git("add", "-A", cwd=clone)
    _git("commit", "-q", "-m", "change", cwd=clone)
    _git("push", "-q", "origin", "main", cwd=clone)


def test_sync_checks_out_only_contents_docs_and_indexes_it(remote: Path, settings_for) -> None:
    settings = settings_for()
    result = sync_docs(settings.data_dir, repo=str(remote))
    source = settings.data_dir / "docs" / "source"
    assert (source / "contents" / "docs" / "session-replay" / "privacy.mdx").is_file()
    assert not (source / "contents" / "blog").exists()
    assert not (source / "src").exists()
    assert not (source / ".git").exists()
    assert result.source.kind == "git"
    assert result.source.commit and len(result.source.commit) == 40
    assert result.stats.pages == 7
    index = open_docs_index(settings)
    assert index.stats.source.kind == "git"
    assert index.search("recordings are blank")[0].heading == "Recordings are blank"


def test_a_second_sync_picks_up_new_commits(remote: Path, tmp_path: Path, settings_for) -> None:
    settings = settings_for()
    first = sync_docs(settings.data_dir, repo=str(remote))
    _push_change(
        remote,
        tmp_path,
        "surveys/troubleshooting.mdx",
        "---\ntitle: Surveys\n---\n\n## Popover never shows\n\nCheck targeting.\n",
    )
    second = sync_docs(settings.data_dir, repo=str(remote))
    assert second.source.commit != first.source.commit
    hit = open_docs_index(settings).search("popover never shows")[0]
    assert hit.url == "https://posthog.com/docs/surveys/troubleshooting#popover-never-shows"


def test_an_unreachable_repository_fails_in_one_line_and_changes_nothing(
    remote: Path, tmp_path: Path, settings_for
) -> None:
    settings = settings_for()
    sync_docs(settings.data_dir, repo=str(remote))
    before = open_docs_index(settings)
    files_before = sorted(p.relative_to(settings.data_dir) for p in settings.data_dir.rglob("*"))
    with pytest.raises(UnavailableError) as caught:
        sync_docs(settings.data_dir, repo=(tmp_path / "no-such-repo.git").as_uri())
    message = caught.value.one_line()
    assert "\n" not in message
    assert "cannot fetch" in message and "unchanged" in message
    files_after = sorted(p.relative_to(settings.data_dir) for p in settings.data_dir.rglob("*"))
    assert files_after == files_before
    after = open_docs_index(settings)
    assert after.stats.content_hash == before.stats.content_hash
    assert after.stats.built_at == before.stats.built_at


def test_a_repository_without_docs_is_refused(tmp_path: Path, settings_for) -> None:
    work = tmp_path / "plain"
    work.mkdir()
    (work / "README.md").write_text("nothing\n")
    _git("init", "-q", "-b", "main", cwd=work)
    _git("add", "-A", cwd=work)
    _git("commit", "-q", "-m", "x", cwd=work)
    with pytest.raises(UnavailableError) as caught:
        sync_docs(settings_for().data_dir, repo=str(work))
    assert "has no contents/docs" in caught.value.one_line()


def test_a_missing_git_binary_is_one_line(remote: Path, settings_for) -> None:
    with pytest.raises(UnavailableError) as caught:
        sync_docs(settings_for().data_dir, repo=str(remote), git="/nonexistent/git")
    assert "git is not installed" in caught.value.one_line()


def test_sync_from_a_local_folder_copies_and_indexes_it(fixture_docs: Path, settings_for) -> None:
    settings = settings_for()
    result = sync_docs(settings.data_dir, from_path=fixture_docs)
    assert result.source.kind == "local-copy"
    assert result.stats.pages == 7
    copied = settings.data_dir / "docs" / "source" / "contents" / "docs" / "_snippets"
    assert (copied / "privacy-note.mdx").is_file()
    assert open_docs_index(settings).stats.pages == 7


def test_sync_from_a_missing_folder_is_an_input_error(tmp_path: Path, settings_for) -> None:
    with pytest.raises(InputError):
        sync_docs(settings_for().data_dir, from_path=tmp_path / "nope")


def test_sync_from_a_folder_without_docs_is_an_input_error(tmp_path: Path, settings_for) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError) as caught:
        sync_docs(settings_for().data_dir, from_path=tmp_path / "empty")
    assert "no .md or .mdx files" in caught.value.one_line()


def test_urls_in_messages_lose_their_credentials() -> None:
    text = "fatal: unable to access 'https://user:s3cret@github.com/PostHog/posthog.com.git/'"
    shown = display_url(text)
    assert "s3cret" not in shown and "user" not in shown
    assert "https://github.com/PostHog/posthog.com.git/" in shown


def test_the_clone_is_shallow_and_sparse(remote: Path, tmp_path: Path) -> None:
    from posthog_escalation.tools.docs.sync import _clone

    _push_change(remote, tmp_path, "extra.mdx", "---\ntitle: Extra\n---\n\nSecond commit.\n")
    checkout, staged = tmp_path / "checkout", tmp_path / "staged"
    _clone(str(remote), None, checkout, staged, "git", lambda _line: None)
    assert _git("rev-list", "--count", "HEAD", cwd=checkout) == "1"
    assert _git("sparse-checkout", "list", cwd=checkout) == "contents/docs"
    assert not (checkout / "contents" / "blog").exists()
    assert not (checkout / "src").exists()
    assert (staged / "contents" / "docs" / "extra.mdx").is_file()


def test_an_unwritable_data_folder_is_one_line(tmp_path: Path, fixture_docs: Path) -> None:
    from posthog_escalation.errors import ConfigError

    blocker = tmp_path / "data"
    blocker.write_text("a file, not a folder")
    with pytest.raises(ConfigError) as caught:
        sync_docs(blocker, from_path=fixture_docs)
    assert "cannot write to" in caught.value.one_line()
