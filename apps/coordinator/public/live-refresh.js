/* FedALN dashboard: what a /monitor event changed, and when to fetch it. No DOM. Exposes window.FedalnLiveRefresh. */
/* global window -- browser global */
(function () {
  'use strict';

  /**
   * What the coordinator holds anew about a round once it enters `state` (rounds.service.ts writes
   * these before it publishes the change): an opened round its record; a training round its
   * assigned participants; an aggregating round the uploads and stragglers; a completed round its
   * end time, pooled metrics and verdict; a failed round its end time. An evaluating round holds
   * nothing new that the dashboard shows: the reports arrive one by one as `metrics:received`.
   */
  const FETCHES = {
    waiting: ['round'],
    training: ['round'],
    aggregating: ['round'],
    evaluating: [],
    completed: ['round', 'metrics'],
    failed: ['round'],
  };

  /** @example roundFetches('completed') // ['round', 'metrics']; a state not known here: ['round'] */
  const roundFetches = (state) => FETCHES[state] || ['round'];

  /**
   * Whether a round event may have changed the study record beyond the round number it carries
   * (study-lifecycle.ts): a round opens while the study is not running (it was started or resumed),
   * the last round completes (the study completes), a round fails (the study fails, or was aborted).
   * A study the dashboard has not listed yet is fetched.
   *
   * @example studyMayChange({ status: 'running', spec: { rounds: 3 } }, { round: 3, state: 'completed' }) // true
   */
  function studyMayChange(study, e) {
    if (!study) return true;
    if (e.state === 'waiting') return study.status !== 'running';
    if (e.state === 'completed') return e.round >= study.spec.rounds;
    return e.state === 'failed';
  }

  /**
   * Per key (a round, a study record): what to fetch once that key's events pause for `ms`. Needs
   * add up while a key waits, so a burst of events costs one fetch of each need; keys wait apart,
   * so one busy round does not hold back another. A key's refreshes run one after another, so an
   * older answer never lands after a newer one. `onChange` is called whenever `busy` may change;
   * `onError` gets what a refresh threw (the key's later refreshes still run).
   *
   * @example
   * const plan = keyedDebounce(300, { onChange: showBusy, onError: console.error });
   * plan.add('round:s1:2', ['metrics'], (needs) => refreshRound('s1', 2, needs));
   */
  function keyedDebounce(ms, { onChange, onError }) {
    const jobs = new Map();
    const settle = (key, job) => {
      job.running -= 1;
      if (job.timer === null && job.running === 0) jobs.delete(key);
      onChange();
    };
    const fire = (key, job, refresh) => {
      const needs = job.needs;
      job.needs = new Set();
      job.timer = null;
      job.running += 1;
      job.done = job.done
        .then(() => refresh(needs))
        .catch(onError)
        .finally(() => settle(key, job));
    };
    return {
      add(key, needs, refresh) {
        const job = jobs.get(key) || { needs: new Set(), timer: null, running: 0, done: Promise.resolve() };
        jobs.set(key, job);
        for (const need of needs) job.needs.add(need);
        clearTimeout(job.timer);
        job.timer = setTimeout(() => fire(key, job, refresh), ms);
        onChange();
      },
      /** Whether a refresh is waiting or running. */
      get busy() {
        return jobs.size > 0;
      },
    };
  }

  window.FedalnLiveRefresh = { roundFetches, studyMayChange, keyedDebounce };
})();
