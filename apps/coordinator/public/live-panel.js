/* FedALN dashboard: the live panel of the sites (from /monitor events). Exposes window.FedalnLivePanel. */
/* global window, FedalnDom -- browser globals, and the scripts index.html loads first */
(function () {
  'use strict';
  const { h, fmt } = FedalnDom;

  /**
   * Each site of `study` in `panel`: connection, engine, download, local training and upload, as
   * the latest `/monitor` events left them in `live` (`siteStatus` by site, `progress` by
   * `site:direction`, `training` by `study:site`).
   */
  function renderLivePanel(panel, study, live, siteName) {
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
            const st = live.siteStatus.get(id);
            const bar = (dir) => {
              const p = live.progress.get(`${id}:${dir}`);
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
              const t = live.training.get(`${study.id}:${id}`);
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
              h('td', {}, siteName(id)),
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

  window.FedalnLivePanel = { renderLivePanel };
})();
