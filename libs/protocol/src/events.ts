/**
 * The socket contract between site clients and the coordinator (STYLE.md habit 7): event names as
 * constants and one events map per direction, used as socket.io generics on both sides:
 *
 *   new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>()
 *   io(url + SITE_NAMESPACE) as Socket<ServerToClientEvents, ClientToServerEvents>
 *
 * Flow on `/site`: `hello` → server `task` → model download (`download:begin`, then `download:frame`
 * requests whose acks carry binary frames) → `train:progress` while training (≤ 2/s) →
 * `upload:begin` (resumable) → `upload:frame`… → `upload:end` → after evaluating `metrics:report`.
 * Before a study's first evaluation the server asks sites with feature columns for `features:stats`
 * (aggregates, acked).
 * Studies with secure aggregation add the `secagg:*` rounds of secure-aggregation.ts around training.
 * Faults arrive as `error`.
 * Binary frames are `Uint8Array` (a Node `Buffer` is one); JSON never carries tensor data.
 */
import type { AckCallback, ProtocolError } from './error-codes';
import type { FeatureModelPayload, FeatureStatsAccepted, FeatureStatsRequest } from './feature-stats';
import type { MetricsReportPayload } from './metrics-report';
import type {
  NomogramCompareAccepted,
  NomogramCompareRequest,
  NomogramStatsAccepted,
  NomogramStatsRequest,
  StudyFinishedPayload,
} from './nomogram-fits';
import type {
  SecAggDeliverPayload,
  SecAggKeysPayload,
  SecAggRosterPayload,
  SecAggSharesPayload,
  SecAggUnmaskAccepted,
  SecAggUnmaskRequest,
  SecureAggregationTask,
} from './secure-aggregation';

export const SITE_NAMESPACE = '/site';
export const MONITOR_NAMESPACE = '/monitor';

/** Event names on the `/site` namespace. */
export const SiteEvent = {
  hello: 'hello',
  task: 'task',
  downloadBegin: 'download:begin',
  downloadFrame: 'download:frame',
  uploadBegin: 'upload:begin',
  uploadFrame: 'upload:frame',
  uploadEnd: 'upload:end',
  metricsReport: 'metrics:report',
  featuresStats: 'features:stats',
  nomogramStats: 'nomogram:stats',
  nomogramCompare: 'nomogram:compare',
  studyFinished: 'study:finished',
  trainProgress: 'train:progress',
  secaggKeys: 'secagg:keys',
  secaggRoster: 'secagg:roster',
  secaggShares: 'secagg:shares',
  secaggDeliver: 'secagg:deliver',
  secaggUnmask: 'secagg:unmask',
  error: 'error',
} as const;

/** Event names on the `/monitor` namespace (the lead's dashboard; read-only). */
export const MonitorEvent = {
  roundState: 'round:state',
  siteStatus: 'site:status',
  transferProgress: 'transfer:progress',
  metricsReceived: 'metrics:received',
  trainingProgress: 'training:progress',
} as const;

export type Engine = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** What a site says about itself after connecting. */
export interface HelloPayload {
  engine: Engine;
  cores: number;
  gpu: string | null;
  n_train: number;
  n_test: number;
  client_version: string;
  /** Measured training throughput, so the lead can see who will be late. */
  images_per_s: number;
  /** labels.csv has the four feature columns: the site answers `features:stats` (feature-stats.ts). */
  clinical_features?: boolean;
  /**
   * The mask PRGs this client can expand (secure aggregation, @fedaln/secagg `MASK_PRGS`); absent:
   * aes-256-ctr only (a client before the field). A study that names no `prg` masks with aes-128-ctr
   * only when every site of the session lists it.
   */
  secagg_prgs?: string[];
}

export interface HelloAccepted {
  site_id: string;
  server_version: string;
}

/**
 * Train tasks of a study with patient-level DP (issue 16): the site trains with DP-SGD — Poisson
 * sampling at `sampling_rate`, each record's gradient clipped to `clip_norm`, Gaussian noise of std
 * `noise_multiplier · clip_norm` on the sum — for exactly `steps` steps (what the coordinator's
 * accountant charges for the round).
 */
export interface DpTrainingPayload {
  noise_multiplier: number;
  clip_norm: number;
  sampling_rate: number;
  steps: number;
}

/** A unit of work for one site in one round. `deadline` is an ISO 8601 instant. */
export interface TaskPayload {
  kind: 'train' | 'evaluate';
  study_id: string;
  round: number;
  model_version: number;
  model_sha256: string;
  model_bytes: number;
  /** The study's architecture and input size (pixels), so a site builds the right model. */
  arch: string;
  input_size: number;
  /** Rounds the study runs in all; a site can tell when it has served the last one. */
  rounds: number;
  epochs: number;
  batch_size: number;
  learning_rate: number;
  deadline: string;
  /** Evaluate tasks: the federated four-feature model, when one was fitted (feature-stats.ts). */
  feature_model?: FeatureModelPayload;
  /**
   * Evaluate tasks: k of the study's privacy rule (every count in the report covers 0 or ≥ k cases of
   * a class; @fedaln/metrics privacy-rule.ts). Absent: 5. The coordinator refuses a report under it.
   */
  min_cell_count?: number;
  /** Train tasks of a DP study: train with DP-SGD at these settings (absent: plain training). */
  dp?: DpTrainingPayload;
  /** Train tasks of a study with `secure_aggregation`: this site's session (secure-aggregation.ts). */
  secure_aggregation?: SecureAggregationTask;
  /**
   * What the study's strategy asks of a site (train and evaluate tasks); absent: FedAvg, as every task
   * before issue 15. The server-only FedAdam is `fedavg` here.
   */
  strategy?: SiteStrategy;
  /**
   * Share of the site's train cases held out, seeded and stratified (`validationHoldOut` of
   * @fedaln/site-data), from training; evaluate tasks also report on them (`MetricsReportPayload.validation`).
   * Absent: 0, every train case trains (studies before issue 15).
   */
  validation_fraction?: number;
}

/**
 * A strategy's part at a site (README "Strategies"): `fedprox` trains with the proximal term μ;
 * `fedbn` keeps its BatchNorm weights in its work dir, restores them before training and evaluation,
 * and uploads no BatchNorm change.
 */
export type SiteStrategy = { name: 'fedavg' } | { name: 'fedprox'; mu: number } | { name: 'fedbn' };

export interface DownloadBeginPayload {
  study_id: string;
  round: number;
  model_sha256: string;
}
export interface DownloadBeginAccepted {
  download_id: string;
  bytes: number;
  frames: number;
  frame_bytes: number;
}
export interface DownloadFramePayload {
  download_id: string;
  index: number;
}
export interface DownloadFrameAccepted {
  index: number;
  data: Uint8Array;
}

export interface UploadBeginPayload {
  study_id: string;
  round: number;
  sha256: string;
  bytes: number;
  n_train: number;
}
/** `next_frame` > 0 when the coordinator already holds the first frames of this upload: resume there. */
export interface UploadBeginAccepted {
  upload_id: string;
  next_frame: number;
  frame_bytes: number;
}
export interface UploadFramePayload {
  upload_id: string;
  index: number;
  data: Uint8Array;
}
export interface UploadFrameAccepted {
  index: number;
  /** First frame the coordinator does not have contiguously: where a resumed upload starts. */
  next_frame: number;
}
export interface UploadEndPayload {
  upload_id: string;
}
/** The update was verified (sha256, layout, values) and counted in the round. */
export interface UploadEndAccepted {
  sha256: string;
}

/**
 * Live local training, for the lead's round timeline: `epoch` and `batch` count from 1, `loss` is
 * the latest batch's. Sites send at most 2 per second; the coordinator drops (and counts) the rest,
 * acknowledging them as usual. The coordinator handles only events sent
 * with an ack callback (like every `/site` request); the ack only tells a site its round is over
 * (`wrong_round`), so a site need not wait for it.
 */
export interface TrainProgressPayload {
  study_id: string;
  round: number;
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  images_per_s: number;
}

export interface ClientToServerEvents {
  [SiteEvent.hello]: (hello: HelloPayload, ack: AckCallback<HelloAccepted>) => void;
  [SiteEvent.downloadBegin]: (req: DownloadBeginPayload, ack: AckCallback<DownloadBeginAccepted>) => void;
  [SiteEvent.downloadFrame]: (req: DownloadFramePayload, ack: AckCallback<DownloadFrameAccepted>) => void;
  [SiteEvent.uploadBegin]: (req: UploadBeginPayload, ack: AckCallback<UploadBeginAccepted>) => void;
  [SiteEvent.uploadFrame]: (frame: UploadFramePayload, ack: AckCallback<UploadFrameAccepted>) => void;
  [SiteEvent.uploadEnd]: (req: UploadEndPayload, ack: AckCallback<UploadEndAccepted>) => void;
  [SiteEvent.metricsReport]: (report: MetricsReportPayload, ack: AckCallback) => void;
  [SiteEvent.trainProgress]: (progress: TrainProgressPayload, ack: AckCallback) => void;
  [SiteEvent.secaggKeys]: (keys: SecAggKeysPayload, ack: AckCallback) => void;
  [SiteEvent.secaggShares]: (shares: SecAggSharesPayload, ack: AckCallback) => void;
}

export interface ServerToClientEvents {
  [SiteEvent.task]: (task: TaskPayload) => void;
  [SiteEvent.error]: (error: ProtocolError) => void;
  [SiteEvent.featuresStats]: (req: FeatureStatsRequest, ack: AckCallback<FeatureStatsAccepted>) => void;
  [SiteEvent.nomogramStats]: (req: NomogramStatsRequest, ack: AckCallback<NomogramStatsAccepted>) => void;
  [SiteEvent.nomogramCompare]: (
    req: NomogramCompareRequest,
    ack: AckCallback<NomogramCompareAccepted>,
  ) => void;
  [SiteEvent.studyFinished]: (payload: StudyFinishedPayload) => void;
  [SiteEvent.secaggRoster]: (roster: SecAggRosterPayload) => void;
  [SiteEvent.secaggDeliver]: (shares: SecAggDeliverPayload) => void;
  [SiteEvent.secaggUnmask]: (req: SecAggUnmaskRequest, ack: AckCallback<SecAggUnmaskAccepted>) => void;
}

/** Coordinators do not talk to each other yet: one process serves a consortium. */
export type InterServerEvents = Record<string, never>;

/** What the handshake middleware attaches to an authenticated site socket (`socket.data`). */
export interface SocketData {
  site_id: string;
  site_name: string;
}

export type RoundState = 'waiting' | 'training' | 'aggregating' | 'evaluating' | 'completed' | 'failed';

export interface RoundStateEvent {
  study_id: string;
  round: number;
  state: RoundState;
  at: string;
}
export interface SiteStatusEvent {
  site_id: string;
  connected: boolean;
  engine?: Engine;
  images_per_s?: number;
}
export interface TransferProgressEvent {
  study_id: string;
  round: number;
  site_id: string;
  direction: 'download' | 'upload';
  bytes: number;
  total_bytes: number;
  mb_per_s: number;
}
export interface MetricsReceivedEvent {
  study_id: string;
  round: number;
  site_id: string;
  n: number;
  auc: number;
}

/** A site's `train:progress`, relayed with the site that sent it. */
export interface TrainingProgressEvent extends TrainProgressPayload {
  site_id: string;
}

export interface MonitorServerToClientEvents {
  [MonitorEvent.roundState]: (e: RoundStateEvent) => void;
  [MonitorEvent.siteStatus]: (e: SiteStatusEvent) => void;
  [MonitorEvent.transferProgress]: (e: TransferProgressEvent) => void;
  [MonitorEvent.metricsReceived]: (e: MetricsReceivedEvent) => void;
  [MonitorEvent.trainingProgress]: (e: TrainingProgressEvent) => void;
}

/** The dashboard only listens. */
export type MonitorClientToServerEvents = Record<string, never>;
