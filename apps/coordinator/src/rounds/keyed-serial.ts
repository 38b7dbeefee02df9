/**
 * Runs tasks with the same key one after another (a per-study mutex), so two events of one study
 * never interleave their read-decide-persist steps; different studies run concurrently.
 *
 * @example
 * const serial = new KeyedSerial();
 * await serial.run(studyId, () => applyEvent());
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
