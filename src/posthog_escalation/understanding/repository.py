"""Which repository the fix belongs in, with the reason.

The code that misbehaves decides: an SDK's own repository when the problem lives in the
SDK, ``PostHog/posthog`` when it lives in the app. In order:

1. a component with a repository of its own that the ticket names, for its area (the
   GeoIP app, the Helm chart);
2. no SDK named, and none implied by the platform or language (the catalogue's
   ``implied_by``): the app;
3. an SDK bug (the route is ``sdk_bug``): the SDK's repository;
4. the route's ``app_side`` patterns (the replay player, the flags page) against its
   ``sdk_side`` patterns (masking, ``isFeatureEnabled``, autocapture), the subject's
   counting twice: the app when its side weighs more, else the SDK;
5. a route whose problems usually live in the client (``client_side``): a mobile or
   server SDK's own repository (their users file there);
6. otherwise the route's own repository (the SDK's when the route files there).

The SDK is the one the ticket names in its subject, else a wrapper it names (Flutter,
React Native) before the native SDK it wraps, else the first it names; a native SDK named
in a Flutter or React Native app stands for the wrapper, whose users report there.
"""

from __future__ import annotations

import re

from pydantic import Field

from ..models import Model
from ..playbook import Playbook, Route
from .catalogue import Catalogue
from .model import SdkMention, Signals

MAIN_REPO = "PostHog/posthog"
WRAPPER_FAMILIES = frozenset({"flutter", "react-native"})
NATIVE_FAMILIES = frozenset({"ios", "android"})
WEB_FAMILIES = frozenset({"web"})
"""SDK families whose reports go to the route's own repository when nothing else decides:
web SDK problems are often the app's (the toolbar, the player, a flag's definition)."""


class RepoDecision(Model):
    """The repository chosen and why."""

    repo: str
    sdk: str | None = Field(None, description="The SDK the problem is about, if any")
    reason: str
    app_side: bool = Field(
        False, description="The route's app-side words decided it: the customer's SDK plays no part"
    )


def problem_sdk(signals: Signals) -> SdkMention | None:
    """The SDK the problem is about: one the subject names, else a cross-platform wrapper
    named (its users report there even when the native layer fails), else the first named
    that is not a plugin, else the first named."""
    if not signals.sdks:
        return None
    subject = signals.subject.lower()
    for sdk in signals.sdks:
        if sdk.written_as.lower() in subject:
            return sdk
    main = [s for s in signals.sdks if not s.plugin]
    wrappers = [s for s in main if s.family in WRAPPER_FAMILIES]
    return (wrappers or main or signals.sdks)[0]


def _side(patterns: list[str], text: str, subject: str) -> tuple[int, str] | None:
    """How strongly ``patterns`` say where the problem lives: each one found counts once,
    twice when the subject says it; with the first words found."""
    weight, first = 0, None
    for pattern in patterns:
        match = re.search(pattern, text, re.IGNORECASE)
        if match:
            weight += 2 if re.search(pattern, subject, re.IGNORECASE) else 1
            first = first or match.group(0)
    return (weight, first) if first else None


def decide_repository(
    signals: Signals, route: Route, playbook: Playbook, catalogue: Catalogue
) -> RepoDecision:
    """The repository for a ticket already routed to ``route``."""
    text = f"{signals.subject}\n{signals.text}"
    for component in catalogue.components(text):
        if component.area == route.key and component.repo != MAIN_REPO:
            return RepoDecision(repo=component.repo, reason=f"names the {component.title}")
    named = problem_sdk(signals)
    wrapper = catalogue.implied([p for p in signals.platforms if p in WRAPPER_FAMILIES], [])
    if named is not None and named.family in NATIVE_FAMILIES and wrapper is not None:
        entry = wrapper
        package, family = wrapper.package, wrapper.family
        said = f"{wrapper.package} (the app is {wrapper.family}; it wraps '{named.written_as}')"
    elif named is not None:
        entry = catalogue.entry(named.package)
        package, family, said = named.package, named.family, f"'{named.written_as}'"
    else:
        implied = signals.implied_sdk
        entry = catalogue.entry(implied.package) if implied is not None else None
        if entry is None:
            app = _side(route.app_side, text, signals.subject)
            if app and not _side(route.sdk_side, text, signals.subject):
                reason = f"'{app[1]}' lives in the app ({route.key}); no SDK named or implied"
                return RepoDecision(repo=MAIN_REPO, reason=reason, app_side=True)
            return RepoDecision(repo=MAIN_REPO, reason="no SDK named or implied: the app")
        package, family = entry.package, entry.family
        said = f"{entry.package} (implied by the platform or language)"
    owner = entry.repo if entry else playbook.sdk_repos.get(package, route.repo)
    if route.key == "sdk_bug":
        return RepoDecision(repo=owner, sdk=package, reason=f"SDK bug in {said}")
    app, in_sdk = (
        _side(route.app_side, text, signals.subject),
        _side(route.sdk_side, text, signals.subject),
    )
    if app and (not in_sdk or app[0] > in_sdk[0]):
        return RepoDecision(
            repo=MAIN_REPO,
            sdk=package,
            reason=f"'{app[1]}' lives in the app ({route.key})",
            app_side=True,
        )
    if in_sdk:
        return RepoDecision(
            repo=owner, sdk=package, reason=f"'{in_sdk[1]}' lives in the SDK {said}"
        )
    if route.client_side and family not in WEB_FAMILIES:
        return RepoDecision(
            repo=owner, sdk=package, reason=f"{said} is a {family} SDK: its repository"
        )
    if named is not None and route.sdk_repo:
        return RepoDecision(repo=owner, sdk=package, reason=f"{route.key} files in {owner}")
    return RepoDecision(repo=route.repo, sdk=package, reason=f"{route.key} lives in {route.repo}")
