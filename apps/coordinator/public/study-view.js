/* FedALN dashboard: draws a study (FedalnStudyModel's view) part by part. Exposes window.FedalnStudyView. */
/* global window, document, FedalnDom, FedalnCharts, FedalnStudyModel -- browser globals, and the scripts index.html loads first */
(function () {
  'use strict';
  const { h, fmt, secs } = FedalnDom;
  const { sortedRounds, siteAucs, latestEvaluated } = FedalnStudyModel;
  const $ = (id) => document.getElementById(id);

  /**
   * Render functions for one page: the timeline row of a round, the AUC chart, the latest round's
   * decision curves and verdict, the releases; each redraws only its part, so a live event redraws
   * what it changed. `siteName(id)`; `onRelease(study, round)`; `onOpenCard(clickEvent, version)`.
   */
  function createStudyView({ siteName, onRelease, onOpenCard }) {
    /** The page of a study, then each of its parts (`#live-panel` is left to the live panel). */
    function renderStudy(view) {
      $('study').replaceChildren(
        h('div', { id: 'study-head' }),
        h('h3', {}, 'Rounds'),
        h('div', { class: 'panel' }, roundsTable()),
        h('h3', {}, 'Live'),
        h('div', { class: 'panel', id: 'live-panel' }),
        h(
          'div',
          { class: 'grid2' },
          h(
            'div',
            {},
            h('h3', {}, 'AUC per site across rounds'),
            h('div', { class: 'panel' }, h('div', { id: 'auc-chart' })),
          ),
          h(
            'div',
            {},
            h('h3', { id: 'dca-title' }),
            h('div', { class: 'panel' }, h('div', { id: 'dca-chart' })),
          ),
        ),
        h('h3', {}, 'Release policy verdict'),
        h('div', { class: 'panel', id: 'verdict' }),
        h('h3', {}, 'Releases'),
        h('div', { class: 'panel', id: 'releases' }),
      );
      renderHead(view);
      for (const round of sortedRounds(view)) renderRoundRow(round);
      renderAucChart(view);
      renderLatest(view);
      renderReleases(view);
    }

    function renderHead({ study }) {
      const policy = study.spec.release_policy;
      $('study-head').replaceChildren(
        h('h2', {}, study.name, ' ', h('span', { class: `state ${study.status}` }, study.status)),
        ...(study.awaiting_lead
          ? [
              h(
                'p',
                { class: 'fail', id: 'awaiting-lead' },
                `Waiting for you (round ${study.awaiting_lead.round}): ${study.awaiting_lead.reason}. Resume to try the round again (after revoking a bad site, say), or abort.`,
              ),
            ]
          : []),
        h(
          'p',
          { class: 'muted' },
          `${study.spec.arch} at ${study.spec.input_size} px · ${study.spec.rounds} rounds · min ${study.spec.min_sites} sites · policy: site AUC ≥ ${policy.min_site_auc}, pooled AUC ≥ ${policy.min_pooled_auc}, net benefit above treat-all/none at ${policy.dca_range.join('–')}`,
        ),
      );
    }

    function roundsTable() {
      const columns = [
        'Round',
        'State',
        'Attempt',
        'Participants',
        'Stragglers',
        'Screening',
        'Duration',
        'Site AUC',
        'Pooled AUC',
        'ε spent',
      ];
      return h(
        'table',
        { id: 'rounds' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            columns.map((t) => h('th', {}, t)),
          ),
        ),
        h('tbody', {}),
      );
    }

    /** Replaces the round's row, or inserts it in round order. */
    function renderRoundRow(round) {
      const tbody = document.querySelector('#rounds tbody');
      if (!tbody) return;
      const rows = [...tbody.children];
      const row = roundRow(round);
      const same = rows.find((tr) => Number(tr.dataset.round) === round.number);
      if (same) same.replaceWith(row);
      else tbody.insertBefore(row, rows.find((tr) => Number(tr.dataset.round) > round.number) || null);
    }

    function roundRow(r) {
      const uploaded = r.participants.filter((p) => p.state === 'uploaded');
      const stragglers = r.participants
        .filter((p) => p.state === 'straggler')
        .map((p) => siteName(p.site_id));
      const aucs = [...siteAucs(r)];
      return h(
        'tr',
        { 'data-round': r.number },
        h('td', {}, r.number),
        h('td', {}, h('span', { class: `state ${r.state}` }, r.state)),
        h('td', {}, r.attempt === null ? '—' : r.attempt),
        h(
          'td',
          {},
          `${uploaded.length}/${r.participants.length} uploaded`,
          h('br'),
          h('small', { class: 'muted' }, r.participants.map((p) => siteName(p.site_id)).join(', ')),
        ),
        h('td', {}, stragglers.length ? stragglers.join(', ') : '—'),
        h('td', { class: 'screening' }, screeningCell(r)),
        h('td', {}, duration(r)),
        h(
          'td',
          {},
          aucs.length
            ? aucs.map(([id, a]) => h('div', { 'data-site': id }, `${siteName(id)} ${fmt(a.auc)}`))
            : '—',
        ),
        h('td', { class: 'pooled-auc' }, fmt(r.metrics && r.metrics.pooled && r.metrics.pooled.auc)),
        h('td', { class: 'epsilon' }, epsilonCell(r)),
      );
    }

    /**
     * Issue 16: ε the study's patients have spent by the end of the round (the coordinator's
     * accountant, largest over sites), against the budget; per-site values and steps in the tooltip.
     */
    function epsilonCell(r) {
      const p = r.privacy;
      if (!p) return '—';
      const perSite = p.sites.map((s) => `${siteName(s.site_id)} ε ${fmt(s.epsilon)}`).join(', ');
      return h(
        'span',
        {
          title: `${p.steps} DP-SGD steps per site at δ ${p.delta}${p.noise_added ? '' : ' (accounting only: no noise was added)'}; ${perSite}`,
        },
        `${fmt(p.epsilon, 2)} / ${p.max_epsilon}${p.noise_added ? '' : ' (accounting only)'}`,
      );
    }

    /**
     * Issue 13: every update screening did not simply accept is flagged with its verdict; the
     * reason (norm against the round's median, cosine to its centre) is the tooltip.
     */
    function screeningCell(r) {
      const screened = r.participants.filter((p) => p.screening);
      if (screened.length === 0) return '—';
      const flagged = screened.filter((p) => p.screening.verdict !== 'accepted');
      if (flagged.length === 0) return h('span', { class: 'muted' }, `${screened.length} accepted`);
      return flagged.map((p) =>
        h(
          'div',
          { class: `flag ${p.screening.verdict}`, 'data-site': p.site_id, title: p.screening.reason },
          `${siteName(p.site_id)}: ${p.screening.verdict}`,
        ),
      );
    }

    function duration(r) {
      if (r.ended_at) return secs(r.started_at, r.ended_at);
      return r.started_at ? `${secs(r.started_at, new Date().toISOString())} so far` : '—';
    }

    const noneYet = () => h('p', { class: 'muted' }, 'No evaluated round yet.');

    function renderAucChart(view) {
      const el = $('auc-chart');
      if (!el) return;
      const rounds = sortedRounds(view).filter((r) => siteAucs(r).size > 0);
      if (rounds.length === 0) el.replaceChildren(noneYet());
      else drawAuc(el, rounds);
    }

    /** The decision curves and the release-policy verdict of the latest evaluated round. */
    function renderLatest(view) {
      const latest = latestEvaluated(view);
      $('dca-title').textContent = `Decision curves${latest ? ` (round ${latest.number})` : ''}`;
      if (latest) drawDca($('dca-chart'), latest.metrics);
      else $('dca-chart').replaceChildren(noneYet());
      $('verdict').replaceChildren(verdictView(latest));
    }

    function drawAuc(el, rounds) {
      const aucs = rounds.map(siteAucs);
      const siteIds = [...new Set(aucs.flatMap((m) => [...m.keys()]))];
      const pick = (id, f) => aucs.map((m) => (m.has(id) ? f(m.get(id)) : null));
      const sites = siteIds.map((id) => ({
        name: siteName(id),
        auc: pick(id, (a) => a.auc),
        lo: pick(id, (a) => (a.ci ? a.ci[0] : null)),
        hi: pick(id, (a) => (a.ci ? a.ci[1] : null)),
      }));
      FedalnCharts.aucChart(
        el,
        rounds.map((r) => r.number),
        sites,
        rounds.map((r) => (r.metrics && r.metrics.pooled ? r.metrics.pooled.auc : null)),
      );
    }

    /**
     * A site's decision curve on the grid 0.01…0.99 as it reported it: computed from its released
     * (merged) counts only, under the study's privacy rule (@fedaln/metrics released-report.ts).
     */
    function drawDca(el, metrics) {
      const pooled = metrics.pooled.decision_curve;
      const curves = metrics.sites
        .filter((s) => s.report.dca)
        .map((s) => ({ name: siteName(s.site_id), net_benefit: s.report.dca.net_benefit }));
      curves.push({ name: 'Pooled model', net_benefit: pooled.net_benefit, pooled: true });
      FedalnCharts.decisionCurveChart(el, pooled.thresholds, curves, pooled.treat_all);
    }

    function verdictView(latest) {
      if (!latest) return noneYet();
      const v = latest.metrics.verdict;
      if (!v)
        return h(
          'p',
          { class: 'muted' },
          `Round ${latest.number} is ${latest.state}; the verdict is recorded when it completes.`,
        );
      return h(
        'div',
        {},
        h(
          'span',
          { class: `verdict ${v.pass ? 'pass' : 'fail'}`, id: 'verdict-result' },
          v.pass ? 'PASS' : 'FAIL',
        ),
        ` round ${latest.number}: ${v.sites_passing} of ${v.sites.length} sites reach the site AUC bar (${v.sites_required} required); pooled AUC ${fmt(latest.metrics.pooled.auc)} (± ${fmt(latest.metrics.pooled.auc_error_bound, 4)} from the merged bins)`,
        v.reasons.length
          ? h(
              'ul',
              { class: 'verdict-reasons' },
              v.reasons.map((r) => h('li', {}, r.message)),
            )
          : null,
        refusedView(latest.metrics.refused_reports || []),
        disagreementView(latest.metrics.data_disagreement || []),
      );
    }

    /**
     * Issue 13: sites whose train labels disagree with the federation's feature model (a score
     * test per site, Bonferroni over the sites); shown to the lead, who decides (revoke or keep).
     */
    function disagreementView(tests) {
      if (tests.length === 0) return null;
      const flagged = tests.filter((d) => d.flagged);
      if (flagged.length === 0)
        return h(
          'p',
          { class: 'muted', id: 'data-disagreement' },
          `Data disagreement: no site flagged (${tests.length} sites tested, p < ${fmt(tests[0].threshold, 4)} flags)`,
        );
      return h(
        'ul',
        { class: 'verdict-reasons', id: 'data-disagreement' },
        flagged.map((d) =>
          h(
            'li',
            { class: 'flag data-disagreement', 'data-site': d.site_id },
            `${siteName(d.site_id)}: labels disagree with the federation (score test χ² ${fmt(d.statistic, 1)} on ${d.df} df, p ${d.p.toExponential(1)} < ${fmt(d.threshold, 4)}); check its labels.csv. Not excluded automatically: revoke the site to leave it out.`,
          ),
        ),
      );
    }

    /** Stored reports that fail the study's checks: left out of pooling and the verdict, with why. */
    function refusedView(refused) {
      if (refused.length === 0) return null;
      return h(
        'ul',
        { class: 'verdict-reasons', id: 'refused-reports' },
        refused.map((r) => h('li', {}, `${siteName(r.site_id)}'s report is left out: ${r.reason}`)),
      );
    }

    function renderReleases(view) {
      $('releases').replaceChildren(releasesView(view.study, sortedRounds(view), view.releases));
    }

    function releasesView(study, rounds, releases) {
      const released = new Set(releases.map((r) => r.round));
      const candidate = [...rounds]
        .reverse()
        .find((r) => r.state === 'completed' && r.metrics && r.metrics.verdict);
      const message = h('p', { class: 'error', id: 'release-message', role: 'alert' });
      const button = h(
        'button',
        {
          id: 'release-button',
          disabled: !candidate || released.has(candidate.number),
          onclick: () => onRelease(study, candidate),
        },
        candidate
          ? released.has(candidate.number)
            ? `Round ${candidate.number} released`
            : `Release round ${candidate.number}`
          : 'No round to release',
      );
      const table = releases.length
        ? h(
            'table',
            { id: 'release-table' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['Version', 'Round', 'Verdict', 'Override reason', 'Weights sha256', 'Files'].map((t) =>
                  h('th', {}, t),
                ),
              ),
            ),
            h(
              'tbody',
              {},
              releases.map((r) =>
                h(
                  'tr',
                  {},
                  h('td', {}, `v${r.version}`),
                  h('td', {}, r.round),
                  h(
                    'td',
                    {},
                    h(
                      'span',
                      { class: `verdict ${r.verdict.pass ? 'pass' : 'fail'}` },
                      r.verdict.pass ? 'PASS' : 'FAIL (overridden)',
                    ),
                  ),
                  h('td', {}, r.override_reason || '—'),
                  h('td', {}, h('code', {}, r.weights_sha256.slice(0, 16) + '…')),
                  h('td', {}, h('a', { href: '#', onclick: (e) => onOpenCard(e, r.version) }, 'model card')),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'No release yet.');
      return h('div', {}, button, message, table);
    }

    /** Shows the outcome of a release under the release button. */
    function showReleaseMessage(kind, text) {
      const message = $('release-message');
      if (!message) return;
      message.className = kind;
      message.textContent = text;
    }

    return {
      renderStudy,
      renderHead,
      renderRoundRow,
      renderAucChart,
      renderLatest,
      renderReleases,
      showReleaseMessage,
    };
  }

  window.FedalnStudyView = { createStudyView };
})();
