import * as fs from 'node:fs';
import * as path from 'node:path';
import { integerIn, parseFlags, UsageError } from '@fedaln/cli-flags';
import { ConfigError, loadConfig, type AppConfig } from './config/app-config';
import { DomainError } from './domain/domain-error';
import { openDatabase } from './persistence/data-source';
import { DataDirLockedError } from './persistence/data-dir-lock';
import type { CaseCounts } from './domain/records';
import { MAX_CASE_COUNT } from './sites/create-site.dto';
import { SitesService } from './sites/sites.service';
import { StudiesService } from './studies/studies.service';
import { validateStudySpec } from './studies/validate-study-spec';

const USAGE = `usage: fedaln-coordinator <command> [options]

  serve [--port 8080] [--data-dir DIR] [--host 127.0.0.1]
        [--tls-cert FILE --tls-key FILE] [--behind-proxy]
                                            run the coordinator (REST and sockets on --host:--port);
                                            HTTPS/WSS with a certificate, else plain HTTP, which
                                            only loopback or --behind-proxy (a TLS proxy in front)
                                            allows
  site add --name "Hospital A" [--n-train N --n-test M]
                                            enrol a site (with its approved case counts); prints
                                            its id and one-time enrolment token
  site approve ID --n-train N --n-test M    approve a site's case counts (its weight's bound)
  site list [--json]                        list sites
  site revoke ID                            revoke a site and its token
  study create --file study.json            validate and store a study; prints its id
  audit verify [--anchor ID:HASH] [--json]  walk the audit log's hash chain; exit 1 naming the first
                                            broken row (with --anchor: the chain must still hold
                                            that head)
  audit head [--json]                       print the chain head ID:HASH to anchor elsewhere

Environment: FEDALN_HOST, FEDALN_TLS_CERT, FEDALN_TLS_KEY, FEDALN_BEHIND_PROXY=1 (flags win).
Every command takes --data-dir DIR (default FEDALN_DATA_DIR or ./data/coordinator) and uses
DATABASE_URL when set. Without DATABASE_URL the database is PGlite inside the data directory, which
one process at a time may open: stop \`serve\` before using site/study commands, or use the REST API.`;

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags({
    args: argv,
    allowPositionals: true,
    help: 'fedaln-coordinator --help',
    options: {
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      host: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'behind-proxy': { type: 'boolean' },
      name: { type: 'string' },
      'n-train': { type: 'string' },
      'n-test': { type: 'string' },
      file: { type: 'string' },
      json: { type: 'boolean' },
      anchor: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, sub, arg] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = loadConfig(process.env, {
    port: values.port,
    dataDir: values['data-dir'],
    host: values.host,
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
    behindProxy: values['behind-proxy'],
  });
  switch (command) {
    case 'serve':
      // Loaded only for `serve`, so site/study commands start without Nest.
      return (await import('./serve.js')).serve(config);
    case 'site':
      return withEnrolment(config, (e) =>
        site(e, sub, arg, values.name, caseFlags(values['n-train'], values['n-test']), values.json === true),
      );
    case 'audit':
      process.exitCode = await (
        await import('./audit/audit-command.js')
      ).auditCommand(config.database, sub, values.anchor, values.json === true);
      return;
    case 'study':
      if (sub !== 'create')
        throw new UsageError(
          `unknown study command ${JSON.stringify(sub)}: expected "study create --file study.json"`,
        );
      if (!values.file) throw new UsageError('study create needs --file study.json');
      return createStudy(config, values.file);
    default:
      throw new UsageError(
        `unknown command ${JSON.stringify(command)}: expected serve, site, study or audit (see --help)`,
      );
  }
}

/** The enrolment services as `serve` has them (EnrolmentModule), over the configured database. */
interface Enrolment {
  readonly sites: SitesService;
  readonly studies: StudiesService;
}

async function withEnrolment<T>(config: AppConfig, fn: (e: Enrolment) => Promise<T>): Promise<T> {
  const db = await openDatabase(config.database);
  try {
    // Loaded here, so `--help` and usage errors answer without Nest; one at a time (Node 20's
    // require of ES modules fails when two imports load the same graph concurrently).
    const { EnrolmentModule } = await import('./app.module.js');
    const { NestFactory } = await import('@nestjs/core');
    const context = await NestFactory.createApplicationContext(
      EnrolmentModule.forRoot(db.dataSource, config.blobDir),
      { logger: false },
    );
    try {
      return await fn({ sites: context.get(SitesService), studies: context.get(StudiesService) });
    } finally {
      await context.close();
    }
  } finally {
    await db.close();
  }
}

/** `--n-train` and `--n-test` as approved counts: both, or neither (null). */
function caseFlags(nTrain: string | undefined, nTest: string | undefined): CaseCounts | null {
  if (nTrain === undefined && nTest === undefined) return null;
  const range = { min: 0, max: MAX_CASE_COUNT };
  const count = (flag: string, text: string | undefined): number => {
    const n = text === undefined ? undefined : integerIn(text, range);
    if (n === undefined)
      throw new UsageError(
        `${flag} ${JSON.stringify(text ?? null)} is not valid; give --n-train and --n-test together, each an integer from 0 to ${MAX_CASE_COUNT}`,
      );
    return n;
  };
  return { nTrain: count('--n-train', nTrain), nTest: count('--n-test', nTest) };
}

async function site(
  { sites }: Enrolment,
  sub: string | undefined,
  id: string | undefined,
  name: string | undefined,
  cases: CaseCounts | null,
  json: boolean,
): Promise<void> {
  switch (sub) {
    case 'add': {
      if (!name || !name.trim())
        throw new UsageError('site add needs --name "Hospital A" (a non-blank name)');
      const { site: created, enrolmentToken } = await sites.enrol(name.trim(), 'cli', cases);
      process.stdout.write(
        `site id: ${created.id}\nenrolment token (shown only now; give it to the site): ${enrolmentToken}\n`,
      );
      return;
    }
    case 'list': {
      const all = await sites.list();
      if (json) {
        process.stdout.write(`${JSON.stringify(all)}\n`);
        return;
      }
      for (const s of all) process.stdout.write(`${s.id}  ${s.status.padEnd(7)}  ${s.name}\n`);
      return;
    }
    case 'approve': {
      if (!id || !cases)
        throw new UsageError(
          'site approve needs the site id and both counts: fedaln-coordinator site approve ID --n-train N --n-test M',
        );
      const approved = await sites.approveCases(id, cases, 'cli');
      process.stdout.write(
        `approved ${cases.nTrain} training and ${cases.nTest} test cases for ${approved.id} (${approved.name})\n`,
      );
      return;
    }
    case 'revoke': {
      if (!id) throw new UsageError('site revoke needs the site id: fedaln-coordinator site revoke ID');
      const revoked = await sites.revoke(id, 'cli');
      process.stdout.write(`revoked ${revoked.id} (${revoked.name})\n`);
      return;
    }
    default:
      throw new UsageError(
        `unknown site command ${JSON.stringify(sub)}: expected add, approve, list or revoke`,
      );
  }
}

async function createStudy(config: AppConfig, file: string): Promise<void> {
  let input: unknown;
  try {
    input = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--file ${file}: cannot read it as JSON (${(e as Error).message})`);
  }
  // A relative model.json path means relative to the study file, not to wherever the server runs.
  const spec = input as { init_weights?: unknown };
  if (
    typeof spec.init_weights === 'string' &&
    spec.init_weights !== 'random' &&
    !path.isAbsolute(spec.init_weights)
  ) {
    spec.init_weights = path.resolve(path.dirname(file), spec.init_weights);
  }
  // Validate before opening the database: a bad file fails fast, even while the server holds it.
  const checked = validateStudySpec(input);
  if (!checked.ok) throw new DomainError('STUDY_SPEC_INVALID', 'invalid study', { errors: checked.errors });
  await withEnrolment(config, async ({ studies }) => {
    const study = await studies.create(input, 'cli');
    process.stdout.write(`${study.id}\n`);
  });
}

function exitCodeFor(e: unknown): { code: number; message: string } {
  if (e instanceof UsageError || e instanceof ConfigError) return { code: 2, message: e.message };
  if (e instanceof DomainError) {
    const errors = (e.details?.errors ?? []) as { field: string; message: string }[];
    const lines = errors.length
      ? errors.map((x) => `  ${x.field}: ${x.message}`).join('\n')
      : `  ${e.message}`;
    const input =
      e.code === 'STUDY_SPEC_INVALID' || e.code === 'STUDY_UNKNOWN_SITES' || e.code === 'SITE_NOT_FOUND';
    return {
      code: input ? 2 : 1,
      message: errors.length ? `invalid study (fix these fields in the --file):\n${lines}` : e.message,
    };
  }
  if (e instanceof DataDirLockedError) return { code: 1, message: e.message };
  return { code: 1, message: (e as Error).stack ?? String(e) };
}

main(process.argv.slice(2)).catch((e: unknown) => {
  const { code, message } = exitCodeFor(e);
  process.stderr.write(`fedaln-coordinator: ${message}\n`);
  process.exit(code);
});
