import { describe, expect, it } from '@jest/globals';
import {
  STUDY_COMMANDS,
  STUDY_STATUSES,
  nextStudyStatus,
  type StudyCommand,
  type StudyStatus,
} from './study-lifecycle';

// Hand-written specification: only live studies can be paused/aborted, only paused ones resumed,
// only drafts started; completed/aborted/failed are terminal.
const allowed: Array<[StudyStatus, StudyCommand, StudyStatus]> = [
  ['draft', 'start', 'running'],
  ['draft', 'abort', 'aborted'],
  ['running', 'pause', 'paused'],
  ['running', 'abort', 'aborted'],
  ['running', 'complete', 'completed'],
  ['running', 'fail', 'failed'],
  ['paused', 'resume', 'running'],
  ['paused', 'abort', 'aborted'],
  ['paused', 'complete', 'completed'],
  ['paused', 'fail', 'failed'],
];

describe('nextStudyStatus', () => {
  const pairs = STUDY_STATUSES.flatMap((s) => STUDY_COMMANDS.map((c) => [s, c] as const));
  it.each(pairs)('%s + %s', (status, command) => {
    const row = allowed.find(([s, c]) => s === status && c === command);
    expect(nextStudyStatus(status, command)).toBe(row ? row[2] : null);
  });
});
