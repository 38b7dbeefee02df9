#!/usr/bin/env node
// `node scripts/privacy-audit.js PATH...` (npm run privacy-audit -- PATH...): shows, from the reports a
// site sent, that no released count is below the privacy rule's k, and prints the pooled-AUC error
// bound of those reports (README "What a site sends, and why it is not per-case data").
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { integerFlag, parseFlags, UsageError } = require('@fedaln/cli-flags');
const {
  DEFAULT_MIN_CELL_COUNT,
  pooledAuc,
  releasedReportProblem,
  studyLayoutProblem,
} = require('@fedaln/metrics');

const USAGE = `usage: node scripts/privacy-audit.js [--k K] [--json] PATH...

Checks each evaluation report in PATH against the privacy rule: every released count (score-histogram
bins, threshold counts) covers 0 or at least k cases of a class, the score summaries are withheld while a
class has fewer than k cases, and Youden's point and the decision curve come from the released counts.
Prints, per study and round, the pooled AUC of the reports found and its error bound against the exact
AUC. Exits 1 when a report breaks the rule, 2 on bad arguments.

PATH is a site client's work directory (its reports/ folder: the copy of every report it sent), a
folder of report files, or one file. The coordinator's stored reports (<data-dir>/metrics/<study>/<round>/)
read the same way.

  --k K     the rule's k where a report file does not record it (default ${DEFAULT_MIN_CELL_COUNT})
  --json    one JSON object on stdout instead of text
  -h, --help  this text`;

/** Report files under `p`: a work directory's reports/, a folder (recursively), or one file. */
function reportFiles(p) {
  const stat = fs.statSync(p, { throwIfNoEntry: false });
  if (!stat)
    throw new UsageError(
      `${p} does not exist; pass a site work directory, a reports folder or a report file`,
    );
  if (stat.isFile()) return [p];
  const reports = path.join(p, 'reports');
  const dir = fs.existsSync(reports) && fs.statSync(reports).isDirectory() ? reports : p;
  return fs
    .readdirSync(dir, { recursive: true })
    .map((f) => path.join(dir, String(f)))
    .filter((f) => f.endsWith('.json') && !path.basename(f).startsWith('.') && fs.statSync(f).isFile())
    .sort();
}

/** The report in a file: a site's sent copy ({ study_id, round, report, min_cell_count }) or a coordinator's stored one. */
function readReport(file, defaultK) {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  const report = doc && typeof doc === 'object' ? doc.report : undefined;
  if (!report || typeof report !== 'object') return null;
  return {
    file,
    study: doc.study_id ?? doc.studyId ?? '?',
    round: doc.round ?? '?',
    site: doc.siteId ?? null,
    k: Number.isInteger(doc.min_cell_count) ? doc.min_cell_count : defaultK,
    report,
  };
}

/** What the rule says of one report: its problem, or the smallest non-zero count it releases. */
function audit(entry) {
  const r = entry.report;
  const problem = (() => {
    try {
      return studyLayoutProblem(r) ?? releasedReportProblem(r, entry.k);
    } catch (e) {
      return `not a report: ${e.message}`;
    }
  })();
  const counts = problem
    ? []
    : [
        ...r.score_histograms.positive,
        ...r.score_histograms.negative,
        ...r.threshold_counts.tp,
        ...r.threshold_counts.fp,
      ];
  const nonZero = counts.filter((c) => c > 0);
  return {
    file: entry.file,
    study: entry.study,
    round: entry.round,
    k: entry.k,
    n: r.n,
    n_pos: r.n_pos,
    bins: problem ? null : r.score_histograms.positive.length,
    released_thresholds: problem ? null : r.threshold_counts.thresholds.length,
    smallest_count: nonZero.length ? Math.min(...nonZero) : null,
    summaries: r.auc === null ? 'withheld' : 'released',
    problem,
  };
}

function main() {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseFlags({
      args: process.argv.slice(2),
      options: { k: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      help: 'node scripts/privacy-audit.js --help',
      expected: { k: `expected an integer ≥ 1, e.g. --k ${DEFAULT_MIN_CELL_COUNT}` },
    }));
    if (values.help) return void process.stdout.write(`${USAGE}\n`);
    const k = integerFlag('--k', values.k, { default: DEFAULT_MIN_CELL_COUNT, min: 1, max: 1_000_000 });
    if (positionals.length === 0)
      throw new UsageError('no PATH; pass a site work directory, a reports folder or a report file');
    const entries = positionals
      .flatMap(reportFiles)
      .map((f) => readReport(f, k))
      .filter((e) => e !== null);
    if (entries.length === 0)
      throw new UsageError(
        `no reports in ${positionals.join(', ')}; expected *.json files holding a "report"`,
      );
    const reports = entries.map(audit);
    const groups = new Map();
    entries.forEach((e, i) => {
      if (reports[i].problem) return;
      const key = `${e.study}\u0000${e.round}`;
      groups.set(key, [...(groups.get(key) ?? []), e]);
    });
    const pooled = [...groups.values()].map((g) => {
      const p = pooledAuc(
        g.map((e) => e.report.score_histograms),
        g.map((e) => e.report.auc),
      );
      return {
        study: g[0].study,
        round: g[0].round,
        reports: g.length,
        auc: p.auc,
        auc_error_bound: p.auc_error_bound,
      };
    });
    const violations = reports.filter((r) => r.problem);
    if (values.json)
      process.stdout.write(`${JSON.stringify({ reports, pooled, ok: violations.length === 0 })}\n`);
    else {
      const fmt = (x, d = 4) => (x === null ? 'n/a' : x.toFixed(d));
      for (const r of reports) {
        const head = `${r.file}: study ${r.study}, round ${r.round}, n ${r.n} (${r.n_pos} positive), k = ${r.k}`;
        process.stdout.write(
          r.problem
            ? `${head}\n  VIOLATION: ${r.problem}\n`
            : `${head}\n  ok: ${r.bins} bins, ${r.released_thresholds} released thresholds, smallest non-zero count ${r.smallest_count ?? 'none'} (≥ k), score summaries ${r.summaries}\n`,
        );
      }
      for (const p of pooled)
        process.stdout.write(
          `pooled AUC of study ${p.study}, round ${p.round} (${p.reports} report${p.reports === 1 ? '' : 's'}): ${fmt(p.auc)} ± ${fmt(p.auc_error_bound)} (error bound against the exact AUC)\n`,
        );
      process.stdout.write(
        violations.length === 0
          ? `${reports.length} report${reports.length === 1 ? '' : 's'}: no released count below k\n`
          : `${violations.length} of ${reports.length} reports break the privacy rule\n`,
      );
    }
    process.exitCode = violations.length === 0 ? 0 : 1;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`privacy-audit: ${err.message}\n\n${USAGE}\n`);
    process.exitCode = 2;
  }
}

main();
