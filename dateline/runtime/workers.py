"""Extraction over several processes.

A large batch is cut into chunks of whole articles; worker processes run
``transforms.extract.extract`` on the chunks and the results are merged with
``transforms.extract.merge_extracted`` (articles are independent, so the merged result equals one
call over the whole batch). Each worker guards every article of its chunk (dateline/runtime/isolation.py):
an article whose extraction raises or overruns ``[limits] article_timeout_seconds`` is set aside,
not the chunk. The NER model and the rule coder are CPU-bound Python/numpy code
that holds the GIL, so processes, not threads, are what use a second core.

Workers are started with ``spawn`` (never ``fork``: the run's process has Prefect's threads).
Each loads the reference data, builds the gazetteer and verb lexicon and loads the NER model once,
in its initializer. Starting them costs a few seconds of CPU, which is why small batches (below
``[run] parallel_min_articles``) stay in the run's own process, and why they are started before
they are needed: ``dateline run`` starts them once its Prefect API server has booted when a
listing of the input folder against the manifest finds that many files to read
(:meth:`WorkerPool.start_early`), so that they load their models while the run still imports and
parses, and the ``ingest`` flow starts them (if not yet started) as soon as its discovery has found
that many new or changed files.

The processes belong to a :class:`WorkerPool` object, created at the edge (``dateline run``, or the
flow when it is given none) and passed to the flow and its extraction; no module state. It serves
one batch at a time: :meth:`WorkerPool.extract` shuts the processes down when the batch is
extracted, so the memory of the models is given back before validation and loading.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import hashlib
import itertools
import os
import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

# what a worker process holds, filled by _init_worker (state of the worker processes only)
_WORKER: dict[str, Any] = {}


def cpu_count() -> int:
    """CPUs this process may run on (the affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def resolve_workers(configured: int) -> int:
    """``[run] workers``: 0 means one per CPU."""
    return configured if configured > 0 else cpu_count()


def reference_fingerprint(reference: dict[str, pl.DataFrame]) -> str:
    """A hash of the reference frames' contents: the flow checks the workers loaded the same data."""
    h = hashlib.sha256()
    for name in sorted(reference):
        df = reference[name]
        h.update(name.encode())
        h.update(str(df.shape).encode())
        h.update(",".join(df.columns).encode())
        if df.height:
            h.update(str(df.hash_rows(seed=0).sum()).encode())
    return h.hexdigest()


# the workers' niceness (see _init_worker)
WORKER_NICE = 5

# Each worker computes on one thread: the workers already use every core, and polars' or
# OpenBLAS's own thread pools on top of them oversubscribe the CPUs (measured: the BBC corpus took
# 43 s to extract with polars' default of one thread per CPU in each worker, 34 s with one).
WORKER_ENV = {"POLARS_MAX_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for processes started inside the block, then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _init_worker() -> None:
    # die with the run: a run killed by SIGKILL must not leave its workers behind (Linux prctl
    # PR_SET_PDEATHSIG; the pool's processes are started by the run's own thread)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)
    # a lower CPU priority: the workers load their models while the run's own process parses
    # the batch (its critical path); they take the CPU it leaves idle instead of slowing it.
    # Once extraction runs, the run's process waits and they have the CPUs.
    with contextlib.suppress(OSError, AttributeError):
        os.nice(WORKER_NICE)
    from dateline import environment

    environment.configure()
    from dateline.resources.event_classifier import load_event_classifier
    from dateline.resources.ner_model import load_ner
    from dateline.resources.parser_model import load_parser
    from dateline.resources.reference import load_reference
    from transforms.gazetteer import build_gazetteer
    from transforms.verbs import build_verb_lexicon

    reference = load_reference()
    _WORKER["reference"] = reference
    _WORKER["fingerprint"] = reference_fingerprint(reference)
    _WORKER["gazetteer"] = build_gazetteer(reference)
    _WORKER["verbs"] = (
        build_verb_lexicon(reference["verb_forms"], reference["verb_patterns"])
        if "verb_forms" in reference
        else None
    )
    _WORKER["nlp"] = load_ner()
    _WORKER["parser"] = load_parser()
    _WORKER["classifier"] = load_event_classifier()


def _worker_fingerprint() -> str:
    return str(_WORKER["fingerprint"])


def _extract_chunk(
    articles: pl.DataFrame, today: date, default_year: int | None, timeout: float
) -> dict[str, pl.DataFrame]:
    """One chunk in a worker: extraction guarded per article (dateline/runtime/isolation.py; a worker runs
    its tasks on its main thread, so the time limit holds), with the articles set aside."""
    from dateline.runtime.isolation import extract_articles

    out = extract_articles(
        articles,
        _WORKER["reference"],
        today=today,
        default_year=default_year,
        timeout=timeout,
        gazetteer=_WORKER["gazetteer"],
        verbs=_WORKER["verbs"],
        nlp=_WORKER["nlp"],
        parser=_WORKER["parser"],
        classifier=_WORKER["classifier"],
    )
    _give_back_memory()
    return out


def _give_back_memory() -> None:
    """Return the heap a chunk's extraction freed to the OS (glibc keeps it otherwise; measured
    on a worker after two BBC chunks of 530 articles: 425 -> 359 MB resident). The next chunk
    starts lower, and so does the run's peak, when the run's process receives the last chunks'
    rows while both workers are still alive."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """SIGINT blocked in this thread for the block: the processes it spawns inherit the blocked
    mask (across exec), so a Ctrl-C in the terminal -- sent to the whole process group -- never
    raises KeyboardInterrupt in a worker (a traceback per worker, whatever it was doing). The run
    decides: it terminates them (:meth:`WorkerPool.shutdown`), or they get SIGTERM when it dies. A SIGINT for
    the run meanwhile waits the few milliseconds of the spawns, or reaches another thread."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - not POSIX
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class WorkerPool:
    """The extraction worker processes of one command: started on demand, stopped on every exit.

    Create it once at the edge (``dateline run``; the ``ingest`` flow creates its own when none
    is passed) and pass it on. ``with WorkerPool(n) as pool:`` closes it when the block ends:
    the workers are stopped (terminated if the block raised) and none starts any more, even from
    the early start's thread. Within, :meth:`start` starts the ``size`` processes (with fewer
    than 2, never), :meth:`extract` uses them for a batch and shuts them down after it, and
    :meth:`for_run` bounds a run: the workers never outlive it. ``initializer`` is what each
    worker runs first (default: load the reference data and the models).
    """

    def __init__(self, size: int, *, initializer: Callable[[], object] | None = None) -> None:
        self.size = size
        self._initializer = initializer or _init_worker
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False  # set by close(): no pool starts any more

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        self.close(terminate=exc_type is not None)

    @property
    def running(self) -> bool:
        """Worker processes are started (and not shut down)."""
        return self._executor is not None

    def start(self) -> None:
        """Start the worker processes now (they load their models in the background); idempotent."""
        import multiprocessing

        with self._lock:
            if self._executor is not None or self.size < 2 or self._closed:
                return
            self._executor = ProcessPoolExecutor(
                max_workers=self.size,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=self._initializer,
            )
            # make the workers start loading now, not at the first chunk; they inherit the
            # environment at spawn time: one thread each for polars and BLAS; and a blocked SIGINT
            with _environ(WORKER_ENV), _sigint_blocked():
                for _ in range(self.size):
                    self._executor.submit(_worker_fingerprint)

    def start_early(
        self,
        files_to_read: Callable[[], int],
        *,
        min_articles: int,
        after: threading.Event | None = None,
        after_timeout: float = 60.0,
    ) -> threading.Thread:
        """Start the workers from a background thread, before the flow has discovered its batch.

        The thread waits for ``after`` (``dateline run``: its temporary Prefect API server has
        booted, which leaves a CPU idle while the run still imports its libraries), then calls
        ``files_to_read()`` (how many files the run will read: a listing compared with the
        manifest) and starts the workers (:meth:`start`) if that is at least ``min_articles`` --
        the same rule the flow applies after discovery, so the workers load their models ~2-3 s
        earlier on the CPU the server left. Any error just skips the early start (the flow
        decides again after discovery, and shuts an unused pool down). Join the thread before the
        flow opens the warehouse.

        :meth:`start` sets ``WORKER_ENV`` in this process's environment for the moment it spawns
        the workers; the run's own thread only imports libraries meanwhile, and polars (the one
        that reads its variable at import) is imported already.
        """

        def run() -> None:
            if after is not None:
                after.wait(after_timeout)
            with contextlib.suppress(Exception):
                if self.size >= 2 and files_to_read() >= max(min_articles, 2):
                    self.start()

        thread = threading.Thread(target=run, name="dateline-early-workers", daemon=True)
        thread.start()
        return thread

    def loaded_fingerprint(self) -> str:
        """Start the workers (if not yet started) and wait until one has loaded its reference data:
        its :func:`reference_fingerprint`. Raises BrokenProcessPool if a worker died or the pool
        cannot start (fewer than 2 workers, or closed)."""
        self.start()
        with self._lock:
            executor = self._executor
        if executor is None:
            raise BrokenProcessPool("the worker pool is closed or has fewer than 2 workers")
        return str(executor.submit(_worker_fingerprint).result())

    def shutdown(self, *, wait: bool = True, terminate: bool = False) -> None:
        """Stop the worker processes (if any); the pool may start again. ``wait=False`` returns at
        once: the workers finish exiting (an interpreter holding a NER model takes ~0.5 s to tear
        down) in the background.

        ``terminate=True`` (the run failed or was interrupted): SIGTERM to every worker now, busy
        or not, instead of letting them finish their chunks (up to a chunk's time limit), and wait
        for them to exit.
        """
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is None:
            return
        if terminate:
            # ProcessPoolExecutor has no public way to stop busy workers before Python 3.14
            # (terminate_workers); its _processes maps pid -> Process
            processes = list(getattr(executor, "_processes", None) or {})
            for pid in processes:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGTERM)
            executor.shutdown(wait=False, cancel_futures=True)
            for pid in processes:
                _reap(pid, timeout=3.0)
            return
        executor.shutdown(wait=wait, cancel_futures=True)

    def close(self, *, terminate: bool = True) -> None:
        """Stop the workers (terminated by default) and start none any more (the early start's
        thread may still be on its way): for a command that is ending, e.g. ``dateline run``
        interrupted."""
        with self._lock:
            self._closed = True
        self.shutdown(terminate=terminate)

    @contextlib.contextmanager
    def for_run(self) -> Iterator[WorkerPool]:
        """The block of one run: the workers never outlive it (e.g. one that failed early), and
        a run that failed or was stopped terminates them (their work is of no use now)."""
        try:
            yield self
        except BaseException:
            self.shutdown(terminate=True)
            raise
        finally:
            self.shutdown()

    def extract(
        self,
        articles: pl.DataFrame,
        reference: dict[str, pl.DataFrame],
        *,
        today: date,
        default_year: int | None,
        min_articles: int,
        in_process: Callable[[pl.DataFrame], dict[str, pl.DataFrame]],
        timeout: float,
        note: Callable[[str], None] = lambda _m: None,
    ) -> dict[str, pl.DataFrame]:
        """Extract ``articles`` in the worker processes when the batch has at least
        ``min_articles``, else (or when the workers hold other reference data, or one died) with
        ``in_process``. The workers are shut down before returning.

        The workers guard each article (dateline/runtime/isolation.py, ``timeout`` seconds per
        article): their result holds ``isolation.FAILED_KEY``, the articles set aside;
        ``in_process`` should do the same.
        """
        from dateline.runtime.isolation import merge_isolated

        if self.size < 2 or articles.height < max(min_articles, 2):
            self.shutdown()
            return in_process(articles)
        try:
            results = self._extract_in_workers(articles, reference, today, default_year, timeout)
        except BrokenProcessPool as exc:
            # a worker died (killed, out of memory, could not start): the batch is still extracted
            note(f"extraction workers failed ({exc}); extracting in process")
            self.shutdown()
            return in_process(articles)
        except BaseException:  # stopped (an interrupt) or failed: the chunks still running are of no use
            self.shutdown(terminate=True)
            raise
        finally:
            self.shutdown()
        if results is None:
            note("extraction workers hold other reference data; extracting in process")
            return in_process(articles)
        return merge_isolated(results)

    def _extract_in_workers(
        self,
        articles: pl.DataFrame,
        reference: dict[str, pl.DataFrame],
        today: date,
        default_year: int | None,
        timeout: float,
    ) -> list[dict[str, pl.DataFrame]] | None:
        """The chunks' results from the workers; None when they loaded other reference data."""
        if self.loaded_fingerprint() != reference_fingerprint(reference):
            return None
        with self._lock:
            executor = self._executor
        if executor is None:  # closed meanwhile (the command is ending)
            raise BrokenProcessPool("the worker pool was closed")
        # two chunks per worker (balanced by text length): each chunk pays fixed costs (the gazetteer's
        # Aho-Corasick automaton is built per call), so few, but not one, so a slow chunk does not idle a core
        parts = chunks(articles, self.size * 2)
        futures: list[Future] = [
            executor.submit(_extract_chunk, p, today, default_year, timeout) for p in parts
        ]
        results = [f.result() for f in futures]
        # every chunk is back: the workers exit in the background while the run goes on
        self.shutdown(wait=False)
        return results


def _reap(pid: int, timeout: float) -> None:
    """Wait up to ``timeout`` s for terminated child ``pid`` to be gone, then SIGKILL it."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not os.path.exists(f"/proc/{pid}") or _is_zombie(pid):
            return
        time.sleep(0.02)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return True
    return stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3] in (b"Z", b"X")


def chunks(articles: pl.DataFrame, n: int) -> list[pl.DataFrame]:
    """Cut ``articles`` into at most ``n`` contiguous slices of about equal body length (order kept)."""
    if articles.height == 0 or n <= 1:
        return [articles]
    lengths = articles.get_column("body").str.len_chars().fill_null(0).cast(pl.Int64)
    total = int(lengths.sum()) or articles.height
    cum = lengths.cum_sum().to_list()
    cuts, target = [0], total / n
    for i, c in enumerate(cum):
        if c >= target * len(cuts) and len(cuts) < n and i + 1 < articles.height:
            cuts.append(i + 1)
    cuts.append(articles.height)
    return [articles.slice(a, b - a) for a, b in itertools.pairwise(cuts) if b > a]
