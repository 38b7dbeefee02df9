import { UsageError } from '@fedaln/cli-flags';

/**
 * Checks `--coordinator` is an http(s) URL and returns it without a trailing slash, so
 * `${url}/site` and `${url}/api/...` are well formed.
 *
 * @example coordinatorUrl('run', 'https://fedaln.example.org/') // 'https://fedaln.example.org'
 */
export function coordinatorUrl(command: string, text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `fedaln-site ${command}: --coordinator "${text}" is not a URL; pass e.g. --coordinator https://fedaln.example.org`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(
      `fedaln-site ${command}: --coordinator "${text}" uses ${url.protocol}; expected an http:// or https:// URL`,
    );
  }
  return url.toString().replace(/\/+$/, '');
}
