import * as path from 'node:path';
import type { PullCommand } from '../cli/parse-pull';
import { CoordinatorHttp } from '../pull/coordinator-http';
import { pullGlobalModel } from '../pull/pull-global';
import { pullRelease } from '../pull/pull-release';
import { UntrustedModelError } from '../release/release-trust';
import { trustCoordinator } from '../tls/coordinator-tls';

/**
 * `fedaln-site pull`: a signed release by default (verified against the pinned coordinator key),
 * an unsigned global model only with `--version`. A model that fails verification is not written
 * and the command exits 1 saying why and what to do. Returns the exit code.
 *
 * @example await pullCommand(parseCommand(argv, process.env) as PullCommand, console.error);
 */
export async function pullCommand(cmd: PullCommand, log: (line: string) => void): Promise<number> {
  // Before anything is fetched: the release key is pinned over this channel too.
  const trust = await trustCoordinator('pull', cmd.coordinator, cmd.tls, cmd.workDir, log);
  if (trust.refused) return 1;
  const http = new CoordinatorHttp(cmd.coordinator, cmd.token, trust.tls);
  if (cmd.source.kind === 'global') return pullGlobalModel(cmd, cmd.source, http, log);
  try {
    return await pullRelease(cmd, cmd.source, http, log);
  } catch (err) {
    if (!(err instanceof UntrustedModelError)) throw err;
    log(`fedaln-site pull: REFUSED: ${err.message}`);
    log(
      `Nothing was written to ${path.resolve(cmd.out)}. Do not use this model: report it to the consortium lead ` +
        `(naming the release and ${cmd.coordinator}), check that --coordinator is the consortium's own address ` +
        '(a proxy or mirror may alter files), and pull again once the lead confirms the release.',
    );
    return 1;
  }
}
