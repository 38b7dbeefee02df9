import { beforeAll, describe, expect, it } from '@jest/globals';
import { changeOf, inMemoryCoordinator, seedRound } from '../../../../tests/medium/coordinator-in-memory';
import { effectOf, LocalRoundChanges, type RoundChange } from './round-changes';

/** A promise the test settles by hand, to hold a listener mid-flight. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => undefined as void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('LocalRoundChanges', () => {
  let change: RoundChange;
  beforeAll(async () => {
    const { study, round } = await seedRound(inMemoryCoordinator(), { sites: ['a'], state: 'training' });
    change = changeOf(study, round, [{ type: 'aggregate' }]);
  });

  it('runs listeners in subscription order, each awaited before the next, and resolves after the last', async () => {
    const changes = new LocalRoundChanges();
    const trace: string[] = [];
    const first = gate();
    changes.subscribe(async () => {
      trace.push('first:start');
      await first.opened;
      trace.push('first:end');
    });
    changes.subscribe(() => {
      trace.push('second');
    });
    let published = false;
    const publishing = changes.publish(change).then(() => (published = true));
    await new Promise((r) => setImmediate(r)); // let every ready callback run
    expect(trace).toEqual(['first:start']); // the second waits for the first
    expect(published).toBe(false);
    first.open();
    await publishing;
    expect(trace).toEqual(['first:start', 'first:end', 'second']);
  });

  it('hands every listener the same change', async () => {
    const changes = new LocalRoundChanges();
    const seen: RoundChange[] = [];
    changes.subscribe((c) => void seen.push(c));
    changes.subscribe((c) => void seen.push(c));
    await changes.publish(change);
    expect(seen).toEqual([change, change]);
  });

  it("fails the publish with a listener's failure, and the later listeners do not run", async () => {
    const changes = new LocalRoundChanges();
    const ran: string[] = [];
    changes.subscribe(async () => {
      throw new Error('dispatch failed');
    });
    changes.subscribe(() => void ran.push('later'));
    await expect(changes.publish(change)).rejects.toThrow('dispatch failed');
    expect(ran).toEqual([]);
  });

  it('effectOf finds the effect of a type, or nothing', () => {
    expect(effectOf(change, 'aggregate')).toEqual({ type: 'aggregate' });
    expect(effectOf(change, 'scheduleDeadline')).toBeUndefined();
  });
});
