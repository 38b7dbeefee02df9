// What the demo reports: per round and site the AUC (from the coordinator's round metrics, which
// also pool the sites' score histograms), the release of the final model, the model pulled as a
// site would, and its AUC on new phantom images from another seed.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { clinicalFeatureRows, delong, logisticPredict } = require('@fedaln/metrics');
const {
  CASE_ID_COLUMN,
  formatCsv,
  IMAGE_COLUMN,
  LABELS_FILE,
  parseCsv,
  parseLabelsCsv,
} = require('@fedaln/site-data');
const { runToEnd } = require('./children');
const { SITE_BIN, PHANTOM_BIN } = require('./federation');

/** A site client's own line, the fallback when the coordinator has no round-metrics endpoint. */
const EVALUATED = /round (\d+): evaluated v\d+ on (\d+) test cases, AUC ([\d.]+|n\/a)/;

function fromSiteLog(logFile, round) {
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    const m = EVALUATED.exec(line);
    if (m && Number(m[1]) === round)
      return { n_test: Number(m[2]), auc: m[3] === 'n/a' ? null : Number(m[3]) };
  }
  return { n_test: null, auc: null };
}

/**
 * Per round: its state, per site n_train (the participant row), n_test and AUC (the site's report),
 * and the pooled AUC the coordinator computed from the sites' histograms (`GET …/rounds/:n/metrics`).
 */
async function collectRounds({ api, studyId, rounds, sites, logDir }) {
  const out = [];
  let source = 'coordinator';
  for (let n = 1; n <= rounds; n++) {
    const round = await api.ok('GET', `/api/studies/${studyId}/rounds/${n}`);
    const metrics = await api.call('GET', `/api/studies/${studyId}/rounds/${n}/metrics`);
    if (metrics.status === 404 && typeof metrics.body === 'object' && metrics.body.code === undefined) {
      source = 'site logs'; // a coordinator without the endpoint (Nest's own 404)
    } else if (metrics.status !== 200) {
      throw new Error(`GET round ${n} metrics: HTTP ${metrics.status}: ${JSON.stringify(metrics.body)}`);
    }
    const reports = metrics.status === 200 ? metrics.body.sites : [];
    out.push({
      round: n,
      state: round.state,
      sites: sites.map((s) => {
        const p = round.participants.find((x) => x.site_id === s.id);
        const r = reports.find((x) => x.site_id === s.id);
        const fallback = r ? null : fromSiteLog(path.join(logDir, `${s.name}.log`), n);
        return {
          site: s.name,
          n_train: p?.n_train ?? null,
          n_test: r ? r.report.n : fallback.n_test,
          auc: r ? r.report.auc : fallback.auc,
        };
      }),
      pooled: {
        auc: metrics.status === 200 ? (metrics.body.pooled?.auc ?? null) : null,
        auc_ci: metrics.status === 200 ? (metrics.body.pooled?.auc_ci ?? null) : null,
        model_version: reports[0]?.model_version ?? null,
      },
      verdict: metrics.status === 200 ? (metrics.body.verdict ?? null) : null,
    });
  }
  return { rounds: out, source };
}

/**
 * The round to release: the coordinator's release candidate (issue 15: the completed round with the
 * best pooled validation AUC, `GET /api/studies/:id/release-candidate`), else `lastRound`; with why.
 */
async function releaseCandidate(api, studyId, lastRound) {
  const r = await api.call('GET', `/api/studies/${studyId}/release-candidate`);
  if (r.status === 200 && typeof r.body === 'object' && Number.isInteger(r.body.round))
    return { round: r.body.round, reason: r.body.reason };
  return { round: lastRound, reason: `the last round (no release candidate: HTTP ${r.status})` };
}

/**
 * Releases `round` (`POST /api/studies/:id/releases`, with `overrideReason` when given) when the
 * coordinator has releases. Resolves the release, `{ unavailable }` without the endpoint, or
 * `{ refused }` with the reasons.
 */
async function releaseRound(api, studyId, round, overrideReason) {
  const body = overrideReason === undefined ? { round } : { round, override_reason: overrideReason };
  const r = await api.call('POST', `/api/studies/${studyId}/releases`, body);
  if (r.status >= 200 && r.status < 300) return { release: r.body };
  if (r.status === 404 && typeof r.body === 'object' && r.body.code === undefined) {
    return { unavailable: 'the coordinator has no releases endpoint yet' };
  }
  const why = typeof r.body === 'object' ? (r.body.message ?? JSON.stringify(r.body)) : r.body;
  return { refused: `HTTP ${r.status}: ${why}` };
}

/**
 * `fedaln-site pull` of the model the demo scores into `out`: the signed release `release` when the
 * round was released (its manifest verified against the key pinned in `workDir`), else the unsigned
 * global model `version`. Resolves the global model version, its sha256, whether it is signed, and
 * the flags `predict`/`evaluate` need for the folder (`--work-dir`, or `--allow-unsigned` for a
 * global model, which nothing signed).
 */
async function pullModel({ url, studyId, release, version, token, out, workDir, inputSize, logFile }) {
  const base = ['pull', '--coordinator', url, '--study', studyId, '--out', out, '--work-dir', workDir];
  const args = release
    ? [...base, '--release', String(release)]
    : [...base, '--version', String(version), '--input-size', String(inputSize)];
  const child = await runToEnd('fedaln-site pull', [SITE_BIN, ...args], {
    logFile,
    env: { ...process.env, FEDALN_SITE_TOKEN: token },
  });
  const said = child.lastLines().join('\n');
  if (release) {
    const m = /release v\d+ \(study [\w-]+, round (\d+)\) sha256 ([0-9a-f]{64}): signature verified/.exec(
      said,
    );
    if (!m) throw child.failure('did not say which release it wrote');
    return { version: Number(m[1]), sha256: m[2], signed: true, use: ['--work-dir', workDir] };
  }
  const m = /model v(\d+) \(([\w-]+), sha256 ([0-9a-f]{64})\)/.exec(said);
  if (!m) throw child.failure('did not say which model it wrote');
  return { version: Number(m[1]), sha256: m[3], signed: false, use: ['--allow-unsigned'] };
}

/**
 * Every site's labels.csv as one folder's: image paths gain the site folder (case ids already
 * carry the site's name), so `fedaln-site evaluate` scores all the sites' cases at once.
 */
function mergeSites(out, sites) {
  let header = [];
  const rows = [];
  for (let k = 1; k <= sites; k++) {
    const table = parseCsv(fs.readFileSync(path.join(out, `site${k}`, LABELS_FILE), 'utf8'));
    header = table.header;
    const image = header.indexOf(IMAGE_COLUMN);
    for (const cells of table.rows) rows.push(cells.map((c, j) => (j === image ? `site${k}/${c}` : c)));
  }
  fs.writeFileSync(path.join(out, LABELS_FILE), formatCsv([header, ...rows]));
}

/**
 * The study's federated four-feature model (issue 6) from the release's model card
 * (`GET /api/releases/:v/card.json`); null without a release or a fitted model.
 */
async function releasedFeatureModel(api, release) {
  if (!release) return null;
  const r = await api.call('GET', `/api/releases/${release}/card.json`);
  return r.status === 200 && r.body?.feature_model?.coefficients ? r.body.feature_model : null;
}

/** AUC with DeLong 95% CI of `scores` (null entries left out), or nulls when a class is missing. */
function aucOf(labels, scores) {
  const keep = scores.map((s, i) => (s === null ? -1 : i)).filter((i) => i >= 0);
  const d =
    keep.length > 0
      ? delong(
          keep.map((i) => labels[i]),
          keep.map((i) => scores[i]),
        )
      : null;
  return { n: keep.length, auc: d?.auc ?? null, auc_ci: d?.ci ?? null };
}

/** The four probabilities the closing table compares, in its column order. */
const HOLDOUT_MODELS = ['dl', 'recalibrated', 'features', 'combined'];

/**
 * New phantom sites from another seed (other scanners and case mixes than the federation's), all
 * their cases scored by the pulled model with `fedaln-site predict --labels` (`use`: the flags
 * pullModel says the folder needs), the path a site uses: the DL probability and, where the release
 * carries its nomogram.json, the Platt-recalibrated and combined ones; beside them the study's
 * four-feature model (`featureModel`, from the release's card). Per new site and over all of them,
 * each probability's AUC with DeLong CI: the check that the model learnt the label, not the
 * training sites, and how it compares with the four features.
 */
async function evaluateHoldout({
  model,
  use,
  featureModel,
  out,
  sites,
  cases,
  size,
  seed,
  version,
  logFile,
}) {
  const gen = ['--sites', sites, '--cases', cases, '--size', size, '--seed', seed, '--version', version];
  gen.push('--out', out);
  await runToEnd('fedaln-phantom', [PHANTOM_BIN, ...gen.map(String)], { logFile });
  mergeSites(out, sites);
  const labelsFile = path.join(out, LABELS_FILE);
  const { records } = parseLabelsCsv(fs.readFileSync(labelsFile, 'utf8'), labelsFile);
  const images = records.map((r) => path.join(out, r.image));
  const predsFile = path.join(out, 'predictions.csv');
  const args = ['predict', '--model', model, ...use, '--labels', labelsFile, '--out', predsFile];
  await runToEnd('fedaln-site predict', [SITE_BIN, ...args, ...images], { logFile });
  const preds = parseCsv(fs.readFileSync(predsFile, 'utf8'));
  const col = (name) => preds.header.indexOf(name);
  const byImage = new Map(preds.rows.map((cells) => [path.resolve(cells[col('image')]), cells]));
  const num = (cells, name) => (col(name) < 0 || cells[col(name)] === '' ? null : Number(cells[col(name)]));
  const features = featureModel
    ? logisticPredict(
        clinicalFeatureRows(records.map((r) => ({ [CASE_ID_COLUMN]: r.caseId, ...r.features }))),
        featureModel.coefficients,
      )
    : records.map(() => null);
  const cases_ = records.map((r, i) => {
    const cells = byImage.get(path.resolve(images[i]));
    return {
      site: r.image.split('/')[0],
      label: r.label,
      dl: num(cells, 'probability'),
      recalibrated: num(cells, 'recalibrated'),
      features: features[i],
      combined: num(cells, 'combined'),
    };
  });
  const summary = (subset) =>
    Object.fromEntries(
      HOLDOUT_MODELS.map((m) => [
        m,
        aucOf(
          subset.map((c) => c.label),
          subset.map((c) => c[m]),
        ),
      ]),
    );
  const siteNames = Array.from({ length: sites }, (_, k) => `site${k + 1}`);
  const all = summary(cases_);
  return {
    seed,
    n: cases_.length,
    n_pos: cases_.filter((c) => c.label === 1).length,
    auc: all.dl.auc,
    auc_ci: all.dl.auc_ci,
    models: all,
    sites: siteNames.map((site) => {
      const subset = cases_.filter((c) => c.site === site);
      return {
        site,
        n: subset.length,
        n_pos: subset.filter((c) => c.label === 1).length,
        models: summary(subset),
      };
    }),
  };
}

const fmt = (x) => (x === null || x === undefined ? '  n/a' : x.toFixed(3));

/** The human-readable table: one row per round, one AUC column per site, then pooled. */
function roundsTable(rounds) {
  const names = rounds[0]?.sites.map((s) => s.site) ?? [];
  const header = ['round', 'state', ...names.map((n) => `${n} AUC`), 'pooled AUC (95% CI)'];
  const rows = rounds.map((r) => [
    String(r.round),
    r.state,
    ...r.sites.map((s) => `${fmt(s.auc)} (n=${s.n_test ?? '?'})`),
    r.pooled.auc === null
      ? 'n/a'
      : `${fmt(r.pooled.auc)}${r.pooled.auc_ci ? ` (${fmt(r.pooled.auc_ci[0])}–${fmt(r.pooled.auc_ci[1])})` : ''}`,
  ]);
  return table(header, rows);
}

/** Columns of the closing table: the holdout's probabilities, as the table names them. */
const HOLDOUT_COLUMNS = {
  dl: 'DL',
  recalibrated: 'recalibrated',
  features: 'features',
  combined: 'combined',
};

/** The closing table: per new site and over all of them, each probability's AUC (95% CI). */
function holdoutTable(holdout) {
  const cell = (m) =>
    m.auc === null ? 'n/a' : `${fmt(m.auc)}${m.auc_ci ? ` (${fmt(m.auc_ci[0])}–${fmt(m.auc_ci[1])})` : ''}`;
  const header = ['new site', 'cases (pos)', ...HOLDOUT_MODELS.map((m) => `${HOLDOUT_COLUMNS[m]} AUC`)];
  const rows = [
    ...holdout.sites.map((s) => [
      s.site,
      `${s.n} (${s.n_pos})`,
      ...HOLDOUT_MODELS.map((m) => cell(s.models[m])),
    ]),
    ['all', `${holdout.n} (${holdout.n_pos})`, ...HOLDOUT_MODELS.map((m) => cell(holdout.models[m]))],
  ];
  return table(header, rows);
}

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

module.exports = {
  collectRounds,
  releaseCandidate,
  releaseRound,
  releasedFeatureModel,
  pullModel,
  evaluateHoldout,
  roundsTable,
  holdoutTable,
};
