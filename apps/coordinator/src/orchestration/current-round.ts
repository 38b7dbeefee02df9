import type { Round, Study } from '../domain/records';
import { SocketRefusal } from '../gateway/socket-error';
import type { RoundRepository } from '../rounds/round.repository';
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
  if (!study) throw new SocketRefusal('not_found', `no study ${studyId}`);
  if (!study.spec.sites.includes(siteId))
    throw new SocketRefusal('forbidden', `this site is not part of study ${studyId}`);
  const round = await deps.rounds.find(studyId, n);
  if (!round || study.currentRound !== n) {
    throw new SocketRefusal(
      'wrong_round',
      `round ${n} is not the current round (${study.currentRound}) of study ${studyId}`,
    );
  }
  return { study, round };
}
