/**
 * The round's secure-aggregation session is not held by this coordinator (it restarted while the
 * round trained or aggregated): the masks can never be removed, so the round is trained again.
 */
export class SecureSessionLost extends Error {
  constructor(studyId: string, round: number) {
    super(
      `the secure-aggregation session of round ${round} of study ${studyId} was lost (a coordinator restart): its masks cannot be removed, the round is trained again`,
    );
    this.name = 'SecureSessionLost';
  }
}
