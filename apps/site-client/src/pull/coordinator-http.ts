import * as http from 'node:http';
import * as https from 'node:https';
import type { CoordinatorTls } from '../tls/coordinator-tls';

/**
 * The coordinator's REST API as `fedaln-site pull` uses it: GET with the site's enrolment token,
 * failures turned into messages that name the URL, the status and the flag to check. Over https://
 * every request goes through the pinned TLS trust (`--ca-file`, the pinned key): node:https with its
 * agent, since Node 20's global fetch takes no CA or identity check without the undici package.
 */
export class CoordinatorHttp {
  constructor(
    readonly coordinator: string,
    private readonly token: string,
    private readonly tls: CoordinatorTls | null = null,
  ) {}

  /**
   * The raw response of `path` (relative to the coordinator); throws only when it cannot be reached.
   *
   * @example const res = await http.request('/api/keys');
   */
  async request(path: string, method: 'GET' | 'HEAD' = 'GET'): Promise<Response> {
    const url = `${this.coordinator}${path}`;
    try {
      return await this.send(url, method);
    } catch (err) {
      throw new Error(
        `cannot reach ${url} (${(err as Error).cause ?? (err as Error).message}); check --coordinator`,
      );
    }
  }

  /**
   * The body of a successful GET; `what` and `fix` name the resource and the flags to check.
   *
   * @example const bytes = await http.bytes('/api/releases/3/weights', 'release v3', '--release');
   */
  async bytes(path: string, what: string, fix: string): Promise<Uint8Array> {
    return new Uint8Array(await (await this.ok(path, what, fix)).arrayBuffer());
  }

  /** @example const release = await http.json<{ version: number }>('/api/releases/3', 'release v3', '--release'); */
  async json<T>(path: string, what: string, fix: string): Promise<T> {
    return (await (await this.ok(path, what, fix)).json()) as T;
  }

  /** One request, its whole body read, as a fetch `Response`. */
  private send(url: string, method: 'GET' | 'HEAD'): Promise<Response> {
    const secure = url.startsWith('https:');
    const agent = this.tls?.agent;
    if (secure && !agent) throw new Error('an https:// coordinator needs its TLS trust (coordinatorTls)');
    const options = { method, headers: { authorization: `Bearer ${this.token}` } };
    return new Promise((resolve, reject) => {
      const onResponse = (res: http.IncomingMessage): void => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('error', reject);
        res.once('end', () => {
          const status = res.statusCode ?? 0;
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers))
            if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
          // A Response may not carry a body with 204/304 or for HEAD.
          const empty = method === 'HEAD' || status === 204 || status === 304;
          resolve(new Response(empty ? null : Buffer.concat(chunks), { status, headers }));
        });
      };
      const req = secure
        ? https.request(url, { ...options, agent }, onResponse)
        : http.request(url, options, onResponse);
      req.once('error', reject);
      req.end();
    });
  }

  private async ok(path: string, what: string, fix: string): Promise<Response> {
    const res = await this.request(path);
    if (res.ok) return res;
    const body = (await res.text()).slice(0, 300);
    const check =
      res.status === 401 || res.status === 403 ? '--token (the enrolment token of this site)' : fix;
    throw new Error(
      `${what}: GET ${this.coordinator}${path} answered HTTP ${res.status} ${body}; check ${check}`,
    );
  }
}
