import type { RoundState } from '../rounds/round-machine';
import type { AppLogger } from '../telemetry/logger';
import type { BlobReferences } from './blob-references';
import type { BlobStore } from './blob-store';

/** How long a blob this process wrote is kept before its reference must be committed. */
export const WRITE_GRACE_MS = 60_000;

/**
 * The retention rule of the blob store. Kept: every blob `BlobReferences` names — in any study —
 * (global model weights and FedAdam server states of every version, release weights, updates of
 * rounds not yet over), and every blob this process wrote since the sweep before last or in the
 * last {@link WRITE_GRACE_MS}, so a write whose row is not committed yet is never removed. Removed:
 * everything else, i.e. the updates of a round that completed or failed (or was reopened), and
 * blobs nothing committed a reference to (a crash between store and commit). A sweep runs after
 * every round that ends, and at boot before recovery (then with the temporaries a crash left).
 *
 * Crash-safe by order: a reference is dropped by a committed transaction before any sweep can see
 * the blob unreferenced, and a sweep only removes files, so a crash mid-sweep leaves unreferenced
 * files the next sweep removes, never a row naming a missing blob.
 *
 * @example
 * changes.subscribe((c) => retention.onChange(c)); // a round that ends asks for a sweep
 * await retention.atBoot(); // before RoundRecovery
 */
export class BlobRetention {
  /** When the previous sweep read the references (ms); none before the first. */
  private previousSnapshot = -Infinity;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly blobs: BlobStore,
    private readonly references: BlobReferences,
    private readonly logger: Pick<AppLogger, 'info' | 'warn'>,
    private readonly graceMs = WRITE_GRACE_MS,
  ) {}

  /** One sweep by the rule above. Resolves the sha256s removed. */
  async sweep(): Promise<string[]> {
    const snapshot = Date.now();
    const keep = await this.references.referenced();
    const storedBefore = Math.min(this.previousSnapshot, snapshot - this.graceMs);
    const removed = await this.blobs.removeUnreferenced((sha256) => keep.has(sha256), storedBefore);
    this.previousSnapshot = snapshot;
    return removed;
  }

  /** At start-up, while nothing writes: a crash's temporaries and every unreferenced blob. */
  async atBoot(): Promise<{ temporaries: string[]; blobs: string[] }> {
    const temporaries = await this.blobs.removeTemporaries();
    const blobs = await this.sweep();
    if (temporaries.length > 0)
      this.logger.warn({ files: temporaries }, 'removed blob temporaries a crash left behind');
    if (blobs.length > 0) this.logger.info({ blobs: blobs.length }, 'removed unreferenced blobs at boot');
    return { temporaries, blobs };
  }

  /** A round that ended (completed or failed) asks for a sweep; it runs after publish, one at a time. */
  onChange(change: { readonly round: { readonly state: RoundState } }): void {
    const { state } = change.round;
    if (state === 'completed' || state === 'failed') void this.request();
  }

  /** Resolves once no sweep runs or is asked for (tests, the soak bench). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private request(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.sweep();
        } catch (e) {
          this.logger.warn({ err: e }, 'blob store sweep failed; the next round end retries it');
        }
      } while (this.again);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }
}
