/**
 * Jest setup of the tiers that talk HTTP to real servers (e2e, adversarial, browser): every `fetch`
 * of the test process opens its own connection (`connection: close`) unless the caller set a
 * `connection` header itself.
 *
 * Why: fetch (undici) keeps connections alive and trusts the server's `Keep-Alive: timeout=N` hint
 * minus one second. On a machine with both cores busy the test process's timers run late, so it
 * can send a request on a connection the server has just closed as idle; the request then fails
 * with "fetch failed … SocketError: other side closed" (seen in `tests/e2e/dp-study.spec.ts`'s
 * `POST /api/studies` under a loaded CI run). The coordinator's own idle timeout is long
 * (`HTTP_KEEP_ALIVE_TIMEOUT_MS`), which makes the race rare for real sites; tests need it gone.
 */
const keepAliveFetch = globalThis.fetch;

globalThis.fetch = (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  if (!headers.has('connection')) headers.set('connection', 'close');
  return keepAliveFetch(input, { ...init, headers });
};
