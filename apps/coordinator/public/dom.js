/* FedALN dashboard: building the page's elements. Exposes window.FedalnDom. */
/* global window, document, Node -- browser globals */
(function () {
  'use strict';

  /**
   * Builds an element; text is always set as text (never parsed as HTML). `on…` attributes are
   * listeners; `true` sets an empty attribute, and `false`, `null` or `undefined` leave it out.
   *
   * @example h('td', { class: 'state' }, '<b>', h('br')) // <td class="state">&lt;b&gt;<br></td>
   */
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

  /** @example fmt(0.81234) // '0.812'; fmt(null) // '—' */
  const fmt = (x, d = 3) => (x === null || x === undefined || Number.isNaN(x) ? '—' : Number(x).toFixed(d));

  /** Whole seconds from instant `a` to `b` (ISO 8601). @example secs(startedAt, endedAt) // '42 s' */
  const secs = (a, b) => (a && b ? `${Math.round((new Date(b) - new Date(a)) / 1000)} s` : '—');

  window.FedalnDom = { h, fmt, secs };
})();
