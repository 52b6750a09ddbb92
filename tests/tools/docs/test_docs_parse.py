"""Parsing docs sources: frontmatter, MDX cleanup, snippets, sections, anchors and URLs."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from posthog_escalation.tools.docs.parse import (
    DocsParser,
    PageSkipped,
    Slugger,
    clean_inline,
    find_docs_root,
    github_slug,
    is_page_path,
    page_area,
    page_url,
    parse_folder,
    split_frontmatter,
)


def write_docs(root: Path, files: dict[str, str]) -> Path:
    docs = root / "contents" / "docs"
    for rel, text in files.items():
        (docs / rel).parent.mkdir(parents=True, exist_ok=True)
        (docs / rel).write_text(text, encoding="utf-8")
    return root


def _page(tmp_path: Path, body: str, rel: str = "area/page.mdx"):
    root = write_docs(tmp_path, {rel: body}) / "contents" / "docs"
    return DocsParser(root).parse_page(root / rel)


@pytest.mark.parametrize(
    ("rel", "url"),
    [
        ("session-replay/privacy.mdx", "https://posthog.com/docs/session-replay/privacy"),
        ("libraries/node/index.mdx", "https://posthog.com/docs/libraries/node"),
        ("support-options.md", "https://posthog.com/docs/support-options"),
        ("index.mdx", "https://posthog.com/docs"),
    ],
)
def test_page_url_maps_source_paths_to_public_urls(rel: str, url: str) -> None:
    assert page_url(PurePosixPath(rel)) == url


@pytest.mark.parametrize(
    ("rel", "area"),
    [
        ("session-replay/privacy.mdx", "session-replay"),
        ("libraries/node/index.mdx", "libraries/node"),
        ("libraries/vercel.mdx", "libraries/vercel"),
        ("feature-flags/installation/ios.mdx", "feature-flags"),
        ("support-options.md", "general"),
    ],
)
def test_page_area_is_the_top_folder_or_the_sdk(rel: str, area: str) -> None:
    assert page_area(PurePosixPath(rel)) == area


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("Update `posthog-js`", "update-posthog-js"),
        ("Why can't I use a cohort?", "why-cant-i-use-a-cohort"),
        ("Limits & retries", "limits--retries"),
        ("Maximum privacy - mask everything", "maximum-privacy---mask-everything"),
        ("SSL/TLS issues", "ssltls-issues"),
        ("Async compatibility (Python / FastAPI)", "async-compatibility-python--fastapi"),
        ("1. Configuration is off", "1-configuration-is-off"),
        ("missing_ui_host", "missing_ui_host"),
    ],
)
def test_github_slug_matches_the_site_anchors(heading: str, slug: str) -> None:
    assert github_slug(clean_inline(heading)) == slug


def test_slugger_numbers_repeated_headings() -> None:
    slugger = Slugger()
    assert [slugger.slug("Troubleshooting") for _ in range(3)] == [
        "troubleshooting",
        "troubleshooting-1",
        "troubleshooting-2",
    ]


def test_frontmatter_title_and_body_are_split() -> None:
    meta, body = split_frontmatter("---\ntitle: Hello\nsidebar: Docs\n---\n\nBody text\n")
    assert meta == {"title": "Hello", "sidebar": "Docs"}
    assert body.strip() == "Body text"


def test_text_without_frontmatter_is_all_body() -> None:
    assert split_frontmatter("# Title\n\ntext") == ({}, "# Title\n\ntext")


def test_sections_split_at_h2_and_h3_with_breadcrumbs(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        "---\ntitle: Guide\n---\n\nIntro text.\n\n## Setup\n\nSetup text.\n\n"
        "### On iOS\n\nIOS text.\n\n#### A detail\n\nDetail text.\n\n## Usage\n\nUsage text.\n",
    )
    crumbs = [s.breadcrumb_text for s in page.sections]
    assert crumbs == ["Guide", "Guide > Setup", "Guide > Setup > On iOS", "Guide > Usage"]
    ios = page.sections[2]
    assert ios.url == "https://posthog.com/docs/area/page#on-ios"
    assert ios.id == "docs/area/page#on-ios"
    assert "A detail" in ios.prose and "Detail text." in ios.prose
    assert page.sections[0].url == "https://posthog.com/docs/area/page"


def test_h4_headings_still_take_an_anchor_number(tmp_path: Path) -> None:
    page = _page(tmp_path, "---\ntitle: T\n---\n\n#### FAQ\n\nx\n\n## FAQ\n\ny\n")
    assert page.sections[-1].url.endswith("#faq-1")


def test_custom_heading_ids_are_used_as_anchors(tmp_path: Path) -> None:
    page = _page(tmp_path, "---\ntitle: T\n---\n\n## My own words {#real-anchor}\n\ntext\n")
    section = page.sections[-1]
    assert section.heading == "My own words"
    assert section.url.endswith("#real-anchor")


def test_first_h1_is_the_title_when_frontmatter_has_none(tmp_path: Path) -> None:
    page = _page(tmp_path, "# Big title\n\nSome text.\n\n## Part\n\nMore.\n")
    assert page.title == "Big title"
    assert page.sections[1].breadcrumb == ["Big title", "Part"]


def test_imports_exports_and_comments_are_removed(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        "---\ntitle: T\n---\n\nimport { A, B } from 'components/Thing'\n"
        "import Widget from 'components/Widget'\n"
        "export const meta = {\n  key: 'value',\n}\n\n"
        "<!-- a hidden note -->\n{/* an MDX comment */}\n\nVisible text.\n",
    )
    prose = page.sections[0].prose
    assert prose == "Visible text."


def test_prose_starting_with_the_word_import_is_kept(tmp_path: Path) -> None:
    page = _page(tmp_path, "---\ntitle: T\n---\n\nimport your data with the wizard.\n")
    assert page.sections[0].prose == "import your data with the wizard."


def test_jsx_components_are_reduced_to_their_text_and_title(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        '---\ntitle: T\n---\n\n<CalloutBox icon="IconInfo" title="Heads up" type="fyi">\n\n'
        "Inside the box.\n\n</CalloutBox>\n\n<ProductScreenshot\n  imageLight={Light}\n"
        '  alt="a > b"\n/>\n\nAfter.\n',
    )
    prose = page.sections[0].prose
    assert "Heads up" in prose and "Inside the box." in prose and "After." in prose
    assert "imageLight" not in prose and "CalloutBox" not in prose


def test_code_fences_are_kept_apart_from_prose(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        "---\ntitle: T\n---\n\n## Shutdown\n\nCall it.\n\n```js\n"
        "import PostHog from 'posthog-node'\n<Tag />\n# not a heading\n"
        "await client.shutdown()\n```\n",
    )
    section = page.sections[-1]
    assert section.prose == "Call it."
    assert "import PostHog from 'posthog-node'" in section.code
    assert "# not a heading" in section.code and "<Tag />" in section.code
    assert len(page.sections) == 1


def test_inline_code_with_angle_brackets_is_not_jsx(tmp_path: Path) -> None:
    page = _page(tmp_path, "---\ntitle: T\n---\n\nWrap it in `<PostHogProvider>` first.\n")
    assert page.sections[0].prose == "Wrap it in <PostHogProvider> first."


def test_snippets_are_inlined_when_the_file_exists(fixture_docs: Path) -> None:
    root = fixture_docs / "contents" / "docs"
    parser = DocsParser(root)
    page = parser.parse_page(root / "session-replay" / "privacy.mdx")
    inputs = next(s for s in page.sections if s.heading == "Masking inputs")
    assert "Masked values never leave the device." in inputs.prose
    assert parser.snippets_resolved == 1


def test_missing_snippets_are_counted_not_fatal(tmp_path: Path) -> None:
    root = (
        write_docs(
            tmp_path,
            {
                "a/page.mdx": "---\ntitle: T\n---\n\nimport Gone from './_snippets/gone.mdx'\n\n"
                "Before.\n\n<Gone />\n\nAfter.\n"
            },
        )
        / "contents"
        / "docs"
    )
    parser = DocsParser(root)
    page = parser.parse_page(root / "a" / "page.mdx")
    assert "Before." in page.sections[0].prose and "After." in page.sections[0].prose
    assert parser.snippets_missing == 1


def test_snippet_includes_cannot_escape_the_docs_root(tmp_path: Path) -> None:
    (tmp_path / "secret.mdx").write_text("TOP SECRET", encoding="utf-8")
    root = (
        write_docs(
            tmp_path / "site",
            {
                "a/page.mdx": "---\ntitle: T\n---\n\n"
                "import S from '../../../../secret.mdx'\n\n<S />\n\nok\n"
            },
        )
        / "contents"
        / "docs"
    )
    page = DocsParser(root).parse_page(root / "a" / "page.mdx")
    assert "TOP SECRET" not in page.sections[0].prose


def test_snippet_cycles_stop(tmp_path: Path) -> None:
    root = (
        write_docs(
            tmp_path,
            {
                "a/page.mdx": "---\ntitle: T\n---\n\nimport A from './_s/a.mdx'\n\n<A />\n",
                "a/_s/a.mdx": "import B from './b.mdx'\n\nfrom a\n\n<B />\n",
                "a/_s/b.mdx": "import A from './a.mdx'\n\nfrom b\n\n<A />\n",
            },
        )
        / "contents"
        / "docs"
    )
    page = DocsParser(root).parse_page(root / "a" / "page.mdx")
    assert "from a" in page.sections[0].prose and "from b" in page.sections[0].prose


def test_markdown_tables_and_links_become_plain_text(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        "---\ntitle: T\n---\n\n| Option | Default |\n| --- | --- |\n| `flushAt` | 20 |\n\n"
        "See [the proxy docs](/docs/advanced/proxy) and **bold** words.\n",
    )
    prose = page.sections[0].prose
    assert "flushAt · 20" in prose
    assert "See the proxy docs and bold words." in prose


def test_snippet_folders_are_not_pages() -> None:
    assert not is_page_path(PurePosixPath("session-replay/_snippets/x.mdx"))
    assert not is_page_path(PurePosixPath("self-host/deploy/snippets/x.mdx"))
    assert not is_page_path(PurePosixPath("api/_template.md"))
    assert not is_page_path(PurePosixPath("a/image.png"))
    assert is_page_path(PurePosixPath("session-replay/privacy.mdx"))


def test_find_docs_root_accepts_a_checkout_or_the_docs_folder(fixture_docs: Path) -> None:
    docs = fixture_docs / "contents" / "docs"
    assert find_docs_root(fixture_docs) == docs
    assert find_docs_root(docs) == docs


def test_parse_folder_reads_every_page_of_the_fixture(fixture_docs: Path) -> None:
    parsed = parse_folder(fixture_docs)
    urls = sorted(p.url for p in parsed.pages)
    assert urls == [
        "https://posthog.com/docs",
        "https://posthog.com/docs/data/ingestion-warnings",
        "https://posthog.com/docs/feature-flags/local-evaluation",
        "https://posthog.com/docs/libraries/node",
        "https://posthog.com/docs/libraries/python",
        "https://posthog.com/docs/session-replay/privacy",
        "https://posthog.com/docs/session-replay/troubleshooting",
    ]
    assert parsed.skipped == []


def test_a_title_only_page_is_kept_as_one_section(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        "---\ntitle: iOS replay installation\n---\n\n"
        "import { Wrapper } from './_snippets/wrapper.tsx'\n\n<Wrapper />\n",
    )
    assert [s.breadcrumb_text for s in page.sections] == ["iOS replay installation"]


def test_an_empty_file_is_skipped(tmp_path: Path) -> None:
    with pytest.raises(PageSkipped) as caught:
        _page(tmp_path, "")
    assert caught.value.kind.value == "empty"


def test_multi_line_imports_are_removed(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        "---\ntitle: T\n---\n\nimport {\n  Steps,\n  Step,\n} from 'components/Docs/Steps'\n\n"
        "Kept.\n",
    )
    assert page.sections[0].prose == "Kept."
