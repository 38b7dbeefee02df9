import type {
  MetricsReceivedEvent,
  SiteStatusEvent,
  TrainingProgressEvent,
  TransferProgressEvent,
} from '@fedaln/protocol';

/**
 * Port: what the lead's dashboard is told live besides round changes, which it takes from
 * `RoundChanges` (the `/monitor` gateway implements it).
 */
export abstract class MonitorFeed {
  abstract siteStatus(e: SiteStatusEvent): void;
  abstract transferProgress(e: TransferProgressEvent): void;
  abstract metricsReceived(e: MetricsReceivedEvent): void;
  abstract trainingProgress(e: TrainingProgressEvent): void;
}

/** For runs without a dashboard attached (tests, the CLI). */
export class SilentMonitorFeed extends MonitorFeed {
  siteStatus(): void {}
  transferProgress(): void {}
  metricsReceived(): void {}
  trainingProgress(): void {}
}
