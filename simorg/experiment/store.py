"""The result store: one JSON file per replication, written the moment it arrives.

Layout inside an output directory::

    manifest.json            kind of run, and per arm the scenario fingerprint
    reps/<arm>/<seed>.json   one rep record (see runner.py), written atomically

Each file is written to a temporary name and renamed, so a kill leaves either a whole
record or none. ``--resume`` loads what is there and computes only the missing seeds; the
fingerprint (a hash of the resolved scenario) guards against resuming into results of a
different scenario. Failed replications are stored too (with their error) and are not
retried on resume; delete their files to retry them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from .runner import RepRecord


class StoreError(RuntimeError):
    """The output directory cannot be used as asked (exists without --resume, mismatch)."""


def fingerprint(scenario: Any) -> str:
    """A short stable hash of a resolved scenario (its JSON dump, keys sorted)."""
    try:
        doc = scenario.model_dump(mode="json") if hasattr(scenario, "model_dump") else scenario
        text = json.dumps(doc, sort_keys=True, default=str)
    except Exception:  # noqa: BLE001 - a scenario that cannot dump still has a stable repr
        text = repr(scenario)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def safe_name(name: str) -> str:
    """A file-name-safe version of an arm label."""
    return re.sub(r"[^A-Za-z0-9_.@+-]", "_", name) or "_"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def has_results(out_dir: Path) -> bool:
    """Whether ``out_dir`` already holds simorg results."""
    return (out_dir / "manifest.json").exists() or (out_dir / "reps").is_dir() \
        or (out_dir / "result.json").exists()


class Store:
    """Per-replication results under ``out_dir`` (or only in memory when ``out_dir`` is None)."""

    def __init__(self, out_dir: Path | str | None, *, resume: bool = False, kind: str = "run") -> None:
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.resume = resume
        self.kind = kind
        self._manifest: dict[str, Any] = {"kind": kind, "arms": {}}
        self._mem: dict[str, dict[int, RepRecord]] = {}
        if self.out_dir is None:
            return
        if has_results(self.out_dir) and not resume:
            raise StoreError(
                f"{self.out_dir} already holds results; pass --resume to continue them, "
                "or choose another --out"
            )
        self.out_dir.mkdir(parents=True, exist_ok=True)
        mpath = self.out_dir / "manifest.json"
        if mpath.exists():
            old = json.loads(mpath.read_text())
            if old.get("kind") != kind:
                raise StoreError(f"{self.out_dir} holds {old.get('kind')!r} results, not {kind!r}")
            self._manifest = old
        self._save_manifest()

    def _save_manifest(self) -> None:
        if self.out_dir is not None:
            write_atomic(self.out_dir / "manifest.json", json.dumps(self._manifest, indent=1))

    def register(self, arm: str, scenario: Any, extra: dict[str, Any] | None = None) -> None:
        """Declare an arm; refuse to mix with stored results of a different scenario."""
        fp = fingerprint(scenario)
        known = self._manifest["arms"].get(arm)
        if known is not None and known.get("fingerprint") != fp:
            raise StoreError(
                f"{self.out_dir}: stored results for {arm!r} come from a different scenario "
                "(parameters changed); use a new --out"
            )
        self._manifest["arms"][arm] = {"fingerprint": fp, **(extra or {})}
        self._save_manifest()

    def _dir(self, arm: str) -> Path:
        assert self.out_dir is not None
        return self.out_dir / "reps" / safe_name(arm)

    def _read_disk(self, arm: str) -> dict[int, RepRecord]:
        out: dict[int, RepRecord] = {}
        if self.out_dir is None or not self._dir(arm).is_dir():
            return out
        for path in self._dir(arm).glob("*.json"):
            with contextlib.suppress(ValueError, OSError, KeyError):
                rec = json.loads(path.read_text())
                out[int(rec["seed"])] = rec
        return out

    def load(self, arm: str) -> dict[int, RepRecord]:
        """Records of ``arm`` by seed: those on disk plus those saved during this run."""
        if arm not in self._mem:
            self._mem[arm] = self._read_disk(arm)
        return dict(self._mem[arm])

    def save(self, record: RepRecord) -> None:
        """Keep one record, and persist it when there is an output directory."""
        self._mem.setdefault(record["arm"], {})[int(record["seed"])] = record
        if self.out_dir is not None:
            write_atomic(self._dir(record["arm"]) / f"{record['seed']}.json", json.dumps(record))
