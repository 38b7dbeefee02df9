import type {
  MetricsReceivedEvent,
  RoundStateEvent,
  SiteStatusEvent,
  TrainingProgressEvent,
  TransferProgressEvent,
} from '@fedaln/protocol';

/** Port: what the lead's dashboard is told live (the `/monitor` namespace implements it). */
export abstract class MonitorFeed {
  abstract roundState(e: RoundStateEvent): void;
  abstract siteStatus(e: SiteStatusEvent): void;
  abstract transferProgress(e: TransferProgressEvent): void;
  abstract metricsReceived(e: MetricsReceivedEvent): void;
  abstract trainingProgress(e: TrainingProgressEvent): void;
}

/** For runs without a dashboard attached (tests, the CLI). */
export class SilentMonitorFeed extends MonitorFeed {
  roundState(): void {}
  siteStatus(): void {}
  transferProgress(): void {}
  metricsReceived(): void {}
  trainingProgress(): void {}
}
