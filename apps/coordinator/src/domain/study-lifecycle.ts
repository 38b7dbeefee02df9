/**
 * Study-level lifecycle, separate from the per-round machine: a study is created as `draft`, the lead
 * starts, pauses, resumes or aborts it; it completes when its last round does, or fails when a round
 * fails. Pausing stops new rounds from starting; the round in flight is left to its own machine.
 */
export const STUDY_STATUSES = ['draft', 'running', 'paused', 'completed', 'aborted', 'failed'] as const;
export type StudyStatus = (typeof STUDY_STATUSES)[number];

export const STUDY_COMMANDS = ['start', 'pause', 'resume', 'abort', 'complete', 'fail'] as const;
export type StudyCommand = (typeof STUDY_COMMANDS)[number];

const TABLE: Record<StudyCommand, Partial<Record<StudyStatus, StudyStatus>>> = {
  start: { draft: 'running' },
  pause: { running: 'paused' },
  resume: { paused: 'running' },
  abort: { draft: 'aborted', running: 'aborted', paused: 'aborted' },
  complete: { running: 'completed', paused: 'completed' },
  fail: { running: 'failed', paused: 'failed' },
};

/**
 * The status after `command`, or `null` when the command is not allowed from `status`.
 *
 * @example
 * nextStudyStatus('running', 'pause'); // 'paused'
 * nextStudyStatus('completed', 'start'); // null
 */
export function nextStudyStatus(status: StudyStatus, command: StudyCommand): StudyStatus | null {
  return TABLE[command][status] ?? null;
}
