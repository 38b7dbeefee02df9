/**
 * Preloaded (`node --require`) into a real `fedaln-site run` for the phantom federation of issue 13:
 * the site trains honestly and then sends −10 × its update, a sign-flip attack scaled ×10. It
 * replaces `subtractWeights` on the module that defines it, which `@fedaln/protocol` re-exports
 * through a getter, so the site client's `delta = local − global` becomes −10·(local − global).
 */
const weights = require('../../../libs/protocol/dist/weights.js');

const honest = weights.subtractWeights;
weights.subtractWeights = (local, global) =>
  honest(local, global).map((t) => ({ ...t, values: t.values.map((v) => -10 * v) }));
