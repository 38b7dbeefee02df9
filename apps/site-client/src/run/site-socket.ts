import type { Ack, ClientToServerEvents, ProtocolErrorCode, ServerToClientEvents } from '@fedaln/protocol';
import type { Socket } from 'socket.io-client';

/** The client end of the `/site` namespace, typed by the shared contract (STYLE.md habit 7). */
export type SiteSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** The coordinator refused a request: its coded reason, printed as given. */
export class ProtocolRefusal extends Error {
  override readonly name = 'ProtocolRefusal';
  constructor(
    readonly code: ProtocolErrorCode,
    readonly event: string,
    reason: string,
  ) {
    super(`coordinator refused ${event}: ${code}: ${reason}`);
  }
}

/** Ack timeout for control messages; frames have their own. */
export const ACK_TIMEOUT_MS = 30_000;

/** Events whose ack carries an {@link Ack}. */
type AckedEvent = keyof ClientToServerEvents;
type Payload<E extends AckedEvent> = Parameters<ClientToServerEvents[E]>[0];
type AckOf<E extends AckedEvent> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];

/**
 * Emits `event` and resolves with the accepted ack; a refusal becomes a {@link ProtocolRefusal} with
 * the server's code and reason, a lost ack a timeout error.
 *
 * @example const begin = await request(socket, SiteEvent.uploadBegin, { study_id, round, sha256, bytes, n_train });
 */
export async function request<E extends AckedEvent>(
  socket: SiteSocket,
  event: E,
  payload: Payload<E>,
  timeoutMs = ACK_TIMEOUT_MS,
): Promise<Extract<AckOf<E>, { ok: true }>> {
  // socket.io's typings cannot follow a generic event name through emitWithAck's overloads.
  const timed = socket.timeout(timeoutMs);
  const emit = timed.emitWithAck as unknown as (e: E, p: Payload<E>) => Promise<Ack>;
  const ack = (await emit.call(timed, event, payload)) as AckOf<E>;
  if (!ack.ok) throw new ProtocolRefusal(ack.code, event, ack.message);
  return ack as Extract<AckOf<E>, { ok: true }>;
}
