/* FedALN lead dashboard: REST with the admin token (sessionStorage), live updates from /monitor. */
/* global window, document, sessionStorage, fetch, Blob, Node, io, FedalnCharts -- browser globals, and the scripts index.html loads first */
(function () {
  'use strict';
  const TOKEN_KEY = 'fedaln.adminToken';
  const $ = (id) => document.getElementById(id);
  const state = {
    studies: [],
    siteNames: new Map(),
    selected: null,
    progress: new Map(),
    training: new Map(),
    siteStatus: new Map(),
    socket: null,
  };

  /** Builds an element; text is always set as text (never parsed as HTML). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') el.className = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat())
      if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
    return el;
  }

  const fmt = (x, d = 3) => (x === null || x === undefined || Number.isNaN(x) ? '—' : Number(x).toFixed(d));
  const secs = (a, b) => (a && b ? `${Math.round((new Date(b) - new Date(a)) / 1000)} s` : '—');

  async function api(path, options = {}) {
    const res = await fetch(path, {
      ...options,
      headers: {
        authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}`,
        'content-type': 'application/json',
      },
    });
    const body = await res.json().catch(() => null);
    if (res.status === 401) {
      signOut('The admin token was refused; sign in again.');
      throw new Error('unauthenticated');
    }
    if (!res.ok)
      throw Object.assign(new Error((body && body.message) || `HTTP ${res.status}`), {
        body,
        status: res.status,
      });
    return body;
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    if (state.socket) state.socket.close();
    $('app').hidden = true;
    $('sign-out').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message || '';
  }

  async function signIn(token) {
    sessionStorage.setItem(TOKEN_KEY, token);
    try {
      const [studies, sites] = await Promise.all([api('/api/studies'), api('/api/sites')]);
      state.studies = studies;
      state.siteNames = new Map(sites.map((s) => [s.id, s.name]));
    } catch (e) {
      if (e.message !== 'unauthenticated') signOut(e.message);
      return;
    }
    $('login').hidden = true;
    $('app').hidden = false;
    $('sign-out').hidden = false;
    renderStudies();
    connectMonitor(token);
    const first = state.studies.find((s) => s.status === 'running') || state.studies[0];
    if (first) await selectStudy(first.id);
  }

  function renderStudies() {
    $('studies').replaceChildren(
      ...state.studies.map((s) =>
        h(
          'li',
          {
            class: s.id === state.selected ? 'selected' : '',
            onclick: () => selectStudy(s.id),
            'data-study': s.id,
          },
          s.name,
          h('small', {}, `${s.status} · round ${s.current_round}/${s.spec.rounds}`),
        ),
      ),
    );
  }

  function connectMonitor(token) {
    if (typeof io !== 'function') return;
    const socket = io('/monitor', { auth: { token }, transports: ['websocket'] });
    state.socket = socket;
    socket.on('connect', () => {
      $('live').textContent = 'live';
      $('live').className = 'live on';
    });
    socket.on('disconnect', () => {
      $('live').textContent = 'offline';
      $('live').className = 'live off';
    });
    socket.on('round:state', (e) => {
      if (e.study_id === state.selected) scheduleRefresh();
    });
    socket.on('metrics:received', (e) => {
      if (e.study_id === state.selected) scheduleRefresh();
    });
    socket.on('site:status', (e) => {
      state.siteStatus.set(e.site_id, e);
      renderLive();
    });
    socket.on('transfer:progress', (e) => {
      state.progress.set(`${e.site_id}:${e.direction}`, e);
      renderLive();
    });
    socket.on('training:progress', (e) => {
      state.training.set(`${e.study_id}:${e.site_id}`, e);
      renderLive();
    });
  }

  let refreshTimer = null;
  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => state.selected && selectStudy(state.selected), 300);
  }

  async function selectStudy(id) {
    state.selected = id;
    renderStudies();
    const [study, rounds, releases] = await Promise.all([
      api(`/api/studies/${id}`),
      api(`/api/studies/${id}/rounds`),
      api(`/api/studies/${id}/releases`),
    ]);
    const details = await Promise.all(
      rounds.map(async (r) => ({
        ...(await api(`/api/studies/${id}/rounds/${r.number}`)),
        metrics: ['evaluating', 'completed'].includes(r.state)
          ? await api(`/api/studies/${id}/rounds/${r.number}/metrics`).catch(() => null)
          : null,
      })),
    );
    if (state.selected === id) renderStudy(study, details, releases);
  }

  const name = (siteId) => state.siteNames.get(siteId) || siteId.slice(0, 8);

  function renderStudy(study, rounds, releases) {
    const timeline = h(
      'table',
      { id: 'rounds' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Round', 'State', 'Attempt', 'Participants', 'Stragglers', 'Duration', 'Pooled AUC'].map((t) =>
            h('th', {}, t),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        rounds.map((r) => {
          const uploaded = r.participants.filter((p) => p.state === 'uploaded');
          const stragglers = r.participants
            .filter((p) => p.state === 'straggler')
            .map((p) => name(p.site_id));
          return h(
            'tr',
            { 'data-round': r.number },
            h('td', {}, r.number),
            h('td', {}, h('span', { class: `state ${r.state}` }, r.state)),
            h('td', {}, r.attempt),
            h(
              'td',
              {},
              `${uploaded.length}/${r.participants.length} uploaded`,
              h('br'),
              h('small', { class: 'muted' }, r.participants.map((p) => name(p.site_id)).join(', ')),
            ),
            h('td', {}, stragglers.length ? stragglers.join(', ') : '—'),
            h(
              'td',
              {},
              r.ended_at
                ? secs(r.started_at, r.ended_at)
                : `${secs(r.started_at, new Date().toISOString())} so far`,
            ),
            h('td', {}, fmt(r.metrics && r.metrics.pooled && r.metrics.pooled.auc)),
          );
        }),
      ),
    );
    const evaluated = rounds.filter((r) => r.metrics && r.metrics.sites.length > 0);
    const latest = evaluated[evaluated.length - 1] || null;
    const aucEl = h('div', { id: 'auc-chart' });
    const dcaEl = h('div', { id: 'dca-chart' });
    $('study').replaceChildren(
      h('h2', {}, study.name, ' ', h('span', { class: `state ${study.status}` }, study.status)),
      h(
        'p',
        { class: 'muted' },
        `${study.spec.arch} at ${study.spec.input_size} px · ${study.spec.rounds} rounds · min ${study.spec.min_sites} sites · policy: site AUC ≥ ${study.spec.release_policy.min_site_auc}, pooled AUC ≥ ${study.spec.release_policy.min_pooled_auc}, net benefit above treat-all/none at ${study.spec.release_policy.dca_range.join('–')}`,
      ),
      h('h3', {}, 'Rounds'),
      h('div', { class: 'panel' }, timeline),
      h('h3', {}, 'Live'),
      h('div', { class: 'panel', id: 'live-panel' }),
      h(
        'div',
        { class: 'grid2' },
        h('div', {}, h('h3', {}, 'AUC per site across rounds'), h('div', { class: 'panel' }, aucEl)),
        h(
          'div',
          {},
          h('h3', {}, `Decision curves${latest ? ` (round ${latest.number})` : ''}`),
          h('div', { class: 'panel' }, dcaEl),
        ),
      ),
      h('h3', {}, 'Release policy verdict'),
      h('div', { class: 'panel', id: 'verdict' }, verdictView(latest)),
      h('h3', {}, 'Releases'),
      h('div', { class: 'panel', id: 'releases' }, releasesView(study, rounds, releases)),
    );
    renderLive();
    if (evaluated.length === 0) {
      aucEl.append(h('p', { class: 'muted' }, 'No evaluated round yet.'));
      dcaEl.append(h('p', { class: 'muted' }, 'No evaluated round yet.'));
      return;
    }
    drawAuc(aucEl, evaluated);
    drawDca(dcaEl, latest.metrics);
  }

  function drawAuc(el, evaluated) {
    const siteIds = [...new Set(evaluated.flatMap((r) => r.metrics.sites.map((s) => s.site_id)))];
    const pick = (r, id) => r.metrics.sites.find((s) => s.site_id === id);
    const sites = siteIds.map((id) => ({
      name: name(id),
      auc: evaluated.map((r) => (pick(r, id) ? pick(r, id).report.auc : null)),
      lo: evaluated.map((r) =>
        pick(r, id) && pick(r, id).report.auc_ci ? pick(r, id).report.auc_ci[0] : null,
      ),
      hi: evaluated.map((r) =>
        pick(r, id) && pick(r, id).report.auc_ci ? pick(r, id).report.auc_ci[1] : null,
      ),
    }));
    FedalnCharts.aucChart(
      el,
      evaluated.map((r) => r.number),
      sites,
      evaluated.map((r) => r.metrics.pooled && r.metrics.pooled.auc),
    );
  }

  /** A site's net benefit from its grid counts: TP/n − FP/n · t/(1 − t) (Vickers & Elkin 2006). */
  function siteNetBenefit(report) {
    const c = report.threshold_counts;
    return c.thresholds.map((t, j) => c.tp[j] / report.n - (c.fp[j] / report.n) * (t / (1 - t)));
  }

  function drawDca(el, metrics) {
    const pooled = metrics.pooled.decision_curve;
    const curves = metrics.sites.map((s) => ({
      name: name(s.site_id),
      net_benefit: siteNetBenefit(s.report),
    }));
    curves.push({ name: 'Pooled model', net_benefit: pooled.net_benefit, pooled: true });
    FedalnCharts.decisionCurveChart(el, pooled.thresholds, curves, pooled.treat_all);
  }

  function verdictView(latest) {
    if (!latest) return h('p', { class: 'muted' }, 'No evaluated round yet.');
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
      ` round ${latest.number}: ${v.sites_passing} of ${v.sites.length} sites reach the site AUC bar (${v.sites_required} required); pooled AUC ${fmt(latest.metrics.pooled.auc)} (± ${fmt(latest.metrics.pooled.auc_error_bound, 4)} binning)`,
      v.reasons.length
        ? h(
            'ul',
            { class: 'verdict-reasons' },
            v.reasons.map((r) => h('li', {}, r.message)),
          )
        : null,
    );
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
        onclick: () => release(study, candidate, message),
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
                h('td', {}, h('a', { href: '#', onclick: (e) => openCard(e, r.version) }, 'model card')),
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'No release yet.');
    return h('div', {}, button, message, table);
  }

  /** The card needs the bearer token, so it is fetched and opened as a blob URL. */
  async function openCard(event, version) {
    event.preventDefault();
    const res = await fetch(`/api/releases/${version}/card.html`, {
      headers: { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` },
    });
    const url = URL.createObjectURL(new Blob([await res.text()], { type: 'text/html' }));
    window.open(url, '_blank', 'noopener');
  }

  async function release(study, round, message) {
    const body = { round: round.number };
    if (!round.metrics.verdict.pass) {
      const reason = window.prompt(
        `Round ${round.number} failed the release policy:\n- ${round.metrics.verdict.reasons.map((r) => r.message).join('\n- ')}\n\nRelease anyway? Write the reason (at least 20 characters); it is kept with the release.`,
      );
      if (reason === null) return;
      body.override_reason = reason;
    }
    message.textContent = '';
    try {
      const made = await api(`/api/studies/${study.id}/releases`, {
        method: 'POST',
        body: JSON.stringify(body),
      });
      message.className = 'muted';
      message.textContent = `Released v${made.version}, signed (Ed25519).`;
      await selectStudy(study.id);
    } catch (e) {
      message.className = 'error';
      message.textContent = e.message;
    }
  }

  function renderLive() {
    const panel = $('live-panel');
    if (!panel) return;
    const study = state.studies.find((s) => s.id === state.selected);
    const ids = study ? study.spec.sites : [];
    panel.replaceChildren(
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Site', 'Connection', 'Engine', 'Download', 'Training', 'Upload'].map((t) => h('th', {}, t)),
          ),
        ),
        h(
          'tbody',
          {},
          ids.map((id) => {
            const st = state.siteStatus.get(id);
            const bar = (dir) => {
              const p = state.progress.get(`${id}:${dir}`);
              if (!p) return '—';
              const pct = p.total_bytes ? Math.round((100 * p.bytes) / p.total_bytes) : 0;
              return h(
                'span',
                {},
                h('span', { class: 'bar' }, h('i', { style: `width:${pct}%` })),
                ` ${pct}% r${p.round} · ${fmt(p.mb_per_s, 1)} MB/s`,
              );
            };
            // Epochs and batches count from 1: done steps over all steps of the local training.
            const training = () => {
              const t = state.training.get(`${state.selected}:${id}`);
              if (!t) return '—';
              const pct = Math.round((100 * ((t.epoch - 1) * t.batches + t.batch)) / (t.epochs * t.batches));
              return h(
                'span',
                { class: 'training' },
                h('span', { class: 'bar' }, h('i', { style: `width:${pct}%` })),
                ` r${t.round} epoch ${t.epoch}/${t.epochs} batch ${t.batch}/${t.batches}` +
                  ` · loss ${fmt(t.loss, 3)} · ${fmt(t.images_per_s, 1)} img/s`,
              );
            };
            return h(
              'tr',
              {},
              h('td', {}, name(id)),
              h('td', {}, st ? (st.connected ? 'connected' : 'disconnected') : 'unknown'),
              h(
                'td',
                {},
                st && st.engine
                  ? `${st.engine}${st.images_per_s ? ` · ${fmt(st.images_per_s, 1)} img/s` : ''}`
                  : '—',
              ),
              h('td', {}, bar('download')),
              h('td', {}, training()),
              h('td', {}, bar('upload')),
            );
          }),
        ),
      ),
    );
  }

  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void signIn($('token').value.trim());
  });
  $('sign-out').addEventListener('click', () => signOut());
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) void signIn(saved);
  else signOut();
})();
