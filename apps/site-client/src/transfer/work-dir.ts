import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseUploadState, type UploadState } from './upload-state';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Writes via a temporary file and a rename, so a crash never leaves a half-written file under the name. */
async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, data);
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
 * The client's work directory: downloaded global models by sha256 (`models/<sha256>.blob`) and
 * unfinished uploads (`uploads/<study>-r<round>.blob` + `.json` state). Nothing here is patient data:
 * only model weights and their deltas.
 */
export class WorkDir {
  constructor(readonly dir: string) {}

  /** Creates the folders and removes temporaries a killed client left half-written (see writeAtomic). */
  async init(): Promise<void> {
    for (const sub of ['models', 'uploads']) {
      const dir = path.join(this.dir, sub);
      await fs.mkdir(dir, { recursive: true });
      for (const name of await fs.readdir(dir)) {
        const pid = /\.(\d+)\.tmp$/.exec(name)?.[1];
        // Our own pid too: this process has written nothing yet, and in a container every start
        // is pid 1, so a killed predecessor's temporaries carry it.
        const stale = pid !== undefined && (Number(pid) === process.pid || !isRunning(Number(pid)));
        if (stale) await fs.rm(path.join(dir, name), { force: true });
      }
    }
  }

  private modelFile(sha: string): string {
    return path.join(this.dir, 'models', `${sha}.blob`);
  }

  private uploadBase(studyId: string, round: number): string {
    return path.join(this.dir, 'uploads', `${studyId.replace(/[^\w.-]/g, '_')}-r${round}`);
  }

  /** A cached global model, or null when absent or its bytes no longer hash to its name. */
  async cachedModel(sha: string): Promise<Uint8Array | null> {
    const bytes = await fs.readFile(this.modelFile(sha)).catch(() => null);
    if (bytes === null) return null;
    return sha256(bytes) === sha ? bytes : null;
  }

  async storeModel(sha: string, bytes: Uint8Array): Promise<void> {
    await writeAtomic(this.modelFile(sha), bytes);
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
