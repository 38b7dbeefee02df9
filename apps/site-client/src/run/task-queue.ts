import type { TaskPayload } from '@fedaln/protocol';

/** Identity of a task: a coordinator that re-sends a task (after a reconnect) sends the same key. */
export function taskKey(task: Pick<TaskPayload, 'kind' | 'study_id' | 'round' | 'model_version'>): string {
  return `${task.kind}:${task.study_id}:${task.round}:${task.model_version}`;
}

/**
 * Tasks in arrival order, each at most once while it is queued or running: a re-sent task joins
 * nothing. Finished keys are remembered, so a late duplicate of a finished task is not run again.
 *
 * @example
 * const q = new TaskQueue(); q.offer(t); q.offer(t); q.take(); // t, once
 */
export class TaskQueue {
  private readonly queued: TaskPayload[] = [];
  private readonly known = new Set<string>();
  private readonly finished = new Set<string>();

  /** Adds the task unless it is queued, running or finished; returns whether it was added. */
  offer(task: TaskPayload): boolean {
    const key = taskKey(task);
    if (this.known.has(key) || this.finished.has(key)) return false;
    this.known.add(key);
    this.queued.push(task);
    return true;
  }

  take(): TaskPayload | undefined {
    return this.queued.shift();
  }

  /** Puts a task that stopped on a lost connection back at the front, to run after reconnecting. */
  retry(task: TaskPayload): void {
    this.queued.unshift(task);
  }

  /** The task is done (or refused for good): forget it as pending, remember it as finished. */
  finish(task: TaskPayload): void {
    const key = taskKey(task);
    this.known.delete(key);
    this.finished.add(key);
  }

  get size(): number {
    return this.queued.length;
  }
}
