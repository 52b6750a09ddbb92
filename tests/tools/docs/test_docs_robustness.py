"""Bad files are skipped with a counted, one-line reason; the rest of the folder is indexed."""

from __future__ import annotations

from pathlib import Path

import pytest

from posthog_escalation.errors import BackendError
from posthog_escalation.tools.docs import SkipKind, build_index, parse_folder

GOOD = "---\ntitle: Good page\n---\n\n## Flush events\n\nCall flush before exit.\n"

BAD_FILES: dict[str, tuple[str | bytes, SkipKind]] = {
    "bad/frontmatter-yaml.mdx": ("---\ntitle: [unclosed\n---\n\nText.\n", SkipKind.FRONTMATTER),
    "bad/frontmatter-open.mdx": ("---\ntitle: Never closed\n\nText.\n", SkipKind.FRONTMATTER),
    "bad/frontmatter-list.mdx": ("---\n- a\n- b\n---\n\nText.\n", SkipKind.FRONTMATTER),
    "bad/unclosed-component.mdx": (
        '---\ntitle: T\n---\n\n<CalloutBox title="x">\n\nNever closed.\n',
        SkipKind.JSX,
    ),
    "bad/unterminated-tag.mdx": (
        "---\ntitle: T\n---\n\n<Tab.Group tabs={['a', 'b']}\n\nText\n",
        SkipKind.JSX,
    ),
    "bad/stray-closing.mdx": ("---\ntitle: T\n---\n\nText\n\n</Steps>\n", SkipKind.JSX),
    "bad/unclosed-comment.mdx": ("---\ntitle: T\n---\n\n<!-- forever\n\nText\n", SkipKind.JSX),
    "bad/binary.mdx": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), SkipKind.BINARY),
    "bad/latin1.md": (
        "---\ntitle: Café\n---\n\nCrème brûlée\n".encode("latin-1"),
        SkipKind.ENCODING,
    ),
    "bad/empty.mdx": ("", SkipKind.EMPTY),
    "bad/only-imports.mdx": ("import X from 'components/X'\n\n<X />\n", SkipKind.EMPTY),
    "bad/whitespace.md": ("\n\n   \n", SkipKind.EMPTY),
}


@pytest.fixture
def messy_docs(tmp_path: Path, docs_writer) -> Path:
    files: dict[str, str | bytes] = {"good/page.mdx": GOOD}
    files.update({rel: content for rel, (content, _) in BAD_FILES.items()})
    files["bad/huge.md"] = "---\ntitle: Huge\n---\n\n" + "word " * 600_000
    return docs_writer(tmp_path / "site", files)


def test_every_bad_file_is_skipped_with_its_kind(messy_docs: Path) -> None:
    parsed = parse_folder(messy_docs, max_bytes=1_000_000)
    kinds = {item.path: item.kind for item in parsed.skipped}
    expected = {rel: kind for rel, (_, kind) in BAD_FILES.items()}
    expected["bad/huge.md"] = SkipKind.TOO_LARGE
    assert kinds == expected
    assert [p.rel_path for p in parsed.pages] == ["good/page.mdx"]


def test_skip_reasons_are_single_lines_that_say_what_is_wrong(messy_docs: Path) -> None:
    parsed = parse_folder(messy_docs, max_bytes=1_000_000)
    reasons = {item.path: item.reason for item in parsed.skipped}
    assert all("\n" not in reason for reason in reasons.values())
    assert "frontmatter is not valid YAML at line" in reasons["bad/frontmatter-yaml.mdx"]
    assert "<CalloutBox>" in reasons["bad/unclosed-component.mdx"]
    assert "never closed" in reasons["bad/unclosed-component.mdx"]
    assert "offset" in reasons["bad/latin1.md"]
    assert "1,000,000" in reasons["bad/huge.md"]


def test_the_index_builds_from_the_good_pages_and_counts_the_rest(messy_docs: Path) -> None:
    index = build_index(messy_docs, max_bytes=1_000_000)
    assert index.stats.pages == 1
    assert index.stats.skipped_by_kind == {
        "empty": 3,
        "malformed-frontmatter": 3,
        "not-utf8": 1,
        "binary": 1,
        "too-large": 1,
        "unclosed-jsx": 4,
    }
    hits = index.search("flush before exit")
    assert hits[0].url == "https://posthog.com/docs/good/page#flush-events"


def test_a_folder_with_nothing_indexable_is_one_clear_error(tmp_path: Path, docs_writer) -> None:
    root = docs_writer(tmp_path / "site", {"a.mdx": "", "b.md": b"\x00\x01"})
    with pytest.raises(BackendError) as caught:
        build_index(root)
    assert "nothing to index (2 file(s) skipped)" in caught.value.one_line()


def test_a_missing_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(Exception) as caught:
        build_index(tmp_path / "nope")
    assert "does not exist" in str(caught.value)


def test_a_bom_and_windows_line_endings_are_fine(tmp_path: Path, docs_writer) -> None:
    text = "\ufeff---\r\ntitle: Windows\r\n---\r\n\r\n## Part one\r\n\r\nSome text.\r\n"
    root = docs_writer(tmp_path / "site", {"a/page.md": text.encode("utf-8")})
    parsed = parse_folder(root)
    assert parsed.skipped == []
    assert parsed.pages[0].title == "Windows"
    assert parsed.pages[0].sections[-1].heading == "Part one"


def test_a_snippet_that_is_binary_is_treated_as_missing(tmp_path: Path, docs_writer) -> None:
    root = docs_writer(
        tmp_path / "site",
        {
            "a/page.mdx": "---\ntitle: T\n---\n\nimport S from './_s/s.mdx'\n\n<S />\n\nKept.\n",
            "a/_s/s.mdx": b"\x00\x00binary",
        },
    )
    parsed = parse_folder(root)
    assert parsed.pages[0].sections[0].prose == "Kept."
    assert parsed.snippets_missing == 1


def test_two_files_for_one_url_keep_the_first_and_count_the_second(
    tmp_path: Path, docs_writer
) -> None:
    root = docs_writer(
        tmp_path / "site",
        {
            "a/page.md": "---\ntitle: Markdown\n---\n\nOne.\n",
            "a/page.mdx": "---\ntitle: MDX\n---\n\nTwo.\n",
            "b/index.mdx": "---\ntitle: Index\n---\n\nThree.\n",
            "b.md": "---\ntitle: Sibling\n---\n\nFour.\n",
        },
    )
    parsed = parse_folder(root)
    assert [(s.path, s.kind) for s in parsed.skipped] == [
        ("a/page.mdx", SkipKind.DUPLICATE),
        ("b/index.mdx", SkipKind.DUPLICATE),
    ]
    assert "same URL as a/page.md" in parsed.skipped[0].reason
