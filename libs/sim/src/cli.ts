/**
 * `fedaln-sim`: the simulation harness's command line and report writer — the only module of this
 * package that does I/O (reads site folders, writes DIR/sim-report.json and DIR/sim-report.html).
 */
import { UsageError } from '@fedaln/cli-flags';
import { selectEngine, siteImageOpener } from '@fedaln/model';
import { readSiteFolder } from '@fedaln/site-data';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseSimArgs, type SimCliOptions, USAGE } from './cli-args';
import { phantomCohort } from './phantom-cohort';
import { simReportHtml } from './report-html';
import { type CohortSource, runSimulation, type SimReport } from './run-simulation';
import { holdOutValidation, type SimCase, type SimCohort } from './sim-cohort';

/** Cases of a site folder with their split, decoded at the model's input size. */
async function readCases(dir: string, inputSize: number): Promise<{ split: string; c: SimCase }[]> {
  const folder = await readSiteFolder(dir, { seed: 1, openImage: siteImageOpener(inputSize) });
  for (const w of folder.warnings) process.stderr.write(`fedaln-sim: ${dir}: ${w}\n`);
  return folder.cases.map((c) => ({
    split: c.split,
    c: { caseId: c.caseId, image: c.image!, label: c.label, features: c.features },
  }));
}

/** Real site folders: the same cases for every seed; the validation hold-out follows the seed. */
async function folderCohorts(o: SimCliOptions): Promise<CohortSource> {
  const sites = await Promise.all(o.siteDirs.map((d) => readCases(d, o.inputSize)));
  const external = await Promise.all(o.externalDirs.map((d) => readCases(d, o.inputSize)));
  return (seed): SimCohort => ({
    sites: sites.map((cases, k) => ({
      name: basename(o.siteDirs[k]!),
      ...holdOutValidation(
        cases.filter((x) => x.split === 'train').map((x) => x.c),
        o.validationFraction,
        seed,
        k,
      ),
      test: cases.filter((x) => x.split === 'test').map((x) => x.c),
    })),
    external: external.map((cases, k) => ({
      name: basename(o.externalDirs[k]!),
      cases: cases.map((x) => x.c),
    })),
  });
}

/** Writes the report's JSON and HTML into `out`; returns their paths. */
export function writeSimReport(report: SimReport, out: string): { json: string; html: string } {
  mkdirSync(out, { recursive: true });
  const paths = { json: join(out, 'sim-report.json'), html: join(out, 'sim-report.html') };
  writeFileSync(paths.json, `${JSON.stringify(report, null, 1)}\n`);
  writeFileSync(paths.html, simReportHtml(report));
  return paths;
}

async function run(o: SimCliOptions): Promise<void> {
  const engine = await selectEngine(o.engine);
  const log = (line: string): void => void process.stderr.write(`fedaln-sim: ${line}\n`);
  log(`engine ${engine.name}`);
  const p = o.phantom;
  const cohorts: CohortSource = p
    ? (seed) =>
        phantomCohort({
          sites: p.sites,
          casesPerSite: p.cases,
          externalSites: p.externalSites,
          externalCasesPerSite: p.externalCases,
          inputSize: o.inputSize,
          seed,
          validationFraction: o.validationFraction,
          version: p.version,
        })
    : await folderCohorts(o);
  const report = await runSimulation(
    cohorts,
    {
      strategies: o.strategies,
      rounds: o.rounds,
      seeds: o.seeds,
      strategyOptions: o.strategyOptions,
      schedule: o.schedule,
      adaptExternal: o.adaptExternal,
      training: {
        arch: o.arch,
        inputSize: o.inputSize,
        epochs: o.epochs,
        batchSize: o.batchSize,
        learningRate: o.learningRate,
      },
      data: p
        ? { source: 'phantom', ...p, validation_fraction: o.validationFraction }
        : {
            source: 'folders',
            sites: o.siteDirs,
            external: o.externalDirs,
            validation_fraction: o.validationFraction,
          },
    },
    log,
  );
  const paths = writeSimReport(report, o.out);
  log(`wrote ${paths.json} and ${paths.html}`);
  if (o.json) process.stdout.write(`${JSON.stringify(report)}\n`);
}

function main(): void {
  let o: SimCliOptions | null;
  try {
    o = parseSimArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`fedaln-sim: ${err.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (o === null) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  run(o).catch((err: unknown) => {
    process.stderr.write(
      `fedaln-sim failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  });
}

main();
