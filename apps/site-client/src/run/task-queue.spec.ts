import { describe, expect, it } from '@jest/globals';
import type { TaskPayload } from '@fedaln/protocol';
import { TaskQueue, taskKey } from './task-queue';

const task = (kind: 'train' | 'evaluate', round: number): TaskPayload => ({
  kind,
  study_id: 's',
  round,
  model_version: kind === 'train' ? round - 1 : round,
  model_sha256: 'a'.repeat(64),
  model_bytes: 10,
  arch: 'densenet-tiny',
  input_size: 32,
  rounds: 1,
  epochs: 1,
  batch_size: 8,
  learning_rate: 1e-3,
  deadline: '2026-01-01T00:00:00Z',
});

describe('TaskQueue', () => {
  it('runs a re-sent task once, in arrival order', () => {
    const q = new TaskQueue();
    expect(q.offer(task('train', 1))).toBe(true);
    expect(q.offer(task('train', 1))).toBe(false);
    expect(q.offer(task('evaluate', 1))).toBe(true);
    expect(q.take()).toEqual(task('train', 1));
    expect(q.offer(task('train', 1))).toBe(false); // running: still known
    expect(q.take()).toEqual(task('evaluate', 1));
    expect(q.take()).toBeUndefined();
  });

  it('does not run a finished task again, and puts an interrupted one first', () => {
    const q = new TaskQueue();
    q.offer(task('train', 1));
    const t = q.take()!;
    q.finish(t);
    expect(q.offer(task('train', 1))).toBe(false);
    q.offer(task('evaluate', 1));
    const e = q.take()!;
    q.offer(task('train', 2));
    q.retry(e);
    expect(q.take()).toBe(e);
    expect(q.size).toBe(1);
  });

  it('keys tasks by kind, study, round and model version', () => {
    expect(taskKey(task('train', 3))).toBe('train:s:3:2');
  });
});
