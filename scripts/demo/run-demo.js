// `npm start`: the whole federation on one machine (issue 5, "The demo"). Progress goes to stderr;
// the table and, with --json, the one-line JSON result (last line) go to stdout.
'use strict';
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { stopAll } = require('./children');
const { startCoordinator, LeadApi, ROOT } = require('./coordinator');
const {
  generatePhantom,
  demoStudySpec,
  enrolSites,
  startSites,
  watchStudy,
  waitStudyFinished,
} = require('./federation');
const {
  collectRounds,
  releaseCandidate,
  releaseRound,
  releasedFeatureModel,
  pullModel,
  evaluateHoldout,
  roundsTable,
  holdoutTable,
} = require('./results');

/** New phantom sites × cases scored by the final model; from a seed the federation never used. */
const HOLDOUT = { sites: 3, cases: 100 };

const say = (line) => process.stderr.write(`${line}\n`);

/** Built packages the demo runs; `npm ci` builds them through `prepare`. */
function assertBuilt() {
  for (const dir of ['apps/coordinator', 'apps/site-client', 'libs/phantom']) {
    if (!fs.existsSync(path.join(ROOT, dir, 'dist/cli.js'))) {
      throw new Error(
        `${dir} is not built (no ${dir}/dist/cli.js): run \`npm run build\` (or \`npm ci\`), then npm start`,
      );
    }
  }
}

function freshDir(o) {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = path.resolve(o.dataDir ?? path.join(ROOT, 'data', `demo-${stamp}`));
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) {
    throw new Error(
      `--data-dir ${dir} is not empty: the demo needs a fresh folder (omit --data-dir for a new one)`,
    );
  }
  for (const sub of ['logs', 'work']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  return dir;
}

/**
 * Runs the demo with parsed flags (flags.js); resolves the JSON result.
 * @example const result = await runDemo(parseDemoFlags(['--rounds', '1']));
 */
async function runDemo(o) {
  assertBuilt();
  const started = Date.now();
  const dir = freshDir(o);
  const logDir = path.join(dir, 'logs');
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
  say(`demo federation in ${dir} (logs in ${logDir})`);
  say(
    `phantom v${o.phantomVersion} data: ${o.sites} sites × ${o.cases} cases at ${o.inputSize} px, seed ${o.seed}`,
  );
  const sites = await generatePhantom({
    out: path.join(dir, 'phantom'),
    sites: o.sites,
    cases: o.cases,
    size: o.inputSize,
    seed: o.seed,
    version: o.phantomVersion,
    logFile: path.join(logDir, 'phantom.log'),
  });

  const adminToken = `demo-admin-${randomBytes(24).toString('hex')}`;
  const { child: coordinator, url } = await startCoordinator({
    dataDir: path.join(dir, 'coordinator'),
    logFile: path.join(logDir, 'coordinator.log'),
    adminToken,
    detached: o.keep,
  });
  say(
    `coordinator listening at ${url} (embedded database in ${path.join(dir, 'coordinator')}) after ${elapsed()}`,
  );
  const api = new LeadApi(url, adminToken);
  const enrolled = await enrolSites(api, sites, o.seed);
  const study = await api.ok(
    'POST',
    '/api/studies',
    demoStudySpec(
      o,
      enrolled.map((s) => s.id),
    ),
  );
  await api.ok('POST', `/api/studies/${study.id}/start`);
  say(
    `study ${study.id}: ${o.arch} at ${o.inputSize} px, ${o.rounds} rounds × ${o.epochs} local epochs; ` +
      `starting ${enrolled.length} site clients (engine ${o.engine})`,
  );
  const siteChildren = startSites({ sites: enrolled, url, o, logDir, workDir: path.join(dir, 'work'), say });
  await watchStudy({ api, studyId: study.id, coordinator, siteChildren, say });
  // The coordinator fits the release candidate's nomogram with the connected sites after the last
  // round, then tells them the study is finished: only then may they stop and the round be released.
  say(`study completed after ${elapsed()}; waiting for the post-training fits`);
  const finished = await waitStudyFinished({ studyId: study.id, coordinator, siteChildren });
  say(`${finished}; stopping the site clients after ${elapsed()}`);
  await Promise.all(siteChildren.map((c) => c.stop('SIGTERM')));

  const { rounds, source } = await collectRounds({
    api,
    studyId: study.id,
    rounds: o.rounds,
    sites: enrolled,
    logDir,
  });
  const last = rounds[rounds.length - 1];
  const candidate = await releaseCandidate(api, study.id, o.rounds);
  say(`release candidate: ${candidate.reason}`);
  const released = await releaseRound(api, study.id, candidate.round, o.releaseOverride);
  if (released.release)
    say(`released round ${candidate.round} as release v${released.release.version} (signed)`);
  else
    say(
      `not released: ${released.unavailable ?? released.refused}; the JSON's model is the final global model`,
    );
  const modelDir = path.join(dir, 'model');
  const pulled = await pullModel({
    url,
    studyId: study.id,
    release: released.release?.version,
    version: last.pooled.model_version ?? 'latest',
    workDir: path.join(dir, 'pull-work'),
    token: enrolled[0].token,
    out: modelDir,
    inputSize: o.inputSize,
    logFile: path.join(logDir, 'pull.log'),
  });
  if (released.release && released.release.weights_sha256 !== pulled.sha256) {
    throw new Error(
      `release v${released.release.version} has weights ${released.release.weights_sha256} but global model v${pulled.version} is ${pulled.sha256}`,
    );
  }
  say(
    `model v${pulled.version} pulled to ${modelDir}; scoring ${HOLDOUT.sites * HOLDOUT.cases} cases of new phantom sites (seed ${o.seed + 1000})`,
  );
  const holdout = await evaluateHoldout({
    model: modelDir,
    use: pulled.use,
    featureModel: await releasedFeatureModel(api, released.release?.version),
    out: path.join(dir, 'holdout'),
    ...HOLDOUT,
    size: o.inputSize,
    seed: o.seed + 1000,
    version: o.phantomVersion,
    logFile: path.join(logDir, 'holdout.log'),
  });

  const model = {
    version: pulled.version,
    sha256: pulled.sha256,
    path: modelDir,
    arch: o.arch,
    input_size: o.inputSize,
    signed: pulled.signed,
    // the flags predict and evaluate need for this folder
    use: pulled.use,
  };
  if (released.release) {
    Object.assign(model, {
      release_version: released.release.version,
      signature: released.release.signature,
    });
  }
  const result = {
    study: study.id,
    phantom_version: o.phantomVersion,
    rounds: rounds.map(({ round, state, sites: s, pooled }) => ({
      round,
      state,
      sites: s,
      pooled: { auc: pooled.auc, auc_ci: pooled.auc_ci },
    })),
    model,
    holdout,
    metrics_source: source,
    data_dir: dir,
    wall_s: Math.round((Date.now() - started) / 1000),
  };
  if (o.keep) {
    Object.assign(result, { url, admin_token: adminToken, coordinator_pid: coordinator.process.pid });
    coordinator.release();
  } else {
    await coordinator.stop('SIGTERM');
  }
  return result;
}

/** Prints the human-readable summary (stdout) after a run. */
function printSummary(result, o) {
  const out = (s) => process.stdout.write(`${s}\n`);
  out('');
  out(`AUC of each round's new global model on each site's test cases (pooled: all sites' test cases)`);
  out(roundsTable(result.rounds));
  out('');
  const m = result.model;
  out(
    `final model: v${m.version}${m.release_version ? `, release v${m.release_version}` : ''} (${m.arch}, ${m.input_size} px)`,
  );
  out(`  sha256 ${m.sha256}`);
  out(
    `  ${m.path}  (try: node apps/site-client/bin/fedaln-site.js predict --model ${m.path} ${m.use.join(' ')} IMAGE...)`,
  );
  if (!m.signed) out('  not a signed release: predict and evaluate use it only with --allow-unsigned');
  const h = result.holdout;
  const ci = h.auc_ci ? ` (95% CI ${h.auc_ci[0].toFixed(3)}–${h.auc_ci[1].toFixed(3)})` : '';
  out(
    `  on ${h.n} cases of new phantom sites (seed ${h.seed}, ${h.n_pos} positive): AUC ${h.auc?.toFixed(3) ?? 'n/a'}${ci}`,
  );
  out('');
  out(
    `AUC on ${h.n} cases of ${h.sites.length} new phantom sites (seed ${h.seed}): the DL probability, its Platt ` +
      `recalibration and the combined model (the release's nomogram.json, as fedaln-site predict gives them) ` +
      `and the study's four-feature model`,
  );
  out(holdoutTable(h));
  out(`wall time ${result.wall_s} s; everything is in ${result.data_dir}`);
  if (o.keep) {
    out(
      `coordinator still running at ${result.url} (pid ${result.coordinator_pid}; stop it with: kill ${result.coordinator_pid})`,
    );
    out(`admin token: ${result.admin_token}`);
  }
}

let interrupted = false;

/** True once Ctrl-C or SIGTERM arrived: the children's deaths that follow are no failure to report. */
const wasInterrupted = () => interrupted;

/** Stops every child on Ctrl-C or SIGTERM, then exits 130/143. */
function stopChildrenOnSignals() {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ]) {
    process.once(signal, () => {
      interrupted = true;
      say(`\n${signal}: stopping the coordinator and the site clients`);
      void stopAll(3000).then(() => process.exit(code));
    });
  }
}

module.exports = { runDemo, printSummary, stopChildrenOnSignals, wasInterrupted };
