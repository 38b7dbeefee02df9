/**
 * Whether `ws` (under socket.io) masks and unmasks WebSocket frames with bufferutil's native code.
 * Without it `ws` silently uses JavaScript, and an 80 MB upload takes about twice as long
 * (`npm run bench -- transfer`: ratio_vs_tcp 0.31–0.39 instead of 0.7–0.9): bufferutil is an
 * optional dependency with prebuilt binaries for Linux x64, macOS and Windows only; on other
 * platforms it needs a compiler at install time. Both apps log a warning when this is false.
 *
 * @example
 * if (!nativeFrameMasking()) log.warn('install bufferutil: WebSocket masking runs in JavaScript');
 */
export function nativeFrameMasking(): boolean {
  try {
    // bufferutil exports its JavaScript fallback when the native addon does not load.
    return require('bufferutil') !== require('bufferutil/fallback');
  } catch {
    return false;
  }
}

/** The warning both apps log when {@link nativeFrameMasking} is false. */
export const NO_NATIVE_MASKING_WARNING =
  'bufferutil is not loaded: WebSocket frames are masked in JavaScript and transfers run about half as fast; ' +
  'install the optional dependency bufferutil (npm install bufferutil; needs a C++ compiler where no prebuilt binary exists)';
