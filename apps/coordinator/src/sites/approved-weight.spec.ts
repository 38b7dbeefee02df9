import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../domain/domain-error';
import { approvedWeight } from './approved-weight';

const APPROVED = Object.freeze({ nTrain: 150, nTest: 30 });
const CAP = 50_000; // DEFAULT_ROBUSTNESS.max_site_cases

describe('approvedWeight', () => {
  it('takes the declared count up to the approved one', () => {
    expect(approvedWeight(120, APPROVED, CAP)).toBe(120);
    expect(approvedWeight(150, APPROVED, CAP)).toBe(150);
  });

  it("caps an approved count by the study's max_site_cases", () => {
    expect(approvedWeight(80_000, { nTrain: 90_000, nTest: 10 }, CAP)).toBe(CAP);
  });

  // Issue 13: a site declared 2^24 training cases and dictated the global model.
  it.each([
    [2 ** 24, APPROVED, /n_train 16777216 exceeds the 150 training cases approved/],
    [151, APPROVED, /n_train 151 exceeds the 150 training cases approved/],
    [10, null, /n_train 10 refused: this site has no approved case count yet/],
  ])('refuses n_train %d with approved %j', (declared, approved, message) => {
    let thrown: unknown;
    try {
      approvedWeight(declared, approved, CAP);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    expect((thrown as DomainError).code).toBe('CASES_NOT_APPROVED');
    expect((thrown as DomainError).message).toMatch(message);
    expect((thrown as DomainError).message).toMatch(/ask the lead to approve your counts on the dashboard$/);
  });
});
