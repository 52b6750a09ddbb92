"""The SDK catalogue: every SDK recognised the way users write it (sentences written for
these tests in the style of real reports), versions in each manifest's syntax, moves."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from posthog_escalation.errors import PlaybookError
from posthog_escalation.understanding import default_catalogue, sdk_mentions
from posthog_escalation.understanding.catalogue import load_catalogue

# (sentence, package, version as written)
SENTENCES = [
    ("We load it with `import posthog from 'posthog-js'` in a Vite app.", "posthog-js", None),
    ('package.json: "posthog-js": "^1.236.1"', "posthog-js", "^1.236.1"),
    (
        "Using the <PostHogProvider> from @posthog/react 1.2.0 in Next 15.",
        "@posthog/react",
        "1.2.0",
    ),
    ("next.config.js wraps the config with @posthog/nextjs-config.", "@posthog/nextjs", None),
    ("Our Nuxt 3 app registers the @posthog/nuxt module.", "@posthog/nuxt", None),
    ("We switched to posthog-js-lite@4.1.0 to save bundle size.", "posthog-js-lite", "4.1.0"),
    ("const { PostHog } = require('posthog-node') inside a Lambda.", "posthog-node", None),
    ("Tracing LLM calls with @posthog/ai 5.2.1 and the OpenAI wrapper.", "@posthog/ai", "5.2.1"),
    (
        "Expo 54 app, posthog-react-native ^4.12.3, iOS simulator.",
        "posthog-react-native",
        "^4.12.3",
    ),
    (
        "Installed posthog-react-native-session-replay 1.1.0 for replay.",
        "posthog-react-native-session-replay",
        "1.1.0",
    ),
    ("PostHog iOS 1.4.0 via SPM crashes on an iPhone 5S.", "posthog-ios", "1.4.0"),
    ("Podfile has pod 'PostHog', '~> 3.19' and the app is Swift.", "posthog-ios", "~> 3.19"),
    (
        "Crash: -[PHGPostHog initWithConfiguration:]: unrecognized selector sent to instance",
        "posthog-ios",
        None,
    ),
    (
        'build.gradle: implementation("com.posthog:posthog-android:3.+")',
        "posthog-android",
        "3.+",
    ),
    ("at com.posthog.android.replay.PostHogReplayIntegration.start", "posthog-android", None),
    ("pubspec.yaml: posthog_flutter: ^4.9.0", "posthog-flutter", "^4.9.0"),
    ("## Versions\n- `posthog-js` 1.422.5\n- Chrome 141", "posthog-js", "1.422.5"),
    ("import 'package:posthog_flutter/posthog_flutter.dart';", "posthog-flutter", None),
    (
        "from posthog import Posthog\nposthog = Posthog(project_api_key='phc_x')",
        "posthog-python",
        None,
    ),
    ("requirements.txt pins posthog==3.7.0", "posthog-python", "==3.7.0"),
    ("go.mod: github.com/posthog/posthog-go v1.2.19", "posthog-go", "v1.2.19"),
    ("client.Enqueue(posthog.Capture{DistinctId: id, Event: ev})", "posthog-go", None),
    (
        "posthog 2025/12/03 18:13:05 ERROR: Unable to fetch feature flags: context deadline",
        "posthog-go",
        None,
    ),
    ("Our wrapper calls client.IsFeatureEnabled and gets no error back", "posthog-go", None),
    (
        "We call `await getFeatureFlag(key)` right after creating `Posthog()`",
        "posthog-flutter",
        None,
    ),
    (
        "Info.plist: <key>com.posthog.posthog.TRACK_APPLICATION_LIFECYCLE_EVENTS</key>",
        "posthog-flutter",
        None,
    ),
    ("Gemfile: gem 'posthog-ruby', '~> 2.5'", "posthog-ruby", "~> 2.5"),
    ('composer.json requires "posthog/posthog-php": "^3.3"', "posthog-php", "^3.3"),
    ('<PackageReference Include="PostHog.AspNetCore" Version="1.0.4" />', "posthog-dotnet", None),
    ("Maven: com.posthog:posthog-server 1.0.0 in a Spring Boot service", "posthog-java", "1.0.0"),
    ('mix.exs: {:posthog, "~> 1.0"} in a Phoenix app', "posthog-elixir", None),
    ('Cargo.toml: posthog-rs = "0.3" and posthog_rs::client(key)', "posthog-rs", "0.3"),
    ("The Unity SDK 0.1.2 drops events on WebGL builds.", "posthog-unity", "0.1.2"),
]


@pytest.mark.parametrize(("sentence", "package", "version"), SENTENCES)
def test_every_sdk_is_recognised_as_users_write_it(
    sentence: str, package: str, version: str | None
) -> None:
    found = {m.package: m.version for m in sdk_mentions(sentence)}
    assert package in found
    assert found[package] == version


def test_every_catalogued_sdk_has_a_sentence_test() -> None:
    tested = {package for _, package, _ in SENTENCES}
    assert tested == set(default_catalogue().packages)


def test_the_product_name_alone_names_no_sdk() -> None:
    assert sdk_mentions("PostHog is great but the PostHog dashboard is slow today.") == []


def test_an_unticked_checklist_item_names_nothing() -> None:
    text = (
        "## Related sub-libraries\n- [ ] All of them\n- [x] posthog-js (web)\n- [ ] posthog-node\n"
    )
    assert [m.package for m in sdk_mentions(text)] == ["posthog-js"]


def test_the_longer_name_wins_over_the_shorter_one_inside_it() -> None:
    found = sdk_mentions("We use posthog-react-native-session-replay with the RN SDK.")
    assert found[0].package == "posthog-react-native-session-replay"
    assert found[0].plugin


def test_a_version_range_is_kept_as_written_and_an_exact_one_is_exact() -> None:
    ranged, exact = sdk_mentions("posthog-js ^1.83.0 and posthog-node 3.1.2")
    assert (ranged.version, ranged.exact_version) == ("^1.83.0", None)
    assert (exact.version, exact.exact_version) == ("3.1.2", "3.1.2")


def test_mentions_say_which_cue_recognised_them() -> None:
    cues = {m.package: m.cue for m in sdk_mentions("pip install posthog and posthog-js")}
    assert cues == {"posthog-python": "import", "posthog-js": "name"}


def test_code_that_moved_lists_where_it_lives_now() -> None:
    catalogue = default_catalogue()
    assert catalogue.successors("PostHog/posthog-js-lite") == {"PostHog/posthog-js"}
    assert catalogue.successors("PostHog/posthog-node") == {
        "PostHog/posthog-js-lite",
        "PostHog/posthog-js",
    }
    assert catalogue.successors("PostHog/posthog") == set()


def test_the_repository_of_an_sdk_depends_on_the_day() -> None:
    node = default_catalogue().entry("posthog-node")
    assert node is not None
    assert node.repo_on(date(2021, 5, 1)) == "PostHog/posthog-node"
    assert node.repo_on(date(2024, 5, 1)) == "PostHog/posthog-js-lite"
    assert node.repo_on(date(2026, 5, 1)) == node.repo_on(None) == "PostHog/posthog-js"


def test_a_platform_or_language_implies_an_sdk_when_none_is_named() -> None:
    catalogue = default_catalogue()

    def implied(platforms: list[str], languages: list[str]) -> str | None:
        entry = catalogue.implied(platforms, languages)
        return entry.package if entry else None

    assert implied(["flutter", "ios"], ["dart"]) == "posthog-flutter"
    assert implied(["android"], ["kotlin"]) == "posthog-android"
    assert implied(["ios", "android"], []) is None
    assert catalogue.implied(["ios", "android"], [], failing="android").package == (
        "posthog-android"
    )
    assert implied([], ["go"]) == "posthog-go"
    assert implied(["web"], ["typescript"]) == "posthog-js"
    assert implied([], []) is None


def test_a_component_with_its_own_repository_is_named_by_its_names() -> None:
    catalogue = default_catalogue()
    assert [c.key for c in catalogue.components("The Helm chart upgrade fails")] == ["helm-chart"]
    assert catalogue.components("Nothing to see here") == []


def test_a_catalogue_with_a_broken_pattern_is_refused_naming_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.toml"
    path.write_text(
        '[[sdk]]\npackage = "x"\ntitle = "X"\nlib = "x"\nfamily = "x"\nplatforms = []\n'
        'repo = "PostHog/x"\ndocs = "d"\nidentifiers = ["(unclosed"]\n',
        encoding="utf-8",
    )
    with pytest.raises(PlaybookError, match=r"sdk\.0\.identifiers"):
        load_catalogue(path)


def test_a_missing_catalogue_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="SDK catalogue not found"):
        load_catalogue(tmp_path / "nope.toml")


def test_the_dotnet_async_flag_methods_do_not_name_the_go_sdk() -> None:
    found = {m.package for m in sdk_mentions("await posthog.IsFeatureEnabledAsync(flag, user)")}
    assert "posthog-go" not in found


@pytest.mark.parametrize(
    "sentence",
    [
        "Could the Flutter SDK offer an API like JS `onFeatureFlags()`?",
        "Unlike the iOS SDK, this one never sends $screen events.",
        "It should behave the same as posthog-js does.",
    ],
)
def test_an_sdk_named_only_to_compare_with_is_not_a_mention(sentence: str) -> None:
    compared = {"posthog-js", "posthog-ios"}
    assert not compared & {m.package for m in sdk_mentions(sentence)}


def test_an_sdk_named_outright_is_a_mention_even_near_the_word_like() -> None:
    found = {
        m.package for m in sdk_mentions("We'd like posthog-js 1.200.0 to stop double counting")
    }
    assert "posthog-js" in found
