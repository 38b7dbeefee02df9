/* FedALN lead dashboard: REST with the admin token (sessionStorage), live updates from /monitor. */
/* global window, document, sessionStorage, fetch, Blob, io, FedalnDom, FedalnLiveRefresh, FedalnStudyModel, FedalnStudyView, FedalnLivePanel, FedalnSitesPanel -- browser globals, and the scripts index.html loads first */
(function () {
  'use strict';
  const TOKEN_KEY = 'fedaln.adminToken';
  /** Events of one round (or one study record) closer together than this share one fetch. */
  const REFRESH_MS = 300;
  const { h } = FedalnDom;
  const { roundFetches, studyMayChange, keyedDebounce } = FedalnLiveRefresh;
  const { newRound, fetchRound, mergeRound, loadStudy } = FedalnStudyModel;
  const $ = (id) => document.getElementById(id);
  const state = {
    studies: [],
    /** `GET /api/sites`: names, status, approved and claimed case counts. */
    sites: [],
    siteNames: new Map(),
    selected: null,
    /** The selected study as shown (FedalnStudyModel): `{ study, rounds: Map<number, round>, releases }`. */
    view: null,
    /** Full loads of a study in flight, and the latest one (settled, never rejected). */
    loads: 0,
    loading: Promise.resolve(),
    progress: new Map(),
    training: new Map(),
    siteStatus: new Map(),
    socket: null,
  };
  const siteName = (siteId) => state.siteNames.get(siteId) || siteId.slice(0, 8);
  const studyPage = FedalnStudyView.createStudyView({ siteName, onRelease: release, onOpenCard: openCard });
  const plan = keyedDebounce(REFRESH_MS, { onChange: showBusy, onError: reportRefreshError });

  /** `#app[aria-busy]` is true while a load or a refresh is planned or running. */
  function showBusy() {
    $('app').setAttribute('aria-busy', String(state.loads > 0 || plan.busy));
  }

  function reportRefreshError(e) {
    if (e.message !== 'unauthenticated')
      console.error(`FedALN dashboard: a live refresh failed: ${e.message}`);
  }

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
      setSites(sites);
    } catch (e) {
      if (e.message !== 'unauthenticated') signOut(e.message);
      return;
    }
    $('login').hidden = true;
    $('app').hidden = false;
    $('sign-out').hidden = false;
    renderStudies();
    renderSites();
    connectMonitor(token);
    const first = state.studies.find((s) => s.status === 'running') || state.studies[0];
    if (first) await selectStudy(first.id);
  }

  // ---- The site list: case counts, and approving what a site claims ----

  function setSites(sites) {
    state.sites = sites;
    state.siteNames = new Map(sites.map((s) => [s.id, s.name]));
  }

  function renderSites() {
    FedalnSitesPanel.renderSitesPanel($('sites'), state.sites, approveCases);
  }

  /** A site's `hello` may have claimed new counts: the list is fetched again. */
  async function refreshSites() {
    setSites(await api('/api/sites'));
    renderSites();
  }

  /** The lead approves the counts a site claims (audit-logged by the coordinator). */
  async function approveCases(site) {
    const c = site.claimed_cases;
    const ok = window.confirm(
      `Approve ${c.n_train} training and ${c.n_test} test cases for ${site.name}?\n` +
        'Its updates may weigh at most that many cases, and its reports must cover exactly that many test cases.',
    );
    if (!ok) return;
    $('sites-message').textContent = '';
    try {
      await api(`/api/sites/${site.id}/cases`, { method: 'POST', body: JSON.stringify(c) });
      await refreshSites();
      $('sites-message').textContent = `Approved the counts of ${site.name}.`;
    } catch (e) {
      $('sites-message').textContent = `Approving failed: ${e.message}`;
    }
  }

  // ---- The study list ----

  function studyItem(s) {
    return h(
      'li',
      {
        class: s.id === state.selected ? 'selected' : '',
        onclick: () => selectStudy(s.id),
        'data-study': s.id,
      },
      s.name,
      h('small', {}, `${s.status} · round ${s.current_round}/${s.spec.rounds}`),
    );
  }

  function renderStudies() {
    $('studies').replaceChildren(...state.studies.map(studyItem));
  }

  /** Redraws one entry of the list (the whole list when the study is new to it). */
  function renderStudyItem(study) {
    const li = [...$('studies').children].find((el) => el.dataset.study === study.id);
    if (li) li.replaceWith(studyItem(study));
    else renderStudies();
  }

  /** Puts a fetched study record in the list; returns it. */
  function upsertStudy(study) {
    const i = state.studies.findIndex((s) => s.id === study.id);
    if (i < 0) state.studies.push(study);
    else state.studies[i] = study;
    return study;
  }

  // ---- Live updates: each event patches what it changed and plans only the fetches it needs ----

  function connectMonitor(token) {
    if (typeof io !== 'function') return;
    const socket = io('/monitor', { auth: { token }, transports: ['websocket'] });
    state.socket = socket;
    let connectedBefore = false;
    socket.on('connect', () => {
      $('live').textContent = 'live';
      $('live').className = 'live on';
      // Events sent while the socket was down are lost: reload the study once after a reconnect.
      if (connectedBefore && state.selected) void selectStudy(state.selected);
      connectedBefore = true;
    });
    socket.on('disconnect', () => {
      $('live').textContent = 'offline';
      $('live').className = 'live off';
    });
    socket.on('round:state', onRoundState);
    socket.on('metrics:received', onMetricsReceived);
    socket.on('site:status', (e) => {
      state.siteStatus.set(e.site_id, e);
      renderLive();
      if (e.connected) plan.add('sites', [], () => refreshSites());
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

  /** The selected study's view, if it is `studyId`'s and no full load may replace it. */
  function liveView(studyId) {
    const view = state.view;
    return state.loads === 0 && view && view.study.id === studyId ? view : null;
  }

  /** `round:state` `{study_id, round, state, at}`: the row now, that round's new data later. */
  function onRoundState(e) {
    noteRoundInList(e);
    if (e.study_id !== state.selected) return;
    const view = liveView(e.study_id);
    const round = view && view.rounds.get(e.round);
    if (!round) {
      if (view) addRound(view, newRound(e.round, { state: e.state, started_at: e.at }));
      planRound(e.study_id, e.round, ['round', ...roundFetches(e.state)]);
      return;
    }
    round.state = e.state;
    round.heard += 1;
    studyPage.renderRoundRow(round);
    planRound(e.study_id, e.round, roundFetches(e.state));
  }

  /** Any study's list entry: its round number from the event, its record when its status may change. */
  function noteRoundInList(e) {
    const listed = state.studies.find((s) => s.id === e.study_id);
    if (listed && e.round > listed.current_round) {
      listed.current_round = e.round;
      renderStudyItem(listed);
    }
    if (studyMayChange(listed, e)) plan.add(`study:${e.study_id}`, [], () => refreshStudyRecord(e.study_id));
  }

  /**
   * `metrics:received` `{study_id, round, site_id, n, auc}`: that site's AUC in the row and the chart
   * now; the round's metrics later, for what only the coordinator can pool (pooled AUC, decision
   * curves, CIs). A burst of reports, and the round's completion, share that one fetch.
   */
  function onMetricsReceived(e) {
    if (e.study_id !== state.selected) return;
    const view = liveView(e.study_id);
    const round = view && view.rounds.get(e.round);
    if (!round) {
      planRound(e.study_id, e.round, ['round', 'metrics']);
      return;
    }
    round.reported.set(e.site_id, { n: e.n, auc: e.auc });
    studyPage.renderRoundRow(round);
    studyPage.renderAucChart(view);
    planRound(e.study_id, e.round, ['metrics']);
  }

  function planRound(studyId, number, needs) {
    if (needs.length === 0) return;
    plan.add(`round:${studyId}:${number}`, needs, (planned) => refreshRound(studyId, number, planned));
  }

  /** Fetches `needs` of one round (`round`: its record and participants; `metrics`) and redraws it. */
  async function refreshRound(studyId, number, needs) {
    while (state.loads > 0) await state.loading;
    const view = state.view;
    if (!view || view.study.id !== studyId) return;
    const round = view.rounds.get(number) || newRound(number, {});
    if (!view.rounds.has(number)) needs.add('round');
    const heard = round.heard;
    const fetched = await fetchRound(api, studyId, number, needs);
    if (state.view !== view) return;
    mergeRound(round, fetched, round.heard !== heard);
    if (view.rounds.has(number)) studyPage.renderRoundRow(round);
    else addRound(view, round);
    studyPage.renderAucChart(view);
    studyPage.renderLatest(view);
    studyPage.renderReleases(view);
  }

  /** Adds a round to the view and its row to the timeline. */
  function addRound(view, round) {
    view.rounds.set(round.number, round);
    studyPage.renderRoundRow(round);
  }

  async function refreshStudyRecord(studyId) {
    const study = upsertStudy(await api(`/api/studies/${studyId}`));
    renderStudyItem(study);
    const view = liveView(studyId);
    if (!view) return;
    view.study = study;
    studyPage.renderHead(view);
    renderLive();
  }

  async function refreshReleases(studyId) {
    const releases = await api(`/api/studies/${studyId}/releases`);
    const view = liveView(studyId);
    if (!view) return;
    view.releases = releases;
    studyPage.renderReleases(view);
  }

  // ---- Loading a study ----

  /** The whole study: on selecting it, and after the live socket reconnects. */
  async function selectStudy(id) {
    state.selected = id;
    renderStudies();
    state.loads += 1;
    showBusy();
    const load = loadStudy(api, id);
    state.loading = load.then(
      () => undefined,
      () => undefined,
    );
    try {
      const view = await load;
      if (state.selected !== id) return;
      state.view = view;
      renderStudyItem(upsertStudy(view.study));
      studyPage.renderStudy(view);
      renderLive();
    } catch (e) {
      if (e.message !== 'unauthenticated' && state.selected === id)
        $('study').replaceChildren(
          h(
            'p',
            { class: 'error', role: 'alert' },
            `Loading the study failed (${e.message}); choose it again.`,
          ),
        );
    } finally {
      state.loads -= 1;
      showBusy();
    }
  }

  function renderLive() {
    const panel = $('live-panel');
    const study = state.studies.find((s) => s.id === state.selected);
    if (panel) FedalnLivePanel.renderLivePanel(panel, study, state, siteName);
  }

  // ---- Actions ----

  /** The card needs the bearer token, so it is fetched and opened as a blob URL. */
  async function openCard(event, version) {
    event.preventDefault();
    const res = await fetch(`/api/releases/${version}/card.html`, {
      headers: { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` },
    });
    const url = URL.createObjectURL(new Blob([await res.text()], { type: 'text/html' }));
    window.open(url, '_blank', 'noopener');
  }

  /** Releases a round, then fetches the study's releases only (nothing else changed). */
  async function release(study, round) {
    const body = { round: round.number };
    if (!round.metrics.verdict.pass) {
      const reason = window.prompt(
        `Round ${round.number} failed the release policy:\n- ${round.metrics.verdict.reasons.map((r) => r.message).join('\n- ')}\n\nRelease anyway? Write the reason (at least 20 characters); it is kept with the release.`,
      );
      if (reason === null) return;
      body.override_reason = reason;
    }
    $('release-message').textContent = '';
    try {
      const made = await api(`/api/studies/${study.id}/releases`, {
        method: 'POST',
        body: JSON.stringify(body),
      });
      await refreshReleases(study.id);
      studyPage.showReleaseMessage('muted', `Released v${made.version}, signed (Ed25519).`);
    } catch (e) {
      studyPage.showReleaseMessage('error', e.message);
    }
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
