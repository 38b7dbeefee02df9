import { describe, expect, it } from '@jest/globals';
import { servesLastRound } from './last-round';

// The coordinator numbers a study's rounds 1…rounds (a one-round study sends round 1: see
// tests/e2e/site-client.spec.ts), and each round ends with an evaluate task (DESIGN.md "Rounds").
describe('servesLastRound', () => {
  it('is true only for the evaluate task of the last round', () => {
    expect(servesLastRound({ kind: 'evaluate', round: 3, rounds: 3 })).toBe(true);
    expect(servesLastRound({ kind: 'train', round: 3, rounds: 3 })).toBe(false);
    expect(servesLastRound({ kind: 'evaluate', round: 2, rounds: 3 })).toBe(false);
    expect(servesLastRound({ kind: 'evaluate', round: 1, rounds: 1 })).toBe(true);
  });
});
