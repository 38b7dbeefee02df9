import * as fs from 'node:fs';
import * as path from 'node:path';
import { UploadSpool, type UploadKey } from './upload-spool';

/**
 * The upload spools open in this process, by file, so an `upload:begin` that resumes an upload
 * this process already spools gets the live spool — its sha256 state is current, nothing is read
 * back or hashed again — and two begins of one update share one spool instead of two descriptors
 * writing one file. After a restart a spool is opened from disk once, on its first begin (a
 * node:crypto Hash cannot be persisted, so its prefix is re-hashed then: ~0.13 s for an 80 MB
 * DenseNet201 update, once; chunk-level hashes would save that at the price of a second hash
 * format on the wire). Also removes the spool folders of rounds that are over.
 *
 * @example
 * const spool = shelf.spoolFor(key); // live, or opened (and re-hashed) from disk once
 * shelf.removeRound(studyId, 3); // round 3 completed: its partial uploads go
 */
export class SpoolShelf {
  private readonly live = new Map<string, UploadSpool>();

  constructor(private readonly root: string) {}

  /**
   * The spool of `key`. Opening a new one closes the site's other spools in the study (an update
   * replaces the site's earlier one; `UploadSpool.open` removes their files in this round).
   */
  spoolFor(key: UploadKey): UploadSpool {
    const file = UploadSpool.fileOf(this.root, key);
    const live = this.live.get(file);
    if (live?.isOpen) return live;
    for (const [f, s] of this.live) {
      if (s.key.studyId !== key.studyId || s.key.siteId !== key.siteId) continue;
      s.close();
      this.live.delete(f);
    }
    const spool = UploadSpool.open(this.root, key);
    this.live.set(file, spool);
    return spool;
  }

  /** Spools this process holds open (for tests and metrics). */
  get size(): number {
    return this.live.size;
  }

  /** Removes round `round` of a study's spool folder, closing its live spools: the round is over. */
  removeRound(studyId: string, round: number): void {
    for (const [f, s] of this.live) {
      if (s.key.studyId !== studyId || s.key.round !== round) continue;
      s.close();
      this.live.delete(f);
    }
    fs.rmSync(UploadSpool.roundDir(this.root, studyId, round), { recursive: true, force: true });
  }

  /**
   * At start-up, before any upload: removes every round folder `open` says is over, and in the
   * others the verified files a killed coordinator left behind (nothing is being verified yet).
   * Returns the folders and files removed.
   */
  async sweep(open: (studyId: string, round: number) => Promise<boolean>): Promise<string[]> {
    const removed: string[] = [];
    for (const study of readdir(this.root)) {
      for (const round of readdir(path.join(this.root, study))) {
        const dir = path.join(this.root, study, round);
        if (!/^\d+$/.test(round) || !(await open(study, Number(round)))) {
          fs.rmSync(dir, { recursive: true, force: true });
          removed.push(dir);
          continue;
        }
        for (const f of readdir(dir).filter((f) => f.endsWith('.verified'))) {
          fs.rmSync(path.join(dir, f), { force: true });
          removed.push(path.join(dir, f));
        }
      }
      if (readdir(path.join(this.root, study)).length === 0)
        fs.rmSync(path.join(this.root, study), { recursive: true, force: true });
    }
    return removed;
  }
}

function readdir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
