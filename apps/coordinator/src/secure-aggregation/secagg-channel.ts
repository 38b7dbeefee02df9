import type {
  Ack,
  SecAggDeliverPayload,
  SecAggRosterPayload,
  SecAggUnmaskAccepted,
  SecAggUnmaskRequest,
} from '@fedaln/protocol';

/** How the coordinator reaches one connected site for the `secagg:*` rounds (the gateway's socket). */
export interface SecAggChannel {
  roster(payload: SecAggRosterPayload): void;
  deliver(payload: SecAggDeliverPayload): void;
  /** `secagg:unmask` and the site's acknowledgement (the gateway adds the timeout). */
  unmask(request: SecAggUnmaskRequest): Promise<Ack<SecAggUnmaskAccepted>>;
}
