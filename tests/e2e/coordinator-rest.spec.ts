import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { exampleStudySpec } from '../medium/coordinator-fixtures';
import { assertBuilt, runCli, startServer, type RunningServer } from './coordinator-process';
import { waitUntil } from './support/processes';

jest.setTimeout(120_000);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedaln-e2e-coordinator-'));
let server: RunningServer;
let adminToken: string;
let cliSiteId: string;
let cliStudyId: string;

const studyJson = (sites: string[], patch: Record<string, unknown> = {}) => exampleStudySpec(sites, patch);

async function api(method: string, url: string, body?: unknown, token: string | null = adminToken) {
  const res = await fetch(`${server.baseUrl}${url}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, json: json as Record<string, unknown> & unknown[] };
}

describe('fedaln-coordinator CLI (no server running)', () => {
  beforeAll(assertBuilt);

  it('site add prints the site id and a one-time enrolment token', async () => {
    const r = await runCli(['site', 'add', '--name', 'Hospital CLI', '--data-dir', dataDir]);
    expect(r.code).toBe(0);
    const m = /site id: ([0-9a-f-]{36})\nenrolment token .*: (\S+)\n/.exec(r.stdout);
    expect(m).not.toBeNull();
    cliSiteId = m![1]!;
    // fa_<token id>_<256-bit base64url secret> (auth/token-format.ts)
    expect(m![2]).toMatch(/^fa_[0-9a-f-]{36}_[A-Za-z0-9_-]{43}$/);
  });

  it('study create names the bad field and exits 2', async () => {
    const file = path.join(dataDir, 'bad-study.json');
    fs.writeFileSync(file, JSON.stringify(studyJson([cliSiteId], { learning_rate: 'fast' })));
    const r = await runCli(['study', 'create', '--file', file, '--data-dir', dataDir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/learning_rate: learning_rate must be a number/);
  });

  it('study create stores a valid study and prints its id', async () => {
    const file = path.join(dataDir, 'study.json');
    fs.writeFileSync(file, JSON.stringify(studyJson([cliSiteId], { min_sites: 1, name: 'CLI study' })));
    const r = await runCli(['study', 'create', '--file', file, '--data-dir', dataDir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\n$/);
    cliStudyId = r.stdout.trim();
  });

  it('a bad flag exits 2 naming it', async () => {
    const r = await runCli(['serve', '--port', 'http', '--data-dir', dataDir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--port="http" is invalid');
  });
});

describe('coordinator REST (built server, PGlite in a temp data dir)', () => {
  beforeAll(async () => {
    server = await startServer(dataDir);
    const m = /FEDALN admin token[^\n]*\n\s+(\S+)/.exec(server.stderr());
    if (!m?.[1]) throw new Error(`no admin token printed:\n${server.stderr()}`);
    adminToken = m[1];
    expect(adminToken).toMatch(/^fa_admin_[A-Za-z0-9_-]{43}$/); // auth/token-format.ts
  });
  afterAll(async () => {
    if (server && server.child.exitCode === null) await server.stop();
  });

  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};

  it('lists the study the CLI created', async () => {
    const r = await api('GET', '/api/studies');
    expect(r.status).toBe(200);
    expect(r.json).toEqual([expect.objectContaining({ id: cliStudyId, name: 'CLI study', status: 'draft' })]);
  });

  it('answers /healthz without a token', async () => {
    await expect(api('GET', '/healthz', undefined, null)).resolves.toMatchObject({
      status: 200,
      json: { status: 'ok' },
    });
  });

  it.each([
    ['no token', null],
    ['a wrong token', 'not-the-admin-token'],
  ])('refuses the admin API with %s (401, WWW-Authenticate: Bearer)', async (_, token) => {
    const r = await api('GET', '/api/sites', undefined, token);
    expect(r.status).toBe(401);
    expect(r.json.error).toBe('UNAUTHENTICATED');
    expect(r.headers.get('www-authenticate')).toBe('Bearer');
  });

  it.each([
    ['missing name', {}, 'name must be a string'],
    ['blank name', { name: '   ' }, 'name must not be blank'],
    ['unknown field', { name: 'X', secret: 1 }, 'property secret should not exist'],
  ])('POST /api/sites with %s → 400', async (_, body, message) => {
    const r = await api('POST', '/api/sites', body);
    expect(r.status).toBe(400);
    expect(r.json.message).toContain(message);
  });

  it('enrols sites; the token appears only in the creating response', async () => {
    for (const name of ['Hospital A', 'Hospital B', 'Hospital C']) {
      const r = await api('POST', '/api/sites', { name });
      expect(r.status).toBe(201);
      expect(r.json).toMatchObject({ name, status: 'active', revoked_at: null });
      ids[name] = r.json.id as string;
      tokens[name] = r.json.enrolment_token as string;
    }
    const list = await api('GET', '/api/sites');
    expect(list.status).toBe(200);
    expect((list.json as { name: string }[]).map((s) => s.name)).toEqual([
      'Hospital CLI',
      'Hospital A',
      'Hospital B',
      'Hospital C',
    ]);
    expect(JSON.stringify(list.json)).not.toMatch(/enrolment_token|hash|salt/);
  });

  it('revokes a site; bad and unknown ids are 400 and 404', async () => {
    await expect(api('POST', `/api/sites/${ids['Hospital C']}/revoke`)).resolves.toMatchObject({
      status: 200,
      json: { status: 'revoked' },
    });
    await expect(api('POST', '/api/sites/nope/revoke')).resolves.toMatchObject({ status: 400 });
    await expect(
      api('POST', '/api/sites/00000000-0000-4000-8000-000000000000/revoke'),
    ).resolves.toMatchObject({
      status: 404,
      json: { error: 'SITE_NOT_FOUND' },
    });
  });

  it('POST /api/studies names bad fields (400) and refuses revoked sites', async () => {
    const bad = await api(
      'POST',
      '/api/studies',
      studyJson([ids['Hospital A']!], {
        release_policy: {
          min_site_auc: 0.7,
          min_pooled_auc: 0.7,
          dca_range: [0.6, 0.2],
          min_sites_passing: 'all',
        },
      }),
    );
    expect(bad.status).toBe(400);
    expect(bad.json.message).toEqual(
      expect.arrayContaining([expect.stringContaining('release_policy.dca_range must be [lo, hi]')]),
    );
    const dp = {
      accounting_only: true,
      noise_multiplier: 1.1,
      clip_norm: 1,
      sampling_rate: 0.01,
      max_epsilon: 8,
      delta: 0.5,
    };
    const badDp = await api(
      'POST',
      '/api/studies',
      studyJson([ids['Hospital A']!, ids['Hospital B']!], { dp }),
    );
    expect(badDp.status).toBe(400);
    expect(badDp.json.message).toEqual([
      'dp.delta must be a number above 0 and at most 0.01, below 1 / patients (e.g. 1e-5)',
    ]);
    const revoked = await api('POST', '/api/studies', studyJson([ids['Hospital A']!, ids['Hospital C']!]));
    expect(revoked).toMatchObject({ status: 400, json: { error: 'STUDY_UNKNOWN_SITES' } });
  });

  it('creates and starts a study: round 1 waits for sites and model version 0 downloads', async () => {
    const created = await api('POST', '/api/studies', studyJson([ids['Hospital A']!, ids['Hospital B']!]));
    expect(created).toMatchObject({ status: 201, json: { status: 'draft', current_round: 0 } });
    const id = created.json.id as string;
    ids.study = id;
    await expect(api('GET', `/api/studies/${id}`)).resolves.toMatchObject({
      status: 200,
      json: { id, name: 'coordinator test study' },
    });
    await expect(api('GET', '/api/studies/00000000-0000-4000-8000-000000000000')).resolves.toMatchObject({
      status: 404,
    });

    const started = await api('POST', `/api/studies/${id}/start`);
    expect(started).toMatchObject({ status: 200, json: { status: 'running', current_round: 1 } });
    await expect(api('POST', `/api/studies/${id}/start`)).resolves.toMatchObject({
      status: 409,
      json: { error: 'STUDY_ILLEGAL_COMMAND' },
    });
    const rounds = await api('GET', `/api/studies/${id}/rounds`);
    expect(rounds.json).toMatchObject([{ number: 1, state: 'waiting', attempt: 1 }]);
    await expect(api('GET', `/api/studies/${id}/rounds/1`)).resolves.toMatchObject({
      status: 200,
      json: { participants: [] },
    });
    await expect(api('GET', `/api/studies/${id}/rounds/one`)).resolves.toMatchObject({ status: 400 });
    await expect(api('GET', `/api/studies/${id}/rounds/7`)).resolves.toMatchObject({ status: 404 });

    const res = await fetch(`${server.baseUrl}/api/studies/${id}/models/0`, {
      headers: { authorization: `Bearer ${tokens['Hospital A']}` },
    });
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(res.headers.get('x-content-sha256'));
    expect(bytes.subarray(0, 7).toString()).toBe('FEDALN1'); // libs/protocol blob magic
  });

  it('models: a site outside the study gets 403, no token 401, a missing version 404', async () => {
    const id = ids.study!;
    const cliToken = await api('POST', '/api/sites', { name: 'Hospital Outside' });
    await expect(
      api('GET', `/api/studies/${id}/models/0`, undefined, cliToken.json.enrolment_token as string),
    ).resolves.toMatchObject({ status: 403 });
    await expect(api('GET', `/api/studies/${id}/models/0`, undefined, null)).resolves.toMatchObject({
      status: 401,
    });
    await expect(api('GET', `/api/studies/${id}/models/3`)).resolves.toMatchObject({
      status: 404,
      json: { error: 'MODEL_NOT_FOUND' },
    });
  });

  it('pause, resume and abort follow the study lifecycle', async () => {
    const id = ids.study!;
    await expect(api('POST', `/api/studies/${id}/resume`)).resolves.toMatchObject({ status: 409 });
    await expect(api('POST', `/api/studies/${id}/pause`)).resolves.toMatchObject({
      status: 200,
      json: { status: 'paused' },
    });
    await expect(api('POST', `/api/studies/${id}/resume`)).resolves.toMatchObject({
      status: 200,
      json: { status: 'running' },
    });
    await expect(api('POST', `/api/studies/${id}/abort`)).resolves.toMatchObject({
      status: 200,
      json: { status: 'aborted' },
    });
    await expect(api('GET', `/api/studies/${id}/rounds/1`)).resolves.toMatchObject({
      json: { state: 'failed' },
    });
  });

  it('GET /api/audit/head gives the lead the audit chain head; no token is 401', async () => {
    await expect(api('GET', '/api/audit/head', undefined, null)).resolves.toMatchObject({ status: 401 });
    const before = await api('GET', '/api/audit/head');
    expect(before).toMatchObject({
      status: 200,
      json: { head: { id: expect.stringMatching(/^\d+$/), hash: expect.stringMatching(/^[0-9a-f]{64}$/) } },
    });
    const head = (before.json as unknown as { head: { id: string; hash: string; at: string } }).head;
    expect(Number.isNaN(Date.parse(head.at))).toBe(false);
    // A state change appends a row chained to that head.
    expect((await api('POST', '/api/sites', { name: 'Hospital Head' })).status).toBe(201);
    const after = (await api('GET', '/api/audit/head')).json as unknown as {
      head: { id: string; hash: string };
    };
    expect(BigInt(after.head.id)).toBeGreaterThan(BigInt(head.id));
    expect(after.head.hash).not.toBe(head.hash);
  });

  it('serves Prometheus metrics and echoes request ids', async () => {
    const res = await fetch(`${server.baseUrl}/metrics`, { headers: { 'x-request-id': 'e2e-req-1' } });
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    expect(res.headers.get('x-request-id')).toBe('e2e-req-1');
    const text = await res.text();
    expect(text).toContain('fedaln_rounds{state="failed"} 1');
    expect(text).toContain('# TYPE fedaln_round_duration_seconds histogram');
    // The access log line is written when the response finishes; wait for it to reach our pipe.
    await waitUntil('the request log line', () => server.stdout().includes('"reqId":"e2e-req-1"'), {
      intervalMs: 50,
    });
    expect(server.stdout()).toMatch(/"reqId":"e2e-req-1","method":"GET","url":"\/metrics","status":200/);
  });

  it('the CLI refuses to open the data dir the server holds', async () => {
    const r = await runCli(['site', 'list', '--data-dir', dataDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`in use by process ${server.child.pid}`);
  });

  it('SIGTERM closes HTTP and the database and exits 0; a restart keeps the admin token without printing it', async () => {
    await expect(server.stop()).resolves.toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'pg.lock'))).toBe(false);
    server = await startServer(dataDir);
    expect(server.stderr()).not.toContain('FEDALN admin token');
    await expect(api('GET', '/api/sites')).resolves.toMatchObject({ status: 200 });
    await expect(server.stop()).resolves.toBe(0);
  });
});
