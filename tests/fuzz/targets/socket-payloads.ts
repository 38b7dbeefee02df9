import { DomainError } from '../../../apps/coordinator/dist/domain/domain-error';
import { checkFeatureStats } from '../../../apps/coordinator/dist/evaluation/feature-stats-answer';
import {
  DownloadBeginDto,
  DownloadFrameDto,
  HelloDto,
  MetricsReportDto,
  TrainProgressDto,
  UploadBeginDto,
  UploadEndDto,
} from '../../../apps/coordinator/dist/sockets/site-dtos';
import { uploadFrame } from '../../../apps/coordinator/dist/sockets/site.gateway';
import { validatePayload } from '../../../apps/coordinator/dist/sockets/socket-payload';
import { allowOnly, expectThat, utf8, type FuzzTarget } from '../support/fuzz-target';

// The coordinator's built code (what `fedaln-coordinator serve` runs): the DTOs' decorators need
// tsc's emitted metadata, which the fuzz worker's TypeScript loader does not emit.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SHA256 = /^[0-9a-f]{64}$/;
const int =
  (lo: number, hi = Number.MAX_SAFE_INTEGER) =>
  (v: unknown) =>
    Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;
const finiteAtLeast0 = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const uuid = (v: unknown) => typeof v === 'string' && UUID.test(v);
const sha256 = (v: unknown) => typeof v === 'string' && SHA256.test(v);
const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);

type Check = (v: unknown) => boolean;
/**
 * What an accepted payload holds, field by field (libs/protocol events.ts), written apart from the
 * DTOs' decorators so a validator that lets a bad field through is caught. Optional fields end in '?'.
 */
const ACCEPTED: Record<string, { dto: new () => object; fields: Record<string, Check> }> = {
  hello: {
    dto: HelloDto,
    fields: {
      engine: (v) => ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'].includes(v as string),
      cores: int(1, 4096),
      gpu: (v) => v === null || (typeof v === 'string' && v.length <= 200),
      n_train: int(0),
      n_test: int(0),
      client_version: (v) => typeof v === 'string' && v.length <= 50,
      images_per_s: finiteAtLeast0,
      'clinical_features?': (v) => typeof v === 'boolean',
      'secagg_prgs?': (v) =>
        Array.isArray(v) && v.length <= 8 && v.every((x) => typeof x === 'string' && x.length <= 32),
    },
  },
  'download:begin': {
    dto: DownloadBeginDto,
    fields: { study_id: uuid, round: int(1), model_sha256: sha256 },
  },
  'download:frame': { dto: DownloadFrameDto, fields: { download_id: uuid, index: int(0) } },
  'upload:begin': {
    dto: UploadBeginDto,
    fields: { study_id: uuid, round: int(1), sha256, bytes: int(1), n_train: int(1, 2 ** 24) },
  },
  'upload:end': { dto: UploadEndDto, fields: { upload_id: uuid } },
  'metrics:report': {
    dto: MetricsReportDto,
    fields: {
      study_id: uuid,
      round: int(1),
      model_version: int(0),
      model_sha256: sha256,
      report: isObject,
      'validation?': isObject,
    },
  },
  'train:progress': {
    dto: TrainProgressDto,
    fields: {
      study_id: uuid,
      round: int(1),
      epoch: int(1, 10_000),
      epochs: int(1, 10_000),
      batch: int(1, 2 ** 24),
      batches: int(1, 2 ** 24),
      loss: finiteAtLeast0,
      images_per_s: finiteAtLeast0,
    },
  },
};
const EVENTS = Object.keys(ACCEPTED);

/** The report's own numbers an accepted `metrics:report` must keep (the DTO's ranges). */
function reportProblem(report: Record<string, unknown>): string | null {
  for (const key of ['n', 'n_pos'])
    if (!int(0, 2 ** 24)(report[key])) return `report.${key} ${String(report[key])}`;
  for (const key of ['auc', 'prevalence', 'brier']) {
    const v = report[key];
    if (v !== null && !(typeof v === 'number' && v >= 0 && v <= 1)) return `report.${key} ${String(v)}`;
  }
  for (const key of ['calibration', 'threshold_counts', 'score_histograms'])
    if (!isObject(report[key])) return `report.${key} is not an object`;
  const h = report.score_histograms as Record<string, unknown>;
  for (const key of ['edges', 'positive', 'negative']) {
    const a = h[key];
    if (!Array.isArray(a) || a.length > 1001 || !a.every(int(0))) return `score_histograms.${key}`;
  }
  return null;
}

/**
 * Every socket payload validator of the coordinator's `/site` namespace on arbitrary JSON: the first
 * byte picks the event (the DTO of each `SocketValidationPipe`, the hand-checked `upload:frame`, the
 * `features:stats` answer check), the rest is the payload's JSON (a string `data` of upload:frame
 * becomes its binary attachment). Refusal: DomainError('INVALID_INPUT') only (checkFeatureStats
 * never throws: it answers `{ok: false, reason}`). Accepted: the DTO's own instance, every field
 * present as an own property of the documented type and range, no field beyond them.
 */
export const socketPayloads: FuzzTarget = {
  name: 'socket-payloads',
  description:
    'validatePayload(DTO, json) of every /site event, uploadFrame, checkFeatureStats; refusal: DomainError INVALID_INPUT',
  dictionary: [
    '"__proto__":',
    '"constructor":',
    '"prototype":',
    '"study_id":"00000000-0000-4000-8000-000000000000"',
    '"round":1',
    '"sha256":"' + 'a'.repeat(64) + '"',
    '"n_train":',
    '"index":',
    '"data":"',
    '"report":{',
    'null',
    'true',
    '[]',
    '{}',
    '1e309',
    '-0',
    '"k":2',
    '"information":[',
  ],
  coverageOf: ['/node_modules/class-validator/', '/node_modules/class-transformer/'],
  maxLength: 8192,
  async run(data) {
    if (data.length === 0) return;
    const which = data[0]! % (EVENTS.length + 2);
    let payload: unknown;
    try {
      payload = JSON.parse(utf8(data.subarray(1)));
    } catch {
      return; // socket.io delivers only what it could parse
    }
    if (which === EVENTS.length) return uploadFrameCase(payload);
    if (which === EVENTS.length + 1) return featureStatsCase(payload);
    const { dto, fields } = ACCEPTED[EVENTS[which]!]!;
    let accepted: object;
    try {
      accepted = await validatePayload(dto, payload);
    } catch (e) {
      allowOnly(e, DomainError);
      expectThat(
        (e as DomainError).code === 'INVALID_INPUT',
        () => `refused with code ${(e as DomainError).code}`,
      );
      return;
    }
    const event = EVENTS[which]!;
    expectThat(
      Object.getPrototypeOf(accepted) === dto.prototype,
      () => `${event}: accepted payload is not a ${dto.name}`,
    );
    const own = accepted as Record<string, unknown>;
    for (const [key, check] of Object.entries(fields)) {
      const name = key.replace(/\?$/, '');
      const present = Object.prototype.hasOwnProperty.call(own, name);
      // A DTO's declared optional field is an own property holding undefined when the payload left it
      // out (class fields are defined on every instance); JSON cannot carry undefined, so that is absent.
      if ((!present || own[name] === undefined) && key.endsWith('?')) continue;
      expectThat(present, () => `${event}: accepted without an own field ${name}`);
      expectThat(check(own[name]), () => `${event}: accepted ${name} = ${JSON.stringify(own[name])}`);
    }
    const known = Object.keys(fields).map((k) => k.replace(/\?$/, ''));
    const extra = Object.keys(own).filter((k) => !known.includes(k));
    expectThat(extra.length === 0, () => `${event}: accepted unknown field(s) ${extra.join(', ')}`);
    if (event === 'metrics:report') {
      const problem = reportProblem(own.report as Record<string, unknown>);
      expectThat(problem === null, () => `metrics:report accepted with ${problem}`);
      if (own.validation !== undefined) {
        const bad = reportProblem(own.validation as Record<string, unknown>);
        expectThat(bad === null, () => `metrics:report accepted with validation ${bad}`);
      }
    }
  },
};

function uploadFrameCase(payload: unknown): void {
  const raw = payload as Record<string, unknown> | null;
  if (raw && typeof raw === 'object' && typeof raw.data === 'string')
    raw.data = Buffer.from(raw.data, 'latin1');
  let frame;
  try {
    frame = uploadFrame(raw);
  } catch (e) {
    allowOnly(e, DomainError);
    return;
  }
  expectThat(typeof frame.upload_id === 'string', () => 'upload:frame accepted a non-string upload_id');
  expectThat(Number.isInteger(frame.index), () => `upload:frame accepted index ${frame.index}`);
  expectThat(frame.data instanceof Uint8Array, () => 'upload:frame accepted non-binary data');
}

function featureStatsCase(payload: unknown): void {
  // The study's feature model size: the payload's own k when small (so accepted answers are reachable).
  const claimed = (payload as { k?: unknown } | null)?.k;
  const k = int(1, 6)(claimed) ? (claimed as number) : 2;
  const checked = checkFeatureStats(payload, k);
  if (!checked.ok) {
    expectThat(
      typeof checked.reason === 'string' && checked.reason.length > 0,
      () => 'refusal without a reason',
    );
    return;
  }
  const { stats } = checked;
  expectThat(
    stats.k === k && stats.information.length === k * k && stats.score.length === k,
    () =>
      `features:stats accepted with k ${stats.k}, ${stats.information.length} information, ${stats.score.length} score`,
  );
  expectThat(
    [...stats.information, ...stats.score].every(Number.isFinite) &&
      stats.deviance >= 0 &&
      stats.max_abs_eta >= 0,
    () => 'features:stats accepted a non-finite or negative number',
  );
}
