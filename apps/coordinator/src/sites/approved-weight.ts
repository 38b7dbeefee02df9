import { DomainError } from '../domain/domain-error';
import type { CaseCounts } from '../domain/records';

/** What a site should do when its declared count is refused. */
const FIX = 'ask the lead to approve your counts on the dashboard';

/**
 * The FedAvg weight of a site's update (issue 13): the `n_train` it declares in `upload:begin`,
 * taken only when it does not exceed the training cases the lead approved for the site, and then
 * capped by the study's `robustness.max_site_cases`. A site cannot inflate its weight past what the
 * lead approved; a lead's typo cannot give one site more than the cap.
 *
 * @throws DomainError `CASES_NOT_APPROVED` when no count is approved or the declared one exceeds it.
 * @example
 * approvedWeight(120, { nTrain: 150, nTest: 30 }, 50_000); // 120
 * approvedWeight(80_000, { nTrain: 90_000, nTest: 30 }, 50_000); // 50000
 * approvedWeight(2 ** 24, { nTrain: 150, nTest: 30 }, 50_000); // throws CASES_NOT_APPROVED
 */
export function approvedWeight(declared: number, approved: CaseCounts | null, cap: number): number {
  if (approved === null) {
    throw new DomainError(
      'CASES_NOT_APPROVED',
      `n_train ${declared} refused: this site has no approved case count yet (expected n_train ≤ the approved count); ${FIX}`,
      { n_train: declared, approved_n_train: null },
    );
  }
  if (declared > approved.nTrain) {
    throw new DomainError(
      'CASES_NOT_APPROVED',
      `n_train ${declared} exceeds the ${approved.nTrain} training cases approved for this site; ${FIX}`,
      { n_train: declared, approved_n_train: approved.nTrain },
    );
  }
  return Math.min(declared, cap);
}
