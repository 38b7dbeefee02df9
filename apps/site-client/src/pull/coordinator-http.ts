/**
 * The coordinator's REST API as `fedaln-site pull` uses it: GET with the site's enrolment token,
 * failures turned into messages that name the URL, the status and the flag to check.
 */
export class CoordinatorHttp {
  constructor(
    readonly coordinator: string,
    private readonly token: string,
  ) {}

  /**
   * The raw response of `path` (relative to the coordinator); throws only when it cannot be reached.
   *
   * @example const res = await http.request('/api/keys');
   */
  async request(path: string, method: 'GET' | 'HEAD' = 'GET'): Promise<Response> {
    const url = `${this.coordinator}${path}`;
    try {
      return await fetch(url, { method, headers: { authorization: `Bearer ${this.token}` } });
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
