// The demo's federation: phantom data per site, the sites enrolled, the study created and
// started, one `fedaln-site run` per site, and the rounds watched until the study completes.
'use strict';
const path = require('node:path');
const { readSiteFolder } = require('@fedaln/site-data');
const { Child, runToEnd } = require('./children');
const { ROOT } = require('./coordinator');

const PHANTOM_BIN = path.join(ROOT, 'libs/phantom/bin/fedaln-phantom.js');
const SITE_BIN = path.join(ROOT, 'apps/site-client/bin/fedaln-site.js');

/** Site-client lines worth showing while the demo runs (the rest stays in the site's log file). */
const SHOWN =
  /usable cases|^engine \w+:|round \d+: (training|trained|update uploaded|evaluated|resuming)|failed|refused|finished/;

/** A site client's line on the coordinator's `study:finished` (after the post-training fits). */
const FINISHED = /study [\w-]+ finished/;

/** The `study:finished` lines the site clients printed so far. */
const finishedLines = [];

/**
 * `fedaln-phantom`: one folder per site (site1, site2, …), each site with its own case mix and
 * scanner look (libs/phantom site profiles), so the sites are not identically distributed.
 */
async function generatePhantom({ out, sites, cases, size, seed, version, logFile }) {
  const args = ['--sites', sites, '--cases', cases, '--size', size, '--seed', seed, '--version', version];
  args.push('--out', out);
  await runToEnd('fedaln-phantom', [PHANTOM_BIN, ...args.map(String)], { logFile });
  return Array.from({ length: sites }, (_, k) => ({
    name: `site${k + 1}`,
    dir: path.join(out, `site${k + 1}`),
  }));
}

/**
 * The study the demo runs. The default learning rate (flags.js) is high for fine-tuning but right
 * for a randomly initialised densenet-tiny on phantom images (tests/slow/model-convergence.spec.ts). The release
 * policy is looser than a clinical one: a few dozen test cases per site give wide AUC intervals.
 */
function demoStudySpec(o, siteIds) {
  return {
    name: `demo federation ${new Date().toISOString()}`,
    arch: o.arch,
    input_size: o.inputSize,
    init_weights: 'random',
    rounds: o.rounds,
    local_epochs: o.epochs,
    batch_size: 16,
    learning_rate: o.learningRate,
    min_sites: siteIds.length,
    round_deadline_s: 3600,
    seed: o.seed,
    data_source: 'phantom',
    sites: siteIds,
    release_policy: {
      min_site_auc: 0.6,
      min_pooled_auc: 0.65,
      dca_range: [0.4, 0.6],
      min_sites_passing: Math.max(1, siteIds.length - 1),
    },
  };
}

/**
 * The case counts the lead approves for a site: its folder's train and test rows (labels.csv with
 * its split column), read the way the site client reads them, without decoding the images.
 */
async function siteCases(dir, seed) {
  const { counts } = await readSiteFolder(dir, { seed, openImage: async () => undefined });
  const all = (c) => c.negative + c.positive;
  return { n_train: all(counts.train), n_test: all(counts.test) };
}

/**
 * Enrols every site over REST with the case counts the lead approves for it (a site's weight may
 * not exceed them); resolves them with their id and one-time enrolment token.
 */
async function enrolSites(api, sites, seed) {
  const enrolled = [];
  for (const s of sites) {
    const r = await api.ok('POST', '/api/sites', { name: s.name, ...(await siteCases(s.dir, seed)) });
    enrolled.push({ ...s, id: r.id, token: r.enrolment_token });
  }
  return enrolled;
}

/**
 * Starts `fedaln-site run` for each site; its interesting lines are printed with the site's name.
 * The token travels in FEDALN_SITE_TOKEN so that it stays out of `ps`.
 */
function startSites({ sites, url, o, logDir, workDir, say }) {
  return sites.map(
    (s) =>
      new Child(
        s.name,
        [
          SITE_BIN,
          'run',
          ...['--coordinator', url, '--data', s.dir, '--work-dir', path.join(workDir, s.name)],
          ...[
            '--arch',
            o.arch,
            '--input-size',
            String(o.inputSize),
            '--engine',
            o.engine,
            '--seed',
            String(o.seed),
          ],
        ],
        {
          logFile: path.join(logDir, `${s.name}.log`),
          env: { ...process.env, FEDALN_SITE_TOKEN: s.token },
          onLine: (line) => {
            if (SHOWN.test(line)) say(`  ${s.name.padEnd(6)} | ${line}`);
            if (FINISHED.test(line)) finishedLines.push(line);
          },
        },
      ),
  );
}

/**
 * Polls the study once a second, printing each round's state changes, until it completes. Throws
 * when the study fails or is aborted, or when the coordinator or a site client exits early.
 */
async function watchStudy({ api, studyId, coordinator, siteChildren, say }) {
  let last = '';
  for (;;) {
    for (const c of [coordinator, ...siteChildren]) {
      if (c.process && !c.alive) throw c.failure('exited while the study was running');
    }
    const study = await api.ok('GET', `/api/studies/${studyId}`);
    if (study.current_round > 0) {
      const round = await api.ok('GET', `/api/studies/${studyId}/rounds/${study.current_round}`);
      const uploaded = round.participants.filter((p) => p.update_sha256).length;
      const now = `round ${round.number}/${study.spec.rounds}: ${round.state}`;
      const line =
        round.state === 'training' ? `${now} (${uploaded}/${round.participants.length} updates in)` : now;
      if (line !== last) say(line);
      last = line;
    }
    if (study.status === 'completed') return study;
    if (study.status === 'failed' || study.status === 'aborted') {
      throw coordinator.failure(`reports the study ${study.status}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * Resolves the first site client's line that the coordinator said `study:finished` for `studyId`:
 * it sends that after storing the release candidate's nomogram (fitted with the connected sites), so
 * the sites must keep running until then and a release made afterwards carries the nomogram.
 * Throws when the coordinator or every site client exits first.
 */
async function waitStudyFinished({ studyId, coordinator, siteChildren }) {
  for (;;) {
    const line = finishedLines.find((l) => l.includes(`study ${studyId} finished`));
    if (line) return line.slice(line.indexOf(`study ${studyId}`));
    if (coordinator.process && !coordinator.alive)
      throw coordinator.failure('exited before the study finished');
    if (siteChildren.every((c) => !c.alive))
      throw siteChildren[0].failure('and every other site client exited before the study finished');
    await new Promise((r) => setTimeout(r, 200));
  }
}

module.exports = {
  waitStudyFinished,
  generatePhantom,
  demoStudySpec,
  enrolSites,
  startSites,
  watchStudy,
  SITE_BIN,
  PHANTOM_BIN,
};
