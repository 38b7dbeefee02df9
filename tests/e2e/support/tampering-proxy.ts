import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A proxy in front of the coordinator that passes every request on and lets `tamper` rewrite a
 * response (its body, or its status and body): what a compromised mirror or a man in the middle could
 * serve.
 */
export async function tamperingProxy(
  target: string,
  tamper: (url: string, body: Buffer, status: number) => Buffer | { status: number; body: Buffer },
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    void (async () => {
      const upstream = await fetch(target + req.url, {
        method: req.method,
        headers: { authorization: req.headers.authorization ?? '' },
      });
      const tampered = tamper(req.url ?? '', Buffer.from(await upstream.arrayBuffer()), upstream.status);
      const { status, body } = Buffer.isBuffer(tampered)
        ? { status: upstream.status, body: tampered }
        : tampered;
      const headers: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(k))
          headers[k] = v;
      });
      res.writeHead(status, headers);
      res.end(body);
    })().catch((err: Error) => res.writeHead(502).end(err.message));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
