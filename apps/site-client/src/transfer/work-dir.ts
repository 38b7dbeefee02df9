import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { MetricsReportPayload } from '@fedaln/protocol';
import { parseUploadState, type UploadState } from './upload-state';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Folders of the work directory: the site's own user only (issue 14), whatever the umask. */
const PRIVATE_DIR_MODE = 0o700;
/** Files: owner read/write only. */
const PRIVATE_FILE_MODE = 0o600;

/** Downloaded global models kept in `models/` (the current and the one before), besides pinned ones. */
export const MODELS_KEPT = 2;

/** Writes via a temporary file and a rename, so a crash never leaves a half-written file under the name. */
async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, data, { mode: PRIVATE_FILE_MODE });
  await fs.rename(tmp, file);
}

/** Whether a process with this id runs now (a temporary of a live writer is left alone). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The client's work directory: the last {@link MODELS_KEPT} downloaded global models by sha256
 * (`models/<sha256>.blob`, plus any pinned with `models/<sha256>.pin`),
 * unfinished uploads (`uploads/<study>-r<round>.blob` + `.json` state), and a copy of every
 * evaluation report the client sent (`reports/<study>-r<round>.json`, the payload as sent), for the
 * site's own audit (`scripts/privacy-audit`). No patient data: weights, their deltas, and reports under
 * the privacy rule; FedBN studies also keep the site's BatchNorm weights (`batchnorm/<study>.blob`). Folders are created 0700 and files 0600 (issue 14).
 */
export class WorkDir {
  constructor(readonly dir: string) {}

  /** The folder of the reports this client sent. */
  get reportsDir(): string {
    return path.join(this.dir, 'reports');
  }

  /**
   * Creates the folders (0700; an existing work directory is narrowed to 0700) and removes temporaries
   * a killed client left half-written (see writeAtomic).
   */
  async init(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    await fs.chmod(this.dir, PRIVATE_DIR_MODE);
    for (const sub of ['models', 'uploads', 'reports', 'batchnorm']) {
      const dir = path.join(this.dir, sub);
      await fs.mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
      for (const name of await fs.readdir(dir)) {
        const pid = /\.(\d+)\.tmp$/.exec(name)?.[1];
        // Our own pid too: this process has written nothing yet, and in a container every start
        // is pid 1, so a killed predecessor's temporaries carry it.
        const stale = pid !== undefined && (Number(pid) === process.pid || !isRunning(Number(pid)));
        if (stale) await fs.rm(path.join(dir, name), { force: true });
      }
    }
  }

  /**
   * Keeps a copy of a report this client sent (the whole `metrics:report` payload, with the privacy
   * rule's k it was built with), 0600; a later report for the same study and round replaces it, as it
   * does at the coordinator.
   *
   * @example await work.saveSentReport(payload, 5); // reports/<study>-r<round>.json
   */
  async saveSentReport(payload: MetricsReportPayload, minCellCount: number): Promise<string> {
    await fs.mkdir(this.reportsDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const name = `${payload.study_id.replace(/[^\w.-]/g, '_')}-r${payload.round}.json`;
    const file = path.join(this.reportsDir, name);
    const copy = { sent_at: new Date().toISOString(), min_cell_count: minCellCount, ...payload };
    await writeAtomic(file, `${JSON.stringify(copy, null, 2)}\n`);
    return file;
  }

  private batchNormFile(studyId: string): string {
    return path.join(this.dir, 'batchnorm', `${studyId.replace(/[^\w.-]/g, '_')}.blob`);
  }

  /** FedBN: this site's BatchNorm weights of a study (an f32 blob), or null before its first round. */
  async localBatchNorm(studyId: string): Promise<Uint8Array | null> {
    return fs.readFile(this.batchNormFile(studyId)).catch(() => null);
  }

  async saveLocalBatchNorm(studyId: string, blob: Uint8Array): Promise<void> {
    await fs.mkdir(path.join(this.dir, 'batchnorm'), { recursive: true, mode: PRIVATE_DIR_MODE });
    await writeAtomic(this.batchNormFile(studyId), blob);
  }

  private modelFile(sha: string): string {
    return path.join(this.dir, 'models', `${sha}.blob`);
  }

  private uploadBase(studyId: string, round: number): string {
    return path.join(this.dir, 'uploads', `${studyId.replace(/[^\w.-]/g, '_')}-r${round}`);
  }

  /** A cached global model, or null when absent or its bytes no longer hash to its name. A hit counts as a use (storeModel keeps the most recent). */
  async cachedModel(sha: string): Promise<Uint8Array | null> {
    const bytes = await fs.readFile(this.modelFile(sha)).catch(() => null);
    if (bytes === null || sha256(bytes) !== sha) return null;
    await this.noteModelUse(sha);
    return bytes;
  }

  /**
   * Stores a downloaded global model and removes all but the {@link MODELS_KEPT} most recently
   * stored or used ones (a run of 200 rounds would otherwise keep 200), never a pinned one. The
   * order is kept in `models/recent.json` (file times are too coarse to order two quick rounds).
   *
   * @example await work.storeModel(task.model_sha256, bytes); // models/<sha>.blob, older ones pruned
   */
  async storeModel(sha: string, bytes: Uint8Array): Promise<void> {
    await writeAtomic(this.modelFile(sha), bytes);
    const recent = await this.noteModelUse(sha);
    const keep = new Set(recent.slice(0, MODELS_KEPT));
    const names = await fs.readdir(path.join(this.dir, 'models'));
    for (const name of names) {
      const other = /^([0-9a-f]{64})\.blob$/.exec(name)?.[1];
      if (other === undefined || keep.has(other) || names.includes(`${other}.pin`)) continue;
      await fs.rm(this.modelFile(other), { force: true });
    }
  }

  /** Puts `sha` first in `models/recent.json` (most recent first, at most MODELS_KEPT); returns the list. */
  private async noteModelUse(sha: string): Promise<string[]> {
    const file = path.join(this.dir, 'models', 'recent.json');
    const text = await fs.readFile(file, 'utf8').catch(() => '[]');
    let before: unknown;
    try {
      before = JSON.parse(text);
    } catch {
      before = []; // a damaged list only costs a download
    }
    const earlier = Array.isArray(before) ? before.filter((s): s is string => typeof s === 'string') : [];
    const recent = [sha, ...earlier.filter((s) => s !== sha)].slice(0, MODELS_KEPT);
    await writeAtomic(file, JSON.stringify(recent));
    return recent;
  }

  /** Keeps a downloaded model whatever storeModel prunes (a model a release or a pull still needs). */
  async pinModel(sha: string): Promise<void> {
    await writeAtomic(path.join(this.dir, 'models', `${sha}.pin`), '');
  }

  /** Lets storeModel prune the model again. */
  async unpinModel(sha: string): Promise<void> {
    await fs.rm(path.join(this.dir, 'models', `${sha}.pin`), { force: true });
  }

  /** A saved unfinished upload for this study and round whose blob is intact, or null. */
  async pendingUpload(
    studyId: string,
    round: number,
  ): Promise<{ state: UploadState; blob: Uint8Array } | null> {
    const base = this.uploadBase(studyId, round);
    const text = await fs.readFile(`${base}.json`, 'utf8').catch(() => null);
    if (text === null) return null;
    let state: UploadState;
    try {
      state = parseUploadState(text, `${base}.json`);
    } catch {
      return null;
    }
    const blob = await fs.readFile(`${base}.blob`).catch(() => null);
    if (blob === null || blob.length !== state.bytes || sha256(blob) !== state.sha256) return null;
    return { state, blob };
  }

  /** Saves the encoded update first, then its state: a state file always has its blob. */
  async saveUpload(state: UploadState, blob: Uint8Array): Promise<void> {
    const base = this.uploadBase(state.study_id, state.round);
    await writeAtomic(`${base}.blob`, blob);
    await this.saveUploadState(state);
  }

  async saveUploadState(state: UploadState): Promise<void> {
    await writeAtomic(`${this.uploadBase(state.study_id, state.round)}.json`, JSON.stringify(state));
  }

  async dropUpload(studyId: string, round: number): Promise<void> {
    const base = this.uploadBase(studyId, round);
    await fs.rm(`${base}.json`, { force: true });
    await fs.rm(`${base}.blob`, { force: true });
  }
}
