/* FedALN dashboard: a study as the page shows it, loaded whole or one round at a time. No DOM. Exposes window.FedalnStudyModel. */
/* global window -- browser global */
(function () {
  'use strict';

  /** The dashboard shows metrics of evaluating and completed rounds (a failed round has no verdict). */
  const hasMetrics = (state) => state === 'evaluating' || state === 'completed';

  /**
   * A round as the page holds it: the REST round record with its participants, its fetched metrics,
   * and what live events said since. Until its record is fetched it has only what an event told.
   */
  function newRound(number, seen) {
    return {
      number,
      state: seen.state,
      attempt: null,
      deadline: null,
      started_at: seen.started_at || null,
      ended_at: null,
      participants: [],
      metrics: null,
      /** AUCs from `metrics:received` newer than `metrics`, by site: `{ n, auc }`. */
      reported: new Map(),
      /** State events applied in place; a fetch answered after one of them keeps that state. */
      heard: 0,
    };
  }

  /**
   * One round's record with participants (`needs` has 'round') and/or its metrics ('metrics'; null
   * when the coordinator has none). `api(path)` is the page's authenticated GET.
   *
   * @example await fetchRound(api, studyId, 2, new Set(['metrics'])) // { record: undefined, metrics: {…} }
   */
  async function fetchRound(api, studyId, number, needs) {
    const path = `/api/studies/${studyId}/rounds/${number}`;
    const [record, metrics] = await Promise.all([
      needs.has('round') ? api(path) : undefined,
      // Only "no metrics yet" (404) means none; any other failure keeps what the page shows.
      needs.has('metrics')
        ? api(`${path}/metrics`).catch((e) => {
            if (e.status === 404) return null;
            throw e;
          })
        : undefined,
    ]);
    return { record, metrics };
  }

  /**
   * A fetch into the page's round. `keepState`: an event newer than the fetch set the state (the
   * fetched state is older). Fetched metrics replace the live AUCs of the sites they include.
   */
  function mergeRound(round, { record, metrics }, keepState) {
    if (record) Object.assign(round, record, keepState ? { state: round.state } : {});
    if (metrics !== undefined) {
      round.metrics = metrics;
      for (const s of metrics ? metrics.sites : []) round.reported.delete(s.site_id);
    }
    if (!hasMetrics(round.state)) {
      round.metrics = null;
      round.reported.clear();
    }
  }

  /** The whole study: record, every round (with metrics where it has them), releases. */
  async function loadStudy(api, id) {
    const [study, rounds, releases] = await Promise.all([
      api(`/api/studies/${id}`),
      api(`/api/studies/${id}/rounds`),
      api(`/api/studies/${id}/releases`),
    ]);
    const loaded = await Promise.all(
      rounds.map(async (r) => {
        const round = newRound(r.number, r);
        const needs = new Set(hasMetrics(r.state) ? ['round', 'metrics'] : ['round']);
        mergeRound(round, await fetchRound(api, id, r.number, needs), false);
        return round;
      }),
    );
    return { study, rounds: new Map(loaded.map((r) => [r.number, r])), releases };
  }

  const sortedRounds = (view) => [...view.rounds.values()].sort((a, b) => a.number - b.number);

  /**
   * Each site's AUC in a round, by site id: the fetched report's (with its 95% CI), or the one a
   * newer `metrics:received` carried (no CI until the round's metrics are fetched).
   */
  function siteAucs(round) {
    const aucs = new Map();
    for (const s of round.metrics ? round.metrics.sites : [])
      aucs.set(s.site_id, { auc: s.report.auc, ci: s.report.auc_ci || null });
    for (const [id, r] of round.reported) aucs.set(id, { auc: r.auc, ci: null });
    return aucs;
  }

  /** The last round with fetched metrics of at least one site: the page shows its curves and verdict. */
  function latestEvaluated(view) {
    const evaluated = sortedRounds(view).filter((r) => r.metrics && r.metrics.sites.length > 0);
    return evaluated[evaluated.length - 1] || null;
  }

  window.FedalnStudyModel = {
    hasMetrics,
    newRound,
    fetchRound,
    mergeRound,
    loadStudy,
    sortedRounds,
    siteAucs,
    latestEvaluated,
  };
})();
