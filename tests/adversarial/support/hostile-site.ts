/**
 * A hostile site (issue 13): enrolled like any other and speaking the same typed `/site` contract
 * (`@fedaln/protocol` via `ScriptedSite`), but it sends whatever the protocol lets it send —
 * payloads the honest client would never build, at any rate, and answers of its own choosing.
 */
import {
  SiteEvent,
  type Ack,
  type ClientToServerEvents,
  type FeatureStatsAccepted,
  type FeatureStatsRequest,
  type HelloPayload,
  type ProtocolError,
  type TaskPayload,
} from '@fedaln/protocol';
import { HELLO, ScriptedSite, connectSite } from '../../e2e/support/site-client';
import type { EnrolledSite, Federation } from './federation';

type RequestEvent = keyof ClientToServerEvents;
/** The payload an event's handler takes (its first parameter). */
type PayloadOf<E extends RequestEvent> = Parameters<ClientToServerEvents[E]>[0];

export class HostileSite extends ScriptedSite {
  /** `error` events the coordinator sent this socket. */
  readonly errors: ProtocolError[] = [];
  /** Resolves with socket.io's reason when the connection ends. */
  readonly disconnected: Promise<string>;

  private constructor(
    readonly enrolled: EnrolledSite,
    socket: ScriptedSite['socket'],
  ) {
    super(socket);
    socket.on(SiteEvent.error, (e) => this.errors.push(e));
    this.disconnected = new Promise((resolve) => socket.once('disconnect', resolve));
  }

  /** Enrols `name` with the lead, connects with its token and, unless `hello` is null, says hello. */
  static async join(
    federation: Federation,
    name: string,
    hello: HelloPayload | null = HELLO,
    enrolled?: EnrolledSite,
  ): Promise<HostileSite> {
    const site = enrolled ?? (await federation.enrol(name));
    const hostile = new HostileSite(site, await connectSite(federation.coordinator.baseUrl, site.token));
    if (hello) await hostile.send(SiteEvent.hello, hello);
    return hostile;
  }

  /**
   * Sends `payload` as `event` and resolves the coordinator's ack. The payload is typed as the
   * contract's where it can be; `crafted` lets a test send what the contract forbids.
   */
  send<E extends RequestEvent>(event: E, payload: PayloadOf<E> | Crafted, timeoutMs = 30_000): Promise<Ack> {
    const emit = this.socket.timeout(timeoutMs).emitWithAck as (e: E, p: unknown) => Promise<Ack>;
    return emit.call(this.socket.timeout(timeoutMs), event, payload);
  }

  /** Sends `report` (anything) as its `metrics:report` for the evaluate task `task`; resolves the ack. */
  sendReport(task: TaskPayload, report: unknown): Promise<Ack> {
    const { study_id, round, model_version, model_sha256 } = task;
    return this.send(
      SiteEvent.metricsReport,
      crafted({ study_id, round, model_version, model_sha256, report }),
    );
  }

  /** Answers every `features:stats` request with `answer(req)`, whatever its shape. */
  answerFeatureStats(answer: (req: FeatureStatsRequest) => Crafted | Ack<FeatureStatsAccepted>): void {
    this.socket.on(SiteEvent.featuresStats, (req, ack) => ack(answer(req) as Ack<FeatureStatsAccepted>));
  }
}

/** A payload the typed contract would refuse to compile, built on purpose by a test. */
export interface Crafted {
  readonly [field: string]: unknown;
}

/** `value` sent as is, whatever the contract says that field holds. */
export const crafted = <T extends object>(value: T): Crafted => value as unknown as Crafted;
