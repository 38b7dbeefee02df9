import { DomainError } from '../domain/domain-error';
import type { Round, Study } from '../domain/records';
import type { RoundRepository } from './round.repository';
import type { StudyRepository } from '../studies/study.repository';

/**
 * The study (which must list the site) and its round `n`, which must be the study's current round:
 * a site acts only in its own studies and only in the round now running.
 *
 * @example
 * const { study, round } = await currentRound({ studies, rounds }, siteId, req.study_id, req.round);
 */
export async function currentRound(
  deps: { readonly studies: StudyRepository; readonly rounds: RoundRepository },
  siteId: string,
  studyId: string,
  n: number,
): Promise<{ study: Study; round: Round }> {
  const study = await deps.studies.findById(studyId);
  if (!study) throw new DomainError('STUDY_NOT_FOUND', `no study ${studyId}`);
  if (!study.spec.sites.includes(siteId))
    throw new DomainError('FORBIDDEN', `this site is not part of study ${studyId}`);
  const round = await deps.rounds.find(studyId, n);
  if (!round || study.currentRound !== n) {
    throw new DomainError(
      'ROUND_NOT_CURRENT',
      `round ${n} is not the current round (${study.currentRound}) of study ${studyId}`,
    );
  }
  return { study, round };
}

/**
 * `currentRound`, which must also be in `state`.
 *
 * @example
 * await currentRoundIn(deps, siteId, req.study_id, req.round, 'evaluating');
 */
export async function currentRoundIn(
  deps: { readonly studies: StudyRepository; readonly rounds: RoundRepository },
  siteId: string,
  studyId: string,
  n: number,
  state: Round['state'],
): Promise<{ study: Study; round: Round }> {
  const found = await currentRound(deps, siteId, studyId, n);
  if (found.round.state !== state) {
    throw new DomainError('ROUND_NOT_CURRENT', `round ${n} is ${found.round.state}, not ${state}`);
  }
  return found;
}
