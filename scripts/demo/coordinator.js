// The demo's coordinator: `fedaln-coordinator serve` on a free port with a fresh data dir and the
// embedded database, and the few REST calls the demo makes as the lead.
'use strict';
/* global fetch */ // Node ≥ 18's global fetch; the lint config lists only older globals
const fs = require('node:fs');
const path = require('node:path');
const { Child } = require('./children');

const ROOT = path.join(__dirname, '../..');
const BIN = path.join(ROOT, 'apps/coordinator/bin/fedaln-coordinator.js');

/** A REST call that did not return 2xx: the method, path, status and the coordinator's message. */
class ApiError extends Error {
  constructor(method, url, status, body) {
    const detail = typeof body === 'object' && body ? (body.message ?? JSON.stringify(body)) : String(body);
    super(`${method} ${url}: HTTP ${status}: ${Array.isArray(detail) ? detail.join('; ') : detail}`);
    this.status = status;
    this.body = body;
  }
}

/**
 * Starts the coordinator and resolves once it listens.
 * @param {{ dataDir: string, logFile: string, adminToken: string, detached: boolean }} o
 * @example const c = await startCoordinator({ dataDir, logFile, adminToken, detached: false }); c.url
 */
async function startCoordinator(o, timeoutMs = 120_000) {
  const env = { ...process.env, FEDALN_ADMIN_TOKEN: o.adminToken, LOG_LEVEL: 'info' };
  delete env.DATABASE_URL; // the demo always runs on the embedded database in its own data dir
  const child = new Child('coordinator', [BIN, 'serve', '--port', '0', '--data-dir', o.dataDir], {
    logFile: o.logFile,
    env,
    detached: o.detached,
  });
  for (const end = Date.now() + timeoutMs; ;) {
    const text = fs.existsSync(o.logFile) ? fs.readFileSync(o.logFile, 'utf8') : '';
    const line = text.split('\n').find((l) => l.includes('"msg":"listening"'));
    if (line) return { child, url: `http://127.0.0.1:${JSON.parse(line).port}` };
    if (!child.alive) throw child.failure('exited before listening');
    if (Date.now() > end) {
      await child.stop('SIGKILL');
      throw child.failure(`did not listen within ${timeoutMs / 1000} s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The lead's REST client (admin bearer token). */
class LeadApi {
  constructor(baseUrl, adminToken) {
    this.baseUrl = baseUrl;
    this.adminToken = adminToken;
  }

  /** Resolves `{ status, body }` whatever the status. */
  async call(method, url, body) {
    const res = await fetch(this.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${this.adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (e.g. an HTML 404 page): kept as text for the error message
    }
    return { status: res.status, body: parsed };
  }

  /** The parsed body of a 2xx response; otherwise throws an {@link ApiError}. */
  async ok(method, url, body) {
    const r = await this.call(method, url, body);
    if (r.status < 200 || r.status > 299) throw new ApiError(method, url, r.status, r.body);
    return r.body;
  }
}

module.exports = { startCoordinator, LeadApi, ApiError, ROOT };
