"""Where cells run: in this process, in a local process pool, or on a Ray cluster.

An executor maps a picklable function over items and yields the results as they
finish (in completion order). Executors only compute; the parent process that
iterates over the results is the only one that writes them anywhere.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Literal, Protocol, TypeVar

from fairpool.errors import InvalidInputError

__all__ = [
    "EXECUTORS",
    "Executor",
    "SerialExecutor",
    "LocalExecutor",
    "RayExecutor",
    "make_executor",
    "available_cpus",
]

T = TypeVar("T")
R = TypeVar("R")

#: Names accepted by :func:`make_executor` and ``fairpool run --executor``.
EXECUTORS: tuple[str, ...] = ("local", "ray")

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def available_cpus() -> int:
    """CPU cores this process may use (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def _threads_per_worker(workers: int) -> int:
    return max(1, available_cpus() // max(workers, 1))


class Executor(Protocol):
    """Runs a function over items and yields results as they finish."""

    def map_unordered(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """Yield ``fn(item)`` for every item, in completion order."""
        ...

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: object) -> None: ...


class SerialExecutor:
    """Runs every item in this process, one after the other (``--workers 1``)."""

    def map_unordered(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """Yield ``fn(item)`` for each item in order."""
        for item in items:
            yield fn(item)

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _prepare_worker(threads: int) -> None:
    """Initialise a pool worker: die with the parent, leave Ctrl-C to it, cap threads."""
    # The parent handles Ctrl-C and terminates the pool; workers ignoring SIGINT keeps
    # the terminal free of one traceback per worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        # PR_SET_PDEATHSIG: if the parent is killed (even with SIGKILL), the kernel
        # kills this worker too instead of leaving it computing an orphaned cell.
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)
    for name in _THREAD_VARIABLES:
        os.environ.setdefault(name, str(threads))
    # Libraries already loaded (the environment variables only reach those loaded later)
    # are capped through threadpoolctl (scikit-learn's dependency).
    if all(os.environ.get(name) == str(threads) for name in _THREAD_VARIABLES):
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)


class LocalExecutor:
    """A pool of local worker processes (``spawn`` start method).

    Parameters
    ----------
    workers : int
        Number of processes. Each worker's BLAS/OpenMP threads are capped at
        ``cpus // workers`` unless ``OMP_NUM_THREADS`` etc. are already set.
    """

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise InvalidInputError(f"workers must be a positive integer, got {workers!r}")
        self.workers = int(workers)
        self._pool: ProcessPoolExecutor | None = None
        self._pending: set[Future[Any]] = set()

    def __enter__(self) -> LocalExecutor:
        return self

    def map_unordered(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """Submit every item to the pool and yield results as they complete."""
        if not items:
            return
        # spawn, not fork: the parent may hold torch/OpenMP threads, which fork copies
        # into a broken state.
        self._pool = ProcessPoolExecutor(
            max_workers=min(self.workers, len(items)),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_prepare_worker,
            initargs=(_threads_per_worker(self.workers),),
        )
        self._pending = {self._pool.submit(fn, item) for item in items}
        while self._pending:
            done, self._pending = wait(self._pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()

    def __exit__(self, *exc: object) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if self._pending:  # interrupted or failed: stop the workers now
            for future in self._pending:
                future.cancel()
            # The pool's own dict of workers: shutdown() drops the attribute, but the
            # manager thread keeps adding the workers it spawns to this same dict.
            workers = getattr(pool, "_processes", None) or {}
            processes = list(workers.values())
            for process in processes:
                with contextlib.suppress(Exception):
                    process.terminate()
            pool.shutdown(wait=False, cancel_futures=True)
            # A worker still being spawned could not be terminated yet (terminate raised
            # and was suppressed): look again. join() returns as soon as a worker's
            # pipe closes, a few milliseconds before the kernel reaps it, so wait until
            # it is reaped, and kill whatever outlives SIGTERM.
            processes += [p for p in list(workers.values()) if p not in processes]
            for process in processes:
                with contextlib.suppress(Exception):
                    process.terminate()
                    _wait_reaped(process, seconds=5.0) or process.kill()
                    _wait_reaped(process, seconds=5.0)
            self._pending = set()
        else:
            pool.shutdown(wait=True)


def _wait_reaped(process: Any, *, seconds: float) -> bool:
    """Wait up to ``seconds`` for ``process`` to be reaped; True once it is."""
    deadline = time.monotonic() + seconds
    process.join(timeout=seconds)
    while process.is_alive():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def _apply(fn: Callable[[T], R], item: T) -> R:
    return fn(item)


class RayExecutor:
    """Runs items as Ray tasks, on a new local Ray instance or an existing cluster.

    Parameters
    ----------
    workers : int or None
        CPUs of the local Ray instance (ignored with ``address``).
    address : str or None
        Address of a running cluster (``"ray://host:10001"``, ``"host:6379"`` or
        ``"auto"``); ``None`` starts a local instance for this run.
    """

    def __init__(self, workers: int | None = None, address: str | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise InvalidInputError(
                "the ray executor needs Ray; install it with: pip install \"fairpool[ray]\""
            ) from None
        self._ray = ray
        self.workers = workers
        self.address = address
        self._started = False
        self._pending: list[Any] = []

    def __enter__(self) -> RayExecutor:
        ray = self._ray
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {
                "include_dashboard": False,
                "logging_level": logging.WARNING,
                "configure_logging": True,
                "log_to_driver": False,
            }
            if self.address:
                ray.init(address=self.address, **kwargs)
            else:
                ray.init(num_cpus=self.workers or available_cpus(), **kwargs)
            self._started = True
        return self

    def map_unordered(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """Launch one task per item and yield results as tasks finish."""
        ray = self._ray
        if not items:
            return
        cpus = int(ray.cluster_resources().get("CPU", 1))
        threads = str(_threads_per_worker(min(cpus, len(items))))
        # ray.remote accepts plain functions only; ``fn`` may be a functools.partial.
        env_vars = {name: threads for name in _THREAD_VARIABLES}
        if self._started and not self.address:
            # A local instance runs on this machine: give its workers the driver's own
            # code folders (a script's directory, a test folder) so functions defined
            # there unpickle. Interpreter and site-packages folders are left out.
            prefixes = tuple({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)})
            own = [p for p in sys.path if p and os.path.isdir(p)
                   and not os.path.realpath(p).startswith(prefixes)]
            env_vars["PYTHONPATH"] = os.pathsep.join(
                dict.fromkeys([*own, *filter(None, os.environ.get("PYTHONPATH", "").split(
                    os.pathsep))])
            )
        task = ray.remote(num_cpus=1, max_retries=0)(_apply).options(
            runtime_env={"env_vars": env_vars}
        )
        fn_ref = ray.put(fn)
        self._pending = [task.remote(fn_ref, item) for item in items]
        while self._pending:
            done, self._pending = ray.wait(self._pending, num_returns=1)
            yield ray.get(done[0])

    def __exit__(self, *exc: object) -> None:
        ray = self._ray
        for ref in self._pending:
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)
        self._pending = []
        if self._started:
            ray.shutdown()
            self._started = False


def make_executor(
    kind: Literal["local", "ray"] = "local",
    *,
    workers: int | None = None,
    address: str | None = None,
) -> SerialExecutor | LocalExecutor | RayExecutor:
    """Build an executor by name.

    Parameters
    ----------
    kind : {"local", "ray"}
        ``local``: a process pool of ``workers`` processes (in this process when
        ``workers == 1``); ``ray``: Ray tasks.
    workers : int, optional
        Worker processes (local) or CPUs of a new local Ray instance. Default: the
        CPU cores available to this process.
    address : str, optional
        Ray cluster to join (only with ``kind="ray"``).

    Returns
    -------
    Executor
    """
    if kind not in EXECUTORS:
        raise InvalidInputError(f"executor must be one of {', '.join(EXECUTORS)}; got {kind!r}")
    if workers is not None and (isinstance(workers, bool) or int(workers) != workers
                                or workers < 1):
        raise InvalidInputError(f"workers must be a positive integer, got {workers!r}")
    if address is not None and kind != "ray":
        raise InvalidInputError("address is only used by the ray executor (--executor ray)")
    if kind == "ray":
        return RayExecutor(workers=workers, address=address)
    workers = available_cpus() if workers is None else int(workers)
    return SerialExecutor() if workers == 1 else LocalExecutor(workers)
