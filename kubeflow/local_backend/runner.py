"""A whole run: tasks in dependency order (independent ones side by side), stop at a failure."""
from __future__ import annotations

import datetime
import sys
import threading
import uuid
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from kubeflow.local_backend import driver, launcher
from kubeflow.local_backend import spec as spec_module
from kubeflow.local_backend.connection import open_mysql_store
from kubeflow.local_backend.records import RunRecords
from kubeflow.local_backend.spec import RESOLVER, PipelineSpec
from kubeflow.local_backend.tasks import TaskResult, TaskRunner
from pipeline.paths import PROJECT_ROOT


class UnsupportedBackendError(ValueError):
    """The chosen backend would refuse this spec at submission."""


@dataclass(frozen=True)
class RunOptions:
    """One run of a compiled spec: where outputs go, which MLMD, which backend's behaviour."""

    pipeline_root: str
    metadata: dict  # {"mysql": {...}}: the backend's MLMD
    mode: str = driver.VERTEX
    parameters: dict = field(default_factory=dict)
    run_id: str | None = None  # an existing run's id re-runs `tasks` of that run
    tasks: tuple[str, ...] = ()  # only these (with a run_id: a retry of them)
    parallel: int = 1
    use_cache: bool = True
    python: str = sys.executable


@dataclass
class RunResult:
    """A run's id, job name and the result of each task that was driven."""

    run_id: str
    job_name: str
    pipeline_name: str
    results: dict  # task name -> TaskResult
    failure: launcher.TaskFailed | None = None
    seconds: float = 0.0


def open_source_refusals(pipeline: PipelineSpec) -> list[str]:
    """What the open-source KFP backend refuses in this spec (its argo compiler's messages)."""
    resolvers = [t.name for t in pipeline.tasks if t.kind == RESOLVER]
    if resolvers:
        return [f"resolver executors not implemented (tasks {', '.join(resolvers)}): the "
                "open-source backend has no artifact queries; compile with --no-baseline"]
    return []


def run_pipeline(pipeline: PipelineSpec, options: RunOptions) -> RunResult:
    """Runs the spec (or `options.tasks` of run `options.run_id`) and records it in MLMD."""
    if options.mode not in (driver.VERTEX, driver.OPEN_SOURCE):
        raise ValueError(f"mode must be {driver.VERTEX} or {driver.OPEN_SOURCE}")
    if options.mode == driver.OPEN_SOURCE and (refusals := open_source_refusals(pipeline)):
        raise UnsupportedBackendError("the open-source KFP backend would refuse this spec: "
                                      + "; ".join(refusals))
    parameters = pipeline.parameters(options.parameters)
    chosen = [pipeline.task(name) for name in options.tasks] or pipeline.tasks
    store = open_mysql_store(options.metadata)
    run_id = options.run_id or uuid.uuid4().hex
    records = RunRecords(store, pipeline.name, run_id)
    upstream = _recorded_upstream(pipeline, records, chosen) if options.run_id else {}
    now = datetime.datetime.now(datetime.timezone.utc)
    run = driver.RunContext(pipeline.name, options.pipeline_root, run_id,
                            f"{pipeline.name}-{now:%Y%m%d%H%M%S}", now.isoformat(), parameters,
                            options.mode)
    records.set_run_facts(pipeline_root=options.pipeline_root, mode=options.mode,
                          job_name=run.job_name, state="RUNNING")
    runner = TaskRunner(run, records, launcher.environment(options.python, PROJECT_ROOT),
                        threading.Lock(), use_cache=options.use_cache and not options.run_id)
    result = RunResult(run_id, run.job_name, pipeline.name, {})
    result.failure = _schedule(runner, chosen, upstream, result.results, options.parallel)
    records.set_run_facts(state="FAILED" if result.failure else "SUCCEEDED")
    result.seconds = (datetime.datetime.now(datetime.timezone.utc) - now).total_seconds()
    return result


def _recorded_upstream(pipeline, records, chosen) -> dict:
    """For a task re-run: each upstream task's finished record in that run."""
    upstream, chosen_names = {}, {t.name for t in chosen}
    for task in chosen:
        for name in set(task.upstream) - chosen_names:
            record = records.finished(name)
            if record is None:
                raise spec_module.SpecError(f"run {records.run_id} has no finished {name}, "
                                            f"which {task.name} needs")
            upstream[name] = record
    return upstream


def _schedule(runner: TaskRunner, tasks: list, upstream: dict, results: dict,
              parallel: int) -> launcher.TaskFailed | None:
    """Starts each task once its upstream tasks are done, at most `parallel` at a time."""
    pending, running, failure = list(tasks), {}, None
    done = set(upstream)
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        while (pending and failure is None) or running:
            ready = [t for t in pending if set(t.upstream) <= done] if failure is None else []
            for task in ready[:max(0, parallel - len(running))]:
                pending.remove(task)
                running[pool.submit(runner.execute, task, dict(upstream))] = task
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                task = running.pop(future)
                try:
                    result: TaskResult = future.result()
                except Exception as err:  # noqa: BLE001 - any task error ends the run
                    failure = failure or (err if isinstance(err, launcher.TaskFailed) else
                                          launcher.TaskFailed(task.name, _cause(err)))
                    results[task.name] = TaskResult(task.name, "FAILED", None)
                    continue
                results[task.name] = result
                upstream[task.name] = result.record
                done.add(task.name)
    if failure is None and pending:
        names = ", ".join(t.name for t in pending)
        raise spec_module.SpecError(f"tasks {names} wait on tasks outside this run")
    return failure


def _cause(err: Exception) -> str:
    first = str(err).strip().splitlines()
    return f"{type(err).__name__}: {first[0] if first else ''}"
