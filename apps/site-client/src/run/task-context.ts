import type { TaskPayload } from '@fedaln/protocol';
import type { SiteData } from '../data/site-data';
import type { ProgressLine } from '../progress/progress-line';
import type { WorkDir } from '../transfer/work-dir';
import type { SiteSocket } from './site-socket';
import type { SecureSessions } from './secure-aggregation';
import type { ValidationScores } from './validation-scores';

/** What a task needs from the running client. */
export interface TaskContext {
  socket: SiteSocket;
  work: WorkDir;
  data: SiteData;
  progress: ProgressLine;
  log: (line: string) => void;
  seed: number;
  /** The study's input size: the task's own when it carries one, else `--input-size`. */
  inputSize: (task: TaskPayload) => number;
  signal: AbortSignal;
  /** Secure-aggregation sessions of this socket (train tasks that carry `secure_aggregation`). */
  secure: SecureSessions;
  /** Each evaluated round's validation scores, for the post-training fits (issue 15). */
  validationScores: ValidationScores;
}
