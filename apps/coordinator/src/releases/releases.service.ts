import { parseReleaseManifest, type FeatureModelPayload, type SignedReleaseManifest } from '@fedaln/protocol';
import { createHash } from 'node:crypto';
import { crashPoint } from '../config/crash-point';
import type { Readable } from 'node:stream';
import type { AuditLog } from '../audit/audit-log';
import type { Principal } from '../auth/principal';
import { actorOf } from '../auth/principal';
import type { BlobStore } from '../blobs/blob-store';
import { DomainError } from '../domain/domain-error';
import type { Study } from '../domain/records';
import type { Transactions } from '../domain/transactions';
import type { GlobalModelRepository } from '../models/global-model.repository';
import type { ModelComparisonRecord } from '../evaluation/model-comparison-phase';
import { buildModelCard, type ModelCard } from './card/model-card';
import { renderModelCardHtml } from './card/model-card-html';
import { modelCardPrivacy, type ModelCardPrivacy } from './card/model-card-privacy';
import { roundPrivacyLedger } from '../domain/study-privacy-budget';
import { buildReleaseRecord, ReleaseRefusedError, type ReleaseRecord } from './release-record';
import { cardAsSeenBy, releaseAsSeenBy, reportsOnTheCurrentLayout } from './release-visibility';
import { minCellCountOf } from '../domain/study-spec';
import type { ReleaseKeySigner } from './release-record';
import type { ParticipantRepository } from '../rounds/participant.repository';
import type { RoundRepository } from '../rounds/round.repository';
import type { StudyRepository } from '../studies/study.repository';
import { KeyedSerial } from '../rounds/keyed-serial';
import type { ReleaseArtifacts } from './release-artifacts';
import type { ReleaseRepository } from './release.repository';
import type { RoundEvaluationService } from '../evaluation/round-evaluation.service';

export interface ReleaseDeps {
  readonly studies: StudyRepository;
  readonly rounds: RoundRepository;
  readonly participants: ParticipantRepository;
  readonly models: GlobalModelRepository;
  readonly blobs: BlobStore;
  readonly releases: ReleaseRepository;
  readonly evaluation: RoundEvaluationService;
  readonly signer: ReleaseKeySigner;
  readonly artifacts: ReleaseArtifacts;
  readonly audit: AuditLog;
  /** The release row and its audit entry commit together. */
  readonly transactions: Transactions;
  /** The study's federated four-feature fit (evaluation/feature-model.ts), for the model card. */
  readonly featureModels?: { find(studyId: string): Promise<FeatureModelPayload | null> };
  /** The post-training nomograms (issue 15): the exact text of a round's `nomogram.json`. */
  readonly nomograms?: {
    text(studyId: string, round: number): Promise<string | null>;
    /** The round's comparison of DL, four-feature and combined models (model-comparison-phase.ts). */
    comparison?(studyId: string, round: number): Promise<ModelComparisonRecord | null>;
  };
}

/**
 * Releases (DESIGN.md "Evaluation and release"): the lead releases a completed round's global
 * model; a failing verdict needs a written override reason, which is kept. Each release is signed
 * (Ed25519 over its canonical manifest, which chains to the study's previous signed release, and over
 * the weights sha256), stored immutably and audited. Reads are for the lead and for
 * the sites of the release's study.
 */
export class ReleasesService {
  /** Versions are global, so releases are made one at a time. */
  private readonly serial = new KeyedSerial();

  constructor(private readonly deps: ReleaseDeps) {}

  /**
   * @throws DomainError RELEASE_REFUSED (with the verdict's reasons) for a failing round without an
   *   override reason, a round not completed, or a round already released.
   * @example await releases.release(studyId, 3, undefined, { kind: 'admin' }) // { version: 1, signature, ... }
   */
  release(
    studyId: string,
    round: number,
    overrideReason: string | undefined,
    who: Principal,
  ): Promise<ReleaseRecord> {
    return this.serial.run('releases', async () => {
      const { deps } = this;
      const study = await this.requireStudy(studyId);
      const r = await deps.rounds.find(studyId, round);
      if (!r) throw new DomainError('ROUND_NOT_FOUND', `study ${studyId} has no round ${round}`);
      if (r.state !== 'completed')
        throw new DomainError(
          'RELEASE_REFUSED',
          `round ${round} is ${r.state}; only a completed round can be released`,
          {
            field: 'round',
          },
        );
      const earlier = await deps.releases.findByRound(studyId, round);
      if (earlier)
        throw new DomainError(
          'RELEASE_REFUSED',
          `round ${round} is already released as v${earlier.version}`,
          {
            field: 'round',
            version: earlier.version,
          },
        );
      const model = await deps.models.find(studyId, round);
      if (!model) throw new DomainError('MODEL_NOT_FOUND', `study ${studyId} has no model version ${round}`);
      const evaluation = await deps.evaluation.get(studyId, round);
      const verdict = evaluation.verdict?.verdict ?? deps.evaluation.verdictOf(study, evaluation.sites);
      const reports = new Map(evaluation.sites.map((s) => [s.siteId, s]));
      const contributors = (await deps.participants.list(studyId, round)).filter(
        (p) => p.state === 'uploaded',
      );
      let record: ReleaseRecord;
      try {
        record = buildReleaseRecord(
          {
            version: await deps.releases.nextVersion(),
            study_id: studyId,
            round,
            weights_sha256: model.sha256,
            model: { arch: study.spec.arch, input_size: study.spec.input_size },
            sites: contributors.map((p) => ({
              site_id: p.siteId,
              name: reports.get(p.siteId)?.name ?? p.siteId,
              n_train: p.nTrain ?? 0,
              n_test: reports.get(p.siteId)?.report.n ?? 0,
            })),
            metrics: {
              sites: evaluation.sites.map((s) => ({ site_id: s.siteId, report: s.report })),
              pooled: {
                auc: evaluation.pooled?.auc ?? null,
                auc_ci: evaluation.pooled?.auc_ci ?? null,
                dca_range: evaluation.pooled?.decision_curve.range ?? null,
              },
            },
            verdict,
            ...(overrideReason === undefined ? {} : { override_reason: overrideReason }),
            created_at: new Date().toISOString(),
            previous_manifest_sha256: await deps.releases.lastManifestSha256(studyId),
            ...(await this.nomogramOf(studyId, round, model.sha256)),
          },
          deps.signer,
        );
      } catch (e) {
        if (!(e instanceof ReleaseRefusedError)) throw e;
        throw new DomainError('RELEASE_REFUSED', e.message, {
          field: e.field,
          reasons: verdict.reasons.map((x) => x.message),
        });
      }
      crashPoint('release:built');
      const committed = await deps.transactions.run(async (tx) => {
        const stored = await tx.releases.add(record);
        await tx.audit.append({
          actor: actorOf(who),
          action: 'release.created',
          subjectType: 'release',
          subjectId: String(stored.version),
          details: {
            studyId,
            round,
            weights_sha256: stored.weights_sha256,
            pass: verdict.pass,
            override_reason: stored.override_reason,
            manifest_sha256: stored.manifest?.sha256 ?? null,
          },
        });
        return stored;
      });
      crashPoint('release:committed');
      return committed;
    });
  }

  /**
   * Releases the principal may see, newest first; a site sees its own report only (release-visibility.ts).
   * @example await releases.list({ kind: 'admin' })
   */
  async list(who: Principal, studyId?: string): Promise<ReleaseRecord[]> {
    const all = await this.deps.releases.list(studyId);
    if (who.kind === 'admin') return all;
    const visible: ReleaseRecord[] = [];
    for (const r of all) if (await this.maySee(r, who)) visible.push(releaseAsSeenBy(r, who));
    return visible;
  }

  /** The release as `who` may see it (release-visibility.ts). @example (await releases.get(1, who)).signature */
  async get(version: number, who: Principal): Promise<ReleaseRecord> {
    return releaseAsSeenBy(await this.find(version, who), who);
  }

  /** The whole record, for a principal that may see the release. */
  private async find(version: number, who: Principal): Promise<ReleaseRecord> {
    const record = await this.deps.releases.find(version);
    if (!record || !(await this.maySee(record, who)))
      throw new DomainError(
        'RELEASE_NOT_FOUND',
        `no release v${version}${who.kind === 'site' ? ' for this site' : ''}`,
      );
    return record;
  }

  /** The signed weights blob. @example const { record, stream } = await releases.weights(1, who) */
  async weights(
    version: number,
    who: Principal,
  ): Promise<{ record: ReleaseRecord; stream: Readable; bytes: number }> {
    const record = await this.get(version, who);
    const opened = await this.deps.blobs.open(record.weights_sha256);
    if (!opened)
      throw new DomainError(
        'MODEL_NOT_FOUND',
        `the weights of release v${version} are missing from the blob store`,
      );
    return { record, ...opened };
  }

  /**
   * The release's signed manifest, as a pulled model folder keeps it (`release-manifest.json`).
   *
   * @throws DomainError RELEASE_NOT_FOUND for a release made before signed manifests.
   * @example (await releases.manifest(3, who)).signature
   */
  async manifest(version: number, who: Principal): Promise<SignedReleaseManifest> {
    const record = await this.get(version, who);
    if (!record.manifest)
      throw new DomainError(
        'RELEASE_NOT_FOUND',
        `release v${version} was made before signed manifests; it has only the signature over its weights digest`,
      );
    return { manifest: record.manifest.text, signature: record.manifest.signature };
  }

  /**
   * The round's nomogram, when one was fitted on this round's model: its sha256 goes into the manifest.
   */
  private async nomogramOf(
    studyId: string,
    round: number,
    modelSha256: string,
  ): Promise<{ nomogram_sha256?: string }> {
    const text = (await this.deps.nomograms?.text(studyId, round)) ?? null;
    if (text === null || (JSON.parse(text) as { model_sha256?: unknown }).model_sha256 !== modelSha256)
      return {};
    return { nomogram_sha256: createHash('sha256').update(text, 'utf8').digest('hex') };
  }

  /**
   * The release's `nomogram.json` (issue 15), the exact text whose sha256 its signed manifest names;
   * for the lead and the sites of the release's study, like its other files.
   *
   * @throws DomainError RELEASE_NOT_FOUND for a release without one (every release before issue 15).
   * @example JSON.parse(await releases.nomogram(3, who)).platt.coefficients
   */
  async nomogram(version: number, who: Principal): Promise<string> {
    const record = await this.get(version, who);
    const signed = record.manifest ? parseReleaseManifest(record.manifest.text).nomogram_sha256 : undefined;
    const text = signed ? await this.deps.nomograms?.text(record.study_id, record.round) : null;
    if (!signed || !text)
      throw new DomainError('RELEASE_NOT_FOUND', `release v${version} has no nomogram.json`);
    if (createHash('sha256').update(text, 'utf8').digest('hex') !== signed)
      throw new DomainError(
        'RELEASE_NOT_FOUND',
        `release v${version}'s nomogram.json no longer matches its signed manifest (nomogram_sha256 ${signed})`,
      );
    return text;
  }

  /** model.json or a weight shard of the release in tfjs layers format. */
  async layersFile(version: number, file: string, who: Principal): Promise<string> {
    const record = await this.get(version, who);
    const study = await this.requireStudy(record.study_id);
    return this.deps.artifacts.file(version, record.weights_sha256, study.spec.input_size, file);
  }

  /**
   * The model card of a release, from the reports stored with it (pooled over every site); a site sees
   * its own entry only. @example (await releases.card(1, who)).pooled.auc
   */
  async card(version: number, who: Principal): Promise<ModelCard> {
    const record = await this.find(version, who);
    const study = await this.requireStudy(record.study_id);
    const reports = reportsOnTheCurrentLayout(record, minCellCountOf(study.spec));
    const nTrain = new Map(record.sites.map((s) => [s.site_id, s.n_train]));
    const names = new Map(record.sites.map((s) => [s.site_id, s.name]));
    const evaluated = await this.deps.evaluation.siteEvaluations(record.study_id, record.round);
    for (const s of evaluated) names.set(s.siteId, names.get(s.siteId) ?? s.name);
    const fm = (await this.deps.featureModels?.find(record.study_id)) ?? null;
    const engines = new Map<string, string>();
    for (const s of reports) {
      const engine = await this.lastReportedEngine(s.site_id);
      if (engine) engines.set(s.site_id, engine);
    }
    const card = buildModelCard({
      release: {
        version: record.version,
        study_id: record.study_id,
        study_name: study.name,
        round: record.round,
        weights_sha256: record.weights_sha256,
        signature: record.signature,
        ed25519_public_key: record.ed25519_public_key,
        created_at: record.created_at,
        verdict: record.verdict,
        override_reason: record.override_reason,
        manifest: record.manifest?.text ?? null,
        manifest_signature: record.manifest?.signature ?? null,
        manifest_sha256: record.manifest?.sha256 ?? null,
      },
      model: { arch: study.spec.arch, input_size: study.spec.input_size },
      training: {
        rounds: record.round,
        strategy: 'fedavg',
        local_epochs: study.spec.local_epochs,
        batch_size: study.spec.batch_size,
        learning_rate: study.spec.learning_rate,
      },
      data_source: study.spec.data_source ?? 'clinical',
      policy: study.spec.release_policy,
      sites: reports.map((s) => ({
        site_id: s.site_id,
        name: names.get(s.site_id) ?? s.site_id,
        n_train: nTrain.get(s.site_id) ?? 0,
        engine: engines.get(s.site_id) ?? null,
        report: s.report,
      })),
      feature_model: fm && {
        covariates: fm.covariates,
        coefficients: fm.coefficients,
        std_errors: fm.std_errors,
        p: fm.p,
      },
      privacy: await this.privacyAt(study, record.round),
      comparison: await this.comparisonOf(record),
    });
    return cardAsSeenBy(card, who);
  }

  /** The comparison made with the released model's weights (issue 15), or null. */
  private async comparisonOf(record: {
    study_id: string;
    round: number;
    weights_sha256: string;
  }): Promise<ModelComparisonRecord | null> {
    const c = (await this.deps.nomograms?.comparison?.(record.study_id, record.round)) ?? null;
    return c?.model_sha256 === record.weights_sha256 ? c : null;
  }

  /** ε spent by the end of the released round (the accountant's ledger), for the model card. */
  private async privacyAt(study: Study, round: number): Promise<ModelCardPrivacy | null> {
    if (!study.spec.dp) return null;
    const rounds = (await this.deps.rounds.list(study.id)).filter((r) => r.number <= round);
    return modelCardPrivacy(study.spec, roundPrivacyLedger(study.spec, rounds).get(round) ?? null);
  }

  /** The engine a site named in its latest `hello` (kept in the audit log), for the model card. */
  private async lastReportedEngine(siteId: string): Promise<string | null> {
    const entries = await this.deps.audit.list('site', siteId);
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i];
      const engine = (entry?.details as { engine?: unknown } | undefined)?.engine;
      if (entry?.action === 'site.hello' && typeof engine === 'string') return engine;
    }
    return null;
  }

  /** @example (await releases.cardHtml(1, who)).startsWith('<!doctype html>') */
  async cardHtml(version: number, who: Principal): Promise<string> {
    return renderModelCardHtml(await this.card(version, who));
  }

  private async maySee(record: ReleaseRecord, who: Principal): Promise<boolean> {
    if (who.kind === 'admin') return true;
    const study = await this.deps.studies.findById(record.study_id);
    return study !== null && study.spec.sites.includes(who.siteId);
  }

  private async requireStudy(id: string): Promise<Study> {
    const study = await this.deps.studies.findById(id);
    if (!study) throw new DomainError('STUDY_NOT_FOUND', `no study with id ${id}`);
    return study;
  }
}
