"""The result store: one JSON file per replication, written the moment it arrives.

Layout inside an output directory::

    manifest.json               kind of run, and per arm its folder and scenario fingerprint
    reps/<arm>-<hash>/<seed>.json   one rep record (see runner.py), written atomically
    .simorg.lock                held while a run writes here (process id and host)

Each file is written to a temporary name and renamed, so a kill leaves either a whole
record or none (a failed write removes its temporary file). An arm's folder is its label
made file-name safe plus a short hash of the exact label, so arms whose names sanitise
alike ("base line", "base_line") never share a folder.

``--resume`` loads what is there and computes only what is missing. It refuses when
``manifest.json`` is missing (nothing then says which scenario the records belong to) or
when the fingerprint (a hash of the resolved scenario, ``--set`` overrides included) of an
arm differs. Each stored record is checked as it is read: one of the wrong shape, for
another arm or seed, or missing KPIs its arm's other records have, is reported
(:class:`StoreWarning`) and computed again, never silently dropped. Replications that
failed because the model raised are kept (the same seed raises again; delete their files
to retry); those that failed for an environment reason (a dead worker) are retried.

Two runs writing into one directory would mix records and manifest, so a run holds
``.simorg.lock``; a second run is refused while the first is alive, and a lock left by a
process that no longer exists (same host) is taken over.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .runner import RepRecord, is_env_failure

LOCK_NAME = ".simorg.lock"


class StoreError(RuntimeError):
    """The output directory cannot be used as asked (exists without --resume, mismatch,
    another run holds it)."""


class StoreUnavailable(StoreError):
    """The output directory is in use by another run, or what it holds is damaged: an
    environment problem rather than bad input."""


class StoreWarning(UserWarning):
    """A stored record that could not be used and is computed again."""


def fingerprint(scenario: Any) -> str:
    """A short stable hash of a resolved scenario (its JSON dump, keys sorted)."""
    try:
        doc = scenario.model_dump(mode="json") if hasattr(scenario, "model_dump") else scenario
        text = json.dumps(doc, sort_keys=True, default=str)
    except Exception:  # noqa: BLE001 - a scenario that cannot dump still has a stable repr
        text = repr(scenario)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def safe_name(name: str) -> str:
    """A file-name-safe version of an arm label (not unique: see :func:`arm_folder`)."""
    return re.sub(r"[^A-Za-z0-9_.@+-]", "_", name) or "_"


def arm_folder(arm: str) -> str:
    """The store folder of an arm: its safe name (shortened) and 8 hex digits of a hash of
    the exact label, so two labels never share a folder."""
    digest = hashlib.sha256(arm.encode()).hexdigest()[:8]
    return f"{safe_name(arm)[:60]}-{digest}"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename; a failed write (disk
    full, read-only) leaves no temporary file behind and raises the OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def has_results(out_dir: Path) -> bool:
    """Whether ``out_dir`` already holds simorg results."""
    return (out_dir / "manifest.json").exists() or (out_dir / "reps").is_dir() \
        or (out_dir / "result.json").exists()


# --------------------------------------------------------------------------- the lock
_held: dict[Path, int] = {}
"""Locks this process holds, with how many users (a sweep's execute inside sweep())."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _take_lock(path: Path) -> None:
    me = f"{os.getpid()} {socket.gethostname()}\n"
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                pid_text, _, host = path.read_text().strip().partition(" ")
                pid = int(pid_text)
            except (OSError, ValueError):
                pid, host = -1, ""
            if pid == os.getpid() and host == socket.gethostname():
                return
            if pid > 0 and (host != socket.gethostname() or _pid_alive(pid)):
                where = f"process {pid}" + (f" on {host}" if host else "")
                raise StoreUnavailable(
                    f"{path.parent} is in use by another simorg run ({where}); wait for it to "
                    f"finish or choose another --out (if no run is using it, delete {path})"
                ) from None
            warnings.warn(f"{path}: taking over a stale lock left by process {pid} (no longer "
                          "running)", StoreWarning, stacklevel=3)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            continue
        with os.fdopen(fd, "w") as f:
            f.write(me)
        return
    raise StoreError(f"{path}: cannot take the lock of this output directory")  # pragma: no cover


@contextlib.contextmanager
def locked(out_dir: Path | str | None) -> Iterator[None]:
    """Hold ``out_dir``'s lock for the block (re-entrant within one process)."""
    if out_dir is None:
        yield
        return
    path = Path(out_dir).resolve() / LOCK_NAME
    if path in _held:
        _held[path] += 1
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        _take_lock(path)
        _held[path] = 1
    try:
        yield
    finally:
        _held[path] -= 1
        if not _held[path]:
            del _held[path]
            with contextlib.suppress(OSError):
                path.unlink()


# --------------------------------------------------------------------------- records
def record_problem(rec: Any, arm: str, seed: int | None = None) -> str | None:
    """Why ``rec`` is not a usable rep record of ``arm`` (and ``seed``), or None if it is."""
    if not isinstance(rec, dict):
        return f"not a JSON object but {type(rec).__name__}"
    for key, kind in (("kpis", dict), ("monthly", dict), ("distributions", dict)):
        if not isinstance(rec.get(key), kind):
            return f"'{key}' is missing or not a mapping"
    if rec.get("arm") != arm:
        return f"belongs to arm {rec.get('arm')!r}, not {arm!r}"
    if not isinstance(rec.get("seed"), int) or isinstance(rec.get("seed"), bool):
        return "'seed' is missing or not an integer"
    if seed is not None and rec["seed"] != seed:
        return f"holds seed {rec['seed']}, not {seed} (its file name)"
    err = rec.get("error")
    if err is not None and not isinstance(err, str):
        return "'error' is neither null nor text"
    for k, v in rec["kpis"].items():
        if not isinstance(v, int | float) or isinstance(v, bool):
            return f"KPI {k!r} is {type(v).__name__}, not a number"
    for key in ("monthly", "distributions"):
        for k, v in rec[key].items():
            if not isinstance(v, list) or not all(isinstance(x, int | float) and not isinstance(x, bool)
                                                  for x in v):
                return f"{key} {k!r} is not a list of numbers"
    return None


class Store:
    """Per-replication results under ``out_dir`` (or only in memory when ``out_dir`` is None)."""

    def __init__(self, out_dir: Path | str | None, *, resume: bool = False, kind: str = "run") -> None:
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.resume = resume
        self.kind = kind
        self.problems: list[str] = []
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
            try:
                old = json.loads(mpath.read_text())
                if not isinstance(old, dict) or not isinstance(old.get("arms"), dict):
                    raise ValueError("not a manifest")
            except ValueError:
                raise StoreUnavailable(f"{mpath} is damaged (not a simorg manifest), so the stored "
                                 "results cannot be checked; use a new --out") from None
            if old.get("kind") != kind:
                raise StoreError(f"{self.out_dir} holds {old.get('kind')!r} results, not {kind!r}")
            self._manifest = old
        elif (self.out_dir / "reps").is_dir() and any((self.out_dir / "reps").iterdir()):
            raise StoreUnavailable(
                f"{self.out_dir} holds stored replications but no manifest.json, so nothing says "
                "which scenario they belong to; use a new --out (or delete its reps/ folder)"
            )
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
                "(parameters or --set overrides changed); use a new --out"
            )
        folder = (known or {}).get("folder") or arm_folder(arm)
        self._manifest["arms"][arm] = {"fingerprint": fp, "folder": folder, **(extra or {})}
        self._save_manifest()

    def _dir(self, arm: str) -> Path:
        assert self.out_dir is not None
        entry = self._manifest["arms"].get(arm) or {}
        return self.out_dir / "reps" / (entry.get("folder") or arm_folder(arm))

    def _reject(self, path: Path, why: str) -> None:
        msg = f"{path}: stored record cannot be used ({why}); computing it again"
        self.problems.append(msg)
        warnings.warn(msg, StoreWarning, stacklevel=4)

    def _read_disk(self, arm: str) -> dict[int, RepRecord]:
        out: dict[int, RepRecord] = {}
        if self.out_dir is None or not self._dir(arm).is_dir():
            return out
        paths: dict[int, Path] = {}
        for path in sorted(self._dir(arm).glob("*.json")):
            try:
                seed = int(path.stem)
            except ValueError:
                continue
            try:
                rec = json.loads(path.read_text())
            except (ValueError, UnicodeDecodeError) as exc:
                self._reject(path, f"not valid JSON: {exc}")
                continue
            why = record_problem(rec, arm, seed)
            if why:
                self._reject(path, why)
                continue
            if is_env_failure(rec):
                continue  # a worker died: compute it again
            out[seed], paths[seed] = rec, path
        # a successful record missing KPIs its arm's other records have would shorten n
        ok = [r for r in out.values() if r.get("error") is None]
        names = set().union(*(r["kpis"] for r in ok)) if ok else set()
        for seed, rec in list(out.items()):
            if rec.get("error") is None:
                missing = sorted(names - set(rec["kpis"]))
                if missing:
                    self._reject(paths[seed], f"missing KPIs {', '.join(missing[:5])}")
                    del out[seed]
        return out

    def load(self, arm: str) -> dict[int, RepRecord]:
        """Usable records of ``arm`` by seed: those on disk plus those saved during this run
        (environment failures left out, so they run again)."""
        if arm not in self._mem:
            self._mem[arm] = self._read_disk(arm)
        return {s: r for s, r in self._mem[arm].items() if not is_env_failure(r)}

    def save(self, record: RepRecord) -> None:
        """Keep one record, and persist it when there is an output directory."""
        self._mem.setdefault(record["arm"], {})[int(record["seed"])] = record
        if self.out_dir is not None:
            write_atomic(self._dir(record["arm"]) / f"{record['seed']}.json", json.dumps(record))
