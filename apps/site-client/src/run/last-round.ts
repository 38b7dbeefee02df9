import type { TaskPayload } from '@fedaln/protocol';

/**
 * Whether finishing `task` ends this site's part in its study: it is the evaluate task of the
 * study's last round (`rounds` counts from 1, as `round` does). `run --once` exits after it.
 *
 * @example servesLastRound({ kind: 'evaluate', round: 3, rounds: 3 }) // true
 */
export function servesLastRound(task: Pick<TaskPayload, 'kind' | 'round' | 'rounds'>): boolean {
  return task.kind === 'evaluate' && task.round >= task.rounds;
}
