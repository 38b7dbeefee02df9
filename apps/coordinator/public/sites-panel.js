/* FedALN dashboard: the enrolled sites and their case counts. Exposes window.FedalnSitesPanel. */
/* global window, FedalnDom -- browser globals, and the scripts index.html loads first */
(function () {
  'use strict';
  const { h } = FedalnDom;

  /** @example counts({ n_train: 260, n_test: 64 }) // '260 train / 64 test' */
  const counts = (c) => (c ? `${c.n_train} train / ${c.n_test} test` : '—');
  const same = (a, b) => Boolean(a && b && a.n_train === b.n_train && a.n_test === b.n_test);

  /**
   * Each site (`GET /api/sites`) with the case counts the lead approved — a site's FedAvg weight may
   * not exceed them and its reports must cover its approved test cases — and those its last `hello`
   * claimed. Where the claim is not what is approved, an Approve button hands the claimed counts to
   * `onApprove(site)`; the site's uploads are refused until the lead approves.
   */
  function renderSitesPanel(list, sites, onApprove) {
    list.replaceChildren(
      ...sites.map((s) => {
        const pending = s.claimed_cases && !same(s.claimed_cases, s.approved_cases);
        return h(
          'li',
          { class: 'site', 'data-site': s.id },
          s.name,
          h(
            'small',
            {},
            s.status === 'revoked' ? 'revoked · ' : '',
            s.approved_cases ? `approved ${counts(s.approved_cases)}` : 'no approved counts',
          ),
          pending ? h('small', { class: 'claimed' }, `claims ${counts(s.claimed_cases)}`) : null,
          pending && s.status !== 'revoked'
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'approve',
                  title: 'Approve the counts this site claims; its weight may not exceed them',
                  onclick: () => onApprove(s),
                },
                'Approve',
              )
            : null,
        );
      }),
    );
  }

  window.FedalnSitesPanel = { renderSitesPanel };
})();
