"""Build, persist and load the docs index.

An index lives in ``<data_dir>/docs/index/<content-hash>/``: a few ``.npy`` arrays
(memory-mapped on load), one UTF-8 string blob, the section embeddings (``dense.npy``,
when the dense encoder is available) and ``meta.json``. The content hash covers every
docs file's path and bytes, the parser/format version, the ranking parameters and the
encoder's name, so an index (embeddings included) is rebuilt exactly when the docs, the
code that reads them or the model change. ``current.json`` remembers, per docs folder,
the files' sizes and modification times and the hash they produced, so opening an
unchanged folder reads no docs at all.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mmap
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import bm25s
import numpy as np

from ...config import Settings
from ...errors import BackendError, ConfigError
from .embedding import TextEncoder, default_encoder
from .models import DocsSource, IndexStats
from .parse import (
    DOC_SUFFIXES,
    MAX_FILE_BYTES,
    SITE,
    find_docs_root,
    iter_doc_files,
    parse_folder,
)
from .search import FIELD_COUNT, DocsIndex, IndexArrays, RankingParams, StringTable, term_keys
from .tokens import analyze, bigrams

log = logging.getLogger(__name__)


class IndexStoreError(BackendError):
    """The index could not be written to the data folder."""


INDEX_FORMAT = 3
_DEFAULT = object()
KEEP_INDEXES = 3
_ARRAYS = ("vocab", "data", "indices", "indptr", "section_area", "offsets")


def shipped_docs_dir() -> Path:
    """The docs folder shipped inside the package (written in the project's own words)."""
    return Path(str(resources.files("posthog_escalation") / "data" / "docs"))


def synced_docs_dir(data_dir: Path) -> Path:
    """Where ``docs sync`` keeps the docs it fetched or copied."""
    return data_dir / "docs" / "source"


def index_store(data_dir: Path) -> Path:
    """Where persisted indexes live."""
    return data_dir / "docs" / "index"


# ---------------------------------------------------------------------------------
# Hashing
# ---------------------------------------------------------------------------------


def _encoder_name(encoder: TextEncoder | None) -> str:
    return encoder.name if encoder is not None else "none"


def _fingerprint(params: RankingParams, max_bytes: int, encoder: str = "none") -> bytes:
    payload = {
        "format": INDEX_FORMAT,
        "params": asdict(params),
        "max_bytes": max_bytes,
        "encoder": encoder,
    }
    return json.dumps(payload, sort_keys=True).encode()


def stat_key(
    folder: Path, params: RankingParams, max_bytes: int = MAX_FILE_BYTES, encoder: str = "none"
) -> str:
    """A cheap key from file names, sizes and modification times (no file is read)."""
    root = find_docs_root(folder)
    digest = hashlib.sha256(_fingerprint(params, max_bytes, encoder))
    digest.update(str(root.resolve()).encode())
    for rel, size, mtime in _scan(str(root), ""):
        digest.update(f"{rel}\0{size}\0{mtime}\n".encode())
    return digest.hexdigest()


def _scan(folder: str, prefix: str) -> Iterator[tuple[str, int, int]]:
    """``(relative path, size, mtime_ns)`` of every docs file in a stable order: the same
    files as :func:`iter_doc_files`, one ``stat`` each and no path objects."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if entry.is_dir(follow_symlinks=False):
            if not name.startswith(".") and name != "node_modules":
                yield from _scan(entry.path, f"{prefix}{name}/")
        elif name.lower().endswith(DOC_SUFFIXES):
            try:
                info = entry.stat()
            except OSError:
                continue
            yield f"{prefix}{name}", info.st_size, info.st_mtime_ns


def content_hash(
    folder: Path, params: RankingParams, max_bytes: int = MAX_FILE_BYTES, encoder: str = "none"
) -> str:
    """The hash an index is keyed by: every docs file's path and bytes, the format, the
    ranking parameters and the dense encoder's name."""
    root = find_docs_root(folder)
    digest = hashlib.sha256(_fingerprint(params, max_bytes, encoder))
    for path in iter_doc_files(root):
        rel = path.relative_to(root).as_posix()
        digest.update(rel.encode() + b"\0")
        try:
            size = path.stat().st_size
            if size > max_bytes:
                digest.update(f"oversize:{size}".encode())
            else:
                digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError as exc:
            digest.update(f"unreadable:{exc.errno}".encode())
    return digest.hexdigest()


# ---------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------


def build_index(
    folder: Path,
    *,
    source: DocsSource | None = None,
    params: RankingParams | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    store: Path | None = None,
    encoder: TextEncoder | object | None = _DEFAULT,
) -> DocsIndex:
    """Parse a docs folder and build its index.

    Args:
        folder: A posthog.com checkout, its ``contents/docs``, or any folder of
            ``.md``/``.mdx`` files laid out like it.
        source: Where the docs came from (recorded in the stats).
        params: Ranking parameters (field weights are baked into the index).
        max_bytes: Files larger than this are skipped.
        store: When given, the index is saved under ``store/<content-hash>/`` (an index
            already saved there for the same hash is replaced by the new build).
        encoder: The dense encoder for the section embeddings; the shipped WordLlama
            model when omitted, None for a lexical-only index.

    Raises:
        ConfigError: The folder does not exist.
        BackendError: Nothing in the folder could be indexed.
    """
    params = params or RankingParams()
    model: TextEncoder | None = default_encoder() if encoder is _DEFAULT else encoder  # type: ignore[assignment]
    if not folder.is_dir():
        raise ConfigError(f"docs folder {folder} does not exist", "pass an existing folder")
    started = time.perf_counter()
    digest = content_hash(folder, params, max_bytes, _encoder_name(model))
    parsed = parse_folder(folder, max_bytes=max_bytes)
    sections = list(parsed.sections)
    if not sections:
        counts = f"{len(parsed.skipped)} file(s) skipped" if parsed.skipped else "no .md/.mdx pages"
        raise BackendError(
            f"docs folder {folder}: nothing to index ({counts})",
            "point it at a folder of PostHog docs (.md/.mdx files)",
        )
    area_names = sorted({s.area for s in sections})
    area_ids = {name: i for i, name in enumerate(area_names)}

    fields: dict[str, list[list[str]]] = {k: [] for k in params.field_weights()}
    for section in sections:
        path_words = section.url.split("#", 1)[0].removeprefix(SITE).replace("/", " ")
        fields["title"].append(analyze(f"{section.title} {path_words}")[0])
        head_terms, head_seq = analyze(" ".join(section.breadcrumb[1:]))
        fields["heading"].append(head_terms)
        body_terms, body_seq = analyze(section.prose)
        fields["body"].append(body_terms)
        fields["code"].append(analyze(section.code)[0])
        fields["phrase"].append(bigrams(head_seq) + bigrams(body_seq))
    arrays = _combine(fields, params, [area_ids[s.area] for s in sections])
    strings = StringTable.from_strings(
        [
            value
            for s in sections
            for value in (s.id, s.title, s.heading or "", s.breadcrumb_text, s.url, s.prose, s.code)
        ]
    )
    stats = IndexStats(
        content_hash=digest,
        pages=len(parsed.pages),
        sections=len(sections),
        skipped=parsed.skipped,
        snippets_resolved=parsed.snippets_resolved,
        snippets_missing=parsed.snippets_missing,
        build_seconds=0.0,
        built_at=datetime.now(UTC),
        source=source or DocsSource(kind="folder", location=str(folder)),
        areas=area_names,
    )
    dense = model.encode([section_text(s) for s in sections]) if model is not None else None
    index = DocsIndex(arrays, strings, area_names, stats, params, dense=dense, encoder=model)
    index.stats.build_seconds = round(time.perf_counter() - started, 4)
    if store is not None:
        target = save_index(index, store)
        index.stats.index_bytes = _folder_bytes(target)
        _write_meta(index, target)
    return index


def section_text(section: object) -> str:
    """What a section's embedding is computed from: breadcrumb, prose, the start of code."""
    return "\n".join(
        [section.breadcrumb_text, section.prose, section.code[:300]]  # type: ignore[attr-defined]
    )


def _combine(
    fields: dict[str, list[list[str]]], params: RankingParams, section_area: list[int]
) -> IndexArrays:
    """One term-by-section matrix: the weighted sum of each field's bm25s scores.

    Terms are stored as sorted 64-bit hashes (:func:`term_keys`), so the vocabulary costs
    8 bytes a term and a lookup is one vectorised binary search.
    """
    distinct = sorted({t for docs in fields.values() for doc in docs for t in doc})
    hashes = term_keys(distinct)
    order = np.argsort(hashes, kind="stable")
    vocab = hashes[order]
    vocab_ids = {distinct[j]: rank for rank, j in enumerate(order.tolist())}
    n_docs = len(section_area)
    keys: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for name, weight in params.field_weights().items():
        docs = [[vocab_ids[t] for t in doc] for doc in fields[name]]
        if weight <= 0 or not any(docs):
            continue
        used = sorted({t for doc in docs for t in doc})
        local = {t: i for i, t in enumerate(used)}
        model = bm25s.BM25(k1=params.k1, b=params.b)
        model.index(
            ([[local[t] for t in doc] for doc in docs], dict(local)),
            create_empty_token=False,
            show_progress=False,
        )
        scores = model.scores
        counts = np.diff(np.asarray(scores["indptr"]))
        term_of_entry = np.repeat(np.asarray(used, dtype=np.int64), counts)
        keys.append(term_of_entry * n_docs + np.asarray(scores["indices"], dtype=np.int64))
        values.append(np.asarray(scores["data"], dtype=np.float64) * weight)
    if keys:
        unique, inverse = np.unique(np.concatenate(keys), return_inverse=True)
        data = np.bincount(inverse, weights=np.concatenate(values)).astype(np.float32)
    else:
        unique, data = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    terms = unique // max(n_docs, 1)
    indptr = np.searchsorted(terms, np.arange(len(vocab) + 1))
    return IndexArrays(
        vocab=vocab,
        data=data,
        indices=(unique % max(n_docs, 1)).astype(np.int32),
        indptr=indptr.astype(np.int32 if len(data) < 2**31 else np.int64),
        section_area=np.asarray(section_area, dtype=np.int16),
    )


# ---------------------------------------------------------------------------------
# Persisting
# ---------------------------------------------------------------------------------


def save_index(index: DocsIndex, store: Path) -> Path:
    """Write ``index`` to ``store/<content-hash>/`` atomically; returns that folder."""
    target = store / index.stats.content_hash[:24]
    try:
        store.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=store))
    except OSError as exc:
        raise IndexStoreError(
            f"cannot save the docs index in {store} ({exc.strerror})",
            "check that the data folder is writable",
        ) from None
    try:
        arrays = index.arrays
        for name, value in (
            ("vocab", arrays.vocab),
            ("data", arrays.data),
            ("indices", arrays.indices),
            ("indptr", arrays.indptr),
            ("section_area", arrays.section_area),
            ("offsets", index.strings.offsets),
        ):
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(value), allow_pickle=False)
        (tmp / "strings.bin").write_bytes(bytes(index.strings.blob))
        if index.dense is not None:
            np.save(tmp / "dense.npy", np.ascontiguousarray(index.dense), allow_pickle=False)
        _write_meta(index, tmp)
        if (target / "meta.json").is_file():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            shutil.rmtree(target, ignore_errors=True)
            os.replace(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise IndexStoreError(
            f"cannot save the docs index in {store} ({exc.strerror})",
            "check that the data folder is writable",
        ) from None
    return target


def _write_meta(index: DocsIndex, folder: Path) -> None:
    meta = {
        "format": INDEX_FORMAT,
        "fields": FIELD_COUNT,
        "params": asdict(index.params),
        "areas": index.area_names,
        "encoder": _encoder_name(index.encoder),
        "stats": index.stats.model_dump(mode="json"),
    }
    (folder / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def load_index(folder: Path, *, encoder: TextEncoder | object | None = _DEFAULT) -> DocsIndex:
    """Load a saved index (arrays and embeddings memory-mapped, strings read lazily).

    Args:
        folder: The saved index.
        encoder: The dense encoder queries are embedded with; the shipped one when
            omitted. The saved embeddings are used only when they came from the same
            encoder; otherwise the index ranks lexically.

    Raises:
        BackendError: The folder is missing, incomplete, or from another format version.
    """
    model: TextEncoder | None = default_encoder() if encoder is _DEFAULT else encoder  # type: ignore[assignment]
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != INDEX_FORMAT or meta.get("fields") != FIELD_COUNT:
            raise BackendError(f"docs index {folder} has an old format", "it will be rebuilt")
        loaded = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in _ARRAYS}
        dense = None
        same_model = model is not None and meta.get("encoder") == _encoder_name(model)
        if same_model and (folder / "dense.npy").is_file():
            dense = np.load(folder / "dense.npy", mmap_mode="r")
        with (folder / "strings.bin").open("rb") as handle:
            blob: bytes | mmap.mmap = (
                mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
                if os.fstat(handle.fileno()).st_size
                else b""
            )
    except (OSError, ValueError, KeyError) as exc:
        raise BackendError(f"docs index {folder} cannot be read ({exc})", "rebuild it") from None
    arrays = IndexArrays(
        vocab=loaded["vocab"],
        data=loaded["data"],
        indices=loaded["indices"],
        indptr=loaded["indptr"],
        section_area=loaded["section_area"],
    )
    stats = IndexStats.model_validate(meta["stats"])
    params = RankingParams(**meta["params"])
    return DocsIndex(
        arrays,
        StringTable(blob, loaded["offsets"]),
        list(meta["areas"]),
        stats,
        params,
        dense=dense,
        encoder=model if dense is not None else None,
    )


# ---------------------------------------------------------------------------------
# Opening the right index for the settings
# ---------------------------------------------------------------------------------


def read_source_record(data_dir: Path) -> DocsSource | None:
    """What ``docs sync`` recorded about the synced docs, if anything."""
    path = data_dir / "docs" / "source.json"
    try:
        return DocsSource.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def resolve_docs_folder(settings: Settings) -> tuple[Path, DocsSource]:
    """The docs folder to search: ``settings.docs_dir``, else the synced docs under the
    data folder, else the shipped default.

    Raises:
        ConfigError: ``docs_dir`` is set but is not a folder.
    """
    if settings.docs_dir is not None:
        folder = Path(settings.docs_dir).expanduser()
        if not folder.is_dir():
            raise ConfigError(
                f"POSTHOG_ESCALATION_DOCS_DIR={folder} is not a folder",
                "point it at a docs folder or unset it to use the synced or shipped docs",
            )
        return folder, DocsSource(kind="folder", location=str(folder))
    synced = synced_docs_dir(settings.data_dir)
    if synced.is_dir() and any(synced.iterdir()):
        record = read_source_record(settings.data_dir)
        return synced, record or DocsSource(kind="local-copy", location=str(synced))
    return shipped_docs_dir(), DocsSource(kind="shipped", location="posthog_escalation/data/docs")


def open_docs_index(
    settings: Settings, *, params: RankingParams | None = None, rebuild: bool = False
) -> DocsIndex:
    """The index for the configured docs, loaded from disk, built once if missing or stale.

    When the data folder is not writable the index is built in memory (and a warning
    logged), so a search still works.
    """
    params = params or RankingParams()
    folder, source = resolve_docs_folder(settings)
    return open_folder_index(
        folder, index_store(settings.data_dir), source=source, params=params, rebuild=rebuild
    )


def open_folder_index(
    folder: Path,
    store: Path,
    *,
    source: DocsSource | None = None,
    params: RankingParams | None = None,
    rebuild: bool = False,
) -> DocsIndex:
    """Load the index of ``folder`` from ``store``, building and saving it when needed."""
    params = params or RankingParams()
    model = default_encoder()
    name = _encoder_name(model)
    pointer_path = store / "current.json"
    quick = stat_key(folder, params, encoder=name)
    pointers = _read_pointers(pointer_path)
    if not rebuild:
        known = pointers.get(quick)
        if known and (store / known[:24] / "meta.json").is_file():
            try:
                return load_index(store / known[:24], encoder=model)
            except BackendError:
                pass
        digest = content_hash(folder, params, encoder=name)
        if (store / digest[:24] / "meta.json").is_file():
            try:
                index = load_index(store / digest[:24], encoder=model)
                _write_pointers(pointer_path, {**pointers, quick: digest})
                return index
            except BackendError:
                pass
    try:
        index = build_index(folder, source=source, params=params, store=store, encoder=model)
    except IndexStoreError as exc:
        log.warning("%s; searching an in-memory index", exc.one_line())
        return build_index(folder, source=source, params=params, encoder=model)
    _write_pointers(pointer_path, {**pointers, quick: index.stats.content_hash})
    prune_store(store, keep={index.stats.content_hash[:24]})
    return index


def _read_pointers(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_pointers(path: Path, pointers: dict[str, str]) -> None:
    recent = dict(list(pointers.items())[-16:])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(recent, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("cannot record the docs index pointer in %s (%s)", path, exc.strerror)


def prune_store(store: Path, *, keep: set[str], limit: int = KEEP_INDEXES) -> None:
    """Delete all but the ``limit`` most recent saved indexes (never those in ``keep``)."""
    try:
        folders = [p for p in store.iterdir() if p.is_dir() and not p.name.startswith(".")]
    except OSError:
        return
    folders.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    survivors = 0
    for folder in folders:
        if folder.name in keep or survivors < limit - len(keep):
            survivors += folder.name not in keep
            continue
        shutil.rmtree(folder, ignore_errors=True)
