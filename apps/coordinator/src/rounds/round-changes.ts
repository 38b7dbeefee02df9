import type { Participant, Round, Study } from '../domain/records';
import type { RoundEffect, RoundEventType, RoundState } from './round-machine';

/**
 * One persisted step of a round: the round as it now stands, where it came from, and the outside
 * effects the round machine asked for (telling sites to train or evaluate, aggregating, arming the
 * deadline, recording the verdict). `from` is null when the round was just opened.
 */
export interface RoundChange {
  readonly study: Study;
  readonly round: Round;
  readonly from: RoundState | null;
  readonly event: RoundEventType | 'opened';
  readonly effects: readonly RoundEffect[];
  /** For an `aggregate` effect: the uploads to aggregate, as persisted. */
  readonly uploads: readonly Participant[];
}

export type RoundChangeListener = (change: RoundChange) => Promise<void> | void;

/**
 * The port `RoundsService` publishes every round change to, once it is persisted (one change per
 * transition, and one when a round opens). Whoever acts on changes — the site task dispatch, the
 * deadline timers, the aggregation, the evaluation verdict, the `/monitor` feed — subscribes; the
 * service never calls them back by name, so nothing has to be bound after the object graph exists.
 *
 * `publish` runs the listeners in subscription order and waits for each, so a change is fully acted
 * on before the service takes its next step (listeners that start long work, like aggregation, do
 * not await it). A listener's failure is the publisher's failure.
 *
 * @example
 * changes.subscribe((c) => { if (c.round.state === 'failed') aggregator.drop(c.study.id); });
 * await changes.publish({ study, round, from: 'training', event: 'allUploaded', effects, uploads });
 */
export abstract class RoundChanges {
  abstract subscribe(listener: RoundChangeListener): void;
  abstract publish(change: RoundChange): Promise<void>;
}

/** In-process fan-out: the coordinator runs as one process. */
export class LocalRoundChanges extends RoundChanges {
  private readonly listeners: RoundChangeListener[] = [];

  subscribe(listener: RoundChangeListener): void {
    this.listeners.push(listener);
  }

  async publish(change: RoundChange): Promise<void> {
    for (const listener of this.listeners) await listener(change);
  }
}

/** The effect of type `T` in a change, if the machine asked for one. */
export function effectOf<T extends RoundEffect['type']>(
  change: Pick<RoundChange, 'effects'>,
  type: T,
): Extract<RoundEffect, { type: T }> | undefined {
  return change.effects.find((e): e is Extract<RoundEffect, { type: T }> => e.type === type);
}
